//! Stripe's events: received at `POST /stripe/webhook` (signature checked first) or found by
//! the periodic catch-up, stored once by id, and processed by reading the object's current
//! state from Stripe, so a replay, a late delivery or an out-of-order one leaves the same result.

use super::customers::unreachable_stripe;
use super::{dunning, sync};
use crate::domain::AppError;
use crate::domain::billing::{EventFilter, EventPage, EventRow, EventState, EventVia};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::invoices as store;
use crate::server::db::stripe_events::{self, StoredEvent};
use crate::server::db::{Db, format_ms, now_ms, settings};
use crate::server::ledger::queries::{given, parse_cursor};
use crate::server::stripe::client::events::{Event, ListEvents};
use crate::server::stripe::client::invoices::{CollectionMethod, InvoiceStatus as StripeInvoiceStatus};
use crate::server::stripe::client::{ListOptions, StripeClient, StripeError, TimeRange};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::watch;

/// The events Regio processes; the webhook endpoint is registered for these.
pub const HANDLED: [&str; 10] = [
    "invoice.finalized",
    "invoice.paid",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.payment_attempt_required",
    "invoice_payment.paid",
    "credit_note.created",
    "customer.deleted",
    "customer.subscription.updated",
    "customer.subscription.deleted",
];

const PAGE_SIZE: usize = 50;
/// A failed event is tried again by the background loop this many times in all.
const MAX_ATTEMPTS: i64 = 10;
/// The catch-up asks again from a little before the newest event it has: Stripe's `created`
/// is in seconds and events of one second can arrive in any order.
const OVERLAP_SECS: i64 = 300;
/// With no event stored yet, the catch-up starts this far back.
const FIRST_LOOKBACK_SECS: i64 = 3 * 86_400;
/// At most this many events per catch-up round; the next round goes on from there.
const MAX_PER_CATCH_UP: usize = 5_000;
const LAST_CATCH_UP: &str = "stripe_events.last_catch_up";

/// What the event is about: the invoice for invoice, invoice-payment and credit-note events; the
/// customer for customer events.
fn subject(event: &Event) -> Option<String> {
    let object = &event.data.object;
    let id = |v: &Value| v.as_str().map(str::to_string).or_else(|| v.get("id").and_then(Value::as_str).map(str::to_string));
    if event.kind.starts_with("invoice_payment.") || event.kind.starts_with("credit_note.") {
        return object.get("invoice").and_then(id);
    }
    object.get("id").and_then(id)
}

/// Stores a verified event unless it is known; `true` when it was new (and so wants processing).
pub async fn store(db: &Db, event: &Event, via: EventVia) -> Result<bool, sqlx::Error> {
    stripe_events::insert_new(db, &event.id, &event.kind, subject(event).as_deref(), event.created, via).await
}

/// Processes the stored event and records the outcome; answers the outcome.
pub async fn process(db: &Db, stripe: &StripeClient, id: &str) -> Result<StoredEvent, AppError> {
    let mut tx = db.begin().await?;
    let event = stripe_events::find(&mut tx, id).await?.ok_or_else(|| AppError::not_found(format!("event {id}")))?;
    drop(tx);
    let outcome = handle(db, stripe, &event).await;
    let mut wtx = db.begin_write().await?;
    match outcome {
        Ok(Handled::Done(result)) => stripe_events::finish(&mut wtx.tx, id, EventState::Processed, Some(&result), None).await?,
        Ok(Handled::Ignored(result)) => stripe_events::finish(&mut wtx.tx, id, EventState::Ignored, Some(&result), None).await?,
        Err(error) => stripe_events::finish(&mut wtx.tx, id, EventState::Failed, None, Some(&error)).await?,
    }
    let done = stripe_events::find(&mut wtx.tx, id).await?.ok_or(AppError::Internal)?;
    wtx.commit().await?;
    Ok(done)
}

enum Handled {
    Done(String),
    Ignored(String),
}

