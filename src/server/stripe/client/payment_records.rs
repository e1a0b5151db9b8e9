//! Payment Records (`pr_...`): payments that happened outside Stripe, reported to it.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Amount, Expandable, Metadata, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope, Update};
use super::idempotency::IdempotencyKey;
use super::list::{ListOptions, Pager};
use super::payment_attempt_records::PaymentAttemptRecord;
use super::payment_details::{
    CustomPaymentMethod, CustomProcessor, CustomerDetails, CustomerPresence, FailureCode, PaymentDetails, PaymentOutcome, ShippingDetails,
};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentRecord {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    #[serde(default)]
    pub metadata: Metadata,
    pub latest_payment_attempt_record: Option<Expandable<PaymentAttemptRecord>>,
    #[serde(flatten)]
    pub payment: PaymentDetails,
}
stripe_object!(PaymentRecord);

/// `POST /v1/payment_records/report_payment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPayment {
    pub amount_requested: Amount,
    pub initiated_at: i64,
    pub payment_method: CustomPaymentMethod,
    pub outcome: Option<PaymentOutcome>,
    pub processor: Option<CustomProcessor>,
    pub customer_details: Option<CustomerDetails>,
    pub customer_presence: Option<CustomerPresence>,
    pub description: Option<String>,
    pub shipping_details: Option<ShippingDetails>,
    pub metadata: Metadata,
}

impl Encode for ReportPayment {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .object("amount_requested", &self.amount_requested)
            .value("initiated_at", self.initiated_at)
            .object("payment_method_details", &self.payment_method)
            .opt_object("processor_details", self.processor.as_ref())
            .opt_object("customer_details", self.customer_details.as_ref())
            .opt("customer_presence", self.customer_presence)
            .opt("description", self.description.as_ref())
            .opt_object("shipping_details", self.shipping_details.as_ref())
            .map("metadata", &self.metadata);
        if let Some(outcome) = &self.outcome {
            outcome.encode(scope);
        }
    }
}

/// `POST .../report_payment_attempt`: a new attempt, allowed once earlier ones failed or were
/// canceled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPaymentAttempt {
    pub initiated_at: i64,
    pub outcome: Option<PaymentOutcome>,
    pub payment_method: Option<CustomPaymentMethod>,
    pub description: Option<String>,
    pub shipping_details: Option<ShippingDetails>,
    pub metadata: Metadata,
}

impl Encode for ReportPaymentAttempt {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("initiated_at", self.initiated_at)
            .opt_object("payment_method_details", self.payment_method.as_ref())
            .opt("description", self.description.as_ref())
            .opt_object("shipping_details", self.shipping_details.as_ref())
            .map("metadata", &self.metadata);
        if let Some(outcome) = &self.outcome {
            outcome.encode(scope);
        }
    }
}

/// The latest attempt's final state, reported when it becomes known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResolution {
    Guaranteed { guaranteed_at: i64 },
    Failed { failed_at: i64, failure_code: Option<FailureCode> },
    Canceled { canceled_at: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveAttempt {
    pub resolution: AttemptResolution,
    pub metadata: Metadata,
}

impl ResolveAttempt {
    pub fn new(resolution: AttemptResolution) -> Self {
        Self { resolution, metadata: Metadata::new() }
    }

    fn action(&self) -> &'static str {
        match self.resolution {
            AttemptResolution::Guaranteed { .. } => "report_payment_attempt_guaranteed",
            AttemptResolution::Failed { .. } => "report_payment_attempt_failed",
            AttemptResolution::Canceled { .. } => "report_payment_attempt_canceled",
        }
    }
}

impl Encode for ResolveAttempt {
    fn encode(&self, scope: &mut Scope<'_>) {
        match &self.resolution {
            AttemptResolution::Guaranteed { guaranteed_at } => scope.value("guaranteed_at", *guaranteed_at),
            AttemptResolution::Failed { failed_at, failure_code } => scope.value("failed_at", *failed_at).opt("failure_code", *failure_code),
            AttemptResolution::Canceled { canceled_at } => scope.value("canceled_at", *canceled_at),
        }
        .map("metadata", &self.metadata);
    }
}

/// `POST .../report_payment_attempt_informational`: details learned after the fact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportAttemptInformational {
    pub customer_details: Option<CustomerDetails>,
    pub description: Option<Update<String>>,
    pub shipping_details: Option<ShippingDetails>,
    pub metadata: std::collections::BTreeMap<String, Update<String>>,
}

impl Encode for ReportAttemptInformational {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt_object("customer_details", self.customer_details.as_ref())
            .opt("description", self.description.as_ref())
            .opt_object("shipping_details", self.shipping_details.as_ref())
            .map("metadata", &self.metadata);
    }
}

/// `POST .../report_refund`, a refund made outside Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRefund {
    /// `None` refunds everything not yet refunded.
    pub amount: Option<Amount>,
    /// Our reference for the refund; Stripe requires it unique across refunds. Credit notes
    /// link to the refund through it (`refund_group`).
    pub refund_reference: String,
    pub refunded_at: i64,
    pub initiated_at: Option<i64>,
    pub metadata: Metadata,
}

