//! The durable outbox: work that must reach Stripe, claimed by workers, retried until it lands.

use super::{Db, DbKind, DbTx, Param, format_ms, insert_rows, new_id, now_ms};
use crate::domain::ledger::{AttemptOutcome, DeliveryAttemptView, MirrorState, MirrorView};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ReportPayment,
    ReportRefund,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ReportPayment => "report_payment",
            Operation::ReportRefund => "report_refund",
        }
    }
}

impl std::str::FromStr for Operation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "report_payment" => Ok(Operation::ReportPayment),
            "report_refund" => Ok(Operation::ReportRefund),
            other => Err(format!("unknown outbox operation '{other}'")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: String,
    pub transaction_id: String,
    pub operation: Operation,
    pub idempotency_key: String,
    pub state: MirrorState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub stripe_id: Option<String>,
    /// Set on a reconciliation fix's refund: what to refund, instead of a ledger refund's.
    pub fix: Option<FixTarget>,
    /// When the first attempt was sent (ms); `None` before any.
    pub first_sent_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixTarget {
    pub record_id: String,
    pub amount: i64,
    pub reference: String,
    /// When the fix was queued: the refund's date, the same on every retry.
    pub queued_at: i64,
}

const COLUMNS: &str = "id, transaction_id, operation, idempotency_key, state, attempts, next_attempt_at, last_error, stripe_id, record_id, amount, reference, created_at, first_sent_at";

fn from_row(row: &AnyRow) -> Result<OutboxItem, sqlx::Error> {
    let operation: String = row.try_get("operation")?;
    Ok(OutboxItem {
        id: row.try_get("id")?,
        transaction_id: row.try_get("transaction_id")?,
        operation: operation.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        idempotency_key: row.try_get("idempotency_key")?,
        state: super::parse_text(row, "state")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        stripe_id: row.try_get("stripe_id")?,
        fix: match (row.try_get("record_id")?, row.try_get("amount")?, row.try_get("reference")?) {
            (Some(record_id), Some(amount), Some(reference)) => Some(FixTarget { record_id, amount, reference, queued_at: row.try_get("created_at")? }),
            _ => None,
        },
        first_sent_at: row.try_get("first_sent_at")?,
    })
}

/// A delivery to queue: `operation` on a transaction, under the key the mirror derived for it.
pub struct NewDelivery {
    pub transaction_id: String,
    /// The transaction's `occurred_at`: the list filtered by mirror state walks it in order.
    pub occurred_at: i64,
    pub operation: Operation,
    pub idempotency_key: String,
}

/// Queues each delivery, inside the caller's transaction.
pub async fn enqueue(tx: &mut DbTx, deliveries: &[NewDelivery]) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let rows = deliveries
        .iter()
        .map(|d| {
            vec![
                Param::Text(new_id()),
                Param::Text(d.transaction_id.clone()),
                Param::Text(d.operation.as_str().into()),
                Param::Text(d.idempotency_key.clone()),
                Param::Text(MirrorState::Pending.as_str().into()),
                Param::Int(now),
                Param::Int(now),
                Param::Int(now),
                Param::Int(d.occurred_at),
            ]
        })
        .collect();
    let columns = ["id", "transaction_id", "operation", "idempotency_key", "state", "next_attempt_at", "created_at", "updated_at", "occurred_at"];
    insert_rows(tx, "outbox", &columns, rows).await
}

/// Claims up to `limit` due items for `worker` until `claim_ms` from now. On PostgreSQL rows
/// another worker holds are skipped (`FOR UPDATE SKIP LOCKED`); a claim whose holder died
/// expires and the row becomes due again.
pub async fn claim_due(db: &Db, worker: &str, limit: i64, claim_ms: i64) -> Result<Vec<OutboxItem>, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let lock = if db.kind == DbKind::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    // Refunds wait for their payment's record: ordering by id (time-ordered) keeps a refund
    // behind the payment it refunds, and delivery checks it anyway.
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT {limit}{lock}"
    );
    let items: Vec<OutboxItem> = sqlx::query(&sql).bind(now).fetch_all(&mut *tx.tx).await?.iter().map(from_row).collect::<Result<_, _>>()?;
    for item in &items {
        // Claimed to be sent: from now on an attempt may reach Stripe.
        sqlx::query("UPDATE outbox SET claimed_by = $2, claimed_until = $3, first_sent_at = COALESCE(first_sent_at, $4) WHERE id = $1")
            .bind(&item.id)
            .bind(worker)
            .bind(now + claim_ms)
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
    }
    tx.commit().await?;
    Ok(items)
}