async fn handle(db: &Db, stripe: &StripeClient, event: &StoredEvent) -> Result<Handled, String> {
    if !HANDLED.contains(&event.kind.as_str()) {
        return Ok(Handled::Ignored(format!("Regio does not act on {}", event.kind)));
    }
    let Some(object) = event.object_id.as_deref() else { return Ok(Handled::Ignored("the event names no object".into())) };
    let stripe_failed = |e: StripeError| format!("reading {object} from Stripe: {e}");
    if event.kind == "customer.deleted" {
        let gone = match stripe.customers().retrieve(object, &[]).await {
            Ok(customer) => customer.deleted,
            Err(e) if e.code() == Some("resource_missing") => true,
            Err(e) => return Err(stripe_failed(e)),
        };
        return unlink_deleted(db, object, gone).await.map_err(|e| format!("database: {e}"));
    }
    let database = |e: sqlx::Error| format!("database: {e}");
    if event.kind.starts_with("customer.subscription.") {
        let read_at = now_ms();
        let subscription = stripe.subscriptions().retrieve(object, &[]).await.map_err(stripe_failed)?;
        let mut wtx = db.begin_write().await.map_err(database)?;
        let applied = sync::apply_subscription(&mut wtx.tx, db.for_update(), &subscription, read_at).await.map_err(database)?;
        wtx.commit().await.map_err(database)?;
        return Ok(handled(applied));
    }
    let invoice = stripe.invoices().retrieve(object, &[]).await.map_err(stripe_failed)?;
    let mut wtx = db.begin_write().await.map_err(database)?;
    let applied = sync::apply(&mut wtx.tx, &invoice).await.map_err(database)?;
    wtx.commit().await.map_err(database)?;
    // A subscription's invoice asking to be paid is paid from the wallet now.
    let automatic = invoice.collection_method == Some(CollectionMethod::ChargeAutomatically) && invoice.status == Some(StripeInvoiceStatus::Open);
    match applied.regio_id.as_deref().filter(|_| automatic) {
        Some(id) => match dunning::collect_automatically(db, id).await {
            Ok(collected) => Ok(Handled::Done(format!("{}; {collected}", applied.said))),
            Err(e) => Err(format!("{}; collecting it: {e}", applied.said)),
        },
        None => Ok(handled(applied)),
    }
}

fn handled(applied: sync::Applied) -> Handled {
    match applied.regio_id {
        Some(_) => Handled::Done(applied.said),
        None => Handled::Ignored(applied.said),
    }
}

/// A customer deleted in Stripe leaves its account unlinked (audited as Stripe's doing).
async fn unlink_deleted(db: &Db, customer: &str, gone: bool) -> Result<Handled, sqlx::Error> {
    if !gone {
        return Ok(Handled::Ignored(format!("{customer} still exists in Stripe")));
    }
    let mut wtx = db.begin_write().await?;
    let Some(account) = store::account_of_customer(&mut wtx.tx, customer).await? else {
        return Ok(Handled::Ignored(format!("{customer} is not linked to an account")));
    };
    store::set_customer(&mut wtx.tx, &account.id, None).await?;
    let event = AuditEvent {
        action: "billing.customer_deleted_in_stripe",
        target: &format!("account:{}", account.id),
        before: Some(json!({ "stripe_customer_id": customer })),
        after: Some(json!({ "stripe_customer_id": null })),
    };
    audit::record(&mut wtx.tx, &Actor { label: "stripe".into(), ..Actor::system() }, event).await?;
    wtx.commit().await?;
    Ok(Handled::Done(format!("{} ({}) unlinked: {customer} was deleted in Stripe", account.display_name, account.external_ref)))
}

