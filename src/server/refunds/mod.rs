//! Refunds issued from the console: checked and posted (or filed for approval) in one write
//! transaction, approved by a second admin above the currency's threshold.

use crate::domain::refunds::{RefundFilter, RefundPage, RefundPreview, RefundView, Refundable, SearchHit};
use crate::domain::{AppError, Role};
use crate::server::db::Db;
use crate::server::db::audit::Actor;
use std::time::Duration;

/// A refund as the dialog sends it, before it is parsed.
pub struct RefundInput {
    pub payment_id: String,
    pub amount: String,
    pub reason: String,
    pub note: Option<String>,
    pub payer: Option<String>,
}

fn not_yet() -> AppError {
    AppError::conflict("Refunds from the console are not built yet.")
}

pub async fn refundable(_db: &Db, _role: Role, _payment_id: &str) -> Result<Refundable, AppError> {
    Err(not_yet())
}

pub async fn preview(_db: &Db, _role: Role, _input: &RefundInput) -> Result<RefundPreview, AppError> {
    Err(not_yet())
}

pub async fn request(_db: &Db, _actor: &Actor, _role: Role, _expiry: Duration, _input: &RefundInput) -> Result<RefundView, AppError> {
    Err(not_yet())
}

pub async fn decide(_db: &Db, _actor: &Actor, _id: &str, _approve: bool, _note: Option<String>) -> Result<RefundView, AppError> {
    Err(not_yet())
}

pub async fn withdraw(_db: &Db, _actor: &Actor, _id: &str) -> Result<RefundView, AppError> {
    Err(not_yet())
}

pub async fn page(_db: &Db, _filter: &RefundFilter, _after: Option<String>) -> Result<RefundPage, AppError> {
    Err(not_yet())
}

pub async fn pending_count(_db: &Db) -> Result<i64, AppError> {
    Ok(0)
}

pub async fn search(_db: &Db, _q: &str) -> Result<Vec<SearchHit>, AppError> {
    Ok(Vec::new())
}
