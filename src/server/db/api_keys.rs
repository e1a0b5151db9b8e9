use super::{Db, DbTx, format_ms, now_ms};
use crate::domain::api_keys::ApiKeyView;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl ApiKeyRow {
    pub fn view(&self) -> ApiKeyView {
        ApiKeyView {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.key_prefix.clone(),
            created_by: self.created_by.clone(),
            created_at: format_ms(self.created_at),
            revoked_at: self.revoked_at.map(format_ms),
        }
    }
}

pub async fn insert(tx: &mut DbTx, row: &ApiKeyRow, key_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO api_keys (id, name, key_hash, key_prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&row.id)
        .bind(&row.name)
        .bind(key_hash)
        .bind(&row.key_prefix)
        .bind(&row.created_by)
        .bind(row.created_at)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The name of the live (not revoked) key with this hash.
pub async fn active_by_hash(db: &Db, key_hash: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL").bind(key_hash).fetch_optional(&db.pool).await?;
    row.map(|r| r.try_get("name")).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name, key_prefix, created_by, created_at, revoked_at FROM api_keys ORDER BY id DESC").fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(ApiKeyRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                key_prefix: r.try_get("key_prefix")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// Revokes the live key named `name` or with id `id_or_name`; `false` when there is none.
pub async fn revoke(tx: &mut DbTx, id_or_name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE (id = $1 OR name = $1) AND revoked_at IS NULL")
        .bind(id_or_name)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}
