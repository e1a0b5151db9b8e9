//! Subscriptions (`sub_`) to recurring prices. Each period gets one invoice, finalized at once:
//! the first when the subscription is created, the next ones as the customer's test clock passes
//! each period's end. `send_invoice` subscriptions are active from the start; `charge_automatically`
//! ones stay `incomplete` until their first invoice is paid, since the emulator has no card to
//! charge. One whose latest invoice is still open a day after asking for payment is `past_due`
//! until nothing is due on it. Paused collection closes each new invoice as the pause says.

mod endpoints;
mod proration;

pub use endpoints::{cancel, create, list, retrieve, update};
pub use proration::create_preview;

use super::billing::catalog::{self, Recurring};
use super::billing::invoices::{self, CollectionMethod, Line, LineSource, NewInvoice};
use super::errors::ApiError;
use super::list::embedded_list;
use super::params::Metadata;
use super::render::merged;
use super::store::{Row, Store};
use super::words::{self, Word, Words};
use super::{events, ids};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Month, OffsetDateTime};

/// Bounds the invoices one clock advance may create for one subscription.
pub const MAX_PERIODS_PER_ADVANCE: u32 = 1_000;

/// The statuses the emulator gives a subscription (it has no trials or cards to charge).
struct SubscriptionStatus;

impl Words for SubscriptionStatus {
    const ALL: &'static [&'static str] = &["active", "canceled", "incomplete", "past_due"];
}

/// How long Stripe waits on an invoice that asked for payment before the subscription is
/// `past_due`; Stripe's first automatic retry comes about a day after finalizing.
const PAST_DUE_AFTER: i64 = 86_400;

/// What becomes of the invoices made while collection is paused (`pause_collection[behavior]`).
struct PauseBehavior;

impl Words for PauseBehavior {
    const ALL: &'static [&'static str] = &["keep_as_draft", "mark_uncollectible", "void"];
}

#[derive(Clone, Serialize, Deserialize)]
struct PauseCollection {
    #[serde(deserialize_with = "words::one::<PauseBehavior, _>")]
    behavior: Word,
    resumes_at: Option<i64>,
}

/// Why a customer says they cancel (`cancellation_details[feedback]`).
struct Feedback;

impl Words for Feedback {
    const ALL: &'static [&'static str] =
        &["customer_service", "low_quality", "missing_features", "other", "switched_service", "too_complex", "too_expensive", "unused"];
}

/// Why a subscription ended; the emulator ends one only when asked to.
struct CancellationReason;

impl Words for CancellationReason {
    const ALL: &'static [&'static str] = &["cancellation_requested"];
}

/// `cancellation_details`: the customer's comment and feedback, and why it ended.
#[derive(Default, Serialize, Deserialize)]
struct Cancellation {
    comment: Option<String>,
    #[serde(deserialize_with = "words::optional::<Feedback, _>")]
    feedback: Option<Word>,
    #[serde(deserialize_with = "words::optional::<CancellationReason, _>")]
    reason: Option<Word>,
}

#[derive(Serialize, Deserialize)]
pub struct SubscriptionItem {
    id: String,
    created: i64,
    price: String,
    quantity: i64,
    metadata: Metadata,
}

#[derive(Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    #[serde(deserialize_with = "words::one::<SubscriptionStatus, _>")]
    pub status: Word,
    pub test_clock: Option<String>,
    created: i64,
    currency: String,
    #[serde(deserialize_with = "words::one::<CollectionMethod, _>")]
    collection_method: Word,
    days_until_due: Option<i64>,
    items: Vec<SubscriptionItem>,
    recurring: Recurring,
    /// The billing cycle anchor: period `n` runs from boundary `n` to boundary `n + 1`.
    anchor: i64,
    period: u32,
    cancel_at_period_end: bool,
    canceled_at: Option<i64>,
    ended_at: Option<i64>,
    cancellation: Cancellation,
    latest_invoice: Option<String>,
    #[serde(default)]
    pause_collection: Option<PauseCollection>,
    description: Option<String>,
    metadata: Metadata,
}

impl Row for Subscription {
    fn id(&self) -> &str {
        &self.id
    }
}

/// The start of period `n` after `anchor`. Months keep the anchor's day of month, clamped to
/// shorter months (Jan 31 → Feb 28 → Mar 31), as Stripe bills.
pub fn boundary(anchor: i64, recurring: Recurring, n: u32) -> Option<i64> {
    let steps = recurring.count.checked_mul(i64::from(n))?;
    match recurring.interval {
        "day" => anchor.checked_add(steps.checked_mul(86_400)?),
        "week" => anchor.checked_add(steps.checked_mul(7 * 86_400)?),
        "month" => add_months(anchor, steps),
        _ => add_months(anchor, steps.checked_mul(12)?),
    }
}

