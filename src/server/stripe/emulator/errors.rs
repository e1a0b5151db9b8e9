//! Stripe's error body `{"error":{"type","code","message","param","doc_url"}}` and the errors the
//! emulator returns. Absent fields are omitted, as Stripe omits them.

use super::form::FormError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

pub type ApiResult = Result<Json<Value>, ApiError>;

/// Marks a response that the idempotency layer must not save: Stripe saves a result only once
/// the endpoint started executing, not for parameter validation failures.
#[derive(Clone, Copy, Debug)]
pub struct NotSaved;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
    saved: bool,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, code: Option<&'static str>, message: String) -> Self {
        ApiError { status, kind, code, message, param: None, saved: false }
    }

    fn invalid(code: Option<&'static str>, param: impl Into<String>, message: String) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message);
        e.param = Some(param.into());
        e
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(Some("parameter_missing"), param, format!("Missing required param: {param}."))
    }

    pub fn unknown(param: &str) -> Self {
        Self::invalid(Some("parameter_unknown"), param, format!("Received unknown parameter: {param}"))
    }

    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(Some("parameter_invalid_integer"), param, format!("Invalid integer: {value}"))
    }

    pub fn invalid_empty(param: &str) -> Self {
        Self::invalid(
            Some("parameter_invalid_empty"),
            param,
            format!(
                "You passed an empty string for '{param}'. We assume empty values are an attempt to unset a \
                 parameter; however '{param}' cannot be unset. You should remove '{param}' from your request \
                 or supply a non-empty value."
            ),
        )
    }

    /// A value of the wrong shape or outside its allowed set; Stripe sends no `code` for these.
    pub fn invalid_value(param: &str, message: impl Into<String>) -> Self {
        Self::invalid(None, param, message.into())
    }

    /// A path id that does not exist.
    pub fn no_such(object: &str, id: &str) -> Self {
        let mut e = Self::new(StatusCode::NOT_FOUND, "invalid_request_error", Some("resource_missing"), format!("No such {object}: '{id}'"));
        e.param = Some("id".to_string());
        e
    }

    /// A parameter naming an object that does not exist.
    pub fn no_such_param(object: &str, id: &str, param: &str) -> Self {
        Self::invalid(Some("resource_missing"), param, format!("No such {object}: '{id}'"))
    }

    /// A state rule refused the request after it started executing; replayed like any result.
    pub fn state(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None, message.into());
        e.saved = true;
        e
    }

    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn unauthorized(message: String) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", None, message)
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used \
                 with. Try using a key other than '{key}' if you meant to execute a different request."
            ),
        )
    }

    pub fn idempotency_in_use() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            Some("idempotency_key_in_use"),
            "There is currently another in-progress request using this Idempotent Key (that probably means \
             you submitted twice, and the other request is still going through): please try again later."
                .to_string(),
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_request_error",
            Some("rate_limit"),
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.".to_string(),
        )
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", None, "An unknown error occurred while processing your request.".to_string())
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help \
                 at https://support.stripe.com/."
            ),
        )
    }

    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), self.kind.into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(code) = self.code {
            error.insert("code".into(), code.into());
            error.insert("doc_url".into(), format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")).into());
        }
        if let Some(param) = &self.param {
            error.insert("param".into(), param.clone().into());
        }
        let mut body = Map::new();
        body.insert("error".into(), Value::Object(error));
        Value::Object(body)
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        ApiError::invalid_value(&e.param, e.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if !self.saved {
            response.extensions_mut().insert(NotSaved);
        }
        response
    }
}
