//! Invoice items (`ii_`): an amount, or a one-time price times a quantity, for a customer. Added
//! to a draft invoice it becomes one of its lines; otherwise it waits, pending, for an invoice
//! created with `pending_invoice_items_behavior=include`.

use super::catalog;
use super::invoices::{self, Line, LineSource, Status, pricing};
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, list_json, paginate_table};
use crate::server::stripe::emulator::params::{MAX_AMOUNT, Metadata};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::{Row, Store};
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct InvoiceItem {
    pub id: String,
    pub invoice: Option<String>,
    created: i64,
    customer: String,
    currency: String,
    amount: i64,
    quantity: i64,
    unit_amount: Option<i64>,
    description: Option<String>,
    /// (price, product) when made from a price.
    price: Option<(String, String)>,
    metadata: Metadata,
    period: (i64, i64),
    test_clock: Option<String>,
}

impl Row for InvoiceItem {
    fn id(&self) -> &str {
        &self.id
    }
}

impl InvoiceItem {
    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "invoiceitem",
            "amount": self.amount,
            "currency": self.currency,
            "customer": self.customer,
            "date": self.created,
            "description": self.description,
            "discountable": true,
            "discounts": [],
            "invoice": self.invoice,
            "livemode": false,
            "metadata": self.metadata,
            "net_amount": self.amount,
            "parent": null,
            "period": { "end": self.period.1, "start": self.period.0 },
            "pricing": pricing(&self.price, self.unit_amount),
            "proration": false,
            "proration_details": { "credited_items": null },
            "quantity": self.quantity,
            "quantity_decimal": self.quantity.to_string(),
            "tax_rates": [],
            "test_clock": self.test_clock,
        })
    }

    fn line(&self) -> Line {
        Line {
            id: ids::new_id("il"),
            amount: self.amount,
            currency: self.currency.clone(),
            description: self.description.clone(),
            period: self.period,
            quantity: self.quantity,
            unit_amount: self.unit_amount,
            price: self.price.clone(),
            source: LineSource::InvoiceItem(self.id.clone()),
            metadata: self.metadata.clone(),
        }
    }
}

/// Lines for the customer's pending items in `currency`, for a new invoice that includes them.
pub fn take_pending(store: &Store, customer: &str, currency: &str) -> Vec<Line> {
    store.invoice_items.rows().iter().filter(|i| i.invoice.is_none() && i.customer == customer && i.currency == currency).map(InvoiceItem::line).collect()
}

