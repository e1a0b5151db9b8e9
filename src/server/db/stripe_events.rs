//! Stripe's events, each stored once by id, and how far processing got.

use super::{Db, DbTx, Param, SqlFilter, now_ms, parse_text};
use crate::domain::billing::{EventState, EventVia};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: String,
    pub kind: String,
    pub object_id: Option<String>,
    pub created: i64,
    pub received_at: i64,
    pub via: EventVia,
    pub state: EventState,
    pub attempts: i64,
    pub error: Option<String>,
    pub result: Option<String>,
    pub processed_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, object_id, created, received_at, via, state, attempts, error, result, processed_at";

fn from_row(row: &AnyRow) -> Result<StoredEvent, sqlx::Error> {
    Ok(StoredEvent {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        object_id: row.try_get("object_id")?,
        created: row.try_get("created")?,
        received_at: row.try_get("received_at")?,
        via: parse_text(row, "via")?,
        state: parse_text(row, "state")?,
        attempts: row.try_get("attempts")?,
        error: row.try_get("error")?,
        result: row.try_get("result")?,
        processed_at: row.try_get("processed_at")?,
    })
}

/// Stores the event unless it is known; `true` when it was new.
pub async fn insert_new(db: &Db, id: &str, kind: &str, object_id: Option<&str>, created: i64, via: EventVia) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "INSERT INTO stripe_events (id, kind, object_id, created, received_at, via, state, attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(object_id)
    .bind(created)
    .bind(now_ms())
    .bind(via.as_str())
    .execute(&mut *tx.tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find(tx: &mut DbTx, id: &str) -> Result<Option<StoredEvent>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM stripe_events WHERE id = $1")).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// Events still to process (new, or failed at most `max_attempts` times), oldest by Stripe's
/// clock first, so a retry replays them in the order they happened.
pub async fn unprocessed(db: &Db, max_attempts: i64, limit: i64) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM stripe_events WHERE state = 'pending' OR (state = 'failed' AND attempts < $1) ORDER BY created, id LIMIT {limit}"
    ))
    .bind(max_attempts)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Records what processing did, in the transaction that did it.
pub async fn finish(tx: &mut DbTx, id: &str, state: EventState, result: Option<&str>, error: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE stripe_events SET state = $2, result = $3, error = $4, attempts = attempts + 1, processed_at = $5 WHERE id = $1")
        .bind(id)
        .bind(state.as_str())
        .bind(result)
        .bind(error)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The newest `created` (Stripe's seconds) of any stored event: where the catch-up resumes.
pub async fn newest_created(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT MAX(created) AS c FROM stripe_events").fetch_one(&mut *tx).await?.try_get("c")
}

pub async fn page(
    db: &Db,
    state: Option<EventState>,
    kind: Option<&str>,
    cursor: Option<(i64, String)>,
    limit: usize,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let mut q = SqlFilter::new(&format!("SELECT {COLUMNS} FROM stripe_events WHERE 1 = 1"));
    if let Some(state) = state {
        q.and("state =", Param::Text(state.as_str().into()));
    }
    if let Some(kind) = kind {
        q.and("kind =", Param::Text(kind.into()));
    }
    if let Some((at, id)) = cursor {
        let n = q.param_count();
        q.push(&format!(" AND (received_at < ${} OR (received_at = ${} AND id < ${}))", n + 1, n + 1, n + 2));
        q.bind(Param::Int(at));
        q.bind(Param::Text(id));
    }
    q.push(&format!(" ORDER BY received_at DESC, id DESC LIMIT {}", limit + 1));
    q.fetch_all(db).await?.iter().map(from_row).collect()
}
