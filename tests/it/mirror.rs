//! Exactly-once mirroring into the Stripe emulator, with faults injected on its side.

use crate::ledger::{assert_ledger_consistent, item, ledger_fixture, post, set_peg};
use crate::support::{Backend, TestApp, spawn_app, spawn_emulator};
use crate::{both_databases, postgres_only};
use regio::server::auth::api_keys;
use regio::server::db::audit::Actor;
use regio::server::db::outbox::{self, Outcome};
use regio::server::ledger::accounts;
use regio::server::ledger::currencies;
use regio::server::mirror::{MirrorWorker, WorkerOptions};
use regio::server::stripe::client::IdempotencyKey;
use regio::server::stripe::client::credit_notes::ListCreditNotes;
use regio::server::stripe::client::invoices::{FinalizeInvoice, InvoiceStatus};
use regio::server::stripe::client::payment_records::ListPaymentRecords;
use regio::server::stripe::client::{ClientConfig, ListOptions, RateLimit, RetryPolicy, SecretKey, StripeClient};
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};
use tokio::sync::watch;

both_databases!(
    every_payment_and_refund_lands_exactly_once_despite_faults,
    a_worker_killed_mid_delivery_is_replaced_without_duplicates,
    a_late_worker_cannot_overwrite_a_delivery,
    a_claim_is_renewed_while_its_delivery_runs,
    a_delivery_sends_what_was_computed_at_posting,
    a_retry_after_stripe_forgot_its_key_adopts_the_record_it_made,
);

// PostgreSQL only, where concurrent claims rest on `FOR UPDATE SKIP LOCKED`.
postgres_only!(two_workers_never_deliver_one_item_twice);

async fn two_workers_never_deliver_one_item_twice() {
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
        .fetch_all(&app.sql)
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
    let (app, key) = funded_ledger(backend).await;
    let (status, body) = post(&app, &key, payments(1_000)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&app, &key, refunds(100, 7)).await;
    assert_eq!(status, 200, "{body}");
    // The token bucket only refuses a client faster than 150/s, which a loaded machine may never
    // be; the first few requests are refused outright so every run meets a 429.
    let emulator =
        emulator_with_faults(json!({ "error_rate": 0.08, "lost_rate": 0.08, "rate_limit": 150, "rate_limit_next": 3, "latency_ms": 2, "seed": 42 })).await;
    (app, emulator)
}

/// The app (which delivers nothing itself) with an operator, ten funded members, five shops
/// and an API key.
pub async fn funded_ledger(backend: Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    set_peg(&app, "1").await;
    let mut new = vec![accounts::NewAccount::parse("operator", "Issuer", "op-1").expect("account")];
    new.extend((0..10).map(|i| accounts::NewAccount::parse("member", &format!("Member {i}"), &format!("m-{i}")).expect("account")));
    new.extend((0..5).map(|i| accounts::NewAccount::parse("merchant", &format!("Shop {i}"), &format!("shop-{i}")).expect("account")));
    accounts::open_many(&app.db, &Actor::cli(), new).await.expect("accounts");
    let key = api_keys::create(&app.db, &Actor::cli(), "payment-system").await.expect("key").1;
    let top_ups = (0..10).map(|i| item(&format!("t-{i}"), "top_up", "100000", "op-1", &format!("m-{i}"))).collect();
    assert_eq!(post(&app, &key, top_ups).await.0, 200);
    (app, key)
}

/// Payments `p-0…` of 100 to 136 coins from the members to the shops.
pub fn payments(count: usize) -> Vec<Value> {
    (0..count).map(|i| item(&format!("p-{i}"), "payment", &(100 + i % 37).to_string(), &format!("m-{}", i % 10), &format!("shop-{}", i % 5))).collect()
}

/// Partial refunds `r-0…` of 10 to 59 coins, of every `stride`-th payment.
pub fn refunds(count: usize, stride: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let payment = i * stride;
            json!({ "external_ref": format!("r-{i}"), "kind": "refund", "currency": "SRB", "amount": (10 + i % 50).to_string(), "refund_of": format!("p-{payment}") })
        })
        .collect()
}

