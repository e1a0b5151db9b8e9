//! `GET /reconciliation/export`: the filtered cases as a CSV file, for spreadsheets and auditors.
//! A plain route (not a server function) so the browser downloads it as a file.

use super::caller::Caller;
use super::csv::{csv_line, download, refusal};
use crate::domain::recon::CaseFilter;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::db::recon_cases::{self, CaseQuery, CaseRecord};
use crate::server::db::{Db, now_ms};
use crate::server::recon::case::{exponents, parse_filter, row_of};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt, stream};
use std::collections::HashMap;
use std::sync::Arc;

const HEADER: &str = "case_id,class,state,age,first_seen,last_seen,transaction_id,record_id,account_id,account,amount,currency,summary,assignee\n";
/// Cases read per query while the file streams: memory stays flat however many cases match.
const CHUNK: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reconciliation/export", get(export))
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<CaseFilter>) -> Response {
    match lines(&state, &caller, &filter).await {
        Ok(lines) => download("regio-cases.csv", lines).into_response(),
        Err(e) => refusal(e),
    }
}

/// Checks the caller and the filter (so a refusal is a proper error status), then the file as a
/// stream: the header line, then one chunk of lines per page of cases.
async fn lines(state: &AppState, caller: &Caller, filter: &CaseFilter) -> Result<impl Stream<Item = Result<Bytes, sqlx::Error>> + use<>, AppError> {
    caller.authorize(Role::Viewer)?;
    let query = Arc::new(parse_filter(&state.db, filter).await?);
    let exponents = Arc::new(exponents(&state.db).await?);
    let header = stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) });
    Ok(header.chain(pages(state.db.clone(), query, exponents, now_ms())))
}

enum Cursor {
    Start,
    After(i64, String),
    Done,
}

/// Pages of cases in queue order, each read in its own short transaction and keyed on the last
/// case of the page before, so a case is written once even if the queue changes meanwhile.
fn pages(db: Db, query: Arc<CaseQuery>, exponents: Arc<HashMap<String, u32>>, now: i64) -> impl Stream<Item = Result<Bytes, sqlx::Error>> {
    stream::try_unfold(Cursor::Start, move |cursor| {
        let (db, query, exponents) = (db.clone(), query.clone(), exponents.clone());
        async move {
            let after = match cursor {
                Cursor::Done => return Ok(None),
                Cursor::Start => None,
                Cursor::After(first_seen, id) => Some((first_seen, id)),
            };
            let mut tx = db.begin_snapshot().await?;
            let cases = recon_cases::page(&mut tx, &query, after, CHUNK).await?;
            tx.commit().await?;
            let next = match cases.last() {
                Some(last) if cases.len() as i64 == CHUNK => Cursor::After(last.first_seen, last.id.clone()),
                Some(_) => Cursor::Done,
                None => return Ok(None),
            };
            let chunk: String = cases.iter().map(|case| line(case, &exponents, now)).collect();
            Ok(Some((Bytes::from(chunk), next)))
        }
    })
}

fn line(case: &CaseRecord, exponents: &HashMap<String, u32>, now: i64) -> String {
    let r = row_of(case, exponents, now);
    let fields = [
        r.id,
        r.class.as_str().into(),
        r.state.as_str().into(),
        r.age.as_str().into(),
        r.first_seen,
        r.last_seen,
        r.transaction_id.unwrap_or_default(),
        r.record_id.unwrap_or_default(),
        r.account_id.unwrap_or_default(),
        r.account_name.unwrap_or_default(),
        r.amount,
        r.currency,
        r.summary,
        r.assignee.unwrap_or_default(),
    ];
    csv_line(&fields)
}
