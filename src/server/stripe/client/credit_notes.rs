//! Credit notes (`cn_...`): how a refund of an invoiced payment shows up on the invoice.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, stripe_object, wire_enum};
use super::customers::Customer;
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::invoices::Invoice;
use super::list::{ListOptions, Pager};

wire_enum!(CreditNoteStatus { Issued = "issued", Void = "void" } or Unknown);

wire_enum!(
    CreditNoteReason {
        Duplicate = "duplicate",
        Fraudulent = "fraudulent",
        OrderChange = "order_change",
        ProductUnsatisfactory = "product_unsatisfactory",
    }
);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreditNote {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub invoice: Expandable<Invoice>,
    pub customer: Option<Expandable<Customer>>,
    pub amount: i64,
    pub currency: String,
    pub total: Option<i64>,
    pub out_of_band_amount: Option<i64>,
    pub number: Option<String>,
    pub memo: Option<String>,
    pub reason: Option<CreditNoteReason>,
    pub status: CreditNoteStatus,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub refunds: Vec<CreditNoteRefund>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(CreditNote);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreditNoteRefund {
    pub amount_refunded: i64,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub payment_record_refund: Option<RecordRefundLink>,
}

/// A refund reported on a Payment Record, identified by its `refund_reference`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RecordRefundLink {
    pub payment_record: String,
    pub refund_group: String,
}

/// One `lines[n]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditNoteLine {
    InvoiceLine { invoice_line_item: String, amount: Option<i64>, quantity: Option<u32> },
    Custom { description: String, unit_amount: i64, quantity: u32 },
}

impl Encode for CreditNoteLine {
    fn encode(&self, scope: &mut Scope<'_>) {
        match self {
            Self::InvoiceLine { invoice_line_item, amount, quantity } => {
                scope.value("type", "invoice_line_item").value("invoice_line_item", invoice_line_item).opt("amount", *amount).opt("quantity", *quantity)
            }
            Self::Custom { description, unit_amount, quantity } => {
                scope.value("type", "custom_line_item").value("description", description).value("unit_amount", *unit_amount).value("quantity", *quantity)
            }
        };
    }
}

/// One `refunds[n]` entry linking a Payment Record refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecordRefund {
    pub payment_record: String,
    /// The `refund_reference` the refund was reported with.
    pub refund_group: String,
    /// Defaults to the whole refund.
    pub amount_refunded: Option<i64>,
}

impl Encode for LinkRecordRefund {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("type", "payment_record_refund")
            .with("payment_record_refund", |link| {
                link.value("payment_record", &self.payment_record).value("refund_group", &self.refund_group);
            })
            .opt("amount_refunded", self.amount_refunded);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateCreditNote {
    pub invoice: String,
    /// Either a total `amount` or `lines`.
    pub amount: Option<i64>,
    pub lines: Vec<CreditNoteLine>,
    pub refunds: Vec<LinkRecordRefund>,
    pub out_of_band_amount: Option<i64>,
    pub memo: Option<String>,
    pub reason: Option<CreditNoteReason>,
    pub metadata: Metadata,
}

impl Encode for CreateCreditNote {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("invoice", &self.invoice)
            .opt("amount", self.amount)
            .objects("lines", &self.lines)
            .objects("refunds", &self.refunds)
            .opt("out_of_band_amount", self.out_of_band_amount)
            .opt("memo", self.memo.as_ref())
            .opt("reason", self.reason)
            .map("metadata", &self.metadata);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCreditNotes {
    pub invoice: Option<String>,
    pub customer: Option<String>,
    pub page: ListOptions,
}

impl Encode for ListCreditNotes {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("invoice", self.invoice.as_ref()).opt("customer", self.customer.as_ref());
    }
}

pub struct CreditNotes<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn credit_notes(&self) -> CreditNotes<'_> {
        CreditNotes { client: self }
    }
}

const PATH: &str = "credit_notes";

impl CreditNotes<'_> {
    pub async fn create(&self, request: &CreateCreditNote, key: &IdempotencyKey) -> Result<CreditNote, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub fn list(&self, request: &ListCreditNotes) -> Pager<CreditNote> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_refund_credit_note_encodes_as_documented() {
        let request = CreateCreditNote {
            invoice: "in_1".into(),
            amount: Some(500),
            refunds: vec![LinkRecordRefund { payment_record: "pr_1".into(), refund_group: "rf_tx_2".into(), amount_refunded: Some(500) }],
            ..Default::default()
        };
        assert_eq!(
            Params::of(&request).to_form(),
            "invoice=in_1&amount=500&refunds%5B0%5D%5Btype%5D=payment_record_refund\
             &refunds%5B0%5D%5Bpayment_record_refund%5D%5Bpayment_record%5D=pr_1\
             &refunds%5B0%5D%5Bpayment_record_refund%5D%5Brefund_group%5D=rf_tx_2\
             &refunds%5B0%5D%5Bamount_refunded%5D=500"
        );
    }

    #[test]
    fn lines_carry_their_type() {
        let request = CreateCreditNote {
            invoice: "in_1".into(),
            lines: vec![
                CreditNoteLine::InvoiceLine { invoice_line_item: "il_1".into(), amount: None, quantity: Some(1) },
                CreditNoteLine::Custom { description: "Goodwill".into(), unit_amount: 100, quantity: 2 },
            ],
            ..Default::default()
        };
        let params = Params::of(&request);
        assert_eq!(params.get("lines[0][type]"), Some("invoice_line_item"));
        assert_eq!(params.get("lines[0][quantity]"), Some("1"));
        assert_eq!(params.get("lines[1][type]"), Some("custom_line_item"));
        assert_eq!(params.get("lines[1][unit_amount]"), Some("100"));
    }
}
