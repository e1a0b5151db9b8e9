use super::auth::password::HashSlots;
use super::clock::Clock;
use super::config::Config;
use super::db::Db;
use super::http::metrics::Metrics;
use super::ledger::import::ImportJobs;
use super::stripe::client::StripeClient;
use super::stripe::client::webhook::WebhookSecret;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Process-wide state, shared by axum handlers and (through Leptos context) server functions.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub leptos_options: LeptosOptions,
    /// The Stripe Regio mirrors into; `None` when neither a key nor demo mode gives one.
    pub stripe: Option<StripeClient>,
    /// What `/stripe/webhook` checks signatures with: configured, or registered by demo mode.
    pub webhook_secret: Option<WebhookSecret>,
    pub imports: ImportJobs,
    /// What sessions and sign-in throttling take for "now".
    pub clock: Clock,
    /// The password verifications sign-ins may run at once.
    pub hash_slots: HashSlots,
    /// The webhook events processed at once. Each reads Stripe; unbounded, a burst of tens of
    /// thousands took every slot of the rate limit ahead of the Payment Records collections make.
    pub event_slots: Arc<tokio::sync::Semaphore>,
}