/// A Stripe emulator of its own on a loopback port, misbehaving as `faults` says.
pub async fn emulator_with_faults(faults: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let emulator = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(regio::server::stripe::emulator::serve(listener));
    let response = crate::support::emulator_control().post(format!("{emulator}/_emulator/faults")).json(&faults).send().await.expect("faults");
    assert!(response.status().is_success());
    emulator
}

pub fn stripe(emulator: &str, rate: u32) -> StripeClient {
    let mut config = ClientConfig::new(SecretKey::new(crate::support::EMULATOR_KEY).expect("key")).with_base_url(emulator);
    config.rate_limit = NonZeroU32::new(rate).map(RateLimit::per_second);
    config.retry = RetryPolicy { max_retries: 4, initial_backoff: Duration::from_millis(20), max_backoff: Duration::from_millis(200) };
    config.timeout = Duration::from_secs(5);
    StripeClient::new(config).expect("client")
}

pub fn worker(app: &TestApp, emulator: &str, claim: Duration) -> MirrorWorker {
    let options = WorkerOptions { claim, idle_poll: Duration::from_millis(50), ..WorkerOptions::default() };
    MirrorWorker::new(app.db.clone(), stripe(emulator, 200), options)
}

pub async fn delivered_and_open(app: &TestApp) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN state <> 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM outbox",
    )
    .fetch_one(&app.sql)
    .await
    .expect("outbox counts");
    (row.get(0), row.get(1))
}

