//! Building large response objects: `json!` has a recursion limit that Stripe-sized objects
//! exceed, so they are written in parts and merged.

use serde_json::{Map, Value};

/// The objects' fields together; later parts win on a repeated key.
pub fn merged(parts: impl IntoIterator<Item = Value>) -> Value {
    let mut out = Map::new();
    for part in parts {
        if let Value::Object(fields) = part {
            out.extend(fields);
        }
    }
    Value::Object(out)
}
