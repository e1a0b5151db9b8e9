use super::http::client_ip::TrustedProxies;
use super::stripe::client::webhook::WebhookSecret;
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;

/// Everything Regio reads from its environment (and an optional `.env`), parsed once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// The origin browsers use; CSRF checks compare against it and it decides `Secure` cookies.
    pub public_url: Url,
    pub demo: bool,
    /// Bearer token that opens `/metrics` to non-loopback callers.
    pub metrics_token: Option<String>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Proxies whose `X-Forwarded-For` names the caller; everyone else is their TCP address.
    pub trusted_proxies: TrustedProxies,
    /// Password verifications that may run at once (each argon2id run holds 19 MiB).
    pub password_hashes: usize,
    /// Where cargo-leptos put the compiled site (`pkg/`, CSS, public files).
    pub site_root: String,
    /// `sk_test_…` or `sk_live_…`: mirror into that Stripe account. Without one, demo mode runs
    /// the emulator and anything else leaves the outbox waiting.
    pub stripe_secret_key: Option<String>,
    /// Override of `https://api.stripe.com` (an emulator elsewhere, a proxy).
    pub stripe_api_base: Option<String>,
    /// Where demo mode serves its Stripe emulator.
    pub emulator_addr: SocketAddr,
    /// Time between scheduled reconciliation runs; zero turns the schedule off.
    pub recon_interval: Duration,
    /// How long a mirrored payment may lack its Payment Record before it is a break.
    pub recon_grace: Duration,
    /// How long a refund waits for approval before it expires.
    pub refund_approval_expiry: Duration,
    /// The signing secret (`whsec_…`) of the Stripe webhook endpoint that posts to
    /// `/stripe/webhook`; demo mode registers its own with the emulator.
    pub stripe_webhook_secret: Option<WebhookSecret>,
    /// Time between asking Stripe for the events since the last one seen; zero turns it off.
    pub events_catch_up: Duration,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/regio.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let addr: SocketAddr = parse_var("REGIO_ADDR", "127.0.0.1:3000")?;
        let public_url: Url = parse_var("REGIO_PUBLIC_URL", &format!("http://{addr}"))?;
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(ConfigError { name: "REGIO_PUBLIC_URL", message: "must be an http or https URL".into() });
        }
        let password_hashes: usize = parse_var("REGIO_PASSWORD_HASHES", "4")?;
        if password_hashes == 0 {
            return Err(ConfigError { name: "REGIO_PASSWORD_HASHES", message: "must be at least 1".into() });
        }
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            addr,
            public_url,
            demo: parse_flag("REGIO_DEMO")?,
            metrics_token: var("REGIO_METRICS_TOKEN"),
            session_idle: Duration::from_secs(60 * parse_var::<u64>("REGIO_SESSION_IDLE_MINUTES", "30")?),
            session_absolute: Duration::from_secs(3600 * parse_var::<u64>("REGIO_SESSION_MAX_HOURS", "12")?),
            trusted_proxies: parse_var("REGIO_TRUSTED_PROXY", "")?,
            password_hashes,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            stripe_secret_key: var("STRIPE_SECRET_KEY"),
            stripe_api_base: var("STRIPE_API_BASE"),
            emulator_addr: parse_var("REGIO_EMULATOR_ADDR", "127.0.0.1:12111")?,
            recon_interval: Duration::from_secs(60 * parse_var::<u64>("REGIO_RECON_INTERVAL", "15")?),
            recon_grace: Duration::from_secs(60 * parse_var::<u64>("REGIO_RECON_GRACE_MINUTES", "60")?),
            refund_approval_expiry: Duration::from_secs(86_400 * parse_var::<u64>("REGIO_REFUND_APPROVAL_DAYS", "7")?),
            stripe_webhook_secret: var("STRIPE_WEBHOOK_SECRET")
                .map(WebhookSecret::new)
                .transpose()
                .map_err(|e| ConfigError { name: "STRIPE_WEBHOOK_SECRET", message: e.to_string() })?,
            events_catch_up: Duration::from_secs(parse_var::<u64>("REGIO_STRIPE_CATCH_UP_SECONDS", "60")?),
        })
    }

    /// Defaults for a server started inside `regio bench`.
    pub fn for_bench(database_url: &str, addr: SocketAddr) -> Result<Self, String> {
        Ok(Self {
            database_url: database_url.to_string(),
            addr,
            public_url: Url::parse(&format!("http://{addr}")).map_err(|e| format!("bench URL: {e}"))?,
            demo: false,
            metrics_token: None,
            session_idle: Duration::from_secs(1800),
            session_absolute: Duration::from_secs(43_200),
            trusted_proxies: TrustedProxies::default(),
            password_hashes: 4,
            site_root: "target/site".into(),
            stripe_secret_key: None,
            stripe_api_base: None,
            emulator_addr: addr,
            recon_interval: Duration::ZERO,
            recon_grace: Duration::from_secs(3600),
            refund_approval_expiry: Duration::from_secs(7 * 86_400),
            stripe_webhook_secret: None,
            events_catch_up: Duration::ZERO,
        })
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &'static str, default: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let raw = var(name).unwrap_or_else(|| default.to_string());
    raw.parse().map_err(|e: T::Err| ConfigError { name, message: format!("'{raw}' is not valid: {e}") })
}

fn parse_flag(name: &'static str) -> Result<bool, ConfigError> {
    match var(name).as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(ConfigError { name, message: format!("'{other}' is not a flag (use 1 or 0)") }),
    }
}
