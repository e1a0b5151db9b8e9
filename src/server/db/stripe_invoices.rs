//! The Stripe invoices the ledger says it paid, as reconciliation last read them.

use super::recon_compare::Among;
use super::{DbTx, Param};
use sqlx::Row;

/// Invoices worth reading this run: every one on a full re-scan; otherwise those not read yet,
/// not yet paid when last read, named by an invoice payment recorded since `since_ms`, or the
/// subject of a live case.
pub async fn to_read(tx: &mut DbTx, full: bool, since_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    let query = if full {
        sqlx::query("SELECT DISTINCT stripe_invoice AS id FROM transactions WHERE stripe_invoice IS NOT NULL")
    } else {
        sqlx::query(
            "SELECT DISTINCT t.stripe_invoice AS id FROM transactions t LEFT JOIN stripe_invoices i ON i.id = t.stripe_invoice \
         WHERE t.stripe_invoice IS NOT NULL AND (i.id IS NULL OR i.status <> 'paid' OR t.recorded_at >= $1 \
         OR EXISTS (SELECT 1 FROM recon_cases c WHERE c.subject = t.id AND c.class = 'invoice_mismatch' AND c.state <> 'closed'))",
        )
        .bind(since_ms)
    };
    query.fetch_all(&mut **tx).await?.iter().map(|row| row.try_get("id")).collect()
}

pub async fn upsert(tx: &mut DbTx, id: &str, status: &str, paid_records: &[String], now: i64) -> Result<(), sqlx::Error> {
    let row = vec![Param::Text(id.into()), Param::Text(status.into()), Param::Text(paid_records.join(" ")), Param::Int(now)];
    let then = "ON CONFLICT (id) DO UPDATE SET status = excluded.status, paid_records = excluded.paid_records, synced_at = excluded.synced_at";
    super::insert_rows_then(tx, "stripe_invoices", &["id", "status", "paid_records", "synced_at"], vec![row], then).await
}

pub async fn forget(tx: &mut DbTx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM stripe_invoices WHERE id = $1").bind(id).execute(&mut **tx).await.map(|_| ())
}

/// An invoice payment beside its invoice as Stripe has it (`None` if Stripe has no such
/// invoice) and the record matched to the payment.
pub struct InvoicePair {
    pub transaction_id: String,
    pub invoice: String,
    pub status: Option<String>,
    pub paid_records: Vec<String>,
    pub record_id: Option<String>,
}

/// Invoice payments recorded before `before_ms` (the grace period), with what Stripe says.
pub async fn pairs(tx: &mut DbTx, before_ms: i64, among: Among<'_>) -> Result<Vec<InvoicePair>, sqlx::Error> {
    let sql = format!(
        "SELECT t.id, t.stripe_invoice, i.status, i.paid_records, s.id AS record_id FROM transactions t \
         LEFT JOIN stripe_invoices i ON i.id = t.stripe_invoice LEFT JOIN stripe_records s ON s.transaction_id = t.id \
         WHERE t.kind = 'invoice_payment' AND t.stripe_invoice IS NOT NULL AND t.recorded_at < {before_ms} AND {} ORDER BY t.id",
        among.keeps("t.id")
    );
    among
        .run(tx, &sql)
        .await?
        .iter()
        .map(|row| {
            let paid: Option<String> = row.try_get("paid_records")?;
            Ok(InvoicePair {
                transaction_id: row.try_get("id")?,
                invoice: row.try_get("stripe_invoice")?,
                status: row.try_get("status")?,
                paid_records: paid.unwrap_or_default().split_whitespace().map(str::to_string).collect(),
                record_id: row.try_get("record_id")?,
            })
        })
        .collect()
}

/// The invoice a transaction paid, with what Stripe says of it: `(invoice, status, paid by)`.
pub async fn of_transaction(tx: &mut DbTx, transaction_id: &str) -> Result<Option<(String, Option<String>, Vec<String>)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT t.stripe_invoice, i.status, i.paid_records FROM transactions t LEFT JOIN stripe_invoices i ON i.id = t.stripe_invoice \
         WHERE t.id = $1 AND t.stripe_invoice IS NOT NULL",
    )
    .bind(transaction_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        let paid: Option<String> = row.try_get("paid_records")?;
        Ok((row.try_get("stripe_invoice")?, row.try_get("status")?, paid.unwrap_or_default().split_whitespace().map(str::to_string).collect()))
    })
    .transpose()
}
