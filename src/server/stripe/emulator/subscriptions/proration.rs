//! Changing a subscription's prices mid-period. As Stripe prorates, to the second: a line
//! credits the unused time of each changed item's old price and a line charges the remaining
//! time at its new one. `always_invoice` bills those lines at once; `none` changes the price
//! from the next period. `POST /v1/invoices/create_preview` computes the same lines without
//! changing anything, so what a preview shows is what the update bills for the same
//! `proration_date`. The emulator keeps no customer credit balance: a change that lowers the
//! price under `always_invoice` yields an invoice with nothing due.

use super::endpoints::recurring_price;
use super::{Subscription, invoice_for};
use crate::server::stripe::emulator::billing::catalog;
use crate::server::stripe::emulator::billing::invoices::{self, Line, LineSource, NewInvoice};
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::params::{Fields, Metadata};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::Store;
use crate::server::stripe::emulator::{Emulator, ids};
use axum::extract::State;
use serde_json::Value;
use time::OffsetDateTime;

pub const BEHAVIORS: &[&str] = &["always_invoice", "create_prorations", "none"];
pub const ITEM_FIELDS: &[&str] = &["id", "price", "quantity"];

/// One `items[n]` of an update: an existing item by id, with its new price or quantity.
pub struct ItemChange {
    param: String,
    item: String,
    price: Option<String>,
    quantity: Option<i64>,
}

pub fn item_changes(items: &[Fields<'_>]) -> Result<Vec<ItemChange>, ApiError> {
    items
        .iter()
        .map(|i| {
            Ok(ItemChange {
                param: i.name("price"),
                item: i.required_str("id")?.to_string(),
                price: i.text("price")?,
                quantity: i.bounded("quantity", 1, i64::from(u32::MAX))?,
            })
        })
        .collect()
}

/// The behaviors the emulator bills a price change with: Stripe's default, `create_prorations`,
/// leaves pending items for the next invoice, which the emulator does not keep.
pub fn behavior(given: Option<&'static str>, param: &str) -> Result<&'static str, ApiError> {
    match given.unwrap_or("create_prorations") {
        "create_prorations" => Err(ApiError::invalid_value(
            param,
            "The emulator bills price changes with proration_behavior=always_invoice or none; create_prorations is not supported.",
        )),
        b => Ok(b),
    }
}

/// Each change resolved against the subscription: item index, new price id, new quantity.
struct Resolved {
    index: usize,
    price: String,
    quantity: i64,
}

fn resolve(store: &Store, sub: &Subscription, changes: &[ItemChange]) -> Result<Vec<Resolved>, ApiError> {
    changes
        .iter()
        .map(|c| {
            let index = sub.items.iter().position(|i| i.id == c.item).ok_or_else(|| ApiError::no_such_param("subscription_item", &c.item, &c.param))?;
            let current = &sub.items[index];
            let price = c.price.clone().unwrap_or_else(|| current.price.clone());
            let (found, recurring) = recurring_price(store, &price, &c.param)?;
            if recurring != sub.recurring || found.currency != sub.currency {
                return Err(ApiError::state("All prices on a subscription must have the same currency and billing interval.").with_param(&c.param));
            }
            Ok(Resolved { index, price, quantity: c.quantity.unwrap_or(current.quantity) })
        })
        .collect()
}

/// `amount × remaining / length`, rounded half away from zero.
fn prorate(amount: i64, remaining: i64, length: i64) -> i64 {
    let scaled = i128::from(amount.unsigned_abs()) * i128::from(remaining);
    let rounded = (2 * scaled + i128::from(length)) / (2 * i128::from(length));
    i64::try_from(rounded).unwrap_or(i64::MAX) * amount.signum()
}

/// A proration line for `item` at `price` over `span` (the change's instant to the period's end).
fn line(store: &Store, sub: &Subscription, item: &str, price: &catalog::Price, quantity: i64, amount: i64, span: (i64, i64)) -> Line {
    let (at, _) = span;
    let product = store.products.get(&price.product).map_or("", |p| p.name.as_str());
    let date = OffsetDateTime::from_unix_timestamp(at).map(|t| t.date().to_string()).unwrap_or_default();
    let what = if amount < 0 { "Unused time on" } else { "Remaining time on" };
    Line {
        id: ids::new_id("il"),
        amount,
        currency: price.currency.clone(),
        description: Some(format!("{what} {quantity} × {product} after {date}")),
        period: span,
        quantity,
        unit_amount: None,
        price: Some((price.id.clone(), price.product.clone())),
        source: LineSource::SubscriptionItem { subscription: sub.id.clone(), item: item.to_string() },
        metadata: Metadata::new(),
    }
}

/// The proration lines for these changes at `at`, which must fall in the current period.
fn lines(store: &Store, sub: &Subscription, changes: &[Resolved], at: i64, date_param: &str) -> Result<Vec<Line>, ApiError> {
    let (start, end) = sub.current_period()?;
    if at < start || at >= end {
        return Err(ApiError::invalid_value(date_param, "The proration date must fall within the subscription's current billing period."));
    }
    let too_large = || ApiError::state("The subscription item's amount is too large.");
    let mut lines = Vec::new();
    for change in changes {
        let item = &sub.items[change.index];
        let old = catalog::price(store, &item.price, "items")?;
        let new = catalog::price(store, &change.price, "items")?;
        let old_amount = old.unit_amount.checked_mul(item.quantity).ok_or_else(too_large)?;
        let new_amount = new.unit_amount.checked_mul(change.quantity).ok_or_else(too_large)?;
        if old_amount == new_amount && old.id == new.id {
            continue;
        }
        lines.push(line(store, sub, &item.id, old, item.quantity, -prorate(old_amount, end - at, end - start), (at, end)));
        lines.push(line(store, sub, &item.id, new, change.quantity, prorate(new_amount, end - at, end - start), (at, end)));
    }
    Ok(lines)
}

/// Applies the changes to subscription `id` at `at`, billing them at once under
/// `always_invoice`.
pub fn apply(store: &mut Store, id: &str, changes: &[ItemChange], behavior: &str, at: i64, date_param: &str) -> Result<(), ApiError> {
    let sub = store.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id))?;
    let resolved = resolve(store, sub, changes)?;
    let lines = if behavior == "always_invoice" { lines(store, sub, &resolved, at, date_param)? } else { Vec::new() };
    if let Some(sub) = store.subscriptions.get_mut(id) {
        for change in resolved {
            let item = &mut sub.items[change.index];
            item.price = change.price;
            item.quantity = change.quantity;
        }
    }
    if !lines.is_empty() {
        let invoice = invoice_for(store, id, "subscription_update", lines)?;
        invoices::get_mut(store, &invoice)?.subscription_proration_date = Some(at);
        invoices::finalize(store, &invoice)?;
    }
    Ok(())
}

