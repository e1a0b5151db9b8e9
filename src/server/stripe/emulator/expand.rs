//! `expand[]`: replaces an id with the object it names, follows dotted paths up to four levels,
//! applies `data.` to every element of a list, and adds fields Stripe includes only on request
//! (an invoice's `payments` and `amount_paid_off_stripe`).

use super::billing::invoices;
use super::errors::ApiError;
use super::ids;
use super::store::Store;
use serde_json::Value;

const MAX_DEPTH: usize = 4;

/// Refuses paths deeper than Stripe allows, before the request does anything.
pub fn check_depth(paths: &[String]) -> Result<(), ApiError> {
    for (i, path) in paths.iter().enumerate() {
        if path.split('.').filter(|s| *s != "data").count() > MAX_DEPTH {
            return Err(ApiError::invalid_value(
                &format!("expand[{i}]"),
                format!("You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}"),
            ));
        }
    }
    Ok(())
}

pub fn apply(store: &Store, value: &mut Value, paths: &[String]) -> Result<(), ApiError> {
    for (i, path) in paths.iter().enumerate() {
        let segments: Vec<&str> = path.split('.').collect();
        expand_at(store, value, &segments, path, &format!("expand[{i}]"))?;
    }
    Ok(())
}

fn expand_at(store: &Store, value: &mut Value, segments: &[&str], path: &str, param: &str) -> Result<(), ApiError> {
    let Some((first, rest)) = segments.split_first() else { return Ok(()) };
    let Some(object) = value.as_object_mut() else { return Ok(()) };
    if object.get("object").and_then(Value::as_str) == Some("list") && *first == "data" {
        if let Some(Value::Array(items)) = object.get_mut("data") {
            for item in items {
                expand_at(store, item, rest, path, param)?;
            }
        }
        return Ok(());
    }
    // Expansion runs after the request took effect, so its errors are saved for replay like the
    // result they replace.
    let cannot = || ApiError::state(format!("This property cannot be expanded ({path}).")).with_param(param);
    if let Some(included) = includable(store, object, first) {
        object.insert((*first).to_string(), included);
        return match object.get_mut(*first) {
            Some(field) => expand_at(store, field, rest, path, param),
            None => Ok(()),
        };
    }
    match object.get_mut(*first) {
        None => Err(cannot()),
        Some(Value::Null) => Ok(()),
        Some(field @ Value::String(_)) => {
            let rendered = field.as_str().and_then(|id| render_id(store, id)).ok_or_else(cannot)?;
            *field = rendered;
            expand_at(store, field, rest, path, param)
        }
        Some(field) if !rest.is_empty() || field.get("object").is_some_and(|o| o == "list") => expand_at(store, field, rest, path, param),
        Some(_) => Err(cannot()),
    }
}

fn includable(store: &Store, object: &serde_json::Map<String, Value>, field: &str) -> Option<Value> {
    let id = object.get("id")?.as_str()?;
    match object.get("object")?.as_str()? {
        "invoice" => invoices::includable(store, id, field),
        _ => None,
    }
}

/// The current rendering of the object an id names.
pub fn render_id(store: &Store, id: &str) -> Option<Value> {
    match ids::prefix(id) {
        "pr" => store.payment_records.get(id).map(|r| r.render()),
        "par" => store.payment_attempts.get(id).map(|a| a.render()),
        "cus" => store.customers.get(id).map(|c| c.render()),
        "prod" => store.products.get(id).map(|p| p.render()),
        "price" => store.prices.get(id).map(|p| p.render()),
        "in" => store.invoices.get(id).map(|i| i.render()),
        "ii" => store.invoice_items.get(id).map(|i| i.render()),
        "inpay" => store.invoice_payments.get(id).map(|p| p.render()),
        "sub" => store.subscriptions.get(id).map(|s| s.render(store)),
        "cn" => store.credit_notes.get(id).map(|c| c.render()),
        "clock" => store.test_clocks.get(id).map(|c| c.render()),
        // Products may be created with an id of the caller's choosing.
        _ => store.products.get(id).map(|p| p.render()),
    }
}
