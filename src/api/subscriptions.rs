//! Subscriptions paid from wallets: plans, members' subscriptions, and the invoices awaiting
//! funds with each currency's dunning rules. Viewers read; administrators change.

use crate::domain::AppError;
use crate::domain::billing::{AwaitingFunds, ChangePreview, DunningRules, PlanView, SubscriptionFilter, SubscriptionPage, TestClockView, TopUpReminder};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{choice, confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::domain::billing::{DunningFinal, PlanInterval},
    crate::say,
    crate::server::billing::{changes, clock, dunning, plans},
};

#[server(prefix = "/rpc", endpoint = "list_plans", output = crate::api::codec::Json)]
pub async fn list_plans() -> Result<Vec<PlanView>, AppError> {
    guarded(Role::Viewer, |ctx| async move { plans::list_plans(&ctx.state.db).await }).await
}

/// `amount` per period in the currency's major units; `interval` is `month` or `year`.
#[server(prefix = "/rpc", endpoint = "create_plan", output = crate::api::codec::Json)]
pub async fn create_plan(name: String, currency: String, amount: String, interval: String) -> Result<String, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let interval: PlanInterval = choice("interval", Some(interval))?
            .ok_or_else(|| AppError::validation("interval", say!("choose month or year", "month または year を選んでください")))?;
        plans::create_plan(&ctx.state.db, &ctx.actor(), &name, &currency, &amount, interval).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "archive_plan", output = crate::api::codec::Json)]
pub async fn archive_plan(id: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        plans::archive_plan(&ctx.state.db, &ctx.actor(), &id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_subscriptions", output = crate::api::codec::Json)]
pub async fn list_subscriptions(#[server(default)] filter: SubscriptionFilter, after: Option<String>) -> Result<SubscriptionPage, AppError> {
    guarded(Role::Viewer, |ctx| async move { plans::subscription_page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

/// Subscribes a linked member, starting now or on `starts_on` (`YYYY-MM-DD`, UTC); `confirm=yes`
/// is required. Answers its id.
#[server(prefix = "/rpc", endpoint = "subscribe", output = crate::api::codec::Json)]
pub async fn subscribe(account_id: String, plan_id: String, quantity: String, starts_on: Option<String>, confirm: Option<String>) -> Result<String, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        plans::subscribe(&ctx.state.db, &ctx.actor(), &account_id, &plan_id, &quantity, starts_on.as_deref().unwrap_or("")).await
    })
    .await
}

/// `paused` is `yes` (pause collection) or `no` (resume); `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "pause_collection", output = crate::api::codec::Json)]
pub async fn pause_collection(id: String, paused: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        let paused = match paused.trim() {
            "yes" => true,
            "no" => false,
            _ => return Err(AppError::validation("paused", say!("choose yes or no", "yes または no を選んでください"))),
        };
        changes::set_paused(&ctx.state.db, &ctx.actor(), &id, paused).await
    })
    .await
}

/// What moving the subscription to `plan_id` would cost now, as Stripe computes it.
#[server(prefix = "/rpc", endpoint = "preview_plan_change", output = crate::api::codec::Json)]
pub async fn preview_plan_change(id: String, plan_id: String, quantity: String) -> Result<ChangePreview, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let stripe = ctx.state.stripe.as_ref().ok_or_else(|| AppError::conflict(say!("Stripe is not configured", "Stripe が設定されていません")))?;
        changes::preview_change(&ctx.state.db, stripe, &id, &plan_id, &quantity).await
    })
    .await
}

/// Confirms a previewed change; `proration_date` is the preview's, `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "change_plan", output = crate::api::codec::Json)]
pub async fn change_plan(id: String, plan_id: String, quantity: String, proration_date: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        let proration_date = proration_date
            .trim()
            .parse()
            .map_err(|_| AppError::validation("proration_date", say!("preview the change first", "先に変更内容をプレビューしてください")))?;
        changes::change_plan(&ctx.state.db, &ctx.actor(), &id, &plan_id, &quantity, proration_date).await
    })
    .await
}

/// The demo's test clock, when there is one.
#[server(prefix = "/rpc", endpoint = "test_clock", output = crate::api::codec::Json)]
pub async fn get_test_clock() -> Result<Option<TestClockView>, AppError> {
    guarded(Role::Admin, |ctx| async move { clock::view(&ctx.state.db, ctx.state.stripe.as_ref()).await }).await
}

/// Moves the demo's test clock a month ahead; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "advance_test_clock", output = crate::api::codec::Json)]
pub async fn advance_test_clock(confirm: Option<String>) -> Result<TestClockView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        clock::advance_month(&ctx.state.db, ctx.state.stripe.as_ref(), &ctx.actor()).await
    })
    .await
}

/// `when` is `now` or `period_end`; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "cancel_subscription", output = crate::api::codec::Json)]
pub async fn cancel_subscription(id: String, when: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        let at_period_end = match when.trim() {
            "now" => false,
            "period_end" => true,
            _ => return Err(AppError::validation("when", say!("choose now or period_end", "now または period_end を選んでください"))),
        };
        plans::cancel_subscription(&ctx.state.db, &ctx.actor(), &id, at_period_end).await
    })
    .await
}

/// Invoices the members' wallets could not pay yet, oldest first.
#[server(prefix = "/rpc", endpoint = "awaiting_funds", output = crate::api::codec::Json)]
pub async fn list_awaiting_funds() -> Result<Vec<AwaitingFunds>, AppError> {
    guarded(Role::Viewer, |ctx| async move { dunning::awaiting_funds(&ctx.state.db, None).await }).await
}

#[server(prefix = "/rpc", endpoint = "dunning_rules", output = crate::api::codec::Json)]
pub async fn get_dunning_rules() -> Result<Vec<DunningRules>, AppError> {
    guarded(Role::Admin, |ctx| async move { dunning::dunning_rules(&ctx.state.db).await }).await
}

/// `retry_days` like "1,3,7"; `final_rule` a `DunningFinal`; `partial=yes` takes what a short
/// wallet holds and leaves the rest due.
#[server(prefix = "/rpc", endpoint = "set_dunning_rules", output = crate::api::codec::Json)]
pub async fn set_dunning_rules(currency: String, retry_days: String, final_rule: String, partial: Option<String>) -> Result<DunningRules, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let final_rule: DunningFinal = choice("final_rule", Some(final_rule))?.ok_or_else(|| {
            AppError::validation("final_rule", say!("choose what happens after the last retry", "最後の再試行の後にどうするかを選んでください"))
        })?;
        let partial = non_empty(partial).as_deref() == Some("yes");
        dunning::set_dunning_rules(&ctx.state.db, &ctx.actor(), currency.trim(), &retry_days, final_rule, partial).await
    })
    .await
}

/// Members whose wallet holds less than their next subscription invoice.
#[server(prefix = "/rpc", endpoint = "topup_reminders", output = crate::api::codec::Json)]
pub async fn list_topup_reminders() -> Result<Vec<TopUpReminder>, AppError> {
    guarded(Role::Viewer, |ctx| async move { dunning::topup_reminders(&ctx.state.db).await }).await
}
