//! Idempotency keys: every POST carries one, chosen by the caller so that a retry, a restart or
//! a replayed job reaches Stripe with the same key and cannot apply a change twice.

use std::fmt;

/// Stripe's limit on the `Idempotency-Key` header.
pub const MAX_LEN: usize = 255;

/// A validated `Idempotency-Key`: 1 to 255 visible ASCII characters (no spaces, which HTTP
/// would trim at the ends and which make keys ambiguous in logs).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("an idempotency key cannot be empty")]
    Empty,
    #[error("an idempotency key is at most {MAX_LEN} characters, this one has {0}")]
    TooLong(usize),
    #[error("an idempotency key holds only visible ASCII characters")]
    InvalidCharacter,
    #[error("an idempotency action is lowercase letters, digits and '_' (got '{0}')")]
    InvalidAction(String),
}

impl IdempotencyKey {
    pub fn new(value: impl Into<String>) -> Result<Self, IdempotencyKeyError> {
        let value = value.into();
        if value.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if value.len() > MAX_LEN {
            return Err(IdempotencyKeyError::TooLong(value.len()));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdempotencyKeyError::InvalidCharacter);
        }
        Ok(Self(value))
    }

    /// The key for one `action` on one of our own operations, e.g.
    /// `derive("tx_0193f2", "report_payment")` gives `report_payment/tx_0193f2`.
    ///
    /// The same inputs always give the same key, which is what makes a retried job safe. The
    /// action may not contain `/`, so distinct (operation, action) pairs never share a key.
    pub fn derive(operation_id: &str, action: &str) -> Result<Self, IdempotencyKeyError> {
        let action_ok = !action.is_empty() && action.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !action_ok {
            return Err(IdempotencyKeyError::InvalidAction(action.to_owned()));
        }
        Self::new(format!("{action}/{operation_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = IdempotencyKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_255_visible_ascii_characters() {
        assert_eq!(IdempotencyKey::new("a").unwrap().as_str(), "a");
        let longest = "k".repeat(MAX_LEN);
        assert_eq!(IdempotencyKey::new(longest.clone()).unwrap().as_str(), longest);
        assert!(IdempotencyKey::new("0193f2c4-7e1a-7b3c-9d2e-3f4a5b6c7d8e").is_ok());
        assert!(IdempotencyKey::new("~!@#$%^&*()[]{}").is_ok());
    }

    #[test]
    fn rejects_empty_too_long_and_invisible() {
        assert_eq!(IdempotencyKey::new(""), Err(IdempotencyKeyError::Empty));
        assert_eq!(IdempotencyKey::new("k".repeat(MAX_LEN + 1)), Err(IdempotencyKeyError::TooLong(256)));
        assert_eq!(IdempotencyKey::new("a b"), Err(IdempotencyKeyError::InvalidCharacter));
        assert_eq!(IdempotencyKey::new("a\tb"), Err(IdempotencyKeyError::InvalidCharacter));
        assert_eq!(IdempotencyKey::new("a\r\nX-Injected: 1"), Err(IdempotencyKeyError::InvalidCharacter));
        assert_eq!(IdempotencyKey::new("é"), Err(IdempotencyKeyError::InvalidCharacter));
    }

    #[test]
    fn derive_is_deterministic_and_readable() {
        let first = IdempotencyKey::derive("tx_0193f2", "report_payment").unwrap();
        let again = IdempotencyKey::derive("tx_0193f2", "report_payment").unwrap();
        assert_eq!(first, again);
        assert_eq!(first.as_str(), "report_payment/tx_0193f2");
    }

    #[test]
    fn derive_separates_actions_and_operations() {
        let pay = IdempotencyKey::derive("tx_1", "report_payment").unwrap();
        let refund = IdempotencyKey::derive("tx_1", "report_refund").unwrap();
        let other_tx = IdempotencyKey::derive("tx_2", "report_payment").unwrap();
        assert_ne!(pay, refund);
        assert_ne!(pay, other_tx);
        // An operation id containing the separator cannot imitate another action's key.
        let tricky = IdempotencyKey::derive("b/c", "a").unwrap();
        assert!(IdempotencyKey::derive("c", "a/b").is_err());
        assert_eq!(tricky.as_str(), "a/b/c");
    }

    #[test]
    fn derive_rejects_bad_actions_and_oversized_operations() {
        for action in ["", "Report", "report payment", "a/b", "a-b"] {
            assert_eq!(IdempotencyKey::derive("tx_1", action), Err(IdempotencyKeyError::InvalidAction(action.to_owned())), "{action}");
        }
        let long_op = "x".repeat(MAX_LEN);
        assert!(matches!(IdempotencyKey::derive(&long_op, "pay"), Err(IdempotencyKeyError::TooLong(_))));
        assert_eq!(IdempotencyKey::derive("tx 1", "pay"), Err(IdempotencyKeyError::InvalidCharacter));
    }
}
