//! What every API handler receives: the decoded parameters (query string for GET and DELETE, the
//! form body for POST), the `expand[]` list, and the request's identity for the events it causes.

use super::errors::ApiError;
use super::expand;
use super::form::{self, Form};
use super::params::Fields;
use super::store::Store;
use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use serde_json::Value;

/// Stripe's limit on a request body is far below this; it only bounds memory.
const MAX_BODY: usize = 1 << 20;

#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub id: String,
    pub idempotency_key: Option<String>,
}

pub struct Req {
    pub form: Form,
    pub expand: Vec<String>,
    pub meta: RequestMeta,
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let meta = request.extensions().get::<RequestMeta>().cloned().unwrap_or_default();
        let raw = if request.method() == Method::POST {
            axum::body::to_bytes(request.into_body(), MAX_BODY)
                .await
                .map_err(|_| ApiError::invalid_value("body", "The request body could not be read."))?
                .to_vec()
        } else {
            request.uri().query().unwrap_or_default().as_bytes().to_vec()
        };
        let form = form::decode(&raw)?;
        let expand = expand_list(&form)?;
        Ok(Req { form, expand, meta })
    }
}

/// `expand[]` on its own, before the endpoint checks the other parameters.
fn expand_list(form: &Form) -> Result<Vec<String>, ApiError> {
    let Some(expand) = form.get("expand") else { return Ok(Vec::new()) };
    let alone: Form = [("expand".to_string(), expand.clone())].into();
    let paths: Vec<String> = Fields::root(&alone, &[])?.strings("expand")?.into_iter().map(str::to_string).collect();
    expand::check_depth(&paths)?;
    Ok(paths)
}

impl Req {
    /// The top-level parameters, refusing any not in `allowed` (`expand` is always allowed).
    pub fn fields(&self, allowed: &[&str]) -> Result<Fields<'_>, ApiError> {
        Fields::root(&self.form, allowed)
    }

    /// The response for `value` with the requested expansions applied.
    pub fn respond(&self, store: &Store, mut value: Value) -> Result<Json<Value>, ApiError> {
        expand::apply(store, &mut value, &self.expand)?;
        Ok(Json(value))
    }
}
