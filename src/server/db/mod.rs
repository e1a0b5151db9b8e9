//! The data-access layer. One `AnyPool` serves SQLite and PostgreSQL with the same SQL;
//! every query of the product lives in a module here.

pub mod audit;
pub mod login_attempts;
pub mod sessions;
pub mod users;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

pub type DbTx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: DbKind,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects (creating the SQLite file and its folder when needed) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbKind::Postgres
        } else if url.starts_with("sqlite:") {
            create_sqlite_folder(url)?;
            DbKind::Sqlite
        } else {
            return Err(sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres://".into()));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if kind == DbKind::Sqlite {
                        // WAL lets readers proceed while the one writer writes.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Self { pool, kind };
        db.migrate().await?;
        Ok(db)
    }

    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        MIGRATOR.run(&self.pool).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    pub async fn begin(&self) -> Result<DbTx, sqlx::Error> {
        self.pool.begin().await
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

fn create_sqlite_folder(url: &str) -> Result<(), sqlx::Error> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A new time-ordered id (UUIDv7), so that ordering by id is ordering by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Formats stored milliseconds as RFC 3339 UTC for display and export.
pub fn format_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A value bound to a numbered placeholder of a query built at run time.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// A `SELECT` whose `WHERE` grows with the filters a person chose. Placeholders are numbered
/// (`$1`, `$2`, …), which both SQLite and PostgreSQL accept through the `Any` driver.
#[derive(Debug)]
pub struct SqlFilter {
    sql: String,
    params: Vec<Param>,
}

impl SqlFilter {
    pub fn new(select: &str) -> Self {
        Self { sql: select.to_string(), params: Vec::new() }
    }

    /// Appends ` AND <clause> $n` and binds `param` to it.
    pub fn and(&mut self, clause: &str, param: Param) {
        self.params.push(param);
        self.sql.push_str(&format!(" AND {clause} ${}", self.params.len()));
    }

    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    pub async fn fetch_all(&self, db: &Db) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        let mut query = sqlx::query(&self.sql);
        for param in &self.params {
            query = match param {
                Param::Text(v) => query.bind(v.clone()),
                Param::Int(v) => query.bind(*v),
            };
        }
        query.fetch_all(&db.pool).await
    }
}
