//! Plans, subscriptions, and the invoices waiting for a wallet to fill (dunning).

use super::{Db, DbTx, Param, SqlFilter, insert_rows, now_ms, parse_text};
use crate::domain::billing::{DunningFinal, PlanInterval};
use crate::domain::money::Peg;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub local_amount: i64,
    pub fiat_currency: String,
    pub fiat_amount: i64,
    pub interval: PlanInterval,
    pub stripe_product: Option<String>,
    pub stripe_price: Option<String>,
    pub active: bool,
    pub created_by: String,
    pub created_at: i64,
}

const PLAN_COLUMNS: &str = "p.id, p.name, p.currency, p.local_amount, p.fiat_currency, p.fiat_amount, p.billing_interval, p.stripe_product, \
                            p.stripe_price, p.active, p.created_by, p.created_at";

fn plan(row: &AnyRow) -> Result<Plan, sqlx::Error> {
    Ok(Plan {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        currency: row.try_get("currency")?,
        local_amount: row.try_get("local_amount")?,
        fiat_currency: row.try_get("fiat_currency")?,
        fiat_amount: row.try_get("fiat_amount")?,
        interval: parse_text(row, "billing_interval")?,
        stripe_product: row.try_get("stripe_product")?,
        stripe_price: row.try_get("stripe_price")?,
        active: row.try_get::<i64, _>("active")? != 0,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert_plan(tx: &mut DbTx, p: &Plan) -> Result<(), sqlx::Error> {
    let row = vec![
        Param::Text(p.id.clone()),
        Param::Text(p.name.clone()),
        Param::Text(p.currency.clone()),
        Param::Int(p.local_amount),
        Param::Text(p.fiat_currency.clone()),
        Param::Int(p.fiat_amount),
        Param::Text(p.interval.as_str().into()),
        Param::Int(i64::from(p.active)),
        Param::Text(p.created_by.clone()),
        Param::Int(p.created_at),
        Param::Int(p.created_at),
    ];
    let columns =
        ["id", "name", "currency", "local_amount", "fiat_currency", "fiat_amount", "billing_interval", "active", "created_by", "created_at", "updated_at"];
    insert_rows(tx, "plans", &columns, vec![row]).await
}

pub async fn find_plan(tx: &mut DbTx, id: &str) -> Result<Option<Plan>, sqlx::Error> {
    sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans p WHERE p.id = $1")).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(plan).transpose()
}

pub async fn set_plan_stripe(tx: &mut DbTx, id: &str, product: &str, price: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE plans SET stripe_product = $2, stripe_price = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(product)
        .bind(price)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn set_plan_active(tx: &mut DbTx, id: &str, active: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE plans SET active = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(i64::from(active))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// A plan with how many live subscriptions it has and whether a Stripe call for it is owed.
pub struct ListedPlan {
    pub plan: Plan,
    pub exponent: i64,
    pub subscribers: i64,
    pub step_pending: bool,
    pub step_failed: bool,
}

pub async fn plans(db: &Db) -> Result<Vec<ListedPlan>, sqlx::Error> {
    let q = SqlFilter::new(&format!(
        "SELECT {PLAN_COLUMNS}, c.exponent, \
         (SELECT COUNT(*) FROM subscriptions s WHERE s.plan_id = p.id AND s.status NOT IN ('canceled', 'incomplete_expired')) AS subscribers, \
         EXISTS (SELECT 1 FROM billing_steps b WHERE b.subject = p.id AND b.state = 'pending') AS step_pending, \
         EXISTS (SELECT 1 FROM billing_steps b WHERE b.subject = p.id AND b.state = 'failed') AS step_failed \
         FROM plans p JOIN currencies c ON c.code = p.currency ORDER BY p.active DESC, p.created_at DESC LIMIT 500"
    ));
    q.fetch_all(db)
        .await?
        .iter()
        .map(|row| {
            Ok(ListedPlan {
                plan: plan(row)?,
                exponent: row.try_get("exponent")?,
                subscribers: row.try_get("subscribers")?,
                step_pending: super::invoices::flag(row, "step_pending")?,
                step_failed: super::invoices::flag(row, "step_failed")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub stripe_id: Option<String>,
    pub account_id: String,
    pub plan_id: String,
    pub quantity: i64,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<i64>,
    /// When it is to be created in Stripe; `None`: at once.
    pub starts_at: Option<i64>,
    pub paused: bool,
    pub change: Option<PlanChange>,
    pub created_by: String,
    pub created_at: i64,
}

/// A change of plan on its way to Stripe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanChange {
    pub plan_id: String,
    pub quantity: i64,
    /// The unix second prorated for, as the confirmed preview was.
    pub proration_date: i64,
}

const SUB_COLUMNS: &str = "s.id, s.stripe_id, s.account_id, s.plan_id, s.quantity, s.status, s.cancel_at_period_end, s.current_period_end, \
     s.starts_at, s.paused, s.change_plan_id, s.change_quantity, s.change_proration_date, s.created_by, s.created_at";

fn subscription(row: &AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: row.try_get("id")?,
        stripe_id: row.try_get("stripe_id")?,
        account_id: row.try_get("account_id")?,
        plan_id: row.try_get("plan_id")?,
        quantity: row.try_get("quantity")?,
        status: row.try_get("status")?,
        cancel_at_period_end: row.try_get::<i64, _>("cancel_at_period_end")? != 0,
        current_period_end: row.try_get("current_period_end")?,
        starts_at: row.try_get("starts_at")?,
        paused: row.try_get::<i64, _>("paused")? != 0,
        change: match (row.try_get::<Option<String>, _>("change_plan_id")?, row.try_get("change_quantity")?, row.try_get("change_proration_date")?) {
            (Some(plan_id), Some(quantity), Some(proration_date)) => Some(PlanChange { plan_id, quantity, proration_date }),
            _ => None,
        },
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert_subscription(tx: &mut DbTx, s: &Subscription) -> Result<(), sqlx::Error> {
    let row = vec![
        Param::Text(s.id.clone()),
        Param::Text(s.account_id.clone()),
        Param::Text(s.plan_id.clone()),
        Param::Int(s.quantity),
        Param::Text(s.status.clone()),
        Param::OptInt(s.starts_at),
        Param::Text(s.created_by.clone()),
        Param::Int(s.created_at),
        Param::Int(s.created_at),
    ];
    let columns = ["id", "account_id", "plan_id", "quantity", "status", "starts_at", "created_by", "created_at", "updated_at"];
    insert_rows(tx, "subscriptions", &columns, vec![row]).await
}

pub async fn find_subscription(tx: &mut DbTx, id: &str) -> Result<Option<Subscription>, sqlx::Error> {
    sqlx::query(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(subscription)
        .transpose()
}

pub async fn subscription_by_stripe_id(tx: &mut DbTx, stripe_id: &str) -> Result<Option<Subscription>, sqlx::Error> {
    sqlx::query(&format!("SELECT {SUB_COLUMNS} FROM subscriptions s WHERE s.stripe_id = $1"))
        .bind(stripe_id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(subscription)
        .transpose()
}

/// What Stripe says of the subscription now.
pub async fn set_subscription_state(
    tx: &mut DbTx,
    id: &str,
    stripe_id: &str,
    status: &str,
    cancel_at_period_end: bool,
    current_period_end: Option<i64>,
    paused: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE subscriptions SET stripe_id = $2, status = $3, cancel_at_period_end = $4, current_period_end = $5, paused = $6, updated_at = $7 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(stripe_id)
    .bind(status)
    .bind(i64::from(cancel_at_period_end))
    .bind(current_period_end)
    .bind(i64::from(paused))
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// A status Regio sets itself: `canceled` before the subscription ever reached Stripe.
pub async fn set_status(tx: &mut DbTx, id: &str, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE subscriptions SET status = $2, updated_at = $3 WHERE id = $1").bind(id).bind(status).bind(now_ms()).execute(&mut **tx).await.map(|_| ())
}

/// Locks the subscription's row until the transaction ends (`lock` is `Db::for_update`) and
/// answers whether its collection is paused, so pausing and Stripe's word about the pause take
/// turns.
pub async fn lock_paused(tx: &mut DbTx, id: &str, lock: &str) -> Result<Option<bool>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT paused FROM subscriptions WHERE id = $1{lock}")).bind(id).fetch_optional(&mut **tx).await?;
    row.map(|r| r.try_get::<i64, _>(0).map(|p| p != 0)).transpose()
}

pub async fn set_paused(tx: &mut DbTx, id: &str, paused: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE subscriptions SET paused = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(i64::from(paused))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Records the change of plan asked for, or (`None`) forgets it.
pub async fn set_change(tx: &mut DbTx, id: &str, change: Option<&PlanChange>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE subscriptions SET change_plan_id = $2, change_quantity = $3, change_proration_date = $4, updated_at = $5 WHERE id = $1")
        .bind(id)
        .bind(change.map(|c| c.plan_id.clone()))
        .bind(change.map(|c| c.quantity))
        .bind(change.map(|c| c.proration_date))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The change reached Stripe: the subscription is on the new plan.
pub async fn complete_change(tx: &mut DbTx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE subscriptions SET plan_id = change_plan_id, quantity = change_quantity, change_plan_id = NULL, change_quantity = NULL, \
         change_proration_date = NULL, updated_at = $2 WHERE id = $1 AND change_plan_id IS NOT NULL",
    )
    .bind(id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub struct ListedSubscription {
    pub subscription: Subscription,
    pub account_ref: String,
    pub member: String,
    pub plan_name: String,
    /// The name of the plan it is changing to, while that change is on its way.
    pub change_plan_name: Option<String>,
    pub currency: String,
    /// The plan's price per period, in local minor units.
    pub local_amount: i64,
    pub exponent: i64,
    pub step_pending: bool,
    pub step_failed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SubscriptionQuery {
    pub status: Option<String>,
    pub account_ref: Option<String>,
    pub plan_id: Option<String>,
}

fn select_subscriptions(q: &SubscriptionQuery, cursor: Option<(i64, String)>) -> SqlFilter {
    let mut f = SqlFilter::new(&format!(
        "SELECT {SUB_COLUMNS}, p.name AS plan_name, (SELECT cp.name FROM plans cp WHERE cp.id = s.change_plan_id) AS change_plan_name, p.currency, p.local_amount, a.external_ref, a.display_name, c.exponent, \
         EXISTS (SELECT 1 FROM billing_steps b WHERE b.subject = s.id AND b.state = 'pending') AS step_pending, \
         EXISTS (SELECT 1 FROM billing_steps b WHERE b.subject = s.id AND b.state = 'failed') AS step_failed \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id JOIN accounts a ON a.id = s.account_id JOIN currencies c ON c.code = p.currency WHERE 1 = 1"
    ));
    if let Some(status) = &q.status {
        f.and("s.status =", Param::Text(status.clone()));
    }
    if let Some(account) = &q.account_ref {
        f.and("a.external_ref =", Param::Text(account.clone()));
    }
    if let Some(plan) = &q.plan_id {
        f.and("s.plan_id =", Param::Text(plan.clone()));
    }
    if let Some((at, id)) = cursor {
        let n = f.param_count();
        f.push(&format!(" AND (s.created_at < ${} OR (s.created_at = ${} AND s.id < ${}))", n + 1, n + 1, n + 2));
        f.bind(Param::Int(at));
        f.bind(Param::Text(id));
    }
    f
}

pub async fn subscriptions_page(db: &Db, q: &SubscriptionQuery, cursor: Option<(i64, String)>, limit: usize) -> Result<Vec<ListedSubscription>, sqlx::Error> {
    let mut f = select_subscriptions(q, cursor);
    f.push(&format!(" ORDER BY s.created_at DESC, s.id DESC LIMIT {}", limit + 1));
    f.fetch_all(db)
        .await?
        .iter()
        .map(|row| {
            Ok(ListedSubscription {
                subscription: subscription(row)?,
                account_ref: row.try_get("external_ref")?,
                member: row.try_get("display_name")?,
                plan_name: row.try_get("plan_name")?,
                change_plan_name: row.try_get("change_plan_name")?,
                currency: row.try_get("currency")?,
                local_amount: row.try_get("local_amount")?,
                exponent: row.try_get("exponent")?,
                step_pending: super::invoices::flag(row, "step_pending")?,
                step_failed: super::invoices::flag(row, "step_failed")?,
            })
        })
        .collect()
}

pub async fn subscriptions_count(db: &Db, q: &SubscriptionQuery) -> Result<i64, sqlx::Error> {
    let rows = select_subscriptions(q, None).wrap("SELECT COUNT(*) AS n FROM (", ") AS matching").fetch_all(db).await?;
    rows.first().map_or(Ok(0), |r| r.try_get("n"))
}

/// A currency's dunning rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub retry_days: Vec<i64>,
    pub final_rule: DunningFinal,
    pub partial: bool,
}

pub async fn rules(tx: &mut DbTx, currency: &str) -> Result<Option<Rules>, sqlx::Error> {
    let row =
        sqlx::query("SELECT dunning_days, dunning_final, partial_collection FROM currencies WHERE code = $1").bind(currency).fetch_optional(&mut **tx).await?;
    row.map(|row| {
        let days: String = row.try_get("dunning_days")?;
        Ok(Rules {
            retry_days: days.split(',').filter_map(|d| d.trim().parse().ok()).collect(),
            final_rule: parse_text(&row, "dunning_final")?,
            partial: row.try_get::<i64, _>("partial_collection")? != 0,
        })
    })
    .transpose()
}

pub async fn set_rules(tx: &mut DbTx, currency: &str, rules: &Rules) -> Result<(), sqlx::Error> {
    let days = rules.retry_days.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query("UPDATE currencies SET dunning_days = $2, dunning_final = $3, partial_collection = $4, updated_at = $5 WHERE code = $1")
        .bind(currency)
        .bind(days)
        .bind(rules.final_rule.as_str())
        .bind(i64::from(rules.partial))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Marks the invoice as automatically collected (a subscription's), naming the subscription.
pub async fn set_automatic(tx: &mut DbTx, invoice_id: &str, subscription: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET automatic = 1, subscription = COALESCE($2, subscription) WHERE id = $1")
        .bind(invoice_id)
        .bind(subscription)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The invoice waits for funds from now (kept if it already did), next tried at `next_retry_at`.
pub async fn await_funds(tx: &mut DbTx, invoice_id: &str, now: i64, next_retry_at: Option<i64>, retries: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET awaiting_since = COALESCE(awaiting_since, $2), next_retry_at = $3, retries = $4, updated_at = $2 WHERE id = $1")
        .bind(invoice_id)
        .bind(now)
        .bind(next_retry_at)
        .bind(retries)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The retries ran out: what the currency's rule did; the invoice leaves the retry schedule.
pub async fn end_dunning(tx: &mut DbTx, invoice_id: &str, outcome: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET next_retry_at = NULL, dunning_outcome = $2, updated_at = $3 WHERE id = $1")
        .bind(invoice_id)
        .bind(outcome)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn clear_awaiting(tx: &mut DbTx, invoice_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET awaiting_since = NULL, next_retry_at = NULL, updated_at = $2 WHERE id = $1")
        .bind(invoice_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// An invoice waiting for funds, with what its member holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub invoice_id: String,
    pub number: Option<String>,
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    pub currency: String,
    pub exponent: i64,
    /// Local minor units the invoice still needs (what is left, back at the peg).
    pub needed: i64,
    /// The currency takes what a short wallet holds.
    pub partial: bool,
    pub balance: i64,
    pub awaiting_since: i64,
    pub next_retry_at: Option<i64>,
    pub retries: i64,
    pub outcome: Option<String>,
}

/// Open invoices waiting for funds (of one account, or all), oldest first, at most `limit`.
pub async fn waiting(db: &Db, account: Option<&str>, limit: i64) -> Result<Vec<Waiting>, sqlx::Error> {
    let mut q = SqlFilter::new(
        "SELECT i.id, i.number, i.account_id, a.external_ref, a.display_name, i.currency, c.exponent, c.fiat_exponent, c.peg_rate, \
         c.partial_collection, i.fiat_remaining, COALESCE(b.balance, 0) AS balance, i.awaiting_since, i.next_retry_at, i.retries, i.dunning_outcome \
         FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN currencies c ON c.code = i.currency \
         LEFT JOIN account_balances b ON b.account_id = i.account_id AND b.currency = i.currency \
         WHERE i.awaiting_since IS NOT NULL AND i.status = 'open'",
    );
    if let Some(account) = account {
        q.and("i.account_id =", Param::Text(account.into()));
    }
    q.push(&format!(" ORDER BY i.awaiting_since, i.id LIMIT {limit}"));
    q.fetch_all(db)
        .await?
        .iter()
        .map(|row| {
            let exponent: i64 = row.try_get("exponent")?;
            let rate: String = row.try_get("peg_rate")?;
            let peg = Peg {
                local_exponent: u32::try_from(exponent).unwrap_or(0),
                fiat_exponent: u32::try_from(row.try_get::<i64, _>("fiat_exponent")?).unwrap_or(0),
                rate: Decimal::from_str(&rate).map_err(|e| sqlx::Error::Decode(e.into()))?,
            };
            Ok(Waiting {
                invoice_id: row.try_get("id")?,
                number: row.try_get("number")?,
                account_id: row.try_get("account_id")?,
                account_ref: row.try_get("external_ref")?,
                member: row.try_get("display_name")?,
                currency: row.try_get("currency")?,
                exponent,
                needed: peg.to_local(row.try_get("fiat_remaining")?).unwrap_or(i64::MAX),
                partial: row.try_get::<i64, _>("partial_collection")? != 0,
                balance: row.try_get("balance")?,
                awaiting_since: row.try_get("awaiting_since")?,
                next_retry_at: row.try_get("next_retry_at")?,
                retries: row.try_get("retries")?,
                outcome: row.try_get("dunning_outcome")?,
            })
        })
        .collect()
}

/// Automatically collected open invoices with no collection yet for what they have left (an
/// event was missed, or Regio was down): the schedule collects them.
pub async fn untried_automatic(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "SELECT i.id FROM invoices i WHERE i.automatic = 1 AND i.status = 'open' AND i.awaiting_since IS NULL \
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.source = 'console' \
                         AND t.external_ref = 'collect/' || i.stripe_id || '/' || CAST(i.fiat_remaining AS TEXT)) \
         ORDER BY i.created_at LIMIT 500",
    )
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|row| row.try_get("id"))
    .collect()
}

/// A member whose wallet holds less than their subscription's next invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    pub email: Option<String>,
    pub plan: String,
    pub currency: String,
    pub exponent: i64,
    pub next_invoice_at: Option<i64>,
    /// Local minor units: what the next invoice asks, and what the wallet holds.
    pub amount: i64,
    pub balance: i64,
}

/// Live subscriptions whose next invoice the member's wallet cannot pay, soonest first.
pub async fn reminders(db: &Db, limit: i64) -> Result<Vec<Reminder>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(&format!(
        "SELECT a.id, a.external_ref, a.display_name, a.email, p.name, p.currency, c.exponent, s.current_period_end, \
         p.local_amount * s.quantity AS amount, COALESCE(b.balance, 0) AS balance \
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id JOIN accounts a ON a.id = s.account_id JOIN currencies c ON c.code = p.currency \
         LEFT JOIN account_balances b ON b.account_id = a.id AND b.currency = p.currency \
         WHERE s.status IN ('active', 'past_due', 'incomplete') AND s.cancel_at_period_end = 0 \
         AND COALESCE(b.balance, 0) < p.local_amount * s.quantity \
         ORDER BY s.current_period_end, a.external_ref LIMIT {limit}"
    ))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|row| {
        Ok(Reminder {
            account_id: row.try_get("id")?,
            account_ref: row.try_get("external_ref")?,
            member: row.try_get("display_name")?,
            email: row.try_get("email")?,
            plan: row.try_get("name")?,
            currency: row.try_get("currency")?,
            exponent: row.try_get("exponent")?,
            next_invoice_at: row.try_get("current_period_end")?,
            amount: row.try_get("amount")?,
            balance: row.try_get("balance")?,
        })
    })
    .collect()
}
