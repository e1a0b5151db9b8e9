//! Changes to a running subscription: pausing and resuming collection, and moving to another
//! plan with the proration Stripe computes, previewed before the administrator confirms. Each
//! change is checked and queued in one transaction; the billing worker makes it in Stripe.

use super::customers::unreachable_stripe;
use super::steps::{queue, queue_at};
use crate::domain::AppError;
use crate::domain::billing::{ChangePreview, StepKind};
use crate::domain::money::{MAX_AMOUNT, Money};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::subscriptions::{self as store, Plan, PlanChange, Subscription};
use crate::server::db::{Db, DbTx, billing_steps, currencies, format_ms, new_id, now_ms};
use crate::server::error::internal;
use crate::server::stripe::client::subscriptions::{ItemChange, PreviewChange, ProrationBehavior};
use crate::server::stripe::client::{IdempotencyKey, StripeClient};
use serde_json::json;

const MAX_QUANTITY: i64 = 1_000;

pub fn parse_quantity(quantity: &str) -> Result<i64, AppError> {
    quantity
        .trim()
        .parse()
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
        .ok_or_else(|| AppError::validation("quantity", say!("a whole number from 1 to {MAX_QUANTITY}", "1から{MAX_QUANTITY}までの整数で入力してください")))
}

/// A subscription Stripe runs and that has not ended.
async fn running(tx: &mut DbTx, id: &str) -> Result<(Subscription, String), AppError> {
    let sub = store::find_subscription(tx, id).await?.ok_or_else(|| AppError::not_found(format!("subscription {id}")))?;
    if matches!(sub.status.as_str(), "canceled" | "incomplete_expired") {
        return Err(AppError::conflict(say!("The subscription has ended", "サブスクリプションは終了しています")));
    }
    let Some(stripe_id) = sub.stripe_id.clone() else {
        return Err(AppError::conflict(say!("The subscription has not started in Stripe yet", "サブスクリプションはまだ Stripe で開始されていません")));
    };
    Ok((sub, stripe_id))
}

