//! Spawning the app for a test: a fresh SQLite file or a fresh PostgreSQL database, the real
//! router on 127.0.0.1:0, and a cookie-keeping client that does not follow redirects.

use regio::server::AppState;
use regio::server::auth::users::{self, NewUser};
use regio::server::clock::Clock;
use regio::server::config::Config;
use regio::server::db::audit::Actor;
use regio::server::db::{Db, now_ms};
use regio::server::http;
use regio::server::stripe::client::{ClientConfig, SecretKey, StripeClient};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery";
const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario once per database: `both_databases!(name)` makes `name::sqlite` and
/// `name::postgres` tests from `async fn name(backend: Backend)`. Every test that needs
/// PostgreSQL is named `…::postgres`: `make test` with `REGIO_SKIP_POSTGRES=1` leaves them out by
/// that name (`--skip ::postgres`), so libtest counts them as filtered out, never as passed.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::unless_stuck(super::$name($crate::support::Backend::Sqlite)).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::support::unless_stuck(super::$name($crate::support::Backend::Postgres)).await
            }
        }
    )*};
}

/// Runs a scenario on PostgreSQL only (one that rests on its row locks): `postgres_only!(name)`
/// makes `name::postgres` from `async fn name()`, named like every PostgreSQL test so that
/// `REGIO_SKIP_POSTGRES=1 make test` leaves it out.
#[macro_export]
macro_rules! postgres_only {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $crate::support::unless_stuck(super::$name()).await
            }
        }
    )*};
}

/// Far beyond any scenario's run time even on a loaded 2-core machine: a scenario still running
/// then is stuck, and failing it by name beats holding CI until its overall limit.
const STUCK_AFTER: Duration = Duration::from_secs(300);

pub async fn unless_stuck(scenario: impl Future<Output = ()>) {
    if tokio::time::timeout(STUCK_AFTER, scenario).await.is_err() {
        panic!("stuck: still running after {} s", STUCK_AFTER.as_secs());
    }
}

/// Polls `check` every 50 ms until it gives a value, failing after `limit` with `what`.
pub async fn until<T, F: Future<Output = Option<T>>>(what: &str, limit: Duration, check: impl Fn() -> F) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: String,
    drop_postgres: Option<String>,
    _dir: Option<tempdir::Dir>,
}

pub mod tempdir {
    /// A folder under the system temp dir, removed on drop.
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        /// A new empty folder named `name`, which must be unique.
        pub fn create(name: &str) -> Self {
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&dir).expect("temp dir");
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        let name = format!("regio_test_{}", uuid_simple());
        match backend {
            Backend::Sqlite => {
                let dir = tempdir::Dir::create(&name);
                let url = format!("sqlite://{}/regio.db?mode=rwc", dir.0.display());
                Self { url, drop_postgres: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                admin_sql(&format!("CREATE DATABASE {name}")).await;
                Self { url: format!("postgres://postgres@127.0.0.1:5432/{name}"), drop_postgres: Some(name), _dir: None }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.drop_postgres.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(admin_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
                }
            })
            .join();
        }
    }
}

async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(POSTGRES_ADMIN_URL).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({e}). The tests need it; \
             start it, or on a machine without it leave the PostgreSQL tests out: `REGIO_SKIP_POSTGRES=1 make test`, \
             or `cargo test -- --skip ::postgres` (CI never does)."
        )
    });
    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
}

pub fn uuid_simple() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// The test's own connection to the app's database, to inspect and stage rows as an operator
    /// with `psql` or `sqlite3` would (the app's pool is private to its `db` module).
    pub sql: sqlx::AnyPool,
    pub state: AppState,
    /// How far the app's clock runs ahead of the system's, in ms (see `advance_clock`).
    clock_offset: Arc<AtomicI64>,
    _database: TestDatabase,
}

pub fn test_config(database_url: &str, addr: SocketAddr) -> Config {
    Config {
        database_url: database_url.to_string(),
        addr,
        public_url: format!("http://{addr}").parse().expect("url"),
        demo: false,
        metrics_token: Some("metrics-secret".into()),
        session_idle: Duration::from_secs(1800),
        session_absolute: Duration::from_secs(12 * 3600),
        trusted_proxies: Default::default(),
        password_hashes: 4,
        site_root: "target/site".into(),
        stripe_secret_key: None,
        stripe_api_base: None,
        emulator_addr: "127.0.0.1:0".parse().expect("addr"),
        recon_interval: Duration::ZERO,
        recon_grace: Duration::ZERO,
        refund_approval_expiry: Duration::from_secs(7 * 86_400),
        stripe_webhook_secret: None,
        events_catch_up: Duration::ZERO,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, None).await
}

/// The API key tests use with the emulator, for its Stripe API and its control routes alike.
pub const EMULATOR_KEY: &str = "sk_test_regio_tests";

