//! Invoices (`in_`): draft → open → paid / void / uncollectible. `amount_due` is the total less
//! pre-payment credit notes, `amount_remaining` what is still unpaid; payments come from
//! `attach_payment` (payment records) or `pay` with `paid_out_of_band`, both counted in
//! `amount_paid_off_stripe`.

use super::invoice_payments::InvoicePayment;
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, embedded_list, list_json, paginate_table};
use crate::server::stripe::emulator::params::Metadata;
use crate::server::stripe::emulator::render::merged;
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::{Row, Store};
use crate::server::stripe::emulator::words::{self, Word, Words};
use crate::server::stripe::emulator::{Emulator, events, ids, subscriptions};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How invoices (and the subscriptions that make them) are collected.
pub struct CollectionMethod;

impl Words for CollectionMethod {
    const ALL: &'static [&'static str] = &["charge_automatically", "send_invoice"];
}

/// Why an invoice was made: by hand, or by a subscription starting, renewing or changing price.
pub struct BillingReason;

impl Words for BillingReason {
    const ALL: &'static [&'static str] = &["manual", "subscription_create", "subscription_cycle", "subscription_update"];
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Uncollectible => "uncollectible",
            Status::Void => "void",
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineSource {
    InvoiceItem(String),
    SubscriptionItem { subscription: String, item: String },
}

#[derive(Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub period: (i64, i64),
    pub quantity: i64,
    pub unit_amount: Option<i64>,
    pub price: Option<(String, String)>,
    pub source: LineSource,
    pub metadata: Metadata,
}

impl Line {
    pub fn invoice_item(&self) -> Option<&str> {
        match &self.source {
            LineSource::InvoiceItem(item) => Some(item),
            LineSource::SubscriptionItem { .. } => None,
        }
    }

    fn render(&self, invoice: &str) -> Value {
        let parent = match &self.source {
            LineSource::InvoiceItem(item) => json!({
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": item,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": null,
                },
                "subscription_item_details": null,
            }),
            LineSource::SubscriptionItem { subscription, item } => json!({
                "type": "subscription_item_details",
                "invoice_item_details": null,
                "subscription_item_details": {
                    "invoice_item": null,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": subscription,
                    "subscription_item": item,
                },
            }),
        };
        json!({
            "id": self.id,
            "object": "line_item",
            "amount": self.amount,
            "currency": self.currency,
            "description": self.description,
            "discount_amounts": [],
            "discountable": true,
            "discounts": [],
            "invoice": invoice,
            "livemode": false,
            "metadata": self.metadata,
            "parent": parent,
            "period": { "end": self.period.1, "start": self.period.0 },
            "pretax_credit_amounts": [],
            "pricing": pricing(&self.price, self.unit_amount),
            "quantity": self.quantity,
            "subtotal": self.amount,
            "taxes": [],
        })
    }
}

/// The `pricing` of a line or invoice item made from a price.
pub fn pricing(price: &Option<(String, String)>, unit_amount: Option<i64>) -> Value {
    match price {
        Some((price, product)) => json!({
            "type": "price_details",
            "price_details": { "price": price, "product": product },
            "unit_amount_decimal": unit_amount.map(|u| u.to_string()),
        }),
        None => Value::Null,
    }
}

#[derive(Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub created: i64,
    pub customer: String,
    pub currency: String,
    #[serde(deserialize_with = "words::one::<CollectionMethod, _>")]
    pub collection_method: Word,
    pub days_until_due: Option<i64>,
    pub due_date: Option<i64>,
    pub status: Status,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub auto_advance: bool,
    pub lines: Vec<Line>,
    pub subscription: Option<String>,
    #[serde(deserialize_with = "words::one::<BillingReason, _>")]
    pub billing_reason: Word,
    pub amount_paid: i64,
    pub amount_paid_off_stripe: i64,
    pub pre_payment_credit: i64,
    pub post_payment_credit: i64,
    pub credit_notes: u32,
    /// Invoice payment ids, oldest first.
    pub payments: Vec<String>,
    pub number: Option<String>,
    pub finalized_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub marked_uncollectible_at: Option<i64>,
    pub test_clock: Option<String>,
    /// The instant a subscription change's prorations were computed for.
    #[serde(default)]
    pub subscription_proration_date: Option<i64>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
}

