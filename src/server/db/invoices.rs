//! Billing's tables: member accounts' Stripe customers, invoices and their lines.

use super::{Db, DbTx, Param, SqlFilter, insert_rows, now_ms, parse_text};
use crate::domain::billing::{InvoiceOrigin, InvoiceStatus};
use crate::domain::ledger::{AccountKind, AccountStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A member account as billing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billable {
    pub id: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub display_name: String,
    pub external_ref: String,
    pub email: Option<String>,
    pub customer: Option<String>,
    /// The customer's default payment method (`pm_…`, type custom), once made.
    pub payment_method: Option<String>,
}

fn billable(row: &AnyRow) -> Result<Billable, sqlx::Error> {
    Ok(Billable {
        id: row.try_get("id")?,
        kind: parse_text(row, "kind")?,
        status: parse_text(row, "status")?,
        display_name: row.try_get("display_name")?,
        external_ref: row.try_get("external_ref")?,
        email: row.try_get("email")?,
        customer: row.try_get("stripe_customer_id")?,
        payment_method: row.try_get("stripe_payment_method")?,
    })
}

const BILLABLE: &str = "SELECT id, kind, status, display_name, external_ref, email, stripe_customer_id, stripe_payment_method FROM accounts";

/// The account, locked on PostgreSQL when `lock` is `FOR UPDATE`.
pub async fn billable_account(tx: &mut DbTx, id: &str, lock: &str) -> Result<Option<Billable>, sqlx::Error> {
    sqlx::query(&format!("{BILLABLE} WHERE id = $1{lock}")).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(billable).transpose()
}

pub async fn account_of_customer(tx: &mut DbTx, customer: &str) -> Result<Option<Billable>, sqlx::Error> {
    sqlx::query(&format!("{BILLABLE} WHERE stripe_customer_id = $1")).bind(customer).fetch_optional(&mut **tx).await?.as_ref().map(billable).transpose()
}

/// Active member accounts linked to a customer, by name: who can be invoiced.
pub async fn linked_members(db: &Db) -> Result<Vec<Billable>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(&format!("{BILLABLE} WHERE kind = 'member' AND status = 'active' AND stripe_customer_id IS NOT NULL ORDER BY display_name, id LIMIT 1000"))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(billable)
        .collect()
}

