//! Invoices (`in_...`): draft → open → paid / void / uncollectible; paid here by attaching a
//! guaranteed Payment Record.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, Period, TimeRange, stripe_object, wire_enum};
use super::customers::Customer;
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::list::{List, ListOptions, Pager};

wire_enum!(
    InvoiceStatus { Draft = "draft", Open = "open", Paid = "paid", Uncollectible = "uncollectible", Void = "void" }
    or Unknown
);

wire_enum!(CollectionMethod { ChargeAutomatically = "charge_automatically", SendInvoice = "send_invoice" });

wire_enum!(PendingInvoiceItems { Include = "include", Exclude = "exclude" });

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub customer: Option<Expandable<Customer>>,
    pub status: Option<InvoiceStatus>,
    pub currency: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub amount_remaining: i64,
    pub total: i64,
    pub subtotal: Option<i64>,
    /// Sum of Payment Record payments; Stripe includes it only with `expand[]=amount_paid_off_stripe`.
    pub amount_paid_off_stripe: Option<i64>,
    pub collection_method: Option<CollectionMethod>,
    pub days_until_due: Option<i64>,
    pub due_date: Option<i64>,
    pub number: Option<String>,
    pub description: Option<String>,
    pub auto_advance: Option<bool>,
    pub hosted_invoice_url: Option<String>,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub status_transitions: Option<StatusTransitions>,
    pub parent: Option<InvoiceParent>,
    pub lines: Option<List<InvoiceLine>>,
    pub test_clock: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(Invoice);

