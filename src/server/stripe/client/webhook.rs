//! Webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, where each `v1` is
//! HMAC-SHA256 of `"<t>.<raw body>"` under the endpoint's `whsec_` secret. Several `v1` values
//! appear while a secret is being rolled; any one matching is enough.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::events::Event;

/// How far a signature's timestamp may be from our clock, as Stripe's libraries default to.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A webhook endpoint's signing secret (`whsec_...`), redacted in `Debug`.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct WebhookSecret {
    value: String,
    keyed: Hmac<Sha256>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("a webhook secret cannot be empty")]
    EmptySecret,
    #[error("the Stripe-Signature header has no valid t= timestamp")]
    MissingTimestamp,
    #[error("the Stripe-Signature header has no v1= signature")]
    MissingSignature,
    #[error("no v1 signature matches the payload")]
    SignatureMismatch,
    #[error("the signature timestamp {timestamp} is more than {tolerance_secs} s from now ({now})")]
    OutsideTolerance { timestamp: i64, now: i64, tolerance_secs: u64 },
    #[error("the payload is not a Stripe event: {0}")]
    InvalidPayload(String),
}

impl WebhookSecret {
    pub fn new(value: impl Into<String>) -> Result<Self, WebhookError> {
        let value = value.into();
        if value.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        let keyed = Hmac::<Sha256>::new_from_slice(value.as_bytes()).map_err(|_| WebhookError::EmptySecret)?;
        Ok(Self { value, keyed })
    }

    /// The secret itself, for storing it; never log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    fn signature(&self, timestamp: i64, payload: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }
}

impl TryFrom<String> for WebhookSecret {
    type Error = WebhookError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.value.as_bytes().ct_eq(other.value.as_bytes()).into()
    }
}

impl Eq for WebhookSecret {}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// The `Stripe-Signature` value Stripe would send for `payload` at `timestamp`.
pub fn sign(payload: &[u8], secret: &WebhookSecret, timestamp: i64) -> String {
    format!("t={timestamp},v1={}", hex::encode(secret.signature(timestamp, payload)))
}

/// Checks the signature against our clock and returns the signed timestamp.
pub fn verify(payload: &[u8], header: &str, secret: &WebhookSecret) -> Result<i64, WebhookError> {
    verify_at(payload, header, secret, DEFAULT_TOLERANCE, unix_now())
}