pub enum Outcome<'a> {
    Delivered {
        stripe_id: &'a str,
    },
    /// Try again at `retry_at` (ms).
    Retry {
        error: &'a str,
        http_status: Option<u16>,
        retry_at: i64,
    },
    Failed {
        error: &'a str,
        http_status: Option<u16>,
    },
}

/// Records an attempt's outcome and releases the claim, in one transaction, if `worker` still
/// holds the claim on a pending row. `false` when it lost it (its claim expired and another
/// worker took the row, or the row was decided meanwhile): nothing is written then, so a late
/// worker cannot overwrite a delivery.
pub async fn finish(db: &Db, worker: &str, item: &OutboxItem, outcome: Outcome<'_>) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let (label, status, error) = match &outcome {
        Outcome::Delivered { .. } => (AttemptOutcome::Delivered, None, None),
        Outcome::Retry { error, http_status, .. } => (AttemptOutcome::Retry, *http_status, Some(*error)),
        Outcome::Failed { error, http_status } => (AttemptOutcome::Failed, *http_status, Some(*error)),
    };
    const HELD: &str = "WHERE id = $1 AND claimed_by = $2 AND state = 'pending'";
    let done = match outcome {
        Outcome::Delivered { stripe_id } => {
            sqlx::query(&format!("UPDATE outbox SET state = 'delivered', stripe_id = $3, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL, last_error = NULL, updated_at = $4 {HELD}"))
                .bind(&item.id).bind(worker).bind(stripe_id).bind(now).execute(&mut *tx.tx).await?
        }
        Outcome::Retry { error, retry_at, .. } => {
            sqlx::query(&format!("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4, claimed_by = NULL, claimed_until = NULL, updated_at = $5 {HELD}"))
                .bind(&item.id).bind(worker).bind(retry_at).bind(error).bind(now).execute(&mut *tx.tx).await?
        }
        Outcome::Failed { error, .. } => {
            sqlx::query(&format!("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $3, claimed_by = NULL, claimed_until = NULL, updated_at = $4 {HELD}"))
                .bind(&item.id).bind(worker).bind(error).bind(now).execute(&mut *tx.tx).await?
        }
    };
    if done.rows_affected() == 0 {
        tx.tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO outbox_attempts (id, outbox_id, at, outcome, worker, http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(&item.id)
        .bind(now)
        .bind(label.as_str())
        .bind(worker)
        .bind(status.map(i64::from))
        .bind(error.map(str::to_string))
        .execute(&mut *tx.tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Extends every claim `worker` holds on pending rows to `claim_ms` from now: the heartbeat of a
/// worker whose deliveries (with the client's retries and rate limiting) outlast one claim.
pub async fn renew_claims(db: &Db, worker: &str, claim_ms: i64) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE outbox SET claimed_until = $2 WHERE claimed_by = $1 AND state = 'pending'")
        .bind(worker)
        .bind(now + claim_ms)
        .execute(&mut *tx.tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Notes the record a success answer named while the delivery is not done (its invoice attach
/// failed, or the answer did not decode): a retry adopts it instead of reporting again.
pub async fn note_record(db: &Db, id: &str, record: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE outbox SET stripe_id = $2 WHERE id = $1 AND state = 'pending' AND stripe_id IS NULL")
        .bind(id)
        .bind(record)
        .execute(&mut *tx.tx)
        .await?;
    tx.commit().await
}

/// Puts a failed item back in the queue (the "retry" action); `false` if it was not failed.
pub async fn requeue_failed(tx: &mut DbTx, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE outbox SET state = 'pending', next_attempt_at = $2, updated_at = $2 WHERE id = $1 AND state = 'failed'")
        .bind(id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<OutboxItem>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

pub async fn for_transaction(db: &Db, transaction_id: &str) -> Result<Vec<OutboxItem>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE transaction_id = $1 ORDER BY id");
    sqlx::query(&sql).bind(transaction_id).fetch_all(&db.pool).await?.iter().map(from_row).collect()
}

/// The Payment Record id delivered for a payment transaction, if it has been.
pub async fn payment_record_of(db: &Db, transaction_id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let record = payment_record_of_tx(&mut tx, transaction_id).await?;
    tx.commit().await?;
    Ok(record)
}

/// The outbox item of a transaction with its attempts, oldest attempt first.
pub async fn mirror_of(db: &Db, transaction_id: &str) -> Result<Option<MirrorView>, sqlx::Error> {
    let Some(item) = for_transaction(db, transaction_id).await?.into_iter().next() else { return Ok(None) };
    let rows = sqlx::query("SELECT at, outcome, worker, http_status, error FROM outbox_attempts WHERE outbox_id = $1 ORDER BY at, id")
        .bind(&item.id)
        .fetch_all(&db.pool)
        .await?;
    let attempts = rows
        .iter()
        .map(|r| {
            Ok(DeliveryAttemptView {
                at: format_ms(r.try_get("at")?),
                outcome: super::parse_text(r, "outcome")?,
                worker: r.try_get("worker")?,
                http_status: r.try_get("http_status")?,
                error: r.try_get("error")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(MirrorView {
        outbox_id: item.id,
        operation: item.operation.as_str().to_string(),
        idempotency_key: item.idempotency_key,
        state: item.state,
        attempts,
    }))
}

/// The mirror's own deliveries of several transactions (not reconciliation fixes).
pub async fn of_transactions(tx: &mut DbTx, transaction_ids: &[String]) -> Result<Vec<OutboxItem>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE case_id IS NULL AND transaction_id IN ({{in}}) ORDER BY id");
    super::select_in(tx, &sql, transaction_ids).await?.iter().map(from_row).collect()
}

/// Sends a delivered payment again under a new key: its record is gone from Stripe, and the
/// old key would only replay the old answer.
pub async fn resend_with_key(tx: &mut DbTx, id: &str, key: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE outbox SET state = 'pending', idempotency_key = $2, stripe_id = NULL, first_sent_at = NULL, next_attempt_at = $3, updated_at = $3 \
         WHERE id = $1 AND state = 'delivered'",
    )
    .bind(id)
    .bind(key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A refund a reconciliation fix sends: its own record, amount and reference, not derived
/// from a ledger refund.
pub struct FixRefund {
    pub case_id: String,
    pub transaction_id: String,
    pub record_id: String,
    pub amount: i64,
    pub reference: String,
    /// Derived from `reference` by the mirror, so the same refund is queued once.
    pub idempotency_key: String,
}

/// Queues `refund` unless one with the same key is already queued.
pub async fn enqueue_fix_refund(tx: &mut DbTx, refund: &FixRefund) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outbox (id, transaction_id, operation, idempotency_key, state, next_attempt_at, created_at, updated_at, case_id, record_id, amount, reference) \
         VALUES ($1, $2, 'report_refund', $3, 'pending', $4, $4, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(&refund.transaction_id)
    .bind(&refund.idempotency_key)
    .bind(now)
    .bind(&refund.case_id)
    .bind(&refund.record_id)
    .bind(refund.amount)
    .bind(&refund.reference)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// The refunds reconciliation fixes queued for a payment, whatever their case.
pub async fn fix_refunds_of_payment(tx: &mut DbTx, transaction_id: &str) -> Result<Vec<OutboxItem>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE case_id IS NOT NULL AND operation = 'report_refund' AND transaction_id = $1 ORDER BY id");
    sqlx::query(&sql).bind(transaction_id).fetch_all(&mut **tx).await?.iter().map(from_row).collect()
}

pub async fn pending_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'").fetch_one(&db.pool).await?.try_get("n")
}

pub struct DeliveredPayment {
    pub transaction_id: String,
    pub record_id: String,
    pub fiat_amount: i64,
}

/// The newest payments demo mode seeded that reached Stripe and have no refunds, up to
/// `limit`. Only the demo's own: a person's first payment may reach Stripe meanwhile.
pub async fn delivered_demo_payments(db: &Db, limit: i64) -> Result<Vec<DeliveredPayment>, sqlx::Error> {
    let sql = format!(
        "SELECT o.transaction_id, o.stripe_id, t.fiat_amount FROM outbox o JOIN transactions t ON t.id = o.transaction_id \
         WHERE o.operation = 'report_payment' AND o.state = 'delivered' AND t.kind = 'payment' AND t.source = 'demo' AND t.fiat_amount > 200 \
         AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.corrects_id = t.id) ORDER BY t.occurred_at DESC, t.id LIMIT {limit}"
    );
    sqlx::query(&sql)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(DeliveredPayment {
                transaction_id: row.try_get("transaction_id")?,
                record_id: row.try_get("stripe_id")?,
                fiat_amount: row.try_get("fiat_amount")?,
            })
        })
        .collect()
}

/// [`payment_record_of`] inside a transaction.
pub async fn payment_record_of_tx(tx: &mut DbTx, transaction_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT stripe_id FROM outbox WHERE transaction_id = $1 AND operation = 'report_payment' AND state = 'delivered'")
        .bind(transaction_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.try_get("stripe_id")).transpose().map(Option::flatten)
}