fn add_months(at: i64, months: i64) -> Option<i64> {
    let start = OffsetDateTime::from_unix_timestamp(at).ok()?;
    let index = i64::from(start.year()) * 12 + i64::from(u8::from(start.month())) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, start.day().min(month.length(year))).ok()?;
    Some(date.with_time(start.time()).assume_utc().unix_timestamp())
}

fn period_error() -> ApiError {
    ApiError::state("The subscription's billing period lies outside the supported range of dates.")
}

impl Subscription {
    /// A new invoice of this subscription, advancing by itself.
    fn invoice(&self, reason: &'static str, lines: Vec<Line>) -> NewInvoice {
        NewInvoice {
            customer: self.customer.clone(),
            currency: self.currency.clone(),
            collection_method: self.collection_method,
            days_until_due: self.days_until_due,
            due_date: None,
            description: None,
            metadata: Metadata::new(),
            auto_advance: true,
            subscription: Some(self.id.clone()),
            billing_reason: reason,
            lines,
        }
    }

    pub fn current_period(&self) -> Result<(i64, i64), ApiError> {
        let start = boundary(self.anchor, self.recurring, self.period).ok_or_else(period_error)?;
        let end = boundary(self.anchor, self.recurring, self.period + 1).ok_or_else(period_error)?;
        Ok((start, end))
    }

    /// How many period ends lie at or before `t`.
    pub fn periods_ending_by(&self, t: i64) -> Result<u32, ApiError> {
        let mut n = 0;
        while boundary(self.anchor, self.recurring, self.period + n + 1).ok_or_else(period_error)? <= t {
            n += 1;
            if n > MAX_PERIODS_PER_ADVANCE {
                break;
            }
        }
        Ok(n)
    }

    pub fn render(&self, store: &Store) -> Value {
        let (start, end) = self.current_period().unwrap_or((self.anchor, self.anchor));
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "object": "subscription_item",
                    "billing_thresholds": null,
                    "created": i.created,
                    "current_period_end": end,
                    "current_period_start": start,
                    "discounts": [],
                    "metadata": i.metadata,
                    "price": store.prices.get(&i.price).map(catalog::Price::render),
                    "quantity": i.quantity,
                    "subscription": self.id,
                    "tax_rates": [],
                })
            })
            .collect();
        let Cancellation { comment, feedback, reason } = &self.cancellation;
        let head = json!({
            "id": self.id,
            "object": "subscription",
            "application": null,
            "application_fee_percent": null,
            "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
            "billing_cycle_anchor": self.anchor,
            "billing_cycle_anchor_config": null,
            "billing_mode": { "type": "classic" },
            "billing_thresholds": null,
            "cancel_at": if self.cancel_at_period_end { Some(end) } else { None },
            "cancel_at_period_end": self.cancel_at_period_end,
            "canceled_at": self.canceled_at,
            "cancellation_details": { "comment": comment, "feedback": feedback, "reason": reason },
            "collection_method": self.collection_method,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "days_until_due": self.days_until_due,
            "default_payment_method": null,
            "default_source": null,
            "default_tax_rates": [],
            "description": self.description,
            "discounts": [],
        });
        let tail = json!({
            "ended_at": self.ended_at,
            "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
            "items": embedded_list(&format!("/v1/subscription_items?subscription={}", self.id), items),
            "latest_invoice": self.latest_invoice,
            "livemode": false,
            "metadata": self.metadata,
            "next_pending_invoice_item_invoice": null,
            "on_behalf_of": null,
            "pause_collection": self.pause_collection.as_ref().map(|p| json!({ "behavior": p.behavior, "resumes_at": p.resumes_at })),
            "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
            "pending_invoice_item_interval": null,
            "pending_setup_intent": null,
            "pending_update": null,
            "schedule": null,
            "start_date": self.created,
            "status": self.status,
            "test_clock": self.test_clock,
            "transfer_data": null,
            "trial_end": null,
            "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
            "trial_start": null,
        });
        merged([head, tail])
    }
}

