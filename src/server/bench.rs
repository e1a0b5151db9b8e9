//! `regio bench …`: throughput measurements on this machine, printed, never asserted.

use super::auth::api_keys;
use super::config::Config;
use super::db::audit::Actor;
use super::db::bench::{PlainPayment, account_ids, admin_exec, insert_plain_payments, undelivered};
use super::db::{Db, new_id};
use super::http;
use super::ledger::currencies::{self, CurrencyInput};
use super::ledger::{BatchError, TransferInput, accounts, post_batch};
use super::mirror::{MirrorWorker, WorkerOptions};
use super::stripe::client::{ClientConfig, RateLimit, SecretKey, StripeClient};
use crate::domain::ledger::Source;
use serde_json::json;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

const MEMBERS: usize = 1_000;
const MERCHANTS: usize = 100;
const BATCH: usize = 1_000;

/// What a figure depends on: the cores and the day it was measured.
pub(crate) fn machine_facts() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let day = time::OffsetDateTime::now_utc().date();
    format!("{cores} cores, measured {day}")
}

/// A throwaway database: a SQLite file in the temp dir, or a new PostgreSQL database on the
/// server of `admin_url`, dropped afterwards.
pub(crate) struct BenchDb {
    pub(crate) url: String,
    cleanup: Option<(String, String)>,
}

