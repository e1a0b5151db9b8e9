//! The one error type of the Stripe client.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Retry-After values above this are ignored: the server is asking for more patience than a
/// request in flight should have, so the caller decides instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request did not complete: connection refused or reset, TLS failure, body cut off.
    #[error("could not reach Stripe: {0}")]
    Transport(#[source] reqwest::Error),
    /// One attempt ran past the per-attempt timeout.
    #[error("Stripe did not answer within {0:?}")]
    Timeout(Duration),
    /// A success status whose body is not the object we asked for. Never retried: the change
    /// may have been applied.
    #[error("Stripe answered HTTP {status} with a body that does not decode: {reason}")]
    Decode {
        status: u16,
        reason: String,
        /// The object's `id`, when the body shows one: what was made, though not readable.
        id: Option<String>,
    },
    #[error("invalid Stripe client configuration: {0}")]
    Config(String),
}

/// Stripe's `error.type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum ErrorType {
    ApiError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    /// A type this client does not know yet (or a body that was not a Stripe error at all).
    Other(String),
}

/// An error response from Stripe, with the headers that steer retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub kind: ErrorType,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub param: Option<String>,
    pub message: Option<String>,
    pub doc_url: Option<String>,
    /// `Request-Id`, what Stripe support asks for.
    pub request_id: Option<String>,
    /// `Stripe-Should-Retry`, when Stripe sent it.
    pub should_retry: Option<bool>,
    /// `Retry-After`, when present and reasonable.
    pub retry_after: Option<Duration>,
}

impl StripeError {
    /// Whether the same request, with the same idempotency key, may succeed if sent again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(api) => api.is_retryable(),
            Self::Transport(error) => !error.is_builder(),
            Self::Timeout(_) => true,
            Self::Decode { .. } | Self::Config(_) => false,
        }
    }

    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.api().map(|api| api.status)
    }

    pub fn code(&self) -> Option<&str> {
        self.api().and_then(|api| api.code.as_deref())
    }

    /// The key was reused with different parameters (or for a different endpoint).
    pub fn is_idempotency_error(&self) -> bool {
        self.api().is_some_and(|api| api.kind == ErrorType::IdempotencyError)
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|api| api.retry_after)
    }

    /// The URL is dropped from the error: a GET's query string carries filters (emails, ids)
    /// that have no business in logs.
    pub(crate) fn from_transport(error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() { Self::Timeout(timeout) } else { Self::Transport(error.without_url()) }
    }
}

