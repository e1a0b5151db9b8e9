//! Stripe's Payment Records as reconciliation last read them, each matched to the ledger
//! transaction it mirrors when one can be found.

use super::recon_compare::Among;
use super::{DbTx, Param, insert_rows_then, select_in};
use crate::domain::recon::RecordStatus;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// The fields of a Payment Record that reconciliation compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub id: String,
    pub created: i64,
    pub livemode: bool,
    pub currency: String,
    pub amount_requested: i64,
    pub amount_guaranteed: i64,
    pub amount_refunded: i64,
    pub status: RecordStatus,
    pub customer: Option<String>,
    pub payment_method_type: Option<String>,
    pub payment_reference: Option<String>,
    pub metadata_transaction: Option<String>,
    pub description: Option<String>,
}

/// A stored row: the record and what it is matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub record: SnapshotRecord,
    pub transaction_id: Option<String>,
    pub match_source: Option<String>,
}

const COLUMNS: &str = "id, created, livemode, currency, amount_requested, amount_guaranteed, amount_refunded, status, \
    customer, payment_method_type, payment_reference, metadata_transaction, description, transaction_id, match_source";

fn from_row(row: &AnyRow) -> Result<StoredRecord, sqlx::Error> {
    Ok(StoredRecord {
        record: SnapshotRecord {
            id: row.try_get("id")?,
            created: row.try_get("created")?,
            livemode: row.try_get::<i64, _>("livemode")? != 0,
            currency: row.try_get("currency")?,
            amount_requested: row.try_get("amount_requested")?,
            amount_guaranteed: row.try_get("amount_guaranteed")?,
            amount_refunded: row.try_get("amount_refunded")?,
            status: super::parse_text(row, "status")?,
            customer: row.try_get("customer")?,
            payment_method_type: row.try_get("payment_method_type")?,
            payment_reference: row.try_get("payment_reference")?,
            metadata_transaction: row.try_get("metadata_transaction")?,
            description: row.try_get("description")?,
        },
        transaction_id: row.try_get("transaction_id")?,
        match_source: row.try_get("match_source")?,
    })
}

