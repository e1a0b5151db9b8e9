//! The SQL behind `regio bench …`: building large tables in the database itself, the plain
//! baselines each bench is compared with, and the plans databases choose.

use super::{Db, DbKind, DbTx, Param, SqlFilter, insert_rows, now_ms};
use futures_util::TryStreamExt;
use sqlx::Row;
use std::collections::HashMap;

/// Runs one statement on a database Regio does not own (creating or dropping a bench database).
pub async fn admin_exec(admin_url: &str, sql: &str) -> Result<(), String> {
    let db = Db::connect_without_migrations(admin_url).await.map_err(|e| format!("{admin_url}: {e}"))?;
    sqlx::query(sql).execute(&db.pool).await.map(|_| ()).map_err(|e| format!("{sql}: {e}"))
}

/// Outbox rows not yet delivered.
pub async fn undelivered(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'").fetch_one(&db.pool).await
}

/// Account ids by external reference.
pub async fn account_ids(db: &Db) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, external_ref FROM accounts").fetch_all(&db.pool).await?;
    rows.iter().map(|r| Ok((r.try_get("external_ref")?, r.try_get("id")?))).collect()
}

/// A payment written straight into the tables, as the ingest baseline does.
pub struct PlainPayment {
    pub id: String,
    pub external_ref: String,
    pub amount: i64,
    pub from_account: String,
    pub to_account: String,
}

/// The ingest baseline: a batch of payments and their two entries as plain multi-row INSERTs in
/// one transaction, with no balance, idempotency or account checks and no outbox.
pub async fn insert_plain_payments(db: &Db, currency: &str, batch: &[PlainPayment]) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx: DbTx = db.begin_write().await?.tx;
    let transactions = batch
        .iter()
        .map(|p| {
            vec![
                Param::Text(p.id.clone()),
                Param::Text("payment".into()),
                Param::Text(currency.into()),
                Param::Int(p.amount),
                Param::Text(p.from_account.clone()),
                Param::Text(p.to_account.clone()),
                Param::Int(p.amount),
                Param::Text("1".into()),
                Param::Int(now),
                Param::Int(now),
                Param::Text(String::new()),
                Param::Text("baseline".into()),
                Param::Text(p.external_ref.clone()),
            ]
        })
        .collect();
    let columns = [
        "id",
        "kind",
        "currency",
        "amount",
        "from_account",
        "to_account",
        "fiat_amount",
        "peg_rate",
        "occurred_at",
        "recorded_at",
        "description",
        "source",
        "external_ref",
    ];
    insert_rows(&mut tx, "transactions", &columns, transactions).await?;
    let entries = batch
        .iter()
        .flat_map(|p| {
            [(0, &p.from_account, -p.amount), (1, &p.to_account, p.amount)].map(|(leg, account, amount)| {
                vec![
                    Param::Text(p.id.clone()),
                    Param::Int(leg),
                    Param::Text(account.clone()),
                    Param::Text(currency.into()),
                    Param::Int(amount),
                    Param::Int(now),
                ]
            })
        })
        .collect();
    insert_rows(&mut tx, "entries", &super::ledger::ENTRY_COLUMNS, entries).await?;
    tx.commit().await
}

/// Rows `n` in `first..=last`: a recursive CTE both databases run, so building a million rows
/// takes seconds and needs no client round trips.
fn numbers(first: usize, last: usize) -> String {
    format!("WITH RECURSIVE seq(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM seq WHERE n < {last})")
}

/// How row `n` is broken: every hundredth row, cycling through the classes.
const BROKEN: &str = "(CASE WHEN n % 100 = 0 THEN (n / 100) % 8 ELSE -1 END)";

/// A currency and 1,100 accounts, then `rows` payments and about as many Stripe snapshot rows,
/// 1% of them broken, built by the database itself, with fresh statistics.
pub async fn build_recon_tables(db: &Db, rows: usize) -> Result<(), sqlx::Error> {
    let exec = |sql: String| async move { sqlx::query(&sql).execute(&db.pool).await.map(|_| ()) };
    exec("INSERT INTO currencies (code, name, exponent, fiat_currency, fiat_exponent, peg_rate, payment_method_type, payment_method_name, created_at, updated_at) \
          VALUES ('SRB', 'Bench coin', 0, 'jpy', 0, '1', 'cpmt_bench', 'Bench coin', 0, 0)".into()).await?;
    exec(format!(
        "{} INSERT INTO accounts (id, kind, display_name, external_ref, status, stripe_customer_id, created_at, updated_at) \
         SELECT 'a' || CAST(n + 1000000000 AS TEXT), CASE WHEN n <= 100 THEN 'merchant' ELSE 'member' END, 'Account ' || CAST(n AS TEXT), \
         'ref-' || CAST(n AS TEXT), 'active', NULL, 0, 0 FROM seq",
        numbers(1, 1_100)
    ))
    .await?;
    add_recon_payments(db, 1, rows, None).await?;
    analyze(db).await
}

