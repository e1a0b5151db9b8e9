//! Customers (`cus_`). A customer created with a `test_clock` lives on that clock's time, and so
//! do its subscriptions and invoices.

use super::payment_methods;
use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, list_json, paginate_table};
use crate::server::stripe::emulator::params::Metadata;
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::Row;
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub created: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    description: Option<String>,
    phone: Option<String>,
    metadata: Metadata,
    /// Set by the first invoice or subscription, as Stripe does.
    pub currency: Option<String>,
    pub invoice_prefix: String,
    pub next_invoice_sequence: u32,
    pub test_clock: Option<String>,
    /// Deleted customers answer retrieval with a stub `{"deleted": true}` and leave lists.
    #[serde(default)]
    pub deleted: bool,
    /// `invoice_settings.default_payment_method`: what automatic collection asks to pay with.
    #[serde(default)]
    pub default_payment_method: Option<String>,
}

impl Row for Customer {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Customer {
    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "customer",
            "address": null,
            "balance": 0,
            "created": self.created,
            "currency": self.currency,
            "default_source": null,
            "delinquent": false,
            "description": self.description,
            "discount": null,
            "email": self.email,
            "invoice_prefix": self.invoice_prefix,
            "invoice_settings": {
                "custom_fields": null,
                "default_payment_method": self.default_payment_method,
                "footer": null,
                "rendering_options": null,
            },
            "livemode": false,
            "metadata": self.metadata,
            "name": self.name,
            "next_invoice_sequence": self.next_invoice_sequence,
            "phone": self.phone,
            "preferred_locales": [],
            "shipping": null,
            "tax_exempt": "none",
            "test_clock": self.test_clock,
        })
    }

    /// The next invoice number, `<prefix>-<sequence>`, consuming it.
    pub fn take_invoice_number(&mut self) -> String {
        let number = format!("{}-{:04}", self.invoice_prefix, self.next_invoice_sequence);
        self.next_invoice_sequence += 1;
        number
    }
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["description", "email", "metadata", "name", "phone", "test_clock"])?;
    let (name, email, description, phone) = (p.text("name")?, p.text("email")?, p.text("description")?, p.text("phone")?);
    let metadata = p.new_metadata("metadata")?;
    let test_clock = p.text("test_clock")?;
    emu.write(&req.meta, |store| {
        let created = match &test_clock {
            Some(clock) => store.test_clocks.get(clock).ok_or_else(|| ApiError::no_such_param("test_clock", clock, "test_clock"))?.frozen_time,
            None => store.now(),
        };
        let customer = Customer {
            id: ids::new_id("cus"),
            created,
            name,
            email,
            description,
            phone,
            metadata,
            currency: None,
            invoice_prefix: ids::code(8),
            next_invoice_sequence: 1,
            test_clock,
            deleted: false,
            default_payment_method: None,
        };
        let body = customer.render();
        store.customers.insert(customer);
        events::emit(store, "customer.created", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let customer = store.customers.get(&id).ok_or_else(|| ApiError::no_such("customer", &id))?;
        let body = if customer.deleted { deleted_stub(&id) } else { customer.render() };
        req.respond(store, body)
    })
    .await
}

fn deleted_stub(id: &str) -> Value {
    json!({ "id": id, "object": "customer", "deleted": true })
}

/// Deletes the customer, with `customer.deleted` carrying its last state.
pub async fn delete(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.write(&req.meta, |store| {
        let customer = store.customers.get_mut(&id).filter(|c| !c.deleted).ok_or_else(|| ApiError::no_such("customer", &id))?;
        customer.deleted = true;
        let last = customer.render();
        events::emit(store, "customer.deleted", last, None);
        req.respond(store, deleted_stub(&id))
    })
    .await
}

pub async fn update(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["description", "email", "invoice_settings", "metadata", "name", "phone"])?;
    let default_payment_method = match p.object("invoice_settings", &["default_payment_method"])? {
        Some(settings) => settings.text_update("default_payment_method")?,
        None => None,
    };
    let name = p.text_update("name")?;
    let email = p.text_update("email")?;
    let description = p.text_update("description")?;
    let phone = p.text_update("phone")?;
    let metadata = p.metadata("metadata")?;
    emu.write(&req.meta, |store| {
        if let Some(Some(pm)) = &default_payment_method {
            payment_methods::attached_to(store, pm, &id)?;
        }
        let customer = store.customers.get_mut(&id).filter(|c| !c.deleted).ok_or_else(|| ApiError::no_such("customer", &id))?;
        let next_metadata = metadata.as_ref().map(|m| m.applied(&customer.metadata)).transpose()?;
        let before = customer.render();
        for (field, value) in [(&mut customer.name, name), (&mut customer.email, email), (&mut customer.description, description), (&mut customer.phone, phone)]
        {
            if let Some(v) = value {
                *field = v;
            }
        }
        if let Some(m) = next_metadata {
            customer.metadata = m;
        }
        if let Some(pm) = default_payment_method {
            customer.default_payment_method = pm;
        }
        let body = customer.render();
        events::emit_update(store, "customer.updated", &before, body.clone());
        req.respond(store, body)
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["email", "test_clock"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let email = p.text("email")?;
    let clock = p.text("test_clock")?;
    emu.read(|store| {
        // As Stripe does, customers on a test clock are listed only when that clock is asked for.
        let keep = |c: &Customer| email.as_ref().is_none_or(|e| c.email.as_ref() == Some(e)) && c.test_clock == clock && !c.deleted;
        let page = paginate_table(&store.customers, &query, keep, "customer")?;
        let data = page.items.into_iter().map(Customer::render).collect();
        req.respond(store, list_json("/v1/customers", data, page.has_more))
    })
    .await
}
