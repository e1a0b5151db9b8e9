//! The Stripe calls billing owes: queued with their cause, claimed by a worker, finished once.

use super::{Db, DbKind, DbTx, now_ms, parse_text};
use crate::domain::billing::{StepKind, StepState};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub subject: String,
    pub kind: StepKind,
    pub idempotency_key: String,
    pub state: StepState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub stripe_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, subject, kind, idempotency_key, state, attempts, last_error, stripe_id, created_by, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Step, sqlx::Error> {
    Ok(Step {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        kind: parse_text(row, "kind")?,
        idempotency_key: row.try_get("idempotency_key")?,
        state: parse_text(row, "state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        stripe_id: row.try_get("stripe_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Queues a step; `false` when a step with this key exists already (the same call was asked
/// for before), so asking twice queues one call.
pub async fn enqueue(tx: &mut DbTx, id: &str, subject: &str, kind: StepKind, key: &str, created_by: &str) -> Result<bool, sqlx::Error> {
    enqueue_at(tx, id, subject, kind, key, created_by, now_ms()).await
}

/// [`enqueue`], to be made from `not_before` (ms) on.
pub async fn enqueue_at(tx: &mut DbTx, id: &str, subject: &str, kind: StepKind, key: &str, created_by: &str, not_before: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "INSERT INTO billing_steps (id, subject, kind, idempotency_key, state, attempts, next_attempt_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $7, $6, $5, $5) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(id)
    .bind(subject)
    .bind(kind.as_str())
    .bind(key)
    .bind(now)
    .bind(created_by)
    .bind(not_before)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The steps for an account or invoice, newest first.
pub async fn of_subject(tx: &mut DbTx, subject: &str) -> Result<Vec<Step>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM billing_steps WHERE subject = $1 ORDER BY created_at DESC, id DESC LIMIT 50"))
        .bind(subject)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Settles a pending step of `kind` for `subject` that no worker holds, as no longer needed;
/// `false` when there is none (a worker may be making it now).
pub async fn drop_unclaimed(tx: &mut DbTx, subject: &str, kind: StepKind, why: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE billing_steps SET state = 'done', last_error = $3, updated_at = $4 \
         WHERE subject = $1 AND kind = $2 AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < $4)",
    )
    .bind(subject)
    .bind(kind.as_str())
    .bind(why)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether a step of `kind` for `subject` is still owed.
pub async fn pending(tx: &mut DbTx, subject: &str, kind: StepKind) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 FROM billing_steps WHERE subject = $1 AND kind = $2 AND state = 'pending'")
        .bind(subject)
        .bind(kind.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Whether a step of one of `kinds` for `subject` is still owed or was finished after `since`
/// (milliseconds): what Stripe said at `since` may not show it yet.
pub async fn owed_or_finished_since(tx: &mut DbTx, subject: &str, kinds: &[StepKind], since: i64) -> Result<bool, sqlx::Error> {
    let steps = sqlx::query("SELECT kind FROM billing_steps WHERE subject = $1 AND (state = 'pending' OR updated_at >= $2)")
        .bind(subject)
        .bind(since)
        .fetch_all(&mut **tx)
        .await?;
    Ok(steps.iter().any(|row| row.try_get::<String, _>(0).is_ok_and(|kind| kinds.iter().any(|k| k.as_str() == kind))))
}

/// Claims up to `limit` due steps for `worker` for `claim_ms`, oldest first.
pub async fn claim_due(db: &Db, worker: &str, limit: i64, claim_ms: i64) -> Result<Vec<Step>, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let lock = if db.kind == DbKind::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM billing_steps WHERE state = 'pending' AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT {limit}{lock}"
    );
    let steps: Vec<Step> = sqlx::query(&sql).bind(now).fetch_all(&mut *tx.tx).await?.iter().map(from_row).collect::<Result<_, _>>()?;
    for step in &steps {
        sqlx::query("UPDATE billing_steps SET claimed_by = $2, claimed_until = $3 WHERE id = $1")
            .bind(&step.id)
            .bind(worker)
            .bind(now + claim_ms)
            .execute(&mut *tx.tx)
            .await?;
    }
    tx.commit().await?;
    Ok(steps)
}

pub enum StepOutcome<'a> {
    Done { stripe_id: &'a str },
    Retry { error: &'a str, retry_at: i64 },
    Failed { error: &'a str },
}

/// Records the outcome in `tx` if `worker` still holds the claim on a pending step; `false`
/// (nothing written) when it lost it, so a late worker cannot overwrite the step.
pub async fn finish(tx: &mut DbTx, worker: &str, step_id: &str, outcome: StepOutcome<'_>) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let (state, stripe_id, retry_at, error) = match outcome {
        StepOutcome::Done { stripe_id } => (StepState::Done, Some(stripe_id), None, None),
        StepOutcome::Retry { error, retry_at } => (StepState::Pending, None, Some(retry_at), Some(error)),
        StepOutcome::Failed { error } => (StepState::Failed, None, None, Some(error)),
    };
    let query = sqlx::query(
        "UPDATE billing_steps SET state = $3, stripe_id = COALESCE($4, stripe_id), next_attempt_at = COALESCE($5, next_attempt_at), last_error = $6, \
         attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL, updated_at = $7 WHERE id = $1 AND claimed_by = $2 AND state = 'pending'",
    )
    .bind(step_id)
    .bind(worker)
    .bind(state.as_str())
    .bind(stripe_id.map(str::to_string))
    .bind(retry_at)
    .bind(error.map(str::to_string))
    .bind(now);
    Ok(query.execute(&mut **tx).await?.rows_affected() == 1)
}
