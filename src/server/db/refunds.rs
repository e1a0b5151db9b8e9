//! Console refund requests, the approval threshold, and the Refunds page's reads (console
//! requests beside the refunds that came in through the API or a CSV file).

use super::{Db, DbTx, Param, SqlFilter, insert_rows, parse_text};
use crate::domain::refunds::{RefundPayer, RefundReason, RefundStage, RefundState};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A console refund request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub id: String,
    pub payment_id: String,
    pub currency: String,
    pub amount: i64,
    pub reason: RefundReason,
    pub note: Option<String>,
    pub payer: RefundPayer,
    pub state: RefundState,
    pub requested_by_id: Option<String>,
    pub requested_by: String,
    pub requested_at: i64,
    pub expires_at: Option<i64>,
    pub transaction_id: Option<String>,
}

const COLUMNS: &str = "id, payment_id, currency, amount, reason, note, payer, state, requested_by_id, requested_by, requested_at, expires_at, transaction_id";

fn from_row(row: &AnyRow) -> Result<RefundRequest, sqlx::Error> {
    Ok(RefundRequest {
        id: row.try_get("id")?,
        payment_id: row.try_get("payment_id")?,
        currency: row.try_get("currency")?,
        amount: row.try_get("amount")?,
        reason: parse_text(row, "reason")?,
        note: row.try_get("note")?,
        payer: parse_text(row, "payer")?,
        state: parse_text(row, "state")?,
        requested_by_id: row.try_get("requested_by_id")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: row.try_get("requested_at")?,
        expires_at: row.try_get("expires_at")?,
        transaction_id: row.try_get("transaction_id")?,
    })
}

pub async fn insert(tx: &mut DbTx, r: &RefundRequest) -> Result<(), sqlx::Error> {
    let row = vec![
        Param::Text(r.id.clone()),
        Param::Text(r.payment_id.clone()),
        Param::Text(r.currency.clone()),
        Param::Int(r.amount),
        Param::Text(r.reason.as_str().into()),
        Param::OptText(r.note.clone()),
        Param::Text(r.payer.as_str().into()),
        Param::Text(r.state.as_str().into()),
        Param::OptText(r.requested_by_id.clone()),
        Param::Text(r.requested_by.clone()),
        Param::Int(r.requested_at),
        Param::OptInt(r.expires_at),
        Param::OptText(r.transaction_id.clone()),
    ];
    let columns: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
    insert_rows(tx, "refund_requests", &columns, vec![row]).await
}

/// The request, locked for the rest of the transaction on PostgreSQL.
pub async fn find_for_update(tx: &mut DbTx, db: &Db, id: &str) -> Result<Option<RefundRequest>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM refund_requests WHERE id = $1{}", db.for_update());
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// Serialises the refunds of one payment on PostgreSQL (SQLite's writers already are): every
/// console refund locks its payment's row before it counts what is refunded and reserved.
pub async fn lock_payment(tx: &mut DbTx, db: &Db, payment_id: &str) -> Result<(), sqlx::Error> {
    if db.kind == super::DbKind::Postgres {
        sqlx::query("SELECT id FROM transactions WHERE id = $1 FOR UPDATE").bind(payment_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// What pending requests whose time has not run out at `now` reserve of the payment, leaving
/// out `except` (the one being decided).
pub async fn reserved(tx: &mut DbTx, payment_id: &str, except: Option<&str>, now: i64) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS reserved FROM refund_requests \
         WHERE payment_id = $1 AND state = 'pending_approval' AND id <> $2 AND expires_at > $3",
    )
    .bind(payment_id)
    .bind(except.unwrap_or(""))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("reserved")
}

/// Marks every pending request whose time ran out as expired; returns them for the audit log.
pub async fn expire_due(tx: &mut DbTx, now: i64) -> Result<Vec<RefundRequest>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM refund_requests WHERE state = 'pending_approval' AND expires_at <= $1");
    let due: Vec<RefundRequest> = sqlx::query(&sql).bind(now).fetch_all(&mut **tx).await?.iter().map(from_row).collect::<Result<_, _>>()?;
    if !due.is_empty() {
        sqlx::query("UPDATE refund_requests SET state = 'expired', decided_at = $1 WHERE state = 'pending_approval' AND expires_at <= $1")
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(due)
}

/// Who decided a request, when, and why.
pub struct Decision<'a> {
    pub by_id: Option<&'a str>,
    pub by: &'a str,
    pub at: i64,
    pub note: Option<&'a str>,
    pub transaction_id: Option<&'a str>,
}

