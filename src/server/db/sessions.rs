//! tower-sessions store on Regio's own pool, so sessions live in the same database (SQLite or
//! PostgreSQL) as everything else and share its migrations.
//!
//! The store, not tower-sessions, decides when a row expires: `idle` after its last save by
//! Regio's `Clock`, which tests can move forward. Each row also names its user, so that all of a
//! user's sessions can be ended at once.

use super::{Db, DbTx};
use crate::server::auth::session::USER_KEY;
use crate::server::clock::Clock;
use async_trait::async_trait;
use sqlx::Row;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Clock,
    idle_ms: i64,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Clock, idle: Duration) -> Self {
        Self { db, clock, idle_ms: idle.as_millis() as i64 }
    }

    fn expires_at(&self) -> i64 {
        self.clock.now_ms() + self.idle_ms
    }
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn user_id(record: &Record) -> Option<&str> {
    record.data.get(USER_KEY).and_then(serde_json::Value::as_str)
}

/// Ends every session of `user_id` but `keep` (the session of the person doing this, when it
/// is their own account).
pub async fn end_for_user(tx: &mut DbTx, user_id: &str, keep: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2").bind(user_id).bind(keep.unwrap_or("")).execute(&mut **tx).await.map(|_| ())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // A fresh random id collides practically never; on the off chance, draw again.
        loop {
            let inserted = sqlx::query("INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                .bind(record.id.to_string())
                .bind(&data)
                .bind(self.expires_at())
                .bind(user_id(record))
                .execute(&self.db.pool)
                .await
                .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a live session only: one ended while a request of it was in flight (signed out
    /// elsewhere, its user's password reset) stays ended rather than being written back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query("UPDATE sessions SET data = $2, expires_at = $3, user_id = $4 WHERE id = $1")
            .bind(record.id.to_string())
            .bind(data)
            .bind(self.expires_at())
            .bind(user_id(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(self.clock.now_ms())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expires_at: i64 = row.try_get("expires_at").map_err(backend)?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(expires_at as i128 * 1_000_000).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data: serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(&self.db.pool).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(self.clock.now_ms()).execute(&self.db.pool).await.map_err(backend)?;
        Ok(())
    }
}

/// Deletes expired sessions every ten minutes for as long as the server runs.
pub fn spawn_expired_cleanup(store: DbSessionStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions");
            }
        }
    });
}
