//! The subscription endpoints: create (billing the first period at once), retrieve, update,
//! cancel and list.

use super::{Cancellation, Feedback, PauseBehavior, PauseCollection, Subscription, SubscriptionItem, bill, end_subscription, period_lines, proration};
use crate::server::stripe::emulator::billing::catalog::{self, Recurring};
use crate::server::stripe::emulator::billing::invoices::CollectionMethod;
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, list_json, paginate_table};
use crate::server::stripe::emulator::params::Metadata;
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::Store;
use crate::server::stripe::emulator::words::Words;
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};

struct ItemRequest {
    price: String,
    quantity: i64,
    metadata: Metadata,
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["cancel_at_period_end", "collection_method", "customer", "days_until_due", "description", "items", "metadata"])?;
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
    let collection_method = p.one_of("collection_method", CollectionMethod::ALL)?.unwrap_or("charge_automatically");
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
            let (price, recurring) = recurring_price(store, &item.price, &param)?;
            if plan.as_ref().is_some_and(|(r, c)| *r != recurring || *c != price.currency) {
                return Err(ApiError::state("All prices on a subscription must have the same currency and billing interval.").with_param(&param));
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
                .map(|i| SubscriptionItem { id: ids::new_id("si"), created: start, price: i.price, quantity: i.quantity, metadata: i.metadata })
                .collect(),
            recurring,
            anchor: start,
            period: 0,
            cancel_at_period_end,
            canceled_at: None,
            ended_at: None,
            cancellation: Cancellation::default(),
            latest_invoice: None,
            pause_collection: None,
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

/// An active recurring price, and its interval.
pub(super) fn recurring_price<'a>(store: &'a Store, id: &str, param: &str) -> Result<(&'a catalog::Price, Recurring), ApiError> {
    let price = catalog::price(store, id, param)?;
    let Some(recurring) = price.recurring else {
        return Err(ApiError::state(format!(
            "The price specified ({}) is set to type=one_time but this field only accepts prices with type=recurring.",
            price.id
        ))
        .with_param(param));
    };
    if !price.active {
        return Err(ApiError::state(format!("The price specified ({}) is inactive.", price.id)).with_param(param));
    }
    Ok((price, recurring))
}

fn check_due(collection_method: &str, days_until_due: Option<i64>) -> Result<(), ApiError> {
    match (collection_method, days_until_due) {
        ("send_invoice", None) => Err(ApiError::invalid_value("days_until_due", "days_until_due is required when collection_method is send_invoice.")),
        ("charge_automatically", Some(_)) => {
            Err(ApiError::invalid_value("days_until_due", "days_until_due can only be set when collection_method is send_invoice."))
        }
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
    let p = req.fields(&[
        "cancel_at_period_end",
        "days_until_due",
        "description",
        "items",
        "metadata",
        "pause_collection",
        "proration_behavior",
        "proration_date",
    ])?;
    let cancel_at_period_end = p.bool("cancel_at_period_end")?;
    let days_until_due = p.bounded("days_until_due", 0, 10_000)?;
    let description = p.text_update("description")?;
    let metadata = p.metadata("metadata")?;
    let changes = proration::item_changes(&p.objects("items", proration::ITEM_FIELDS)?)?;
    let behavior = p.one_of("proration_behavior", proration::BEHAVIORS)?;
    let behavior = if changes.is_empty() { behavior.unwrap_or("none") } else { proration::behavior(behavior, "proration_behavior")? };
    let proration_date = p.timestamp("proration_date")?;
    let pause = match p.object("pause_collection", &["behavior", "resumes_at"])? {
        Some(f) => Some(Some(PauseCollection { behavior: f.required_one_of("behavior", PauseBehavior::ALL)?, resumes_at: f.timestamp("resumes_at")? })),
        None if p.has("pause_collection") => Some(None),
        None => None,
    };
    emu.write(&req.meta, |store| {
        let sub = get(store, &id)?;
        let only_metadata = cancel_at_period_end.is_none() && days_until_due.is_none() && description.is_none() && changes.is_empty() && pause.is_none();
        if sub.status == "canceled" && !only_metadata {
            return Err(ApiError::state("A canceled subscription can only update its cancellation_details and metadata."));
        }
        if days_until_due.is_some() {
            check_due(sub.collection_method, days_until_due)?;
        }
        let next_metadata = metadata.as_ref().map(|m| m.applied(&sub.metadata)).transpose()?;
        let before = sub.render(store);
        let customer = sub.customer.clone();
        let at = match proration_date {
            Some(d) => d,
            None => store.time_for_customer(&customer),
        };
        proration::apply(store, &id, &changes, behavior, at, "proration_date")?;
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
        if let Some(p) = pause {
            sub.pause_collection = p;
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
        Some(d) => (d.text("comment")?, d.one_of("feedback", Feedback::ALL)?),
        None => (None, None),
    };
    emu.write(&req.meta, |store| {
        let sub = get(store, &id)?;
        if sub.status == "canceled" {
            return Err(ApiError::state(format!("Subscription {id} is already canceled.")));
        }
        let at = store.time_for_customer(&sub.customer.clone());
        if let Some(s) = store.subscriptions.get_mut(&id) {
            s.cancellation = Cancellation { comment, feedback, reason: None };
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
    let method = p.one_of("collection_method", CollectionMethod::ALL)?;
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