/// How the amount is given: directly, or as a price times a quantity.
enum Charge {
    Amount(i64),
    Price { price: String, quantity: i64 },
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["amount", "currency", "customer", "description", "invoice", "metadata", "period", "pricing", "quantity"])?;
    let price = match p.object("pricing", &["price"])? {
        Some(pricing) => Some(pricing.required_str("price")?.to_string()),
        None => None,
    };
    let quantity = p.bounded("quantity", 1, i64::from(u32::MAX))?;
    // A negative amount is a discount line, as Stripe allows.
    let charge = match (p.bounded("amount", -MAX_AMOUNT, MAX_AMOUNT)?, price) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_value("pricing", "You may only specify one of these parameters: amount, pricing."));
        }
        (Some(_), None) if quantity.is_some() => {
            return Err(ApiError::invalid_value("quantity", "quantity can only be used with pricing[price]."));
        }
        (Some(amount), None) => Charge::Amount(amount),
        (None, Some(price)) => Charge::Price { price, quantity: quantity.unwrap_or(1) },
        (None, None) => return Err(ApiError::missing("amount")),
    };
    let currency = p.currency("currency")?;
    let customer = p.text("customer")?;
    let invoice = p.text("invoice")?;
    let description = p.text("description")?;
    let metadata = p.new_metadata("metadata")?;
    let period = match p.object("period", &["start", "end"])? {
        Some(period) => Some((period.required_timestamp("start")?, period.required_timestamp("end")?)),
        None => None,
    };
    emu.write(&req.meta, |store| {
        let on_invoice = match &invoice {
            Some(id) => {
                let i = store.invoices.get(id).ok_or_else(|| ApiError::no_such_param("invoice", id, "invoice"))?;
                if i.status != Status::Draft {
                    return Err(ApiError::state(format!("Invoice {id} is {}; invoice items can only be added to draft invoices.", i.status.name()))
                        .with_param("invoice")
                        .with_code("invoice_not_editable"));
                }
                Some((i.customer.clone(), i.currency.clone()))
            }
            None => None,
        };
        let customer = match (customer, &on_invoice) {
            (Some(c), Some((owner, _))) if c != *owner => {
                return Err(ApiError::state(format!("Invoice {} belongs to another customer.", invoice.unwrap_or_default())).with_param("customer"));
            }
            (Some(c), _) => c,
            (None, Some((owner, _))) => owner.clone(),
            (None, None) => return Err(ApiError::missing("customer")),
        };
        let c = store.customers.get(&customer).ok_or_else(|| ApiError::no_such_param("customer", &customer, "customer"))?;
        let customer_currency = c.currency.clone();
        let (amount, quantity, unit_amount, price, price_currency) = match &charge {
            Charge::Amount(amount) => (*amount, 1, None, None, None),
            Charge::Price { price, quantity } => {
                let pr = catalog::price(store, price, "pricing[price]")?;
                if pr.recurring.is_some() {
                    return Err(ApiError::state(format!(
                        "The price specified ({price}) is set to type=recurring but this field only accepts prices with \
                         type=one_time."
                    ))
                    .with_param("pricing[price]"));
                }
                let amount =
                    pr.unit_amount.checked_mul(*quantity).ok_or_else(|| ApiError::invalid_value("quantity", "The quantity makes the amount too large."))?;
                (amount, *quantity, Some(pr.unit_amount), Some((pr.id.clone(), pr.product.clone())), Some(pr.currency.clone()))
            }
        };
        let invoice_currency = on_invoice.map(|(_, cur)| cur);
        let currency = price_currency.or(currency).or(invoice_currency.clone()).or(customer_currency).ok_or_else(|| ApiError::missing("currency"))?;
        if let Some(cur) = invoice_currency.filter(|cur| *cur != currency) {
            return Err(ApiError::state(format!("The invoice item's currency ({currency}) must match the invoice's currency ({cur}).")).with_param("currency"));
        }
        let now = store.time_for_customer(&customer);
        let test_clock = store.customers.get(&customer).and_then(|c| c.test_clock.clone());
        let item = InvoiceItem {
            id: ids::new_id("ii"),
            invoice: invoice.clone(),
            created: now,
            customer: customer.clone(),
            currency: currency.clone(),
            amount,
            quantity,
            unit_amount,
            description,
            price,
            metadata,
            period: period.unwrap_or((now, now)),
            test_clock,
        };
        let (line, body) = (item.line(), item.render());
        store.invoice_items.insert(item);
        if let Some(c) = store.customers.get_mut(&customer).filter(|c| c.currency.is_none()) {
            c.currency = Some(currency);
        }
        events::emit(store, "invoiceitem.created", body.clone(), None);
        if let Some(id) = &invoice {
            let inv = invoices::get_mut(store, id)?;
            let before = inv.render();
            inv.lines.push(line);
            let after = inv.render();
            events::emit_update(store, "invoice.updated", &before, after);
        }
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let item = store.invoice_items.get(&id).ok_or_else(|| ApiError::no_such("invoiceitem", &id))?;
        req.respond(store, item.render())
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["customer", "invoice", "pending"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let customer = p.text("customer")?;
    let invoice = p.text("invoice")?;
    let pending = p.bool("pending")?;
    emu.read(|store| {
        let keep = |i: &InvoiceItem| {
            customer.as_ref().is_none_or(|c| i.customer == *c)
                && invoice.as_ref().is_none_or(|inv| i.invoice.as_ref() == Some(inv))
                && pending.is_none_or(|p| i.invoice.is_none() == p)
        };
        let page = paginate_table(&store.invoice_items, &query, keep, "invoiceitem")?;
        let data = page.items.into_iter().map(InvoiceItem::render).collect();
        req.respond(store, list_json("/v1/invoiceitems", data, page.has_more))
    })
    .await
}