/// Writes `records` (new or changed), matching each to a ledger transaction: the record id a
/// delivery stored, then the payment reference, then Regio's metadata. A person's link or
/// unlink is kept.
pub async fn upsert(tx: &mut DbTx, records: &[SnapshotRecord], now: i64) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let stored: HashMap<String, String> =
        select_in(tx, "SELECT stripe_id, transaction_id FROM outbox WHERE operation = 'report_payment' AND case_id IS NULL AND stripe_id IN ({in})", &ids)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("stripe_id")?, row.try_get("transaction_id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
    let claimed: Vec<String> = records.iter().flat_map(|r| [r.payment_reference.clone(), r.metadata_transaction.clone()]).flatten().collect();
    let known: std::collections::HashSet<String> =
        select_in(tx, "SELECT id FROM transactions WHERE id IN ({in})", &claimed).await?.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
    let rows = records
        .iter()
        .map(|r| {
            let claim = |c: &Option<String>| c.clone().filter(|id| known.contains(id));
            let (transaction_id, source) = match stored.get(&r.id) {
                Some(t) => (Some(t.clone()), Some("stored")),
                None => match (claim(&r.payment_reference), claim(&r.metadata_transaction)) {
                    (Some(t), _) => (Some(t), Some("reference")),
                    (None, Some(t)) => (Some(t), Some("metadata")),
                    (None, None) => (None, None),
                },
            };
            vec![
                Param::Text(r.id.clone()),
                Param::Int(r.created),
                Param::Int(i64::from(r.livemode)),
                Param::Text(r.currency.clone()),
                Param::Int(r.amount_requested),
                Param::Int(r.amount_guaranteed),
                Param::Int(r.amount_refunded),
                Param::Text(r.status.as_str().into()),
                Param::OptText(r.customer.clone()),
                Param::OptText(r.payment_method_type.clone()),
                Param::OptText(r.payment_reference.clone()),
                Param::OptText(r.metadata_transaction.clone()),
                Param::OptText(r.description.clone()),
                Param::OptText(transaction_id),
                Param::OptText(source.map(str::to_string)),
                Param::Int(now),
                Param::Int(now),
            ]
        })
        .collect();
    let columns = [
        "id",
        "created",
        "livemode",
        "currency",
        "amount_requested",
        "amount_guaranteed",
        "amount_refunded",
        "status",
        "customer",
        "payment_method_type",
        "payment_reference",
        "metadata_transaction",
        "description",
        "transaction_id",
        "match_source",
        "synced_at",
        "changed_at",
    ];
    let kept = "stripe_records.match_source IN ('manual', 'unlinked')";
    // Only a record that reads differently is changed: a full re-scan re-reads every record,
    // and the next incremental run would otherwise compare the whole ledger again.
    let changed = [
        "currency",
        "amount_requested",
        "amount_guaranteed",
        "amount_refunded",
        "status",
        "customer",
        "payment_method_type",
        "payment_reference",
        "metadata_transaction",
    ]
    .map(|c| format!("stripe_records.{c} IS DISTINCT FROM excluded.{c}"))
    .join(" OR ");
    let changed = format!("{changed} OR (stripe_records.transaction_id IS NULL AND NOT {kept})");
    let then = format!(
        "ON CONFLICT (id) DO UPDATE SET created = excluded.created, livemode = excluded.livemode, currency = excluded.currency, \
         amount_requested = excluded.amount_requested, amount_guaranteed = excluded.amount_guaranteed, \
         amount_refunded = excluded.amount_refunded, status = excluded.status, customer = excluded.customer, \
         payment_method_type = excluded.payment_method_type, payment_reference = excluded.payment_reference, \
         metadata_transaction = excluded.metadata_transaction, description = excluded.description, \
         transaction_id = CASE WHEN {kept} THEN stripe_records.transaction_id ELSE excluded.transaction_id END, \
         match_source = CASE WHEN {kept} THEN stripe_records.match_source ELSE excluded.match_source END, \
         synced_at = excluded.synced_at, \
         changed_at = CASE WHEN {changed} THEN excluded.changed_at ELSE stripe_records.changed_at END"
    );
    insert_rows_then(tx, "stripe_records", &columns, rows, &then).await
}

/// Matches records read before their transaction reached the ledger (or before Regio's
/// delivery stored their id).
pub async fn rematch_unmatched(tx: &mut DbTx, now: i64) -> Result<u64, sqlx::Error> {
    let stored = sqlx::query(
        "UPDATE stripe_records SET changed_at = $1, match_source = 'stored', transaction_id = (SELECT o.transaction_id FROM outbox o \
         WHERE o.stripe_id = stripe_records.id AND o.operation = 'report_payment' AND o.case_id IS NULL) \
         WHERE transaction_id IS NULL AND match_source IS NULL AND EXISTS (SELECT 1 FROM outbox o \
         WHERE o.stripe_id = stripe_records.id AND o.operation = 'report_payment' AND o.case_id IS NULL)",
    )
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let mut matched = stored.rows_affected();
    for (column, source) in [("payment_reference", "reference"), ("metadata_transaction", "metadata")] {
        let sql = format!(
            "UPDATE stripe_records SET changed_at = $1, match_source = '{source}', transaction_id = {column} \
             WHERE transaction_id IS NULL AND match_source IS NULL AND {column} IN (SELECT id FROM transactions)"
        );
        matched += sqlx::query(&sql).bind(now).execute(&mut **tx).await?.rows_affected();
    }
    Ok(matched)
}

pub async fn find(tx: &mut DbTx, id: &str) -> Result<Option<StoredRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM stripe_records WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// Every record matched to one of `transaction_ids`.
pub async fn matched_to(tx: &mut DbTx, transaction_ids: &[String]) -> Result<Vec<StoredRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM stripe_records WHERE transaction_id IN ({{in}}) ORDER BY created, id");
    select_in(tx, &sql, transaction_ids).await?.iter().map(from_row).collect()
}

