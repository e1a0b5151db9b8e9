//! Reconciliation: the summary and runs, the case queue, one case, and the fixes (previewed,
//! then confirmed). Reading is for viewers; running and fixing for support and admins.

use crate::domain::AppError;
use crate::domain::recon::{BulkPreview, CaseDetail, CaseFilter, CasePage, FixPreview, ReconSummary, RunView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{choice, confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::domain::recon::FixKind,
    crate::say,
    crate::server::recon,
};

#[cfg(feature = "ssr")]
fn fix_kind(kind: String) -> Result<FixKind, AppError> {
    choice("kind", Some(kind))?.ok_or_else(|| AppError::validation("kind", say!("choose a fix", "修正内容を選択してください")))
}

#[server(prefix = "/rpc", endpoint = "recon_summary", output = crate::api::codec::Json)]
pub async fn get_recon_summary() -> Result<ReconSummary, AppError> {
    guarded(Role::Viewer, |ctx| async move { recon::summary(&ctx.state.db, ctx.state.config.recon_interval).await }).await
}

/// Starts a run now (a full re-scan of Stripe when `full` is "true"); refused while one runs.
#[server(prefix = "/rpc", endpoint = "run_recon", output = crate::api::codec::Json)]
pub async fn run_recon(full: Option<String>) -> Result<RunView, AppError> {
    guarded(Role::Support, |ctx| async move {
        let full = non_empty(full).is_some_and(|f| f == "true");
        recon::start_run(&recon::Reconciler::from_state(&ctx.state), &ctx.actor(), full).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_cases", output = crate::api::codec::Json)]
pub async fn list_cases(#[server(default)] filter: CaseFilter, after: Option<String>) -> Result<CasePage, AppError> {
    guarded(Role::Viewer, |ctx| async move { recon::case::page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

#[server(prefix = "/rpc", endpoint = "case_detail", output = crate::api::codec::Json)]
pub async fn get_case(id: String) -> Result<CaseDetail, AppError> {
    guarded(Role::Viewer, |ctx| async move { recon::case::detail(&ctx.state.db, ctx.state.stripe.as_ref(), &id).await }).await
}

/// Assigns the case to a user (an empty `user_id` unassigns it).
#[server(prefix = "/rpc", endpoint = "assign_case", output = crate::api::codec::Json)]
pub async fn assign_case(id: String, user_id: Option<String>) -> Result<(), AppError> {
    guarded(Role::Support, |ctx| async move { recon::case::assign(&ctx.state.db, &ctx.actor(), &id, non_empty(user_id)).await }).await
}

#[server(prefix = "/rpc", endpoint = "add_case_remark", output = crate::api::codec::Json)]
pub async fn add_case_remark(id: String, remark: String) -> Result<(), AppError> {
    guarded(Role::Support, |ctx| async move {
        let remark = non_empty(Some(remark)).ok_or_else(|| AppError::validation("remark", say!("write a remark", "内容を入力してください")))?;
        recon::case::remark(&ctx.state.db, &ctx.actor(), &id, &remark).await
    })
    .await
}

/// What a fix would write and send, without doing it.
#[server(prefix = "/rpc", endpoint = "preview_fix", output = crate::api::codec::Json)]
pub async fn preview_fix(id: String, kind: String, transaction_id: Option<String>) -> Result<FixPreview, AppError> {
    guarded(Role::Support, |ctx| async move { recon::case::fixes::preview(&ctx.state.db, &id, fix_kind(kind)?, non_empty(transaction_id).as_deref()).await })
        .await
}

/// Applies a fix once the person has seen its preview and ticked the confirmation.
#[server(prefix = "/rpc", endpoint = "apply_fix", output = crate::api::codec::Json)]
pub async fn apply_fix(id: String, kind: String, transaction_id: Option<String>, reason: Option<String>, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Support, |ctx| async move {
        confirmed(confirm)?;
        let request = recon::case::fixes::FixRequest { kind: fix_kind(kind)?, transaction_id: non_empty(transaction_id), reason: non_empty(reason) };
        recon::case::fixes::apply(&ctx.state.db, &ctx.actor(), &id, request).await
    })
    .await
}

/// How many of the filtered cases a bulk fix would touch, and their total.
#[server(prefix = "/rpc", endpoint = "preview_bulk_fix", output = crate::api::codec::Json)]
pub async fn preview_bulk_fix(#[server(default)] filter: CaseFilter, kind: String) -> Result<BulkPreview, AppError> {
    guarded(Role::Support, |ctx| async move { recon::case::fixes::bulk_preview(&ctx.state.db, &filter, fix_kind(kind)?).await }).await
}

/// Applies a fix to every filtered case it fits. `expected_count` is the preview's count: when
/// the selection changed since, nothing is done and the person sees the new preview.
#[server(prefix = "/rpc", endpoint = "apply_bulk_fix", output = crate::api::codec::Json)]
pub async fn apply_bulk_fix(
    #[server(default)] filter: CaseFilter,
    kind: String,
    reason: Option<String>,
    expected_count: i64,
    confirm: Option<String>,
) -> Result<i64, AppError> {
    guarded(Role::Support, |ctx| async move {
        confirmed(confirm)?;
        recon::case::fixes::bulk_apply(&ctx.state.db, &ctx.actor(), &filter, fix_kind(kind)?, non_empty(reason), expected_count).await
    })
    .await
}
