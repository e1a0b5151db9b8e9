//! Login throttling: after `MAX_FAILURES` failures for one email, or from one IP, within
//! `WINDOW`, further attempts are refused until `WINDOW` has passed since the failure that
//! crossed the line.
//!
//! The decision and the attempt are one: an attempt is recorded as a failure *before* its
//! password is checked (and turned into a success if it matches), inside the transaction that
//! counted the failures, so concurrent guesses cannot all see room under the limit.

use crate::server::db::Db;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::login_attempts::{self, Outcome};
use std::net::{IpAddr, Ipv6Addr};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// When the lock that `failures` (ascending times) put in place ends, if it has not yet.
pub fn locked_until(failures: &[i64], now_ms: i64) -> Option<i64> {
    failures
        .windows(MAX_FAILURES)
        .filter(|w| w[MAX_FAILURES - 1] - w[0] <= WINDOW_MS)
        .map(|w| w[MAX_FAILURES - 1] + WINDOW_MS)
        .filter(|until| *until > now_ms)
        .max()
}

/// What an IP is throttled as: an IPv4 address itself, an IPv6 address its /64, since one
/// subscriber is routinely given a whole /64 to pick addresses from.
pub fn ip_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => format!("{}/64", Ipv6Addr::from(v6.to_bits() & !(u128::MAX >> 64))),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

/// The verdict on a sign-in attempt before its password is checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead: the attempt is already counted as a failure under this id until it succeeds.
    Checking { attempt_id: String },
    /// Refused until this time (ms): recorded and audited as throttled.
    Locked { until_ms: i64 },
}

/// Counts the failures for `email` and `actor`'s IP (`ip_key`) and records the attempt, in one
/// write transaction: the attempt as throttled if a lock is on, else as a provisional failure.
pub async fn judge(db: &Db, actor: &Actor, email: &str, ip_key: &str, now_ms: i64) -> Result<Verdict, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    login_attempts::serialize_verdicts(db.kind, &mut tx.tx).await?;
    // A failure that can still be part of a lock is at most two windows old.
    let series = login_attempts::failures_since(&mut tx.tx, email, ip_key, now_ms - 2 * WINDOW_MS).await?;
    let verdict = match series.iter().filter_map(|s| locked_until(s, now_ms)).max() {
        Some(until_ms) => {
            login_attempts::record(&mut tx.tx, email, ip_key, now_ms, Outcome::Throttled).await?;
            let event = AuditEvent { action: "auth.login_throttled", target: &format!("user:{email}"), before: None, after: None };
            audit::record(&mut tx.tx, actor, event).await?;
            Verdict::Locked { until_ms }
        }
        None => Verdict::Checking { attempt_id: login_attempts::record(&mut tx.tx, email, ip_key, now_ms, Outcome::Failure).await? },
    };
    tx.commit().await?;
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn four_failures_do_not_lock() {
        assert_eq!(locked_until(&[0, MIN, 2 * MIN, 3 * MIN], 4 * MIN), None);
    }

    #[test]
    fn five_failures_in_the_window_lock_for_fifteen_minutes_from_the_fifth() {
        let f = [0, MIN, 2 * MIN, 3 * MIN, 4 * MIN];
        assert_eq!(locked_until(&f, 5 * MIN), Some(19 * MIN));
        assert_eq!(locked_until(&f, 19 * MIN), None);
    }

    #[test]
    fn ipv6_callers_share_their_slash_64_and_ipv4_stays_whole() {
        assert_eq!(ip_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
        assert_eq!(ip_key("2001:db8:1:2::1"), ip_key("2001:db8:1:2:ffff::9"));
        assert_ne!(ip_key("2001:db8:1:2::1"), ip_key("2001:db8:1:3::1"));
        assert_eq!(ip_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(ip_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(ip_key("unknown"), "unknown");
    }

    #[test]
    fn failures_spread_wider_than_the_window_do_not_lock() {
        assert_eq!(locked_until(&[0, 4 * MIN, 8 * MIN, 12 * MIN, 16 * MIN], 16 * MIN), None);
    }
}
