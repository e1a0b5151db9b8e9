//! `regio bench recon --rows N`: N ledger payments and about N Stripe snapshot rows with 1% of
//! them broken, spread over the break classes; times a reconciliation (compare, then open the
//! cases) against a plain `FULL OUTER JOIN` of the same two tables on the same database.

use super::reconcile::{find_breaks, update_cases};
use crate::server::bench::BenchDb;
use crate::server::db::Db;
use futures_util::TryStreamExt;
use std::time::Instant;

/// Rows `n` in `1..=rows`: a recursive CTE both databases run, so building a million rows
/// takes seconds and needs no client round trips.
fn numbers(rows: usize) -> String {
    format!("WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows})")
}

/// How row `n` is broken: every hundredth row, cycling through the classes.
const BROKEN: &str = "(CASE WHEN n % 100 = 0 THEN (n / 100) % 8 ELSE -1 END)";

async fn build(db: &Db, rows: usize) -> Result<(), sqlx::Error> {
    let exec = |sql: String| async move { sqlx::query(&sql).execute(&db.pool).await.map(|_| ()) };
    exec("INSERT INTO currencies (code, name, exponent, fiat_currency, fiat_exponent, peg_rate, payment_method_type, payment_method_name, created_at, updated_at) \
          VALUES ('SRB', 'Bench coin', 0, 'jpy', 0, '1', 'cpmt_bench', 'Bench coin', 0, 0)".into()).await?;
    exec(format!(
        "{} INSERT INTO accounts (id, kind, display_name, external_ref, status, stripe_customer_id, created_at, updated_at) \
         SELECT 'a' || CAST(n + 1000000000 AS TEXT), CASE WHEN n <= 100 THEN 'merchant' ELSE 'member' END, 'Account ' || CAST(n AS TEXT), \
         'ref-' || CAST(n AS TEXT), 'active', NULL, 0, 0 FROM seq",
        numbers(1_100)
    ))
    .await?;
    // Payments of 100..1,099 coins, member 101..1,100 to merchant 1..100.
    exec(format!(
        "{} INSERT INTO transactions (id, kind, currency, amount, from_account, to_account, fiat_amount, peg_rate, occurred_at, recorded_at, description, source, external_ref) \
         SELECT 't' || CAST(n + 1000000000 AS TEXT), 'payment', 'SRB', 100 + n % 1000, 'a' || CAST(1000000101 + n % 1000 AS TEXT), \
         'a' || CAST(1000000001 + n % 100 AS TEXT), 100 + n % 1000, '1', n * 1000, n * 1000, '', 'api', 'p-' || CAST(n AS TEXT) FROM seq",
        numbers(rows)
    ))
    .await?;
    // One record per payment except the missing ones; class 1 rows are orphans (no match),
    // class 6 rows get a second record below.
    exec(format!(
        "{} INSERT INTO stripe_records (id, created, livemode, currency, amount_requested, amount_guaranteed, amount_refunded, status, customer, \
         payment_method_type, payment_reference, metadata_transaction, description, transaction_id, match_source, synced_at) \
         SELECT 'pr_' || CAST(n + 1000000000 AS TEXT), n, 0, CASE WHEN {BROKEN} = 3 THEN 'usd' ELSE 'jpy' END, \
         100 + n % 1000 + CASE WHEN {BROKEN} = 2 THEN 1 ELSE 0 END, \
         CASE WHEN {BROKEN} = 5 THEN 0 ELSE 100 + n % 1000 + CASE WHEN {BROKEN} = 2 THEN 1 ELSE 0 END END, \
         CASE WHEN {BROKEN} = 4 THEN 50 ELSE 0 END, CASE WHEN {BROKEN} = 5 THEN 'failed' ELSE 'guaranteed' END, \
         CASE WHEN {BROKEN} = 7 THEN 'cus_other' ELSE NULL END, 'cpmt_bench', \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 't' || CAST(n + 1000000000 AS TEXT) END, NULL, NULL, \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 't' || CAST(n + 1000000000 AS TEXT) END, \
         CASE WHEN {BROKEN} = 1 THEN NULL ELSE 'reference' END, 0 \
         FROM seq WHERE {BROKEN} <> 0",
        numbers(rows)
    ))
    .await?;
    exec(format!(
        "{} INSERT INTO stripe_records (id, created, livemode, currency, amount_requested, amount_guaranteed, amount_refunded, status, customer, \
         payment_method_type, payment_reference, metadata_transaction, description, transaction_id, match_source, synced_at) \
         SELECT 'pr_d' || CAST(n + 1000000000 AS TEXT), n + 1, 0, 'jpy', 100 + n % 1000, 100 + n % 1000, 0, 'guaranteed', NULL, 'cpmt_bench', \
         't' || CAST(n + 1000000000 AS TEXT), NULL, NULL, 't' || CAST(n + 1000000000 AS TEXT), 'reference', 0 FROM seq WHERE {BROKEN} = 6",
        numbers(rows)
    ))
    .await?;
    // Fresh statistics, as a database that has been in use would have.
    exec("ANALYZE".into()).await
}

