//! The data-access layer. One `AnyPool` serves SQLite and PostgreSQL with the same SQL;
//! every query of the product lives in a module here.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod bench;
pub mod billing_steps;
pub mod currencies;
pub mod dashboard;
pub mod imports;
pub mod invoices;
pub mod ledger;
pub mod login_attempts;
pub mod outbox;
pub mod recon_cases;
pub mod recon_compare;
pub mod recon_runs;
pub mod refunds;
pub mod sessions;
pub mod settings;
pub mod stripe_events;
pub mod stripe_invoices;
pub mod stripe_records;
pub mod subscriptions;
pub mod users;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub type DbTx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where `begin_write` transactions run: on SQLite one connection of its own.
    writer: AnyPool,
    pub kind: DbKind,
    /// SQLite allows one writer at a time and a deferred transaction that reads before it writes
    /// can fail to upgrade; ledger writers queue here instead (PostgreSQL uses row locks).
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction, holding SQLite's in-process writer lock for as long as it lives.
pub struct WriteTx {
    pub tx: DbTx,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Ends the transaction now. Dropping it rolls back too, but only once its connection is
    /// next used or returned to the pool, its row locks held until then.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects (creating the SQLite file and its folder when needed) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let db = Self::connect_without_migrations(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to a database Regio does not own (e.g. PostgreSQL's `postgres` database).
    pub async fn connect_without_migrations(url: &str) -> Result<Self, sqlx::Error> {
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
        let pool = open_pool(&options, kind, if kind == DbKind::Sqlite { 4 } else { 10 }).await?;
        // SQLite drops a connection's whole page cache whenever another connection has committed
        // since its last transaction, so writes that rotate over the pool's connections each
        // start cold and read the ledger's hot pages back in. One connection does all ledger
        // writes and keeps them cached.
        let writer = match kind {
            DbKind::Sqlite => open_pool(&options, kind, 1).await?,
            DbKind::Postgres => pool.clone(),
        };
        Ok(Self { pool, writer, kind, write_lock: Arc::default() })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        MIGRATOR.run(&self.pool).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    pub async fn begin(&self) -> Result<DbTx, sqlx::Error> {
        self.pool.begin().await
    }

    /// Begins a read-only transaction whose statements all see one snapshot, so that figures
    /// read by separate queries agree (PostgreSQL's default gives each statement its own; a
    /// SQLite read transaction in WAL mode already keeps the snapshot of its first read).
    pub async fn begin_snapshot(&self) -> Result<DbTx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if self.kind == DbKind::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// Begins a transaction that will write ledger rows (see `write_lock`).
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let guard = match self.kind {
            DbKind::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            DbKind::Postgres => None,
        };
        Ok(WriteTx { tx: self.writer.begin().await?, _guard: guard })
    }

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite (whose writers are already serialised).
    pub fn for_update(&self) -> &'static str {
        match self.kind {
            DbKind::Postgres => " FOR UPDATE",
            DbKind::Sqlite => "",
        }
    }

    /// ` FOR SHARE` on PostgreSQL (held by many transactions at once, never beside
    /// ` FOR UPDATE`), nothing on SQLite.
    pub fn for_share(&self) -> &'static str {
        match self.kind {
            DbKind::Postgres => " FOR SHARE",
            DbKind::Sqlite => "",
        }
    }

    /// The database and its version, as benchmarks print them.
    pub async fn server_version(&self) -> Result<String, sqlx::Error> {
        let (name, sql) = match self.kind {
            DbKind::Sqlite => ("SQLite", "SELECT sqlite_version()"),
            DbKind::Postgres => ("PostgreSQL", "SELECT current_setting('server_version')"),
        };
        let version: String = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(format!("{name} {version}"))
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Writes a consistent copy of a SQLite database to `path` while Regio keeps running
    /// (`VACUUM INTO` reads one snapshot and never blocks the writer). PostgreSQL has `pg_dump`.
    pub async fn backup_into(&self, path: &str) -> Result<(), sqlx::Error> {
        if self.kind == DbKind::Postgres {
            return Err(sqlx::Error::Configuration("back up PostgreSQL with pg_dump (see the README)".into()));
        }
        sqlx::query("VACUUM INTO $1").bind(path).execute(&self.pool).await.map(|_| ())
    }
}

