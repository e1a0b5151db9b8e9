//! Request counts and latencies by route, exported in Prometheus' text format.

use super::caller::Caller;
use crate::server::config::Config;
use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use subtle::ConstantTimeEq;

/// Upper bounds of the latency buckets, in microseconds (0.005 s … 10 s).
const BUCKETS_US: [u64; 11] = [5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

#[derive(Default)]
struct Series {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Latency>,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Series>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, elapsed_us: u64) {
        let Ok(mut s) = self.series.lock() else { return };
        *s.requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        let latency = s.latency.entry(route.to_string()).or_default();
        latency.count += 1;
        latency.sum_us += elapsed_us;
        for (bucket, bound) in latency.buckets.iter_mut().zip(BUCKETS_US) {
            if elapsed_us <= bound {
                *bucket += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let Ok(s) = self.series.lock() else { return String::new() };
        let mut out = String::new();
        out.push_str("# HELP regio_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE regio_http_requests_total counter\n");
        for ((method, route, status), n) in &s.requests {
            let _ = writeln!(out, "regio_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP regio_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE regio_http_request_duration_seconds histogram\n");
        for (route, l) in &s.latency {
            for (n, bound) in l.buckets.iter().zip(BUCKETS_US) {
                let le = seconds(bound);
                let _ = writeln!(out, "regio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}");
            }
            let _ = writeln!(out, "regio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", l.count);
            let _ = writeln!(out, "regio_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", seconds(l.sum_us));
            let _ = writeln!(out, "regio_http_request_duration_seconds_count{{route=\"{route}\"}} {}", l.count);
        }
        out
    }
}

/// Microseconds as a decimal number of seconds, without floating point.
fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// The method as a label: the standard ones by name, anything else (a client may send any
/// token) as `other`, so requests cannot grow the series without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // Label by route template, not raw path, so ids do not explode the series.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| if req.uri().path().starts_with("/pkg/") { "/pkg/*".to_string() } else { "unmatched".to_string() });
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(method, &route, response.status().as_u16(), started.elapsed().as_micros() as u64);
    response
}

fn token_matches(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let Some(expected) = expected else { return false };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|g| g.as_bytes().ct_eq(expected.as_bytes()).into())
}

/// Served to loopback callers, or with the token. The caller is who `client_ip` says, so a
/// request relayed by a trusted proxy on the same host is not taken for a loopback one.
pub async fn export(
    State(metrics): State<Arc<Metrics>>,
    State(config): State<Arc<Config>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    let loopback = caller.ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback && !token_matches(&headers, config.metrics_token.as_deref()) {
        return (StatusCode::FORBIDDEN, "metrics are served to loopback or with REGIO_METRICS_TOKEN").into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").expect("a token")), "other");
    }

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, 3_000);
        m.observe("GET", "/healthz", 200, 30_000);
        let text = m.render();
        assert!(text.contains("regio_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.005000\"} 1"));
        assert!(text.contains("le=\"0.050000\"} 2"));
        assert!(text.contains("regio_http_request_duration_seconds_sum{route=\"/healthz\"} 0.033000"));
    }
}