pub async fn set_email(tx: &mut DbTx, account_id: &str, email: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET email = $2, updated_at = $3 WHERE id = $1")
        .bind(account_id)
        .bind(email)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Links (or with `None` unlinks) the account's Stripe customer; its payment method goes with it.
pub async fn set_customer(tx: &mut DbTx, account_id: &str, customer: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET stripe_customer_id = $2, stripe_payment_method = NULL, updated_at = $3 WHERE id = $1")
        .bind(account_id)
        .bind(customer)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn set_payment_method(tx: &mut DbTx, account_id: &str, payment_method: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET stripe_payment_method = $2, updated_at = $3 WHERE id = $1")
        .bind(account_id)
        .bind(payment_method)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The payment method an invoice payment from `account_id` is reported with.
pub async fn payment_method_of(db: &Db, account_id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    Ok(billable_account(&mut tx, account_id, "").await?.and_then(|a| a.payment_method))
}

/// The account's invoices not yet settled one way or the other (draft or open).
pub async fn open_count(tx: &mut DbTx, account_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM invoices WHERE account_id = $1 AND status IN ('draft', 'open')")
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub stripe_id: Option<String>,
    pub account_id: String,
    pub customer: String,
    pub currency: String,
    pub local_total: i64,
    pub fiat_currency: String,
    pub fiat_total: i64,
    pub fiat_remaining: i64,
    pub status: InvoiceStatus,
    pub origin: InvoiceOrigin,
    pub number: Option<String>,
    pub due_at: Option<i64>,
    pub memo: String,
    pub hosted_url: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    /// The Stripe subscription (`sub_…`) an automatically collected invoice bills.
    pub subscription: Option<String>,
}

const COLUMNS: &str = "i.id, i.stripe_id, i.account_id, i.customer, i.currency, i.local_total, i.fiat_currency, i.fiat_total, i.fiat_remaining, \
                       i.status, i.origin, i.number, i.due_at, i.memo, i.hosted_url, i.created_by, i.created_at, i.subscription";

fn from_row(row: &AnyRow) -> Result<Invoice, sqlx::Error> {
    Ok(Invoice {
        id: row.try_get("id")?,
        stripe_id: row.try_get("stripe_id")?,
        account_id: row.try_get("account_id")?,
        customer: row.try_get("customer")?,
        currency: row.try_get("currency")?,
        local_total: row.try_get("local_total")?,
        fiat_currency: row.try_get("fiat_currency")?,
        fiat_total: row.try_get("fiat_total")?,
        fiat_remaining: row.try_get("fiat_remaining")?,
        status: parse_text(row, "status")?,
        origin: parse_text(row, "origin")?,
        number: row.try_get("number")?,
        due_at: row.try_get("due_at")?,
        memo: row.try_get("memo")?,
        hosted_url: row.try_get("hosted_url")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        subscription: row.try_get("subscription")?,
    })
}

pub async fn insert(tx: &mut DbTx, i: &Invoice) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let row = vec![
        Param::Text(i.id.clone()),
        Param::OptText(i.stripe_id.clone()),
        Param::Text(i.account_id.clone()),
        Param::Text(i.customer.clone()),
        Param::Text(i.currency.clone()),
        Param::Int(i.local_total),
        Param::Text(i.fiat_currency.clone()),
        Param::Int(i.fiat_total),
        Param::Int(i.fiat_remaining),
        Param::Text(i.status.as_str().into()),
        Param::Text(i.origin.as_str().into()),
        Param::OptText(i.number.clone()),
        Param::OptInt(i.due_at),
        Param::Text(i.memo.clone()),
        Param::OptText(i.hosted_url.clone()),
        Param::Text(i.created_by.clone()),
        Param::Int(i.created_at),
        Param::Int(now),
    ];
    let columns = [
        "id",
        "stripe_id",
        "account_id",
        "customer",
        "currency",
        "local_total",
        "fiat_currency",
        "fiat_total",
        "fiat_remaining",
        "status",
        "origin",
        "number",
        "due_at",
        "memo",
        "hosted_url",
        "created_by",
        "created_at",
        "updated_at",
    ];
    insert_rows(tx, "invoices", &columns, vec![row]).await
}

pub async fn find(tx: &mut DbTx, id: &str, lock: &str) -> Result<Option<Invoice>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM invoices i WHERE i.id = $1{lock}")).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

pub async fn find_by_stripe_id(tx: &mut DbTx, stripe_id: &str) -> Result<Option<Invoice>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM invoices i WHERE i.stripe_id = $1"))
        .bind(stripe_id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Where an invoice awaiting funds stands in dunning.
pub struct Dunning {
    pub since: i64,
    pub retries: i64,
    pub next_retry_at: Option<i64>,
    /// Set once the final rule applied.
    pub outcome: Option<String>,
}

pub async fn dunning_of(tx: &mut DbTx, id: &str) -> Result<Option<Dunning>, sqlx::Error> {
    let row = sqlx::query("SELECT awaiting_since, retries, next_retry_at, dunning_outcome FROM invoices WHERE id = $1 AND awaiting_since IS NOT NULL")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| {
        Ok(Dunning {
            since: r.try_get("awaiting_since")?,
            retries: r.try_get("retries")?,
            next_retry_at: r.try_get("next_retry_at")?,
            outcome: r.try_get("dunning_outcome")?,
        })
    })
    .transpose()
}

/// What Stripe says of the invoice now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeState {
    pub stripe_id: String,
    pub status: InvoiceStatus,
    pub fiat_total: i64,
    pub fiat_remaining: i64,
    pub number: Option<String>,
    pub due_at: Option<i64>,
    pub hosted_url: Option<String>,
}

pub async fn set_stripe_state(tx: &mut DbTx, id: &str, s: &StripeState) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE invoices SET stripe_id = $2, status = $3, fiat_total = $4, fiat_remaining = $5, number = COALESCE($6, number), \
         due_at = COALESCE($7, due_at), hosted_url = COALESCE($8, hosted_url), updated_at = $9 WHERE id = $1",
    )
    .bind(id)
    .bind(&s.stripe_id)
    .bind(s.status.as_str())
    .bind(s.fiat_total)
    .bind(s.fiat_remaining)
    .bind(s.number.clone())
    .bind(s.due_at)
    .bind(s.hosted_url.clone())
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub local_amount: i64,
    pub fiat_amount: i64,
}

pub async fn insert_lines(tx: &mut DbTx, invoice_id: &str, lines: &[Line]) -> Result<(), sqlx::Error> {
    let rows = (0i64..)
        .zip(lines)
        .map(|(n, l)| {
            vec![
                Param::Text(invoice_id.into()),
                Param::Int(n),
                Param::Text(l.description.clone()),
                Param::Int(l.quantity),
                Param::Int(l.unit_amount),
                Param::Int(l.local_amount),
                Param::Int(l.fiat_amount),
            ]
        })
        .collect();
    insert_rows(tx, "invoice_lines", &["invoice_id", "line", "description", "quantity", "unit_amount", "local_amount", "fiat_amount"], rows).await
}

