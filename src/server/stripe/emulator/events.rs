//! Events: each state change records a snapshot of the object, listed by `GET /v1/events` and
//! queued for the webhook endpoints whose `enabled_events` match. (Stripe has no
//! `payment_record.*` events, so reporting payments records none.)

use super::errors::{ApiError, ApiResult};
use super::list::{CreatedRange, ListQuery, PAGINATION, list_json, paginate};
use super::request::Req;
use super::store::{Row, Store};
use super::webhooks::Delivery;
use super::{API_VERSION, Emulator, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// Stripe's limit on `types[]`.
const MAX_TYPES: usize = 20;

#[derive(Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub created: i64,
    pub kind: String,
    body: Value,
    pending_webhooks: usize,
}

impl Row for Event {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Event {
    pub fn render(&self) -> Value {
        let mut body = self.body.clone();
        body["pending_webhooks"] = json!(self.pending_webhooks);
        body
    }
}

pub fn emit(store: &mut Store, kind: &str, object: Value, previous: Option<Value>) {
    let created = store.now();
    let id = ids::new_id("evt");
    let targets: Vec<(String, String)> = store.webhook_endpoints.rows().iter().filter(|e| e.accepts(kind)).map(|e| (e.url.clone(), e.secret.clone())).collect();
    let pending_webhooks = targets.len();
    let mut data = json!({ "object": object });
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    let body = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": false,
        "pending_webhooks": pending_webhooks,
        "request": { "id": store.request.id, "idempotency_key": store.request.idempotency_key },
        "type": kind,
    });
    if !targets.is_empty() {
        // Stripe sends the event pretty-printed; the signature covers these exact bytes.
        let payload: Arc<str> = serde_json::to_string_pretty(&body).unwrap_or_default().into();
        let deliveries = targets.into_iter().map(|(url, secret)| Delivery { event: id.clone(), url, secret, payload: payload.clone() });
        store.outbox.extend(deliveries);
    }
    store.events.insert(Event { id, created, kind: kind.to_string(), body, pending_webhooks });
}

/// Emits an `*.updated` event carrying the top-level fields that changed.
pub fn emit_update(store: &mut Store, kind: &str, before: &Value, after: Value) {
    let mut previous = serde_json::Map::new();
    if let Some(fields) = before.as_object() {
        for (key, old) in fields {
            if after.get(key) != Some(old) {
                previous.insert(key.clone(), old.clone());
            }
        }
    }
    emit(store, kind, after, Some(Value::Object(previous)));
}

/// One webhook endpoint received the event.
pub fn delivered(store: &mut Store, event: &str) {
    if let Some(e) = store.events.get_mut(event) {
        e.pending_webhooks = e.pending_webhooks.saturating_sub(1);
    }
}

fn matches(kind: &str, filter: &str) -> bool {
    match filter.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => kind == filter,
    }
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["type", "types", "created"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let created = CreatedRange::parse(&p, "created")?;
    let kind = p.text("type")?;
    let kinds = p.strings("types")?;
    if kind.is_some() && !kinds.is_empty() {
        return Err(ApiError::invalid_value("types", "You may only specify one of these parameters: type, types."));
    }
    if kinds.len() > MAX_TYPES {
        return Err(ApiError::invalid_value("types", format!("You may pass at most {MAX_TYPES} types.")));
    }
    emu.read(|store| {
        let rows = store.events.rows();
        let window = created.window(rows, |e| e.created);
        let lo = window.start as i64;
        let keep = |e: &Event| kind.as_deref().is_none_or(|k| matches(&e.kind, k)) && (kinds.is_empty() || kinds.contains(&e.kind.as_str()));
        let cursor_at = |id: &str| store.events.position(id).map(|p| p as i64 - lo);
        let page = paginate(&rows[window], &query, cursor_at, keep, "event")?;
        let data = page.items.into_iter().map(Event::render).collect();
        req.respond(store, list_json("/v1/events", data, page.has_more))
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let event = store.events.get(&id).ok_or_else(|| ApiError::no_such("event", &id))?;
        req.respond(store, event.render())
    })
    .await
}
