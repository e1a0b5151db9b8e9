//! Subscriptions (`sub_...`); with `send_invoice` collection each period yields an open
//! invoice that Regio pays with a Payment Record.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::StripeClient;
use super::common::{Expandable, Metadata, stripe_object, wire_enum};
use super::customers::Customer;
use super::error::StripeError;
use super::form::{Encode, Params, Scope, Update};
use super::idempotency::IdempotencyKey;
use super::invoices::{CollectionMethod, Invoice};
use super::list::{List, ListOptions, Pager};
use super::prices::Price;

wire_enum!(
    SubscriptionStatus {
        Incomplete = "incomplete",
        IncompleteExpired = "incomplete_expired",
        Trialing = "trialing",
        Active = "active",
        PastDue = "past_due",
        Canceled = "canceled",
        Unpaid = "unpaid",
        Paused = "paused",
    }
    or Unknown
);

wire_enum!(
    /// The `status` filter of the list endpoint, which adds `all` and `ended`.
    SubscriptionFilter {
        All = "all",
        Ended = "ended",
        Incomplete = "incomplete",
        IncompleteExpired = "incomplete_expired",
        Trialing = "trialing",
        Active = "active",
        PastDue = "past_due",
        Canceled = "canceled",
        Unpaid = "unpaid",
        Paused = "paused",
    }
);

wire_enum!(ProrationBehavior { AlwaysInvoice = "always_invoice", CreateProrations = "create_prorations", None = "none" });

wire_enum!(
    /// What becomes of the invoices a subscription makes while its collection is paused.
    PauseBehavior {
        KeepAsDraft = "keep_as_draft",
        MarkUncollectible = "mark_uncollectible",
        Void = "void",
    }
    or Unknown
);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PauseCollection {
    pub behavior: PauseBehavior,
    pub resumes_at: Option<i64>,
}

impl Encode for PauseCollection {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("behavior", self.behavior).opt("resumes_at", self.resumes_at);
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub customer: Expandable<Customer>,
    pub status: SubscriptionStatus,
    pub collection_method: Option<CollectionMethod>,
    pub days_until_due: Option<i64>,
    pub currency: Option<String>,
    pub items: List<SubscriptionItem>,
    pub latest_invoice: Option<Expandable<Invoice>>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    pub cancel_at: Option<i64>,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub start_date: Option<i64>,
    pub billing_cycle_anchor: Option<i64>,
    pub description: Option<String>,
    pub test_clock: Option<String>,
    pub pause_collection: Option<PauseCollection>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(Subscription);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: Price,
    pub quantity: Option<i64>,
    /// Periods live on items since API version 2025-03-31.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// One `items[n]` entry when creating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub price: String,
    pub quantity: Option<u32>,
}

impl Encode for NewItem {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("price", &self.price).opt("quantity", self.quantity);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSubscription {
    pub customer: String,
    pub items: Vec<NewItem>,
    pub collection_method: Option<CollectionMethod>,
    pub days_until_due: Option<u32>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

impl Encode for CreateSubscription {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("customer", &self.customer)
            .objects("items", &self.items)
            .opt("collection_method", self.collection_method)
            .opt("days_until_due", self.days_until_due)
            .opt("description", self.description.as_ref())
            .map("metadata", &self.metadata);
    }
}

/// One `items[n]` entry when updating: an existing item by id (changed or deleted), or a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChange {
    pub id: Option<String>,
    pub price: Option<String>,
    pub quantity: Option<u32>,
    pub deleted: bool,
}

impl Encode for ItemChange {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("id", self.id.as_ref()).opt("price", self.price.as_ref()).opt("quantity", self.quantity);
        if self.deleted {
            scope.value("deleted", true);
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSubscription {
    pub items: Vec<ItemChange>,
    pub cancel_at_period_end: Option<bool>,
    pub days_until_due: Option<u32>,
    pub description: Option<Update<String>>,
    pub proration_behavior: Option<ProrationBehavior>,
    /// The instant prorations are computed for; a preview and the update it shows must agree.
    pub proration_date: Option<i64>,
    pub pause_collection: Option<Update<PauseCollection>>,
    pub metadata: BTreeMap<String, Update<String>>,
}

impl Encode for UpdateSubscription {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .objects("items", &self.items)
            .opt("cancel_at_period_end", self.cancel_at_period_end)
            .opt("days_until_due", self.days_until_due)
            .opt("description", self.description.as_ref())
            .opt("proration_behavior", self.proration_behavior)
            .opt("proration_date", self.proration_date);
        match &self.pause_collection {
            Some(Update::Set(pause)) => scope.object("pause_collection", pause),
            Some(Update::Clear) => scope.clear("pause_collection"),
            None => scope,
        }
        .map("metadata", &self.metadata);
    }
}

/// `subscription_details` of an invoice preview: the change to price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewChange {
    pub items: Vec<ItemChange>,
    pub proration_behavior: Option<ProrationBehavior>,
    pub proration_date: Option<i64>,
}

