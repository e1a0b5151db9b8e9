//! Emulator-only routes under `/_emulator/`, outside Stripe's API and untouched by its faults:
//! fault settings (JSON or form), reset, counters, how long idempotency keys are kept, and an
//! edit a Dashboard user could make.
//! They take the same API key as `/v1/`: a web page can make a browser post a form anywhere, but
//! not with an `Authorization` header, so no page can change the emulator behind its user's back.

use super::auth;
use super::errors::{ApiError, ApiResult};
use super::payment_records::Outcome;
use super::request::Req;
use super::{Emulator, form};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/faults", get(faults).post(set_faults))
        .route("/reset", post(reset))
        .route("/idempotency", post(set_idempotency))
        .route("/stats", get(stats))
        .route("/payment_records/{id}", post(edit_payment_record).delete(delete_payment_record))
        .layer(from_fn(require_api_key))
}

async fn require_api_key(request: Request, next: Next) -> Response {
    match auth::api_key(request.headers()) {
        Ok(_) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn faults(State(emu): State<Emulator>) -> Response {
    Json(emu.faults().config()).into_response()
}

/// Changes the given fault settings, e.g. `{"error_rate": 0.2, "seed": 7}` or `fail_next=2`.
async fn set_faults(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    match settings(&headers, &body).and_then(|s| emu.faults().update(&s)) {
        Ok(config) => Json(config).into_response(),
        Err(message) => (StatusCode::BAD_REQUEST, Json(json!({ "error": { "type": "invalid_request_error", "message": message } }))).into_response(),
    }
}

/// Flat settings from a JSON object or a form body.
fn settings(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let is_json = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Ok(form::pairs(body).into_iter().collect());
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Err("The body must be a JSON object.".to_string());
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => return Err(format!("{key} must be a string, number or boolean.")),
        };
        out.insert(key, text);
    }
    Ok(out)
}

/// `retention_secs=N`: saved idempotent results are kept N seconds instead of 24 hours, and
/// older ones are forgotten now (0 forgets every key, as a day passing would).
async fn set_idempotency(State(emu): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let secs = settings(&headers, &body).and_then(|s| match s.get("retention_secs").map(|v| v.trim().parse::<u64>()) {
        Some(Ok(secs)) if s.len() == 1 => Ok(secs),
        _ => Err("Send retention_secs, a whole number of seconds.".to_string()),
    });
    match secs {
        Ok(secs) => {
            emu.idempotency().set_retention(std::time::Duration::from_secs(secs));
            emu.changed();
            Json(json!({ "retention_secs": secs })).into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, Json(json!({ "error": { "type": "invalid_request_error", "message": message } }))).into_response(),
    }
}

/// Forgets every object, saved idempotent result, fault setting and counter.
async fn reset(State(emu): State<Emulator>) -> Json<Value> {
    emu.reset().await;
    Json(json!({ "reset": true }))
}

async fn stats(State(emu): State<Emulator>) -> Json<Value> {
    let mut stats = emu.stats().snapshot();
    stats["objects"] = emu.store().await.counts();
    Json(stats)
}

/// Changes a payment record the way a person could by hand, directly, with no event and no API
/// request behind it: description, metadata, and (to stage reconciliation breaks) its amount,
/// currency, outcome and customer.
async fn edit_payment_record(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["description", "metadata", "amount_requested", "currency", "outcome", "customer"])?;
    let description = p.text_update("description")?;
    let metadata = p.metadata("metadata")?;
    let amount = p.amount("amount_requested")?;
    let currency = p.text("currency")?;
    let outcome = p.one_of("outcome", &["guaranteed", "failed", "canceled"])?;
    let customer = p.text_update("customer")?;
    let mut store = emu.store().await;
    let record = store.payment_records.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
    if let Some(m) = metadata {
        record.details.metadata = m.applied(&record.details.metadata)?;
    }
    if let Some(d) = description {
        record.details.description = d;
    }
    if let Some(a) = amount {
        record.amount_requested = a;
    }
    if let Some(c) = currency {
        record.currency = c.to_lowercase();
    }
    if let Some(o) = outcome {
        record.outcome = match o {
            "guaranteed" => Outcome::Guaranteed,
            "failed" => Outcome::Failed,
            _ => Outcome::Canceled,
        };
    }
    if let Some(c) = customer {
        record.details.customer_details = c.map(|c| json!({ "customer": c, "email": null, "name": null, "phone": null }));
    }
    let body = record.render();
    drop(store);
    emu.changed();
    Ok(Json(body))
}

/// Removes a payment record, as deleting test data in the Dashboard does.
async fn delete_payment_record(State(emu): State<Emulator>, Path(id): Path<String>) -> ApiResult {
    let mut store = emu.store().await;
    store.payment_records.remove(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
    drop(store);
    emu.changed();
    Ok(Json(json!({ "id": id, "deleted": true })))
}