/// What a person might write by hand: both tables side by side, every row brought back to be
/// compared in a spreadsheet or a script. Returns the rows read.
async fn baseline(db: &Db) -> Result<u64, sqlx::Error> {
    let sql = "SELECT t.id, t.fiat_amount, s.id AS record_id, s.currency, s.amount_requested, s.amount_refunded, s.status \
               FROM transactions t FULL OUTER JOIN stripe_records s ON s.transaction_id = t.id";
    let mut rows = sqlx::query(sql).fetch(&db.pool);
    let mut count = 0;
    while rows.try_next().await?.is_some() {
        count += 1;
    }
    Ok(count)
}

async fn bench_once(url: &str, rows: usize) -> Result<(), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    build(&db, rows).await.map_err(|e| format!("building the tables: {e}"))?;
    println!("  built {rows} payments and their records in {:.1} s", started.elapsed().as_secs_f64());

    if db.kind == crate::server::db::DbKind::Sqlite {
        let plan = sqlx::query(&format!("EXPLAIN QUERY PLAN {}", crate::server::db::recon_compare::disagreeing_sql()))
            .bind(0i64)
            .fetch_all(&db.pool)
            .await
            .map_err(|e| e.to_string())?;
        let steps: Vec<String> = plan.iter().filter_map(|row| sqlx::Row::try_get::<String, _>(row, "detail").ok()).collect();
        println!("  plan: {}", steps.join(" / "));
    }
    let started = Instant::now();
    let mut tx = db.begin_snapshot().await.map_err(|e| e.to_string())?;
    let found = find_breaks(&mut tx, 0).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let compared = started.elapsed();
    let by_class = update_cases(&db, &found).await.map_err(|e| e.to_string())?;
    let ours = started.elapsed();

    let started = Instant::now();
    let read = baseline(&db).await.map_err(|e| e.to_string())?;
    let plain = started.elapsed();

    let breaks: i64 = by_class.values().sum();
    println!(
        "  reconcile: {:.2} s ({:.2} s comparing, {:.2} s opening {breaks} cases) = {:.0} rows/s",
        ours.as_secs_f64(),
        compared.as_secs_f64(),
        (ours - compared).as_secs_f64(),
        rows as f64 / ours.as_secs_f64()
    );
    println!("  by class: {}", by_class.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "));
    println!(
        "  baseline FULL OUTER JOIN: {:.2} s for {read} rows; reconcile / baseline = {:.2}",
        plain.as_secs_f64(),
        ours.as_secs_f64() / plain.as_secs_f64()
    );
    Ok(())
}

pub async fn run(rows: usize, postgres: Option<String>) -> Result<(), String> {
    println!("bench recon: {rows} payments, 1% broken across the classes");
    let mut targets = vec![("sqlite", BenchDb::sqlite().await)];
    if let Some(admin_url) = postgres {
        targets.push(("postgres", BenchDb::postgres(&admin_url).await?));
    }
    for (name, database) in targets {
        println!("{name}:");
        let result = bench_once(&database.url, rows).await;
        database.drop().await;
        result?;
    }
    Ok(())
}
