//! Invoice payments (`inpay_`): which payment paid how much of which invoice. The emulator makes
//! them from payment records attached with `attach_payment`; each is `paid` at once.

use crate::server::stripe::emulator::Emulator;
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, list_json, paginate_ids, paginate_table};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::Row;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct InvoicePayment {
    pub id: String,
    pub created: i64,
    pub invoice: String,
    pub currency: String,
    pub amount: i64,
    pub payment_record: String,
}

impl Row for InvoicePayment {
    fn id(&self) -> &str {
        &self.id
    }
}

impl InvoicePayment {
    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "invoice_payment",
            "amount_paid": self.amount,
            "amount_requested": self.amount,
            "created": self.created,
            "currency": self.currency,
            "invoice": self.invoice,
            "is_default": false,
            "livemode": false,
            "payment": { "type": "payment_record", "payment_record": self.payment_record },
            "status": "paid",
            "status_transitions": { "canceled_at": null, "paid_at": self.created },
        })
    }
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["invoice", "payment", "status"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let invoice = p.text("invoice")?;
    let record = match p.object("payment", &["type", "payment_intent", "payment_record"])? {
        Some(payment) => match payment.required_one_of("type", &["payment_intent", "payment_record"])? {
            "payment_record" => Some(payment.required_str("payment_record")?.to_string()),
            // No PaymentIntents exist in the emulator, so none of its invoice payments match.
            _ => Some(String::new()),
        },
        None => None,
    };
    let status = p.one_of("status", &["canceled", "open", "paid"])?;
    emu.read(|store| {
        let keep = |x: &InvoicePayment| {
            status.is_none_or(|s| s == "paid") && invoice.as_ref().is_none_or(|i| x.invoice == *i) && record.as_ref().is_none_or(|r| x.payment_record == *r)
        };
        let table = &store.invoice_payments;
        let by_invoice = invoice.as_ref().and_then(|i| store.invoices.get(i)).map(|i| &i.payments);
        let by_record = record.as_ref().and_then(|r| store.payment_records.get(r)).map(|r| &r.invoice_payments);
        let page = match by_invoice.or(by_record) {
            Some(ids) => paginate_ids(table, ids, &query, keep, "invoice_payment")?,
            None if invoice.is_some() || record.is_some() => paginate_ids(table, &[], &query, keep, "invoice_payment")?,
            None => paginate_table(table, &query, keep, "invoice_payment")?,
        };
        let data = page.items.into_iter().map(InvoicePayment::render).collect();
        req.respond(store, list_json("/v1/invoice_payments", data, page.has_more))
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let payment = store.invoice_payments.get(&id).ok_or_else(|| ApiError::no_such("invoice_payment", &id))?;
        req.respond(store, payment.render())
    })
    .await
}
