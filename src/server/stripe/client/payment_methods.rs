//! PaymentMethods (`pm_...`) of `type=custom`: how a customer pays outside Stripe, of a custom
//! payment method type (`cpmt_...`). Set as a customer's default, it lets Stripe Billing ask for
//! each automatically collected invoice to be paid that way.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Metadata, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub created: i64,
    pub customer: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub metadata: Metadata,
}

stripe_object!(PaymentMethod);

/// A payment method of the custom type `custom_type` (`cpmt_...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCustomPaymentMethod {
    pub custom_type: String,
    pub metadata: Metadata,
}

impl Encode for CreateCustomPaymentMethod {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("type", "custom")
            .with("custom", |custom| {
                custom.value("type", &self.custom_type);
            })
            .map("metadata", &self.metadata);
    }
}

struct Attach<'a> {
    customer: &'a str,
}

impl Encode for Attach<'_> {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("customer", self.customer);
    }
}

pub struct PaymentMethods<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn payment_methods(&self) -> PaymentMethods<'_> {
        PaymentMethods { client: self }
    }
}

const PATH: &str = "payment_methods";

impl PaymentMethods<'_> {
    pub async fn create_custom(&self, request: &CreateCustomPaymentMethod, key: &IdempotencyKey) -> Result<PaymentMethod, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn attach(&self, id: &str, customer: &str, key: &IdempotencyKey) -> Result<PaymentMethod, StripeError> {
        self.client.post(&[PATH, id, "attach"], &Params::of(&Attach { customer }), key).await
    }
}
