//! A transfer as it arrives from the payment system (API JSON or a CSV row), and its errors.

use crate::domain::Message;
use crate::domain::locale::Locale;
use crate::say;

/// One incoming transaction. Amounts are decimal strings in the local currency; accounts are
/// the payment system's own references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferInput {
    pub external_ref: String,
    pub kind: String,
    pub currency: String,
    pub amount: String,
    /// The account debited. For a refund it may be left out: it is the refunded payment's payee.
    pub from: Option<String>,
    /// The account credited. For a refund it may be left out: it is the refunded payment's payer.
    pub to: Option<String>,
    /// RFC 3339; when absent, the time Regio records it.
    pub occurred_at: Option<String>,
    pub description: Option<String>,
    /// For refunds: the `external_ref` of the payment refunded (same source).
    pub refund_of: Option<String>,
    /// For adjustments: the `external_ref` of the transaction corrected, if any.
    pub corrects: Option<String>,
    /// For invoice payments: the Stripe invoice (`in_…`) paid.
    pub invoice: Option<String>,
    /// For an invoice collected from a wallet: the fiat amount it settles (what the invoice has
    /// left to pay), reported instead of the amount converted at the peg, which can differ from
    /// it by rounding. Set by Regio itself, never read from outside input.
    pub settles_fiat: Option<i64>,
}

/// What is wrong with one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub index: usize,
    pub field: String,
    pub message: Message,
}

impl ItemError {
    pub fn new(index: usize, field: &str, message: impl Into<Message>) -> Self {
        Self { index, field: field.to_string(), message: message.into() }
    }

    /// The ledger's refusal of a `what` Regio posted itself (a refund, an adjustment), naming the field.
    pub fn refusal_of(&self, what: &str, what_ja: &str) -> Message {
        say!("The ledger refused the {what}: {} {}", "台帳が{what_ja}を受け付けませんでした：{} {}";
            &self.field => &self.field, &self.message.en => self.message.in_locale(Locale::Ja))
    }
}

const FIELDS: [&str; 11] = ["external_ref", "kind", "currency", "amount", "from", "to", "occurred_at", "description", "refund_of", "corrects", "invoice"];

/// Reads one JSON item. Every field is a string (amounts too, so no float ever carries money);
/// errors name the field.
pub fn from_json(index: usize, value: serde_json::Value) -> Result<TransferInput, ItemError> {
    use serde_json::Value;
    let Value::Object(map) = value else { return Err(ItemError::new(index, "item", "must be a JSON object")) };
    if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ItemError::new(index, unknown, format!("unknown field (expected one of: {})", FIELDS.join(", "))));
    }
    let optional = |name: &str| match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ItemError::new(index, name, "must be a string (amounts too, e.g. \"1500\")")),
    };
    let required = |name: &str| optional(name)?.ok_or_else(|| ItemError::new(index, name, "is required"));
    Ok(TransferInput {
        external_ref: required("external_ref")?,
        kind: required("kind")?,
        currency: required("currency")?,
        amount: required("amount")?,
        from: optional("from")?,
        to: optional("to")?,
        occurred_at: optional("occurred_at")?,
        description: optional("description")?,
        refund_of: optional("refund_of")?,
        corrects: optional("corrects")?,
        invoice: optional("invoice")?,
        settles_fiat: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_errors_name_the_field() {
        let missing = from_json(3, json!({ "external_ref": "a", "kind": "payment", "currency": "SRB" }));
        assert_eq!(missing.map_err(|e| (e.index, e.field)), Err((3, "amount".to_string())));
        let unknown = from_json(0, json!({ "external_ref": "a", "kind": "payment", "currency": "SRB", "amount": "1", "amout": "2" }));
        assert_eq!(unknown.map_err(|e| e.field), Err("amout".to_string()));
        let wrong_type = from_json(0, json!({ "external_ref": "a", "kind": "payment", "currency": "SRB", "amount": 5 }));
        assert_eq!(wrong_type.map_err(|e| e.field), Err("amount".to_string()));
        assert_eq!(from_json(1, json!([1])).map_err(|e| e.field), Err("item".to_string()));
    }
}