impl Encode for PreviewChange {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.objects("items", &self.items).opt("proration_behavior", self.proration_behavior).opt("proration_date", self.proration_date);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CancelSubscription {
    /// Bill pending usage and prorations now, on a final invoice.
    pub invoice_now: Option<bool>,
    pub prorate: Option<bool>,
}

impl Encode for CancelSubscription {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("invoice_now", self.invoice_now).opt("prorate", self.prorate);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSubscriptions {
    pub customer: Option<String>,
    pub price: Option<String>,
    pub status: Option<SubscriptionFilter>,
    pub test_clock: Option<String>,
    pub page: ListOptions,
}

impl Encode for ListSubscriptions {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("customer", self.customer.as_ref()).opt("price", self.price.as_ref()).opt("status", self.status).opt("test_clock", self.test_clock.as_ref());
    }
}

pub struct Subscriptions<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions { client: self }
    }
}

const PATH: &str = "subscriptions";

impl Subscriptions<'_> {
    pub async fn create(&self, request: &CreateSubscription, key: &IdempotencyKey) -> Result<Subscription, StripeError> {
        self.client.post(&[PATH], &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str, expand: &[&str]) -> Result<Subscription, StripeError> {
        self.client.get(&[PATH, id], &Params::expanding(expand)).await
    }

    pub fn list(&self, request: &ListSubscriptions) -> Pager<Subscription> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }

    pub async fn update(&self, id: &str, request: &UpdateSubscription, key: &IdempotencyKey) -> Result<Subscription, StripeError> {
        self.client.post(&[PATH, id], &Params::of(request), key).await
    }

    /// `POST /v1/invoices/create_preview`: the invoice a change to the subscription would bill,
    /// changing nothing.
    pub async fn preview_change(&self, id: &str, change: &PreviewChange, key: &IdempotencyKey) -> Result<Invoice, StripeError> {
        let mut params = Params::new();
        params.root().value("subscription", id).object("subscription_details", change);
        self.client.post(&["invoices", "create_preview"], &params, key).await
    }

    /// `DELETE /v1/subscriptions/{id}`: cancels at once. Deleting twice is harmless, so this
    /// takes no idempotency key.
    pub async fn cancel(&self, id: &str, request: &CancelSubscription) -> Result<Subscription, StripeError> {
        self.client.delete(&[PATH, id], &Params::of(request)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sends_indexed_items() {
        let request = CreateSubscription {
            customer: "cus_1".into(),
            items: vec![NewItem { price: "price_1".into(), quantity: None }, NewItem { price: "price_2".into(), quantity: Some(3) }],
            collection_method: Some(CollectionMethod::SendInvoice),
            days_until_due: Some(7),
            description: None,
            metadata: Metadata::new(),
        };
        assert_eq!(
            Params::of(&request).to_form(),
            "customer=cus_1&items%5B0%5D%5Bprice%5D=price_1&items%5B1%5D%5Bprice%5D=price_2&items%5B1%5D%5Bquantity%5D=3\
             &collection_method=send_invoice&days_until_due=7"
        );
    }

    #[test]
    fn update_can_swap_items_and_clear_fields() {
        let mut metadata = BTreeMap::new();
        metadata.insert("plan".to_owned(), Update::Clear);
        let request = UpdateSubscription {
            items: vec![
                ItemChange { id: Some("si_1".into()), deleted: true, ..Default::default() },
                ItemChange { price: Some("price_2".into()), ..Default::default() },
            ],
            description: Some(Update::Clear),
            proration_behavior: Some(ProrationBehavior::None),
            metadata,
            ..Default::default()
        };
        let pairs: Vec<(String, String)> = Params::of(&request).pairs().to_vec();
        let expected = [
            ("items[0][id]", "si_1"),
            ("items[0][deleted]", "true"),
            ("items[1][price]", "price_2"),
            ("description", ""),
            ("proration_behavior", "none"),
            ("metadata[plan]", ""),
        ];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
}
