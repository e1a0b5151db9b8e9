//! The real `regio` binary, killed with SIGKILL mid-delivery and started again, still puts
//! exactly one Payment Record per payment into Stripe, with the right amounts and refunds.

use crate::both_databases;
use crate::mirror::{assert_exactly_once, emulator_with_faults, funded_ledger, payments, refunds, wait_until};
use crate::support::{Backend, EMULATOR_KEY, TestApp};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

both_databases!(a_killed_process_restarted_puts_each_payment_in_stripe_once);

const PAYMENTS: usize = 1_000;
const REFUNDS: usize = 150;

/// One instance on SQLite (one writer); two delivering at once on PostgreSQL, as behind a load
/// balancer.
async fn a_killed_process_restarted_puts_each_payment_in_stripe_once(backend: Backend) {
    let instances = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    };
    let (app, key) = funded_ledger(backend).await;
    // A fifth of the requests fail and a tenth of the changes are made but their answer lost.
    let emulator = emulator_with_faults(json!({ "error_rate": 0.2, "lost_rate": 0.1, "rate_limit_next": 3, "latency_ms": 2, "seed": 7 })).await;

    let mut running: Vec<Instance> = Vec::new();
    for _ in 0..instances {
        running.push(Instance::start(&app, &emulator).await);
    }
    for batch in payments(PAYMENTS).chunks(250) {
        post_to(&running[0].base, &key, batch.to_vec()).await;
    }
    post_to(&running[running.len() - 1].base, &key, refunds(REFUNDS, 6)).await;

    wait_until(&app, Duration::from_secs(240), |delivered| delivered >= 300).await;
    for instance in &mut running {
        instance.kill().await;
    }
    let (delivered, open) = crate::mirror::delivered_and_open(&app).await;
    assert!(open > 0, "killed mid-delivery: {delivered} delivered, {open} not yet");
    // The dead instances' claims would lapse after their minute; ageing them stands for it.
    sqlx::query("UPDATE outbox SET claimed_until = 0 WHERE claimed_by IS NOT NULL").execute(&app.sql).await.expect("age claims");

    let mut restarted: Vec<Instance> = Vec::new();
    for _ in 0..instances {
        restarted.push(Instance::start(&app, &emulator).await);
    }
    let started = Instant::now();
    wait_until(&app, Duration::from_secs(300), |delivered| delivered == (PAYMENTS + REFUNDS) as i64).await;
    eprintln!("{backend:?}: {delivered} delivered before the kill, the rest {} s after the restart", started.elapsed().as_secs());
    for instance in &mut restarted {
        instance.kill().await;
    }
    assert_exactly_once(&app, &emulator).await;
}

/// A `regio serve` process on a free loopback port, mirroring into `emulator`.
struct Instance {
    base: String,
    child: Child,
}

impl Instance {
    async fn start(app: &TestApp, emulator: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_regio"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", &app.state.config.database_url)
            .env("REGIO_ADDR", format!("127.0.0.1:{port}"))
            .env("STRIPE_SECRET_KEY", EMULATOR_KEY)
            .env("STRIPE_API_BASE", emulator)
            .env("REGIO_RECON_INTERVAL", "0")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start regio");
        let ready = Instant::now();
        let http = reqwest::Client::new();
        while !http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(ready.elapsed() < Duration::from_secs(60), "regio did not answer on {base}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Instance { base, child }
    }

    /// SIGKILL: no shutdown, requests in flight cut wherever they are, claims left behind.
    async fn kill(&mut self) {
        self.child.kill().await.expect("kill regio");
    }
}

async fn post_to(base: &str, key: &str, items: Vec<Value>) {
    let response =
        reqwest::Client::new().post(format!("{base}/api/v1/transactions")).bearer_auth(key).json(&json!({ "transactions": items })).send().await.expect("post");
    let status = response.status();
    assert!(status.is_success(), "{status}: {}", response.text().await.unwrap_or_default());
}
