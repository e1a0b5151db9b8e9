//! Automatic collection and dunning: a subscription's invoice is paid from the member's wallet
//! as soon as Regio learns of it, through the same path as "Collect from wallet". A short wallet
//! leaves the invoice awaiting funds: it is tried again on the currency's schedule (days after
//! the first try) and at once when the wallet holds enough; after the last retry the currency's
//! final rule applies. Every outcome is audited.

use super::collect::{Shortfall, collect_with};
use crate::domain::AppError;
use crate::domain::billing::{AwaitingFunds, DunningFinal, DunningRules, StepKind, TopUpReminder};
use crate::domain::money::Money;
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::subscriptions::{self as plans, Rules};
use crate::server::db::{DAY_MS, Db, billing_steps, currencies, format_ms, invoices as store, new_id, now_ms};
use serde_json::json;
/// At most this many retry days, each at most a year.
const MAX_RETRIES: usize = 10;
const MAX_RETRY_DAY: i64 = 365;

fn collector() -> Actor {
    Actor { user_id: None, label: "automatic collection".into(), ip: None }
}

/// Tries to collect the automatically collected invoice now; says what happened. A wallet too
/// short (and a currency that does not take parts) starts or continues its dunning.
pub async fn collect_automatically(db: &Db, invoice_id: &str) -> Result<String, AppError> {
    let mut tx = db.begin().await?;
    let invoice = store::find(&mut tx, invoice_id, "").await?.ok_or_else(|| AppError::not_found(format!("invoice {invoice_id}")))?;
    let rules = plans::rules(&mut tx, &invoice.currency).await?.ok_or_else(|| AppError::not_found(format!("currency {}", invoice.currency)))?;
    drop(tx);
    let short = if rules.partial { Shortfall::TakeWhatIsThere } else { Shortfall::Refuse };
    match collect_with(db, &collector(), invoice_id, short).await {
        Ok(done) if done.whole => {
            let mut wtx = db.begin_write().await?;
            plans::clear_awaiting(&mut wtx.tx, invoice_id).await?;
            wtx.commit().await?;
            Ok(format!("collected {} from the wallet", done.transaction_id))
        }
        Ok(part) => {
            missed(db, invoice_id, &rules).await?;
            Ok(format!("collected part ({}) from the wallet; the rest awaits funds", part.transaction_id))
        }
        Err(AppError::Validation { field, message }) if field == "amount" => {
            missed(db, invoice_id, &rules).await?;
            Ok(format!("awaiting funds: {message}"))
        }
        // Not open, already collected, or a collection still on its way: nothing to do now.
        Err(AppError::Conflict { message }) => Ok(format!("not collected: {message}")),
        Err(e) => Err(e),
    }
}

/// A try that left money due: the first starts the schedule; a due retry moves it on, and the
/// last applies the final rule.
async fn missed(db: &Db, invoice_id: &str, rules: &Rules) -> Result<(), AppError> {
    let now = now_ms();
    let mut wtx = db.begin_write().await?;
    let invoice = store::find(&mut wtx.tx, invoice_id, db.for_update()).await?.ok_or(AppError::Internal)?;
    let (since, retries) = match store::dunning_of(&mut wtx.tx, invoice_id).await? {
        None => (now, 0),
        // Ended by the final rule: only a wallet that fills up pays it now.
        Some(d) if d.outcome.is_some() => return Ok(()),
        Some(d) => match d.next_retry_at {
            Some(at) if at <= now => (d.since, d.retries + 1),
            // A try between retries (the wallet seemed to hold enough): the schedule stands.
            _ => return Ok(()),
        },
    };
    let next = rules.retry_days.get(usize::try_from(retries).unwrap_or(usize::MAX)).map(|days| since + days * DAY_MS);
    plans::await_funds(&mut wtx.tx, invoice_id, now, next, retries).await?;
    if next.is_none() {
        let outcome = apply_final(&mut wtx.tx, &invoice, rules.final_rule).await?;
        plans::end_dunning(&mut wtx.tx, invoice_id, &outcome).await?;
    }
    let event = AuditEvent {
        action: "billing.dunning",
        target: &format!("invoice:{invoice_id}"),
        before: Some(json!({ "retries": retries.saturating_sub(1).max(0) })),
        after: Some(json!({ "retries": retries, "next_retry_at": next, "final_rule": next.is_none().then_some(rules.final_rule) })),
    };
    audit::record(&mut wtx.tx, &collector(), event).await?;
    wtx.commit().await?;
    Ok(())
}

async fn apply_final(tx: &mut crate::server::db::DbTx, invoice: &store::Invoice, rule: DunningFinal) -> Result<String, AppError> {
    Ok(match rule {
        DunningFinal::LeavePastDue => "left due after the last retry".to_string(),
        DunningFinal::MarkUncollectible => {
            let key = format!("invoice/{}/mark_uncollectible", invoice.id);
            billing_steps::enqueue(tx, &new_id(), &invoice.id, StepKind::MarkUncollectible, &key, &collector().label).await?;
            "marked uncollectible after the last retry".to_string()
        }
        DunningFinal::CancelSubscription => {
            let sub = match &invoice.subscription {
                Some(stripe_id) => plans::subscription_by_stripe_id(tx, stripe_id).await?,
                None => None,
            };
            match sub {
                Some(sub) => {
                    let key = format!("subscription/{}/cancel", sub.id);
                    billing_steps::enqueue(tx, &new_id(), &sub.id, StepKind::CancelSubscription, &key, &collector().label).await?;
                    "subscription canceled after the last retry".to_string()
                }
                None => "left due after the last retry (no subscription Regio made)".to_string(),
            }
        }
    })
}