impl Encode for ReportRefund {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("outcome", "refunded")
            .with("processor_details", |processor| {
                processor.value("type", "custom").with("custom", |custom| {
                    custom.value("refund_reference", &self.refund_reference);
                });
            })
            .with("refunded", |refunded| {
                refunded.value("refunded_at", self.refunded_at);
            })
            .opt_object("amount", self.amount.as_ref())
            .opt("initiated_at", self.initiated_at)
            .map("metadata", &self.metadata);
    }
}

/// `GET /v1/payment_records`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPaymentRecords {
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub page: ListOptions,
}

impl Encode for ListPaymentRecords {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("created_after", self.created_after).opt("created_before", self.created_before);
    }
}

pub struct PaymentRecords<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn payment_records(&self) -> PaymentRecords<'_> {
        PaymentRecords { client: self }
    }
}

const PATH: &str = "payment_records";

impl PaymentRecords<'_> {
    pub async fn report_payment(&self, request: &ReportPayment, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.client.post(&[PATH, "report_payment"], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<PaymentRecord, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListPaymentRecords) -> Pager<PaymentRecord> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }

    pub async fn report_payment_attempt(&self, id: &str, request: &ReportPaymentAttempt, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.client.post(&[PATH, id, "report_payment_attempt"], &Params::of(request), key).await
    }

    /// `report_payment_attempt_guaranteed`, `_failed` or `_canceled`, by the resolution given.
    pub async fn resolve_payment_attempt(&self, id: &str, request: &ResolveAttempt, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.client.post(&[PATH, id, request.action()], &Params::of(request), key).await
    }

    pub async fn report_payment_attempt_guaranteed(&self, id: &str, guaranteed_at: i64, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.resolve_payment_attempt(id, &ResolveAttempt::new(AttemptResolution::Guaranteed { guaranteed_at }), key).await
    }

    pub async fn report_payment_attempt_failed(
        &self,
        id: &str,
        failed_at: i64,
        failure_code: Option<FailureCode>,
        key: &IdempotencyKey,
    ) -> Result<PaymentRecord, StripeError> {
        let resolution = AttemptResolution::Failed { failed_at, failure_code };
        self.resolve_payment_attempt(id, &ResolveAttempt::new(resolution), key).await
    }

    pub async fn report_payment_attempt_canceled(&self, id: &str, canceled_at: i64, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.resolve_payment_attempt(id, &ResolveAttempt::new(AttemptResolution::Canceled { canceled_at }), key).await
    }

    pub async fn report_payment_attempt_informational(
        &self,
        id: &str,
        request: &ReportAttemptInformational,
        key: &IdempotencyKey,
    ) -> Result<PaymentRecord, StripeError> {
        self.client.post(&[PATH, id, "report_payment_attempt_informational"], &Params::of(request), key).await
    }

    pub async fn report_refund(&self, id: &str, request: &ReportRefund, key: &IdempotencyKey) -> Result<PaymentRecord, StripeError> {
        self.client.post(&[PATH, id, "report_refund"], &Params::of(request), key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::stripe::client::payment_details::{CustomerPresence, ReportedBy};

    fn pairs(params: &Params) -> Vec<(&str, &str)> {
        params.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn report_payment_encodes_the_documented_parameters() {
        let mut metadata = Metadata::new();
        metadata.insert("ledger_tx".into(), "tx_1".into());
        let request = ReportPayment {
            amount_requested: Amount::new("jpy", 1500),
            initiated_at: 1_795_000_000,
            payment_method: CustomPaymentMethod {
                custom_type: "cpmt_regio".into(),
                display_name: Some("Regio".into()),
                billing_details: None,
                payment_method: None,
            },
            outcome: Some(PaymentOutcome::Guaranteed { guaranteed_at: 1_795_000_001 }),
            processor: Some(CustomProcessor { payment_reference: "tx_1".into() }),
            customer_details: Some(CustomerDetails { customer: Some("cus_1".into()), ..Default::default() }),
            customer_presence: Some(CustomerPresence::OffSession),
            description: None,
            shipping_details: None,
            metadata,
        };
        assert_eq!(
            pairs(&Params::of(&request)),
            [
                ("amount_requested[currency]", "jpy"),
                ("amount_requested[value]", "1500"),
                ("initiated_at", "1795000000"),
                ("payment_method_details[type]", "custom"),
                ("payment_method_details[custom][type]", "cpmt_regio"),
                ("payment_method_details[custom][display_name]", "Regio"),
                ("processor_details[type]", "custom"),
                ("processor_details[custom][payment_reference]", "tx_1"),
                ("customer_details[customer]", "cus_1"),
                ("customer_presence", "off_session"),
                ("metadata[ledger_tx]", "tx_1"),
                ("outcome", "guaranteed"),
                ("guaranteed[guaranteed_at]", "1795000001"),
            ]
        );
    }

    #[test]
    fn report_refund_always_sends_outcome_processor_and_refunded_at() {
        let request = ReportRefund {
            amount: Some(Amount::new("jpy", 500)),
            refund_reference: "rf_tx_2".into(),
            refunded_at: 9,
            initiated_at: None,
            metadata: Metadata::new(),
        };
        assert_eq!(
            pairs(&Params::of(&request)),
            [
                ("outcome", "refunded"),
                ("processor_details[type]", "custom"),
                ("processor_details[custom][refund_reference]", "rf_tx_2"),
                ("refunded[refunded_at]", "9"),
                ("amount[currency]", "jpy"),
                ("amount[value]", "500"),
            ]
        );
    }

    #[test]
    fn resolutions_pick_their_endpoint_and_timestamp_name() {
        let failed = ResolveAttempt::new(AttemptResolution::Failed { failed_at: 3, failure_code: None });
        assert_eq!(failed.action(), "report_payment_attempt_failed");
        assert_eq!(pairs(&Params::of(&failed)), [("failed_at", "3")]);
        let canceled = ResolveAttempt::new(AttemptResolution::Canceled { canceled_at: 4 });
        assert_eq!(canceled.action(), "report_payment_attempt_canceled");
        assert_eq!(pairs(&Params::of(&canceled)), [("canceled_at", "4")]);
        let guaranteed = ResolveAttempt::new(AttemptResolution::Guaranteed { guaranteed_at: 5 });
        assert_eq!(guaranteed.action(), "report_payment_attempt_guaranteed");
        assert_eq!(pairs(&Params::of(&guaranteed)), [("guaranteed_at", "5")]);
    }

    #[test]
    fn list_filters_use_created_after_and_before() {
        let request = ListPaymentRecords { created_after: Some(10), created_before: Some(20), page: ListOptions::limit(2) };
        assert_eq!(pairs(&Params::of(&request)), [("created_after", "10"), ("created_before", "20")]);
    }

    const RECORD: &str = r#"{
      "id": "pr_1", "object": "payment_record", "livemode": false, "created": 1795000000,
      "amount": {"currency": "jpy", "value": 1500},
      "amount_authorized": {"currency": "jpy", "value": 0},
      "amount_canceled": {"currency": "jpy", "value": 0},
      "amount_failed": {"currency": "jpy", "value": 0},
      "amount_guaranteed": {"currency": "jpy", "value": 1500},
      "amount_refunded": {"currency": "jpy", "value": 500},
      "amount_requested": {"currency": "jpy", "value": 1500},
      "application": null, "customer_details": {"customer": "cus_1", "email": null, "name": null, "phone": null},
      "customer_presence": "off_session", "description": null,
      "latest_payment_attempt_record": "par_1", "metadata": {"ledger_tx": "tx_1"},
      "payment_method_details": {"type": "custom", "custom": {"display_name": "Regio", "type": "cpmt_regio"},
        "billing_details": null, "payment_method": null},
      "processor_details": {"type": "custom", "custom": {"payment_reference": "tx_1"}},
      "reported_by": "self", "shipping_details": null, "some_future_field": {"x": 1}
    }"#;

    #[test]
    fn a_payment_record_decodes_with_nested_amounts() {
        let record: PaymentRecord = serde_json::from_str(RECORD).unwrap();
        assert_eq!(record.id, "pr_1");
        assert_eq!(record.payment.amount_guaranteed, Amount::new("jpy", 1500));
        assert_eq!(record.payment.amount_refunded.value, 500);
        assert_eq!(record.payment.reported_by, Some(ReportedBy::SelfReported));
        assert_eq!(record.latest_payment_attempt_record.as_ref().map(Expandable::id), Some("par_1"));
        let custom = record.payment.payment_method_details.and_then(|p| p.custom).unwrap();
        assert_eq!(custom.kind.as_deref(), Some("cpmt_regio"));
        assert_eq!(record.metadata.get("ledger_tx").map(String::as_str), Some("tx_1"));
    }

    #[test]
    fn an_expanded_latest_attempt_decodes_as_an_object() {
        let expanded = RECORD.replace(
            r#""latest_payment_attempt_record": "par_1""#,
            &format!(
                r#""latest_payment_attempt_record": {}"#,
                RECORD
                    .replace(r#""id": "pr_1", "object": "payment_record""#, r#""id": "par_1", "object": "payment_attempt_record", "payment_record": "pr_1""#)
                    .replace(r#""latest_payment_attempt_record": "par_1","#, "")
            ),
        );
        let record: PaymentRecord = serde_json::from_str(&expanded).unwrap();
        let attempt = record.latest_payment_attempt_record.as_ref().and_then(Expandable::as_object).unwrap();
        assert_eq!(attempt.id, "par_1");
        assert_eq!(attempt.payment_record.as_deref(), Some("pr_1"));
    }
}
