//! Plans (a Stripe product with a recurring price in the currency's fiat, priced in local
//! currency at the peg) and the subscriptions of linked members to them, made, canceled and
//! archived in Stripe by queued steps.

use super::changes;
use super::steps::queue;
use crate::domain::AppError;
use crate::domain::billing::{PlanInterval, PlanView, StepKind, SubscriptionFilter, SubscriptionPage, SubscriptionRow};
use crate::domain::locale::Locale;
use crate::domain::money::{MAX_AMOUNT, Money, parse_amount};
use crate::i18n::TextGroup;
use crate::i18n::billing::{Billing, step_kind_name};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::subscriptions::{self as store, ListedSubscription, Plan, Subscription, SubscriptionQuery};
use crate::server::db::{Db, currencies, format_ms, invoices, new_id, now_ms};
use crate::server::ledger::queries::{given, parse_cursor};
use serde_json::json;

const PAGE_SIZE: usize = 50;
const MAX_NAME_LEN: usize = 100;

pub async fn list_plans(db: &Db) -> Result<Vec<PlanView>, AppError> {
    Ok(store::plans(db)
        .await?
        .into_iter()
        .map(|l| {
            let p = l.plan;
            PlanView {
                amount: Money::new(p.local_amount, p.currency.clone()).format(u32::try_from(l.exponent).unwrap_or(0)),
                fiat: Money::new(p.fiat_amount, p.fiat_currency.clone()).format_fiat(),
                id: p.id,
                name: p.name,
                currency: p.currency,
                interval: p.interval,
                stripe_price: p.stripe_price,
                active: p.active,
                subscribers: l.subscribers,
                step_pending: l.step_pending,
                step_failed: l.step_failed,
                created_at: format_ms(p.created_at),
            }
        })
        .collect())
}

