use super::ApiError;
use super::client::ApiClient;
use crate::domain::ledger::{Source, TransactionView};
use crate::server::AppState;
use crate::server::db::audit::Actor;
use crate::server::db::ledger::{self, TransactionFilter};
use crate::server::ledger::{BatchError, ItemError, accounts, input, post_batch};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

fn actor(client: &ApiClient) -> Actor {
    Actor { user_id: None, label: format!("api_key:{}", client.key_name), ip: None }
}

fn invalid(errors: Vec<ItemError>) -> ApiError {
    let count = errors.len();
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("{count} item(s) are invalid; nothing was recorded"));
    // The API answers in English, whatever language a person would read the same refusal in.
    e.body["error"]["errors"] = errors.iter().map(|e| json!({ "index": e.index, "field": e.field, "message": e.message.en })).collect();
    e
}

/// The array under `key` in a JSON object body, or a clear 400.
fn array_field(body: Result<Json<Value>, JsonRejection>, key: &str) -> Result<Vec<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text()))?;
    match body {
        Value::Object(mut map) => match map.remove(key) {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("send {{\"{key}\": [ … ]}}"))),
        },
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("send {{\"{key}\": [ … ]}}"))),
    }
}

pub async fn create(client: ApiClient, State(state): State<AppState>, body: Result<Json<Value>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    let items = array_field(body, "transactions")?;
    let mut errors = Vec::new();
    let mut inputs = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match input::from_json(index, item) {
            Ok(i) => inputs.push(i),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let actor = actor(&client);
    // A concurrent identical batch can win the race to a reference; the second try then finds
    // it recorded and answers with its id.
    let mut result = post_batch(&state.db, Source::Api, inputs.clone(), &actor).await;
    if matches!(&result, Err(BatchError::Database(sqlx::Error::Database(e))) if e.is_unique_violation()) {
        result = post_batch(&state.db, Source::Api, inputs, &actor).await;
    }
    match result {
        Ok(posted) => Ok(Json(json!({
            "data": posted.iter().map(|p| json!({ "index": p.index, "id": p.id, "external_ref": p.external_ref, "created": p.created })).collect::<Vec<_>>()
        }))),
        Err(BatchError::Invalid(errors)) => Err(invalid(errors)),
        Err(BatchError::Database(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ListParams {
    limit: Option<i64>,
    starting_after: Option<String>,
}

pub async fn list(_client: ApiClient, State(state): State<AppState>, Query(params): Query<ListParams>) -> Result<Json<Value>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(crate::domain::AppError::validation("limit", "use 1 to 100").into());
    }
    let filter = TransactionFilter { before: params.starting_after, limit, ..TransactionFilter::default() };
    let (views, next): (Vec<TransactionView>, Option<String>) = ledger::list_views(&state.db, &filter).await?;
    Ok(Json(json!({ "data": views, "has_more": next.is_some(), "next_cursor": next })))
}

pub async fn retrieve(_client: ApiClient, State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<TransactionView>, ApiError> {
    ledger::view(&state.db, &id).await?.map(Json).ok_or_else(|| crate::domain::AppError::not_found(format!("transaction {id}")).into())
}

pub async fn open_accounts(client: ApiClient, State(state): State<AppState>, body: Result<Json<Value>, JsonRejection>) -> Result<Json<Value>, ApiError> {
    let items = array_field(body, "accounts")?;
    if items.len() > 1000 {
        return Err(crate::domain::AppError::validation("accounts", "send at most 1000 per request").into());
    }
    let mut errors = Vec::new();
    let mut new = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let text = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or_default();
        match accounts::NewAccount::parse(text("kind"), text("display_name"), text("external_ref")) {
            Ok(n) => new.push(n),
            Err(crate::domain::AppError::Validation { field, message }) => errors.push(ItemError { index, field, message }),
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let views = accounts::open_many(&state.db, &actor(&client), new).await?;
    Ok(Json(json!({ "data": views })))
}
