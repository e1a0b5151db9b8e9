//! Billing's CSV files: `GET /billing/export/invoices` and `/billing/export/subscriptions`, the
//! pages' filtered rows streamed a chunk at a time; `GET /billing/export/reminders`, the members
//! to remind to top up. (No dot in the paths: a last segment with one is a static file, which
//! the caller middleware does not identify.)

use super::caller::Caller;
use super::csv::{csv_line, download, paged_download, refusal};
use crate::domain::billing::{InvoiceFilter, InvoiceRow, SubscriptionFilter};
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::billing::{self, dunning, plans};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream;

const HEADER: &str = "invoice_id,stripe_id,number,member_ref,member,status,origin,local_total,fiat_total,fiat_remaining,due_date,created_at\n";
const CHUNK: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/export/invoices", get(export))
        .route("/billing/export/subscriptions", get(subscriptions))
        .route("/billing/export/reminders", get(reminders))
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
            download("regio-topup-reminders.csv", stream::once(async { Ok::<_, AppError>(text) }))
        }
        Err(e) => refusal(e),
    }
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
    paged_download("regio-invoices.csv", HEADER, move |after| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let rows = billing::export_page(&db, &filter, after, CHUNK).await?;
            let next = (rows.len() > CHUNK).then(|| rows.get(CHUNK - 1).map(|r| (r.invoice.created_at, r.invoice.id.clone()))).flatten();
            Ok((rows.into_iter().take(CHUNK).map(|r| line(&billing::row_of(r))).collect(), next))
        }
    })
}

const SUBSCRIPTIONS_HEADER: &str =
    "subscription_id,stripe_id,member_ref,member,plan,quantity,status,cancel_at_period_end,next_invoice_date,next_amount,created_at\n";

async fn subscriptions(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<SubscriptionFilter>) -> Response {
    if let Err(e) = caller.authorize(Role::Viewer) {
        return refusal(e);
    }
    let db = state.db.clone();
    paged_download("regio-subscriptions.csv", SUBSCRIPTIONS_HEADER, move |after| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let (rows, next) = plans::export_page(&db, &filter, after, CHUNK).await?;
            let text = rows
                .into_iter()
                .map(|s| {
                    csv_line(&[
                        s.id,
                        s.stripe_id.unwrap_or_default(),
                        s.account_ref,
                        s.member,
                        s.plan,
                        s.quantity.to_string(),
                        s.status,
                        s.cancel_at_period_end.to_string(),
                        s.next_invoice_date.unwrap_or_default(),
                        s.next_amount,
                        s.created_at,
                    ])
                })
                .collect();
            Ok((text, next))
        }
    })
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
