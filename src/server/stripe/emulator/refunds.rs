//! `report_refund`: a refund, made outside Stripe, of a record's guaranteed payment. It may not
//! exceed what is left unrefunded, and its `refund_reference` must be unique across all refunds
//! (Stripe's wording), which also makes a blind retry of the same refund fail instead of doubling.

use super::Emulator;
use super::errors::{ApiError, ApiResult};
use super::payment_records::Refund;
use super::request::Req;
use axum::extract::{Path, State};

pub async fn report_refund(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["amount", "initiated_at", "metadata", "outcome", "processor_details", "refunded"])?;
    p.required_one_of("outcome", &["refunded"])?;
    let processor = p.required_object("processor_details", &["custom", "type"])?;
    processor.required_one_of("type", &["custom"])?;
    let reference = match processor.object("custom", &["refund_reference"])? {
        Some(custom) => Some(custom.required_str("refund_reference")?.to_string()),
        None => None,
    };
    // Stripe's reference marks `refunded[refunded_at]` required; the SDK types do not.
    p.required_object("refunded", &["refunded_at"])?.required_timestamp("refunded_at")?;
    p.timestamp("initiated_at")?;
    let amount = match p.object("amount", &["currency", "value"])? {
        Some(a) => {
            let value = a.required_amount("value")?;
            if value == 0 {
                return Err(ApiError::invalid_value("amount[value]", "The refund amount must be greater than 0."));
            }
            Some((a.required_currency("currency")?, value))
        }
        None => None,
    };
    let metadata = p.metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let record = store.payment_records.get(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        if record.amount_guaranteed() == 0 {
            return Err(ApiError::state(format!("Payment record {id} has no guaranteed payment to refund.")));
        }
        let remaining = record.refundable();
        if remaining == 0 {
            return Err(ApiError::state(format!("Payment record {id} is already fully refunded.")));
        }
        let value = match &amount {
            Some((currency, _)) if *currency != record.currency => {
                return Err(ApiError::state(format!("The refund currency ({currency}) must match the payment record's currency ({}).", record.currency))
                    .with_param("amount[currency]"));
            }
            Some((_, value)) => *value,
            None => remaining,
        };
        if value > remaining {
            return Err(ApiError::state(format!(
                "The refund amount ({value}) is greater than the amount left to refund on payment record {id} \
                 ({remaining})."
            ))
            .with_param("amount[value]"));
        }
        if let Some(r) = reference.as_ref().filter(|r| store.refund_references.contains_key(*r)) {
            return Err(ApiError::state(format!("A refund with refund_reference '{r}' already exists."))
                .with_param("processor_details[custom][refund_reference]")
                .with_code("resource_already_exists"));
        }
        let metadata = metadata.as_ref().map(|m| m.applied(&record.details.metadata)).transpose()?;
        // Only the last attempt can be the guaranteed one: no attempt may follow it.
        if let Some(attempt) = record.attempts.last().cloned().and_then(|a| store.payment_attempts.get_mut(&a)) {
            attempt.amount_refunded += value;
        }
        if let Some(r) = &reference {
            store.refund_references.insert(r.clone(), id.clone());
        }
        let record = store.payment_records.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        record.amount_refunded += value;
        record.refunds.push(Refund { reference, amount: value, credited: 0 });
        if let Some(m) = metadata {
            record.details.metadata = m;
        }
        let body = record.render();
        req.respond(store, body)
    })
    .await
}
