//! The outbox worker: claims due items, delivers them concurrently, records each outcome.

use super::delivery::{Delivery, deliver};
use crate::server::db::outbox::{self, Operation, OutboxItem, Outcome};
use crate::server::db::{Db, new_id, now_ms};
use crate::server::stripe::client::StripeClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Items claimed per round.
    pub batch: i64,
    /// Deliveries in flight at once (the client's rate limiter paces them).
    pub concurrency: usize,
    /// How long a claim lasts without renewal; the worker renews its claims every third of it
    /// while it runs, so a worker that dies mid-delivery frees its items after this.
    pub claim: Duration,
    /// Pause when the outbox has nothing due.
    pub idle_poll: Duration,
    /// Give up and park an item as failed after this many transient failures.
    pub max_attempts: i64,
    /// How long Stripe surely still knows an idempotency key (it keeps them about 24 hours). A
    /// retry later than this after the first attempt looks for the record that attempt may
    /// have made before reporting again.
    pub ambiguity_window: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch: 200,
            concurrency: 16,
            claim: Duration::from_secs(60),
            idle_poll: Duration::from_millis(250),
            max_attempts: 50,
            ambiguity_window: Duration::from_secs(23 * 3600),
        }
    }
}

pub struct MirrorWorker {
    db: Db,
    stripe: StripeClient,
    options: WorkerOptions,
    id: String,
}

impl MirrorWorker {
    pub fn new(db: Db, stripe: StripeClient, options: WorkerOptions) -> Self {
        Self { db, stripe, options, id: format!("worker-{}", new_id()) }
    }

    /// Runs until `stop` turns true, finishing the deliveries already in flight.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.options.concurrency.max(1)));
        // Renews this worker's claims while it runs, so a delivery slowed by retries, rate
        // limits or a slot wait keeps its row; dropped (and so stopped) with `run`.
        let mut heartbeat = JoinSet::new();
        heartbeat.spawn(this.clone().renew_claims());
        loop {
            if *stop.borrow() {
                return;
            }
            let claimed = match outbox::claim_due(&this.db, &this.id, this.options.batch, this.options.claim.as_millis() as i64).await {
                Ok(items) => items,
                Err(e) => {
                    tracing::error!(error = %e, "mirror: claiming outbox items");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(this.options.idle_poll) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            // Payments first: a refund claimed in the same round needs its payment's record.
            let (payments, refunds): (Vec<_>, Vec<_>) = claimed.into_iter().partition(|i| i.operation == Operation::ReportPayment);
            for wave in [payments, refunds] {
                let mut deliveries = JoinSet::new();
                for item in wave {
                    let (this, slots) = (this.clone(), slots.clone());
                    deliveries.spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else { return };
                        this.process(&item).await;
                    });
                }
                while deliveries.join_next().await.is_some() {}
            }
        }
    }

    async fn process(&self, item: &OutboxItem) {
        let delivery = deliver(&self.db, &self.stripe, item, self.options.ambiguity_window).await;
        let outcome = match &delivery {
            Delivery::Delivered { stripe_id } => Outcome::Delivered { stripe_id },
            Delivery::Retry { error, http_status } if item.attempts + 1 < self.options.max_attempts => {
                Outcome::Retry { error, http_status: *http_status, retry_at: now_ms() + backoff_ms(item.attempts) }
            }
            Delivery::Retry { error, http_status } | Delivery::Failed { error, http_status } | Delivery::Exists { error, http_status } => {
                Outcome::Failed { error, http_status: *http_status }
            }
        };
        match outbox::finish(&self.db, &self.id, item, outcome).await {
            Ok(true) => {}
            // Another worker took the row after this one's claim lapsed; its record stands.
            Ok(false) => tracing::warn!(outbox = %item.id, ?delivery, "mirror: lost the claim before recording the delivery; left as the holder recorded it"),
            // The claim expires and the item is delivered again under the same key: Stripe
            // replays the first answer, so nothing is duplicated.
            Err(e) => tracing::error!(error = %e, outbox = %item.id, "mirror: recording a delivery"),
        }
    }

    /// Every third of a claim, extends the claims this worker holds.
    async fn renew_claims(self: Arc<Self>) {
        let claim_ms = self.options.claim.as_millis() as i64;
        loop {
            tokio::time::sleep(self.options.claim / 3).await;
            if let Err(e) = outbox::renew_claims(&self.db, &self.id, claim_ms).await {
                tracing::error!(error = %e, "mirror: renewing claims");
            }
        }
    }
}

/// 1 s, 2 s, 4 s … capped at 10 minutes, with up to 25 % jitter so retries of a burst spread out.
pub fn backoff_ms(attempts: i64) -> i64 {
    let base = 1_000i64.saturating_mul(1i64 << attempts.clamp(0, 20)).min(600_000);
    base + rand::random::<u32>() as i64 % (base / 4 + 1)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!((1_000..=1_250).contains(&backoff_ms(0)));
        assert!((8_000..=10_000).contains(&backoff_ms(3)));
        assert!((600_000..=750_000).contains(&backoff_ms(40)));
    }
}