/// Asks Stripe for the events since the newest one stored, stores those not seen, then
/// processes every event still pending or failed; answers how many new events it found.
pub async fn catch_up(db: &Db, stripe: &StripeClient) -> Result<usize, AppError> {
    let since = match stripe_events::newest_created(db).await? {
        Some(newest) => newest - OVERLAP_SECS,
        None => now_ms() / 1000 - FIRST_LOOKBACK_SECS,
    };
    let request = ListEvents {
        types: HANDLED.iter().map(|t| t.to_string()).collect(),
        created: Some(TimeRange { gte: Some(since), ..TimeRange::default() }),
        page: ListOptions::limit(100),
        ..ListEvents::default()
    };
    let mut pages = stripe.events().list(&request);
    let (mut seen, mut new) = (0, 0);
    while seen < MAX_PER_CATCH_UP {
        match pages.next_item().await {
            Ok(Some(event)) => {
                seen += 1;
                if store(db, &event, EventVia::CatchUp).await? {
                    new += 1;
                }
            }
            Ok(None) => break,
            Err(e) => return Err(unreachable_stripe(e)),
        }
    }
    settings::put(db, LAST_CATCH_UP, &format!("{} · {seen} events read, {new} new", format_ms(now_ms()))).await?;
    process_unprocessed(db, stripe).await?;
    Ok(new)
}

/// Processes what is pending or failed (fewer than `MAX_ATTEMPTS` times), oldest first.
pub async fn process_unprocessed(db: &Db, stripe: &StripeClient) -> Result<(), AppError> {
    for event in stripe_events::unprocessed(db, MAX_ATTEMPTS, 500).await? {
        process(db, stripe, &event.id).await?;
    }
    Ok(())
}

/// Runs the catch-up every `interval` until `stop`.
pub async fn schedule(db: Db, stripe: StripeClient, interval: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = catch_up(&db, &stripe).await {
            tracing::warn!(error = %e, "billing: catching up on Stripe events");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

fn row_of(e: StoredEvent) -> EventRow {
    EventRow {
        id: e.id,
        kind: e.kind,
        object_id: e.object_id,
        created_at: format_ms(e.created.saturating_mul(1000)),
        received_at: format_ms(e.received_at),
        via: e.via,
        state: e.state,
        attempts: e.attempts,
        error: e.error,
        processed_at: e.processed_at.map(format_ms),
        result: e.result,
    }
}

pub async fn event_page(db: &Db, filter: &EventFilter, after: Option<String>) -> Result<EventPage, AppError> {
    let (rows, next_cursor) = event_rows(db, filter, after, PAGE_SIZE).await?;
    Ok(EventPage { rows, next_cursor, last_catch_up: settings::get(db, LAST_CATCH_UP).await? })
}

/// Up to `limit` of the events `filter` chooses, newest first, after the cursor `after`; and
/// the cursor of the rest, if any.
pub async fn event_rows(db: &Db, filter: &EventFilter, after: Option<String>, limit: usize) -> Result<(Vec<EventRow>, Option<String>), AppError> {
    let state = given(filter.state.clone()).map(|s| s.parse::<EventState>().map_err(|e| AppError::validation("state", e))).transpose()?;
    let kind = given(filter.kind.clone());
    if kind.as_ref().is_some_and(|k| k.len() > 100) {
        return Err(AppError::validation("kind", say!("is not an event type", "イベントの種類として正しくありません")));
    }
    let cursor = after.map(|c| parse_cursor("after", &c)).transpose()?;
    let mut rows = stripe_events::page(db, state, kind.as_deref(), cursor, limit).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(|r| format!("{}_{}", r.received_at, r.id)) } else { None };
    Ok((rows.into_iter().map(row_of).collect(), next_cursor))
}

pub async fn reprocess_event(db: &Db, stripe: Option<&StripeClient>, actor: &Actor, id: &str) -> Result<EventRow, AppError> {
    let stripe = stripe.ok_or_else(|| {
        AppError::conflict(say!("Stripe is not configured: events cannot be processed", "Stripe が設定されていません。イベントを処理できません"))
    })?;
    let mut tx = db.begin().await?;
    let before = stripe_events::find(&mut tx, id).await?.ok_or_else(|| AppError::not_found(format!("event {id}")))?;
    drop(tx);
    let after = process(db, stripe, id).await?;
    let mut wtx = db.begin_write().await?;
    let event = AuditEvent {
        action: "billing.event_reprocess",
        target: &format!("stripe_event:{id}"),
        before: Some(json!({ "state": before.state, "result": before.result, "error": before.error })),
        after: Some(json!({ "state": after.state, "result": after.result, "error": after.error })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(row_of(after))
}
