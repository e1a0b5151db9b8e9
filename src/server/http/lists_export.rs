//! The CSV files of the accounts list (`GET /accounts/export`), the audit log (`/audit/export`),
//! the users (`/users/export`) and Stripe's events (`/billing/export/events`): each the list's
//! filtered rows in the list's order, streamed a chunk at a time with the list's own keyset
//! cursor. Each asks for the role its page asks for.

use super::caller::Caller;
use super::csv::{csv_line, download, paged_download, refusal};
use crate::domain::billing::EventFilter;
use crate::domain::money::format_amount;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::billing::events::event_rows;
use crate::server::db::{accounts, audit, users};
use crate::server::ledger::queries::{AccountQuery, AuditQuery};
use crate::server::recon::case::exponents;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream;
use std::sync::Arc;

/// Rows read per query while a file streams.
const CHUNK: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts/export", get(accounts_csv))
        .route("/audit/export", get(audit_csv))
        .route("/users/export", get(users_csv))
        .route("/billing/export/events", get(events_csv))
}

const ACCOUNTS_HEADER: &str = "account_id,external_ref,display_name,kind,status,stripe_customer,currency,balance\n";

/// A line per balance, so each amount has its currency beside it; an account holding none has
/// one line with both left empty.
async fn accounts_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(asked): Query<AccountQuery>) -> Response {
    let checked = async {
        caller.authorize(Role::Viewer)?;
        asked.clone().filter(None, CHUNK)?;
        Ok::<_, AppError>(Arc::new(exponents(&state.db).await?))
    };
    let exponents = match checked.await {
        Ok(exponents) => exponents,
        Err(e) => return refusal(e),
    };
    let db = state.db.clone();
    paged_download("regio-accounts.csv", ACCOUNTS_HEADER, move |after| {
        let (db, asked, exponents) = (db.clone(), asked.clone(), exponents.clone());
        async move {
            let listing = accounts::list(&db, &asked.filter(after, CHUNK)?).await?;
            let mut text = String::new();
            for a in &listing.accounts {
                let account = [a.id.clone(), a.external_ref.clone(), a.display_name.clone(), a.kind.as_str().into(), a.status.as_str().into()];
                let customer = a.stripe_customer_id.clone().unwrap_or_default();
                let balances: Vec<(String, String)> = a
                    .balances
                    .iter()
                    .map(|(currency, minor)| (currency.clone(), format_amount(*minor, exponents.get(currency).copied().unwrap_or(0))))
                    .collect();
                for (currency, balance) in if balances.is_empty() { vec![(String::new(), String::new())] } else { balances } {
                    let mut fields = account.to_vec();
                    fields.extend([customer.clone(), currency, balance]);
                    text.push_str(&csv_line(&fields));
                }
            }
            Ok((text, listing.next))
        }
    })
}

const AUDIT_HEADER: &str = "event_id,at,actor,action,target,before,after,ip\n";

async fn audit_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(asked): Query<AuditQuery>) -> Response {
    if let Err(e) = caller.authorize(Role::Admin).and_then(|_| asked.clone().filter(None, CHUNK).map(|_| ())) {
        return refusal(e);
    }
    let db = state.db.clone();
    paged_download("regio-audit.csv", AUDIT_HEADER, move |before| {
        let (db, asked) = (db.clone(), asked.clone());
        async move {
            let page = audit::list(&db, &asked.filter(before, CHUNK)?).await?;
            let text = page
                .events
                .into_iter()
                .map(|e| {
                    csv_line(&[e.id, e.at, e.actor, e.action, e.target, e.before.unwrap_or_default(), e.after.unwrap_or_default(), e.ip.unwrap_or_default()])
                })
                .collect();
            Ok((text, page.next_cursor))
        }
    })
}

const USERS_HEADER: &str = "user_id,email,name,role,disabled,language,utc_offset_minutes\n";

/// Every user: a console has tens of them, so the file is written at once.
async fn users_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    let listed = async {
        caller.authorize(Role::Admin)?;
        Ok::<_, AppError>(users::list(&state.db).await?)
    };
    match listed.await {
        Ok(rows) => {
            let mut text = String::from(USERS_HEADER);
            for u in rows {
                let language = u.locale.map(|l| l.as_str().to_string()).unwrap_or_default();
                let offset = u.utc_offset.map(|m| m.to_string()).unwrap_or_default();
                text.push_str(&csv_line(&[u.id, u.email, u.name, u.role.as_str().into(), u.disabled.to_string(), language, offset]));
            }
            download("regio-users.csv", stream::once(async { Ok::<_, AppError>(text) }))
        }
        Err(e) => refusal(e),
    }
}

const EVENTS_HEADER: &str = "event_id,type,object,created_at,received_at,via,state,attempts,processed_at,result,error\n";

async fn events_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<EventFilter>) -> Response {
    let checked = async {
        caller.authorize(Role::Admin)?;
        event_rows(&state.db, &filter, None, 1).await.map(|_| ())
    };
    if let Err(e) = checked.await {
        return refusal(e);
    }
    let db = state.db.clone();
    paged_download("regio-stripe-events.csv", EVENTS_HEADER, move |after| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let (rows, next) = event_rows(&db, &filter, after, CHUNK as usize).await?;
            let text = rows
                .into_iter()
                .map(|e| {
                    csv_line(&[
                        e.id,
                        e.kind,
                        e.object_id.unwrap_or_default(),
                        e.created_at,
                        e.received_at,
                        e.via.as_str().into(),
                        e.state.as_str().into(),
                        e.attempts.to_string(),
                        e.processed_at.unwrap_or_default(),
                        e.result.unwrap_or_default(),
                        e.error.unwrap_or_default(),
                    ])
                })
                .collect();
            Ok((text, next))
        }
    })
}
