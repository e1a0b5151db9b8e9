//! Payment Attempt Records (`par_...`): the attempts behind a Payment Record. Read-only.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Metadata, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::list::{ListOptions, Pager};
use super::payment_details::PaymentDetails;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentAttemptRecord {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    #[serde(default)]
    pub metadata: Metadata,
    /// The `pr_...` this attempt belongs to.
    pub payment_record: Option<String>,
    #[serde(flatten)]
    pub payment: PaymentDetails,
}
stripe_object!(PaymentAttemptRecord);

/// `GET /v1/payment_attempt_records?payment_record=pr_...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPaymentAttemptRecords {
    pub payment_record: String,
    pub page: ListOptions,
}

impl ListPaymentAttemptRecords {
    pub fn of(payment_record: impl Into<String>) -> Self {
        Self { payment_record: payment_record.into(), page: ListOptions::default() }
    }
}

impl Encode for ListPaymentAttemptRecords {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("payment_record", &self.payment_record);
    }
}

pub struct PaymentAttemptRecords<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn payment_attempt_records(&self) -> PaymentAttemptRecords<'_> {
        PaymentAttemptRecords { client: self }
    }
}

const PATH: &str = "payment_attempt_records";

impl PaymentAttemptRecords<'_> {
    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<PaymentAttemptRecord, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListPaymentAttemptRecords) -> Pager<PaymentAttemptRecord> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}
