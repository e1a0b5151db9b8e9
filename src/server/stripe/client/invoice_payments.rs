//! Invoice payments (`inpay_...`): how an invoice got paid, e.g. by a Payment Record.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, stripe_object, wire_enum};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::invoices::Invoice;
use super::list::{ListOptions, Pager};
use super::payment_records::PaymentRecord;

wire_enum!(InvoicePaymentStatus { Open = "open", Paid = "paid", Canceled = "canceled" } or Unknown);

wire_enum!(
    InvoicePaymentKind { Charge = "charge", PaymentIntent = "payment_intent", PaymentRecord = "payment_record" }
    or Unknown
);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InvoicePayment {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub amount_paid: Option<i64>,
    pub amount_requested: i64,
    pub currency: String,
    pub invoice: Expandable<Invoice>,
    pub is_default: bool,
    pub payment: PaymentReference,
    pub status: InvoicePaymentStatus,
    pub status_transitions: Option<InvoicePaymentTransitions>,
}
stripe_object!(InvoicePayment);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentReference {
    #[serde(rename = "type")]
    pub kind: InvoicePaymentKind,
    pub payment_record: Option<Expandable<PaymentRecord>>,
    /// Left undecoded: Regio never pays through Stripe charges or payment intents.
    pub charge: Option<serde_json::Value>,
    pub payment_intent: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct InvoicePaymentTransitions {
    pub paid_at: Option<i64>,
    pub canceled_at: Option<i64>,
}

/// `GET /v1/invoice_payments`, by invoice and/or by the Payment Record that paid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvoicePayments {
    pub invoice: Option<String>,
    pub payment_record: Option<String>,
    pub status: Option<InvoicePaymentStatus>,
    pub page: ListOptions,
}

impl Encode for ListInvoicePayments {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("invoice", self.invoice.as_ref());
        if let Some(record) = &self.payment_record {
            scope.with("payment", |payment| {
                payment.value("type", "payment_record").value("payment_record", record);
            });
        }
        scope.opt("status", self.status);
    }
}

pub struct InvoicePayments<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn invoice_payments(&self) -> InvoicePayments<'_> {
        InvoicePayments { client: self }
    }
}

const PATH: &str = "invoice_payments";

impl InvoicePayments<'_> {
    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<InvoicePayment, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListInvoicePayments) -> Pager<InvoicePayment> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_by_payment_record_names_the_payment_type() {
        let request = ListInvoicePayments { payment_record: Some("pr_1".into()), ..Default::default() };
        assert_eq!(Params::of(&request).to_form(), "payment%5Btype%5D=payment_record&payment%5Bpayment_record%5D=pr_1");
    }

    #[test]
    fn an_invoice_payment_decodes() {
        let payment: InvoicePayment = serde_json::from_str(
            r#"{"id":"inpay_1","object":"invoice_payment","livemode":false,"created":5,"amount_paid":3000,
                "amount_requested":3000,"currency":"jpy","invoice":"in_1","is_default":true,
                "payment":{"type":"payment_record","payment_record":"pr_1"},"status":"paid",
                "status_transitions":{"paid_at":6,"canceled_at":null}}"#,
        )
        .unwrap();
        assert_eq!(payment.payment.kind, InvoicePaymentKind::PaymentRecord);
        assert_eq!(payment.payment.payment_record.as_ref().map(Expandable::id), Some("pr_1"));
        assert_eq!(payment.status, InvoicePaymentStatus::Paid);
        assert_eq!(payment.status_transitions.and_then(|t| t.paid_at), Some(6));
    }
}