/// One pass of the schedule: every invoice awaiting funds whose retry is due, or whose member
/// now holds enough (or anything, where parts are taken), is tried; so is every automatic invoice
/// never tried (its event was missed). Answers how many were tried.
pub async fn run_due(db: &Db) -> Result<usize, AppError> {
    let now = now_ms();
    let mut tried = 0;
    for id in plans::untried_automatic(db).await? {
        collect_automatically(db, &id).await?;
        tried += 1;
    }
    for w in plans::waiting(db, None, 500).await? {
        let covers = w.balance >= w.needed || (w.partial && w.balance > 0);
        if covers || w.next_retry_at.is_some_and(|at| at <= now) {
            collect_automatically(db, &w.invoice_id).await?;
            tried += 1;
        }
    }
    Ok(tried)
}

/// Invoices waiting for funds (of one account, or all), oldest first.
pub async fn awaiting_funds(db: &Db, account: Option<&str>) -> Result<Vec<AwaitingFunds>, AppError> {
    let now = now_ms();
    let mut rows = Vec::new();
    for w in plans::waiting(db, account, 500).await? {
        let exponent = u32::try_from(w.exponent).unwrap_or(0);
        let needed = w.needed;
        let local = |minor: i64| Money::new(minor, w.currency.clone()).format(exponent);
        rows.push(AwaitingFunds {
            due: local(needed),
            balance: local(w.balance),
            shortfall: local((needed - w.balance).max(0)),
            awaiting_since: format_ms(w.awaiting_since),
            age_days: (now - w.awaiting_since) / DAY_MS,
            retries: w.retries,
            next_retry_at: w.next_retry_at.map(format_ms),
            outcome: w.outcome,
            invoice_id: w.invoice_id,
            number: w.number,
            account_id: w.account_id,
            account_ref: w.account_ref,
            member: w.member,
        });
    }
    Ok(rows)
}

pub async fn dunning_rules(db: &Db) -> Result<Vec<DunningRules>, AppError> {
    let mut tx = db.begin().await?;
    let mut all = Vec::new();
    for currency in currencies::list_tx(&mut tx).await? {
        if let Some(rules) = plans::rules(&mut tx, &currency.code).await? {
            all.push(DunningRules {
                currency: currency.code,
                retry_days: rules.retry_days.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
                final_rule: rules.final_rule,
                partial: rules.partial,
            });
        }
    }
    Ok(all)
}

/// Saves a currency's dunning rules; `retry_days` is "1,3,7"-style (empty: no retries).
pub async fn set_dunning_rules(
    db: &Db,
    actor: &Actor,
    currency: &str,
    retry_days: &str,
    final_rule: DunningFinal,
    partial: bool,
) -> Result<DunningRules, AppError> {
    let mut days = Vec::new();
    for part in retry_days.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let day: i64 = part.parse().ok().filter(|d| (0..=MAX_RETRY_DAY).contains(d)).ok_or_else(|| {
            AppError::validation(
                "retry_days",
                say!("'{part}' is not a number of days from 0 to {MAX_RETRY_DAY}", "「{part}」は0から{MAX_RETRY_DAY}までの日数ではありません"),
            )
        })?;
        if days.last().is_some_and(|last| *last > day) {
            return Err(AppError::validation("retry_days", say!("list the days in order, like 1,3,7", "1,3,7 のように日数を小さい順に並べてください")));
        }
        days.push(day);
    }
    if days.len() > MAX_RETRIES {
        return Err(AppError::validation("retry_days", say!("at most {MAX_RETRIES} retries", "再試行は{MAX_RETRIES}回までです")));
    }
    let rules = Rules { retry_days: days, final_rule, partial };
    let mut wtx = db.begin_write().await?;
    let before = plans::rules(&mut wtx.tx, currency)
        .await?
        .ok_or_else(|| AppError::validation("currency", say!("'{currency}' is not set up", "「{currency}」は登録されていません")))?;
    plans::set_rules(&mut wtx.tx, currency, &rules).await?;
    let event = AuditEvent {
        action: "billing.dunning_rules",
        target: &format!("currency:{currency}"),
        before: Some(json!({ "retry_days": before.retry_days, "final_rule": before.final_rule, "partial": before.partial })),
        after: Some(json!({ "retry_days": rules.retry_days, "final_rule": rules.final_rule, "partial": rules.partial })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(DunningRules {
        currency: currency.to_string(),
        retry_days: rules.retry_days.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        final_rule,
        partial,
    })
}

/// Members whose wallet cannot pay their next subscription invoice (at most 10,000), for the
/// operator's own messaging.
pub async fn topup_reminders(db: &Db) -> Result<Vec<TopUpReminder>, AppError> {
    Ok(plans::reminders(db, 10_000)
        .await?
        .into_iter()
        .map(|r| {
            let local = |minor: i64| Money::new(minor, r.currency.clone()).format(u32::try_from(r.exponent).unwrap_or(0));
            TopUpReminder {
                amount: local(r.amount),
                balance: local(r.balance),
                shortfall: local(r.amount - r.balance),
                next_invoice_date: r.next_invoice_at.map(format_ms),
                account_id: r.account_id,
                account_ref: r.account_ref,
                member: r.member,
                email: r.email,
                plan: r.plan,
            }
        })
        .collect())
}
