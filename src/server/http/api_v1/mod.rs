//! `/api/v1`: the JSON API the currency's payment system calls, authenticated by API key.

mod client;
mod openapi;
mod transactions;

use crate::domain::AppError;
use crate::server::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/transactions", post(transactions::create).get(transactions::list))
        .route("/api/v1/transactions/{id}", get(transactions::retrieve))
        .route("/api/v1/accounts", post(transactions::open_accounts))
        .route("/api/v1/openapi.json", get(openapi::document))
}

/// Errors in the API's shape: `{"error": {"type", "message", "field"?, "errors"?}}`.
pub struct ApiError {
    status: StatusCode,
    body: serde_json::Value,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        Self { status, body: json!({ "error": { "type": kind, "message": message.into() } }) }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "error": { "type": serde_json::to_value(&e).ok().and_then(|v| v.get("kind").cloned()), "message": e.to_string() } });
        if let AppError::Validation { field, .. } = &e {
            body["error"]["field"] = json!(field);
        }
        Self { status, body }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
