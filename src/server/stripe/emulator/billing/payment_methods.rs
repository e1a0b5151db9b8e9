//! PaymentMethods (`pm_`) of `type=custom`: a payment method processed outside Stripe, of a
//! custom payment method type (`cpmt_`, made in the Dashboard). Attached to a customer and set
//! as its `invoice_settings.default_payment_method`, it is what a `charge_automatically`
//! subscription's invoices ask to be paid with (`invoice.payment_attempt_required`). The
//! emulator has no other payment method types.

use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::params::Metadata;
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::{Row, Store};
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    created: i64,
    custom_type: String,
    pub customer: Option<String>,
    metadata: Metadata,
}

impl Row for PaymentMethod {
    fn id(&self) -> &str {
        &self.id
    }
}

impl PaymentMethod {
    fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
            "created": self.created,
            "custom": { "display_name": null, "logo": null, "type": self.custom_type },
            "customer": self.customer,
            "livemode": false,
            "metadata": self.metadata,
            "type": "custom",
        })
    }
}

/// The payment method if it exists and belongs to `customer`, as `default_payment_method` needs.
pub fn attached_to(store: &Store, id: &str, customer: &str) -> Result<(), ApiError> {
    let pm = store.payment_methods.get(id).ok_or_else(|| ApiError::no_such("payment_method", id))?;
    if pm.customer.as_deref() != Some(customer) {
        return Err(ApiError::invalid_value(
            "invoice_settings[default_payment_method]",
            format!("The payment method {id} is not attached to customer {customer}; attach it first."),
        ));
    }
    Ok(())
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["custom", "metadata", "type"])?;
    let kind = p.required_str("type")?;
    if kind != "custom" {
        return Err(ApiError::invalid_value("type", format!("The emulator only makes payment methods of type custom, not {kind}.")));
    }
    let custom = p.required_object("custom", &["type"])?;
    let custom_type = custom.required_str("type")?.to_string();
    if !custom_type.starts_with("cpmt_") {
        return Err(ApiError::invalid_value("custom[type]", format!("{custom_type} is not a custom payment method type (cpmt_…).")));
    }
    let metadata = p.new_metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let pm = PaymentMethod { id: ids::new_id("pm"), created: store.now(), custom_type, customer: None, metadata };
        let body = pm.render();
        store.payment_methods.insert(pm);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let pm = store.payment_methods.get(&id).ok_or_else(|| ApiError::no_such("payment_method", &id))?;
        req.respond(store, pm.render())
    })
    .await
}

pub async fn attach(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["customer"])?;
    let customer = p.required_str("customer")?.to_string();
    emu.write(&req.meta, |store| {
        if store.customers.get(&customer).is_none_or(|c| c.deleted) {
            return Err(ApiError::no_such_param("customer", &customer, "customer"));
        }
        let pm = store.payment_methods.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_method", &id))?;
        match &pm.customer {
            Some(other) if *other != customer => {
                return Err(ApiError::state(format!("The payment method {id} is already attached to customer {other}.")));
            }
            _ => pm.customer = Some(customer),
        }
        let body = pm.render();
        events::emit(store, "payment_method.attached", body.clone(), None);
        req.respond(store, body)
    })
    .await
}