impl Row for Invoice {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Invoice {
    pub fn subtotal(&self) -> i64 {
        self.lines.iter().fold(0, |sum, l| sum.saturating_add(l.amount))
    }

    pub fn amount_due(&self) -> i64 {
        (self.subtotal() - self.pre_payment_credit).max(0)
    }

    pub fn amount_remaining(&self) -> i64 {
        (self.amount_due() - self.amount_paid).max(0)
    }

    pub fn render(&self) -> Value {
        let total = self.subtotal();
        let (period_start, period_end) =
            self.lines.iter().map(|l| l.period).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))).unwrap_or((self.created, self.created));
        let parent = self.subscription.as_ref().map(|s| {
            json!({
                "type": "subscription_details",
                "quote_details": null,
                "subscription_details": { "metadata": {}, "subscription": s, "subscription_proration_date": self.subscription_proration_date },
            })
        });
        let lines = embedded_list(&format!("/v1/invoices/{}/lines", self.id), self.lines.iter().map(|l| l.render(&self.id)).collect());
        let head = json!({
            "id": self.id,
            "object": "invoice",
            "account_country": null,
            "account_name": null,
            "amount_due": self.amount_due(),
            "amount_overpaid": 0,
            "amount_paid": self.amount_paid,
            "amount_remaining": self.amount_remaining(),
            "amount_shipping": 0,
            "application": null,
            "attempt_count": 0,
            "attempted": self.status != Status::Draft,
            "auto_advance": self.auto_advance,
            "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null },
            "automatically_finalizes_at": null,
            "billing_reason": self.billing_reason,
            "collection_method": self.collection_method,
            "created": self.created,
            "currency": self.currency,
            "custom_fields": null,
            "customer": self.customer,
            "customer_address": null,
            "customer_email": self.customer_email,
            "customer_name": self.customer_name,
            "customer_phone": null,
            "customer_shipping": null,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": null,
            "default_source": null,
            "default_tax_rates": [],
            "description": self.description,
            "discounts": [],
            "due_date": self.due_date,
            "effective_at": self.finalized_at,
            "ending_balance": self.finalized_at.map(|_| 0),
        });
        let tail = json!({
            "footer": null,
            "from_invoice": null,
            "hosted_invoice_url": null,
            "invoice_pdf": null,
            "issuer": { "type": "self" },
            "last_finalization_error": null,
            "latest_revision": null,
            "lines": lines,
            "livemode": false,
            "metadata": self.metadata,
            "next_payment_attempt": null,
            "number": self.number,
            "on_behalf_of": null,
            "parent": parent,
            "payment_settings": { "default_mandate": null, "payment_method_options": null, "payment_method_types": null },
            "period_end": period_end,
            "period_start": period_start,
            "post_payment_credit_notes_amount": self.post_payment_credit,
            "pre_payment_credit_notes_amount": self.pre_payment_credit,
            "receipt_number": null,
            "rendering": null,
            "shipping_cost": null,
            "shipping_details": null,
            "starting_balance": 0,
            "statement_descriptor": null,
            "status": self.status.name(),
            "status_transitions": {
                "finalized_at": self.finalized_at,
                "marked_uncollectible_at": self.marked_uncollectible_at,
                "paid_at": self.paid_at,
                "voided_at": self.voided_at,
            },
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "test_clock": self.test_clock,
            "total": total,
            "total_discount_amounts": [],
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": self.finalized_at,
        });
        merged([head, tail])
    }
}

/// Fields Stripe adds to an invoice only when asked for with `expand[]`.
pub fn includable(store: &Store, id: &str, field: &str) -> Option<Value> {
    let invoice = store.invoices.get(id)?;
    match field {
        "amount_paid_off_stripe" => Some(json!(invoice.amount_paid_off_stripe)),
        "payments" => Some(embedded_list(
            &format!("/v1/invoice_payments?invoice={id}"),
            invoice.payments.iter().filter_map(|p| store.invoice_payments.get(p)).map(InvoicePayment::render).collect(),
        )),
        _ => None,
    }
}

pub fn get<'a>(store: &'a Store, id: &str) -> Result<&'a Invoice, ApiError> {
    store.invoices.get(id).ok_or_else(|| ApiError::no_such("invoice", id))
}