/// `POST /v1/invoices/create_preview` for a change of a subscription's items billed with
/// `always_invoice`: the invoice the change would bill, not stored.
pub async fn create_preview(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["customer", "subscription", "subscription_details"])?;
    let Some(id) = p.text("subscription")? else {
        return Err(ApiError::invalid_value(
            "subscription",
            "The emulator previews changes to a subscription only: pass subscription and subscription_details.",
        ));
    };
    let customer = p.text("customer")?;
    let details = p.required_object("subscription_details", &["items", "proration_behavior", "proration_date"])?;
    let changes = item_changes(&details.objects("items", ITEM_FIELDS)?)?;
    let date_param = details.name("proration_date");
    let behavior_param = details.name("proration_behavior");
    if behavior(details.one_of("proration_behavior", BEHAVIORS)?, &behavior_param)? != "always_invoice" {
        return Err(ApiError::invalid_value(&behavior_param, "The emulator previews proration_behavior=always_invoice only."));
    }
    let date = details.timestamp("proration_date")?;
    emu.write(&req.meta, |store| {
        let sub = store.subscriptions.get(&id).ok_or_else(|| ApiError::no_such_param("subscription", &id, "subscription"))?;
        if customer.as_ref().is_some_and(|c| *c != sub.customer) {
            return Err(ApiError::invalid_value("customer", format!("Subscription {id} belongs to another customer.")));
        }
        let sub_customer = sub.customer.clone();
        let at = match date {
            Some(d) => d,
            None => store.time_for_customer(&sub_customer),
        };
        let sub = store.subscriptions.get(&id).ok_or_else(|| ApiError::no_such("subscription", &id))?;
        let resolved = resolve(store, sub, &changes)?;
        let new = NewInvoice { auto_advance: false, ..sub.invoice("subscription_update", lines(store, sub, &resolved, at, &date_param)?) };
        let mut draft = invoices::draft(store, new, at);
        draft.subscription_proration_date = Some(at);
        let mut body = draft.render();
        if let Some(preview_id) = body.get("id").and_then(Value::as_str).map(|i| format!("upcoming_{i}")) {
            body["id"] = Value::String(preview_id);
        }
        req.respond(store, body)
    })
    .await
}
