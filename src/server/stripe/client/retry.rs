//! When to send a request again, and how long to wait first.
//!
//! Whether an error is worth another try is [`StripeError::is_retryable`]; this module bounds
//! the number of tries and spaces them with capped exponential backoff and jitter, so that many
//! clients hitting the same limit do not come back in lockstep.

use std::time::Duration;

use rand::Rng;

use super::error::StripeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first one; `0` sends each request once.
    pub max_retries: u32,
    /// Wait before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// Cap on any wait computed from the backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Close to the official SDKs: a few retries, 0.5 s doubling up to 5 s.
    fn default() -> Self {
        Self { max_retries: 3, initial_backoff: Duration::from_millis(500), max_backoff: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    pub fn never() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// Whether attempt number `attempt` (1-based) that failed with `error` gets another try.
    pub fn should_retry(&self, attempt: u32, error: &StripeError) -> bool {
        attempt <= self.max_retries && error.is_retryable()
    }

    /// The pause before retry number `retry` (1-based): `initial * 2^(retry-1)` capped at
    /// `max_backoff`, then drawn uniformly from its upper half. A `Retry-After` from Stripe is
    /// a floor.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let ceiling = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(rng.gen_range(ceiling_ms / 2..=ceiling_ms));
        retry_after.map_or(jittered, |floor| jittered.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::stripe::client::error::ApiError;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn api(status: u16, should_retry: Option<&'static str>) -> StripeError {
        let mut headers = HeaderMap::new();
        if let Some(value) = should_retry {
            headers.insert("stripe-should-retry", HeaderValue::from_static(value));
        }
        let body = br#"{"error":{"type":"api_error","message":"m"}}"#;
        StripeError::Api(Box::new(ApiError::from_response(StatusCode::from_u16(status).unwrap(), &headers, body)))
    }

    #[test]
    fn retries_conflicts_dependencies_rate_limits_and_server_errors() {
        let policy = RetryPolicy::default();
        for status in [409, 424, 429, 500, 503] {
            assert!(policy.should_retry(1, &api(status, None)), "{status}");
        }
        for status in [400, 401, 402, 403, 404] {
            assert!(!policy.should_retry(1, &api(status, None)), "{status}");
        }
        assert!(policy.should_retry(1, &StripeError::Timeout(Duration::from_secs(1))));
    }

    #[test]
    fn the_stripe_should_retry_header_decides_when_present() {
        let policy = RetryPolicy::default();
        assert!(!policy.should_retry(1, &api(503, Some("false"))));
        assert!(policy.should_retry(1, &api(400, Some("true"))));
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
        let error = api(500, None);
        assert!(policy.should_retry(1, &error));
        assert!(policy.should_retry(2, &error));
        assert!(!policy.should_retry(3, &error));
        assert!(!RetryPolicy::never().should_retry(1, &error));
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_caps() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let expected_ceilings_ms = [500, 1000, 2000, 4000, 5000, 5000, 5000];
        for (index, ceiling) in expected_ceilings_ms.into_iter().enumerate() {
            let retry = u32::try_from(index).unwrap() + 1;
            for _ in 0..200 {
                let wait = policy.backoff(retry, None, &mut rng).as_millis();
                assert!((ceiling / 2..=ceiling).contains(&wait), "retry {retry}: {wait} ms");
            }
        }
        let far = policy.backoff(u32::MAX, None, &mut rng);
        assert!(far <= policy.max_backoff);
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        let waits: std::collections::BTreeSet<Duration> = (0..50).map(|_| policy.backoff(3, None, &mut rng)).collect();
        assert!(waits.len() > 10, "{waits:?}");
    }

    #[test]
    fn retry_after_is_a_floor() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(policy.backoff(1, Some(Duration::from_secs(3)), &mut rng), Duration::from_secs(3));
        let short = policy.backoff(3, Some(Duration::from_millis(1)), &mut rng);
        assert!(short >= Duration::from_millis(1000));
    }
}