pub async fn lines(tx: &mut DbTx, invoice_id: &str) -> Result<Vec<Line>, sqlx::Error> {
    sqlx::query("SELECT description, quantity, unit_amount, local_amount, fiat_amount FROM invoice_lines WHERE invoice_id = $1 ORDER BY line")
        .bind(invoice_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Line {
                description: row.try_get("description")?,
                quantity: row.try_get("quantity")?,
                unit_amount: row.try_get("unit_amount")?,
                local_amount: row.try_get("local_amount")?,
                fiat_amount: row.try_get("fiat_amount")?,
            })
        })
        .collect()
}

/// An invoice as the list shows it, with its member and whether a Stripe call is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub invoice: Invoice,
    pub account_ref: String,
    pub member: String,
    pub exponent: i64,
    pub step_pending: bool,
    pub step_failed: bool,
}

/// What the list is narrowed to, parsed.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<InvoiceStatus>,
    pub account_ref: Option<String>,
    pub origin: Option<InvoiceOrigin>,
    pub due_before: Option<i64>,
}

/// A query over the invoices matching `filter`; `cursor` is `(created_at, id)` of the last row
/// already shown. Newest first.
pub fn select(filter: &ListFilter, cursor: Option<(i64, String)>) -> SqlFilter {
    let mut q = SqlFilter::new(&format!(
        "SELECT {COLUMNS}, a.external_ref, a.display_name, c.exponent, \
         EXISTS (SELECT 1 FROM billing_steps s WHERE s.subject = i.id AND s.state = 'pending') AS step_pending, \
         EXISTS (SELECT 1 FROM billing_steps s WHERE s.subject = i.id AND s.state = 'failed') AS step_failed \
         FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN currencies c ON c.code = i.currency WHERE 1 = 1"
    ));
    if let Some(status) = filter.status {
        q.and("i.status =", Param::Text(status.as_str().into()));
    }
    if let Some(account) = &filter.account_ref {
        q.and("a.external_ref =", Param::Text(account.clone()));
    }
    if let Some(origin) = filter.origin {
        q.and("i.origin =", Param::Text(origin.as_str().into()));
    }
    if let Some(due) = filter.due_before {
        q.and("i.due_at <=", Param::Int(due));
    }
    if let Some((at, id)) = cursor {
        let n = q.param_count();
        q.push(&format!(" AND (i.created_at < ${} OR (i.created_at = ${} AND i.id < ${}))", n + 1, n + 1, n + 2));
        q.bind(Param::Int(at));
        q.bind(Param::Text(id));
    }
    q
}

pub fn listed(row: &AnyRow) -> Result<Listed, sqlx::Error> {
    Ok(Listed {
        invoice: from_row(row)?,
        account_ref: row.try_get("external_ref")?,
        member: row.try_get("display_name")?,
        exponent: row.try_get("exponent")?,
        step_pending: flag(row, "step_pending")?,
        step_failed: flag(row, "step_failed")?,
    })
}

/// `EXISTS` reads as a boolean on PostgreSQL and as an integer on SQLite.
pub(super) fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column).or_else(|_| row.try_get::<i64, _>(column).map(|n| n != 0))
}

pub async fn page(db: &Db, filter: &ListFilter, cursor: Option<(i64, String)>, limit: usize) -> Result<Vec<Listed>, sqlx::Error> {
    let mut q = select(filter, cursor);
    q.push(&format!(" ORDER BY i.created_at DESC, i.id DESC LIMIT {}", limit + 1));
    q.fetch_all(db).await?.iter().map(listed).collect()
}

pub async fn count(db: &Db, filter: &ListFilter) -> Result<i64, sqlx::Error> {
    let rows = select(filter, None).wrap("SELECT COUNT(*) AS n FROM (", ") AS matching").fetch_all(db).await?;
    rows.first().map_or(Ok(0), |r| r.try_get("n"))
}

/// A ledger payment naming the invoice, with its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub transaction_id: String,
    pub amount: i64,
    pub fiat_amount: Option<i64>,
    pub occurred_at: i64,
    pub mirror: Option<String>,
    pub record_id: Option<String>,
}

pub async fn payments(tx: &mut DbTx, stripe_invoice: &str) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query(
        "SELECT t.id, t.amount, t.fiat_amount, t.occurred_at, o.state, o.stripe_id FROM transactions t \
         LEFT JOIN outbox o ON o.transaction_id = t.id AND o.operation = 'report_payment' \
         WHERE t.stripe_invoice = $1 AND t.kind = 'invoice_payment' ORDER BY t.occurred_at, t.id",
    )
    .bind(stripe_invoice)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| {
        Ok(Payment {
            transaction_id: row.try_get("id")?,
            amount: row.try_get("amount")?,
            fiat_amount: row.try_get("fiat_amount")?,
            occurred_at: row.try_get("occurred_at")?,
            mirror: row.try_get("state")?,
            record_id: row.try_get("stripe_id")?,
        })
    })
    .collect()
}
