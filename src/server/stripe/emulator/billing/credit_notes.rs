//! Credit notes (`cn_`) on finalized invoices. The part of the amount that the invoice still owes
//! is credited before payment (lowering `amount_due`); the rest is credited after payment and
//! must be accounted for by `refunds` of type `payment_record_refund` (naming a refund reported
//! on a record that paid this invoice) and `out_of_band_amount`.

use super::invoices::{self, Status};
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, embedded_list, list_json, paginate_table};
use crate::server::stripe::emulator::params::{Fields, Metadata};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::{Row, Store};
use crate::server::stripe::emulator::words::{self, Word, Words};
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

struct LineType;

impl Words for LineType {
    const ALL: &'static [&'static str] = &["custom_line_item", "invoice_line_item"];
}

struct Reason;

impl Words for Reason {
    const ALL: &'static [&'static str] = &["duplicate", "fraudulent", "order_change", "product_unsatisfactory"];
}

#[derive(Serialize, Deserialize)]
struct RecordRefund {
    payment_record: String,
    refund_group: String,
    amount_refunded: i64,
}

#[derive(Serialize, Deserialize)]
struct NoteLine {
    id: String,
    #[serde(deserialize_with = "words::one::<LineType, _>")]
    kind: Word,
    amount: i64,
    quantity: i64,
    unit_amount: Option<i64>,
    description: Option<String>,
    invoice_line_item: Option<String>,
}

impl NoteLine {
    fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "credit_note_line_item",
            "amount": self.amount,
            "description": self.description,
            "discount_amount": 0,
            "discount_amounts": [],
            "invoice_line_item": self.invoice_line_item,
            "livemode": false,
            "metadata": {},
            "pretax_credit_amounts": [],
            "quantity": self.quantity,
            "tax_rates": [],
            "taxes": [],
            "type": self.kind,
            "unit_amount": self.unit_amount,
            "unit_amount_decimal": self.unit_amount.map(|u| u.to_string()),
        })
    }
}

#[derive(Serialize, Deserialize)]
pub struct CreditNote {
    pub id: String,
    created: i64,
    invoice: String,
    customer: String,
    currency: String,
    amount: i64,
    pre_payment: i64,
    post_payment: i64,
    out_of_band: Option<i64>,
    refunds: Vec<RecordRefund>,
    lines: Vec<NoteLine>,
    memo: Option<String>,
    #[serde(deserialize_with = "words::optional::<Reason, _>")]
    reason: Option<Word>,
    metadata: Metadata,
    number: String,
}

impl Row for CreditNote {
    fn id(&self) -> &str {
        &self.id
    }
}

impl CreditNote {
    pub fn render(&self) -> Value {
        let kind = match (self.pre_payment > 0, self.post_payment > 0) {
            (true, true) => "mixed",
            (true, false) => "pre_payment",
            _ => "post_payment",
        };
        let refunds: Vec<Value> = self
            .refunds
            .iter()
            .map(|r| {
                json!({
                    "amount_refunded": r.amount_refunded,
                    "payment_record_refund": { "payment_record": r.payment_record, "refund_group": r.refund_group },
                    "refund": null,
                    "type": "payment_record_refund",
                })
            })
            .collect();
        json!({
            "id": self.id,
            "object": "credit_note",
            "amount": self.amount,
            "amount_shipping": 0,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "customer_balance_transaction": null,
            "discount_amount": 0,
            "discount_amounts": [],
            "effective_at": self.created,
            "invoice": self.invoice,
            "lines": embedded_list(
                &format!("/v1/credit_notes/{}/lines", self.id),
                self.lines.iter().map(NoteLine::render).collect(),
            ),
            "livemode": false,
            "memo": self.memo,
            "metadata": self.metadata,
            "number": self.number,
            "out_of_band_amount": self.out_of_band,
            "pdf": null,
            "post_payment_amount": self.post_payment,
            "pre_payment_amount": self.pre_payment,
            "pretax_credit_amounts": [],
            "reason": self.reason,
            "refunds": refunds,
            "shipping_cost": null,
            "status": "issued",
            "subtotal": self.amount,
            "subtotal_excluding_tax": self.amount,
            "total": self.amount,
            "total_excluding_tax": self.amount,
            "total_taxes": [],
            "type": kind,
            "voided_at": null,
        })
    }
}

/// A line as requested; an `invoice_line_item` line's amount defaults to that line's.
struct LineRequest {
    kind: &'static str,
    amount: Option<i64>,
    quantity: i64,
    unit_amount: Option<i64>,
    description: Option<String>,
    invoice_line_item: Option<String>,
}

