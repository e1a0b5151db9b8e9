//! The detail objects payment records carry (customer, billing, shipping, payment method,
//! processor), read from parameters and rendered with every field Stripe shows.

use super::errors::ApiError;
use super::params::Fields;
use serde_json::{Value, json};

const ADDRESS: [&str; 6] = ["city", "country", "line1", "line2", "postal_code", "state"];
const CONTACT: [&str; 4] = ["customer", "email", "name", "phone"];

fn strings(p: &Fields<'_>, keys: &[&str]) -> Result<Value, ApiError> {
    let mut out = serde_json::Map::new();
    for key in keys {
        out.insert((*key).to_string(), json!(p.text(key)?));
    }
    Ok(Value::Object(out))
}

fn address(p: &Fields<'_>) -> Result<Value, ApiError> {
    match p.object("address", &ADDRESS)? {
        Some(a) => strings(&a, &ADDRESS),
        None => Ok(json!({ "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null })),
    }
}

/// `customer_details`: who paid. Its `customer`, if any, must be checked to exist by the caller.
pub fn customer_details(p: &Fields<'_>) -> Result<Option<Value>, ApiError> {
    p.object("customer_details", &CONTACT)?.map(|c| strings(&c, &CONTACT)).transpose()
}

pub fn customer_of(details: &Option<Value>) -> Option<&str> {
    details.as_ref()?.get("customer")?.as_str()
}

pub fn shipping_details(p: &Fields<'_>) -> Result<Option<Value>, ApiError> {
    let Some(s) = p.object("shipping_details", &["address", "name", "phone"])? else { return Ok(None) };
    let mut out = strings(&s, &["name", "phone"])?;
    out["address"] = address(&s)?;
    Ok(Some(out))
}

/// `payment_method_details`: the emulator knows only custom payment methods (`cpmt_…`), the
/// kind a local currency is reported with.
pub fn payment_method_details(p: &Fields<'_>) -> Result<Option<Value>, ApiError> {
    let Some(pm) = p.object("payment_method_details", &["billing_details", "custom", "payment_method", "type"])? else {
        return Ok(None);
    };
    pm.required_one_of("type", &["custom"])?;
    let custom = match pm.object("custom", &["display_name", "type"])? {
        Some(c) => {
            let kind = c.text("type")?;
            if let Some(k) = kind.as_deref().filter(|k| !k.starts_with("cpmt_")) {
                return Err(ApiError::invalid_value(&c.name("type"), format!("Invalid custom payment method type: {k}. It must be a cpmt_ id.")));
            }
            json!({ "display_name": c.text("display_name")?, "type": kind })
        }
        None => json!({ "display_name": null, "type": null }),
    };
    let billing = match pm.object("billing_details", &["address", "email", "name", "phone"])? {
        Some(b) => {
            let mut out = strings(&b, &["email", "name", "phone"])?;
            out["address"] = address(&b)?;
            out
        }
        None => Value::Null,
    };
    let payment_method = pm.text("payment_method")?;
    if let Some(id) = payment_method.as_deref().filter(|id| !id.starts_with("pm_")) {
        return Err(ApiError::invalid_value(&pm.name("payment_method"), format!("Invalid payment method: {id}. It must be a pm_ id.")));
    }
    Ok(Some(json!({ "billing_details": billing, "custom": custom, "payment_method": payment_method, "type": "custom" })))
}

/// `processor_details` of a payment: `type=custom` with an optional `payment_reference`.
pub fn processor_details(p: &Fields<'_>) -> Result<Value, ApiError> {
    let Some(pd) = p.object("processor_details", &["custom", "type"])? else {
        return Ok(json!({ "custom": { "payment_reference": null }, "type": "custom" }));
    };
    pd.required_one_of("type", &["custom"])?;
    let reference = match pd.object("custom", &["payment_reference"])? {
        Some(c) => Some(c.required_str("payment_reference")?.to_string()),
        None => None,
    };
    Ok(json!({ "custom": { "payment_reference": reference }, "type": "custom" }))
}