/// Payments `first..=last` (they occurred at `n` seconds) with their records, 1% broken;
/// recorded and read at `at_ms`, or when they occurred.
pub async fn add_recon_payments(db: &Db, first: usize, last: usize, at_ms: Option<i64>) -> Result<(), sqlx::Error> {
    let exec = |sql: String| async move { sqlx::query(&sql).execute(&db.pool).await.map(|_| ()) };
    let at = at_ms.map_or_else(|| "n * 1000".to_string(), |ms| ms.to_string());
    let seq = numbers(first, last);
    // Payments of 100..1,099 coins, member 101..1,100 to merchant 1..100, with their entries.
    exec(format!(
        "{seq} INSERT INTO transactions (id, kind, currency, amount, from_account, to_account, fiat_amount, peg_rate, occurred_at, recorded_at, description, source, external_ref) \
         SELECT 't' || CAST(n + 1000000000 AS TEXT), 'payment', 'SRB', 100 + n % 1000, 'a' || CAST(1000000101 + n % 1000 AS TEXT), \
         'a' || CAST(1000000001 + n % 100 AS TEXT), 100 + n % 1000, '1', n * 1000, {at}, '', 'api', 'p-' || CAST(n AS TEXT) FROM seq"
    ))
    .await?;
    exec(format!(
        "{seq} INSERT INTO entries (transaction_id, leg, account_id, currency, amount, occurred_at) \
         SELECT 't' || CAST(n + 1000000000 AS TEXT), 0, 'a' || CAST(1000000101 + n % 1000 AS TEXT), 'SRB', -(100 + n % 1000), n * 1000 FROM seq \
         UNION ALL SELECT 't' || CAST(n + 1000000000 AS TEXT), 1, 'a' || CAST(1000000001 + n % 100 AS TEXT), 'SRB', 100 + n % 1000, n * 1000 FROM seq"
    ))
    .await?;
    // One record per payment except the missing ones; class 1 rows are orphans (no match),
    // class 6 rows get a second record below.
    exec(format!(
        "{seq} INSERT INTO stripe_records (id, created, livemode, currency, amount_requested, amount_guaranteed, amount_refunded, status, customer, \
         payment_method_type, payment_reference, metadata_transaction, description, transaction_id, match_source, synced_at, changed_at) \
         SELECT 'pr_' || CAST(n + 1000000000 AS TEXT), n, 0, CASE WHEN {BROKEN} = 3 THEN 'usd' ELSE 'jpy' END, \
         100 + n % 1000 + CASE WHEN {BROKEN} = 2 THEN 1 ELSE 0 END, \
         CASE WHEN {BROKEN} = 5 THEN 0 ELSE 100 + n % 1000 + CASE WHEN {BROKEN} = 2 THEN 1 ELSE 0 END END, \
         CASE WHEN {BROKEN} = 4 THEN 50 ELSE 0 END, CASE WHEN {BROKEN} = 5 THEN 'failed' ELSE 'guaranteed' END, \
         CASE WHEN {BROKEN} = 7 THEN 'cus_other' ELSE NULL END, 'cpmt_bench', \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 't' || CAST(n + 1000000000 AS TEXT) END, NULL, NULL, \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 't' || CAST(n + 1000000000 AS TEXT) END, \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 'reference' END, {at}, {at} \
         FROM seq WHERE {BROKEN} <> 0"
    ))
    .await?;
    exec(format!(
        "{seq} INSERT INTO stripe_records (id, created, livemode, currency, amount_requested, amount_guaranteed, amount_refunded, status, customer, \
         payment_method_type, payment_reference, metadata_transaction, description, transaction_id, match_source, synced_at, changed_at) \
         SELECT 'pr_d' || CAST(n + 1000000000 AS TEXT), n + 1, 0, 'jpy', 100 + n % 1000, 100 + n % 1000, 0, 'guaranteed', NULL, 'cpmt_bench', \
         't' || CAST(n + 1000000000 AS TEXT), NULL, NULL, 't' || CAST(n + 1000000000 AS TEXT), 'reference', {at}, {at} FROM seq WHERE {BROKEN} = 6"
    ))
    .await
}