async fn open_pool(options: &AnyConnectOptions, kind: DbKind, max_connections: u32) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if kind == DbKind::Sqlite {
                    // WAL lets readers proceed while the one writer writes.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // The default 2 MB page cache turns index inserts into reads once the
                    // ledger outgrows it; 64 MB keeps a few million rows' hot pages in memory.
                    conn.execute("PRAGMA cache_size = -65536").await?;
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    // A batch of 1,000 payments dirties about 1,500 pages, so the default
                    // checkpoint every 1,000 WAL pages ran (and fsynced) inside nearly every
                    // commit, copying the same hot index pages to the database file each time.
                    // Up to 256 MB of WAL copies them once per few dozen batches.
                    conn.execute("PRAGMA wal_autocheckpoint = 65536").await?;
                } else {
                    // Each list page reads 50 rows, but with a million-row ledger the planner
                    // costs its query in the millions and JIT-compiles it on every call (280 ms
                    // of a 678 ms page, the rows themselves under 1 ms). Short queries never
                    // repay compiling; the server's own setting stays for other clients.
                    conn.execute("SET jit = off").await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await
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

/// Reads a text column holding one of a state enum's names (`MirrorState`, `RunStatus`, …).
pub(crate) fn parse_text<T: FromStr<Err = String>>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<String, _>(column)?.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

/// A UTC day in milliseconds: days are counted as whole multiples of it from the Unix epoch.
pub const DAY_MS: i64 = 86_400_000;

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
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A value bound to a numbered placeholder of a query built at run time.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_param(query: AnyQuery<'_>, param: Param) -> AnyQuery<'_> {
    match param {
        Param::Text(v) => query.bind(v),
        Param::Int(v) => query.bind(v),
        Param::OptText(v) => query.bind(v),
        Param::OptInt(v) => query.bind(v),
    }
}

/// `count` placeholders for the parameters after the first `offset`: `$1, $2, …` on
/// PostgreSQL, plain `?` on SQLite, where looking up a numbered parameter's name is linear in
/// the number of parameters and makes a statement with thousands of them quadratic.
fn placeholders(tx: &DbTx, offset: usize, count: usize) -> String {
    placeholder_marks(tx, offset, count).join(", ")
}

fn placeholder_marks(tx: &DbTx, offset: usize, count: usize) -> Vec<String> {
    if tx.backend_name() == "SQLite" {
        return vec!["?".to_string(); count];
    }
    (offset + 1..=offset + count).map(|n| format!("${n}")).collect()
}

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)`, in chunks that stay under both
/// databases' limit on bound parameters.
pub async fn insert_rows(tx: &mut DbTx, table: &str, columns: &[&str], rows: Vec<Vec<Param>>) -> Result<(), sqlx::Error> {
    insert_rows_then(tx, table, columns, rows, "").await
}

/// `insert_rows` with a clause after `VALUES …`, such as `ON CONFLICT … DO UPDATE …`.
pub async fn insert_rows_then(tx: &mut DbTx, table: &str, columns: &[&str], rows: Vec<Vec<Param>>, then: &str) -> Result<(), sqlx::Error> {
    const MAX_PARAMS: usize = 30_000;
    let per_chunk = (MAX_PARAMS / columns.len().max(1)).clamp(1, 500);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Param>> = rows.by_ref().take(per_chunk).collect();
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(tx, i * columns.len(), columns.len()))).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES {} {then}", columns.join(", "), values.join(", "));
        let mut query = sqlx::query(&sql);
        for param in chunk.into_iter().flatten() {
            query = bind_param(query, param);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Runs `select` over `values` in chunks, returning all rows: `{in}` in it stands for a list
/// of the values (`WHERE column IN ({in})`), `{rows}` for one-column rows of them
/// (`FROM (VALUES {rows}) AS v`, whose column is `v.column1` on both databases).
pub async fn select_in(tx: &mut DbTx, select: &str, values: &[String]) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    select_in_chunks(tx, select, values, 500).await
}

/// `select_in`, `per_chunk` values at a time.
pub async fn select_in_chunks(tx: &mut DbTx, select: &str, values: &[String], per_chunk: usize) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in values.chunks(per_chunk.max(1)) {
        let marks = placeholder_marks(tx, 0, chunk.len());
        let sql = select.replace("{in}", &marks.join(", ")).replace("{rows}", &format!("({})", marks.join("), (")));
        let mut query = sqlx::query(&sql);
        for value in chunk {
            query = query.bind(value.clone());
        }
        rows.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// A `SELECT` whose `WHERE` grows with the filters a person chose. Placeholders are numbered
/// (`$1`, `$2`, …), which both SQLite and PostgreSQL accept through the `Any` driver.
#[derive(Debug, Clone)]
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

    /// Binds one more parameter for a placeholder the caller wrote with `push`.
    pub fn bind(&mut self, param: Param) {
        self.params.push(param);
    }

    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The same query and parameters inside `before … after`, e.g. to aggregate a filtered list.
    pub fn wrap(self, before: &str, after: &str) -> Self {
        Self { sql: format!("{before}{}{after}", self.sql), params: self.params }
    }

    pub async fn fetch_all(&self, db: &Db) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        self.query().fetch_all(&db.pool).await
    }

    pub async fn fetch_all_tx(&self, tx: &mut DbTx) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        self.query().fetch_all(&mut **tx).await
    }

    fn query(&self) -> AnyQuery<'_> {
        let mut query = sqlx::query(&self.sql);
        for param in &self.params {
            query = bind_param(query, param.clone());
        }
        query
    }
}
