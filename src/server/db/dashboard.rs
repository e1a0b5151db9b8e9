//! The dashboard's readings: sums by day and counts by state, each from an index that starts
//! with what it filters on. Days are UTC days, numbered from the Unix epoch.

use super::{DAY_MS, DbTx, parse_text};
use crate::domain::ledger::MirrorState;
use sqlx::Row;

/// Shop payments of one currency on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPayments {
    pub day: i64,
    pub currency: String,
    pub count: i64,
    pub amount: i64,
    /// What was reported to Stripe, in the fiat peg's minor units.
    pub fiat: i64,
}

/// Payments that occurred in `[since, until)`, summed by day and currency.
pub async fn payments_by_day(tx: &mut DbTx, since: i64, until: i64) -> Result<Vec<DayPayments>, sqlx::Error> {
    let sql = format!(
        "SELECT occurred_at / {DAY_MS} AS day, currency, COUNT(*) AS n, CAST(SUM(amount) AS BIGINT) AS amount, \
         CAST(COALESCE(SUM(fiat_amount), 0) AS BIGINT) AS fiat FROM transactions \
         WHERE kind = 'payment' AND occurred_at >= $1 AND occurred_at < $2 GROUP BY occurred_at / {DAY_MS}, currency"
    );
    let rows = sqlx::query(&sql).bind(since).bind(until).fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| {
            Ok(DayPayments {
                day: r.try_get("day")?,
                currency: r.try_get("currency")?,
                count: r.try_get("n")?,
                amount: r.try_get("amount")?,
                fiat: r.try_get("fiat")?,
            })
        })
        .collect()
}

/// The ledger's own deliveries (not a case's fix) whose payment occurred since `since`: how
/// many are delivered, pending and failed. One ranged count per state, each an index walk.
pub async fn deliveries_since(tx: &mut DbTx, since: i64) -> Result<[i64; 3], sqlx::Error> {
    let mut counts = [0; 3];
    for (count, state) in counts.iter_mut().zip(["delivered", "pending", "failed"]) {
        let sql = format!("SELECT COUNT(*) AS n FROM outbox WHERE state = '{state}' AND case_id IS NULL AND occurred_at >= $1");
        *count = sqlx::query(&sql).bind(since).fetch_one(&mut **tx).await?.try_get("n")?;
    }
    Ok(counts)
}

/// Every delivery of the ledger's own (not a case's fix) still to make or given up on, as the
/// transactions list's mirror filter counts them: how many, and when the oldest was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub pending: i64,
    pub failed: i64,
    pub oldest_pending: Option<i64>,
}

pub async fn backlog(tx: &mut DbTx) -> Result<Backlog, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE state IN ('pending', 'failed') AND case_id IS NULL GROUP BY state",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut backlog = Backlog::default();
    for row in rows {
        let n: i64 = row.try_get("n")?;
        match parse_text(&row, "state")? {
            MirrorState::Pending => (backlog.pending, backlog.oldest_pending) = (n, row.try_get("oldest")?),
            _ => backlog.failed = n,
        }
    }
    Ok(backlog)
}

/// For each day since `since`, the longest a delivery of the ledger's own made that day had
/// waited (ms).
pub async fn slowest_delivery_by_day(tx: &mut DbTx, since: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT updated_at / {DAY_MS} AS day, MAX(updated_at - created_at) AS slowest FROM outbox \
         WHERE updated_at >= $1 AND state = 'delivered' AND case_id IS NULL GROUP BY updated_at / {DAY_MS}"
    );
    let rows = sqlx::query(&sql).bind(since).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| Ok((r.try_get("day")?, r.try_get("slowest")?))).collect()
}

/// Cases live (not closed) at `since`, and for each day after it how many opened and closed.
pub struct CaseFlow {
    pub live_at_start: i64,
    pub opened: Vec<(i64, i64)>,
    pub closed: Vec<(i64, i64)>,
}

pub async fn case_flow(tx: &mut DbTx, since: i64) -> Result<CaseFlow, sqlx::Error> {
    let live_at_start = sqlx::query("SELECT COUNT(*) AS n FROM recon_cases WHERE first_seen < $1 AND (closed_at IS NULL OR closed_at >= $1)")
        .bind(since)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    let opened = cases_by_day(tx, "first_seen", since).await?;
    let closed = cases_by_day(tx, "closed_at", since).await?;
    Ok(CaseFlow { live_at_start, opened, closed })
}

async fn cases_by_day(tx: &mut DbTx, column: &str, since: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let sql = format!("SELECT {column} / {DAY_MS} AS day, COUNT(*) AS n FROM recon_cases WHERE {column} >= $1 GROUP BY {column} / {DAY_MS}");
    let rows = sqlx::query(&sql).bind(since).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| Ok((r.try_get("day")?, r.try_get("n")?))).collect()
}

/// Invoices waiting for their member's funds: how many, and since when the oldest waits.
pub async fn invoices_awaiting(tx: &mut DbTx) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n, MIN(awaiting_since) AS oldest FROM invoices WHERE awaiting_since IS NOT NULL").fetch_one(&mut **tx).await?;
    Ok((row.try_get("n")?, row.try_get("oldest")?))
}