/// What a person might write by hand: both tables side by side, every row brought back to be
/// compared in a spreadsheet or a script. Returns the rows read.
pub async fn recon_baseline(db: &Db) -> Result<u64, sqlx::Error> {
    let sql = "SELECT t.id, t.fiat_amount, s.id AS record_id, s.currency, s.amount_requested, s.amount_refunded, s.status \
               FROM transactions t FULL OUTER JOIN stripe_records s ON s.transaction_id = t.id";
    let mut rows = sqlx::query(sql).fetch(&db.pool);
    let mut count = 0;
    while rows.try_next().await?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// The plan the database chooses for `query`: SQLite's `EXPLAIN QUERY PLAN` steps, or
/// PostgreSQL's `EXPLAIN` lines.
pub async fn plan(db: &Db, query: &SqlFilter) -> Result<Vec<String>, sqlx::Error> {
    let (explain, column) = explain(db.kind);
    let rows = query.clone().wrap(explain, "").fetch_all(db).await?;
    Ok(rows.iter().filter_map(|row| row.try_get::<String, _>(column).ok()).collect())
}

/// The words asking for a plan, and the column each line of it comes back in.
fn explain(kind: DbKind) -> (&'static str, &'static str) {
    match kind {
        DbKind::Sqlite => ("EXPLAIN QUERY PLAN ", "detail"),
        DbKind::Postgres => ("EXPLAIN ", "QUERY PLAN"),
    }
}

/// The plan of a full reconciliation's comparing query, planned as the run plans it.
pub async fn full_comparison_plan(db: &Db, sql: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.begin_snapshot().await?;
    super::recon_compare::expect_few_back(&mut tx).await?;
    let (explain, column) = explain(db.kind);
    let rows = sqlx::query(&format!("{explain}{sql}")).fetch_all(&mut *tx).await?;
    Ok(rows.iter().filter_map(|row| row.try_get::<String, _>(column).ok()).collect())
}

/// Members whose Stripe customer has its payment method (ready to subscribe).
pub async fn members_with_payment_method(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE stripe_payment_method IS NOT NULL").fetch_one(&db.pool).await
}

/// Plans whose price Stripe has.
pub async fn priced_plans(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM plans WHERE stripe_price IS NOT NULL").fetch_one(&db.pool).await
}

/// Paid invoices of subscriptions.
pub async fn paid_subscription_invoices(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE subscription IS NOT NULL AND status = 'paid'").fetch_one(&db.pool).await
}

/// The mirror of payments `1..=rows`: delivered as their record, except every 200th still
/// pending and every 5,000th failed.
pub async fn add_outbox_rows(db: &Db, rows: usize) -> Result<(), sqlx::Error> {
    let sql = format!(
        "{} INSERT INTO outbox (id, transaction_id, operation, idempotency_key, state, attempts, next_attempt_at, last_error, stripe_id, created_at, updated_at, occurred_at) \
         SELECT 'o' || CAST(n + 1000000000 AS TEXT), 't' || CAST(n + 1000000000 AS TEXT), 'report_payment', 'k' || CAST(n AS TEXT), \
         CASE WHEN n % 5000 = 0 THEN 'failed' WHEN n % 200 = 0 THEN 'pending' ELSE 'delivered' END, 1, n * 1000, \
         CASE WHEN n % 5000 = 0 THEN 'HTTP 400: bench' ELSE NULL END, \
         CASE WHEN n % 200 = 0 THEN NULL ELSE 'pr_' || CAST(n + 1000000000 AS TEXT) END, n * 1000, n * 1000, n * 1000 FROM seq",
        numbers(1, rows)
    );
    sqlx::query(&sql).execute(&db.pool).await.map(|_| ())
}

/// What autovacuum leaves after a bulk load on PostgreSQL: fresh statistics, and the visibility
/// map that lets index-only scans skip the table (insert-driven vacuums since PostgreSQL 13).
/// SQLite gathers the statistics only.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    let sql = match db.kind {
        DbKind::Postgres => "VACUUM ANALYZE",
        DbKind::Sqlite => "ANALYZE",
    };
    sqlx::query(sql).execute(&db.pool).await.map(|_| ())
}
