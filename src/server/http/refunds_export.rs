//! `GET /refunds/export`: the filtered refunds as a CSV file, streamed a chunk at a time.

use super::caller::Caller;
use super::csv::{csv_line, download, refusal};
use crate::domain::refunds::{RefundFilter, RefundView};
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::db::Db;
use crate::server::db::refunds::RefundQuery;
use crate::server::refunds;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt, stream};
use std::sync::Arc;

const HEADER: &str = "refund_id,requested_at,payment_id,payment_ref,refund_transaction_id,account,merchant,amount,currency,fiat,reason,note,payer,stage,stripe_error,source,requested_by,decided_by,decided_at,decision_note\n";
/// Refunds read per query while the file streams: memory stays flat however many match.
const CHUNK: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/refunds/export", get(export))
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<RefundFilter>) -> Response {
    let checked = async {
        caller.authorize(Role::Viewer)?;
        refunds::parse_filter(&state.db, &filter).await
    };
    match checked.await {
        Ok(query) => {
            let header = stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) });
            let lines = header.chain(chunks(state.db.clone(), Arc::new(query)));
            download("regio-refunds.csv", lines)
        }
        Err(e) => refusal(e),
    }
}

enum Cursor {
    Start,
    After(i64, String),
    Done,
}

fn chunks(db: Db, query: Arc<RefundQuery>) -> impl Stream<Item = Result<Bytes, AppError>> {
    stream::try_unfold(Cursor::Start, move |cursor| {
        let (db, query) = (db.clone(), query.clone());
        async move {
            let before = match cursor {
                Cursor::Done => return Ok(None),
                Cursor::Start => None,
                Cursor::After(at, id) => Some((at, id)),
            };
            let (rows, last) = refunds::chunk(&db, &query, before, CHUNK).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let next = last.map_or(Cursor::Done, |(at, id)| Cursor::After(at, id));
            Ok(Some((Bytes::from(rows.iter().map(line).collect::<String>()), next)))
        }
    })
}

fn line(r: &RefundView) -> String {
    csv_line(&[
        r.id.clone(),
        r.requested_at.clone(),
        r.payment_id.clone(),
        r.payment_ref.clone(),
        r.transaction_id.clone().unwrap_or_default(),
        r.account.clone(),
        r.merchant.clone(),
        r.amount.clone(),
        r.currency.clone(),
        r.fiat.clone(),
        r.reason.map(|x| x.as_str().to_string()).unwrap_or_default(),
        r.note.clone().unwrap_or_default(),
        r.payer.as_str().into(),
        r.stage.as_str().into(),
        r.stripe_error.clone().unwrap_or_default(),
        r.source.clone(),
        r.requested_by.clone(),
        r.decided_by.clone().unwrap_or_default(),
        r.decided_at.clone().unwrap_or_default(),
        r.decision_note.clone().unwrap_or_default(),
    ])
}
