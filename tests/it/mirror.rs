//! Exactly-once mirroring into the Stripe emulator, with faults injected on its side.

use crate::both_databases;
use crate::ledger::{assert_ledger_consistent, item, post, set_peg};
use crate::support::{Backend, TestApp, spawn_app};
use regio::server::auth::api_keys;
use regio::server::db::audit::Actor;
use regio::server::ledger::accounts;
use regio::server::mirror::{MirrorWorker, WorkerOptions};
use regio::server::stripe::client::payment_records::ListPaymentRecords;
use regio::server::stripe::client::{ClientConfig, ListOptions, RateLimit, RetryPolicy, SecretKey, StripeClient};
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};
use tokio::sync::watch;

both_databases!(every_payment_and_refund_lands_exactly_once_despite_faults, a_worker_killed_mid_delivery_is_replaced_without_duplicates);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_never_deliver_one_item_twice() {
    if crate::support::postgres_skipped() {
        return;
    }
    let (app, emulator) = scenario(Backend::Postgres).await;
    let (stop, stopped) = watch::channel(false);
    let workers =
        [worker(&app, &emulator, Duration::from_secs(60)), worker(&app, &emulator, Duration::from_secs(60))].map(|w| tokio::spawn(w.run(stopped.clone())));
    drain(&app, Duration::from_secs(180)).await;
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    let per_worker: Vec<i64> = sqlx::query("SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'delivered' GROUP BY worker")
        .fetch_all(&app.db.pool)
        .await
        .expect("attempts")
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
    assert_eq!(per_worker.len(), 2, "both workers delivered: {per_worker:?}");
    assert_eq!(per_worker.iter().sum::<i64>(), 1_100, "each item was delivered by exactly one worker");
    assert_exactly_once(&app, &emulator).await;
}

async fn every_payment_and_refund_lands_exactly_once_despite_faults(backend: Backend) {
    let (app, emulator) = scenario(backend).await;
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker(&app, &emulator, Duration::from_secs(60)).run(stopped));
    drain(&app, Duration::from_secs(180)).await;
    let _ = stop.send(true);
    let _ = running.await;
    assert_exactly_once(&app, &emulator).await;
}

async fn a_worker_killed_mid_delivery_is_replaced_without_duplicates(backend: Backend) {
    let (app, emulator) = scenario(backend).await;
    let (_stop, stopped) = watch::channel(false);
    let doomed = tokio::spawn(worker(&app, &emulator, Duration::from_secs(1)).run(stopped.clone()));
    wait_until(&app, Duration::from_secs(60), |delivered| delivered >= 300).await;
    // Abrupt: in-flight requests are dropped wherever they are, claims are left behind.
    doomed.abort();
    let _ = doomed.await;
    let replacement = tokio::spawn(worker(&app, &emulator, Duration::from_secs(1)).run(stopped));
    drain(&app, Duration::from_secs(180)).await;
    replacement.abort();
    assert_exactly_once(&app, &emulator).await;
}

/// A ledger with 1,000 payments and 100 refunds waiting in the outbox, and an emulator that
/// fails a fifth of the requests: 500s, responses lost after the change was applied, 429s
/// beyond its rate limit, and some latency.
async fn scenario(backend: Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    set_peg(&app, "1").await;
    let mut new = vec![accounts::NewAccount::parse("operator", "Issuer", "op-1").expect("account")];
    new.extend((0..10).map(|i| accounts::NewAccount::parse("member", &format!("Member {i}"), &format!("m-{i}")).expect("account")));
    new.extend((0..5).map(|i| accounts::NewAccount::parse("merchant", &format!("Shop {i}"), &format!("shop-{i}")).expect("account")));
    accounts::open_many(&app.db, &Actor::cli(), new).await.expect("accounts");
    let key = api_keys::create(&app.db, &Actor::cli(), "payment-system").await.expect("key").1;

    let top_ups = (0..10).map(|i| item(&format!("t-{i}"), "top_up", "100000", "op-1", &format!("m-{i}"))).collect();
    assert_eq!(post(&app, &key, top_ups).await.0, 200);
    let payments =
        (0..1000).map(|i| item(&format!("p-{i}"), "payment", &(100 + i % 37).to_string(), &format!("m-{}", i % 10), &format!("shop-{}", i % 5))).collect();
    assert_eq!(post(&app, &key, payments).await.0, 200);
    let refunds = (0..100)
        .map(|i| {
            let payment = i * 7;
            json!({ "external_ref": format!("r-{i}"), "kind": "refund", "currency": "SRB", "amount": (10 + i % 50).to_string(), "refund_of": format!("p-{payment}") })
        })
        .collect();
    let (status, body) = post(&app, &key, refunds).await;
    assert_eq!(status, 200, "{body}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let emulator = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(regio::server::stripe::emulator::serve(listener));
    let faults = json!({ "error_rate": 0.08, "lost_rate": 0.08, "rate_limit": 150, "latency_ms": 2, "seed": 42 });
    let response = crate::support::emulator_control().post(format!("{emulator}/_emulator/faults")).json(&faults).send().await.expect("faults");
    assert!(response.status().is_success());
    (app, emulator)
}

fn stripe(emulator: &str, rate: u32) -> StripeClient {
    let mut config = ClientConfig::new(SecretKey::new(crate::support::EMULATOR_KEY).expect("key")).with_base_url(emulator);
    config.rate_limit = NonZeroU32::new(rate).map(RateLimit::per_second);
    config.retry = RetryPolicy { max_retries: 4, initial_backoff: Duration::from_millis(20), max_backoff: Duration::from_millis(200) };
    config.timeout = Duration::from_secs(5);
    StripeClient::new(config).expect("client")
}

fn worker(app: &TestApp, emulator: &str, claim: Duration) -> MirrorWorker {
    let options = WorkerOptions { claim, idle_poll: Duration::from_millis(50), ..WorkerOptions::default() };
    MirrorWorker::new(app.db.clone(), stripe(emulator, 200), options)
}

async fn delivered_and_open(app: &TestApp) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN state <> 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM outbox",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("outbox counts");
    (row.get(0), row.get(1))
}

