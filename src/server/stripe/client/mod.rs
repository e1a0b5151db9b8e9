//! Regio's typed Stripe client.
//!
//! ```ignore
//! let client = StripeClient::new(ClientConfig::new(SecretKey::new("sk_test_…")?))?;
//! let key = IdempotencyKey::derive("tx_0193f2", "report_payment")?;
//! let record = client.payment_records().report_payment(&request, &key).await?;
//! ```
//!
//! Every POST takes an [`IdempotencyKey`]; retries (connection errors, 409, 424, 429, 5xx)
//! reuse it. Every request carries `Stripe-Version` and passes a shared rate limiter.

pub mod common;
pub mod config;
pub mod error;
pub mod form;
pub mod idempotency;
pub mod list;
pub mod rate_limit;
pub mod retry;
pub mod secret;
mod transport;
pub mod webhook;

pub mod credit_notes;
pub mod customers;
pub mod events;
pub mod invoice_items;
pub mod invoice_payments;
pub mod invoices;
pub mod payment_attempt_records;
pub mod payment_details;
pub mod payment_methods;
pub mod payment_records;
pub mod prices;
pub mod products;
pub mod subscriptions;
pub mod test_clocks;
pub mod webhook_endpoints;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use url::Url;

pub use common::{Address, Amount, Expandable, Metadata, StripeObject, TimeRange};
pub use config::{API_VERSION, ClientConfig, DEFAULT_BASE_URL};
pub use error::{ApiError, ErrorType, StripeError};
pub use form::{Encode, Params, Update};
pub use idempotency::{IdempotencyKey, IdempotencyKeyError};
pub use list::{List, ListOptions, Pager};
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use secret::{KeyMode, SecretKey};
pub use webhook::{WebhookError, WebhookSecret};

const USER_AGENT: &str = concat!("regio/", env!("CARGO_PKG_VERSION"), " (stripe-client)");

/// A Stripe API client. Cloning is cheap and clones share the connection pool and the rate
/// limiter.
#[derive(Clone)]
pub struct StripeClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    mode: KeyMode,
    timeout: Duration,
    retry: RetryPolicy,
    limiter: rate_limit::RateLimiter,
}

impl StripeClient {
    pub fn new(config: ClientConfig) -> Result<Self, StripeError> {
        let base_url = Url::parse(&config.base_url).map_err(|e| StripeError::Config(format!("base URL '{}': {e}", config.base_url)))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(StripeError::Config(format!("base URL '{base_url}' is not an http(s) URL")));
        }
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, config.secret_key.authorization_header());
        let version = HeaderValue::from_str(&config.api_version)
            .map_err(|_| StripeError::Config(format!("API version '{}' is not a header value", config.api_version)))?;
        headers.insert("stripe-version", version);
        let http =
            reqwest::Client::builder().default_headers(headers).user_agent(USER_AGENT).build().map_err(|e| StripeError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                mode: config.secret_key.mode(),
                timeout: config.timeout,
                limiter: rate_limit::RateLimiter::new(config.effective_rate_limit()),
                retry: config.retry,
            }),
        })
    }

    pub fn mode(&self) -> KeyMode {
        self.inner.mode
    }
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient").field("base_url", &self.inner.base_url.as_str()).field("mode", &self.inner.mode).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<StripeClient, StripeError> {
        StripeClient::new(ClientConfig::new(SecretKey::new("sk_test_secretvalue").unwrap()).with_base_url(base))
    }

    #[test]
    fn urls_join_the_base_path_and_escape_ids() {
        let c = client("http://127.0.0.1:12111").unwrap();
        assert_eq!(c.url(&["payment_records", "pr_1"]).as_str(), "http://127.0.0.1:12111/v1/payment_records/pr_1");
        let prefixed = client("https://proxy.example/stripe/").unwrap();
        assert_eq!(
            prefixed.url(&["test_helpers", "test_clocks", "clock_1", "advance"]).as_str(),
            "https://proxy.example/stripe/v1/test_helpers/test_clocks/clock_1/advance"
        );
        assert_eq!(c.url(&["customers", "../charges?x=1#y"]).as_str(), "http://127.0.0.1:12111/v1/customers/..%2Fcharges%3Fx=1%23y");
    }

    #[test]
    fn rejects_unusable_base_urls() {
        for base in ["not a url", "mailto:ops@example.com", "ftp://example.com"] {
            assert!(matches!(client(base), Err(StripeError::Config(_))), "{base}");
        }
    }

    #[test]
    fn debug_output_shows_no_key() {
        let shown = format!("{:?}", client("http://127.0.0.1:1").unwrap());
        assert!(!shown.contains("secretvalue"), "{shown}");
        let config = ClientConfig::new(SecretKey::new("sk_test_secretvalue").unwrap());
        assert!(!format!("{config:?}").contains("secretvalue"));
    }
}