/// Saves the plan and queues its product and price in Stripe; answers its id.
pub async fn create_plan(db: &Db, actor: &Actor, name: &str, currency: &str, amount: &str, interval: PlanInterval) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(AppError::validation("name", say!("name the plan in 1 to {MAX_NAME_LEN} characters", "1〜{MAX_NAME_LEN}文字で入力してください")));
    }
    let mut wtx = db.begin_write().await?;
    let currency = currencies::find_tx(&mut wtx.tx, currency.trim())
        .await?
        .ok_or_else(|| AppError::validation("currency", say!("'{currency}' is not set up", "「{currency}」は登録されていません")))?;
    let local = parse_amount(amount, currency.exponent).map_err(|e| AppError::validation("amount", e.to_string()))?;
    let fiat = currency.peg().to_fiat(local).filter(|f| *f > 0 && local > 0).ok_or_else(|| {
        AppError::validation("amount", say!("must be worth something in fiat at the peg", "ペッグレートで換算して法定通貨で0より大きい金額にしてください"))
    })?;
    let plan = Plan {
        id: new_id(),
        name: name.to_string(),
        currency: currency.code.clone(),
        local_amount: local,
        fiat_currency: currency.fiat_currency.clone(),
        fiat_amount: fiat,
        interval,
        stripe_product: None,
        stripe_price: None,
        active: true,
        created_by: actor.label.clone(),
        created_at: now_ms(),
    };
    store::insert_plan(&mut wtx.tx, &plan).await?;
    queue(&mut wtx.tx, &plan.id, StepKind::CreatePlan, &format!("plan/{}/create", plan.id), &actor.label).await?;
    let event = AuditEvent {
        action: "billing.plan_create",
        target: &format!("plan:{}", plan.id),
        before: None,
        after: Some(json!({ "name": plan.name, "currency": plan.currency, "local_amount": local, "fiat_amount": fiat, "interval": interval })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(plan.id)
}

/// Archives the plan's price: no new subscription; those running go on.
pub async fn archive_plan(db: &Db, actor: &Actor, id: &str) -> Result<(), AppError> {
    let mut wtx = db.begin_write().await?;
    let plan = store::find_plan(&mut wtx.tx, id).await?.ok_or_else(|| AppError::not_found(format!("plan {id}")))?;
    if !plan.active {
        return Err(AppError::conflict(say!("The plan is archived already", "このプランはすでにアーカイブ済みです")));
    }
    store::set_plan_active(&mut wtx.tx, id, false).await?;
    queue(&mut wtx.tx, id, StepKind::ArchivePlan, &format!("plan/{id}/archive"), &actor.label).await?;
    let event = AuditEvent {
        action: "billing.plan_archive",
        target: &format!("plan:{id}"),
        before: Some(json!({ "active": true })),
        after: Some(json!({ "active": false })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(())
}

/// Subscribes a linked member to an active plan, starting now or on `starts_on` (a day, UTC);
/// answers the subscription's id.
pub async fn subscribe(db: &Db, actor: &Actor, account_id: &str, plan_id: &str, quantity: &str, starts_on: &str) -> Result<String, AppError> {
    let quantity = changes::parse_quantity(quantity)?;
    let starts_at = changes::start_of(starts_on)?;
    let mut wtx = db.begin_write().await?;
    let plan = store::find_plan(&mut wtx.tx, plan_id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| AppError::validation("plan_id", say!("choose an active plan", "有効なプランを選んでください")))?;
    if plan.local_amount.checked_mul(quantity).is_none_or(|total| total > MAX_AMOUNT) {
        return Err(AppError::validation("quantity", say!("the period's total is too large", "1期間の合計額が大きすぎます")));
    }
    let account = invoices::billable_account(&mut wtx.tx, account_id, db.for_update())
        .await?
        .ok_or_else(|| AppError::validation("account_id", say!("choose a member", "会員を選んでください")))?;
    if account.customer.is_none() {
        return Err(AppError::validation(
            "account_id",
            say!("{} is not linked to a Stripe customer", "{}は Stripe の顧客と紐付いていません", account.display_name),
        ));
    }
    let sub = Subscription {
        id: new_id(),
        stripe_id: None,
        account_id: account.id.clone(),
        plan_id: plan.id.clone(),
        quantity,
        status: if starts_at.is_some() { "scheduled" } else { "pending" }.into(),
        cancel_at_period_end: false,
        current_period_end: None,
        starts_at,
        paused: false,
        change: None,
        created_by: actor.label.clone(),
        created_at: now_ms(),
    };
    store::insert_subscription(&mut wtx.tx, &sub).await?;
    changes::queue_start(&mut wtx.tx, &sub, &actor.label).await?;
    let event = AuditEvent {
        action: "billing.subscribe",
        target: &format!("subscription:{}", sub.id),
        before: None,
        after: Some(json!({ "account": account.external_ref, "plan": plan.id, "quantity": quantity, "starts_at": starts_at.map(format_ms) })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(sub.id)
}

/// Cancels now, or at the end of the period already paid for.
pub async fn cancel_subscription(db: &Db, actor: &Actor, id: &str, at_period_end: bool) -> Result<(), AppError> {
    let mut wtx = db.begin_write().await?;
    let sub = store::find_subscription(&mut wtx.tx, id).await?.ok_or_else(|| AppError::not_found(format!("subscription {id}")))?;
    if matches!(sub.status.as_str(), "canceled" | "incomplete_expired") {
        return Err(AppError::conflict(say!("The subscription has ended already", "サブスクリプションはすでに終了しています")));
    }
    let (kind, action) = if at_period_end { (StepKind::CancelAtPeriodEnd, "cancel_at_period_end") } else { (StepKind::CancelSubscription, "cancel") };
    let before_start = changes::cancel_before_start(&mut wtx.tx, &sub).await?;
    if !before_start && !queue(&mut wtx.tx, id, kind, &format!("subscription/{id}/{action}"), &actor.label).await? {
        return Err(AppError::conflict(
            say!("{} was already asked for", "「{}」はすでに依頼済みです"; kind.label() => step_kind_name(Billing::of(Locale::Ja), kind)),
        ));
    }
    let event = AuditEvent {
        action: "billing.subscription_cancel",
        target: &format!("subscription:{id}"),
        before: Some(json!({ "status": sub.status })),
        after: Some(if before_start { json!({ "status": "canceled" }) } else { json!({ "queued": action }) }),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(())
}

fn row_of(l: ListedSubscription) -> SubscriptionRow {
    let s = l.subscription;
    let next_amount = Money::new(l.local_amount.saturating_mul(s.quantity), l.currency.clone()).format(u32::try_from(l.exponent).unwrap_or(0));
    let ended = matches!(s.status.as_str(), "canceled" | "incomplete_expired") || s.cancel_at_period_end;
    let starts_on = changes::starts_on(&s);
    SubscriptionRow {
        id: s.id,
        stripe_id: s.stripe_id,
        account_id: s.account_id,
        account_ref: l.account_ref,
        member: l.member,
        plan: l.plan_name,
        quantity: s.quantity,
        starts_on,
        paused: s.paused,
        changing_to: l.change_plan_name,
        plan_id: s.plan_id,
        status: s.status,
        cancel_at_period_end: s.cancel_at_period_end,
        next_invoice_date: s.current_period_end.filter(|_| !ended).map(format_ms),
        next_amount,
        step_pending: l.step_pending,
        step_failed: l.step_failed,
        created_at: format_ms(s.created_at),
    }
}

fn parse_filter(filter: &SubscriptionFilter) -> SubscriptionQuery {
    SubscriptionQuery { status: given(filter.status.clone()), account_ref: given(filter.account.clone()), plan_id: given(filter.plan.clone()) }
}

pub async fn subscription_page(db: &Db, filter: &SubscriptionFilter, after: Option<String>) -> Result<SubscriptionPage, AppError> {
    let query = parse_filter(filter);
    let cursor = after.map(|c| parse_cursor("after", &c)).transpose()?;
    let mut rows = store::subscriptions_page(db, &query, cursor, PAGE_SIZE).await?;
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    let next_cursor = if more { rows.last().map(|r| format!("{}_{}", r.subscription.created_at, r.subscription.id)) } else { None };
    let count = store::subscriptions_count(db, &query).await?;
    Ok(SubscriptionPage { rows: rows.into_iter().map(row_of).collect(), next_cursor, count })
}

/// The filter's subscriptions after `cursor`, at most `limit`, for the CSV export; with where the
/// next chunk starts.
pub async fn export_page(
    db: &Db,
    filter: &SubscriptionFilter,
    cursor: Option<(i64, String)>,
    limit: usize,
) -> Result<(Vec<SubscriptionRow>, Option<(i64, String)>), AppError> {
    let mut rows = store::subscriptions_page(db, &parse_filter(filter), cursor, limit).await?;
    let next = (rows.len() > limit).then(|| rows.get(limit.saturating_sub(1)).map(|r| (r.subscription.created_at, r.subscription.id.clone()))).flatten();
    rows.truncate(limit);
    Ok((rows.into_iter().map(row_of).collect(), next))
}
