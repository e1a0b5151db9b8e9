//! Products (`prod_...`).

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::list::{ListOptions, Pager};
use super::prices::Price;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Product {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub active: bool,
    pub name: String,
    pub description: Option<String>,
    pub default_price: Option<Expandable<Price>>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(Product);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateProduct {
    pub name: String,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub metadata: Metadata,
}

impl Encode for CreateProduct {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("name", &self.name).opt("description", self.description.as_ref()).opt("active", self.active).map("metadata", &self.metadata);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListProducts {
    pub active: Option<bool>,
    pub page: ListOptions,
}

impl Encode for ListProducts {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("active", self.active);
    }
}

pub struct Products<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn products(&self) -> Products<'_> {
        Products { client: self }
    }
}

const PATH: &str = "products";

impl Products<'_> {
    pub async fn create(&self, request: &CreateProduct, key: &IdempotencyKey) -> Result<Product, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<Product, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListProducts) -> Pager<Product> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}
