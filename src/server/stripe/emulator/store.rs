//! The emulator's state: one table per object type, each in creation order with an index by id,
//! so lookups are O(1) and lists walk backwards from a cursor without scanning. It serializes
//! to what a snapshot keeps: every object a client can see, without the request in progress.

use super::billing::catalog::{Price, Product};
use super::billing::credit_notes::CreditNote;
use super::billing::customers::Customer;
use super::billing::invoice_items::InvoiceItem;
use super::billing::invoice_payments::InvoicePayment;
use super::billing::invoices::Invoice;
use super::billing::payment_methods::PaymentMethod;
use super::events::Event;
use super::payment_attempts::PaymentAttempt;
use super::payment_records::PaymentRecord;
use super::request::RequestMeta;
use super::subscriptions::Subscription;
use super::test_clocks::TestClock;
use super::webhooks::{Delivery, WebhookEndpoint};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Row {
    fn id(&self) -> &str;
}

pub struct Table<T> {
    rows: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { rows: Vec::new(), index: HashMap::new() }
    }
}

impl<T: Row> Table<T> {
    pub fn insert(&mut self, row: T) {
        self.index.insert(row.id().to_string(), self.rows.len());
        self.rows.push(row);
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).map(|i| &self.rows[*i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.index.get(id).map(|i| &mut self.rows[*i])
    }

    /// Removes a row (the Dashboard's "delete test data"); the others keep their order.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let at = self.index.remove(id)?;
        let row = self.rows.remove(at);
        for position in self.index.values_mut().filter(|p| **p > at) {
            *position -= 1;
        }
        Some(row)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Position in creation order, for pagination cursors.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Oldest first.
    pub fn rows(&self) -> &[T] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
}

/// A table serializes as its rows; the index is rebuilt on loading.
impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(serializer)
    }
}

impl<'de, T: Row + Deserialize<'de>> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut table = Table::default();
        for row in Vec::<T>::deserialize(deserializer)? {
            if table.contains(row.id()) {
                return Err(D::Error::custom(format!("{} appears twice", row.id())));
            }
            table.insert(row);
        }
        Ok(table)
    }
}

#[derive(Default, Serialize, Deserialize)]
pub struct Store {
    pub payment_records: Table<PaymentRecord>,
    pub payment_attempts: Table<PaymentAttempt>,
    /// `refund_reference` → payment record: Stripe requires it unique across all refunds.
    pub refund_references: HashMap<String, String>,
    pub customers: Table<Customer>,
    #[serde(default)]
    pub payment_methods: Table<PaymentMethod>,
    pub products: Table<Product>,
    pub prices: Table<Price>,
    pub invoices: Table<Invoice>,
    pub invoice_items: Table<InvoiceItem>,
    pub invoice_payments: Table<InvoicePayment>,
    pub subscriptions: Table<Subscription>,
    pub credit_notes: Table<CreditNote>,
    pub test_clocks: Table<TestClock>,
    pub events: Table<Event>,
    pub webhook_endpoints: Table<WebhookEndpoint>,
    /// Webhook deliveries queued by this request's events, sent once the store is unlocked.
    #[serde(skip)]
    pub outbox: Vec<Delivery>,
    /// The request being served, for the `request` field of the events it causes.
    #[serde(skip)]
    pub request: RequestMeta,
    last_now: i64,
}

impl Store {
    /// Wall-clock unix seconds, never going backwards, so tables stamped with it stay sorted by
    /// `created` and time windows can be found by binary search.
    pub fn now(&mut self) -> i64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        self.last_now = self.last_now.max(wall);
        self.last_now
    }

    /// The time as seen by a customer: its test clock's frozen time, or now.
    pub fn time_for_customer(&mut self, customer: &str) -> i64 {
        let frozen =
            self.customers.get(customer).and_then(|c| c.test_clock.as_deref()).and_then(|clock| self.test_clocks.get(clock)).map(|clock| clock.frozen_time);
        match frozen {
            Some(t) => t,
            None => self.now(),
        }
    }

    /// How many objects of each type exist, for `/_emulator/stats`.
    pub fn counts(&self) -> serde_json::Value {
        serde_json::json!({
            "payment_records": self.payment_records.len(),
            "payment_attempt_records": self.payment_attempts.len(),
            "customers": self.customers.len(),
            "payment_methods": self.payment_methods.len(),
            "products": self.products.len(),
            "prices": self.prices.len(),
            "invoices": self.invoices.len(),
            "invoiceitems": self.invoice_items.len(),
            "invoice_payments": self.invoice_payments.len(),
            "subscriptions": self.subscriptions.len(),
            "credit_notes": self.credit_notes.len(),
            "test_clocks": self.test_clocks.len(),
            "events": self.events.len(),
            "webhook_endpoints": self.webhook_endpoints.len(),
        })
    }
}
