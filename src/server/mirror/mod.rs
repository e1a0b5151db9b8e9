//! Mirroring the ledger into Stripe: a worker drains the outbox, turning each payment into a
//! Payment Record (`report_payment`) and each refund into `report_refund` on the payment's
//! record, exactly once thanks to idempotency keys derived from our own transaction ids.

mod delivery;
mod worker;

pub use delivery::{Delivery, deliver};
pub use worker::{MirrorWorker, WorkerOptions, backoff_ms};

use crate::domain::AppError;
use crate::domain::ledger::MirrorState;
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::outbox::Operation;
use crate::server::db::{Db, outbox};
use crate::server::stripe::client::IdempotencyKey;
use serde_json::json;

/// The idempotency key of an operation on a subject (a transaction id, or a fix's reference):
/// derived, never random, so every retry and every restart sends the same key and Stripe makes
/// the object once.
pub fn idempotency_key(subject: &str, operation: Operation) -> String {
    match IdempotencyKey::derive(subject, operation.as_str()) {
        Ok(key) => key.as_str().to_string(),
        // Operation names are fixed lower-case words and subjects are ids or references built
        // from them, so this cannot happen; the same formula keeps the key stable even so.
        Err(_) => format!("{}/{subject}", operation.as_str()),
    }
}

/// Puts a failed delivery back in the queue, audited. Safe to repeat: the idempotency key is
/// the same, so Stripe will not make a second object.
pub async fn retry(db: &Db, actor: &Actor, outbox_id: &str) -> Result<(), AppError> {
    let item = outbox::find(db, outbox_id).await?.ok_or_else(|| AppError::not_found("delivery"))?;
    let mut tx = db.begin_write().await?;
    if !outbox::requeue_failed(&mut tx.tx, outbox_id).await? {
        return Err(AppError::conflict(say!("Only a failed delivery can be retried.", "再送信できるのは、送信に失敗したもののみです。")));
    }
    let event = AuditEvent {
        action: "mirror.retry",
        target: &format!("transaction:{}", item.transaction_id),
        before: Some(json!({ "state": item.state, "attempts": item.attempts, "last_error": item.last_error })),
        after: Some(json!({ "state": MirrorState::Pending })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(())
}
