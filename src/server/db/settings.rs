//! Facts about the database itself (`settings`, one row per name).

use super::DbTx;
use sqlx::Row;

pub async fn exists(tx: &mut DbTx, name: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM settings WHERE name = $1").bind(name).fetch_optional(&mut **tx).await?.is_some())
}

pub async fn insert(tx: &mut DbTx, name: &str, value: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)").bind(name).bind(value).bind(now).execute(&mut **tx).await?;
    Ok(())
}

/// Whether anything an operator makes exists: users, API keys, currencies, accounts, transactions.
pub async fn holds_anything(tx: &mut DbTx) -> Result<bool, sqlx::Error> {
    let sql = "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM api_keys) + (SELECT COUNT(*) FROM currencies) \
               + (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM transactions) AS n";
    let n: i64 = sqlx::query(sql).fetch_one(&mut **tx).await?.try_get("n")?;
    Ok(n > 0)
}

pub async fn get(db: &super::Db, name: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT value FROM settings WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?.map(|row| row.try_get("value")).transpose()
}

pub async fn put(db: &super::Db, name: &str, value: &str) -> Result<(), sqlx::Error> {
    let mut wtx = db.begin_write().await?;
    sqlx::query("INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
        .bind(name)
        .bind(value)
        .bind(super::now_ms())
        .execute(&mut *wtx.tx)
        .await?;
    wtx.commit().await
}
