//! Subscriptions (`sub_`) to recurring prices. Each period gets one invoice, finalized at once:
//! the first when the subscription is created, the next ones as the customer's test clock passes
//! each period's end. `send_invoice` subscriptions are active from the start; `charge_automatically`
//! ones stay `incomplete` until their first invoice is paid, since the emulator has no card to
//! charge.

use super::billing::catalog::{self, Recurring};
use super::billing::invoices::{self, Line, LineSource, NewInvoice};
use super::errors::{ApiError, ApiResult};
use super::list::{embedded_list, list_json, paginate_table, ListQuery, PAGINATION};
use super::params::Metadata;
use super::render::merged;
use super::request::Req;
use super::store::{Row, Store};
use super::{events, ids, Emulator};
use axum::extract::{Path, State};
use serde_json::{json, Value};
use time::{Month, OffsetDateTime};

/// Bounds the invoices one clock advance may create for one subscription.
pub const MAX_PERIODS_PER_ADVANCE: u32 = 1_000;

pub struct SubscriptionItem {
    id: String,
    created: i64,
    price: String,
    quantity: i64,
    metadata: Metadata,
}

pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: &'static str,
    pub test_clock: Option<String>,
    created: i64,
    currency: String,
    collection_method: &'static str,
    days_until_due: Option<i64>,
    items: Vec<SubscriptionItem>,
    recurring: Recurring,
    /// The billing cycle anchor: period `n` runs from boundary `n` to boundary `n + 1`.
    anchor: i64,
    period: u32,
    cancel_at_period_end: bool,
    canceled_at: Option<i64>,
    ended_at: Option<i64>,
    cancellation: (Option<String>, Option<&'static str>, Option<&'static str>),
    latest_invoice: Option<String>,
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
        let (comment, feedback, reason) = &self.cancellation;
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
            "pause_collection": null,
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
            let amount = price
                .unit_amount
                .checked_mul(item.quantity)
                .ok_or_else(|| ApiError::state("The subscription item's amount is too large."))?;
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

/// Invoices the subscription's current period and finalizes that invoice.
fn bill(store: &mut Store, id: &str, reason: &'static str) -> Result<(), ApiError> {
    let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
    let lines = period_lines(store, sub)?;
    let new = NewInvoice {
        customer: sub.customer.clone(),
        currency: sub.currency.clone(),
        collection_method: sub.collection_method,
        days_until_due: sub.days_until_due,
        due_date: None,
        description: None,
        metadata: Metadata::new(),
        auto_advance: true,
        subscription: Some(id.to_string()),
        billing_reason: reason,
        lines,
    };
    let invoice = invoices::insert(store, new);
    if let Some(s) = store.subscriptions.get_mut(id) {
        s.latest_invoice = Some(invoice.clone());
    }
    invoices::finalize(store, &invoice)
}

/// A subscription waiting for its first payment becomes active when that invoice is paid.
pub fn first_invoice_paid(store: &mut Store, id: &str) {
    let Some(before) = store.subscriptions.get(id).filter(|s| s.status == "incomplete").map(|s| s.render(store)) else {
        return;
    };
    if let Some(s) = store.subscriptions.get_mut(id) {
        s.status = "active";
    }
    if let Some(after) = store.subscriptions.get(id).map(|s| s.render(store)) {
        events::emit_update(store, "customer.subscription.updated", &before, after);
    }
}

