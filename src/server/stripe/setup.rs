//! Which Stripe Regio talks to: the real one with a secret key, or in demo mode the emulator,
//! started in-process on a loopback port.

use super::client::{ClientConfig, SecretKey, StripeClient};
use super::emulator;
use crate::server::config::Config;

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
    let listener = tokio::net::TcpListener::bind(config.emulator_addr)
        .await
        .map_err(|e| format!("REGIO_EMULATOR_ADDR {}: {e}", config.emulator_addr))?;
    let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(async move {
        if let Err(e) = emulator::serve(listener).await {
            tracing::error!(error = %e, "Stripe emulator stopped");
        }
    });
    let key = SecretKey::new(DEMO_KEY).map_err(|e| e.to_string())?;
    let client = StripeClient::new(ClientConfig::new(key).with_base_url(url.as_str())).map_err(|e| e.to_string())?;
    Ok(Some(StripeConnection { client, emulator_url: Some(url) }))
}