/// The invoice lines for the current period: each item's price times its quantity.
fn period_lines(store: &Store, sub: &Subscription) -> Result<Vec<Line>, ApiError> {
    let period = sub.current_period()?;
    sub.items
        .iter()
        .map(|item| {
            let price = catalog::price(store, &item.price, "items")?;
            let product = store.products.get(&price.product).map_or("", |p| p.name.as_str());
            let amount = price.unit_amount.checked_mul(item.quantity).ok_or_else(|| ApiError::state("The subscription item's amount is too large."))?;
            Ok(Line {
                id: ids::new_id("il"),
                amount,
                currency: price.currency.clone(),
                description: Some(format!("{} × {product}", item.quantity)),
                period,
                quantity: item.quantity,
                unit_amount: Some(price.unit_amount),
                price: Some((price.id.clone(), price.product.clone())),
                source: LineSource::SubscriptionItem { subscription: sub.id.clone(), item: item.id.clone() },
                metadata: Metadata::new(),
            })
        })
        .collect()
}

/// Invoices the subscription's current period and finalizes that invoice, or closes it as a
/// pause of collection asks.
fn bill(store: &mut Store, id: &str, reason: &'static str) -> Result<(), ApiError> {
    let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
    let lines = period_lines(store, sub)?;
    let pause = sub.pause_collection.as_ref().map(|p| p.behavior);
    let invoice = invoice_for(store, id, reason, lines)?;
    match pause {
        None => invoices::finalize(store, &invoice),
        Some("keep_as_draft") => {
            invoices::get_mut(store, &invoice)?.auto_advance = false;
            Ok(())
        }
        Some("void") => invoices::finalize_closed(store, &invoice, invoices::Status::Void),
        Some(_) => invoices::finalize_closed(store, &invoice, invoices::Status::Uncollectible),
    }
}

/// A draft invoice of the subscription with these lines, made its latest invoice.
fn invoice_for(store: &mut Store, id: &str, reason: &'static str, lines: Vec<Line>) -> Result<String, ApiError> {
    let new = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?.invoice(reason, lines);
    let invoice = invoices::insert(store, new);
    if let Some(s) = store.subscriptions.get_mut(id) {
        s.latest_invoice = Some(invoice.clone());
    }
    Ok(invoice)
}

/// Moves the subscription to the status its latest invoice implies at time `now`: `incomplete`
/// or `past_due` become `active` once nothing is due on it, and an `active` one charged
/// automatically is `past_due` when that invoice is still open [`PAST_DUE_AFTER`] after it
/// asked for payment.
pub fn refresh_status(store: &mut Store, id: &str, now: i64) {
    let Some(sub) = store.subscriptions.get(id) else { return };
    let latest = sub.latest_invoice.as_ref().and_then(|i| store.invoices.get(i));
    let open = latest.is_some_and(|i| i.status == invoices::Status::Open);
    let overdue = latest.is_some_and(|i| i.finalized_at.is_some_and(|f| f.saturating_add(PAST_DUE_AFTER) <= now));
    let next = match sub.status {
        "incomplete" | "past_due" if !open => "active",
        "active" if open && overdue && sub.collection_method == "charge_automatically" => "past_due",
        _ => return,
    };
    let before = sub.render(store);
    if let Some(s) = store.subscriptions.get_mut(id) {
        s.status = next;
    }
    if let Some(after) = store.subscriptions.get(id).map(|s| s.render(store)) {
        events::emit_update(store, "customer.subscription.updated", &before, after);
    }
}

/// Rolls the subscription forward to `t`: one invoice per period end passed, or the end of the
/// subscription when it was set to cancel at the period's end; a pause that resumes by then
/// ends first.
pub fn advance_to(store: &mut Store, id: &str, t: i64) -> Result<(), ApiError> {
    loop {
        let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
        let (_, end) = sub.current_period()?;
        if sub.status == "canceled" || end > t {
            refresh_status(store, id, t);
            return Ok(());
        }
        refresh_status(store, id, end);
        let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
        let before = sub.render(store);
        if sub.cancel_at_period_end {
            end_subscription(store, id, end, "cancellation_requested");
            return Ok(());
        }
        if let Some(s) = store.subscriptions.get_mut(id) {
            s.period += 1;
            if s.pause_collection.as_ref().is_some_and(|p| p.resumes_at.is_some_and(|r| r <= end)) {
                s.pause_collection = None;
            }
        }
        bill(store, id, "subscription_cycle")?;
        if let Some(after) = store.subscriptions.get(id).map(|s| s.render(store)) {
            events::emit_update(store, "customer.subscription.updated", &before, after);
        }
    }
}

fn end_subscription(store: &mut Store, id: &str, at: i64, reason: &'static str) {
    if let Some(s) = store.subscriptions.get_mut(id) {
        s.status = "canceled";
        s.canceled_at = s.canceled_at.or(Some(at));
        s.ended_at = Some(at);
        s.cancellation.reason = Some(reason);
    }
    if let Some(body) = store.subscriptions.get(id).map(|s| s.render(store)) {
        events::emit(store, "customer.subscription.deleted", body, None);
    }
}