/// Checks the signature as of `now` (unix seconds).
pub fn verify_at(payload: &[u8], header: &str, secret: &WebhookSecret, tolerance: Duration, now: i64) -> Result<i64, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for (name, value) in header.split(',').filter_map(|part| part.split_once('=')) {
        match name.trim() {
            "t" if timestamp.is_none() => timestamp = value.trim().parse::<i64>().ok(),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let expected = secret.signature(timestamp, payload);
    // Every candidate is compared, so timing does not reveal which one (if any) matched.
    let matched = signatures
        .iter()
        .filter_map(|candidate| hex::decode(candidate).ok())
        .fold(subtle::Choice::from(0), |found, candidate| found | expected.as_slice().ct_eq(&candidate));
    if !bool::from(matched) {
        return Err(WebhookError::SignatureMismatch);
    }
    let tolerance_secs = tolerance.as_secs();
    if timestamp.abs_diff(now) > tolerance_secs {
        return Err(WebhookError::OutsideTolerance { timestamp, now, tolerance_secs });
    }
    Ok(timestamp)
}

/// Verifies the signature, then parses the event.
pub fn construct_event(payload: &[u8], header: &str, secret: &WebhookSecret) -> Result<Event, WebhookError> {
    verify(payload, header, secret)?;
    serde_json::from_slice(payload).map_err(|e| WebhookError::InvalidPayload(e.to_string()))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().and_then(|elapsed| i64::try_from(elapsed.as_secs()).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1795000000,"livemode":false,"data":{"object":{"id":"in_1"}}}"#;

    fn secret() -> WebhookSecret {
        WebhookSecret::new("whsec_test_secret").unwrap()
    }

    fn check(header: &str, body: &[u8], now: i64) -> Result<i64, WebhookError> {
        verify_at(body, header, &secret(), DEFAULT_TOLERANCE, now)
    }

    #[test]
    fn a_fresh_signature_verifies() {
        let header = sign(BODY, &secret(), NOW);
        assert_eq!(check(&header, BODY, NOW), Ok(NOW));
        assert_eq!(check(&header, BODY, NOW + 300), Ok(NOW));
    }

    #[test]
    fn signs_the_timestamp_dot_payload_string() {
        // The signed message is "<t>.<payload>", nothing more.
        let header = sign(b"x", &WebhookSecret::new("key").unwrap(), 1);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"1.x");
        assert_eq!(header, format!("t=1,v1={}", hex::encode(mac.finalize().into_bytes())));
    }

    #[test]
    fn a_tampered_body_fails() {
        let header = sign(BODY, &secret(), NOW);
        let tampered = String::from_utf8_lossy(BODY).replace("invoice.paid", "invoice.voided");
        assert_eq!(check(&header, tampered.as_bytes(), NOW), Err(WebhookError::SignatureMismatch));
    }

    #[test]
    fn a_changed_timestamp_or_another_secret_fails() {
        let header = sign(BODY, &secret(), NOW).replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(check(&header, BODY, NOW), Err(WebhookError::SignatureMismatch));
        let other = sign(BODY, &WebhookSecret::new("whsec_other").unwrap(), NOW);
        assert_eq!(check(&other, BODY, NOW), Err(WebhookError::SignatureMismatch));
    }

    #[test]
    fn stale_and_future_timestamps_fail() {
        let header = sign(BODY, &secret(), NOW);
        assert_eq!(check(&header, BODY, NOW + 301), Err(WebhookError::OutsideTolerance { timestamp: NOW, now: NOW + 301, tolerance_secs: 300 }));
        assert!(matches!(check(&header, BODY, NOW - 301), Err(WebhookError::OutsideTolerance { .. })));
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = sign(BODY, &secret(), NOW);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        let rolled = sign(BODY, &WebhookSecret::new("whsec_old").unwrap(), NOW);
        let old_v1 = rolled.split_once(",v1=").unwrap().1;
        let header = format!("t={NOW},v1={old_v1},v0=abc,v1=nothex, v1={good_v1}");
        assert_eq!(check(&header, BODY, NOW), Ok(NOW));
        let none_match = format!("t={NOW},v1={old_v1},v1=00");
        assert_eq!(check(&none_match, BODY, NOW), Err(WebhookError::SignatureMismatch));
    }

    #[test]
    fn malformed_headers_say_what_is_missing() {
        assert_eq!(check("v1=abcd", BODY, NOW), Err(WebhookError::MissingTimestamp));
        assert_eq!(check("t=soon,v1=abcd", BODY, NOW), Err(WebhookError::MissingTimestamp));
        assert_eq!(check(&format!("t={NOW}"), BODY, NOW), Err(WebhookError::MissingSignature));
        assert_eq!(check(&format!("t={NOW},v0=abcd"), BODY, NOW), Err(WebhookError::MissingSignature));
        assert_eq!(check("", BODY, NOW), Err(WebhookError::MissingTimestamp));
    }

    #[test]
    fn construct_event_parses_a_verified_payload() {
        let header = sign(BODY, &secret(), unix_now());
        let event = construct_event(BODY, &header, &secret()).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "invoice.paid");
        let bad = b"not json";
        let header = sign(bad, &secret(), unix_now());
        assert!(matches!(construct_event(bad, &header, &secret()), Err(WebhookError::InvalidPayload(_))));
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        assert_eq!(format!("{:?}", secret()), "WebhookSecret([redacted])");
        assert_eq!(WebhookSecret::new(""), Err(WebhookError::EmptySecret));
        let parsed: WebhookSecret = serde_json::from_str(r#""whsec_test_secret""#).unwrap();
        assert_eq!(parsed, secret());
    }
}
