//! `GET /accounts/{id}/statement/export?from=&to=`: an account's statement for a period as a CSV
//! file, streamed a chunk at a time: an opening line per currency, every line in the order
//! money moved with its running balance, a closing line per currency.

use super::caller::Caller;
use super::csv::{csv_line, download, refusal};
use crate::domain::ledger::StatementLine;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::db::Db;
use crate::server::db::accounts::{self, StatementWindow};
use crate::server::ledger::queries::StatementPeriod;
use crate::server::ledger::statement::period_of;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use std::collections::HashMap;

const HEADER: &str = "occurred_at,recorded_at,transaction_id,kind,counterparty_ref,counterparty,description,currency,amount,balance\n";
/// Lines read per query while the file streams: memory stays flat however long the period.
const CHUNK: i64 = 500;

#[derive(Deserialize)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/accounts/{id}/statement/export", get(export))
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>, Query(asked): Query<Period>) -> Response {
    let checked = async {
        caller.authorize(Role::Viewer)?;
        let period = period_of(&state.db, &id, asked.from, asked.to).await?;
        let window = StatementWindow { from_ms: period.from_ms, to_ms: period.to_ms, after: None, limit: 1 };
        let (totals, _) = accounts::statement(&state.db, &id, &window).await?;
        Ok::<_, AppError>((period, totals))
    };
    match checked.await {
        Ok((period, totals)) => {
            let edge = |what: &str, day: &str, currency: &str, balance: &str| {
                let mut cells = vec![String::new(); 10];
                (cells[0], cells[3], cells[7], cells[9]) = (day.into(), what.into(), currency.into(), balance.into());
                csv_line(&cells)
            };
            let opening: String =
                HEADER.to_string() + &totals.iter().map(|t| edge("opening_balance", &period.from, &t.currency, &t.opening)).collect::<String>();
            let closing: String = totals.iter().map(|t| edge("closing_balance", &period.to, &t.currency, &t.closing)).collect();
            let running = totals.iter().map(|t| (t.currency.clone(), t.opening_minor)).collect();
            let name = format!("statement-{}-{}.csv", period.from, period.to);
            let file = stream::once(async { Ok(opening) }).chain(chunks(state.db.clone(), id, period, running)).chain(stream::once(async { Ok(closing) }));
            download(&name, file)
        }
        Err(e) => refusal(e),
    }
}

/// The period's lines, a chunk per query, each chunk starting after the last line of the one
/// before and carrying its running balances.
fn chunks(db: Db, account_id: String, period: StatementPeriod, running: HashMap<String, i64>) -> impl Stream<Item = Result<String, sqlx::Error>> {
    stream::try_unfold(Some((None::<(i64, String)>, running)), move |state| {
        let (db, account_id) = (db.clone(), account_id.clone());
        let (from_ms, to_ms) = (period.from_ms, period.to_ms);
        async move {
            let Some((after, mut running)) = state else { return Ok(None) };
            let window = StatementWindow { from_ms, to_ms, after: after.as_ref().map(|(at, id)| (*at, id.as_str())), limit: CHUNK };
            let chunk = accounts::statement_chunk(&db, &account_id, &window, &mut running).await?;
            let text: String = chunk.lines.iter().map(line).collect();
            Ok(Some((text, chunk.next.map(|cursor| (Some(cursor), running)))))
        }
    })
}

fn line(l: &StatementLine) -> String {
    csv_line(&[
        l.occurred_at.clone(),
        l.recorded_at.clone().unwrap_or_default(),
        l.transaction_id.clone(),
        l.kind.as_str().into(),
        l.counterparty_ref.clone(),
        l.counterparty_name.clone(),
        l.description.clone(),
        l.currency.clone(),
        l.amount.clone(),
        l.balance.clone(),
    ])
}
