//! Invoice items (`ii_...`): lines added to a draft invoice.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, Period, stripe_object};
use super::customers::Customer;
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::invoices::Invoice;
use super::list::{ListOptions, Pager};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InvoiceItem {
    pub id: String,
    pub livemode: bool,
    pub amount: i64,
    pub currency: String,
    pub customer: Option<Expandable<Customer>>,
    /// When the item was created (invoice items have no `created`).
    pub date: Option<i64>,
    pub description: Option<String>,
    pub invoice: Option<Expandable<Invoice>>,
    pub quantity: Option<i64>,
    pub period: Option<Period>,
    pub pricing: Option<ItemPricing>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(InvoiceItem);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ItemPricing {
    pub price_details: Option<PriceDetails>,
    pub unit_amount_decimal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PriceDetails {
    pub price: Option<String>,
    pub product: Option<String>,
}

/// What the item costs: a plain amount, or a price times a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemCharge {
    Amount { amount: i64, currency: String },
    Price { price: String, quantity: Option<u32> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInvoiceItem {
    pub customer: String,
    /// The draft invoice to add to; without it the item waits for the customer's next invoice.
    pub invoice: Option<String>,
    pub charge: ItemCharge,
    pub description: Option<String>,
    pub metadata: Metadata,
}

impl Encode for CreateInvoiceItem {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("customer", &self.customer).opt("invoice", self.invoice.as_ref());
        match &self.charge {
            ItemCharge::Amount { amount, currency } => scope.value("amount", *amount).value("currency", currency),
            // Since API version 2025-03-31 a price goes under `pricing`.
            ItemCharge::Price { price, quantity } => {
                scope.with("pricing", |pricing| {
                    pricing.value("price", price);
                });
                scope.opt("quantity", *quantity)
            }
        };
        scope.opt("description", self.description.as_ref()).map("metadata", &self.metadata);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvoiceItems {
    pub customer: Option<String>,
    pub invoice: Option<String>,
    pub page: ListOptions,
}

impl Encode for ListInvoiceItems {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("customer", self.customer.as_ref()).opt("invoice", self.invoice.as_ref());
    }
}

pub struct InvoiceItems<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn invoice_items(&self) -> InvoiceItems<'_> {
        InvoiceItems { client: self }
    }
}

const PATH: &str = "invoiceitems";

impl InvoiceItems<'_> {
    pub async fn create(&self, request: &CreateInvoiceItem, key: &IdempotencyKey) -> Result<InvoiceItem, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<InvoiceItem, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListInvoiceItems) -> Pager<InvoiceItem> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(charge: ItemCharge) -> CreateInvoiceItem {
        CreateInvoiceItem { customer: "cus_1".into(), invoice: Some("in_1".into()), charge, description: Some("Hall rental".into()), metadata: Metadata::new() }
    }

    #[test]
    fn an_amount_item_sends_amount_and_currency() {
        let params = Params::of(&item(ItemCharge::Amount { amount: 2500, currency: "jpy".into() }));
        assert_eq!(params.to_form(), "customer=cus_1&invoice=in_1&amount=2500&currency=jpy&description=Hall+rental");
    }

    #[test]
    fn a_price_item_sends_pricing_price_and_quantity() {
        let params = Params::of(&item(ItemCharge::Price { price: "price_1".into(), quantity: Some(2) }));
        assert_eq!(params.to_form(), "customer=cus_1&invoice=in_1&pricing%5Bprice%5D=price_1&quantity=2&description=Hall+rental");
    }
}