impl ApiError {
    /// Reads an error response; a body that is not Stripe's error envelope (a proxy's HTML
    /// page, say) still yields an error carrying the status, so status-based retries apply.
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let fields = serde_json::from_slice::<Envelope>(body).map_or_else(
            |_| ErrorBody {
                kind: Some(ErrorType::Other("unrecognized_response".to_owned())),
                message: Some(format!("HTTP {} without a Stripe error body", status.as_u16())),
                ..ErrorBody::default()
            },
            |envelope| envelope.error,
        );
        Self {
            status: status.as_u16(),
            kind: fields.kind.unwrap_or_else(|| ErrorType::Other(String::new())),
            code: fields.code,
            decline_code: fields.decline_code,
            param: fields.param,
            message: fields.message,
            doc_url: fields.doc_url,
            request_id: header("request-id").map(str::to_owned),
            should_retry: match header("stripe-should-retry") {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            retry_after: header("retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs).filter(|d| *d <= MAX_RETRY_AFTER),
        }
    }

    /// Stripe's own answer wins; otherwise conflicts (409), failed dependencies (424), rate
    /// limits (429) and server errors (5xx) are worth another try with the same key.
    pub fn is_retryable(&self) -> bool {
        self.should_retry.unwrap_or(matches!(self.status, 409 | 424 | 429 | 500..=599))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stripe HTTP {} {}", self.status, self.kind)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(param) = &self.param {
            write!(f, " (param {param})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl ErrorType {
    pub fn as_str(&self) -> &str {
        match self {
            Self::ApiError => "api_error",
            Self::CardError => "card_error",
            Self::IdempotencyError => "idempotency_error",
            Self::InvalidRequestError => "invalid_request_error",
            Self::Other(other) => other,
        }
    }
}

impl From<String> for ErrorType {
    fn from(value: String) -> Self {
        match value.as_str() {
            "api_error" => Self::ApiError,
            "card_error" => Self::CardError,
            "idempotency_error" => Self::IdempotencyError,
            "invalid_request_error" => Self::InvalidRequestError,
            _ => Self::Other(value),
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorBody,
}

#[derive(Default, Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: Option<ErrorType>,
    code: Option<String>,
    decline_code: Option<String>,
    param: Option<String>,
    message: Option<String>,
    doc_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn error(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> ApiError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        ApiError::from_response(StatusCode::from_u16(status).unwrap(), &map, body.as_bytes())
    }

    const MISSING: &str = r#"{"error":{"type":"invalid_request_error","code":"parameter_missing",
        "param":"amount_requested[value]","message":"Missing required param: amount_requested[value].",
        "doc_url":"https://docs.stripe.com/error-codes/parameter-missing","request_log_url":"x"}}"#;

    #[test]
    fn reads_every_field_of_a_stripe_error() {
        let e = error(400, &[("request-id", "req_123")], MISSING);
        assert_eq!(e.status, 400);
        assert_eq!(e.kind, ErrorType::InvalidRequestError);
        assert_eq!(e.code.as_deref(), Some("parameter_missing"));
        assert_eq!(e.param.as_deref(), Some("amount_requested[value]"));
        assert_eq!(e.message.as_deref(), Some("Missing required param: amount_requested[value]."));
        assert_eq!(e.doc_url.as_deref(), Some("https://docs.stripe.com/error-codes/parameter-missing"));
        assert_eq!(e.request_id.as_deref(), Some("req_123"));
        assert_eq!(e.decline_code, None);
        assert!(!e.is_retryable());
        assert_eq!(
            e.to_string(),
            "Stripe HTTP 400 invalid_request_error parameter_missing (param amount_requested[value]): \
             Missing required param: amount_requested[value]."
        );
    }

    #[test]
    fn card_and_unknown_types_and_decline_codes() {
        let card = error(402, &[], r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}}"#);
        assert_eq!(card.kind, ErrorType::CardError);
        assert_eq!(card.decline_code.as_deref(), Some("insufficient_funds"));
        let novel = error(400, &[], r#"{"error":{"type":"brand_new_error","message":"m"}}"#);
        assert_eq!(novel.kind, ErrorType::Other("brand_new_error".to_owned()));
        let idem = StripeError::Api(Box::new(error(400, &[], r#"{"error":{"type":"idempotency_error"}}"#)));
        assert!(idem.is_idempotency_error());
        assert!(!idem.is_retryable());
    }

    #[test]
    fn a_body_that_is_not_a_stripe_error_keeps_the_status() {
        let e = error(502, &[], "<html>Bad gateway</html>");
        assert_eq!(e.status, 502);
        assert_eq!(e.kind, ErrorType::Other("unrecognized_response".to_owned()));
        assert!(e.is_retryable());
    }

    #[test]
    fn retryable_statuses_without_a_header() {
        for status in [409, 424, 429, 500, 502, 503, 504] {
            assert!(error(status, &[], "{}").is_retryable(), "{status}");
        }
        for status in [400, 401, 402, 403, 404] {
            assert!(!error(status, &[], "{}").is_retryable(), "{status}");
        }
    }

    #[test]
    fn stripe_should_retry_overrides_the_status() {
        assert!(!error(500, &[("stripe-should-retry", "false")], "{}").is_retryable());
        assert!(!error(429, &[("stripe-should-retry", "false")], "{}").is_retryable());
        assert!(error(400, &[("stripe-should-retry", "true")], "{}").is_retryable());
        assert!(error(503, &[("stripe-should-retry", "maybe")], "{}").is_retryable());
    }

    #[test]
    fn retry_after_is_read_when_reasonable() {
        assert_eq!(error(429, &[("retry-after", "2")], "{}").retry_after, Some(Duration::from_secs(2)));
        assert_eq!(error(429, &[("retry-after", "3600")], "{}").retry_after, None);
        assert_eq!(error(429, &[("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")], "{}").retry_after, None);
    }

    #[test]
    fn non_api_errors_classify() {
        assert!(StripeError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(!StripeError::Decode { status: 200, reason: "x".into(), id: None }.is_retryable());
        assert!(!StripeError::Config("x".into()).is_retryable());
        assert_eq!(StripeError::Timeout(Duration::from_secs(1)).status(), None);
    }
}
