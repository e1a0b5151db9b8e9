//! Billing's CSV files: `GET /billing/invoices.csv`, the billing page's filtered invoices,
//! streamed a chunk at a time; `GET /billing/reminders.csv`, the members to remind to top up.

use super::caller::Caller;
use super::csv::csv_line;
use crate::domain::billing::{InvoiceFilter, InvoiceRow};
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::billing::{self, dunning};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{StreamExt, TryStreamExt, stream};

const HEADER: &str = "invoice_id,stripe_id,number,member_ref,member,status,origin,local_total,fiat_total,fiat_remaining,due_date,created_at\n";
const CHUNK: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/invoices.csv", get(export)).route("/billing/reminders.csv", get(reminders))
}

const REMINDERS_HEADER: &str = "member_ref,member,email,plan,next_invoice_date,next_invoice,balance,shortfall\n";

async fn reminders(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    let listed = async {
        caller.authorize(Role::Viewer)?;
        dunning::topup_reminders(&state.db).await
    };
    match listed.await {
        Ok(rows) => {
            let mut text = String::from(REMINDERS_HEADER);
            for r in rows {
                text.push_str(&csv_line(&[
                    r.account_ref,
                    r.member,
                    r.email.unwrap_or_default(),
                    r.plan,
                    r.next_invoice_date.unwrap_or_default(),
                    r.amount,
                    r.balance,
                    r.shortfall,
                ]));
            }
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"regio-topup-reminders.csv\"")], text)
                .into_response()
        }
        Err(e) => refusal(e),
    }
}

fn refusal(e: AppError) -> Response {
    (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()).into_response()
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<InvoiceFilter>) -> Response {
    if let Err(e) = caller.authorize(Role::Viewer) {
        return refusal(e);
    }
    // Checked before the file starts, so a bad filter is a 422 instead of a truncated file.
    if let Err(e) = billing::export_page(&state.db, &filter, None, 0).await {
        return refusal(e);
    }
    let db = state.db.clone();
    // `None` once the last chunk is out; otherwise where the next one starts.
    let chunks = stream::try_unfold(Some(None), move |cursor: Option<Option<(i64, String)>>| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let Some(after) = cursor else { return Ok::<_, AppError>(None) };
            let rows = billing::export_page(&db, &filter, after, CHUNK).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let next = (rows.len() > CHUNK).then(|| rows.get(CHUNK - 1).map(|r| (r.invoice.created_at, r.invoice.id.clone()))).flatten();
            let text: String = rows.into_iter().take(CHUNK).map(|r| line(&billing::row_of(r))).collect();
            Ok(Some((Bytes::from(text), next.map(Some))))
        }
    });
    let lines = stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) }).chain(chunks);
    let body = Body::from_stream(lines.inspect_err(|e| tracing::error!(error = %e, "invoices export stopped part-way")));
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"regio-invoices.csv\"")], body).into_response()
}

fn line(r: &InvoiceRow) -> String {
    csv_line(&[
        r.id.clone(),
        r.stripe_id.clone().unwrap_or_default(),
        r.number.clone().unwrap_or_default(),
        r.account_ref.clone(),
        r.member.clone(),
        r.status.as_str().into(),
        r.origin.as_str().into(),
        r.local_total.clone(),
        r.fiat_total.clone(),
        r.fiat_remaining.clone(),
        r.due_date.clone().unwrap_or_default(),
        r.created_at.clone(),
    ])
}