/// Rolls the subscription forward to `t`: one invoice per period end passed, or the end of the
/// subscription when it was set to cancel at the period's end.
pub fn advance_to(store: &mut Store, id: &str, t: i64) -> Result<(), ApiError> {
    loop {
        let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
        let (_, end) = sub.current_period()?;
        if sub.status == "canceled" || end > t {
            return Ok(());
        }
        let before = sub.render(store);
        if sub.cancel_at_period_end {
            end_subscription(store, id, end, "cancellation_requested");
            return Ok(());
        }
        if let Some(s) = store.subscriptions.get_mut(id) {
            s.period += 1;
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
        s.cancellation.2 = Some(reason);
    }
    if let Some(body) = store.subscriptions.get(id).map(|s| s.render(store)) {
        events::emit(store, "customer.subscription.deleted", body, None);
    }
}

struct ItemRequest {
    price: String,
    quantity: i64,
    metadata: Metadata,
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[
        "cancel_at_period_end",
        "collection_method",
        "customer",
        "days_until_due",
        "description",
        "items",
        "metadata",
    ])?;
    let customer = p.required_str("customer")?.to_string();
    let items = p
        .objects("items", &["metadata", "price", "quantity"])?
        .iter()
        .map(|i| {
            Ok(ItemRequest {
                price: i.required_str("price")?.to_string(),
                quantity: i.bounded("quantity", 1, i64::from(u32::MAX))?.unwrap_or(1),
                metadata: i.new_metadata("metadata")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    if items.is_empty() {
        return Err(ApiError::missing("items"));
    }
    let collection_method = p.one_of("collection_method", &["charge_automatically", "send_invoice"])?.unwrap_or("charge_automatically");
    let days_until_due = p.bounded("days_until_due", 0, 10_000)?;
    check_due(collection_method, days_until_due)?;
    let cancel_at_period_end = p.bool("cancel_at_period_end")?.unwrap_or(false);
    let description = p.text("description")?;
    let metadata = p.new_metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let c = store.customers.get(&customer).ok_or_else(|| ApiError::no_such_param("customer", &customer, "customer"))?;
        let (customer_currency, test_clock) = (c.currency.clone(), c.test_clock.clone());
        let mut plan: Option<(Recurring, String)> = None;
        for (i, item) in items.iter().enumerate() {
            let param = format!("items[{i}][price]");
            let price = catalog::price(store, &item.price, &param)?;
            let Some(recurring) = price.recurring else {
                return Err(ApiError::state(format!(
                    "The price specified ({}) is set to type=one_time but this field only accepts prices with \
                     type=recurring.",
                    price.id
                ))
                .with_param(&param));
            };
            if !price.active {
                return Err(ApiError::state(format!("The price specified ({}) is inactive.", price.id)).with_param(&param));
            }
            if plan.as_ref().is_some_and(|(r, c)| *r != recurring || *c != price.currency) {
                return Err(ApiError::state("All prices on a subscription must have the same currency and billing interval.")
                    .with_param(&param));
            }
            plan = Some((recurring, price.currency.clone()));
        }
        let Some((recurring, currency)) = plan else { return Err(ApiError::missing("items")) };
        if customer_currency.as_ref().is_some_and(|c| *c != currency) {
            return Err(ApiError::state(format!(
                "You cannot combine currencies on a single customer. This customer has had a subscription or \
                 invoice in {}; you cannot add an item in {currency}.",
                customer_currency.unwrap_or_default()
            )));
        }
        let start = store.time_for_customer(&customer);
        let sub = Subscription {
            id: ids::new_id("sub"),
            customer,
            status: if collection_method == "send_invoice" { "active" } else { "incomplete" },
            test_clock,
            created: start,
            currency,
            collection_method,
            days_until_due,
            items: items
                .into_iter()
                .map(|i| SubscriptionItem {
                    id: ids::new_id("si"),
                    created: start,
                    price: i.price,
                    quantity: i.quantity,
                    metadata: i.metadata,
                })
                .collect(),
            recurring,
            anchor: start,
            period: 0,
            cancel_at_period_end,
            canceled_at: None,
            ended_at: None,
            cancellation: (None, None, None),
            latest_invoice: None,
            description,
            metadata,
        };
        period_lines(store, &sub)?;
        let id = sub.id.clone();
        store.subscriptions.insert(sub);
        bill(store, &id, "subscription_create")?;
        let body = get(store, &id)?.render(store);
        events::emit(store, "customer.subscription.created", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

fn check_due(collection_method: &str, days_until_due: Option<i64>) -> Result<(), ApiError> {
    match (collection_method, days_until_due) {
        ("send_invoice", None) => {
            Err(ApiError::invalid_value("days_until_due", "days_until_due is required when collection_method is send_invoice."))
        }
        ("charge_automatically", Some(_)) => Err(ApiError::invalid_value(
            "days_until_due",
            "days_until_due can only be set when collection_method is send_invoice.",
        )),
        _ => Ok(()),
    }
}

fn get<'a>(store: &'a Store, id: &str) -> Result<&'a Subscription, ApiError> {
    store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| req.respond(store, get(store, &id)?.render(store))).await
}

pub async fn update(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["cancel_at_period_end", "days_until_due", "description", "metadata"])?;
    let cancel_at_period_end = p.bool("cancel_at_period_end")?;
    let days_until_due = p.bounded("days_until_due", 0, 10_000)?;
    let description = p.text_update("description")?;
    let metadata = p.metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let sub = get(store, &id)?;
        let only_metadata = cancel_at_period_end.is_none() && days_until_due.is_none() && description.is_none();
        if sub.status == "canceled" && !only_metadata {
            return Err(ApiError::state("A canceled subscription can only update its cancellation_details and metadata."));
        }
        if days_until_due.is_some() {
            check_due(sub.collection_method, days_until_due)?;
        }
        let next_metadata = metadata.as_ref().map(|m| m.applied(&sub.metadata)).transpose()?;
        let before = sub.render(store);
        let sub = store.subscriptions.get_mut(&id).ok_or_else(|| ApiError::no_such("subscription", &id))?;
        if let Some(c) = cancel_at_period_end {
            sub.cancel_at_period_end = c;
        }
        if let Some(d) = days_until_due {
            sub.days_until_due = Some(d);
        }
        if let Some(d) = description {
            sub.description = d;
        }
        if let Some(m) = next_metadata {
            sub.metadata = m;
        }
        let after = get(store, &id)?.render(store);
        events::emit_update(store, "customer.subscription.updated", &before, after.clone());
        req.respond(store, after)
    })
    .await
}