impl Invoice {
    /// The subscription that billed this invoice, if one did.
    pub fn subscription_id(&self) -> Option<&str> {
        self.parent.as_ref()?.subscription_details.as_ref()?.subscription.as_deref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct StatusTransitions {
    pub finalized_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub marked_uncollectible_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvoiceParent {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionDetails {
    pub subscription: Option<String>,
    /// The instant a change's prorations were computed for.
    pub subscription_proration_date: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvoiceLine {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub quantity: Option<i64>,
    pub period: Option<Period>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInvoice {
    pub customer: String,
    pub collection_method: Option<CollectionMethod>,
    pub days_until_due: Option<u32>,
    /// When a `send_invoice` invoice is due (Unix seconds); instead of `days_until_due`.
    pub due_date: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub auto_advance: Option<bool>,
    pub pending_invoice_items_behavior: Option<PendingInvoiceItems>,
    pub metadata: Metadata,
}

impl CreateInvoice {
    /// An invoice the customer pays by other means (our local currency), due in `days`.
    pub fn send_invoice(customer: impl Into<String>, currency: impl Into<String>, days: u32) -> Self {
        Self {
            customer: customer.into(),
            collection_method: Some(CollectionMethod::SendInvoice),
            days_until_due: Some(days),
            due_date: None,
            currency: Some(currency.into()),
            description: None,
            auto_advance: None,
            pending_invoice_items_behavior: None,
            metadata: Metadata::new(),
        }
    }
}

impl Encode for CreateInvoice {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("customer", &self.customer)
            .opt("collection_method", self.collection_method)
            .opt("days_until_due", self.days_until_due)
            .opt("due_date", self.due_date)
            .opt("currency", self.currency.as_ref())
            .opt("description", self.description.as_ref())
            .opt("auto_advance", self.auto_advance)
            .opt("pending_invoice_items_behavior", self.pending_invoice_items_behavior)
            .map("metadata", &self.metadata);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalizeInvoice {
    pub auto_advance: Option<bool>,
}

impl Encode for FinalizeInvoice {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("auto_advance", self.auto_advance);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayInvoice {
    /// Marks the invoice paid without moving money through Stripe.
    pub paid_out_of_band: Option<bool>,
}

impl Encode for PayInvoice {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("paid_out_of_band", self.paid_out_of_band);
    }
}

/// What pays the invoice in `attach_payment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachPayment {
    PaymentRecord(String),
    PaymentIntent(String),
}

impl Encode for AttachPayment {
    fn encode(&self, scope: &mut Scope<'_>) {
        match self {
            Self::PaymentRecord(id) => scope.value("payment_record", id),
            Self::PaymentIntent(id) => scope.value("payment_intent", id),
        };
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvoices {
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub status: Option<InvoiceStatus>,
    pub collection_method: Option<CollectionMethod>,
    pub created: Option<TimeRange>,
    pub page: ListOptions,
}

impl Encode for ListInvoices {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt("customer", self.customer.as_ref())
            .opt("subscription", self.subscription.as_ref())
            .opt("status", self.status)
            .opt("collection_method", self.collection_method)
            .opt_object("created", self.created.as_ref());
    }
}

pub struct Invoices<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn invoices(&self) -> Invoices<'_> {
        Invoices { client: self }
    }
}

const PATH: &str = "invoices";

impl Invoices<'_> {
    pub async fn create(&self, request: &CreateInvoice, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<Invoice, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListInvoices) -> Pager<Invoice> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }

    pub async fn finalize(&self, id: &str, request: &FinalizeInvoice, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "finalize"], &Params::of(request), key).await
    }

    pub async fn send(&self, id: &str, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "send"], &Params::new(), key).await
    }

    pub async fn void(&self, id: &str, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "void"], &Params::new(), key).await
    }

    pub async fn mark_uncollectible(&self, id: &str, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "mark_uncollectible"], &Params::new(), key).await
    }

    pub async fn pay(&self, id: &str, request: &PayInvoice, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "pay"], &Params::of(request), key).await
    }

    pub async fn attach_payment(&self, id: &str, payment: &AttachPayment, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        self.client.post(&[PATH, id, "attach_payment"], &Params::of(payment), key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_attach_encode_as_documented() {
        let request = CreateInvoice::send_invoice("cus_1", "jpy", 14);
        assert_eq!(Params::of(&request).to_form(), "customer=cus_1&collection_method=send_invoice&days_until_due=14&currency=jpy");
        assert_eq!(Params::of(&AttachPayment::PaymentRecord("pr_1".into())).to_form(), "payment_record=pr_1");
        assert_eq!(Params::of(&PayInvoice { paid_out_of_band: Some(true) }).to_form(), "paid_out_of_band=true");
    }

    #[test]
    fn an_invoice_decodes_with_lines_parent_and_unknown_fields() {
        let invoice: Invoice = serde_json::from_str(
            r#"{"id":"in_1","object":"invoice","livemode":false,"created":10,"customer":"cus_1","status":"open",
                "currency":"jpy","amount_due":3000,"amount_paid":0,"amount_remaining":3000,"total":3000,"subtotal":3000,
                "collection_method":"send_invoice","days_until_due":14,"due_date":1219600,"number":"ABC-0001",
                "status_transitions":{"finalized_at":20,"paid_at":null,"voided_at":null,"marked_uncollectible_at":null},
                "parent":{"type":"subscription_details","quote_details":null,
                          "subscription_details":{"subscription":"sub_1","metadata":{}}},
                "lines":{"object":"list","url":"/v1/invoices/in_1/lines","has_more":false,
                         "data":[{"id":"il_1","object":"line_item","amount":3000,"currency":"jpy","description":"Membership",
                                  "quantity":1,"period":{"start":10,"end":2678410},"metadata":{}}]},
                "metadata":{},"automatic_tax":{"enabled":false}}"#,
        )
        .unwrap();
        assert_eq!(invoice.status, Some(InvoiceStatus::Open));
        assert_eq!(invoice.customer.as_ref().map(Expandable::id), Some("cus_1"));
        assert_eq!(invoice.subscription_id(), Some("sub_1"));
        assert_eq!(invoice.amount_paid_off_stripe, None);
        assert_eq!(invoice.lines.map(|l| l.data.len()), Some(1));
        assert_eq!(invoice.status_transitions.and_then(|t| t.finalized_at), Some(20));
    }

    #[test]
    fn a_new_invoice_status_does_not_break_decoding() {
        let status: InvoiceStatus = serde_json::from_str(r#""partially_paid""#).unwrap();
        assert_eq!(status, InvoiceStatus::Unknown);
    }
}
