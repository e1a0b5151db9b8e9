//! The caller's address. It is the TCP peer, unless the peer is a proxy Regio was told to trust
//! (`REGIO_TRUSTED_PROXY`): then it is the right-most `X-Forwarded-For` entry that is not itself
//! a trusted proxy. Entries left of that one were written by the client and prove nothing, and a
//! header from an untrusted peer is ignored altogether.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// The proxies whose `X-Forwarded-For` is believed: addresses or CIDR blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list such as `127.0.0.1, 10.0.0.0/8, ::1`.
    fn from_str(list: &str) -> Result<Self, String> {
        let entries = list.split(',').map(str::trim).filter(|entry| !entry.is_empty());
        let parse = |entry: &str| {
            entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(|_| format!("'{entry}' is not an IP address or CIDR block"))
        };
        entries.map(parse).collect::<Result<Vec<_>, _>>().map(Self)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Who is calling, given the TCP peer and the request's headers.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
        for hop in hops.into_iter().rev() {
            // An entry that is not an address ends the walk at the last hop that could be read.
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn addresses_and_blocks_parse_and_garbage_is_named() {
        let trusted: TrustedProxies = " 127.0.0.1, 10.0.0.0/8 ,::1,".parse().expect("list");
        assert_eq!(trusted.0.len(), 3);
        assert!(trusted.trusts(ip("10.2.3.4")) && trusted.trusts(ip("::1")) && !trusted.trusts(ip("11.0.0.1")));
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
        assert_eq!("10.0.0.0/8, proxy.local".parse::<TrustedProxies>(), Err("'proxy.local' is not an IP address or CIDR block".into()));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_caller_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("203.0.113.9"), &forwarded(&["198.51.100.1"])), ip("203.0.113.9"));
        let trusted: TrustedProxies = "10.0.0.0/8".parse().expect("list");
        assert_eq!(trusted.client_ip(ip("203.0.113.9"), &forwarded(&["198.51.100.1"])), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_hop() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().expect("list");
        // The client claims to be 1.1.1.1; the first proxy saw 198.51.100.7; an inner proxy added itself.
        let h = forwarded(&["1.1.1.1, 198.51.100.7", "10.0.0.5"]);
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        assert_eq!(trusted.client_ip(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"), "IPv4-mapped peers count as IPv4");
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"), "no header: the proxy itself");
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &forwarded(&["2001:db8::1, junk"])), ip("10.0.0.1"), "unreadable hop");
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &forwarded(&["2001:db8::1"])), ip("2001:db8::1"));
    }
}