pub fn get_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Invoice, ApiError> {
    store.invoices.get_mut(id).ok_or_else(|| ApiError::no_such("invoice", id))
}

/// What a new invoice needs; the rest starts empty.
pub struct NewInvoice {
    pub customer: String,
    pub currency: String,
    pub collection_method: &'static str,
    pub days_until_due: Option<i64>,
    pub due_date: Option<i64>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub auto_advance: bool,
    pub subscription: Option<String>,
    pub billing_reason: &'static str,
    pub lines: Vec<Line>,
}

/// Inserts a draft invoice (the customer must exist), links the invoice items its lines come
/// from, and records `invoice.created`.
pub fn insert(store: &mut Store, new: NewInvoice) -> String {
    if let Some(c) = store.customers.get_mut(&new.customer).filter(|c| c.currency.is_none()) {
        c.currency = Some(new.currency.clone());
    }
    let created = store.time_for_customer(&new.customer);
    let invoice = draft(store, new, created);
    let (id, body) = (invoice.id.clone(), invoice.render());
    for line in &invoice.lines {
        if let Some(item) = line.invoice_item().and_then(|i| store.invoice_items.get_mut(i)) {
            item.invoice = Some(id.clone());
        }
    }
    store.invoices.insert(invoice);
    events::emit(store, "invoice.created", body, None);
    id
}

/// The draft invoice `new` describes, made at `created` and not yet stored (as a preview shows
/// it).
pub fn draft(store: &Store, new: NewInvoice, created: i64) -> Invoice {
    let customer = store.customers.get(&new.customer);
    let (customer_name, customer_email, test_clock) = customer.map_or((None, None, None), |c| (c.name.clone(), c.email.clone(), c.test_clock.clone()));
    Invoice {
        id: ids::new_id("in"),
        created,
        customer: new.customer,
        currency: new.currency,
        collection_method: new.collection_method,
        days_until_due: new.days_until_due,
        due_date: new.due_date,
        status: Status::Draft,
        description: new.description,
        metadata: new.metadata,
        auto_advance: new.auto_advance,
        lines: new.lines,
        subscription: new.subscription,
        billing_reason: new.billing_reason,
        amount_paid: 0,
        amount_paid_off_stripe: 0,
        pre_payment_credit: 0,
        post_payment_credit: 0,
        credit_notes: 0,
        payments: Vec::new(),
        number: None,
        finalized_at: None,
        paid_at: None,
        voided_at: None,
        marked_uncollectible_at: None,
        test_clock,
        customer_name,
        customer_email,
        subscription_proration_date: None,
    }
}

/// draft → open: numbers the invoice and sets its due date. An invoice with nothing due is paid
/// at once; one charged automatically asks for a payment through a custom payment method.
pub fn finalize(store: &mut Store, id: &str) -> Result<(), ApiError> {
    let at = open(store, id)?;
    let invoice = get(store, id)?;
    let (nothing_due, automatic, body) = (invoice.amount_due() == 0, invoice.collection_method == "charge_automatically", invoice.render());
    events::emit(store, "invoice.finalized", body.clone(), None);
    if nothing_due {
        mark_paid(store, id, at)?;
    } else if automatic {
        events::emit(store, "invoice.payment_attempt_required", body, None);
    }
    Ok(())
}

/// Finalizes an invoice made while its subscription's collection is paused and at once voids it
/// or marks it uncollectible, as the pause asks: no payment is asked for.
pub fn finalize_closed(store: &mut Store, id: &str, closed: Status) -> Result<(), ApiError> {
    let at = open(store, id)?;
    let invoice = get_mut(store, id)?;
    let finalized = invoice.render();
    let event = if closed == Status::Void {
        invoice.voided_at = Some(at);
        "invoice.voided"
    } else {
        invoice.marked_uncollectible_at = Some(at);
        "invoice.marked_uncollectible"
    };
    invoice.status = closed;
    let body = invoice.render();
    events::emit(store, "invoice.finalized", finalized, None);
    events::emit(store, event, body, None);
    Ok(())
}

