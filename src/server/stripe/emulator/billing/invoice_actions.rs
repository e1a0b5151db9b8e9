//! Invoice state changes: finalize, send, void, mark uncollectible, pay out of band, and attach a
//! payment record. Each checks the invoice's status first, as Stripe refuses a change that the
//! status does not allow.

use super::invoice_payments::InvoicePayment;
use super::invoices::{self, Status};
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::Store;
use crate::server::stripe::emulator::{Emulator, events, ids, subscriptions};
use axum::extract::{Path, State};

pub async fn finalize(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["auto_advance"])?;
    let auto_advance = p.bool("auto_advance")?;
    emu.write(&req.meta, |store| {
        invoices::finalize(store, &id)?;
        let invoice = invoices::get_mut(store, &id)?;
        if let Some(a) = auto_advance {
            invoice.auto_advance = a;
        }
        let body = invoice.render();
        req.respond(store, body)
    })
    .await
}

pub async fn send(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.write(&req.meta, |store| {
        let invoice = invoices::get(store, &id)?;
        if invoice.collection_method != "send_invoice" {
            return Err(ApiError::state("You can only manually send an invoice if its collection method is 'send_invoice'."));
        }
        if invoice.status != Status::Open {
            return Err(ApiError::state(format!("Invoice {id} is {}; only open invoices can be sent.", invoice.status.name())));
        }
        let body = invoice.render();
        events::emit(store, "invoice.sent", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

pub async fn void(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    let open = [Status::Open, Status::Uncollectible];
    emu.write(&req.meta, |store| {
        let invoice = invoices::get(store, &id)?;
        require(invoice.status, &open, &id, "voided")?;
        if !invoice.payments.is_empty() {
            return Err(ApiError::state(format!("Invoice {id} has payments attached and cannot be voided.")));
        }
        let body = change(store, &id, &open, "voided", "invoice.voided", |i, at| {
            i.status = Status::Void;
            i.voided_at = Some(at);
        })?;
        req.respond(store, body)
    })
    .await
}

pub async fn mark_uncollectible(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.write(&req.meta, |store| {
        let body = change(store, &id, &[Status::Open], "marked uncollectible", "invoice.marked_uncollectible", |i, at| {
            i.status = Status::Uncollectible;
            i.marked_uncollectible_at = Some(at);
        })?;
        req.respond(store, body)
    })
    .await
}

/// `paid_out_of_band=true`: the remaining amount was paid outside Stripe. The emulator has no
/// payment methods to charge, so that is the only way `pay` works.
pub async fn pay(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["paid_out_of_band"])?;
    if p.bool("paid_out_of_band")? != Some(true) {
        return Err(ApiError::invalid_value(
            "paid_out_of_band",
            "The emulator has no payment methods: pay with paid_out_of_band=true, or attach a payment record.",
        ));
    }
    emu.write(&req.meta, |store| {
        let invoice = invoices::get(store, &id)?;
        require(invoice.status, &[Status::Open, Status::Uncollectible], &id, "paid")?;
        let at = store.time_for_customer(&invoice.customer.clone());
        let invoice = invoices::get_mut(store, &id)?;
        let remaining = invoice.amount_remaining();
        invoice.amount_paid += remaining;
        invoice.amount_paid_off_stripe += remaining;
        invoices::mark_paid(store, &id, at)?;
        req.respond(store, invoices::get(store, &id)?.render())
    })
    .await
}

/// Pays the invoice with a guaranteed payment record in its currency (and of its customer, when
/// the record names one). The record pays at most what remains; the invoice is paid once
/// nothing remains. A record pays one invoice only.
pub async fn attach_payment(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["payment_intent", "payment_record"])?;
    if let Some(pi) = p.text("payment_intent")? {
        return Err(ApiError::no_such_param("payment_intent", &pi, "payment_intent"));
    }
    let record_id = p.required_str("payment_record")?.to_string();
    emu.write(&req.meta, |store| {
        let invoice = invoices::get(store, &id)?;
        let record = store.payment_records.get(&record_id).ok_or_else(|| ApiError::no_such_param("payment_record", &record_id, "payment_record"))?;
        require(invoice.status, &[Status::Open, Status::Uncollectible], &id, "paid")?;
        let refuse = |message: String| Err(ApiError::state(message).with_param("payment_record"));
        if record.amount_guaranteed() == 0 {
            return refuse(format!("Payment record {record_id} has no guaranteed payment; only guaranteed payments can pay an invoice."));
        }
        if record.currency != invoice.currency {
            return refuse(format!("Payment record {record_id} is in {} but invoice {id} is in {}.", record.currency, invoice.currency));
        }
        if record.customer().is_some_and(|c| c != invoice.customer) {
            return refuse(format!("Payment record {record_id} belongs to another customer than invoice {id}."));
        }
        if let Some(used) = record.invoice_payments.first().and_then(|p| store.invoice_payments.get(p)) {
            return refuse(format!("Payment record {record_id} is already attached to invoice {}.", used.invoice));
        }
        let amount = record.refundable().min(invoice.amount_remaining());
        if amount == 0 {
            return refuse(format!("Payment record {record_id} has nothing left to pay invoice {id} with."));
        }
        let (currency, customer) = (invoice.currency.clone(), invoice.customer.clone());
        let at = store.time_for_customer(&customer);
        let payment = InvoicePayment { id: ids::new_id("inpay"), created: at, invoice: id.clone(), currency, amount, payment_record: record_id.clone() };
        let (payment_id, payment_body) = (payment.id.clone(), payment.render());
        store.invoice_payments.insert(payment);
        if let Some(r) = store.payment_records.get_mut(&record_id) {
            r.invoice_payments.push(payment_id.clone());
        }
        let invoice = invoices::get_mut(store, &id)?;
        let before = invoice.render();
        invoice.payments.push(payment_id);
        invoice.amount_paid += amount;
        invoice.amount_paid_off_stripe += amount;
        let (settled, after) = (invoice.amount_remaining() == 0, invoice.render());
        events::emit(store, "invoice_payment.paid", payment_body, None);
        if settled {
            invoices::mark_paid(store, &id, at)?;
        } else {
            events::emit_update(store, "invoice.updated", &before, after);
        }
        req.respond(store, invoices::get(store, &id)?.render())
    })
    .await
}

fn require(status: Status, allowed: &[Status], id: &str, change: &str) -> Result<(), ApiError> {
    if allowed.contains(&status) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|s| s.name()).collect();
    Err(ApiError::state(format!("Invoice {id} is {}; only {} invoices can be {change}.", status.name(), names.join(" or "))))
}

/// Applies `f` (given the customer's time) to an invoice whose status is in `allowed`, records
/// `event` with the result, and lets its subscription see that nothing is due on it now.
fn change(
    store: &mut Store,
    id: &str,
    allowed: &[Status],
    verb: &str,
    event: &str,
    f: impl FnOnce(&mut invoices::Invoice, i64),
) -> Result<serde_json::Value, ApiError> {
    let invoice = invoices::get(store, id)?;
    require(invoice.status, allowed, id, verb)?;
    let at = store.time_for_customer(&invoice.customer.clone());
    let invoice = invoices::get_mut(store, id)?;
    f(invoice, at);
    let (body, subscription) = (invoice.render(), invoice.subscription.clone());
    events::emit(store, event, body.clone(), None);
    if let Some(s) = subscription {
        subscriptions::refresh_status(store, &s, at);
    }
    Ok(body)
}
