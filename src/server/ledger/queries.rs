//! Turning the transactions page's text filters into a query, with errors that name the field.

use crate::domain::AppError;
use crate::domain::ledger::{MirrorState, TransactionKind, TransactionPage};
use crate::domain::money::parse_amount;
use crate::server::db::ledger::{self, TransactionFilter};
use crate::server::db::{Db, accounts, currencies};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Clone)]
pub struct TransactionQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    /// An account's external reference.
    pub account: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub mirror_state: Option<String>,
    pub before: Option<String>,
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Midnight UTC of a `YYYY-MM-DD` day, in ms.
pub fn day_start_ms(field: &str, date: &str) -> Result<i64, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, &format).map_err(|_| AppError::validation(field, "use a date like 2026-11-26"))?;
    Ok(day.midnight().assume_utc().unix_timestamp() * 1000)
}

pub async fn transactions_page(db: &Db, q: TransactionQuery, live: bool) -> Result<TransactionPage, AppError> {
    // Amount filters are in the local currency; with several currencies the finest exponent
    // reads every amount a person can type.
    let exponent = currencies::list(db).await?.iter().map(|c| c.exponent).max().unwrap_or(0);
    let amount = |field: &str, raw: Option<String>| -> Result<Option<i64>, AppError> {
        given(raw).map(|r| parse_amount(&r, exponent).map_err(|e| AppError::validation(field, e.to_string()))).transpose()
    };
    let account_id = match given(q.account) {
        None => None,
        // An unknown account matches nothing, which the page shows as an empty result.
        Some(reference) => Some(accounts::find_by_external_ref(db, &reference).await?.map(|a| a.id).unwrap_or_default()),
    };
    let filter = TransactionFilter {
        from_ms: given(q.from).map(|d| day_start_ms("from", &d)).transpose()?,
        to_ms: given(q.to).map(|d| day_start_ms("to", &d).map(|ms| ms + 86_400_000)).transpose()?,
        kind: given(q.kind).map(|k| k.parse::<TransactionKind>().map_err(|e| AppError::validation("kind", e))).transpose()?,
        account_id,
        min_amount: amount("min_amount", q.min_amount)?,
        max_amount: amount("max_amount", q.max_amount)?,
        mirror_state: given(q.mirror_state).map(|s| s.parse::<MirrorState>().map_err(|e| AppError::validation("mirror_state", e))).transpose()?,
        before: given(q.before),
        limit: PAGE_SIZE,
    };
    let (rows, next_cursor) = ledger::list_views(db, &filter).await?;
    Ok(TransactionPage { rows, next_cursor, live })
}
