//! Account statements for a period, as a bank prints them.

use super::queries::{StatementPeriod, given, parse_cursor, statement_period};
use crate::domain::AppError;
use crate::domain::ledger::StatementPage;
use crate::server::db::accounts::{self, StatementWindow};
use crate::server::db::{Db, now_ms};

/// The period asked for, of an account known to exist.
pub async fn period_of(db: &Db, account_id: &str, from: Option<String>, to: Option<String>) -> Result<StatementPeriod, AppError> {
    let period = statement_period(from, to, now_ms())?;
    match accounts::find(db, account_id).await? {
        Some(_) => Ok(period),
        None => Err(AppError::not_found("account")),
    }
}

/// One page of the statement for `from`..=`to`; `after` is the previous page's `next_cursor`.
pub async fn page(db: &Db, account_id: &str, from: Option<String>, to: Option<String>, after: Option<String>, limit: i64) -> Result<StatementPage, AppError> {
    let period = period_of(db, account_id, from, to).await?;
    let after = given(after).map(|c| parse_cursor("after", &c)).transpose()?;
    let window = StatementWindow { from_ms: period.from_ms, to_ms: period.to_ms, after: after.as_ref().map(|(at, id)| (*at, id.as_str())), limit };
    let (totals, chunk) = accounts::statement(db, account_id, &window).await?;
    let next_cursor = chunk.next.map(|(at, id)| format!("{at}_{id}"));
    Ok(StatementPage { from: period.from, to: period.to, totals, lines: chunk.lines, next_cursor })
}
