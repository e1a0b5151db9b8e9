//! Stateful in-memory Stripe emulator speaking Stripe's wire format, for demo mode, tests and
//! benchmarks. `serve` runs it alone (`regio stripe-emulator`); `router` mounts it. Everything
//! under `/v1/` behaves as Stripe does; `/_emulator/` holds fault injection, reset and stats.
//! With a snapshot file (`serve_with_snapshot`) its state outlives the process.

mod auth;
mod billing;
mod control;
mod currency;
mod details;
mod errors;
mod events;
mod expand;
mod faults;
mod form;
mod idempotency;
mod ids;
mod list;
mod params;
mod payment_attempts;
mod payment_records;
mod pipeline;
mod refunds;
mod render;
mod request;
mod snapshot;
mod stats;
mod store;
mod subscriptions;
mod test_clocks;
mod webhooks;
mod words;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use billing::{catalog, credit_notes, customers, invoice_actions, invoice_items, invoice_payments, invoices, payment_methods};
use errors::ApiError;
use faults::Faults;
use idempotency::Idempotency;
use request::RequestMeta;
use snapshot::{Restored, Saver};
use stats::Stats;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;

/// The API version the emulator speaks, the one Regio pins.
pub const API_VERSION: &str = "2026-10-28.endive";

const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Webhook requests the emulator sends at once, to all endpoints together.
const WEBHOOKS_IN_FLIGHT: usize = 16;

/// The emulator's shared state; cheap to clone.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    store: tokio::sync::Mutex<Store>,
    idempotency: Idempotency,
    faults: Faults,
    stats: Stats,
    http: reqwest::Client,
    /// Webhook requests in flight at once: a clock advance can raise tens of thousands of
    /// events, and a connection each would run out of file descriptors.
    webhook_slots: tokio::sync::Semaphore,
    saver: Option<Saver>,
}

impl Emulator {
    pub fn new() -> io::Result<Self> {
        Self::build(Restored::default(), None)
    }

    /// An emulator that starts from the snapshot at `path` (empty if there is no file yet) and
    /// keeps it saved: after changes, at most once a second, and on `flush`. It must be made
    /// inside a Tokio runtime, which runs the saving.
    pub fn with_snapshot(path: PathBuf) -> io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let restored = snapshot::open(&path)?.unwrap_or_default();
        let (saver, changes) = Saver::new(path);
        let emulator = Self::build(restored, Some(saver))?;
        runtime.spawn(snapshot::keep_saving(Arc::downgrade(&emulator.inner), changes));
        Ok(emulator)
    }

    fn build(restored: Restored, saver: Option<Saver>) -> io::Result<Self> {
        let http = reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).build().map_err(io::Error::other)?;
        Ok(Emulator {
            inner: Arc::new(Inner {
                store: tokio::sync::Mutex::new(restored.store),
                idempotency: restored.idempotency,
                faults: Faults::new(),
                stats: Stats::default(),
                http,
                webhook_slots: tokio::sync::Semaphore::new(WEBHOOKS_IN_FLIGHT),
                saver,
            }),
        })
    }

    /// Saves the snapshot now; without one, does nothing.
    pub async fn flush(&self) -> io::Result<()> {
        match &self.inner.saver {
            Some(saver) => saver.save(&self.inner.store, &self.inner.idempotency).await,
            None => Ok(()),
        }
    }

    /// Notes a change for the snapshot, if there is one.
    fn changed(&self) {
        if let Some(saver) = &self.inner.saver {
            saver.changed();
        }
    }

    fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    fn idempotency(&self) -> &Idempotency {
        &self.inner.idempotency
    }

    fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    fn webhook_slots(&self) -> &tokio::sync::Semaphore {
        &self.inner.webhook_slots
    }

    async fn store(&self) -> tokio::sync::MutexGuard<'_, Store> {
        self.inner.store.lock().await
    }

    async fn read<T>(&self, f: impl FnOnce(&Store) -> Result<T, ApiError>) -> Result<T, ApiError> {
        f(&*self.store().await)
    }

    /// Runs a change under the store lock, then sends the webhooks its events queued. `f` must
    /// check every rule before it changes anything, so an error leaves the store as it was.
    async fn write<T>(&self, meta: &RequestMeta, f: impl FnOnce(&mut Store) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let (result, outbox) = {
            let mut store = self.store().await;
            store.request = meta.clone();
            let result = f(&mut store);
            (result, std::mem::take(&mut store.outbox))
        };
        if result.is_ok() {
            self.changed();
        }
        for delivery in outbox {
            tokio::spawn(webhooks::deliver(self.clone(), delivery));
        }
        result
    }

    async fn reset(&self) {
        *self.store().await = Store::default();
        self.idempotency().clear();
        self.faults().reset();
        self.stats().reset();
        self.changed();
    }
}

