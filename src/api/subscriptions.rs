//! Subscriptions paid from wallets: plans, members' subscriptions, and the invoices awaiting
//! funds with each currency's dunning rules. Viewers read; administrators change.

use crate::domain::AppError;
use crate::domain::billing::{AwaitingFunds, DunningRules, PlanView, SubscriptionFilter, SubscriptionPage, TopUpReminder};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{choice, confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::domain::billing::{DunningFinal, PlanInterval},
    crate::server::billing::{dunning, plans},
};

#[server(prefix = "/rpc", endpoint = "list_plans")]
pub async fn list_plans() -> Result<Vec<PlanView>, AppError> {
    guarded(Role::Viewer, |ctx| async move { plans::list_plans(&ctx.state.db).await }).await
}

/// `amount` per period in the currency's major units; `interval` is `month` or `year`.
#[server(prefix = "/rpc", endpoint = "create_plan")]
pub async fn create_plan(name: String, currency: String, amount: String, interval: String) -> Result<String, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let interval: PlanInterval = choice("interval", Some(interval))?.ok_or_else(|| AppError::validation("interval", "choose month or year"))?;
        plans::create_plan(&ctx.state.db, &ctx.actor(), &name, &currency, &amount, interval).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "archive_plan")]
pub async fn archive_plan(id: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        plans::archive_plan(&ctx.state.db, &ctx.actor(), &id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_subscriptions")]
pub async fn list_subscriptions(filter: SubscriptionFilter, after: Option<String>) -> Result<SubscriptionPage, AppError> {
    guarded(Role::Viewer, |ctx| async move { plans::subscription_page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

/// Subscribes a linked member, starting now; `confirm=yes` is required. Answers its id.
#[server(prefix = "/rpc", endpoint = "subscribe")]
pub async fn subscribe(account_id: String, plan_id: String, quantity: String, confirm: Option<String>) -> Result<String, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        plans::subscribe(&ctx.state.db, &ctx.actor(), &account_id, &plan_id, &quantity).await
    })
    .await
}

/// `when` is `now` or `period_end`; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "cancel_subscription")]
pub async fn cancel_subscription(id: String, when: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        let at_period_end = match when.trim() {
            "now" => false,
            "period_end" => true,
            _ => return Err(AppError::validation("when", "choose now or period_end")),
        };
        plans::cancel_subscription(&ctx.state.db, &ctx.actor(), &id, at_period_end).await
    })
    .await
}

/// Invoices the members' wallets could not pay yet, oldest first.
#[server(prefix = "/rpc", endpoint = "awaiting_funds")]
pub async fn list_awaiting_funds() -> Result<Vec<AwaitingFunds>, AppError> {
    guarded(Role::Viewer, |ctx| async move { dunning::awaiting_funds(&ctx.state.db, None).await }).await
}

#[server(prefix = "/rpc", endpoint = "dunning_rules")]
pub async fn get_dunning_rules() -> Result<Vec<DunningRules>, AppError> {
    guarded(Role::Admin, |ctx| async move { dunning::dunning_rules(&ctx.state.db).await }).await
}

/// `retry_days` like "1,3,7"; `final_rule` a `DunningFinal`; `partial=yes` takes what a short
/// wallet holds and leaves the rest due.
#[server(prefix = "/rpc", endpoint = "set_dunning_rules")]
pub async fn set_dunning_rules(currency: String, retry_days: String, final_rule: String, partial: Option<String>) -> Result<DunningRules, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let final_rule: DunningFinal =
            choice("final_rule", Some(final_rule))?.ok_or_else(|| AppError::validation("final_rule", "choose what happens after the last retry"))?;
        let partial = non_empty(partial).as_deref() == Some("yes");
        dunning::set_dunning_rules(&ctx.state.db, &ctx.actor(), currency.trim(), &retry_days, final_rule, partial).await
    })
    .await
}

/// Members whose wallet holds less than their next subscription invoice.
#[server(prefix = "/rpc", endpoint = "topup_reminders")]
pub async fn list_topup_reminders() -> Result<Vec<TopUpReminder>, AppError> {
    guarded(Role::Viewer, |ctx| async move { dunning::topup_reminders(&ctx.state.db).await }).await
}