fn line_request(l: &Fields<'_>) -> Result<LineRequest, ApiError> {
    let kind = l.required_one_of("type", LineType::ALL)?;
    let quantity = l.bounded("quantity", 1, i64::from(u32::MAX))?.unwrap_or(1);
    let description = l.text("description")?;
    if kind == "custom_line_item" {
        let unit = l.required_amount("unit_amount")?;
        let amount = unit.checked_mul(quantity).ok_or_else(|| ApiError::invalid_value(&l.name("quantity"), "Too large."))?;
        if description.is_none() {
            return Err(ApiError::missing(&l.name("description")));
        }
        return Ok(LineRequest { kind, amount: Some(amount), quantity, unit_amount: Some(unit), description, invoice_line_item: None });
    }
    let item = l.required_str("invoice_line_item")?.to_string();
    Ok(LineRequest { kind, amount: l.amount("amount")?, quantity, unit_amount: None, description, invoice_line_item: Some(item) })
}

struct RefundRequest {
    record_param: String,
    group_param: String,
    amount_param: String,
    payment_record: String,
    refund_group: String,
    amount: Option<i64>,
}

fn refund_request(r: &Fields<'_>) -> Result<RefundRequest, ApiError> {
    if let Some(refund) = r.text("refund")? {
        return Err(ApiError::no_such_param("refund", &refund, &r.name("refund")));
    }
    r.one_of("type", &["payment_record_refund"])?;
    let prr = r.required_object("payment_record_refund", &["payment_record", "refund_group"])?;
    Ok(RefundRequest {
        record_param: prr.name("payment_record"),
        group_param: prr.name("refund_group"),
        amount_param: r.name("amount_refunded"),
        payment_record: prr.required_str("payment_record")?.to_string(),
        refund_group: prr.required_str("refund_group")?.to_string(),
        amount: r.amount("amount_refunded")?,
    })
}

