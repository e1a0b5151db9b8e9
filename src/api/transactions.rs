// `list_transactions` takes the page's query-string filters, one argument each, and the
// `#[server]` macro copies them into functions an item-level `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use crate::domain::AppError;
use crate::domain::ledger::{TransactionDetail, TransactionPage};
use leptos::prelude::*;

/// A page of the ledger, newest first, each row beside its Stripe mirror. Dates are
/// `YYYY-MM-DD` (UTC, `to` inclusive); amounts are decimals in the local currency.
#[server(prefix = "/rpc", endpoint = "list_transactions", output = crate::api::codec::Json)]
pub async fn list_transactions(
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    account: Option<String>,
    currency: Option<String>,
    min_amount: Option<String>,
    max_amount: Option<String>,
    mirror_state: Option<String>,
    before: Option<String>,
) -> Result<TransactionPage, AppError> {
    use crate::domain::Role;
    use crate::server::ledger::queries::{self, TransactionQuery};
    super::guard::guarded(Role::Viewer, |ctx| async move {
        let query = TransactionQuery { from, to, kind, account, currency, min_amount, max_amount, mirror_state, before };
        let live = ctx.state.stripe.as_ref().is_some_and(|s| s.mode() == crate::server::stripe::client::KeyMode::Live);
        queries::transactions_page(&ctx.state.db, query, live).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "transaction_detail", output = crate::api::codec::Json)]
pub async fn get_transaction(id: String) -> Result<TransactionDetail, AppError> {
    use crate::domain::Role;
    super::guard::guarded(
        Role::Viewer,
        |ctx| async move { crate::server::ledger::detail::transaction_detail(&ctx.state.db, ctx.state.stripe.as_ref(), &id).await },
    )
    .await
}

/// Puts a delivery that failed for good back in the queue (support or admin; audited).
#[server(prefix = "/rpc", endpoint = "retry_delivery", output = crate::api::codec::Json)]
pub async fn retry_delivery(outbox_id: String) -> Result<(), AppError> {
    use crate::domain::Role;
    super::guard::guarded(Role::Support, |ctx| async move { crate::server::mirror::retry(&ctx.state.db, &ctx.actor(), &outbox_id).await }).await
}
