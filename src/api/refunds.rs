//! Refunds: what a payment has left to refund, the dialog's preview and request (confirmed),
//! approval by a second admin above the currency's threshold, the Refunds page, and the top
//! bar's transaction search. Viewers read; support requests; admins approve.

use crate::domain::AppError;
use crate::domain::refunds::{RefundFilter, RefundPage, RefundPreview, RefundView, Refundable, SearchHit};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::say,
    crate::server::refunds::{self, RefundInput},
};

#[server(prefix = "/rpc", endpoint = "refundable", output = crate::api::codec::Json)]
pub async fn get_refundable(payment_id: String) -> Result<Refundable, AppError> {
    guarded(Role::Viewer, |ctx| async move { refunds::refundable(&ctx.state.db, ctx.user.role, &payment_id).await }).await
}

/// What the refund would move; nothing moves.
#[server(prefix = "/rpc", endpoint = "preview_refund", output = crate::api::codec::Json)]
pub async fn preview_refund(
    payment_id: String,
    amount: String,
    reason: String,
    note: Option<String>,
    payer: Option<String>,
) -> Result<RefundPreview, AppError> {
    guarded(Role::Support, |ctx| async move {
        let input = RefundInput { payment_id, amount, reason, note: non_empty(note), payer: non_empty(payer) };
        refunds::preview(&ctx.state.db, ctx.user.role, &input).await
    })
    .await
}

/// Posts the refund, or files it for approval when it is above the currency's threshold;
/// `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "request_refund", output = crate::api::codec::Json)]
pub async fn request_refund(
    payment_id: String,
    amount: String,
    reason: String,
    note: Option<String>,
    payer: Option<String>,
    confirm: Option<String>,
) -> Result<RefundView, AppError> {
    guarded(Role::Support, |ctx| async move {
        confirmed(confirm)?;
        let input = RefundInput { payment_id, amount, reason, note: non_empty(note), payer: non_empty(payer) };
        refunds::request(&ctx.state.db, &ctx.actor(), ctx.user.role, ctx.state.config.refund_approval_expiry, &input).await
    })
    .await
}

/// `decision` is `approve` (posts it; `confirm=yes` required) or `reject` (a note is required).
/// The requester cannot decide their own refund.
#[server(prefix = "/rpc", endpoint = "decide_refund", output = crate::api::codec::Json)]
pub async fn decide_refund(id: String, decision: String, note: Option<String>, confirm: Option<String>) -> Result<RefundView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let approve = match decision.trim() {
            "approve" => {
                confirmed(confirm)?;
                true
            }
            "reject" => false,
            _ => return Err(AppError::validation("decision", say!("choose approve or reject", "承認または却下を選択してください"))),
        };
        refunds::decide(&ctx.state.db, &ctx.actor(), &id, approve, non_empty(note)).await
    })
    .await
}

/// The requester takes back a refund still awaiting approval.
#[server(prefix = "/rpc", endpoint = "withdraw_refund", output = crate::api::codec::Json)]
pub async fn withdraw_refund(id: String) -> Result<RefundView, AppError> {
    guarded(Role::Support, |ctx| async move { refunds::withdraw(&ctx.state.db, &ctx.actor(), &id).await }).await
}

#[server(prefix = "/rpc", endpoint = "list_refunds", output = crate::api::codec::Json)]
pub async fn list_refunds(#[server(default)] filter: RefundFilter, after: Option<String>) -> Result<RefundPage, AppError> {
    guarded(Role::Viewer, |ctx| async move { refunds::page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

/// How many refunds await approval (the navigation's count).
#[server(prefix = "/rpc", endpoint = "pending_approvals", output = crate::api::codec::Json)]
pub async fn pending_approvals() -> Result<i64, AppError> {
    guarded(Role::Viewer, |ctx| async move { refunds::pending_count(&ctx.state.db).await }).await
}

/// Transactions whose id, external reference, Payment Record, account (reference or name) or
/// exact amount match `q`; at most 20, newest first.
#[server(prefix = "/rpc", endpoint = "search_transactions", output = crate::api::codec::Json)]
pub async fn search_transactions(q: String) -> Result<Vec<SearchHit>, AppError> {
    guarded(Role::Viewer, |ctx| async move { refunds::search(&ctx.state.db, &q).await }).await
}