/// A client for the emulator's control routes (`/_emulator/*`), which require an API key.
pub fn emulator_control() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {EMULATOR_KEY}").parse().expect("authorization header"));
    reqwest::Client::builder().default_headers(headers).build().expect("client")
}

/// A Stripe emulator of its own on a loopback port, and a client for it.
pub async fn spawn_emulator() -> (String, StripeClient) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(regio::server::stripe::emulator::serve(listener));
    let key = SecretKey::new(EMULATOR_KEY).expect("key");
    let client = StripeClient::new(ClientConfig::new(key).with_base_url(url.as_str())).expect("client");
    (url, client)
}

pub async fn spawn_app_with(backend: Backend, stripe: Option<StripeClient>) -> TestApp {
    spawn_app_configured(backend, stripe, |_| {}).await
}

/// The app with `configure` applied to the test configuration, and a clock the test can move.
pub async fn spawn_app_configured(backend: Backend, stripe: Option<StripeClient>, configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn(backend, stripe, configure, false).await
}

/// The app on `stripe` (an emulator), whose `/stripe/webhook` the emulator delivers its events
/// to, registered as demo mode does.
pub async fn spawn_app_with_webhooks(backend: Backend, stripe: StripeClient) -> TestApp {
    spawn(backend, Some(stripe), |_| {}, true).await
}

async fn spawn(backend: Backend, stripe: Option<StripeClient>, configure: impl FnOnce(&mut Config), webhooks: bool) -> TestApp {
    let database = TestDatabase::create(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let db = Db::connect(&database.url).await.expect("connect and migrate");
    let sql = sqlx::any::AnyPoolOptions::new().max_connections(2).connect(&database.url).await.expect("test connection");
    let mut config = test_config(&database.url, addr);
    configure(&mut config);
    if let (true, Some(client)) = (webhooks, &stripe) {
        let secret = regio::server::stripe::setup::register_demo_webhook(client, &config.public_url).await.expect("webhook endpoint");
        config.stripe_webhook_secret = Some(secret);
    }
    let mut state = http::app_state(config, db.clone(), stripe);
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = clock_offset.clone();
    state.clock = Clock::from_fn(move || now_ms() + offset.load(Ordering::SeqCst));
    tokio::spawn(http::serve(listener, http::router(state.clone())));
    TestApp { base: format!("http://{addr}"), db, sql, state, clock_offset, _database: database }
}

/// A client that keeps cookies, does not follow redirects, and sends `origin` as `Origin`.
pub fn browser(origin: &str) -> reqwest::Client {
    browser_speaking(origin, None)
}

/// A browser whose `Accept-Language` asks for `languages` (none: it sends no preference).
pub fn browser_speaking(origin: &str, languages: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, origin.parse().expect("origin header"));
    if let Some(languages) = languages {
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, languages.parse().expect("accept-language header"));
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        // A page whose server render stalls fails its request by name instead of hanging the test.
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Moves the app's clock (sessions, sign-in throttling) forward by `by`.
    pub fn advance_clock(&self, by: Duration) {
        self.clock_offset.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub async fn add_user(&self, email: &str, role: &str) -> String {
        let input = NewUser::parse(email, email, role, PASSWORD).expect("valid user");
        users::create(&self.db, &Actor::cli(), input).await.expect("create user").id
    }

    /// Calls a server function as a form post from `client`.
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client.post(self.url(&format!("/rpc/{endpoint}"))).form(form).send().await.expect("request")
    }

    /// A page as the server renders it: its status and HTML. Leptos 0.8 can leave a streamed
    /// render waiting forever when a resource finishes on one thread while its `Suspense` looks
    /// on another (leptos-rs/leptos#4851, #4673; rare, seen on a loaded 2-core machine). A
    /// person reloads; so does this, once, saying so. A second stall fails the test.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let load = || async {
            let response = client.get(self.url(path)).timeout(Duration::from_secs(20)).send().await?;
            let status = response.status().as_u16();
            // Leptos' erased mode leaves empty `<!>` comments where a view may grow; they are
            // the hydration's business, not what a reader sees.
            Ok::<_, reqwest::Error>((status, response.text().await?.replace("<!>", "")))
        };
        match load().await {
            Ok(page) => page,
            Err(e) if e.is_timeout() => {
                eprintln!("GET {path}: the server render stalled ({e}); loading it again");
                load().await.unwrap_or_else(|e| panic!("GET {path}, loaded again: {e}"))
            }
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        self.call(client, "login", &[("email", email), ("password", password)]).await
    }

    /// A fresh browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = browser(&self.base);
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), 200, "login as {email}: {}", response.text().await.unwrap_or_default());
        client
    }

    /// Audit actions recorded so far, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String)> {
        use sqlx::Row;
        sqlx::query("SELECT action, target FROM audit_events ORDER BY id")
            .fetch_all(&self.sql)
            .await
            .expect("audit rows")
            .iter()
            .map(|r| (r.get("action"), r.get("target")))
            .collect()
    }
}
