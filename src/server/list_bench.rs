//! `regio bench list --rows N`: a ledger of N payments with their mirror, records and the
//! reconciliation cases 1% breaks open; then every list filter asked by 16 clients at once over
//! HTTP, signed in as a person is, each figure printed beside the plan its query gets.

use super::auth::users::{self, NewUser};
use super::bench::{BenchDb, machine_facts};
use super::config::Config;
use super::db::audit::Actor;
use super::db::bench::{add_outbox_rows, analyze, build_recon_tables, plan};
use super::db::ledger::{TransactionFilter, amount_walk, list_query};
use super::db::recon_cases::{CaseQuery, page_query};
use super::db::{Db, SqlFilter, now_ms};
use super::http;
use super::recon::reconcile::{find_breaks, update_cases};
use crate::domain::ledger::{MirrorState, TransactionKind};
use crate::domain::recon::{BreakClass, CaseState};
use crate::server::db::recon_compare::Scope;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const REQUESTS_PER_CLIENT: usize = 50;
const EMAIL: &str = "bench@regio.local";
const PASSWORD: &str = "bench-password-long-enough";

/// What one scenario asks: a server function with its form, or a page.
enum Ask {
    Rpc(&'static str, Vec<(&'static str, &'static str)>),
    Page(&'static str),
}

/// The query the database runs for a scenario, to print its plan.
enum Query {
    Transactions(TransactionFilter),
    Other(SqlFilter),
}

impl Query {
    async fn sql(&self, db: &Db) -> Result<SqlFilter, sqlx::Error> {
        match self {
            Query::Transactions(filter) => Ok(list_query(filter, amount_walk(db, filter).await?)),
            Query::Other(query) => Ok(query.clone()),
        }
    }
}

struct Scenario {
    name: &'static str,
    ask: Arc<Ask>,
    query: Option<Query>,
}

/// Account ids as `build_recon_tables` makes them: `ref-N` is `a<1000000000 + N>`.
fn account_id(n: u32) -> String {
    format!("a{}", 1_000_000_000 + n)
}

fn transactions(name: &'static str, form: Vec<(&'static str, &'static str)>, filter: TransactionFilter) -> Scenario {
    Scenario { name, ask: Arc::new(Ask::Rpc("list_transactions", form)), query: Some(Query::Transactions(TransactionFilter { limit: 50, ..filter })) }
}

fn cases(name: &'static str, form: Vec<(&'static str, &'static str)>, query: CaseQuery) -> Scenario {
    Scenario { name, ask: Arc::new(Ask::Rpc("list_cases", form)), query: Some(Query::Other(page_query(&CaseQuery { now: now_ms(), ..query }, None, 51))) }
}

fn scenarios() -> Vec<Scenario> {
    // The bench's payments occurred 1..N seconds after 1970-01-01.
    let day_two = TransactionFilter { from_ms: Some(86_400_000), to_ms: Some(2 * 86_400_000), ..TransactionFilter::default() };
    vec![
        transactions("transactions: newest page", vec![], TransactionFilter::default()),
        transactions(
            "transactions: a member's (1 in 1,000)",
            vec![("account", "ref-150")],
            TransactionFilter { account_id: Some(account_id(150)), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: a shop's (1 in 100)",
            vec![("account", "ref-5")],
            TransactionFilter { account_id: Some(account_id(5)), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: kind payment",
            vec![("kind", "payment")],
            TransactionFilter { kind: Some(TransactionKind::Payment), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: kind refund (none)",
            vec![("kind", "refund")],
            TransactionFilter { kind: Some(TransactionKind::Refund), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: amount 500-509",
            vec![("min_amount", "500"), ("max_amount", "509")],
            TransactionFilter { currency: Some("SRB".into()), min_amount: Some(500), max_amount: Some(509), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: amount 200 and up (most)",
            vec![("min_amount", "200")],
            TransactionFilter { currency: Some("SRB".into()), min_amount: Some(200), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: amount exactly 777",
            vec![("min_amount", "777"), ("max_amount", "777")],
            TransactionFilter { currency: Some("SRB".into()), min_amount: Some(777), max_amount: Some(777), ..TransactionFilter::default() },
        ),
        transactions("transactions: one day", vec![("from", "1970-01-02"), ("to", "1970-01-02")], day_two),
        transactions(
            "transactions: mirror pending",
            vec![("mirror_state", "pending")],
            TransactionFilter { mirror_state: Some(MirrorState::Pending), ..TransactionFilter::default() },
        ),
        transactions(
            "transactions: mirror failed",
            vec![("mirror_state", "failed")],
            TransactionFilter { mirror_state: Some(MirrorState::Failed), ..TransactionFilter::default() },
        ),
        cases("cases: the queue", vec![], CaseQuery::default()),
        cases("cases: one class", vec![("filter[class]", "amount_mismatch")], CaseQuery { class: Some(BreakClass::AmountMismatch), ..CaseQuery::default() }),
        cases("cases: ignored", vec![("filter[state]", "ignored")], CaseQuery { state: Some(CaseState::Ignored), ..CaseQuery::default() }),
        cases("cases: an account's", vec![("filter[account]", "ref-150")], CaseQuery { account_id: Some(account_id(150)), ..CaseQuery::default() }),
        Scenario { name: "accounts: search", ask: Arc::new(Ask::Rpc("list_accounts", vec![("search", "Account 15")])), query: None },
        Scenario { name: "page: /transactions (SSR)", ask: Arc::new(Ask::Page("/transactions")), query: None },
    ]
}

/// The ledger, its mirror and its cases.
async fn build(db: &Db, rows: usize) -> Result<(), String> {
    build_recon_tables(db, rows).await.map_err(|e| format!("building the ledger: {e}"))?;
    add_outbox_rows(db, rows).await.map_err(|e| format!("building the mirror: {e}"))?;
    let mut tx = db.begin_snapshot().await.map_err(|e| e.to_string())?;
    let found = find_breaks(&mut tx, 0, Scope::Everything).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    update_cases(db, &found).await.map_err(|e| e.to_string())?;
    analyze(db).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// A client signed in as the bench's admin.
async fn sign_in(base: &str) -> Result<reqwest::Client, String> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().map_err(|_| "origin header".to_string())?);
    let client = reqwest::Client::builder().cookie_store(true).default_headers(headers).build().map_err(|e| e.to_string())?;
    let response = client.post(format!("{base}/rpc/login")).form(&[("email", EMAIL), ("password", PASSWORD)]).send().await.map_err(|e| e.to_string())?;
    match response.status().is_success() {
        true => Ok(client),
        false => Err(format!("signing in: HTTP {}", response.status())),
    }
}

async fn ask_once(client: &reqwest::Client, base: &str, ask: &Ask) -> Result<Duration, String> {
    let started = Instant::now();
    let request = match ask {
        Ask::Rpc(endpoint, form) => client.post(format!("{base}/rpc/{endpoint}")).form(form),
        Ask::Page(path) => client.get(format!("{base}{path}")),
    };
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(started.elapsed())
}

/// Latencies of `CLIENTS` clients asking `REQUESTS_PER_CLIENT` times each, and the wall time.
async fn measure(clients: &[reqwest::Client], base: &str, ask: Arc<Ask>) -> Result<(Vec<Duration>, Duration), String> {
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for client in clients {
        let (client, base, ask) = (client.clone(), base.to_string(), ask.clone());
        lanes.spawn(async move {
            let mut times = Vec::with_capacity(REQUESTS_PER_CLIENT);
            for _ in 0..REQUESTS_PER_CLIENT {
                times.push(ask_once(&client, &base, &ask).await?);
            }
            Ok::<_, String>(times)
        });
    }
    let mut all = Vec::new();
    while let Some(lane) = lanes.join_next().await {
        all.extend(lane.map_err(|e| e.to_string())??);
    }
    all.sort();
    Ok((all, started.elapsed()))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn bench_once(url: &str, rows: usize) -> Result<(), String> {
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    build(&db, rows).await?;
    println!("  built {rows} payments, their mirror and cases in {:.1} s", started.elapsed().as_secs_f64());
    let user = NewUser::parse(EMAIL, "Bench", "admin", PASSWORD).map_err(|e| e.to_string())?;
    users::create(&db, &Actor::system(), user).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(http::serve(listener, http::router(http::app_state(Config::for_bench(url, addr)?, db.clone(), None))));
    let base = format!("http://{addr}");
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(sign_in(&base).await?);
    }
    println!("  {CLIENTS} clients, {REQUESTS_PER_CLIENT} requests each:        p50      p99    requests/s");
    for scenario in scenarios() {
        ask_once(&clients[0], &base, &scenario.ask).await.map_err(|e| format!("{}: {e}", scenario.name))?;
        let (times, wall) = measure(&clients, &base, scenario.ask.clone()).await.map_err(|e| format!("{}: {e}", scenario.name))?;
        println!(
            "  {:<42} {:>6.1} ms {:>6.1} ms {:>8.0}",
            scenario.name,
            percentile(&times, 0.50),
            percentile(&times, 0.99),
            times.len() as f64 / wall.as_secs_f64()
        );
        if let Some(query) = &scenario.query {
            for line in plan(&db, &query.sql(&db).await.map_err(|e| e.to_string())?).await.map_err(|e| e.to_string())? {
                println!("      {line}");
            }
        }
    }
    server.abort();
    Ok(())
}

pub async fn run(rows: usize, postgres: Option<String>) -> Result<(), String> {
    println!("bench list: {rows} payments; {}", machine_facts());
    let mut targets = vec![("sqlite", BenchDb::sqlite().await)];
    if let Some(admin_url) = postgres {
        targets.push(("postgres", BenchDb::postgres(&admin_url).await?));
    }
    for (name, database) in targets {
        let version = Db::connect(&database.url).await.map_err(|e| e.to_string())?.server_version().await.map_err(|e| e.to_string())?;
        println!("{name} ({version}):");
        let result = bench_once(&database.url, rows).await;
        database.drop().await;
        result?;
    }
    Ok(())
}