/// Transactions among `among` more than one record is matched to.
pub async fn shared_transactions(tx: &mut DbTx, among: Among<'_>) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "SELECT transaction_id FROM stripe_records WHERE transaction_id IS NOT NULL AND {} GROUP BY transaction_id HAVING COUNT(*) > 1",
        among.keeps("transaction_id")
    );
    among.run(tx, &sql).await?.iter().map(|row| row.try_get("transaction_id")).collect()
}

/// Records no transaction accounts for that still carry money (not failed, canceled or fully
/// refunded) and claim to be the currency's: its payment method type or Regio's metadata.
pub async fn unmatched(tx: &mut DbTx) -> Result<Vec<StoredRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM stripe_records WHERE transaction_id IS NULL \
         AND status = 'guaranteed' AND amount_refunded < amount_guaranteed \
         AND (metadata_transaction IS NOT NULL OR payment_method_type IN (SELECT payment_method_type FROM currencies)) \
         ORDER BY created, id"
    );
    sqlx::query(&sql).fetch_all(&mut **tx).await?.iter().map(from_row).collect()
}

/// Sets or clears a person's match; `None` detaches the record, keeps it detached and
/// remembers the payment it was detached from.
pub async fn set_match(tx: &mut DbTx, id: &str, transaction_id: Option<&str>) -> Result<bool, sqlx::Error> {
    let query = match transaction_id {
        Some(t) => sqlx::query("UPDATE stripe_records SET transaction_id = $2, match_source = 'manual', unlinked_from = NULL, changed_at = $3 WHERE id = $1")
            .bind(id)
            .bind(t),
        None => sqlx::query(
            "UPDATE stripe_records SET unlinked_from = transaction_id, transaction_id = NULL, match_source = 'unlinked', changed_at = $2 WHERE id = $1",
        )
        .bind(id),
    };
    let done = query.bind(super::now_ms()).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Records Regio's deliveries named that the snapshot does not hold yet: of deliveries since
/// `since_ms` (0: every delivery, on a full re-scan).
pub async fn referenced_but_unread(tx: &mut DbTx, since_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "SELECT DISTINCT o.stripe_id FROM outbox o LEFT JOIN stripe_records s ON s.id = o.stripe_id \
         WHERE o.state = 'delivered' AND o.stripe_id IS NOT NULL AND s.id IS NULL AND o.updated_at >= $1",
    )
    .bind(since_ms)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| row.try_get("stripe_id"))
    .collect()
}

/// Records whose Stripe side may have changed since `since_ms` through Regio itself (a refund
/// or fix delivered, a correction posted) or that a live case is about, to read them again.
pub async fn worth_rereading(tx: &mut DbTx, since_ms: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "SELECT o.stripe_id AS id FROM outbox o WHERE o.state = 'delivered' AND o.stripe_id IS NOT NULL AND o.updated_at >= $1 \
         UNION SELECT o.record_id FROM outbox o WHERE o.record_id IS NOT NULL AND o.updated_at >= $1 \
         UNION SELECT s.id FROM transactions c JOIN stripe_records s ON s.transaction_id = c.corrects_id WHERE c.recorded_at >= $1 \
         UNION SELECT record_id FROM recon_cases WHERE state <> 'closed' AND record_id IS NOT NULL",
    )
    .bind(since_ms)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| row.try_get("id"))
    .collect()
}

/// Forgets records Stripe no longer has: read before `before_ms` and not seen by the full
/// listing that just finished.
pub async fn forget_unseen(tx: &mut DbTx, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM stripe_records WHERE synced_at < $1").bind(before_ms).execute(&mut **tx).await?.rows_affected())
}

pub async fn forget(tx: &mut DbTx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM stripe_records WHERE id = $1").bind(id).execute(&mut **tx).await.map(|_| ())
}

/// The oldest record in the snapshot that names `transaction_id` as its payment reference or in
/// Regio's metadata, unless a person detached it.
pub async fn naming(db: &super::Db, transaction_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "SELECT id FROM stripe_records WHERE (payment_reference = $1 OR metadata_transaction = $1) \
         AND (match_source IS NULL OR match_source <> 'unlinked') ORDER BY created, id LIMIT 1",
    )
    .bind(transaction_id)
    .fetch_optional(&db.pool)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()
}
