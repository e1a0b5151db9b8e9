//! Reconciliation runs, the incremental cursor, and the lease that lets one instance run at a
//! time.

use super::{Db, DbTx, now_ms};
use crate::domain::recon::RunStatus;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub started_by: String,
    pub full_scan: bool,
    pub status: RunStatus,
    pub phase: String,
    pub records_read: i64,
    pub breaks_json: String,
    pub error: Option<String>,
}

const COLUMNS: &str = "id, started_at, finished_at, started_by, full_scan, status, phase, records_read, breaks_json, error";

fn from_row(row: &AnyRow) -> Result<RunRow, sqlx::Error> {
    Ok(RunRow {
        id: row.try_get("id")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        started_by: row.try_get("started_by")?,
        full_scan: row.try_get::<i64, _>("full_scan")? != 0,
        status: super::parse_text(row, "status")?,
        phase: row.try_get("phase")?,
        records_read: row.try_get("records_read")?,
        breaks_json: row.try_get("breaks_json")?,
        error: row.try_get("error")?,
    })
}

/// How long a lease lasts without a heartbeat: a crashed instance frees the schedule after it.
pub const LEASE_MS: i64 = 60_000;

/// Takes the run lease for `holder` at `at_ms` for `LEASE_MS` if nobody holds it or its holder's
/// lease ran out (a crashed instance). `true` when taken. The caller's clock, so that tests can
/// move it.
pub async fn acquire_lease(db: &Db, holder: &str, at_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE recon_state SET lease_holder = $1, lease_until = $2 WHERE id = 1 AND (lease_holder IS NULL OR lease_until < $3)")
        .bind(holder)
        .bind(at_ms + LEASE_MS)
        .bind(at_ms)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends the lease to `LEASE_MS` after `at_ms`; `false` if `holder` lost it.
pub async fn renew_lease(db: &Db, holder: &str, at_ms: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE recon_state SET lease_until = $2 WHERE id = 1 AND lease_holder = $1").bind(holder).bind(at_ms + LEASE_MS).execute(&db.pool).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release_lease(db: &Db, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recon_state SET lease_holder = NULL, lease_until = NULL WHERE id = 1 AND lease_holder = $1")
        .bind(holder)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// `(cursor, last_full_at)`: the newest `created` read incrementally, and when the last full
/// re-scan finished.
pub async fn cursor(db: &Db) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query("SELECT cursor, last_full_at FROM recon_state WHERE id = 1").fetch_one(&db.pool).await?;
    Ok((row.try_get("cursor")?, row.try_get("last_full_at")?))
}

pub async fn advance_cursor(tx: &mut DbTx, cursor: i64, full_at: Option<i64>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recon_state SET cursor = CASE WHEN cursor > $1 THEN cursor ELSE $1 END, last_full_at = COALESCE($2, last_full_at) WHERE id = 1")
        .bind(cursor)
        .bind(full_at)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn start(db: &Db, id: &str, started_by_id: Option<&str>, started_by: &str, full_scan: bool) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO recon_runs (id, started_at, started_by_id, started_by, full_scan, status, phase, heartbeat_at) \
         VALUES ($1, $2, $3, $4, $5, 'running', 'Starting', $2)",
    )
    .bind(id)
    .bind(now)
    .bind(started_by_id)
    .bind(started_by)
    .bind(i64::from(full_scan))
    .execute(&db.pool)
    .await
    .map(|_| ())
}

pub async fn progress(db: &Db, id: &str, phase: &str, records_read: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recon_runs SET phase = $2, records_read = $3, heartbeat_at = $4 WHERE id = $1")
        .bind(id)
        .bind(phase)
        .bind(records_read)
        .bind(now_ms())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn finish(db: &Db, id: &str, outcome: Result<&str, &str>) -> Result<(), sqlx::Error> {
    let (status, breaks, error) = match outcome {
        Ok(breaks) => (RunStatus::Succeeded, breaks, None),
        Err(error) => (RunStatus::Failed, "{}", Some(error)),
    };
    sqlx::query("UPDATE recon_runs SET status = $2, breaks_json = $3, error = $4, finished_at = $5, phase = 'Finished', heartbeat_at = $5 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(breaks)
        .bind(error)
        .bind(now_ms())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Runs whose instance stopped sending heartbeats before `stale_before_ms` are marked failed.
pub async fn fail_abandoned(db: &Db, stale_before_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recon_runs SET status = 'failed', error = 'The instance running it stopped.', finished_at = heartbeat_at WHERE status = 'running' AND heartbeat_at < $1")
        .bind(stale_before_ms)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn recent(db: &Db, limit: i64) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM recon_runs ORDER BY started_at DESC, id DESC LIMIT {limit}");
    sqlx::query(&sql).fetch_all(&db.pool).await?.iter().map(from_row).collect()
}

pub async fn find(db: &Db, id: &str) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM recon_runs WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

/// When the last successful run started: what changed since then is worth reading again.
pub async fn last_success_started(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT MAX(started_at) AS at FROM recon_runs WHERE status = 'succeeded'").fetch_one(&db.pool).await?;
    row.try_get("at")
}
