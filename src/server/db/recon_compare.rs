//! The one query that lays each mirrored ledger transaction beside the Stripe record(s)
//! matched to it, keeping only pairs that disagree (or transactions with no record).

use super::DbTx;
use crate::domain::recon::RecordStatus;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// The ledger's side of a mirrored payment, with what its corrections add up to in fiat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSide {
    pub transaction_id: String,
    pub currency: String,
    pub amount: i64,
    pub fiat_amount: i64,
    pub fiat_currency: String,
    pub account_id: String,
    pub account_customer: Option<String>,
    /// Fiat refunded by ledger refunds of this payment.
    pub refunded: i64,
    /// Fiat added (+) or taken back (−) by adjustments correcting this payment.
    pub adjusted: i64,
}

impl LedgerSide {
    /// What Stripe should show as requested: the payment as reported, plus its adjustments.
    pub fn expected_requested(&self) -> i64 {
        self.fiat_amount + self.adjusted
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSide {
    pub record_id: String,
    pub currency: String,
    pub amount_requested: i64,
    pub amount_refunded: i64,
    pub status: RecordStatus,
    pub customer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub ledger: LedgerSide,
    pub stripe: Option<StripeSide>,
}

/// Which payments a comparison reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every payment: the first run and "Full re-scan".
    Everything,
    /// Payments that may compare differently than at `since_ms`.
    ChangedSince(i64),
}

/// The payments a comparison reads, once resolved: each query then takes its chunks of them
/// by their keys (a list the planners cannot mistake for a large one), not a subquery.
#[derive(Debug, Clone, Copy)]
pub enum Among<'a> {
    All,
    Only(&'a [String]),
}

/// Payments per statement when a run compares only what changed. At 500 a statement, PostgreSQL
/// spent more on each statement (parsing, binding, planning: about 30 ms for 500 payments on the
/// bench machine) than on its rows; at 2,000 the rows are most of it (27 ms), and the plans
/// still walk the indexes from each payment.
pub const COMPARED_AT_ONCE: usize = 2_000;

impl Among<'_> {
    /// The condition keeping rows whose `column` is one of the payments, with the list as
    /// `wanted` (see `run`).
    pub fn keeps(self, column: &str) -> String {
        match self {
            Among::All => "1 = 1".into(),
            Among::Only(_) => format!("{column} IN (SELECT id FROM wanted)"),
        }
    }

    /// Runs `sql` (written with `keeps`) over all rows, or chunk by chunk of the payments.
    pub async fn run(self, tx: &mut DbTx, sql: &str) -> Result<Vec<AnyRow>, sqlx::Error> {
        match self {
            Among::All => sqlx::query(sql).fetch_all(&mut **tx).await,
            Among::Only(ids) => super::select_in_chunks(tx, &format!("WITH wanted(id) AS (VALUES {{rows}}) {sql}"), ids, COMPARED_AT_ONCE).await,
        }
    }
}

/// The payments whose comparison may have changed since `$1`: recorded, corrected, delivered,
/// or a record or invoice of theirs read, matched or detached, or their payer's Stripe customer
/// changed. A live case about any other payment stands as it is: nothing its break depends on
/// changed.
pub const CHANGED_SINCE: &str = "SELECT id FROM transactions WHERE recorded_at >= $1 \
     UNION SELECT corrects_id FROM transactions WHERE recorded_at >= $1 AND corrects_id IS NOT NULL \
     UNION SELECT o.transaction_id FROM outbox o WHERE o.updated_at >= $1 \
     UNION SELECT r.corrects_id FROM outbox o JOIN transactions r ON r.id = o.transaction_id WHERE o.updated_at >= $1 AND r.corrects_id IS NOT NULL \
     UNION SELECT transaction_id FROM stripe_records WHERE changed_at >= $1 AND transaction_id IS NOT NULL \
     UNION SELECT unlinked_from FROM stripe_records WHERE changed_at >= $1 AND unlinked_from IS NOT NULL \
     UNION SELECT t.id FROM stripe_invoices i JOIN transactions t ON t.stripe_invoice = i.id WHERE i.synced_at >= $1 AND t.stripe_invoice IS NOT NULL \
     UNION SELECT e.transaction_id FROM accounts a JOIN entries e ON e.account_id = a.id WHERE a.updated_at >= $1 AND e.leg = 0";

pub async fn changed_since(tx: &mut DbTx, since_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(CHANGED_SINCE).bind(since_ms).fetch_all(&mut **tx).await?.iter().map(|row| row.try_get("id")).collect()
}

