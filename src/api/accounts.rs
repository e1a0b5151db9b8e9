//! Accounts: the list, one account with its statement, opening, freezing and unfreezing.

use crate::domain::AppError;
use crate::domain::ledger::{AccountPage, AccountView, StatementPage};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::domain::ledger::AccountStatus,
    crate::say,
    crate::server::db::accounts as account_rows,
    crate::server::error::internal,
    crate::server::ledger::queries::AccountQuery,
    crate::server::ledger::{accounts, statement},
};

#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;

/// Accounts by name, filtered; `after_name` and `after_id` are the previous page's `next_after`.
#[server(prefix = "/rpc", endpoint = "list_accounts", output = crate::api::codec::Json)]
pub async fn list_accounts(
    search: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    after_name: Option<String>,
    after_id: Option<String>,
) -> Result<AccountPage, AppError> {
    guarded(Role::Viewer, |ctx| async move {
        let filter = AccountQuery { search, kind, status }.filter(non_empty(after_name).zip(non_empty(after_id)), PAGE_SIZE)?;
        let listing = account_rows::list(&ctx.state.db, &filter).await?;
        Ok(AccountPage { accounts: listing.accounts, next_after: listing.next })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "account_detail", output = crate::api::codec::Json)]
pub async fn account_detail(id: String) -> Result<AccountView, AppError> {
    guarded(Role::Viewer, |ctx| async move { account_rows::view(&ctx.state.db, &id).await?.ok_or_else(|| AppError::not_found("account")) }).await
}

/// The account's statement for the days `from`..=`to` (this month when not given), in the order
/// money moved; `after` is the previous page's `next_cursor`.
#[server(prefix = "/rpc", endpoint = "account_statement", output = crate::api::codec::Json)]
pub async fn account_statement(id: String, from: Option<String>, to: Option<String>, after: Option<String>) -> Result<StatementPage, AppError> {
    guarded(Role::Viewer, |ctx| async move { statement::page(&ctx.state.db, &id, from, to, after, PAGE_SIZE).await }).await
}

#[server(prefix = "/rpc", endpoint = "open_account", output = crate::api::codec::Json)]
pub async fn open_account(kind: String, display_name: String, external_ref: String) -> Result<AccountView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let input = accounts::NewAccount::parse(&kind, &display_name, &external_ref)?;
        // `open_many` leaves existing references alone so the payment system can resend its
        // list; a person typing a reference that is taken needs to hear it instead.
        if account_rows::find_by_external_ref(&ctx.state.db, &input.external_ref).await?.is_some() {
            return Err(AppError::validation("external_ref", say!("an account with this reference exists already", "この口座番号の口座は既に存在します")));
        }
        let mut opened = accounts::open_many(&ctx.state.db, &ctx.actor(), vec![input]).await?;
        opened.pop().ok_or_else(|| internal("open_account", "open_many returned no account"))
    })
    .await
}

/// Freezes (`status=frozen`) or unfreezes (`status=active`) an account; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "set_account_status", output = crate::api::codec::Json)]
pub async fn set_account_status(id: String, status: String, confirm: Option<String>) -> Result<AccountView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let status: AccountStatus = status.trim().parse().map_err(|e: String| AppError::validation("status", e))?;
        if status == AccountStatus::Closed {
            return Err(AppError::validation(
                "status",
                say!("accounts are frozen or unfrozen here, not closed", "ここでは口座の凍結と凍結解除のみ行えます。解約はできません"),
            ));
        }
        confirmed(confirm)?;
        accounts::set_status(&ctx.state.db, &ctx.actor(), &id, status).await
    })
    .await
}