impl BenchDb {
    pub(crate) async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("regio-bench-{}", new_id()));
        Self { url: format!("sqlite://{}/bench.db?mode=rwc", dir.display()), cleanup: None }
    }

    pub(crate) async fn postgres(admin_url: &str) -> Result<Self, String> {
        let name = format!("regio_bench_{}", new_id().replace('-', ""));
        admin_exec(admin_url, &format!("CREATE DATABASE {name}")).await?;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        Ok(Self { url: format!("{base}/{name}"), cleanup: Some((admin_url.to_string(), name)) })
    }

    pub(crate) async fn drop(self) {
        match self.cleanup {
            Some((admin_url, name)) => {
                if let Err(e) = admin_exec(&admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await {
                    tracing::warn!(error = %e, "dropping the bench database");
                }
            }
            None => {
                let path = self.url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_string();
                if let Some(dir) = std::path::Path::new(&path).parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
    }
}

/// A currency, an operator, members with money, merchants; returns nothing but a ready ledger.
pub(crate) async fn prepare_ledger(db: &Db, funds_per_member: i64) -> Result<(), String> {
    let actor = Actor::system();
    let input = CurrencyInput {
        code: "SRB",
        name: "Bench coin",
        exponent: "0",
        fiat_currency: "jpy",
        peg_rate: "1",
        payment_method_type: "cpmt_bench",
        payment_method_name: "Bench coin",
    };
    let currency = currencies::parse(&input).map_err(|e| e.to_string())?;
    currencies::save(db, &actor, currency).await.map_err(|e| e.to_string())?;
    let mut open = vec![accounts::NewAccount::parse("operator", "Issuer", "issuer").map_err(|e| e.to_string())?];
    for i in 0..MEMBERS {
        open.push(accounts::NewAccount::parse("member", &format!("Member {i}"), &format!("m-{i}")).map_err(|e| e.to_string())?);
    }
    for i in 0..MERCHANTS {
        open.push(accounts::NewAccount::parse("merchant", &format!("Shop {i}"), &format!("s-{i}")).map_err(|e| e.to_string())?);
    }
    accounts::open_many(db, &actor, open).await.map_err(|e| e.to_string())?;
    let top_ups: Vec<TransferInput> = (0..MEMBERS).map(|i| transfer(&format!("top-{i}"), "top_up", funds_per_member, "issuer", &format!("m-{i}"))).collect();
    post(db, top_ups).await
}

fn transfer(reference: &str, kind: &str, amount: i64, from: &str, to: &str) -> TransferInput {
    TransferInput {
        external_ref: reference.into(),
        kind: kind.into(),
        currency: "SRB".into(),
        amount: amount.to_string(),
        from: Some(from.into()),
        to: Some(to.into()),
        ..TransferInput::default()
    }
}

async fn post(db: &Db, items: Vec<TransferInput>) -> Result<(), String> {
    for batch in items.chunks(BATCH) {
        match post_batch(db, Source::Api, batch.to_vec(), &Actor::system()).await {
            Ok(_) => {}
            Err(BatchError::Database(e)) => return Err(e.to_string()),
            Err(BatchError::Invalid(errors)) => return Err(format!("{} invalid items, first: {:?}", errors.len(), errors.first())),
        }
    }
    Ok(())
}

fn payment_json(i: usize) -> serde_json::Value {
    json!({ "external_ref": format!("p-{i}"), "kind": "payment", "currency": "SRB", "amount": (100 + i % 900).to_string(),
            "from": format!("m-{}", i % MEMBERS), "to": format!("s-{}", i % MERCHANTS) })
}

/// Sends `rows` payments through `POST /api/v1/transactions` in batches of 1,000, `clients`
/// at a time, against a server started in this process; then writes the same payments again as
/// plain INSERTs (the baseline) into the same database. Returns both rates.
async fn ingest_once(url: &str, rows: usize, clients: usize) -> Result<(f64, f64), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    prepare_ledger(&db, 1_000 * rows.div_ceil(MEMBERS) as i64 + 1_000).await?;
    let (_, key) = api_keys::create(&db, &Actor::system(), "bench").await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let config = Config::for_bench(url, addr)?;
    let server = tokio::spawn(http::serve(listener, http::router(http::app_state(config, db.clone(), None))));
    let bodies: Vec<String> = (0..rows.div_ceil(BATCH))
        .map(|b| json!({ "transactions": (b * BATCH..((b + 1) * BATCH).min(rows)).map(payment_json).collect::<Vec<_>>() }).to_string())
        .collect();
    let http_client = reqwest::Client::new();
    let endpoint = format!("http://{addr}/api/v1/transactions");
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..clients {
        let mine: Vec<String> = bodies.iter().skip(lane).step_by(clients).cloned().collect();
        let (client, endpoint, key) = (http_client.clone(), endpoint.clone(), key.clone());
        lanes.spawn(async move {
            for body in mine {
                let response =
                    client.post(&endpoint).bearer_auth(&key).header("content-type", "application/json").body(body).send().await.map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("HTTP {}: {}", response.status(), response.text().await.unwrap_or_default()));
                }
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = lanes.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed();
    server.abort();
    let baseline = plain_inserts(&db, rows, clients).await?;
    Ok((rows as f64 / elapsed.as_secs_f64(), baseline))
}

/// The same payments as plain batched INSERTs with no checks, `clients` batches at a time, on
/// the same database: what the ledger's checks, idempotency and outbox cost is the difference.
async fn plain_inserts(db: &Db, rows: usize, clients: usize) -> Result<f64, String> {
    let ids = account_ids(db).await.map_err(|e| e.to_string())?;
    let account = |reference: String| ids.get(&reference).cloned().ok_or_else(|| format!("bench account {reference} is missing"));
    let payments = (0..rows)
        .map(|i| {
            Ok(PlainPayment {
                id: new_id(),
                external_ref: format!("p-{i}"),
                amount: 100 + (i % 900) as i64,
                from_account: account(format!("m-{}", i % MEMBERS))?,
                to_account: account(format!("s-{}", i % MERCHANTS))?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let batches: Vec<Vec<PlainPayment>> = payments.into_iter().fold(Vec::new(), |mut batches: Vec<Vec<PlainPayment>>, p| {
        match batches.last_mut() {
            Some(last) if last.len() < BATCH => last.push(p),
            _ => batches.push(vec![p]),
        }
        batches
    });
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    let clients = clients.max(1);
    let mut lane_batches: Vec<Vec<Vec<PlainPayment>>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, batch) in batches.into_iter().enumerate() {
        if let Some(lane) = lane_batches.get_mut(i % clients) {
            lane.push(batch);
        }
    }
    for mine in lane_batches {
        let db = db.clone();
        lanes.spawn(async move {
            for batch in mine {
                insert_plain_payments(&db, "SRB", &batch).await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = lanes.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

pub async fn ingest(rows: usize, postgres: Option<String>) -> Result<(), String> {
    println!("bench ingest: {rows} payments through POST /api/v1/transactions, batches of {BATCH}, 4 clients");
    let mut targets = vec![("sqlite", BenchDb::sqlite().await)];
    if let Some(admin_url) = postgres {
        targets.push(("postgres", BenchDb::postgres(&admin_url).await?));
    }
    for (name, database) in targets {
        let result = ingest_once(&database.url, rows, 4).await;
        database.drop().await;
        let (ingest, baseline) = result?;
        println!("{name:>8}: {ingest:>8.0} transactions/s; plain INSERT baseline {baseline:>8.0}/s; ingest / baseline = {:.2}", ingest / baseline);
    }
    Ok(())
}

/// Delivers `rows` payments to a fresh emulator that allows `rate` requests/s, through a client
/// limited to the same rate, and reports delivered records/s as a share of `rate`.
pub async fn mirror(rows: usize, rate: u32) -> Result<(), String> {
    println!("bench mirror: {rows} payments to the Stripe emulator at {rate} requests/s (SQLite)");
    let database = BenchDb::sqlite().await;
    let result = mirror_once(&database.url, rows, rate).await;
    database.drop().await;
    let per_second = result?;
    println!("delivered: {per_second:.1} records/s = {:.1}% of {rate}/s", per_second * 100.0 / rate as f64);
    Ok(())
}

async fn mirror_once(url: &str, rows: usize, rate: u32) -> Result<f64, String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    prepare_ledger(&db, 1_000 * rows.div_ceil(MEMBERS) as i64 + 1_000).await?;
    let payments: Vec<TransferInput> = (0..rows)
        .map(|i| transfer(&format!("p-{i}"), "payment", 100 + (i % 900) as i64, &format!("m-{}", i % MEMBERS), &format!("s-{}", i % MERCHANTS)))
        .collect();
    post(&db, payments).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let emulator = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(super::stripe::emulator::serve(listener));
    const KEY: &str = "sk_test_regio_bench";
    reqwest::Client::new()
        .post(format!("{emulator}/_emulator/faults"))
        .bearer_auth(KEY)
        .json(&json!({ "rate_limit": rate }))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| e.to_string())?;
    let mut config = ClientConfig::new(SecretKey::new(KEY).map_err(|e| e.to_string())?).with_base_url(emulator.as_str());
    config.rate_limit = NonZeroU32::new(rate).map(RateLimit::per_second);
    let stripe = StripeClient::new(config).map_err(|e| e.to_string())?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let options = WorkerOptions { batch: 500, concurrency: 64, idle_poll: Duration::from_millis(20), ..WorkerOptions::default() };
    let started = Instant::now();
    let worker = tokio::spawn(MirrorWorker::new(db.clone(), stripe, options).run(stopped));
    loop {
        if undelivered(&db).await.map_err(|e| e.to_string())? == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(true);
    let _ = worker.await;
    Ok(rows as f64 / elapsed.as_secs_f64())
}
