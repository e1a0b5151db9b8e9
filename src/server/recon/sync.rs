//! Reading Stripe's side into the snapshot: the listing (from the cursor, or everything on a
//! full re-scan), then every record the ledger names or may have changed that the listing did
//! not return.

use super::ReconError;
use super::progress::Progress;
use crate::domain::recon::RecordStatus;
use crate::server::db::stripe_invoices;
use crate::server::db::stripe_records::{self, SnapshotRecord};
use crate::server::db::{Db, now_ms, recon_runs};
use crate::server::stripe::client::invoice_payments::{InvoicePaymentStatus, ListInvoicePayments};
use crate::server::stripe::client::payment_records::{ListPaymentRecords, PaymentRecord};
use crate::server::stripe::client::{ListOptions, StripeClient};
use std::collections::HashSet;

/// Records created up to this long before the cursor are listed again: Stripe's `created` is
/// in whole seconds and records reported in the same second may arrive in either order.
const OVERLAP_SECONDS: i64 = 600;

pub fn snapshot_of(record: &PaymentRecord) -> SnapshotRecord {
    let p = &record.payment;
    let status = if p.amount_guaranteed.value > 0 {
        RecordStatus::Guaranteed
    } else if p.amount_failed.value > 0 {
        RecordStatus::Failed
    } else if p.amount_canceled.value > 0 {
        RecordStatus::Canceled
    } else {
        RecordStatus::Pending
    };
    SnapshotRecord {
        id: record.id.clone(),
        created: record.created,
        livemode: record.livemode,
        currency: p.amount_requested.currency.clone(),
        amount_requested: p.amount_requested.value,
        amount_guaranteed: p.amount_guaranteed.value,
        amount_refunded: p.amount_refunded.value,
        status,
        customer: p.customer_details.as_ref().and_then(|c| c.customer.clone()),
        payment_method_type: p.payment_method_details.as_ref().and_then(|m| m.custom.as_ref()).and_then(|c| c.kind.clone()),
        payment_reference: p.processor_details.as_ref().and_then(|d| d.custom.as_ref()).and_then(|c| c.payment_reference.clone()),
        metadata_transaction: record.metadata.get("regio_transaction_id").cloned(),
        description: p.description.clone(),
    }
}

/// Reads the invoices the ledger says it paid, and which records paid them.
async fn read_invoices(db: &Db, stripe: &StripeClient, progress: &Progress, full: bool, since: i64) -> Result<(), ReconError> {
    let mut tx = db.begin().await?;
    let wanted = stripe_invoices::to_read(&mut tx, full, since).await?;
    tx.commit().await?;
    if wanted.is_empty() {
        return Ok(());
    }
    progress.phase("Reading the invoices the ledger paid").await;
    for id in wanted {
        let invoice = match stripe.invoices().retrieve(&id, &[]).await {
            Ok(invoice) => Some(invoice),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e.into()),
        };
        let paid = match &invoice {
            Some(_) => {
                let request = ListInvoicePayments { invoice: Some(id.clone()), ..ListInvoicePayments::default() };
                let payments = stripe.invoice_payments().list(&request).collect_all().await?;
                payments
                    .iter()
                    .filter(|p| p.status == InvoicePaymentStatus::Paid)
                    .filter_map(|p| p.payment.payment_record.as_ref().map(|r| r.id().to_string()))
                    .collect::<Vec<_>>()
            }
            None => Vec::new(),
        };
        let mut tx = db.begin_write().await?;
        match invoice {
            Some(invoice) => {
                let status = invoice.status.map_or("unknown", |s| s.as_str());
                stripe_invoices::upsert(&mut tx.tx, &id, status, &paid, now_ms()).await?;
            }
            None => stripe_invoices::forget(&mut tx.tx, &id).await?,
        }
        tx.commit().await?;
        progress.read(1).await;
    }
    Ok(())
}

async fn store(db: &Db, records: &[SnapshotRecord], now: i64) -> Result<(), ReconError> {
    let mut tx = db.begin_write().await?;
    stripe_records::upsert(&mut tx.tx, records, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads Stripe into the snapshot; returns how many records were read.
pub async fn read_stripe(db: &Db, stripe: &StripeClient, progress: &Progress, full: bool, run_started: i64) -> Result<i64, ReconError> {
    let (cursor, _) = recon_runs::cursor(db).await?;
    let full = full || cursor == 0;
    let request = ListPaymentRecords { created_after: (!full).then(|| cursor - OVERLAP_SECONDS), created_before: None, page: ListOptions::limit(100) };
    progress.phase(if full { "Reading every Stripe payment record" } else { "Reading new Stripe payment records" }).await;
    let mut pager = stripe.payment_records().list(&request);
    let mut listed = HashSet::new();
    let mut newest = cursor;
    while let Some(page) = pager.next_page().await? {
        let records: Vec<SnapshotRecord> = page.iter().map(snapshot_of).collect();
        newest = records.iter().map(|r| r.created).fold(newest, i64::max);
        listed.extend(records.iter().map(|r| r.id.clone()));
        store(db, &records, now_ms()).await?;
        progress.read(records.len()).await;
    }

    progress.phase("Reading the records the ledger refers to").await;
    let since = recon_runs::last_success_started(db).await?.unwrap_or(0);
    let mut tx = db.begin().await?;
    let mut wanted = stripe_records::referenced_but_unread(&mut tx, if full { 0 } else { since }).await?;
    wanted.extend(stripe_records::worth_rereading(&mut tx, since).await?);
    tx.commit().await?;
    let wanted: Vec<String> = wanted.into_iter().filter(|id| listed.insert(id.clone())).collect();
    for id in wanted {
        match stripe.payment_records().retrieve(&id, &[]).await {
            Ok(record) => store(db, &[snapshot_of(&record)], now_ms()).await?,
            Err(e) if e.status() == Some(404) => {
                let mut tx = db.begin_write().await?;
                stripe_records::forget(&mut tx.tx, &id).await?;
                tx.commit().await?;
            }
            Err(e) => return Err(e.into()),
        }
        progress.read(1).await;
    }

    read_invoices(db, stripe, progress, full, since).await?;

    let mut tx = db.begin_write().await?;
    if full {
        // Every record Stripe has was just read: what was not is gone from Stripe.
        stripe_records::forget_unseen(&mut tx.tx, run_started).await?;
    }
    stripe_records::rematch_unmatched(&mut tx.tx, now_ms()).await?;
    recon_runs::advance_cursor(&mut tx.tx, newest, full.then_some(run_started)).await?;
    tx.commit().await?;
    Ok(progress.records_read())
}
