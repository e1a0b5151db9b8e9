//! `POST /stripe/webhook`: Stripe's events, signature checked before anything is stored. A
//! forged or unsigned delivery is answered 401, a stale or malformed one 400, and neither
//! leaves a trace; a known event is answered 200 and changes nothing.

use crate::domain::billing::EventVia;
use crate::server::AppState;
use crate::server::billing::events;
use crate::server::stripe::client::webhook::{WebhookError, construct_event};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

pub fn routes() -> Router<AppState> {
    Router::new().route("/stripe/webhook", post(receive))
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (Some(secret), Some(stripe)) = (&state.webhook_secret, &state.stripe) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)").into_response();
    };
    let Some(signature) = headers.get("stripe-signature").and_then(|v| v.to_str().ok()) else {
        return (StatusCode::UNAUTHORIZED, "missing Stripe-Signature").into_response();
    };
    let event = match construct_event(&body, signature, secret) {
        Ok(event) => event,
        Err(e @ (WebhookError::SignatureMismatch | WebhookError::MissingSignature | WebhookError::MissingTimestamp)) => {
            tracing::warn!(error = %e, "stripe webhook: refused a delivery");
            return (StatusCode::UNAUTHORIZED, e.to_string()).into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, "stripe webhook: refused a delivery");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    match events::store(&state.db, &event, EventVia::Webhook).await {
        Ok(true) => {
            // Stored first, so a crash here leaves it to the background loop; processing reads
            // Stripe, which Stripe's own delivery should not wait for.
            let (db, stripe, id, slots) = (state.db.clone(), stripe.clone(), event.id.clone(), state.event_slots.clone());
            tokio::spawn(async move {
                // The semaphore is never closed; stored, the event is also found by the catch-up.
                let Ok(_slot) = slots.acquire_owned().await else { return };
                if let Err(e) = events::process(&db, &stripe, &id).await {
                    tracing::warn!(error = %e, event = %id, "stripe webhook: processing");
                }
            });
            (StatusCode::OK, "received").into_response()
        }
        Ok(false) => (StatusCode::OK, "already received").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "stripe webhook: storing an event");
            // Stripe delivers it again later.
            (StatusCode::INTERNAL_SERVER_ERROR, "could not store the event").into_response()
        }
    }
}
