//! Prices (`price_...`), one-off or recurring.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, stripe_object, wire_enum};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::list::{ListOptions, Pager};
use super::products::Product;

wire_enum!(Interval { Day = "day", Week = "week", Month = "month", Year = "year" });

wire_enum!(PriceType { OneTime = "one_time", Recurring = "recurring" } or Unknown);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Price {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub active: bool,
    pub currency: String,
    pub product: Expandable<Product>,
    /// Minor units; `None` for prices that are not a flat amount per unit.
    pub unit_amount: Option<i64>,
    pub recurring: Option<Recurring>,
    #[serde(rename = "type")]
    pub kind: Option<PriceType>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(Price);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Recurring {
    pub interval: Interval,
    /// Intervals per billing period; Stripe's default is 1.
    pub interval_count: Option<u32>,
}

impl Encode for Recurring {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("interval", self.interval).opt("interval_count", self.interval_count);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePrice {
    pub product: String,
    pub currency: String,
    pub unit_amount: i64,
    pub recurring: Option<Recurring>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub metadata: Metadata,
}

impl Encode for CreatePrice {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("product", &self.product)
            .value("currency", &self.currency)
            .value("unit_amount", self.unit_amount)
            .opt_object("recurring", self.recurring.as_ref())
            .opt("nickname", self.nickname.as_ref())
            .opt("lookup_key", self.lookup_key.as_ref())
            .map("metadata", &self.metadata);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPrices {
    pub product: Option<String>,
    pub active: Option<bool>,
    pub currency: Option<String>,
    pub page: ListOptions,
}

impl Encode for ListPrices {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("product", self.product.as_ref()).opt("active", self.active).opt("currency", self.currency.as_ref());
    }
}

pub struct Prices<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn prices(&self) -> Prices<'_> {
        Prices { client: self }
    }
}

const PATH: &str = "prices";

impl Prices<'_> {
    pub async fn create(&self, request: &CreatePrice, key: &IdempotencyKey) -> Result<Price, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<Price, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListPrices) -> Pager<Price> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }

    /// Archives the price (`active=false`): no new subscription can use it; existing ones go on.
    pub async fn archive(&self, id: &str, key: &IdempotencyKey) -> Result<Price, StripeError> {
        self.client.post(&[PATH, id], &Params::of(&Archive), key).await
    }
}

struct Archive;

impl Encode for Archive {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("active", false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monthly_price_encodes_recurring_in_brackets() {
        let request = CreatePrice {
            product: "prod_1".into(),
            currency: "jpy".into(),
            unit_amount: 3000,
            recurring: Some(Recurring { interval: Interval::Month, interval_count: None }),
            nickname: None,
            lookup_key: None,
            metadata: Metadata::new(),
        };
        assert_eq!(Params::of(&request).to_form(), "product=prod_1&currency=jpy&unit_amount=3000&recurring%5Binterval%5D=month");
    }

    #[test]
    fn a_price_decodes_with_an_expanded_product() {
        let price: Price = serde_json::from_str(
            r#"{"id":"price_1","object":"price","livemode":false,"created":1,"active":true,"currency":"jpy",
                "product":{"id":"prod_1","object":"product","livemode":false,"created":1,"active":true,"name":"Membership",
                           "description":null,"default_price":"price_1","metadata":{}},
                "unit_amount":3000,"recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"},
                "type":"recurring","nickname":null,"lookup_key":null,"metadata":{},"tiers_mode":null}"#,
        )
        .unwrap();
        assert_eq!(price.product.as_object().map(|p| p.name.as_str()), Some("Membership"));
        assert_eq!(price.recurring, Some(Recurring { interval: Interval::Month, interval_count: Some(1) }));
        assert_eq!(price.kind, Some(PriceType::Recurring));
    }
}