/// Per corrected payment kept by `corrected`, in fiat: refunds (ledger refunds, plus
/// reconciliation adjustments of the refunds, positive when they return money to the payer)
/// and amount adjustments (positive when they add to the payment). Other adjustments do not
/// concern Stripe.
fn corrections(corrected: &str) -> String {
    format!(
        "SELECT r.corrects_id AS payment_id, \
         CAST(SUM(CASE WHEN r.kind = 'refund' THEN COALESCE(r.fiat_amount, 0) \
                  WHEN ra.purpose = 'refund' AND r.from_account = p.to_account THEN ra.fiat_amount \
                  WHEN ra.purpose = 'refund' THEN -ra.fiat_amount ELSE 0 END) AS BIGINT) AS refunded, \
         CAST(SUM(CASE WHEN ra.purpose = 'amount' AND r.from_account = p.from_account THEN ra.fiat_amount \
                  WHEN ra.purpose = 'amount' THEN -ra.fiat_amount ELSE 0 END) AS BIGINT) AS adjusted \
         FROM transactions r JOIN transactions p ON p.id = r.corrects_id \
         LEFT JOIN recon_adjustments ra ON ra.transaction_id = r.id \
         WHERE r.corrects_id IS NOT NULL AND r.kind IN ('refund', 'adjustment') AND {corrected} GROUP BY r.corrects_id"
    )
}

/// Payments kept by `filter` beside their records; `corrected` keeps the same payments'
/// corrections, so that only theirs are summed.
fn select(filter: &str, corrected: &str) -> String {
    format!(
        "SELECT t.id, t.currency, t.amount, COALESCE(t.fiat_amount, 0) AS fiat_amount, t.from_account, \
         c.fiat_currency, a.stripe_customer_id, COALESCE(x.refunded, 0) AS refunded, COALESCE(x.adjusted, 0) AS adjusted, \
         s.id AS record_id, s.currency AS record_currency, s.amount_requested, s.amount_refunded, s.status, s.customer \
         FROM transactions t \
         JOIN currencies c ON c.code = t.currency \
         JOIN accounts a ON a.id = t.from_account \
         LEFT JOIN ({}) x ON x.payment_id = t.id \
         LEFT JOIN stripe_records s ON s.transaction_id = t.id \
         WHERE t.kind IN ('payment', 'invoice_payment') AND {filter}",
        corrections(corrected)
    )
}

/// Pairs among `among` that disagree somewhere, and transactions recorded before
/// `missing_before_ms` with no record. A superset: the caller decides which differences are breaks.
pub async fn disagreeing(tx: &mut DbTx, missing_before_ms: i64, among: Among<'_>) -> Result<Vec<Pair>, sqlx::Error> {
    if matches!(among, Among::All) {
        expect_few_back(tx).await?;
    }
    among.run(tx, &disagreeing_sql(missing_before_ms, among)).await?.iter().map(from_row).collect()
}

/// For the rest of `tx` on PostgreSQL, prices a row sent back from a parallel worker near
/// nothing. The planner cannot tell how few pairs disagree (about 1 % in the bench) and expects
/// every pair of a full comparison back, so it priced moving a million rows out of the workers
/// and kept to one core: 0.93 s for a million payments, against 0.59 s on two cores.
pub async fn expect_few_back(tx: &mut DbTx) -> Result<(), sqlx::Error> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SET LOCAL parallel_tuple_cost = 0.001").execute(&mut **tx).await?;
    }
    Ok(())
}

/// The comparing query, public so the benchmark can show the plan the database chose.
pub fn disagreeing_sql(missing_before_ms: i64, among: Among<'_>) -> String {
    select(
        &format!(
            "{} AND ((s.id IS NULL AND t.recorded_at < {missing_before_ms}) OR (s.id IS NOT NULL AND (s.currency <> c.fiat_currency \
             OR s.status <> 'guaranteed' OR s.amount_requested <> COALESCE(t.fiat_amount, 0) + COALESCE(x.adjusted, 0) \
             OR s.amount_refunded <> COALESCE(x.refunded, 0) \
             OR (s.customer IS NOT NULL AND (a.stripe_customer_id IS NULL OR s.customer <> a.stripe_customer_id)))))",
            among.keeps("t.id")
        ),
        &among.keeps("r.corrects_id"),
    )
}

