//! A run's live progress, written where every instance's pages can read it, and the heartbeat
//! that keeps the run's lease.

use super::ReconError;
use crate::server::db::{Db, now_ms, recon_runs};
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::Mutex;

/// Progress is written at most this often (records can arrive by the thousand per second).
const WRITE_EVERY_MS: i64 = 500;

pub struct Progress {
    db: Db,
    run_id: String,
    holder: String,
    phase: Mutex<String>,
    records_read: AtomicI64,
    last_write: AtomicI64,
}

impl Progress {
    pub fn new(db: Db, run_id: String, holder: String) -> Self {
        Self { db, run_id, holder, phase: Mutex::new("Starting".into()), records_read: AtomicI64::new(0), last_write: AtomicI64::new(0) }
    }

    pub fn records_read(&self) -> i64 {
        self.records_read.load(Ordering::Relaxed)
    }

    pub async fn phase(&self, phase: &str) {
        *self.phase.lock().await = phase.to_string();
        self.write(true).await;
    }

    pub async fn read(&self, records: usize) {
        self.records_read.fetch_add(records as i64, Ordering::Relaxed);
        self.write(false).await;
    }

    /// Writes the progress and renews the lease; failures are logged, not fatal: the run's own
    /// work decides whether it succeeds.
    async fn write(&self, now: bool) {
        let at = now_ms();
        if !now && at - self.last_write.load(Ordering::Relaxed) < WRITE_EVERY_MS {
            return;
        }
        self.last_write.store(at, Ordering::Relaxed);
        let phase = self.phase.lock().await.clone();
        if let Err(e) = recon_runs::progress(&self.db, &self.run_id, &phase, self.records_read()).await {
            tracing::warn!(error = %e, "reconciliation: writing progress");
        }
        if let Err(e) = recon_runs::renew_lease(&self.db, &self.holder, at).await {
            tracing::warn!(error = %e, "reconciliation: renewing the lease");
        }
    }

    pub async fn still_leased(&self) -> Result<(), ReconError> {
        if recon_runs::renew_lease(&self.db, &self.holder, now_ms()).await? { Ok(()) } else { Err(ReconError::LeaseLost) }
    }
}
