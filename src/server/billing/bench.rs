//! `regio bench billing`: a period's renewals of many subscriptions collected from wallets.
//!
//! Set-up, unmeasured and with no rate limit: a ledger of 1,000 members with coins, each linked
//! to a Stripe customer on one test clock, one monthly plan, `subscriptions` subscriptions
//! spread over the members, and their first invoices collected. Then Regio is started again
//! with a Stripe client limited to `rate` requests/s, the emulator refuses more than that too,
//! and the clock moves one month: the measurement runs from the advance until every renewal is
//! paid, through the path production takes (webhook, wallet debit, Payment Record, attach).

use super::steps::BillingWorker;
use super::{clock, create_customer, events, plans};
use crate::domain::billing::PlanInterval;
use crate::server::bench::{BenchDb, prepare_ledger};
use crate::server::config::Config;
use crate::server::db::Db;
use crate::server::db::audit::Actor;
use crate::server::db::bench::{account_ids, members_with_payment_method, paid_subscription_invoices, priced_plans};
use crate::server::http;
use crate::server::mirror::{MirrorWorker, WorkerOptions};
use crate::server::stripe::client::{ClientConfig, ListOptions, RateLimit, SecretKey, StripeClient};
use crate::server::stripe::setup::register_demo_webhook;
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const KEY: &str = "sk_test_regio_bench";
/// Members the subscriptions are spread over (as `bench ingest` makes them).
const MEMBERS: usize = 1_000;
const PRICE: &str = "100";
const CATCH_UP: Duration = Duration::from_secs(60);
/// Give up on a phase after this long without progress.
const STALL: Duration = Duration::from_secs(120);

