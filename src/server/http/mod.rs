//! The HTTP face of Regio: one router with the Leptos app, server functions, health and
//! metrics, wrapped in metrics → CSRF → session → authentication.

pub mod api_v1;
mod billing_export;
pub mod caller;
pub mod client_ip;
pub mod csrf;
mod csv;
pub mod health;
pub mod imports;
mod lists_export;
pub mod metrics;
mod recon_export;
mod refunds_export;
mod statement_export;
mod stripe_webhook;
mod transactions_export;

use super::AppState;
use super::auth::password::HashSlots;
use super::clock::Clock;
use super::config::Config;
use super::db::Db;
use super::db::sessions::DbSessionStore;
use super::stripe::client::StripeClient;
use crate::app::{App, shell};
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The largest request body any route but the CSV upload accepts: a batch of 1,000 API
/// transactions is a few hundred kB.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder().output_name("regio").site_root(config.site_root.as_str()).site_pkg_dir("pkg").site_addr(config.addr).build()
}

pub fn app_state(config: Config, db: Db, stripe: Option<StripeClient>) -> AppState {
    let leptos_options = leptos_options(&config);
    let hash_slots = HashSlots::new(config.password_hashes);
    AppState {
        webhook_secret: config.stripe_webhook_secret.clone(),
        db,
        config: Arc::new(config),
        metrics: Arc::new(metrics::Metrics::default()),
        leptos_options,
        stripe,
        imports: Default::default(),
        clock: Clock::system(),
        hash_slots,
        event_slots: Arc::new(tokio::sync::Semaphore::new(EVENTS_AT_ONCE)),
    }
}

/// Webhook events processed at once (the others wait their turn, already stored).
const EVENTS_AT_ONCE: usize = 8;

/// The session store on `state`'s database and clock.
pub fn session_store(state: &AppState) -> DbSessionStore {
    DbSessionStore::new(state.db.clone(), state.clock.clone(), state.config.session_idle)
}

pub fn router(state: AppState) -> Router {
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let idle = time::Duration::seconds(state.config.session_idle.as_secs() as i64);
    let sessions = SessionManagerLayer::new(session_store(&state))
        .with_name("regio_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(idle));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::export))
        .merge(api_v1::routes())
        .merge(recon_export::routes())
        .merge(refunds_export::routes())
        .merge(statement_export::routes())
        .merge(transactions_export::routes())
        .merge(billing_export::routes())
        .merge(lists_export::routes())
        .merge(stripe_webhook::routes())
        .leptos_routes_with_context(&state, generate_route_list(App), context.clone(), render)
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        // Every route above, server functions included: a larger Content-Length is answered 413
        // before the body is read, and a body without one is cut off at the limit.
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        // The CSV upload sets its own, larger limit.
        .merge(imports::routes())
        .layer(from_fn_with_state(state.clone(), caller::identify))
        .layer(sessions)
        .layer(from_fn_with_state(state.config.clone(), csrf::refuse_cross_site))
        .layer(from_fn_with_state(state.metrics.clone(), metrics::track))
        .with_state(state)
}

/// Serves `router` on `listener` until the process is asked to stop.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    // A streamed page goes out in several small writes; with Nagle's algorithm each later one
    // waited for the browser's delayed ACK, and every server-rendered page took 40 ms more.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY on an accepted connection");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
