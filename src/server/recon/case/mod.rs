//! Reconciliation cases: the queue and one case (`detail`: the ledger and Stripe side by side,
//! its history, candidates for an orphan record) and the fixes that apply (`fixes`). What both
//! need lives here: reading a filter, loading a case with its pair, and recording a change.

mod detail;
pub mod fixes;

pub use detail::{assign, detail, page, remark};

use crate::domain::AppError;
use crate::domain::Message;
use crate::domain::ledger::TransactionKind;
use crate::domain::money::format_amount;
use crate::domain::recon::{AgeBucket, CaseFilter, CaseRow};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::recon_cases::{self, CaseQuery, CaseRecord};
use crate::server::db::recon_compare::{self, Pair};
use crate::server::db::stripe_records::{self, StoredRecord};
use crate::server::db::{Db, DbTx, WriteTx, currencies, format_ms, now_ms};
use crate::server::ledger::queries::amount_range;
use std::collections::HashMap;

fn choice<T: std::str::FromStr<Err = String>>(field: &str, value: &Option<String>) -> Result<Option<T>, AppError> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
    value.map(|v| v.parse().map_err(|e: String| AppError::validation(field, e))).transpose()
}

/// Reads a queue filter as people fill it in; errors name the field.
pub async fn parse_filter(db: &Db, filter: &CaseFilter) -> Result<CaseQuery, AppError> {
    let text = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let amounts = amount_range(&currencies::list(db).await?, filter.currency.clone(), filter.min_amount.clone(), filter.max_amount.clone())?;
    let age: Option<AgeBucket> = choice("age", &filter.age)?;
    Ok(CaseQuery {
        class: choice("class", &filter.class)?,
        age_days: age.map(AgeBucket::day_range),
        state: choice("state", &filter.state)?,
        assignee: text(&filter.assignee).map(|a| Some(a).filter(|a| a != "none")),
        account_id: text(&filter.account),
        currency: amounts.currency,
        min_amount: amounts.min,
        max_amount: amounts.max,
        now: now_ms(),
    })
}

/// Minor-unit exponents by currency code, to format case amounts each in its own currency.
pub async fn exponents(db: &Db) -> Result<HashMap<String, u32>, sqlx::Error> {
    Ok(currencies::list(db).await?.into_iter().map(|c| (c.code, c.exponent)).collect())
}

pub fn row_of(case: &CaseRecord, exponents: &HashMap<String, u32>, now: i64) -> CaseRow {
    CaseRow {
        id: case.id.clone(),
        class: case.class,
        state: case.state,
        transaction_id: case.transaction_id.clone(),
        record_id: case.record_id.clone(),
        account_id: case.account_id.clone(),
        account_name: case.account_name.clone(),
        amount: format_amount(case.amount.minor, exponents.get(&case.amount.currency).copied().unwrap_or(0)),
        currency: case.amount.currency.clone(),
        summary: case.summary.clone(),
        differs: case.differs.clone(),
        first_seen: format_ms(case.first_seen),
        last_seen: format_ms(case.last_seen),
        age: AgeBucket::of_age(now - case.first_seen),
        assignee: case.assignee_name.clone(),
    }
}

/// A case with the pair it is about (the transaction beside the record named, or its first)
/// and that record as the snapshot holds it.
pub async fn load(tx: &mut DbTx, id: &str) -> Result<(CaseRecord, Option<Pair>, Option<StoredRecord>), AppError> {
    let case = recon_cases::find(tx, id).await?.ok_or_else(|| AppError::not_found("case"))?;
    let pairs = match &case.transaction_id {
        Some(t) => recon_compare::pairs_of(tx, t).await?,
        None => vec![],
    };
    let pair = pairs.iter().find(|p| p.stripe.as_ref().map(|s| &s.record_id) == case.record_id.as_ref()).or(pairs.first()).cloned();
    let record_id = case.record_id.clone().or_else(|| pair.as_ref().and_then(|p| p.stripe.as_ref()).map(|s| s.record_id.clone()));
    let record = match record_id {
        Some(r) => stripe_records::find(tx, &r).await?,
        None => None,
    };
    Ok((case, pair, record))
}

/// Opens the write transaction of a change to a case, with the case as it is.
pub async fn begin_change(db: &Db, id: &str) -> Result<(WriteTx, CaseRecord), AppError> {
    let mut tx = db.begin_write().await?;
    let case = recon_cases::find(&mut tx.tx, id).await?.ok_or_else(|| AppError::not_found("case"))?;
    Ok((tx, case))
}

/// Records the change in the case's history and the audit log, and commits it.
pub async fn finish_change(
    mut tx: WriteTx,
    actor: &Actor,
    case: &CaseRecord,
    what: &str,
    detail: Message,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), AppError> {
    recon_cases::add_events(&mut tx.tx, &[(case.id.clone(), detail)], now_ms(), actor.user_id.as_deref(), &actor.label, what).await?;
    let target = format!("recon_case:{}", case.id);
    audit::record(&mut tx.tx, actor, AuditEvent { action: &format!("recon.{what}"), target: &target, before: Some(before), after: Some(after) }).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `kind` may be what an orphan is linked to.
pub fn linkable(kind: TransactionKind) -> bool {
    matches!(kind, TransactionKind::Payment | TransactionKind::InvoicePayment)
}
