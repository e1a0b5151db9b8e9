//! API key check: `Authorization: Bearer sk_test_…`. Live keys are refused, since the emulator
//! only stands in for test mode.

use super::errors::ApiError;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

const TEST_PREFIX: &str = "sk_test_";

/// The caller's secret key, which also scopes idempotency keys.
pub fn api_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication \
             for details, or we can help at https://support.stripe.com/."
                .to_string(),
        ));
    };
    let text = value.to_str().unwrap_or_default();
    let key = text.strip_prefix("Bearer ").unwrap_or_default().trim();
    let rest = key.strip_prefix(TEST_PREFIX).unwrap_or_default();
    if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(key.to_string());
    }
    Err(ApiError::unauthorized(format!("Invalid API Key provided: {}", redact(key))))
}

/// Stripe shows the start and the last four characters of a rejected key.
fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn test_keys_pass_and_others_do_not() {
        assert_eq!(api_key(&with("Bearer sk_test_abc123")).unwrap(), "sk_test_abc123");
        assert!(api_key(&with("Bearer sk_live_abc123")).is_err());
        assert!(api_key(&with("Bearer sk_test_")).is_err());
        assert!(api_key(&with("Basic c2tfdGVzdF9hYmM6")).is_err());
        assert_eq!(api_key(&HeaderMap::new()).unwrap_err().status, 401);
    }

    #[test]
    fn rejected_keys_are_redacted_in_the_message() {
        let err = api_key(&with("Bearer sk_live_0123456789abcd")).unwrap_err();
        assert_eq!(err.message, "Invalid API Key provided: sk_live_**********abcd");
    }
}