/// Pauses (`true`) or resumes collection. While paused, Stripe voids each new invoice, so the
/// member is not charged for paused periods.
pub async fn set_paused(db: &Db, actor: &Actor, id: &str, paused: bool) -> Result<(), AppError> {
    let mut wtx = db.begin_write().await?;
    store::lock_paused(&mut wtx.tx, id, db.for_update()).await?;
    let (sub, _) = running(&mut wtx.tx, id).await?;
    if sub.paused == paused {
        return Err(AppError::conflict(if paused {
            say!("Collection is paused already", "回収はすでに一時停止しています")
        } else {
            say!("Collection is not paused", "回収は一時停止していません")
        }));
    }
    // One pause or resume at a time, so Stripe gets them in the order they were asked for.
    for kind in [StepKind::PauseSubscription, StepKind::ResumeSubscription] {
        if billing_steps::pending(&mut wtx.tx, id, kind).await? {
            return Err(AppError::conflict(say!(
                "The last pause or resume is still on its way to Stripe: try again in a moment",
                "直前の一時停止または再開を Stripe に送信中です。しばらくしてからもう一度お試しください"
            )));
        }
    }
    store::set_paused(&mut wtx.tx, id, paused).await?;
    let (kind, action) = if paused { (StepKind::PauseSubscription, "pause") } else { (StepKind::ResumeSubscription, "resume") };
    // Each pause or resume is its own operation, named by its step.
    let step = new_id();
    queue(&mut wtx.tx, id, kind, &format!("subscription/{id}/{action}/{step}"), &actor.label).await?;
    let event = AuditEvent {
        action: if paused { "billing.subscription_pause" } else { "billing.subscription_resume" },
        target: &format!("subscription:{id}"),
        before: Some(json!({ "paused": sub.paused })),
        after: Some(json!({ "paused": paused })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(())
}

/// The plan a subscription may move to: active, in Stripe, same currency and interval.
async fn target_plan(tx: &mut DbTx, sub: &Subscription, plan_id: &str, quantity: i64) -> Result<(Plan, Plan), AppError> {
    let current = store::find_plan(tx, &sub.plan_id).await?.ok_or_else(|| AppError::not_found(format!("plan {}", sub.plan_id)))?;
    let next = store::find_plan(tx, plan_id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| AppError::validation("plan_id", say!("choose an active plan", "有効なプランを選んでください")))?;
    if next.currency != current.currency || next.interval != current.interval {
        return Err(AppError::validation(
            "plan_id",
            say!("choose a plan in the same currency and billing interval", "通貨と請求間隔が同じプランを選んでください"),
        ));
    }
    if next.stripe_price.is_none() {
        return Err(AppError::validation("plan_id", say!("the plan's price is not in Stripe yet", "プランの価格がまだ Stripe に登録されていません")));
    }
    if next.id == current.id && quantity == sub.quantity {
        return Err(AppError::validation("plan_id", say!("choose another plan or quantity", "別のプランまたは数量を選んでください")));
    }
    if next.local_amount.checked_mul(quantity).is_none_or(|total| total > MAX_AMOUNT) {
        return Err(AppError::validation("quantity", say!("the period's total is too large", "1期間の合計額が大きすぎます")));
    }
    Ok((current, next))
}

/// A higher price per period is prorated and collected now; a lower or equal one takes effect
/// at the next renewal, so no coins flow back for time already paid.
fn prorated(sub: &Subscription, current: &Plan, next: &Plan, quantity: i64) -> bool {
    next.fiat_amount.saturating_mul(quantity) > current.fiat_amount.saturating_mul(sub.quantity)
}

/// What moving to `plan_id` costs, computed by Stripe for this instant.
pub async fn preview_change(db: &Db, stripe: &StripeClient, id: &str, plan_id: &str, quantity: &str) -> Result<ChangePreview, AppError> {
    let quantity = parse_quantity(quantity)?;
    let mut tx = db.begin().await?;
    let (sub, stripe_id) = running(&mut tx, id).await?;
    let (current, next) = target_plan(&mut tx, &sub, plan_id, quantity).await?;
    let currency = currencies::find_tx(&mut tx, &next.currency).await?.ok_or_else(|| AppError::not_found(format!("currency {}", next.currency)))?;
    drop(tx);
    let renews = Money::new(next.local_amount.saturating_mul(quantity), next.currency.clone()).format(currency.exponent);
    let mut preview = ChangePreview {
        plan_id: next.id.clone(),
        quantity,
        proration_date: 0,
        prorated: prorated(&sub, &current, &next, quantity),
        lines: Vec::new(),
        due_now: Money::new(0, next.fiat_currency.clone()).format_fiat(),
        due_now_local: Money::new(0, next.currency.clone()).format(currency.exponent),
        renews_at: renews,
    };
    if !preview.prorated {
        return Ok(preview);
    }
    let subscription = stripe.subscriptions().retrieve(&stripe_id, &[]).await.map_err(unreachable_stripe)?;
    let item = subscription
        .items
        .data
        .first()
        .ok_or_else(|| AppError::conflict(say!("The Stripe subscription has no item", "Stripe のサブスクリプションに項目がありません")))?;
    // Stripe prorates for its own "now" (a test clock's, in the demo) and says which instant it
    // took; the confirmation sends that instant back.
    let change =
        PreviewChange { items: vec![item_change(&item.id, &next, quantity)], proration_behavior: Some(ProrationBehavior::AlwaysInvoice), proration_date: None };
    let key = IdempotencyKey::new(format!("subscription/{id}/preview/{}/{quantity}/{}", next.id, new_id())).map_err(|e| internal("billing: preview key", e))?;
    let invoice = stripe.subscriptions().preview_change(&stripe_id, &change, &key).await.map_err(unreachable_stripe)?;
    preview.proration_date =
        invoice.parent.as_ref().and_then(|p| p.subscription_details.as_ref()).and_then(|d| d.subscription_proration_date).ok_or_else(|| {
            AppError::conflict(say!("Stripe's preview did not say when it prorated from", "Stripe のプレビューに日割り計算の起点が含まれていません"))
        })?;
    preview.lines = invoice
        .lines
        .map(|l| l.data)
        .unwrap_or_default()
        .into_iter()
        .map(|l| (l.description.unwrap_or_default(), Money::new(l.amount, l.currency).format_fiat()))
        .collect();
    preview.due_now = Money::new(invoice.amount_due, invoice.currency.clone()).format_fiat();
    preview.due_now_local = Money::new(currency.peg().to_local(invoice.amount_due).unwrap_or(0), next.currency.clone()).format(currency.exponent);
    Ok(preview)
}

pub(super) fn item_change(item: &str, plan: &Plan, quantity: i64) -> ItemChange {
    ItemChange { id: Some(item.to_string()), price: plan.stripe_price.clone(), quantity: u32::try_from(quantity).ok(), deleted: false }
}

/// Queues the change the administrator previewed, for that preview's proration instant.
pub async fn change_plan(db: &Db, actor: &Actor, id: &str, plan_id: &str, quantity: &str, proration_date: i64) -> Result<(), AppError> {
    let quantity = parse_quantity(quantity)?;
    let mut wtx = db.begin_write().await?;
    let (sub, _) = running(&mut wtx.tx, id).await?;
    if sub.change.is_some() {
        return Err(AppError::conflict(say!("A change of plan is already on its way to Stripe", "プランの変更をすでに Stripe に送信中です")));
    }
    let (current, next) = target_plan(&mut wtx.tx, &sub, plan_id, quantity).await?;
    if prorated(&sub, &current, &next, quantity) && proration_date <= 0 {
        return Err(AppError::validation("proration_date", say!("preview the change first", "先に変更内容をプレビューしてください")));
    }
    let change = PlanChange { plan_id: next.id.clone(), quantity, proration_date };
    store::set_change(&mut wtx.tx, id, Some(&change)).await?;
    queue(&mut wtx.tx, id, StepKind::ChangeSubscription, &format!("subscription/{id}/change/{}/{quantity}/{proration_date}", next.id), &actor.label).await?;
    let event = AuditEvent {
        action: "billing.subscription_change",
        target: &format!("subscription:{id}"),
        before: Some(json!({ "plan": current.id, "quantity": sub.quantity })),
        after: Some(json!({ "plan": next.id, "quantity": quantity, "proration_date": proration_date, "prorated": prorated(&sub, &current, &next, quantity) })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(())
}

/// Whether the change recorded for the subscription is prorated now (for the worker).
pub(super) async fn change_is_prorated(tx: &mut DbTx, sub: &Subscription, change: &PlanChange) -> Result<(Plan, bool), sqlx::Error> {
    let current = store::find_plan(tx, &sub.plan_id).await?;
    let next = store::find_plan(tx, &change.plan_id).await?;
    match (current, next) {
        (Some(current), Some(next)) => {
            let prorated = prorated(sub, &current, &next, change.quantity);
            Ok((next, prorated))
        }
        _ => Err(sqlx::Error::RowNotFound),
    }
}

/// The start of a subscription asked to begin on `starts_on` (`YYYY-MM-DD`, UTC): `None` for
/// today or an empty field, which start at once.
pub fn start_of(starts_on: &str) -> Result<Option<i64>, AppError> {
    let starts_on = starts_on.trim();
    if starts_on.is_empty() {
        return Ok(None);
    }
    let at = crate::server::ledger::queries::day_start_ms("starts_on", starts_on)?;
    let now = now_ms();
    if at + 86_400_000 <= now {
        return Err(AppError::validation("starts_on", say!("choose today or a later day", "今日以降の日付を選んでください")));
    }
    if at > now + 366 * 86_400_000 {
        return Err(AppError::validation("starts_on", say!("choose a day within a year", "1年以内の日付を選んでください")));
    }
    Ok((at > now).then_some(at))
}

/// Queues the subscription's creation in Stripe, on its start date when it has one.
pub(super) async fn queue_start(tx: &mut DbTx, sub: &Subscription, by: &str) -> Result<(), sqlx::Error> {
    let key = format!("subscription/{}/create", sub.id);
    queue_at(tx, &sub.id, StepKind::CreateSubscription, &key, by, sub.starts_at.unwrap_or_else(now_ms)).await.map(|_| ())
}

/// A subscription canceled before its start date never reaches Stripe: its creation step is
/// settled unmade. `false` when the creation is under way (then Stripe cancels it).
pub(super) async fn cancel_before_start(tx: &mut DbTx, sub: &Subscription) -> Result<bool, sqlx::Error> {
    if sub.stripe_id.is_some() || !billing_steps::drop_unclaimed(tx, &sub.id, StepKind::CreateSubscription, "canceled before it started").await? {
        return Ok(false);
    }
    store::set_status(tx, &sub.id, "canceled").await?;
    Ok(true)
}

/// The start date shown for a scheduled subscription.
pub fn starts_on(sub: &Subscription) -> Option<String> {
    sub.starts_at.filter(|_| sub.stripe_id.is_none()).map(|at| format_ms(at).chars().take(10).collect())
}