/// A std mutex guard even if a panic poisoned it: the guarded state stays consistent because
/// every change is checked before it is applied.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn router(emulator: Emulator) -> Router {
    let api = Router::new()
        .route("/payment_records", get(payment_records::list))
        .route("/payment_records/report_payment", post(payment_records::report_payment))
        .route("/payment_records/{id}", get(payment_records::retrieve))
        .route("/payment_records/{id}/report_payment_attempt", post(payment_attempts::report_attempt))
        .route("/payment_records/{id}/report_payment_attempt_guaranteed", post(payment_attempts::report_guaranteed))
        .route("/payment_records/{id}/report_payment_attempt_failed", post(payment_attempts::report_failed))
        .route("/payment_records/{id}/report_payment_attempt_canceled", post(payment_attempts::report_canceled))
        .route("/payment_records/{id}/report_payment_attempt_informational", post(payment_records::report_informational))
        .route("/payment_records/{id}/report_refund", post(refunds::report_refund))
        .route("/payment_attempt_records", get(payment_attempts::list))
        .route("/payment_attempt_records/{id}", get(payment_attempts::retrieve))
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/{id}", get(customers::retrieve).post(customers::update).delete(customers::delete))
        .route("/products", get(catalog::list_products).post(catalog::create_product))
        .route("/products/{id}", get(catalog::retrieve_product))
        .route("/prices", get(catalog::list_prices).post(catalog::create_price))
        .route("/prices/{id}", get(catalog::retrieve_price).post(catalog::update_price))
        .route("/payment_methods", post(payment_methods::create))
        .route("/payment_methods/{id}", get(payment_methods::retrieve))
        .route("/payment_methods/{id}/attach", post(payment_methods::attach))
        .route("/invoices", get(invoices::list).post(invoices::create))
        .route("/invoices/create_preview", post(subscriptions::create_preview))
        .route("/invoices/{id}", get(invoices::retrieve))
        .route("/invoices/{id}/finalize", post(invoice_actions::finalize))
        .route("/invoices/{id}/send", post(invoice_actions::send))
        .route("/invoices/{id}/void", post(invoice_actions::void))
        .route("/invoices/{id}/pay", post(invoice_actions::pay))
        .route("/invoices/{id}/mark_uncollectible", post(invoice_actions::mark_uncollectible))
        .route("/invoices/{id}/attach_payment", post(invoice_actions::attach_payment))
        .route("/invoiceitems", get(invoice_items::list).post(invoice_items::create))
        .route("/invoiceitems/{id}", get(invoice_items::retrieve))
        .route("/invoice_payments", get(invoice_payments::list))
        .route("/invoice_payments/{id}", get(invoice_payments::retrieve))
        .route("/subscriptions", get(subscriptions::list).post(subscriptions::create))
        .route("/subscriptions/{id}", get(subscriptions::retrieve).post(subscriptions::update).delete(subscriptions::cancel))
        .route("/credit_notes", get(credit_notes::list).post(credit_notes::create))
        .route("/credit_notes/{id}", get(credit_notes::retrieve))
        .route("/events", get(events::list))
        .route("/events/{id}", get(events::retrieve))
        .route("/webhook_endpoints", get(webhooks::list).post(webhooks::create))
        .route("/webhook_endpoints/{id}", get(webhooks::retrieve).delete(webhooks::delete))
        .route("/test_helpers/test_clocks", get(test_clocks::list).post(test_clocks::create))
        .route("/test_helpers/test_clocks/{id}", get(test_clocks::retrieve))
        .route("/test_helpers/test_clocks/{id}/advance", post(test_clocks::advance))
        .fallback(unrecognized)
        .method_not_allowed_fallback(unrecognized)
        .layer(from_fn_with_state(emulator.clone(), pipeline::pipeline));
    Router::new().nest("/v1", api).nest("/_emulator", control::routes()).fallback(unrecognized).with_state(emulator)
}

async fn unrecognized(OriginalUri(uri): OriginalUri, method: Method) -> Response {
    ApiError::unrecognized_url(method.as_str(), uri.path()).into_response()
}

/// Serves a fresh emulator on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    axum::serve(listener, router(Emulator::new()?)).await
}

/// Serves the emulator kept in the snapshot at `path` (see `Emulator::with_snapshot`).
pub async fn serve_with_snapshot(listener: TcpListener, path: PathBuf) -> io::Result<()> {
    axum::serve(listener, router(Emulator::with_snapshot(path)?)).await
}
