//! `GET /transactions/export`: the transactions list's filtered rows as a CSV file, newest
//! first, streamed a page at a time with the list's own keyset cursor, so memory stays flat
//! however many rows match.

use super::caller::Caller;
use super::csv::{csv_line, download, refusal};
use crate::domain::ledger::TransactionView;
use crate::domain::money::format_amount;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::db::Db;
use crate::server::db::ledger::{self, TransactionFilter};
use crate::server::ledger::queries::{TransactionQuery, transaction_filter};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt, stream};

const HEADER: &str = "transaction_id,occurred_at,kind,external_ref,from_account,to_account,amount,currency,fiat_amount,fiat_currency,mirror_state,payment_record,stripe_guaranteed,stripe_refunded,corrects,description,source\n";
/// Rows read per query while the file streams (the most the list query reads at once).
const CHUNK: i64 = 1000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/transactions/export", get(export))
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(asked): Query<TransactionQuery>) -> Response {
    let checked = async {
        caller.authorize(Role::Viewer)?;
        transaction_filter(&state.db, TransactionQuery { before: None, ..asked }, CHUNK).await
    };
    match checked.await {
        Ok(filter) => {
            let header = stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) });
            let lines = header.chain(pages(state.db.clone(), filter));
            download("regio-transactions.csv", lines)
        }
        Err(e) => refusal(e),
    }
}

/// Page after page of the list until its cursor runs out; `None` as the state means done.
fn pages(db: Db, first: TransactionFilter) -> impl Stream<Item = Result<Bytes, AppError>> {
    stream::try_unfold(Some(first), move |filter| {
        let db = db.clone();
        async move {
            let Some(filter) = filter else { return Ok(None) };
            let (rows, next) = ledger::list_views(&db, &filter).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let following = next.map(|cursor| TransactionFilter { before: Some(cursor), ..filter });
            Ok(Some((Bytes::from(rows.iter().map(line).collect::<String>()), following)))
        }
    })
}

fn line(t: &TransactionView) -> String {
    let fiat =
        |minor: Option<i64>| minor.zip(t.fiat_currency.as_deref()).map(|(m, c)| format_amount(m, crate::domain::money::fiat_exponent(c))).unwrap_or_default();
    csv_line(&[
        t.id.clone(),
        t.occurred_at.clone(),
        t.kind.as_str().into(),
        t.external_ref.clone(),
        t.from_account.clone(),
        t.to_account.clone(),
        t.amount.clone(),
        t.currency.clone(),
        fiat(t.fiat_amount_minor),
        t.fiat_currency.clone().unwrap_or_default().to_uppercase(),
        t.mirror_state.as_str().into(),
        t.stripe_payment_record.clone().unwrap_or_default(),
        fiat(t.stripe_guaranteed),
        fiat(t.stripe_refunded),
        t.corrects_id.clone().unwrap_or_default(),
        t.description.clone(),
        t.source.as_str().to_string(),
    ])
}