pub async fn wait_until(app: &TestApp, limit: Duration, done: impl Fn(i64) -> bool) {
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

pub async fn drain(app: &TestApp, limit: Duration) {
    wait_until(app, limit, |delivered| delivered == 1_100).await;
}

/// Stripe holds exactly one Payment Record per ledger payment, with the right amounts, and
/// every refund counted once.
pub async fn assert_exactly_once(app: &TestApp, emulator: &str) {
    let failed: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'").fetch_one(&app.sql).await.expect("count").get(0);
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
    .fetch_all(&app.sql)
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
        .fetch_all(&app.sql)
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

/// A ledger with one payment of 1,000 SRB (1:1 to JPY) waiting in the outbox, and its API key.
pub async fn one_payment(backend: Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let (status, body) = post(&app, &key, vec![item("top-1", "top_up", "50000", "op-1", "m-1"), item("p-1", "payment", "1000", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "{body}");
    (app, key)
}

async fn outbox_row(app: &TestApp, operation: &str) -> (String, String, Option<String>) {
    let row = sqlx::query("SELECT id, state, stripe_id FROM outbox WHERE operation = $1 ORDER BY id DESC LIMIT 1")
        .bind(operation)
        .fetch_one(&app.sql)
        .await
        .expect("outbox row");
    (row.get(0), row.get(1), row.get(2))
}

async fn a_late_worker_cannot_overwrite_a_delivery(backend: Backend) {
    let (app, _) = one_payment(backend).await;
    let late = outbox::claim_due(&app.db, "worker-late", 10, 0).await.expect("claim");
    assert_eq!(late.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let fresh = outbox::claim_due(&app.db, "worker-fresh", 10, 60_000).await.expect("claim");
    assert_eq!(fresh.len(), 1, "the expired claim was taken over");
    let _ = outbox::finish(&app.db, "worker-fresh", &fresh[0], Outcome::Delivered { stripe_id: "pr_fresh" }).await;
    // The first worker comes back from a long delivery and reports what it saw.
    let _ = outbox::finish(&app.db, "worker-late", &late[0], Outcome::Failed { error: "timed out", http_status: None }).await;
    let _ = outbox::finish(&app.db, "worker-late", &late[0], Outcome::Delivered { stripe_id: "pr_late" }).await;
    let (_, state, stripe_id) = outbox_row(&app, "report_payment").await;
    assert_eq!((state.as_str(), stripe_id.as_deref()), ("delivered", Some("pr_fresh")), "the delivery stands as the claim holder recorded it");
    let late_attempts: i64 = sqlx::query("SELECT COUNT(*) FROM outbox_attempts WHERE worker = 'worker-late' AND outcome <> 'lost_claim'")
        .fetch_one(&app.sql)
        .await
        .expect("count")
        .get(0);
    assert_eq!(late_attempts, 0, "no attempt is recorded as if the late worker had decided the row");
}

async fn a_claim_is_renewed_while_its_delivery_runs(backend: Backend) {
    let (app, _) = one_payment(backend).await;
    let (emulator, _) = spawn_emulator().await;
    let http = crate::support::emulator_control();
    http.post(format!("{emulator}/_emulator/faults")).json(&json!({ "hold": true })).send().await.expect("hold");
    let (_stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker(&app, &emulator, Duration::from_millis(300)).run(stopped));
    let started = Instant::now();
    loop {
        let stats: Value = http.get(format!("{emulator}/_emulator/stats")).send().await.expect("stats").json().await.expect("json");
        if stats["in_flight"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the delivery never reached the emulator");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Several claim lengths later the delivery still runs; nobody else may take the row.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let stolen = outbox::claim_due(&app.db, "intruder", 10, 60_000).await.expect("claim");
    assert!(stolen.is_empty(), "a running delivery's claim is renewed, not left to expire");
    http.post(format!("{emulator}/_emulator/faults")).json(&json!({ "hold": false })).send().await.expect("release");
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 1).await;
    running.abort();
}

async fn a_delivery_sends_what_was_computed_at_posting(backend: Backend) {
    let (app, _) = one_payment(backend).await;
    let usd = currencies::CurrencyInput {
        code: "SRB",
        name: "Sarubobo Coin",
        exponent: "0",
        fiat_currency: "usd",
        peg_rate: "1",
        payment_method_type: "cpmt_sarubobo",
        payment_method_name: "Sarubobo Coin",
    };
    let refused = currencies::save(&app.db, &Actor::cli(), currencies::parse(&usd).expect("valid")).await.expect_err("fiat currency is locked");
    assert!(matches!(&refused, regio::domain::AppError::Validation { field, .. } if field == "fiat_currency"), "{refused:?}");
    // A new peg is accepted and applies to new payments only.
    set_peg(&app, "2").await;
    // A currency row changed behind Regio's back (an old database, a hand edit) changes nothing either.
    sqlx::query("UPDATE currencies SET fiat_currency = 'usd', fiat_exponent = 2, exponent = 2").execute(&app.sql).await.expect("edit");
    let (emulator, _) = spawn_emulator().await;
    let (_stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker(&app, &emulator, Duration::from_secs(60)).run(stopped));
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 1).await;
    running.abort();
    let records = stripe(&emulator, 100).payment_records().list(&ListPaymentRecords::default()).collect_all().await.expect("list");
    assert_eq!(records.len(), 1);
    let requested = &records[0].payment.amount_requested;
    assert_eq!((requested.currency.as_str(), requested.value), ("jpy", 1000), "the fiat currency and amount computed at posting");
    assert_eq!(records[0].metadata.get("local_amount").map(String::as_str), Some("1000"), "the local amount in the exponent it was posted with");

    let admin = "admin@example.com";
    app.add_user(admin, "admin").await;
    let (_, page) = app.page(&app.signed_in(admin).await, "/settings").await;
    assert!(page.contains("A new rate applies to new payments only"), "the settings page says what a new peg changes");
}

/// Stripe keeps an idempotency key about a day; a retry after that must find the record its
/// first attempt made instead of making a second. The emulator here forgets every key at once.
async fn a_retry_after_stripe_forgot_its_key_adopts_the_record_it_made(backend: Backend) {
    let (app, key) = one_payment(backend).await;
    let (emulator, test_client) = spawn_emulator().await;
    let http = crate::support::emulator_control();
    let forget = http.post(format!("{emulator}/_emulator/idempotency")).json(&json!({ "retention_secs": 0 })).send().await.expect("forget keys");
    assert!(forget.status().is_success());
    let mut config = ClientConfig::new(SecretKey::new("sk_test_regio_tests").expect("key")).with_base_url(emulator.as_str());
    config.retry = RetryPolicy::never();
    let client = StripeClient::new(config).expect("client");
    let options = WorkerOptions { idle_poll: Duration::from_millis(50), ambiguity_window: Duration::ZERO, ..WorkerOptions::default() };
    let lose_next = |n: i64| http.post(format!("{emulator}/_emulator/faults")).json(&json!({ "lose_next": n })).send();
    let records_for = |reference: String| {
        let client = test_client.clone();
        async move {
            let all = client.payment_records().list(&ListPaymentRecords::default()).collect_all().await.expect("list");
            all.into_iter()
                .filter(|r| {
                    r.payment.processor_details.as_ref().and_then(|p| p.custom.as_ref()).and_then(|c| c.payment_reference.as_deref())
                        == Some(reference.as_str())
                })
                .collect::<Vec<_>>()
        }
    };
    let payment: String = sqlx::query("SELECT id FROM transactions WHERE external_ref = 'p-1'").fetch_one(&app.sql).await.expect("p-1").get(0);

    // The payment: made, its answer lost.
    lose_next(1).await.expect("lose");
    let (_stop, stopped) = watch::channel(false);
    let running = tokio::spawn(MirrorWorker::new(app.db.clone(), client, options).run(stopped));
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 1).await;
    let made = records_for(payment.clone()).await;
    assert_eq!(made.len(), 1, "one record for the payment");
    assert_eq!(outbox_row(&app, "report_payment").await.2.as_deref(), Some(made[0].id.as_str()), "the record found is the one stored");

    // A refund: made, its answer lost.
    lose_next(1).await.expect("lose");
    let mut refund = item("r-1", "refund", "300", "shop-1", "m-1");
    refund["refund_of"] = "p-1".into();
    let (status, body) = post(&app, &key, vec![refund]).await;
    assert_eq!(status, 200, "{body}");
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 2).await;
    assert_eq!(records_for(payment.clone()).await[0].payment.amount_refunded.value, 300, "refunded once");

    // An invoice payment: the record is made, attaching it to the (draft) invoice is refused.
    let invoice = crate::recon::invoice(&test_client, false).await;
    let mut paid = item("ip-1", "invoice_payment", "1000", "m-1", "op-1");
    paid["invoice"] = invoice.clone().into();
    let (status, body) = post(&app, &key, vec![paid]).await;
    assert_eq!(status, 200, "{body}");
    let invoice_payment: String = sqlx::query("SELECT id FROM transactions WHERE external_ref = 'ip-1'").fetch_one(&app.sql).await.expect("ip-1").get(0);
    let started = Instant::now();
    let outbox_id = loop {
        let (id, state, _) = outbox_row(&app, "report_payment").await;
        if state == "failed" {
            break id;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the attach was never refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let finalize = IdempotencyKey::new(format!("finalize-{}", crate::support::uuid_simple())).expect("key");
    test_client.invoices().finalize(&invoice, &FinalizeInvoice::default(), &finalize).await.expect("finalize");
    regio::server::mirror::retry(&app.db, &Actor::cli(), &outbox_id).await.expect("retry");
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 3).await;
    let made = records_for(invoice_payment).await;
    assert_eq!(made.len(), 1, "one record for the invoice payment");
    let paid = test_client.invoices().retrieve(&invoice, &[]).await.expect("invoice");
    assert_eq!(paid.status, Some(InvoiceStatus::Paid), "the record first made was attached");

    // Its refund shows on the invoice too: a credit note linking the refund on the record.
    let mut refund = item("ir-1", "refund", "400", "op-1", "m-1");
    refund["refund_of"] = "ip-1".into();
    let (status, body) = post(&app, &key, vec![refund]).await;
    assert_eq!(status, 200, "{body}");
    wait_until(&app, Duration::from_secs(30), |delivered| delivered == 4).await;
    running.abort();
    let notes =
        test_client.credit_notes().list(&ListCreditNotes { invoice: Some(invoice.clone()), ..ListCreditNotes::default() }).collect_all().await.expect("notes");
    assert_eq!(notes.len(), 1, "one credit note for the refund");
    let link = notes[0].refunds.first().and_then(|r| r.payment_record_refund.clone()).expect("a payment_record_refund");
    assert_eq!((link.payment_record.as_str(), notes[0].amount), (made[0].id.as_str(), 400));
}
