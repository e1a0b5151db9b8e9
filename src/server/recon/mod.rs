//! Reconciliation between the ledger and Stripe (stub: being implemented).

pub mod cases;
pub mod fixes;

use crate::domain::recon::{ReconSummary, RunView};
use crate::domain::AppError;
use crate::server::db::audit::Actor;
use crate::server::AppState;

pub async fn summary(_state: &AppState) -> Result<ReconSummary, AppError> {
    Ok(ReconSummary { cells: vec![], open: 0, ignored: 0, current_run: None, recent_runs: vec![], interval_minutes: 15 })
}

pub async fn start_run(_state: &AppState, _actor: &Actor, _full: bool) -> Result<RunView, AppError> {
    Err(AppError::conflict("not yet"))
}
