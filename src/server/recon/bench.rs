//! `regio bench recon --rows N`: N ledger payments and about N Stripe snapshot rows with 1% of
//! them broken, spread over the break classes; times a reconciliation (compare, then open the
//! cases) against a plain `FULL OUTER JOIN` of the same two tables on the same database.

use super::reconcile::{find_breaks, update_cases};
use crate::server::bench::BenchDb;
use crate::server::db::Db;
use crate::server::db::bench::{build_recon_tables, recon_baseline, sqlite_plan};
use std::time::Instant;

async fn bench_once(url: &str, rows: usize) -> Result<(), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    build_recon_tables(&db, rows).await.map_err(|e| format!("building the tables: {e}"))?;
    println!("  built {rows} payments and their records in {:.1} s", started.elapsed().as_secs_f64());

    let steps = sqlite_plan(&db, &crate::server::db::recon_compare::disagreeing_sql()).await.map_err(|e| e.to_string())?;
    if !steps.is_empty() {
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
    let read = recon_baseline(&db).await.map_err(|e| e.to_string())?;
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
