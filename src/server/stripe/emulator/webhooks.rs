//! Webhook endpoints (`POST /v1/webhook_endpoints` returns the `whsec_` secret once) and delivery:
//! each event is POSTed with `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`,
//! and a failed delivery is retried with doubling delays a bounded number of times.

use super::errors::{ApiError, ApiResult};
use super::list::{ListQuery, PAGINATION, list_json, paginate_table};
use super::params::Metadata;
use super::request::Req;
use super::store::Row;
use super::{Emulator, events, ids};
use axum::extract::{Path, State};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAX_ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);

#[derive(Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub created: i64,
    pub url: String,
    pub secret: String,
    enabled_events: Vec<String>,
    description: Option<String>,
    metadata: Metadata,
    api_version: Option<String>,
    deleted: bool,
}

impl Row for WebhookEndpoint {
    fn id(&self) -> &str {
        &self.id
    }
}

impl WebhookEndpoint {
    pub fn accepts(&self, kind: &str) -> bool {
        !self.deleted && self.enabled_events.iter().any(|e| e == "*" || e == kind)
    }

    fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": self.metadata,
            "status": "enabled",
            "url": self.url,
        })
    }
}

/// One event on its way to one endpoint.
pub struct Delivery {
    pub event: String,
    pub url: String,
    pub secret: String,
    pub payload: Arc<str>,
}

/// The `Stripe-Signature` header value for `payload` signed at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, payload: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    Some(format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes())))
}

pub async fn deliver(emu: Emulator, delivery: Delivery) {
    let mut delay = FIRST_RETRY;
    for attempt in 1..=MAX_ATTEMPTS {
        emu.stats().webhook_attempts.add();
        if send(&emu, &delivery).await {
            events::delivered(&mut *emu.store().await, &delivery.event);
            emu.changed();
            emu.stats().webhook_deliveries.add();
            return;
        }
        if attempt < MAX_ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    emu.stats().webhook_failures.add();
}

async fn send(emu: &Emulator, delivery: &Delivery) -> bool {
    // The semaphore is never closed; without a permit nothing is sent and the attempt retries.
    let Ok(_slot) = emu.webhook_slots().acquire().await else { return false };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let Some(signature) = signature_header(&delivery.secret, now, &delivery.payload) else { return false };
    let sent = emu
        .http()
        .post(&delivery.url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header("stripe-signature", signature)
        .body(delivery.payload.to_string())
        .send()
        .await;
    sent.is_ok_and(|response| response.status().is_success())
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["url", "enabled_events", "description", "metadata", "api_version", "connect"])?;
    let url = p.required_str("url")?;
    if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        return Err(ApiError::invalid_value("url", format!("Invalid URL: {url}")));
    }
    let enabled_events: Vec<String> = p.strings("enabled_events")?.into_iter().map(str::to_string).collect();
    if enabled_events.is_empty() {
        return Err(ApiError::missing("enabled_events"));
    }
    if let Some(i) = enabled_events.iter().position(|e| e.is_empty()) {
        return Err(ApiError::invalid_empty(&format!("enabled_events[{i}]")));
    }
    if p.bool("connect")? == Some(true) {
        return Err(ApiError::invalid_value("connect", "The emulator has no connected accounts."));
    }
    let description = p.text("description")?;
    let metadata = p.new_metadata("metadata")?;
    let api_version = p.text("api_version")?;
    let url = url.to_string();
    emu.write(&req.meta, |store| {
        let endpoint = WebhookEndpoint {
            id: ids::new_id("we"),
            created: store.now(),
            url,
            secret: ids::secret("whsec"),
            enabled_events,
            description,
            metadata,
            api_version,
            deleted: false,
        };
        let mut body = endpoint.render();
        body["secret"] = json!(endpoint.secret);
        store.webhook_endpoints.insert(endpoint);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let endpoint = store.webhook_endpoints.get(&id).filter(|e| !e.deleted).ok_or_else(|| ApiError::no_such("webhook_endpoint", &id))?;
        req.respond(store, endpoint.render())
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let query = ListQuery::parse(&req.fields(&PAGINATION)?)?;
    emu.read(|store| {
        let page = paginate_table(&store.webhook_endpoints, &query, |e| !e.deleted, "webhook_endpoint")?;
        let data = page.items.into_iter().map(WebhookEndpoint::render).collect();
        req.respond(store, list_json("/v1/webhook_endpoints", data, page.has_more))
    })
    .await
}

pub async fn delete(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.write(&req.meta, |store| {
        let endpoint = store.webhook_endpoints.get_mut(&id).filter(|e| !e.deleted).ok_or_else(|| ApiError::no_such("webhook_endpoint", &id))?;
        endpoint.deleted = true;
        req.respond(store, json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_payload() {
        // Computed independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test
        let header = signature_header("whsec_test", 1_700_000_000, "{}").unwrap();
        assert_eq!(header, "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91");
    }
}
