//! The `regio` command: `serve` (the default), `migrate`, users and API keys, the Stripe
//! emulator on its own, benchmarks, backups and a sample configuration.

use super::auth::api_keys;
use super::auth::users::{self, NewUser};
use super::billing::steps::BillingWorker;
use super::config::Config;
use super::db::Db;
use super::db::audit::Actor;
use super::mirror::{MirrorWorker, WorkerOptions};
use super::{demo, http};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "regio", version, about = "Admin console for local currencies, mirrored into Stripe")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Run the Stripe emulator alone.
    StripeEmulator {
        #[arg(long, default_value = "127.0.0.1:12111")]
        addr: std::net::SocketAddr,
        /// Keep the emulator's state in this JSON file (loaded at start, saved after changes).
        #[arg(long, value_name = "PATH")]
        snapshot: Option<std::path::PathBuf>,
    },
    /// Measure throughput (prints figures; see the README).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Manage API keys for the payment system.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Copy the SQLite database to PATH while Regio runs (a new file; PostgreSQL: use pg_dump).
    Backup { path: std::path::PathBuf },
    /// Print a commented sample `.env` for running Regio for real.
    SampleEnv,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Transactions/s through the ingestion API into SQLite (and PostgreSQL with --postgres).
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Admin URL of a PostgreSQL server to bench on too (a database is created and dropped).
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Payment Records/s delivered to the emulator limited to `rate` requests/s.
    Mirror {
        #[arg(long, default_value_t = 2_000)]
        rows: usize,
        #[arg(long, default_value_t = 100)]
        rate: u32,
    },
    /// A period's renewals of `subscriptions` subscriptions collected from wallets, with Stripe
    /// limited to `rate` requests/s.
    Billing {
        #[arg(long, default_value_t = 10_000)]
        subscriptions: usize,
        #[arg(long, default_value_t = 100)]
        rate: u32,
    },
    /// Every list filter and the transactions page over a ledger of `rows` payments, asked by
    /// 16 clients at once.
    List {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Reconciliation of `rows` payments with 1% breaks, beside a plain FULL OUTER JOIN; then,
    /// with --incremental N, N more payments reconciled by comparing only what changed.
    Recon {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long)]
        incremental: Option<usize>,
        #[arg(long)]
        postgres: Option<String>,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it (the only time it is shown).
    Create {
        #[arg(long)]
        name: String,
    },
    /// Revoke a key by name or id.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "support", "viewer"])]
        role: String,
    },
    /// Change a user's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "support", "viewer"])]
        role: String,
    },
    /// Disable a user's sign-in.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        email: String,
    },
}

pub async fn run() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // A bench's large statements are slow by design: sqlx's slow-statement warnings would bury
    // its figures.
    let default_filter = if matches!(cli.command, Some(Command::Bench(_))) { "info,sqlx=error" } else { "info,sqlx=warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()))
        .with_writer(std::io::stderr)
        .init();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("regio: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::StripeEmulator { addr, snapshot } => {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("{addr}: {e}"))?;
            println!("Stripe emulator listening on http://{addr}");
            let served = match snapshot {
                Some(path) => super::stripe::emulator::serve_with_snapshot(listener, path).await,
                None => super::stripe::emulator::serve(listener).await,
            };
            served.map_err(|e| e.to_string())
        }
        Command::Bench(BenchCommand::Ingest { rows, postgres }) => super::bench::ingest(rows, postgres).await,
        Command::Bench(BenchCommand::Mirror { rows, rate }) => super::bench::mirror(rows, rate).await,
        Command::Bench(BenchCommand::List { rows, postgres }) => super::list_bench::run(rows, postgres).await,
        Command::Bench(BenchCommand::Recon { rows, incremental, postgres }) => super::recon::bench::run(rows, incremental, postgres).await,
        Command::Bench(BenchCommand::Billing { subscriptions, rate }) => super::billing::bench::run(subscriptions, rate).await,
        Command::Serve => {
            let (config, db) = open().await?;
            serve(config, db).await
        }
        Command::Migrate => {
            open().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User(cmd) => user(&open().await?.1, cmd).await,
        Command::ApiKey(cmd) => api_key(&open().await?.1, cmd).await,
        Command::Backup { path } => backup(&open().await?.1, &path).await,
        Command::SampleEnv => {
            print!("{SAMPLE_ENV}");
            Ok(())
        }
    }
}

async fn backup(db: &Db, path: &std::path::Path) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} exists: a backup goes to a new file", path.display()));
    }
    let target = path.to_str().ok_or_else(|| format!("{} is not valid UTF-8", path.display()))?;
    db.backup_into(target).await.map_err(|e| format!("backup: {e}"))?;
    println!("backed up to {}", path.display());
    Ok(())
}

/// What `make release` puts beside the binary as `.env.sample`.
const SAMPLE_ENV: &str = "\
# Regio's configuration: copy to .env beside the binary (or set these in the environment).
# See the README's Configuration table for every variable.

# PostgreSQL for several instances; SQLite (a file) is fine for one.
DATABASE_URL=sqlite://data/regio.db?mode=rwc
# DATABASE_URL=postgres://regio:PASSWORD@127.0.0.1:5432/regio

# Listen on loopback behind a reverse proxy that terminates HTTPS.
REGIO_ADDR=127.0.0.1:3000
# The origin browsers use (CSRF checks compare Origin with it; https makes cookies Secure).
# REGIO_PUBLIC_URL=https://regio.example.jp

# The compiled site (pkg/, stylesheet, public files), relative to the working directory.
LEPTOS_SITE_ROOT=site

# Stripe: a restricted or secret key of the account to mirror into.
# STRIPE_SECRET_KEY=sk_live_...
# The signing secret of the webhook endpoint for https://<public URL>/stripe/webhook.
# STRIPE_WEBHOOK_SECRET=whsec_...

