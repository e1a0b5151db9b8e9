//! `regio bench recon --rows N [--incremental M]`: N ledger payments and about N Stripe snapshot
//! rows with 1% of them broken, spread over the break classes; times a full reconciliation
//! (compare, then open the cases) against a plain `FULL OUTER JOIN` of the same two tables on
//! the same database. With M, then adds M payments and times the run that compares only what
//! changed, and checks that it leaves exactly the cases a full comparison finds.

use super::reconcile::{find_breaks, update_cases};
use crate::server::bench::{BenchDb, machine_facts};
use crate::server::db::bench::{add_recon_payments, build_recon_tables, full_comparison_plan, plan, recon_baseline};
use crate::server::db::recon_compare::{Among, CHANGED_SINCE, COMPARED_AT_ONCE, Scope, disagreeing_sql};
use crate::server::db::{Db, Param, SqlFilter, now_ms, recon_cases};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Compares within `scope` and brings the cases in line; returns (compare time, total time, cases).
async fn reconcile(db: &Db, scope: Scope) -> Result<(Duration, Duration, i64), String> {
    let started = Instant::now();
    let mut tx = db.begin_snapshot().await.map_err(|e| e.to_string())?;
    let found = find_breaks(&mut tx, 0, scope).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let compared = started.elapsed();
    let by_class = update_cases(db, &found).await.map_err(|e| e.to_string())?;
    Ok((compared, started.elapsed(), by_class.values().sum()))
}

async fn print_plan(db: &Db, sql: &str, params: &[i64]) -> Result<(), String> {
    let mut query = SqlFilter::new(sql);
    for p in params {
        query.bind(Param::Int(*p));
    }
    for line in plan(db, &query).await.map_err(|e| e.to_string())? {
        println!("    {line}");
    }
    Ok(())
}

async fn bench_once(url: &str, rows: usize, incremental: Option<usize>) -> Result<(), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    build_recon_tables(&db, rows).await.map_err(|e| format!("building the tables: {e}"))?;
    println!("  built {rows} payments and their records in {:.1} s", started.elapsed().as_secs_f64());

    println!("  plan of the full comparison:");
    for line in full_comparison_plan(&db, &disagreeing_sql(now_ms(), Among::All)).await.map_err(|e| e.to_string())? {
        println!("    {line}");
    }
    let (compared, ours, breaks) = reconcile(&db, Scope::Everything).await?;
    let started = Instant::now();
    let read = recon_baseline(&db).await.map_err(|e| e.to_string())?;
    let plain = started.elapsed();
    println!(
        "  full reconcile: {:.2} s ({:.2} s comparing, {:.2} s opening {breaks} cases) = {:.0} rows/s",
        ours.as_secs_f64(),
        compared.as_secs_f64(),
        (ours - compared).as_secs_f64(),
        rows as f64 / ours.as_secs_f64()
    );
    println!(
        "  baseline FULL OUTER JOIN: {:.2} s for {read} rows; reconcile / baseline = {:.2}",
        plain.as_secs_f64(),
        ours.as_secs_f64() / plain.as_secs_f64()
    );

    let Some(added) = incremental else { return Ok(()) };
    let since = now_ms();
    add_recon_payments(&db, rows + 1, rows + added, Some(since + 1)).await.map_err(|e| format!("adding payments: {e}"))?;
    println!("  plan of finding what changed (then compared by the same query, {COMPARED_AT_ONCE} payments at a time):");
    print_plan(&db, CHANGED_SINCE, &[since]).await?;
    let (compared, ours, breaks) = reconcile(&db, Scope::ChangedSince(since)).await?;
    println!(
        "  incremental reconcile after {added} new payments: {:.0} ms ({:.0} ms comparing, {:.0} ms updating {breaks} live cases)",
        ours.as_secs_f64() * 1000.0,
        compared.as_secs_f64() * 1000.0,
        (ours - compared).as_secs_f64() * 1000.0
    );
    let mut tx = db.begin_snapshot().await.map_err(|e| e.to_string())?;
    let full: BTreeSet<(String, String)> = find_breaks(&mut tx, 0, Scope::Everything)
        .await
        .map_err(|e| e.to_string())?
        .found
        .into_iter()
        .map(|s| (s.class.as_str().to_string(), s.subject))
        .collect();
    let live: BTreeSet<(String, String)> = recon_cases::live_keys(&mut tx).await.map_err(|e| e.to_string())?.into_keys().collect();
    tx.commit().await.map_err(|e| e.to_string())?;
    match full == live {
        true => println!("  the live cases are exactly the {} breaks a full comparison finds", full.len()),
        false => return Err(format!("incremental left {} live cases; a full comparison finds {} breaks", live.len(), full.len())),
    }
    Ok(())
}

pub async fn run(rows: usize, incremental: Option<usize>, postgres: Option<String>) -> Result<(), String> {
    println!("bench recon: {rows} payments, 1% broken across the classes; {}", machine_facts());
    let mut targets = vec![("sqlite", BenchDb::sqlite().await)];
    if let Some(admin_url) = postgres {
        targets.push(("postgres", BenchDb::postgres(&admin_url).await?));
    }
    for (name, database) in targets {
        let db = Db::connect(&database.url).await.map_err(|e| e.to_string())?;
        println!("{name} {}:", db.server_version().await.map_err(|e| e.to_string())?);
        let result = bench_once(&database.url, rows, incremental).await;
        database.drop().await;
        result?;
    }
    Ok(())
}