/// Checks each refund against what its refund group has left to credit, returning the amounts.
fn resolve_refunds(store: &Store, invoice: &str, requests: &[RefundRequest]) -> Result<Vec<RecordRefund>, ApiError> {
    let mut used: Vec<(String, String, i64)> = Vec::new();
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let record =
            store.payment_records.get(&r.payment_record).ok_or_else(|| ApiError::no_such_param("payment_record", &r.payment_record, &r.record_param))?;
        let paid_this_invoice = record.invoice_payments.iter().filter_map(|p| store.invoice_payments.get(p)).any(|p| p.invoice == invoice);
        if !paid_this_invoice {
            return Err(ApiError::state(format!("Payment record {} did not pay invoice {invoice}.", r.payment_record)).with_param(&r.record_param));
        }
        let refund = record.refunds.iter().find(|x| x.reference.as_deref() == Some(r.refund_group.as_str())).ok_or_else(|| {
            ApiError::state(format!("Payment record {} has no refund with refund_reference '{}'.", r.payment_record, r.refund_group)).with_param(&r.group_param)
        })?;
        let earlier: i64 = used.iter().filter(|(p, g, _)| *p == r.payment_record && *g == r.refund_group).map(|u| u.2).sum();
        let available = refund.amount - refund.credited - earlier;
        let amount = r.amount.unwrap_or(available);
        if amount == 0 || amount > available {
            return Err(ApiError::state(format!("Refund group '{}' has {available} left to credit; {amount} was requested.", r.refund_group))
                .with_param(&r.amount_param));
        }
        used.push((r.payment_record.clone(), r.refund_group.clone(), amount));
        out.push(RecordRefund { payment_record: r.payment_record.clone(), refund_group: r.refund_group.clone(), amount_refunded: amount });
    }
    Ok(out)
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["amount", "invoice", "lines", "memo", "metadata", "out_of_band_amount", "reason", "refunds"])?;
    let invoice_id = p.required_str("invoice")?.to_string();
    let amount = p.amount("amount")?;
    let lines: Vec<LineRequest> = p
        .objects("lines", &["amount", "description", "invoice_line_item", "quantity", "type", "unit_amount"])?
        .iter()
        .map(line_request)
        .collect::<Result<_, _>>()?;
    let refunds: Vec<RefundRequest> =
        p.objects("refunds", &["amount_refunded", "payment_record_refund", "refund", "type"])?.iter().map(refund_request).collect::<Result<_, _>>()?;
    let out_of_band = p.amount("out_of_band_amount")?;
    let reason = p.one_of("reason", Reason::ALL)?;
    let memo = p.text("memo")?;
    let metadata = p.new_metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let invoice = store.invoices.get(&invoice_id).ok_or_else(|| ApiError::no_such_param("invoice", &invoice_id, "invoice"))?;
        if !matches!(invoice.status, Status::Open | Status::Paid | Status::Uncollectible) {
            return Err(ApiError::state(format!(
                "Invoice {invoice_id} is {}; credit notes can only be issued for open, paid or uncollectible invoices.",
                invoice.status.name()
            ))
            .with_param("invoice"));
        }
        let mut note_lines = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let amount = match (&l.invoice_line_item, l.amount) {
                (_, Some(a)) => a,
                (Some(item), None) => invoice
                    .lines
                    .iter()
                    .find(|x| x.id == *item)
                    .map(|x| x.amount)
                    .ok_or_else(|| ApiError::no_such_param("invoice line item", item, &format!("lines[{i}][invoice_line_item]")))?,
                (None, None) => return Err(ApiError::missing(&format!("lines[{i}][amount]"))),
            };
            if let Some(item) = l.invoice_line_item.as_ref().filter(|item| !invoice.lines.iter().any(|x| x.id == **item)) {
                return Err(ApiError::no_such_param("invoice line item", item, &format!("lines[{i}][invoice_line_item]")));
            }
            note_lines.push(NoteLine {
                id: ids::new_id("cnli"),
                kind: l.kind,
                amount,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                description: l.description.clone(),
                invoice_line_item: l.invoice_line_item.clone(),
            });
        }
        let lines_total = note_lines.iter().fold(0i64, |sum, l| sum.saturating_add(l.amount));
        let total = match amount {
            Some(a) if !note_lines.is_empty() && a != lines_total => {
                return Err(ApiError::invalid_value("amount", format!("The amount ({a}) must equal the sum of the lines ({lines_total}).")));
            }
            Some(a) => a,
            None if !note_lines.is_empty() => lines_total,
            None => return Err(ApiError::missing("amount")),
        };
        let paid_uncredited = invoice.amount_paid - invoice.post_payment_credit;
        let owed = if invoice.status == Status::Paid { 0 } else { invoice.amount_remaining() };
        if total <= 0 || total > owed + paid_uncredited {
            return Err(ApiError::state(format!(
                "The credit note amount ({total}) must be positive and at most what invoice {invoice_id} has left to \
                 credit ({}).",
                owed + paid_uncredited
            ))
            .with_param("amount"));
        }
        let pre = total.min(owed);
        let post = total - pre;
        let resolved = resolve_refunds(store, &invoice_id, &refunds)?;
        let accounted = resolved.iter().fold(out_of_band.unwrap_or(0), |sum, r| sum.saturating_add(r.amount_refunded));
        if accounted != post {
            return Err(ApiError::state(format!(
                "The refunds and out_of_band_amount ({accounted}) must add up to the part of the credit note after \
                 payment ({post})."
            ))
            .with_param("refunds"));
        }
        let (customer, currency, number) =
            (invoice.customer.clone(), invoice.currency.clone(), format!("{}-CN-{:02}", invoice.number.clone().unwrap_or_default(), invoice.credit_notes + 1));
        for r in &resolved {
            let refund = store
                .payment_records
                .get_mut(&r.payment_record)
                .and_then(|rec| rec.refunds.iter_mut().find(|x| x.reference.as_deref() == Some(r.refund_group.as_str())));
            if let Some(refund) = refund {
                refund.credited += r.amount_refunded;
            }
        }
        let created = store.time_for_customer(&customer);
        let note = CreditNote {
            id: ids::new_id("cn"),
            created,
            invoice: invoice_id.clone(),
            customer,
            currency,
            amount: total,
            pre_payment: pre,
            post_payment: post,
            out_of_band,
            refunds: resolved,
            lines: note_lines,
            memo,
            reason,
            metadata,
            number,
        };
        let body = note.render();
        store.credit_notes.insert(note);
        let invoice = invoices::get_mut(store, &invoice_id)?;
        let before = invoice.render();
        invoice.credit_notes += 1;
        invoice.pre_payment_credit += pre;
        invoice.post_payment_credit += post;
        let settled = invoice.status != Status::Paid && invoice.amount_remaining() == 0;
        let after = invoice.render();
        events::emit(store, "credit_note.created", body.clone(), None);
        if settled {
            invoices::mark_paid(store, &invoice_id, created)?;
        } else {
            events::emit_update(store, "invoice.updated", &before, after);
        }
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let note = store.credit_notes.get(&id).ok_or_else(|| ApiError::no_such("credit_note", &id))?;
        req.respond(store, note.render())
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["customer", "invoice"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let customer = p.text("customer")?;
    let invoice = p.text("invoice")?;
    emu.read(|store| {
        let keep = |n: &CreditNote| customer.as_ref().is_none_or(|c| n.customer == *c) && invoice.as_ref().is_none_or(|i| n.invoice == *i);
        let page = paginate_table(&store.credit_notes, &query, keep, "credit_note")?;
        let data = page.items.into_iter().map(CreditNote::render).collect();
        req.respond(store, list_json("/v1/credit_notes", data, page.has_more))
    })
    .await
}
