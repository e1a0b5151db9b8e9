//! Customers (`cus_...`).

use serde::Deserialize;

use super::StripeClient;
use super::common::{Metadata, TimeRange, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::list::{ListOptions, Pager};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
    /// A deleted customer is retrieved as `{"id", "object", "deleted": true}` alone.
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub livemode: bool,
    #[serde(default)]
    pub created: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub currency: Option<String>,
    /// The test clock (`clock_...`) that drives this customer's billing in test mode.
    pub test_clock: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(Customer);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateCustomer {
    pub name: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub test_clock: Option<String>,
    pub metadata: Metadata,
}

impl Encode for CreateCustomer {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt("name", self.name.as_ref())
            .opt("email", self.email.as_ref())
            .opt("description", self.description.as_ref())
            .opt("test_clock", self.test_clock.as_ref())
            .map("metadata", &self.metadata);
    }
}

/// Metadata keys given replace those keys only; others stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateCustomer {
    pub metadata: Metadata,
    /// `invoice_settings[default_payment_method]`: what automatic collection asks to pay with.
    pub default_payment_method: Option<String>,
}

impl Encode for UpdateCustomer {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.map("metadata", &self.metadata);
        if let Some(pm) = &self.default_payment_method {
            scope.with("invoice_settings", |settings| {
                settings.value("default_payment_method", pm);
            });
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCustomers {
    pub email: Option<String>,
    pub created: Option<TimeRange>,
    pub test_clock: Option<String>,
    pub page: ListOptions,
}

impl Encode for ListCustomers {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("email", self.email.as_ref()).opt_object("created", self.created.as_ref()).opt("test_clock", self.test_clock.as_ref());
    }
}

pub struct Customers<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn customers(&self) -> Customers<'_> {
        Customers { client: self }
    }
}

const PATH: &str = "customers";

impl Customers<'_> {
    pub async fn create(&self, request: &CreateCustomer, key: &IdempotencyKey) -> Result<Customer, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<Customer, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub async fn update(&self, id: &str, request: &UpdateCustomer, key: &IdempotencyKey) -> Result<Customer, StripeError> {
        self.client.post(&[PATH, id], &Params::of(request), key).await
    }

    pub fn list(&self, request: &ListCustomers) -> Pager<Customer> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}
