//! Reconciliation: read Stripe's Payment Records into a snapshot, compare them with the ledger,
//! and keep one case per break until a run no longer finds it. One run at a time across every
//! instance on the database (a lease row), on a schedule and on demand.

pub mod bench;
pub mod case;
mod classify;
mod progress;
pub mod reconcile;
pub mod sync;

use crate::domain::AppError;
use crate::domain::recon::{AgeBucket, BreakClass, CaseState, ReconSummary, RunStatus, RunView, SummaryCell};
use crate::say;
use crate::server::AppState;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::recon_compare::Scope;
use crate::server::db::recon_runs::{self, LEASE_MS};
use crate::server::db::{Db, currencies, format_ms, new_id, now_ms, recon_cases};
use crate::server::stripe::client::{StripeClient, StripeError};
use progress::Progress;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("Stripe: {0}")]
    Stripe(#[from] StripeError),
    #[error("a reconciliation run is already under way")]
    AlreadyRunning,
    #[error("no Stripe account is configured (set STRIPE_SECRET_KEY)")]
    NoStripe,
    #[error("another instance took over the run")]
    LeaseLost,
}

impl From<ReconError> for AppError {
    fn from(e: ReconError) -> Self {
        match e {
            ReconError::AlreadyRunning => AppError::conflict(say!("A reconciliation run is already under way.", "照合は既に実行中です。")),
            ReconError::NoStripe => AppError::conflict(say!(
                "No Stripe account is configured: set STRIPE_SECRET_KEY.",
                "Stripe アカウントが設定されていません。STRIPE_SECRET_KEY を設定してください。"
            )),
            other => crate::server::error::internal("reconciliation", other),
        }
    }
}

/// How long before its commit a change may be stamped (a slow batch, a delivery's retry).
const IN_FLIGHT_MS: i64 = 5 * 60_000;

/// This process's name on the lease.
static INSTANCE: LazyLock<String> = LazyLock::new(new_id);

/// Everything a run needs; cheap to clone.
#[derive(Clone)]
pub struct Reconciler {
    db: Db,
    stripe: Option<StripeClient>,
    grace: Duration,
}

/// A run that holds the lease and has its row; `execute` does the work.
struct Started {
    run_id: String,
    started_at: i64,
    progress: Progress,
    holder: String,
}

impl Reconciler {
    pub fn new(db: Db, stripe: Option<StripeClient>, grace: Duration) -> Self {
        Self { db, stripe, grace }
    }

    pub fn from_state(state: &AppState) -> Self {
        Self::new(state.db.clone(), state.stripe.clone(), state.config.recon_grace)
    }

    async fn begin(&self, actor: &Actor, full: bool) -> Result<Started, ReconError> {
        if self.stripe.is_none() {
            return Err(ReconError::NoStripe);
        }
        let run_id = new_id();
        let holder = format!("{}/{run_id}", *INSTANCE);
        if !recon_runs::acquire_lease(&self.db, &holder, now_ms()).await? {
            return Err(ReconError::AlreadyRunning);
        }
        recon_runs::fail_abandoned(&self.db, now_ms() - LEASE_MS).await?;
        recon_runs::start(&self.db, &run_id, actor.user_id.as_deref(), &actor.label, full).await?;
        let progress = Progress::new(self.db.clone(), run_id.clone(), holder.clone());
        Ok(Started { run_id, started_at: now_ms(), progress, holder })
    }

    async fn execute(&self, started: Started, full: bool) -> Result<BTreeMap<BreakClass, i64>, ReconError> {
        let outcome = self.work(&started, full).await;
        let recorded = match &outcome {
            Ok(breaks) => {
                let json = serde_json::to_string(&breaks.iter().map(|(c, n)| (c.as_str(), n)).collect::<BTreeMap<_, _>>()).unwrap_or_else(|_| "{}".into());
                recon_runs::finish(&self.db, &started.run_id, Ok(&json)).await
            }
            Err(e) => {
                tracing::error!(error = %e, run = %started.run_id, "reconciliation run failed");
                recon_runs::finish(&self.db, &started.run_id, Err(&e.to_string())).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "reconciliation: recording the run's end");
        }
        if let Err(e) = recon_runs::release_lease(&self.db, &started.holder).await {
            tracing::error!(error = %e, "reconciliation: releasing the lease");
        }
        outcome
    }

    async fn work(&self, started: &Started, full: bool) -> Result<BTreeMap<BreakClass, i64>, ReconError> {
        let stripe = self.stripe.as_ref().ok_or(ReconError::NoStripe)?;
        sync::read_stripe(&self.db, stripe, &started.progress, full, started.started_at).await?;
        started.progress.phase("Comparing the ledger with Stripe").await;
        let scope = self.scope(full).await?;
        let mut tx = self.db.begin_snapshot().await?;
        let found = reconcile::find_breaks(&mut tx, self.grace.as_millis() as i64, scope).await?;
        tx.commit().await?;
        started.progress.still_leased().await?;
        started.progress.phase("Updating cases").await;
        reconcile::update_cases(&self.db, &found).await
    }

