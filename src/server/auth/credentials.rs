//! Input types that can only exist when valid (parse, don't validate).

use crate::domain::AppError;
use crate::say;

pub const MIN_PASSWORD_LEN: usize = 12;
const MAX_PASSWORD_LEN: usize = 256;

/// A trimmed, lower-cased address with one `@` and something on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(AppError::validation("email", say!("enter an address like name@example.org", "name@example.org のような形式で入力してください")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password long enough to keep; never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if len < MIN_PASSWORD_LEN {
            return Err(AppError::validation("password", say!("use at least {MIN_PASSWORD_LEN} characters", "{MIN_PASSWORD_LEN}文字以上で入力してください")));
        }
        if len > MAX_PASSWORD_LEN {
            return Err(AppError::validation("password", say!("use at most {MAX_PASSWORD_LEN} characters", "{MAX_PASSWORD_LEN}文字以内で入力してください")));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

/// A display name: trimmed, 1 to 100 characters.
pub fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AppError::validation("name", say!("enter a name", "名前を入力してください"))),
        1..=100 => Ok(name.to_string()),
        _ => Err(AppError::validation("name", say!("use at most 100 characters", "100文字以内で入力してください"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Ann@Example.ORG ").map(|e| e.0), Ok("ann@example.org".into()));
        for bad in ["", "ann", "@x", "ann@", "a b@x", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn short_passwords_are_refused_with_the_field_named() {
        match Password::parse("short") {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "password"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(format!("{:?}", Password::parse("correct horse battery").ok()), "Some(Password(**redacted**))");
    }
}