/// Moves a pending request to `to`; `false` if it was no longer pending.
pub async fn decide(tx: &mut DbTx, id: &str, to: RefundState, decision: &Decision<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refund_requests SET state = $2, decided_by_id = $3, decided_by = $4, decided_at = $5, decision_note = $6, transaction_id = $7 \
         WHERE id = $1 AND state = 'pending_approval'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(decision.by_id)
    .bind(decision.by)
    .bind(decision.at)
    .bind(decision.note)
    .bind(decision.transaction_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_approval_threshold(tx: &mut DbTx, currency: &str, threshold: Option<i64>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE currencies SET refund_approval_threshold = $2 WHERE code = $1").bind(currency).bind(threshold).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// One row of the Refunds page, as read.
#[derive(Debug, Clone)]
pub struct RefundRow {
    pub id: String,
    pub payment_id: String,
    pub payment_ref: String,
    pub transaction_id: Option<String>,
    pub account: String,
    pub merchant: String,
    pub currency: String,
    pub exponent: u32,
    pub amount: i64,
    pub fiat_amount: Option<i64>,
    pub fiat_currency: Option<String>,
    pub reason: Option<RefundReason>,
    pub note: Option<String>,
    pub payer: RefundPayer,
    pub stage: RefundStage,
    pub stripe_error: Option<String>,
    pub source: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub expires_at: Option<i64>,
}

/// Console requests and the refunds that came in otherwise, with a stage worked out from the
/// request's state and the delivery's (`$1` is now, for expiry).
const ALL_REFUNDS: &str = "SELECT * FROM (\
    SELECT r.id, r.payment_id, p.external_ref AS payment_ref, r.transaction_id, m.display_name AS account, m.external_ref AS account_ref, \
      s.display_name AS merchant, s.external_ref AS merchant_ref, r.currency, c.exponent, r.amount, t.fiat_amount, p.fiat_currency, \
      r.reason, r.note, r.payer, \
      CASE WHEN r.state = 'pending_approval' AND r.expires_at <= $1 THEN 'expired' \
           WHEN r.state = 'posted' AND o.state = 'delivered' THEN 'reported' \
           WHEN r.state = 'posted' AND o.state = 'failed' THEN 'stripe_failed' ELSE r.state END AS stage, \
      o.last_error, 'console' AS source, r.requested_by, r.requested_at, r.decided_by, r.decided_at, r.decision_note, r.expires_at \
    FROM refund_requests r JOIN transactions p ON p.id = r.payment_id JOIN accounts m ON m.id = p.from_account \
      JOIN accounts s ON s.id = p.to_account JOIN currencies c ON c.code = r.currency \
      LEFT JOIN transactions t ON t.id = r.transaction_id LEFT JOIN outbox o ON o.transaction_id = r.transaction_id AND o.case_id IS NULL \
    UNION ALL \
    SELECT t.id, p.id, p.external_ref, t.id, m.display_name, m.external_ref, s.display_name, s.external_ref, t.currency, c.exponent, \
      t.amount, t.fiat_amount, COALESCE(t.fiat_currency, p.fiat_currency), NULL, NULL, \
      CASE WHEN t.from_account = p.to_account THEN 'merchant' ELSE 'operator' END, \
      CASE WHEN o.state = 'delivered' THEN 'reported' WHEN o.state = 'failed' THEN 'stripe_failed' ELSE 'posted' END, \
      o.last_error, t.source, t.source, t.occurred_at, NULL, NULL, NULL, NULL \
    FROM transactions t JOIN transactions p ON p.id = t.corrects_id JOIN accounts m ON m.id = p.from_account \
      JOIN accounts s ON s.id = p.to_account JOIN currencies c ON c.code = t.currency \
      LEFT JOIN outbox o ON o.transaction_id = t.id AND o.case_id IS NULL \
    WHERE t.kind = 'refund' AND t.source <> 'console') x WHERE 1 = 1";

/// The Refunds page's filters, parsed.
#[derive(Debug, Default, Clone)]
pub struct RefundQuery {
    /// One refund (the request's id, or an API/CSV refund's transaction id).
    pub id: Option<String>,
    pub stage: Option<RefundStage>,
    pub reason: Option<RefundReason>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub account_ref: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    pub now: i64,
}

impl RefundQuery {
    fn filter(&self) -> SqlFilter {
        let mut f = SqlFilter::new(ALL_REFUNDS);
        f.bind(Param::Int(self.now));
        if let Some(id) = &self.id {
            f.and("x.id =", Param::Text(id.clone()));
        }
        if let Some(stage) = self.stage {
            f.and("x.stage =", Param::Text(stage.as_str().into()));
        }
        if let Some(reason) = self.reason {
            f.and("x.reason =", Param::Text(reason.as_str().into()));
        }
        if let Some(from) = self.from_ms {
            f.and("x.requested_at >=", Param::Int(from));
        }
        if let Some(to) = self.to_ms {
            f.and("x.requested_at <", Param::Int(to));
        }
        if let Some(account) = &self.account_ref {
            f.and("(x.account_ref =", Param::Text(account.clone()));
            let n = f.param_count();
            f.push(&format!(" OR x.merchant_ref = ${n})"));
        }
        if let Some(currency) = &self.currency {
            f.and("x.currency =", Param::Text(currency.clone()));
        }
        if let Some(min) = self.min_amount {
            f.and("x.amount >=", Param::Int(min));
        }
        if let Some(max) = self.max_amount {
            f.and("x.amount <=", Param::Int(max));
        }
        f
    }
}

fn row_of(row: &AnyRow) -> Result<RefundRow, sqlx::Error> {
    let reason: Option<String> = row.try_get("reason")?;
    Ok(RefundRow {
        id: row.try_get("id")?,
        payment_id: row.try_get("payment_id")?,
        payment_ref: row.try_get("payment_ref")?,
        transaction_id: row.try_get("transaction_id")?,
        account: row.try_get("account")?,
        merchant: row.try_get("merchant")?,
        currency: row.try_get("currency")?,
        exponent: row.try_get::<i64, _>("exponent")? as u32,
        amount: row.try_get("amount")?,
        fiat_amount: row.try_get("fiat_amount")?,
        fiat_currency: row.try_get("fiat_currency")?,
        reason: reason.map(|r| r.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))).transpose()?,
        note: row.try_get("note")?,
        payer: parse_text(row, "payer")?,
        stage: parse_text(row, "stage")?,
        stripe_error: row.try_get("last_error")?,
        source: row.try_get("source")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: row.try_get("requested_at")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        decision_note: row.try_get("decision_note")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// A page of refunds, newest first; `before` is `(requested_at, id)` of the previous page's last.
pub async fn page(db: &Db, query: &RefundQuery, before: Option<(i64, String)>, limit: i64) -> Result<Vec<RefundRow>, sqlx::Error> {
    let mut f = query.filter();
    if let Some((at, id)) = before {
        let n = f.param_count();
        f.push(&format!(" AND (x.requested_at < ${} OR (x.requested_at = ${} AND x.id < ${}))", n + 1, n + 1, n + 2));
        f.bind(Param::Int(at));
        f.bind(Param::Text(id));
    }
    f.push(&format!(" ORDER BY x.requested_at DESC, x.id DESC LIMIT {limit}"));
    f.fetch_all(db).await?.iter().map(row_of).collect()
}

/// How many refunds match, and their sum per currency: `(currency, exponent, count, sum)`.
pub async fn totals(db: &Db, query: &RefundQuery) -> Result<Vec<(String, u32, i64, i64)>, sqlx::Error> {
    let f = query.filter().wrap(
        "SELECT y.currency, MAX(y.exponent) AS exponent, COUNT(*) AS n, CAST(SUM(y.amount) AS BIGINT) AS total FROM (",
        ") y GROUP BY y.currency ORDER BY y.currency",
    );
    f.fetch_all(db).await?.iter().map(|r| Ok((r.try_get("currency")?, r.try_get::<i64, _>("exponent")? as u32, r.try_get("n")?, r.try_get("total")?))).collect()
}

/// Pending requests whose time has not run out.
pub async fn pending_count(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    let query = RefundQuery { stage: Some(RefundStage::PendingApproval), now, ..RefundQuery::default() };
    Ok(totals(db, &query).await?.iter().map(|(_, _, n, _)| n).sum())
}
