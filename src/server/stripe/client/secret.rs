//! The Stripe secret key: kept out of logs, `Debug` and `Display`, and only ever turned into a
//! header value that HTTP libraries treat as sensitive.

use std::fmt;

use reqwest::header::HeaderValue;

/// Whether a key acts on live money or on Stripe's test mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    Test,
    Live,
}

/// A Stripe secret (`sk_`) or restricted (`rk_`) API key.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    value: String,
    mode: KeyMode,
    authorization: HeaderValue,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    #[error("a Stripe secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_")]
    UnknownPrefix,
    #[error("a Stripe secret key holds only visible ASCII characters")]
    InvalidCharacters,
}

const PREFIXES: [(&str, KeyMode); 4] = [("sk_test_", KeyMode::Test), ("rk_test_", KeyMode::Test), ("sk_live_", KeyMode::Live), ("rk_live_", KeyMode::Live)];

impl SecretKey {
    pub fn new(value: impl Into<String>) -> Result<Self, SecretKeyError> {
        let value = value.into();
        let mode = PREFIXES
            .iter()
            .find(|(prefix, _)| value.len() > prefix.len() && value.starts_with(prefix))
            .map(|(_, mode)| *mode)
            .ok_or(SecretKeyError::UnknownPrefix)?;
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SecretKeyError::InvalidCharacters);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {value}")).map_err(|_| SecretKeyError::InvalidCharacters)?;
        authorization.set_sensitive(true);
        Ok(Self { value, mode, authorization })
    }

    pub fn mode(&self) -> KeyMode {
        self.mode
    }

    pub fn is_live(&self) -> bool {
        self.mode == KeyMode::Live
    }

    pub fn is_test(&self) -> bool {
        self.mode == KeyMode::Test
    }

    /// `Bearer <key>`, flagged sensitive so that HTTP stacks redact it from their own logs.
    pub(crate) fn authorization_header(&self) -> HeaderValue {
        self.authorization.clone()
    }

    /// The prefix alone (`sk_test_`), which is all a log line may show.
    fn redacted(&self) -> &str {
        self.value.get(..8).unwrap_or_default()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}[redacted])", self.redacted())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[redacted]", self.redacted())
    }
}

impl std::str::FromStr for SecretKey {
    type Err = SecretKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_test_51AbCdEfGhIjKlMnOp";

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = SecretKey::new(KEY).unwrap();
        let shown = format!("{key:?} {key} {:?}", Some(&key));
        assert!(!shown.contains("51AbCd"), "{shown}");
        assert!(shown.contains("sk_test_[redacted]"), "{shown}");
    }

    #[test]
    fn modes_follow_the_prefix() {
        assert!(SecretKey::new(KEY).unwrap().is_test());
        assert!(SecretKey::new("rk_test_x").unwrap().is_test());
        let live = SecretKey::new("sk_live_x").unwrap();
        assert!(live.is_live() && !live.is_test());
        assert_eq!(SecretKey::new("rk_live_x").unwrap().mode(), KeyMode::Live);
    }

    #[test]
    fn rejects_what_is_not_a_secret_key() {
        assert_eq!(SecretKey::new("pk_test_abc"), Err(SecretKeyError::UnknownPrefix));
        assert_eq!(SecretKey::new("sk_test_"), Err(SecretKeyError::UnknownPrefix));
        assert_eq!(SecretKey::new("whsec_abc"), Err(SecretKeyError::UnknownPrefix));
        assert_eq!(SecretKey::new("sk_test_a b"), Err(SecretKeyError::InvalidCharacters));
        assert_eq!(SecretKey::new("sk_test_a\n"), Err(SecretKeyError::InvalidCharacters));
    }

    #[test]
    fn authorization_header_is_sensitive_bearer() {
        let header = SecretKey::new(KEY).unwrap().authorization_header();
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap(), format!("Bearer {KEY}"));
        assert!(!format!("{header:?}").contains("51AbCd"));
    }
}
