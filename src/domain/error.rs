use super::locale::Locale;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Words for a person, in both languages the console speaks. An error is worded where it
/// arises, which only the server knows, and the page shows the language its reader reads.
/// Words given in English only (API answers, messages not translated yet) read in English in both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
}

impl Message {
    pub fn in_locale(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => self.ja.as_deref().unwrap_or(&self.en),
            Locale::En => &self.en,
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl From<String> for Message {
    fn from(en: String) -> Self {
        Self { en, ja: None }
    }
}

impl From<&str> for Message {
    fn from(en: &str) -> Self {
        Self { en: en.to_string(), ja: None }
    }
}

/// A [`Message`] in English and Japanese, each written as for `format!` with the same values
/// (Japanese may take them in its own order: `{1}の{0}`). A value that is itself a word, such as
/// a status, is given in each language after a semicolon: `say!("is {}", "は{}"; status => 名前)`.
#[macro_export]
macro_rules! say {
    ($en:literal, $ja:literal $(, $value:expr)* $(,)?) => {
        $crate::domain::Message { en: format!($en $(, $value)*), ja: Some(format!($ja $(, $value)*)) }
    };
    ($en:literal, $ja:literal; $($en_value:expr => $ja_value:expr),+ $(,)?) => {
        $crate::domain::Message { en: format!($en $(, $en_value)*), ja: Some(format!($ja $(, $ja_value)*)) }
    };
}

/// The one error type every server function and API route returns.
///
/// Variants are things a person can act on; everything else collapses into `Internal`,
/// whose details are logged on the server and never sent to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("The email or password is not right.")]
    InvalidCredentials,
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error("{field}: {message}")]
    Validation { field: String, message: Message },
    #[error("Not found: {what}.")]
    NotFound { what: String },
    #[error("{message}")]
    Conflict { message: Message },
    /// Answered with `Retry-After: retry_after_secs`.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("Something went wrong on our side. It has been logged.")]
    Internal,
    #[error("The request could not be completed: {message}")]
    Request { message: String },
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<Message>) -> Self {
        Self::Validation { field: field.into(), message: message.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub fn conflict(message: impl Into<Message>) -> Self {
        Self::Conflict { message: message.into() }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::Validation { .. } => 422,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::TooManyRequests { .. } => 429,
            Self::Internal => 500,
            Self::Request { .. } => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Request { message: value.to_string() }
    }
}
