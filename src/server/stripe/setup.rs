//! Which Stripe Regio talks to: the real one with a secret key, or in demo mode the emulator,
//! started in-process on a loopback port. On SQLite the demo emulator keeps its state in
//! `stripe-emulator.json` beside the database file, so the payment records Regio delivered are
//! still there after a restart.

use super::client::webhook::WebhookSecret;
use super::client::webhook_endpoints::CreateWebhookEndpoint;
use super::client::{ClientConfig, IdempotencyKey, ListOptions, Metadata, SecretKey, StripeClient};
use super::emulator::{self, Emulator};
use crate::server::billing::events::HANDLED;
use crate::server::config::Config;
use std::path::{Path, PathBuf};

/// The key demo mode uses against its own emulator.
pub const DEMO_KEY: &str = "sk_test_regio_demo";

pub struct StripeConnection {
    pub client: StripeClient,
    /// Set when Regio started an emulator for itself.
    pub emulator_url: Option<String>,
}

pub async fn connect(config: &Config) -> Result<Option<StripeConnection>, String> {
    if let Some(key) = &config.stripe_secret_key {
        let key = SecretKey::new(key.as_str()).map_err(|e| format!("STRIPE_SECRET_KEY: {e}"))?;
        let mut client_config = ClientConfig::new(key);
        if let Some(base) = &config.stripe_api_base {
            client_config = client_config.with_base_url(base.as_str());
        }
        let client = StripeClient::new(client_config).map_err(|e| e.to_string())?;
        return Ok(Some(StripeConnection { client, emulator_url: None }));
    }
    if !config.demo {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(config.emulator_addr).await.map_err(|e| format!("REGIO_EMULATOR_ADDR {}: {e}", config.emulator_addr))?;
    let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    // Made before it is served, so an unreadable snapshot stops Regio instead of being lost.
    let emulator = match demo_snapshot(&config.database_url) {
        Some(path) => Emulator::with_snapshot(path),
        None => Emulator::new(),
    }
    .map_err(|e| format!("Stripe emulator: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, emulator::router(emulator)).await {
            tracing::error!(error = %e, "Stripe emulator stopped");
        }
    });
    let key = SecretKey::new(DEMO_KEY).map_err(|e| e.to_string())?;
    let client = StripeClient::new(ClientConfig::new(key).with_base_url(url.as_str())).map_err(|e| e.to_string())?;
    Ok(Some(StripeConnection { client, emulator_url: Some(url) }))
}

/// Demo mode: registers Regio's `/stripe/webhook` with the emulator for the events billing
/// handles, replacing an endpoint a previous run left for the same URL, and answers its secret.
pub async fn register_demo_webhook(client: &StripeClient, public_url: &url::Url) -> Result<WebhookSecret, String> {
    let url = public_url.join("stripe/webhook").map_err(|e| e.to_string())?.to_string();
    let mut pages = client.webhook_endpoints().list(&ListOptions::limit(100));
    let mut stale = Vec::new();
    while let Some(endpoint) = pages.next_item().await.map_err(|e| e.to_string())? {
        if endpoint.url == url {
            stale.push(endpoint.id);
        }
    }
    for id in stale {
        client.webhook_endpoints().delete(&id).await.map_err(|e| e.to_string())?;
    }
    let request = CreateWebhookEndpoint {
        url,
        enabled_events: HANDLED.iter().map(|e| e.to_string()).collect(),
        api_version: None,
        description: Some("Regio demo".into()),
        metadata: Metadata::new(),
    };
    let key = IdempotencyKey::new(format!("demo_webhook/{}", crate::server::db::new_id())).map_err(|e| e.to_string())?;
    let endpoint = client.webhook_endpoints().create(&request, &key).await.map_err(|e| e.to_string())?;
    endpoint.secret.ok_or_else(|| "the emulator gave no webhook secret".to_string())
}

/// The demo emulator's snapshot: `stripe-emulator.json` in the folder of a SQLite database file.
/// PostgreSQL and in-memory SQLite keep nothing on disk here, so neither does the emulator.
fn demo_snapshot(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let file = rest.strip_prefix("//").unwrap_or(rest).split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return None;
    }
    Some(Path::new(file).parent().unwrap_or(Path::new("")).join("stripe-emulator.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::DEFAULT_DATABASE_URL;

    #[test]
    fn the_snapshot_sits_beside_the_sqlite_file() {
        let snapshot = |url| demo_snapshot(url).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(snapshot(DEFAULT_DATABASE_URL).as_deref(), Some("data/stripe-emulator.json"));
        assert_eq!(snapshot("sqlite:///tmp/demo/regio.db").as_deref(), Some("/tmp/demo/stripe-emulator.json"));
        assert_eq!(snapshot("sqlite:regio.db").as_deref(), Some("stripe-emulator.json"));
        assert_eq!(snapshot("sqlite::memory:"), None);
        assert_eq!(snapshot("sqlite://:memory:?cache=shared"), None);
        assert_eq!(snapshot("postgres://postgres@127.0.0.1:5432/regio"), None);
    }
}