/// `DELETE /v1/subscriptions/{id}`: ends the subscription now, without a final invoice.
pub async fn cancel(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["cancellation_details", "invoice_now", "prorate"])?;
    for flag in ["invoice_now", "prorate"] {
        if p.bool(flag)? == Some(true) {
            return Err(ApiError::invalid_value(flag, format!("The emulator does not support {flag}=true.")));
        }
    }
    let (comment, feedback) = match p.object("cancellation_details", &["comment", "feedback"])? {
        Some(d) => (
            d.text("comment")?,
            d.one_of(
                "feedback",
                &[
                    "customer_service",
                    "low_quality",
                    "missing_features",
                    "other",
                    "switched_service",
                    "too_complex",
                    "too_expensive",
                    "unused",
                ],
            )?,
        ),
        None => (None, None),
    };
    emu.write(&req.meta, |store| {
        let sub = get(store, &id)?;
        if sub.status == "canceled" {
            return Err(ApiError::state(format!("Subscription {id} is already canceled.")));
        }
        let at = store.time_for_customer(&sub.customer.clone());
        if let Some(s) = store.subscriptions.get_mut(&id) {
            s.cancellation = (comment, feedback, None);
        }
        end_subscription(store, &id, at, "cancellation_requested");
        req.respond(store, get(store, &id)?.render(store))
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["collection_method", "customer", "price", "status", "test_clock"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let customer = p.text("customer")?;
    let price = p.text("price")?;
    let clock = p.text("test_clock")?;
    let method = p.one_of("collection_method", &["charge_automatically", "send_invoice"])?;
    let status = p.one_of("status", &["active", "all", "canceled", "ended", "incomplete", "past_due"])?;
    emu.read(|store| {
        // As Stripe does: canceled subscriptions only when asked for, and subscriptions on a test
        // clock only when that clock or their customer is asked for.
        let keep = |s: &Subscription| {
            let status_ok = match status {
                None => s.status != "canceled",
                Some("all") => true,
                Some("ended") => s.status == "canceled",
                Some(wanted) => s.status == wanted,
            };
            let clock_ok = match &clock {
                Some(c) => s.test_clock.as_ref() == Some(c),
                None => customer.is_some() || s.test_clock.is_none(),
            };
            status_ok
                && clock_ok
                && customer.as_ref().is_none_or(|c| s.customer == *c)
                && price.as_ref().is_none_or(|pr| s.items.iter().any(|i| i.price == *pr))
                && method.is_none_or(|m| s.collection_method == m)
        };
        let page = paginate_table(&store.subscriptions, &query, keep, "subscription")?;
        let data = page.items.into_iter().map(|s| s.render(store)).collect();
        req.respond(store, list_json("/v1/subscriptions", data, page.has_more))
    })
    .await
}