    /// What a run compares: everything on a full re-scan, on the first run and after a
    /// currency's fiat side changed (every payment in it compares anew); otherwise what changed
    /// since the last run that finished, which costs what changed and not the ledger's size.
    async fn scope(&self, full: bool) -> Result<Scope, ReconError> {
        let last = match full {
            true => None,
            false => recon_runs::last_success_started(&self.db).await?,
        };
        let Some(last) = last else { return Ok(Scope::Everything) };
        if currencies::changed_since(&self.db, last).await? {
            return Ok(Scope::Everything);
        }
        // Payments cross the grace period without changing, and a change stamped just before
        // the last run started may have committed after it read.
        Ok(Scope::ChangedSince(last - self.grace.as_millis() as i64 - IN_FLIGHT_MS))
    }

    /// Runs reconciliation to the end (the schedule, tests, `regio` commands).
    pub async fn run(&self, actor: &Actor, full: bool) -> Result<BTreeMap<BreakClass, i64>, ReconError> {
        let started = self.begin(actor, full).await?;
        self.execute(started, full).await
    }

    /// Starts a run in the background and answers at once with its id.
    pub async fn start(&self, actor: &Actor, full: bool) -> Result<String, ReconError> {
        let started = self.begin(actor, full).await?;
        let run_id = started.run_id.clone();
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.execute(started, full).await;
        });
        Ok(run_id)
    }

    /// Runs every `interval` until `stop` changes; a run already under way elsewhere is skipped.
    pub async fn schedule(self, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let actor = Actor { user_id: None, label: "schedule".into(), ip: None };
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            // Every instance keeps this schedule; one that finds a run started elsewhere within
            // the interval leaves it at that.
            let recent = recon_runs::recent(&self.db, 1).await.ok().and_then(|runs| runs.into_iter().next());
            if recent.is_some_and(|r| now_ms() - r.started_at < interval.as_millis() as i64 / 2) {
                continue;
            }
            match self.run(&actor, false).await {
                Ok(_) | Err(ReconError::AlreadyRunning) => {}
                Err(e) => tracing::warn!(error = %e, "scheduled reconciliation"),
            }
        }
    }
}

fn run_view(row: recon_runs::RunRow) -> RunView {
    let breaks: BTreeMap<String, i64> = serde_json::from_str(&row.breaks_json).unwrap_or_default();
    RunView {
        id: row.id,
        started_at: format_ms(row.started_at),
        finished_at: row.finished_at.map(format_ms),
        duration_ms: row.finished_at.map(|f| f - row.started_at),
        started_by: row.started_by,
        full_scan: row.full_scan,
        status: row.status,
        phase: row.phase,
        records_read: row.records_read,
        breaks: breaks.into_iter().filter_map(|(c, n)| c.parse().ok().map(|c| (c, n))).collect(),
        error: row.error,
    }
}

pub async fn start_run(reconciler: &Reconciler, actor: &Actor, full: bool) -> Result<RunView, AppError> {
    let run_id = reconciler.start(actor, full).await?;
    let db = &reconciler.db;
    let mut tx = db.begin_write().await?;
    let event = AuditEvent { action: "recon.run", target: &format!("recon_run:{run_id}"), before: None, after: Some(serde_json::json!({ "full_scan": full })) };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    let row = recon_runs::find(db, &run_id).await?.ok_or_else(|| AppError::not_found("run"))?;
    Ok(run_view(row))
}

/// The queue's counts by class and age, and the runs; `interval` is how often runs start.
pub async fn summary(db: &Db, interval: Duration) -> Result<ReconSummary, AppError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let counts = recon_cases::live_counts(&mut tx, now).await?;
    tx.commit().await?;
    let mut cells: BTreeMap<(BreakClass, AgeBucket), i64> = BTreeMap::new();
    let (mut open, mut ignored) = (0, 0);
    for (class, state, days, n) in counts {
        *cells.entry((class, AgeBucket::of_age(days * 86_400_000))).or_insert(0) += n;
        match state {
            CaseState::Ignored => ignored += n,
            _ => open += n,
        }
    }
    let runs: Vec<RunView> = recon_runs::recent(db, 20).await?.into_iter().map(run_view).collect();
    let current_run = runs.iter().find(|r| r.status == RunStatus::Running).cloned();
    Ok(ReconSummary {
        cells: cells.into_iter().map(|((class, bucket), count)| SummaryCell { class, bucket, count }).collect(),
        open,
        ignored,
        current_run,
        recent_runs: runs,
        interval_minutes: (interval.as_secs() / 60) as i64,
    })
}
