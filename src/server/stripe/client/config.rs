//! What a [`super::StripeClient`] needs to know.

use std::time::Duration;

use super::rate_limit::RateLimit;
use super::retry::RetryPolicy;
use super::secret::SecretKey;

pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// The API version every request pins with `Stripe-Version`.
pub const API_VERSION: &str = "2026-10-28.endive";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://api.stripe.com`, or the emulator's address; checked by the client constructor.
    pub base_url: String,
    pub secret_key: SecretKey,
    pub api_version: String,
    /// Limit on one attempt, connection to last body byte; retries get a fresh one.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// `None` applies Stripe's limit for the key's mode.
    pub rate_limit: Option<RateLimit>,
}

impl ClientConfig {
    pub fn new(secret_key: SecretKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            secret_key,
            api_version: API_VERSION.to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            rate_limit: None,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    pub(crate) fn effective_rate_limit(&self) -> RateLimit {
        self.rate_limit.unwrap_or_else(|| RateLimit::for_key(&self.secret_key))
    }
}
