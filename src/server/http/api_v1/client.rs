use super::ApiError;
use crate::server::AppState;
use crate::server::auth::api_keys;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

/// An API caller that presented a live key; its name is recorded as the actor.
pub struct ApiClient {
    pub key_name: String,
}

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "send an API key as `Authorization: Bearer rgk_…`"))?;
        match api_keys::authenticate(&state.db, presented.trim()).await? {
            Some(key_name) => Ok(Self { key_name }),
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "this API key is unknown or revoked")),
        }
    }
}