pub async fn run(subscriptions: usize, rate: u32) -> Result<(), String> {
    println!(
        "bench billing: {subscriptions} monthly subscriptions of {MEMBERS} members renewing in one period, \
         Stripe limited to {rate} requests/s (SQLite, the emulator over loopback, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let database = BenchDb::sqlite().await;
    let result = run_once(&database.url, subscriptions, rate).await;
    database.drop().await;
    result
}

/// Regio serving `db` with this Stripe client: the HTTP app (for webhooks) and both workers.
struct Running {
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(db: &Db, url: &str, stripe: &StripeClient) -> Result<Running, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let mut config = Config::for_bench(url, listener.local_addr().map_err(|e| e.to_string())?)?;
    config.stripe_webhook_secret = Some(register_demo_webhook(stripe, &config.public_url).await?);
    let server = tokio::spawn(http::serve(listener, http::router(http::app_state(config, db.clone(), Some(stripe.clone())))));
    let (stop, stopped) = watch::channel(false);
    // As `regio serve` runs them: the billing and mirror workers, and the events catch-up at its
    // default interval, which finds what a lost webhook did not bring.
    tokio::spawn(events::schedule(db.clone(), stripe.clone(), CATCH_UP, stopped.clone()));
    tokio::spawn(BillingWorker::new(db.clone(), stripe.clone(), Duration::from_millis(20)).run(stopped.clone()));
    let options = WorkerOptions { batch: 500, concurrency: 64, idle_poll: Duration::from_millis(20), ..WorkerOptions::default() };
    tokio::spawn(MirrorWorker::new(db.clone(), stripe.clone(), options).run(stopped));
    Ok(Running { stop, server })
}

impl Running {
    /// Stops the workers and the app, and removes its webhook endpoint.
    async fn end(self, stripe: &StripeClient) -> Result<(), String> {
        let _ = self.stop.send(true);
        self.server.abort();
        let endpoints = stripe.webhook_endpoints().list(&ListOptions::limit(100)).collect_all().await.map_err(|e| e.to_string())?;
        for endpoint in endpoints {
            stripe.webhook_endpoints().delete(&endpoint.id).await.map_err(|e| e.to_string())?;
        }
        // Let requests in flight finish before the next phase counts.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    }
}

fn client(emulator: &str, rate: Option<u32>) -> Result<StripeClient, String> {
    let mut config = ClientConfig::new(SecretKey::new(KEY).map_err(|e| e.to_string())?).with_base_url(emulator);
    config.rate_limit = Some(match rate.and_then(NonZeroU32::new) {
        Some(rate) => RateLimit::per_second(rate),
        None => RateLimit::per_second(NonZeroU32::MAX),
    });
    StripeClient::new(config).map_err(|e| e.to_string())
}

/// Polls `count` until it reaches `target`, failing when it stops moving for [`STALL`].
async fn wait_for(what: &str, target: i64, count: impl Fn() -> futures_util::future::BoxFuture<'static, Result<i64, String>>) -> Result<(), String> {
    let (mut last, mut moved) = (-1, Instant::now());
    loop {
        let now = count().await?;
        if now >= target {
            return Ok(());
        }
        if now != last {
            (last, moved) = (now, Instant::now());
        } else if moved.elapsed() > STALL {
            return Err(format!("{what}: stuck at {now} of {target}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn emulator_call(emulator: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let http = reqwest::Client::new();
    let request = match body {
        Some(body) => http.post(format!("{emulator}{path}")).json(&body),
        None => http.get(format!("{emulator}{path}")),
    };
    request.bearer_auth(KEY).send().await.and_then(|r| r.error_for_status()).map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
}

async fn run_once(url: &str, subscriptions: usize, rate: u32) -> Result<(), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let periods_funded = 3;
    let per_member = i64::try_from(subscriptions.div_ceil(MEMBERS) * periods_funded * 100).map_err(|e| e.to_string())?;
    prepare_ledger(&db, per_member).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let emulator = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(crate::server::stripe::emulator::serve(listener));

    let started = Instant::now();
    let free = client(&emulator, None)?;
    let setup = start(&db, url, &free).await?;
    clock::start(&db, &free).await?;
    let actor = Actor::system();
    let ids = account_ids(&db).await.map_err(|e| e.to_string())?;
    let members: Vec<String> = (0..MEMBERS).filter_map(|i| ids.get(&format!("m-{i}")).cloned()).collect();
    for member in &members {
        create_customer(&db, Some(&free), &actor, member, None).await.map_err(|e| e.to_string())?;
    }
    let counted = |f: fn(&Db) -> futures_util::future::BoxFuture<'_, Result<i64, sqlx::Error>>| {
        let db = db.clone();
        move || {
            let db = db.clone();
            Box::pin(async move { f(&db).await.map_err(|e| e.to_string()) }) as futures_util::future::BoxFuture<'static, Result<i64, String>>
        }
    };
    wait_for("members linked", members.len() as i64, counted(|db| Box::pin(members_with_payment_method(db)))).await?;
    let plan = plans::create_plan(&db, &actor, "Bench membership", "SRB", PRICE, PlanInterval::Month).await.map_err(|e| e.to_string())?;
    wait_for("the plan's price", 1, counted(|db| Box::pin(priced_plans(db)))).await?;
    for i in 0..subscriptions {
        let member = members.get(i % members.len()).ok_or("no members")?;
        plans::subscribe(&db, &actor, member, &plan, "1", "").await.map_err(|e| e.to_string())?;
    }
    let total = i64::try_from(subscriptions).map_err(|e| e.to_string())?;
    wait_for("first invoices collected", total, counted(|db| Box::pin(paid_subscription_invoices(db)))).await?;
    setup.end(&free).await?;
    println!("set-up: {subscriptions} subscriptions made and their first invoices collected in {:.1} s (no rate limit)", started.elapsed().as_secs_f64());

    // The measured period: Stripe and Regio's client both at `rate`.
    emulator_call(&emulator, "/_emulator/faults", Some(json!({ "rate_limit": rate }))).await?;
    let limited = client(&emulator, Some(rate))?;
    let running = start(&db, url, &limited).await?;
    let before = emulator_call(&emulator, "/_emulator/stats", None).await?;
    let clock = clock::test_clock(&db).await.map_err(|e| e.to_string())?.ok_or("no test clock")?;
    let frozen = limited.test_clocks().retrieve(&clock).await.map_err(|e| e.to_string())?.frozen_time;
    let advanced = Instant::now();
    let key = crate::server::stripe::client::IdempotencyKey::new(format!("bench/advance/{clock}")).map_err(|e| e.to_string())?;
    limited.test_clocks().advance(&clock, frozen + 32 * 86_400, &key).await.map_err(|e| e.to_string())?;
    let billed = advanced.elapsed();
    wait_for("renewals collected", 2 * total, counted(|db| Box::pin(paid_subscription_invoices(db)))).await?;
    let elapsed = advanced.elapsed().as_secs_f64();
    let stats = emulator_call(&emulator, "/_emulator/stats", None).await?;
    running.end(&limited).await?;
    let counted = |name: &str| stats.get(name).and_then(Value::as_u64).unwrap_or(0).saturating_sub(before.get(name).and_then(Value::as_u64).unwrap_or(0));
    let requests = counted("requests") as f64;
    let refused = counted("rate_limited");
    println!("Stripe billed the {subscriptions} renewals in {:.1} s (the clock advance)", billed.as_secs_f64());
    println!(
        "collected: {subscriptions} renewals in {elapsed:.1} s = {:.1} renewals/s; {requests:.0} Stripe requests ({:.1} per renewal) = {:.1} requests/s, \
         {:.0}% of the {rate}/s limit; {refused} refused with 429",
        subscriptions as f64 / elapsed,
        requests / subscriptions as f64,
        requests / elapsed,
        requests / elapsed * 100.0 / f64::from(rate),
    );
    Ok(())
}