/// Each of `transaction_ids` beside one record matched to it (if any), agreeing or not: the
/// ledger side of duplicates and invoice breaks, read at once rather than one query each.
pub async fn one_pair_each(tx: &mut DbTx, transaction_ids: &[String]) -> Result<HashMap<String, Pair>, sqlx::Error> {
    let among = Among::Only(transaction_ids);
    let mut pairs = HashMap::new();
    for row in among.run(tx, &select(&among.keeps("t.id"), &among.keeps("r.corrects_id"))).await? {
        let pair = from_row(&row)?;
        pairs.entry(pair.ledger.transaction_id.clone()).or_insert(pair);
    }
    Ok(pairs)
}

/// One transaction beside each record matched to it (for a case page), agreeing or not.
pub async fn pairs_of(tx: &mut DbTx, transaction_id: &str) -> Result<Vec<Pair>, sqlx::Error> {
    let sql = select("t.id = $1", "r.corrects_id = $1");
    sqlx::query(&sql).bind(transaction_id).fetch_all(&mut **tx).await?.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> Result<Pair, sqlx::Error> {
    let record_id: Option<String> = row.try_get("record_id")?;
    let stripe = match record_id {
        Some(record_id) => Some(StripeSide {
            record_id,
            currency: row.try_get("record_currency")?,
            amount_requested: row.try_get("amount_requested")?,
            amount_refunded: row.try_get("amount_refunded")?,
            status: super::parse_text(row, "status")?,
            customer: row.try_get("customer")?,
        }),
        None => None,
    };
    Ok(Pair {
        ledger: LedgerSide {
            transaction_id: row.try_get("id")?,
            currency: row.try_get("currency")?,
            amount: row.try_get("amount")?,
            fiat_amount: row.try_get("fiat_amount")?,
            fiat_currency: row.try_get("fiat_currency")?,
            account_id: row.try_get("from_account")?,
            account_customer: row.try_get("stripe_customer_id")?,
            refunded: row.try_get("refunded")?,
            adjusted: row.try_get("adjusted")?,
        },
        stripe,
    })
}

/// A payment that might be the one an orphan record mirrors.
pub struct CandidateRow {
    pub id: String,
    pub occurred_at: i64,
    pub currency: String,
    pub exponent: u32,
    pub amount: i64,
    pub fiat_amount: i64,
    pub description: String,
    pub account_name: String,
    pub account_customer: Option<String>,
}

/// Payments in `fiat_currency` worth `fiat_amount`, within `window_ms` of `around_ms`, that no
/// record carrying money is matched to.
pub async fn payment_candidates(
    tx: &mut DbTx,
    fiat_currency: &str,
    fiat_amount: i64,
    around_ms: i64,
    window_ms: i64,
) -> Result<Vec<CandidateRow>, sqlx::Error> {
    let sql = "SELECT t.id, t.occurred_at, t.currency, c.exponent, t.amount, t.fiat_amount, t.description, a.display_name, a.stripe_customer_id \
        FROM transactions t JOIN currencies c ON c.code = t.currency JOIN accounts a ON a.id = t.from_account \
        WHERE t.kind IN ('payment', 'invoice_payment') AND c.fiat_currency = $1 AND t.fiat_amount = $2 \
        AND t.occurred_at BETWEEN $3 AND $4 \
        AND NOT EXISTS (SELECT 1 FROM stripe_records s WHERE s.transaction_id = t.id AND s.status = 'guaranteed' AND s.amount_refunded < s.amount_guaranteed) \
        ORDER BY t.occurred_at LIMIT 50";
    sqlx::query(sql)
        .bind(fiat_currency)
        .bind(fiat_amount)
        .bind(around_ms - window_ms)
        .bind(around_ms + window_ms)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok(CandidateRow {
                id: row.try_get("id")?,
                occurred_at: row.try_get("occurred_at")?,
                currency: row.try_get("currency")?,
                exponent: u32::try_from(row.try_get::<i64, _>("exponent")?).unwrap_or(0),
                amount: row.try_get("amount")?,
                fiat_amount: row.try_get("fiat_amount")?,
                description: row.try_get("description")?,
                account_name: row.try_get("display_name")?,
                account_customer: row.try_get("stripe_customer_id")?,
            })
        })
        .collect()
}

/// The ledger refunds of a payment.
pub async fn refunds_of(tx: &mut DbTx, payment_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT id FROM transactions WHERE corrects_id = $1 AND kind = 'refund' ORDER BY id")
        .bind(payment_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect()
}