async fn wait_until(app: &TestApp, limit: Duration, done: impl Fn(i64) -> bool) {
    let started = Instant::now();
    loop {
        let (delivered, open) = delivered_and_open(app).await;
        if done(delivered) {
            return;
        }
        assert!(started.elapsed() < limit, "gave up waiting: {delivered} delivered, {open} not yet");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drain(app: &TestApp, limit: Duration) {
    wait_until(app, limit, |delivered| delivered == 1_100).await;
}

/// Stripe holds exactly one Payment Record per ledger payment, with the right amounts, and
/// every refund counted once.
async fn assert_exactly_once(app: &TestApp, emulator: &str) {
    let failed: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'").fetch_one(&app.db.pool).await.expect("count").get(0);
    assert_eq!(failed, 0);
    let http = crate::support::emulator_control();
    let stats: Value = http.get(format!("{emulator}/_emulator/stats")).send().await.expect("stats").json().await.expect("json");
    for fault in ["injected_errors", "lost_responses", "rate_limited"] {
        assert!(stats[fault].as_i64().unwrap_or(0) > 0, "the emulator never injected {fault}: {stats}");
    }
    let _ = http.post(format!("{emulator}/_emulator/faults")).json(&json!({ "error_rate": 0, "lost_rate": 0, "rate_limit": 0, "latency_ms": 0 })).send().await;

    let expected: HashMap<String, (i64, i64)> = sqlx::query(
        "SELECT p.id, p.fiat_amount, CAST(COALESCE((SELECT SUM(r.fiat_amount) FROM transactions r WHERE r.corrects_id = p.id), 0) AS BIGINT) \
         FROM transactions p WHERE p.kind = 'payment'",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("payments")
    .iter()
    .map(|r| (r.get::<String, _>(0), (r.get::<i64, _>(1), r.get::<i64, _>(2))))
    .collect();
    assert_eq!(expected.len(), 1_000);

    let records = stripe(emulator, 1000)
        .payment_records()
        .list(&ListPaymentRecords { page: ListOptions::limit(100), ..ListPaymentRecords::default() })
        .collect_all()
        .await
        .expect("list payment records");
    assert_eq!(records.len(), 1_000, "exactly one Payment Record per payment");
    let mut seen = HashMap::new();
    for record in &records {
        let reference =
            record.payment.processor_details.as_ref().and_then(|p| p.custom.as_ref()).and_then(|c| c.payment_reference.clone()).expect("payment reference");
        assert!(seen.insert(reference.clone(), record.id.clone()).is_none(), "two records for {reference}");
        let (fiat, refunded) = expected.get(&reference).copied().expect("a ledger payment");
        assert_eq!(record.payment.amount_requested.value, fiat, "{reference}");
        assert_eq!(record.payment.amount_guaranteed.value, fiat, "{reference}");
        assert_eq!(record.payment.amount_refunded.value, refunded, "refunds of {reference}");
        assert_eq!(record.metadata.get("regio_transaction_id"), Some(&reference));
    }
    let stored: Vec<(String, String)> = sqlx::query("SELECT transaction_id, stripe_id FROM outbox WHERE operation = 'report_payment'")
        .fetch_all(&app.db.pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (transaction, record) in stored {
        assert_eq!(seen.get(&transaction), Some(&record), "the stored pr_ id is the record Stripe holds");
    }
    assert_ledger_consistent(app).await;
}