# /metrics for a Prometheus that scrapes from another host.
# REGIO_METRICS_TOKEN=

RUST_LOG=info,sqlx=warn
";

/// Reads the configuration and opens (and migrates) the database.
async fn open() -> Result<(Config, Db), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url).await.map_err(|e| format!("database: {e}"))?;
    Ok((config, db))
}

async fn serve(config: Config, db: Db) -> Result<(), String> {
    demo::refuse_live_key(&config)?;
    let stripe = super::stripe::setup::connect(&config).await?;
    let demo_login = if config.demo { Some(demo::prepare(&db).await.map_err(|e| e.to_string())?) } else { None };
    let interrupted = super::ledger::import::fail_interrupted(&db).await.map_err(|e| format!("database: {e}"))?;
    if interrupted > 0 {
        tracing::warn!(imports = interrupted, "CSV imports interrupted by the last stop were marked failed; they can be committed again");
    }
    if !config.demo && demo::disable_demo_admin(&db).await.map_err(|e| e.to_string())? {
        tracing::warn!(email = demo::DEMO_ADMIN_EMAIL, "not in demo mode: disabled the demo admin, whose password is published");
        println!(
            "Not in demo mode: the demo admin {} is now disabled (its password is published). Add an admin with `regio user add`.",
            demo::DEMO_ADMIN_EMAIL
        );
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(|e| format!("REGIO_ADDR {}: {e}", config.addr))?;
    let public_url = config.public_url.clone();
    let mut state = http::app_state(config, db, stripe.as_ref().map(|c| c.client.clone()));
    if let Some(connection) = stripe.as_ref().filter(|c| c.emulator_url.is_some()) {
        let secret = super::stripe::setup::register_demo_webhook(&connection.client, &public_url).await.map_err(|e| format!("demo webhook: {e}"))?;
        state.webhook_secret = Some(secret);
    }
    super::db::sessions::spawn_expired_cleanup(http::session_store(&state));
    let (_stop_worker, stop) = tokio::sync::watch::channel(false);
    match stripe {
        Some(connection) => {
            if let Some(url) = &connection.emulator_url {
                println!("Stripe emulator (demo) on {url}");
                if demo_login.as_ref().is_some_and(|login| login.fresh) {
                    let staging = demo::stage_breaks(state.db.clone(), connection.client.clone(), url.clone());
                    let billing = demo::stage_billing(state.db.clone(), connection.client.clone());
                    tokio::spawn(async move {
                        if let Err(e) = staging.await {
                            tracing::warn!(error = %e, "demo: staging reconciliation breaks");
                        }
                        if let Err(e) = billing.await {
                            tracing::warn!(error = %e, "demo: staging billing");
                        }
                    });
                }
            }
            let billing = BillingWorker::new(state.db.clone(), connection.client.clone(), Duration::from_millis(500));
            tokio::spawn(billing.run(stop.clone()));
            if !state.config.events_catch_up.is_zero() {
                tokio::spawn(super::billing::events::schedule(state.db.clone(), connection.client.clone(), state.config.events_catch_up, stop.clone()));
            }
            let worker = MirrorWorker::new(state.db.clone(), connection.client, WorkerOptions::default());
            tokio::spawn(worker.run(stop.clone()));
            if !state.config.recon_interval.is_zero() {
                let reconciler = super::recon::Reconciler::from_state(&state);
                tokio::spawn(reconciler.schedule(state.config.recon_interval, stop));
            }
        }
        None => println!("No STRIPE_SECRET_KEY: payments wait in the outbox until one is set."),
    }
    println!("Regio is listening on {public_url}");
    if let Some(login) = demo_login {
        println!("Demo mode. Sign in as {} with password {}", login.email, login.password);
    }
    http::serve(listener, http::router(state)).await.map_err(|e| e.to_string())
}

async fn user(db: &Db, cmd: UserCommand) -> Result<(), String> {
    let actor = Actor::cli();
    let done = match cmd {
        UserCommand::Add { email, name, role } => {
            let password = read_password()?;
            let input = NewUser::parse(&email, &name, &role, &password).map_err(|e| e.to_string())?;
            users::create(db, &actor, input).await
        }
        UserCommand::SetRole { email, role } => {
            let role = role.parse()?;
            let user = users::find_by_email(db, &email).await.map_err(|e| e.to_string())?;
            users::set_role(db, &actor, &user.id, role).await
        }
        UserCommand::Disable { email } => toggle(db, &actor, &email, true).await,
        UserCommand::Enable { email } => toggle(db, &actor, &email, false).await,
    };
    let user = done.map_err(|e| e.to_string())?;
    println!("{} <{}> role={} disabled={}", user.name, user.email, user.role, user.disabled);
    Ok(())
}

async fn api_key(db: &Db, cmd: ApiKeyCommand) -> Result<(), String> {
    match cmd {
        ApiKeyCommand::Create { name } => {
            let (_, key) = api_keys::create(db, &Actor::cli(), &name).await.map_err(|e| e.to_string())?;
            println!("{key}");
        }
        ApiKeyCommand::Revoke { name } => {
            api_keys::revoke(db, &Actor::cli(), &name).await.map_err(|e| e.to_string())?;
            println!("revoked {name}");
        }
    }
    Ok(())
}

async fn toggle(db: &Db, actor: &Actor, email: &str, disabled: bool) -> Result<crate::domain::UserView, crate::domain::AppError> {
    let user = users::find_by_email(db, email).await?;
    users::set_disabled(db, actor, &user.id, disabled).await
}

/// The password comes from standard input (one line), never from the command line, where
/// other users of the machine could read it in the process list.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("reading the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
