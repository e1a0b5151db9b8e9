use super::{Db, DbTx, format_ms, now_ms};
use crate::domain::ledger::{ImportRowError, ImportStatus, ImportView};
use sqlx::Row;
use sqlx::any::AnyRow;

pub struct NewImport<'a> {
    pub id: &'a str,
    pub filename: &'a str,
    pub created_by: &'a str,
    pub row_count: i64,
    pub content: &'a str,
}

pub async fn insert(db: &Db, new: &NewImport<'_>) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO imports (id, filename, created_by, created_at, updated_at, status, row_count, content) VALUES ($1, $2, $3, $4, $4, 'checking', $5, $6)",
    )
    .bind(new.id)
    .bind(new.filename)
    .bind(new.created_by)
    .bind(now)
    .bind(new.row_count)
    .bind(new.content)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// Moves an import from `from` to `to`; `false` if it was not in `from` (someone else moved it).
pub async fn transition(db: &Db, id: &str, from: ImportStatus, to: ImportStatus) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE imports SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Imports in a running state (`checking`, `committing`), oldest first.
pub async fn running(tx: &mut DbTx) -> Result<Vec<(String, ImportStatus)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, status FROM imports WHERE status IN ('checking', 'committing') ORDER BY id").fetch_all(&mut **tx).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, status(r)?))).collect()
}

fn status(row: &AnyRow) -> Result<ImportStatus, sqlx::Error> {
    super::parse_text(row, "status")
}

/// Marks a running import failed with `error`, if it is still in `status`.
pub async fn fail(tx: &mut DbTx, id: &str, status: ImportStatus, error: &ImportRowError) -> Result<bool, sqlx::Error> {
    let errors_json = serde_json::to_string(&[error]).unwrap_or_else(|_| "[]".into());
    let done = sqlx::query("UPDATE imports SET status = 'failed', error_count = 1, errors_json = $3, updated_at = $4 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(status.as_str())
        .bind(errors_json)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn record_check(
    db: &Db,
    id: &str,
    status: ImportStatus,
    valid: i64,
    errors: &[ImportRowError],
    error_count: i64,
    summary: &str,
) -> Result<(), sqlx::Error> {
    let errors_json = serde_json::to_string(errors).unwrap_or_else(|_| "[]".into());
    sqlx::query("UPDATE imports SET status = $2, valid_count = $3, error_count = $4, errors_json = $5, summary_json = $6, updated_at = $7 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(valid)
        .bind(error_count)
        .bind(errors_json)
        .bind(summary)
        .bind(now_ms())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Row errors as stored; those stored before they were kept in both languages read in English.
fn stored_errors(json: &str) -> Vec<ImportRowError> {
    #[derive(serde::Deserialize)]
    struct EnglishOnly {
        row: usize,
        field: String,
        message: String,
    }
    serde_json::from_str(json)
        .or_else(|_| {
            serde_json::from_str::<Vec<EnglishOnly>>(json)
                .map(|old| old.into_iter().map(|e| ImportRowError { row: e.row, field: e.field, message: e.message.into() }).collect())
        })
        .unwrap_or_default()
}

fn view(row: &AnyRow) -> Result<ImportView, sqlx::Error> {
    let errors: String = row.try_get("errors_json")?;
    let summary: String = row.try_get("summary_json")?;
    Ok(ImportView {
        id: row.try_get("id")?,
        filename: row.try_get("filename")?,
        created_by: row.try_get("created_by")?,
        created_at: format_ms(row.try_get("created_at")?),
        status: status(row)?,
        rows: row.try_get("row_count")?,
        valid: row.try_get("valid_count")?,
        error_count: row.try_get("error_count")?,
        errors: stored_errors(&errors),
        summary: serde_json::from_str(&summary).unwrap_or_default(),
        progress: None,
    })
}

const COLUMNS: &str = "id, filename, created_by, created_at, status, row_count, valid_count, error_count, errors_json, summary_json";

pub async fn find(db: &Db, id: &str) -> Result<Option<ImportView>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM imports WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(view).transpose()
}

pub async fn content(db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT content FROM imports WHERE id = $1").bind(id).fetch_optional(&db.pool).await?;
    row.map(|r| r.try_get("content")).transpose()
}

pub async fn recent(db: &Db, limit: i64) -> Result<Vec<ImportView>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM imports ORDER BY id DESC LIMIT {}", limit.clamp(1, 200));
    sqlx::query(&sql).fetch_all(&db.pool).await?.iter().map(view).collect()
}