/// The state change of finalizing, without its events: answers the customer's time.
fn open(store: &mut Store, id: &str) -> Result<i64, ApiError> {
    let invoice = get(store, id)?;
    if invoice.status != Status::Draft {
        return Err(ApiError::state(format!("Invoice {id} is already finalized ({}); you can only finalize a draft invoice.", invoice.status.name())));
    }
    let customer = invoice.customer.clone();
    let at = store.time_for_customer(&customer);
    let number = store.customers.get_mut(&customer).map(|c| c.take_invoice_number());
    let invoice = get_mut(store, id)?;
    invoice.status = Status::Open;
    invoice.finalized_at = Some(at);
    invoice.number = number;
    if invoice.collection_method == "send_invoice" && invoice.due_date.is_none() {
        invoice.due_date = invoice.days_until_due.map(|days| at + days * 86_400);
    }
    Ok(at)
}

/// open or uncollectible → paid, with `invoice.paid`; a subscription waiting for this payment
/// becomes active.
pub fn mark_paid(store: &mut Store, id: &str, at: i64) -> Result<(), ApiError> {
    let invoice = get_mut(store, id)?;
    invoice.status = Status::Paid;
    invoice.paid_at = Some(at);
    let (body, subscription) = (invoice.render(), invoice.subscription.clone());
    events::emit(store, "invoice.paid", body, None);
    if let Some(s) = subscription {
        subscriptions::refresh_status(store, &s, at);
    }
    Ok(())
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[
        "auto_advance",
        "collection_method",
        "currency",
        "customer",
        "days_until_due",
        "description",
        "due_date",
        "metadata",
        "pending_invoice_items_behavior",
    ])?;
    let customer = p.required_str("customer")?.to_string();
    let collection_method = p.one_of("collection_method", CollectionMethod::ALL)?.unwrap_or("charge_automatically");
    let days_until_due = p.bounded("days_until_due", 0, 10_000)?;
    let due_date = p.timestamp("due_date")?;
    if collection_method == "send_invoice" && days_until_due.is_none() && due_date.is_none() {
        return Err(ApiError::invalid_value("days_until_due", "Invoices with collection_method=send_invoice need either days_until_due or due_date."));
    }
    if collection_method == "charge_automatically" && (days_until_due.is_some() || due_date.is_some()) {
        let param = if days_until_due.is_some() { "days_until_due" } else { "due_date" };
        return Err(ApiError::invalid_value(param, format!("{param} can only be set when collection_method is send_invoice.")));
    }
    let currency = p.currency("currency")?;
    let include_pending = p.one_of("pending_invoice_items_behavior", &["exclude", "include"])? == Some("include");
    let description = p.text("description")?;
    let metadata = p.new_metadata("metadata")?;
    let auto_advance = p.bool("auto_advance")?.unwrap_or(false);
    emu.write(&req.meta, |store| {
        let c = store.customers.get(&customer).ok_or_else(|| ApiError::no_such_param("customer", &customer, "customer"))?;
        // Stripe falls back to the account's default currency; the emulator's account is in USD.
        let currency = currency.or_else(|| c.currency.clone()).unwrap_or_else(|| "usd".to_string());
        let lines = if include_pending { super::invoice_items::take_pending(store, &customer, &currency) } else { Vec::new() };
        let new = NewInvoice {
            customer,
            currency,
            collection_method,
            days_until_due,
            due_date,
            description,
            metadata,
            auto_advance,
            subscription: None,
            billing_reason: "manual",
            lines,
        };
        let id = insert(store, new);
        req.respond(store, get(store, &id)?.render())
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| req.respond(store, get(store, &id)?.render())).await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["collection_method", "customer", "status", "subscription"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let customer = p.text("customer")?;
    let status = p.one_of("status", &["draft", "open", "paid", "uncollectible", "void"])?;
    let subscription = p.text("subscription")?;
    let method = p.one_of("collection_method", CollectionMethod::ALL)?;
    emu.read(|store| {
        let keep = |i: &Invoice| {
            customer.as_ref().is_none_or(|c| i.customer == *c)
                && status.is_none_or(|s| i.status.name() == s)
                && subscription.as_ref().is_none_or(|s| i.subscription.as_ref() == Some(s))
                && method.is_none_or(|m| i.collection_method == m)
        };
        let page = paginate_table(&store.invoices, &query, keep, "invoice")?;
        let data = page.items.into_iter().map(Invoice::render).collect();
        req.respond(store, list_json("/v1/invoices", data, page.has_more))
    })
    .await
}
