//! One outbox item to one Stripe call.

use crate::domain::money::{Money, format_amount};
use crate::server::db::Db;
use crate::server::db::currencies::{self, Currency};
use crate::server::db::ledger::{self, LedgerTransaction};
use crate::server::db::outbox::{self, FixTarget, Operation, OutboxItem};
use crate::server::db::{accounts, invoices};
use crate::server::db::{now_ms, stripe_records};
use crate::server::stripe::client::credit_notes::{CreateCreditNote, LinkRecordRefund};
use crate::server::stripe::client::invoices::AttachPayment;
use crate::server::stripe::client::payment_details::{CustomPaymentMethod, CustomProcessor, CustomerDetails, PaymentOutcome};
use crate::server::stripe::client::payment_records::ListPaymentRecords;
use crate::server::stripe::client::payment_records::{ReportPayment, ReportRefund};
use crate::server::stripe::client::{Amount, IdempotencyKey, ListOptions, Metadata, StripeClient, StripeError};
use std::time::Duration;

/// What became of one delivery attempt.
#[derive(Debug)]
pub enum Delivery {
    Delivered {
        stripe_id: String,
    },
    /// Not yet possible or a passing failure: try again later.
    Retry {
        error: String,
        http_status: Option<u16>,
    },
    /// Stripe refused for good; a person has to look.
    Failed {
        error: String,
        http_status: Option<u16>,
    },
    /// Stripe refused because the object exists already (`resource_already_exists`): final
    /// unless it is what an earlier attempt made.
    Exists {
        error: String,
        http_status: Option<u16>,
    },
}

/// `ambiguity_window`: how long Stripe surely keeps an idempotency key; a retry later than
/// that after the first attempt looks for what that attempt may have made.
pub async fn deliver(db: &Db, stripe: &StripeClient, item: &OutboxItem, ambiguity_window: Duration) -> Delivery {
    match attempt(db, stripe, item, ambiguity_window).await {
        Ok(delivery) => delivery,
        Err(e) => {
            tracing::error!(error = %e, outbox = %item.id, "mirror: database error");
            Delivery::Retry { error: "database error while preparing the request".into(), http_status: None }
        }
    }
}

async fn attempt(db: &Db, stripe: &StripeClient, item: &OutboxItem, ambiguity_window: Duration) -> Result<Delivery, sqlx::Error> {
    let Some(transaction) = ledger::find(db, &item.transaction_id).await? else {
        return Ok(Delivery::Failed { error: "the ledger transaction is missing".into(), http_status: None });
    };
    let Some(currency) = currencies::find(db, &transaction.amount.currency).await? else {
        return Ok(Delivery::Failed { error: format!("currency {} is not set up", transaction.amount.currency), http_status: None });
    };
    let key = match IdempotencyKey::new(item.idempotency_key.clone()) {
        Ok(key) => key,
        Err(e) => return Ok(Delivery::Failed { error: format!("idempotency key: {e}"), http_status: None }),
    };
    Ok(match item.operation {
        Operation::ReportPayment => {
            let record = match made_before(db, stripe, item, ambiguity_window).await? {
                Ok(record) => record,
                Err(retry) => return Ok(retry),
            };
            report_payment(db, stripe, item, &transaction, &currency, &key, record).await?
        }
        Operation::ReportRefund => {
            let delivery = match &item.fix {
                Some(fix) => report_fix_refund(stripe, fix, &transaction, &key).await,
                None => report_refund(db, stripe, &transaction, &key).await?,
            };
            already_made(item, delivery, &transaction, db).await?
        }
    })
}

/// The fiat currency and local exponent stored with the transaction when it was posted: a
/// retry sends exactly what the first attempt sent, whatever the currency says today.
fn posted_fiat(t: &LedgerTransaction) -> Result<(Money, u32), Delivery> {
    match (&t.fiat, t.exponent.and_then(|e| u32::try_from(e).ok())) {
        (Some(fiat), Some(exponent)) => Ok((fiat.clone(), exponent)),
        _ => Err(Delivery::Failed { error: "the transaction has no fiat amount, fiat currency or exponent".into(), http_status: None }),
    }
}

fn metadata(transaction: &LedgerTransaction, currency: &Currency, exponent: u32) -> Metadata {
    Metadata::from([
        ("regio_transaction_id".to_string(), transaction.id.clone()),
        ("regio_kind".to_string(), transaction.kind.as_str().to_string()),
        ("local_amount".to_string(), format_amount(transaction.amount.minor, exponent)),
        ("local_currency".to_string(), currency.code.clone()),
        ("regio_external_ref".to_string(), transaction.external_ref.chars().take(500).collect()),
    ])
}

/// Records made before are looked for this far before the first attempt: Stripe's `created`
/// is in whole seconds and clocks differ.
const LOOKBACK_SECONDS: i64 = 600;

/// The record an earlier attempt of this payment delivery made, when it may have made one that
/// Stripe's idempotency key no longer guards: one a success answer named (kept on the row),
/// else, past the window, one naming the transaction in the reconciliation snapshot or among
/// the records created since the first attempt. `Err` when Stripe could not be asked.
async fn made_before(db: &Db, stripe: &StripeClient, item: &OutboxItem, window: Duration) -> Result<Result<Option<String>, Delivery>, sqlx::Error> {
    if let Some(record) = &item.stripe_id {
        return Ok(Ok(Some(record.clone())));
    }
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let Some(first) = item.first_sent_at.filter(|first| now_ms().saturating_sub(*first) > window_ms) else { return Ok(Ok(None)) };
    if let Some(record) = stripe_records::naming(db, &item.transaction_id).await? {
        return Ok(Ok(Some(record)));
    }
    let since = ListPaymentRecords { created_after: Some(first / 1000 - LOOKBACK_SECONDS), page: ListOptions::limit(100), ..ListPaymentRecords::default() };
    let mut pages = stripe.payment_records().list(&since);
    loop {
        match pages.next_item().await {
            Ok(Some(record)) => {
                let reference = record.payment.processor_details.as_ref().and_then(|p| p.custom.as_ref()).and_then(|c| c.payment_reference.as_deref());
                if reference == Some(item.transaction_id.as_str()) || record.metadata.get("regio_transaction_id") == Some(&item.transaction_id) {
                    return Ok(Ok(Some(record.id)));
                }
            }
            Ok(None) => return Ok(Ok(None)),
            Err(e) => return Ok(Err(Delivery::Retry { error: format!("looking for a record made before: {e}"), http_status: e.status() })),
        }
    }
}

/// A refund Stripe says already exists under our reference, after an attempt that may have
/// reached it, is that attempt's: delivered. (Stripe requires refund references unique.)
async fn already_made(item: &OutboxItem, delivery: Delivery, t: &LedgerTransaction, db: &Db) -> Result<Delivery, sqlx::Error> {
    if item.first_sent_at.is_none() || !matches!(delivery, Delivery::Exists { .. }) {
        return Ok(delivery);
    }
    let record = match &item.fix {
        Some(fix) => Some(fix.record_id.clone()),
        None => match &t.corrects_id {
            Some(payment) => outbox::payment_record_of(db, payment).await?,
            None => None,
        },
    };
    Ok(match record {
        Some(stripe_id) => Delivery::Delivered { stripe_id },
        None => delivery,
    })
}

async fn report_payment(
    db: &Db,
    stripe: &StripeClient,
    item: &OutboxItem,
    t: &LedgerTransaction,
    currency: &Currency,
    key: &IdempotencyKey,
    made: Option<String>,
) -> Result<Delivery, sqlx::Error> {
    let (fiat, exponent) = match posted_fiat(t) {
        Ok(posted) => posted,
        Err(failed) => return Ok(failed),
    };
    let payer = accounts::find(db, &t.from_account).await?;
    // An invoice payment names the member's payment method, as the invoice asked to be paid with.
    let payment_method = match &t.stripe_invoice {
        Some(_) => invoices::payment_method_of(db, &t.from_account).await?,
        None => None,
    };
    let at = t.occurred_at / 1000;
    let request = ReportPayment {
        amount_requested: Amount::from(&fiat),
        initiated_at: at,
        payment_method: CustomPaymentMethod {
            custom_type: currency.payment_method_type.clone(),
            display_name: Some(currency.payment_method_name.clone()),
            billing_details: None,
            payment_method,
        },
        outcome: Some(PaymentOutcome::Guaranteed { guaranteed_at: at }),
        processor: Some(CustomProcessor { payment_reference: t.id.clone() }),
        customer_details: payer.and_then(|p| p.stripe_customer_id).map(|customer| CustomerDetails { customer: Some(customer), ..CustomerDetails::default() }),
        customer_presence: None,
        description: Some(t.description.clone()).filter(|d| !d.is_empty()),
        shipping_details: None,
        metadata: metadata(t, currency, exponent),
    };
    let record = match made {
        Some(record) => record,
        None => match stripe.payment_records().report_payment(&request, key).await {
            Ok(record) => record.id,
            Err(e) => {
                if let StripeError::Decode { id: Some(record), .. } = &e {
                    outbox::note_record(db, &item.id, record).await?;
                }
                return Ok(outcome(Err(e)));
            }
        },
    };
    let Some(invoice) = &t.stripe_invoice else { return Ok(Delivery::Delivered { stripe_id: record }) };
    // The record exists whatever becomes of the attach: a retry adopts it.
    outbox::note_record(db, &item.id, &record).await?;
    // A second call under its own key: a retry replays the report (same key, same record) and
    // attaches again, which Stripe answers from the first attach.
    let attach_key = match IdempotencyKey::new(format!("attach_payment/{}", key.as_str())) {
        Ok(k) => k,
        Err(e) => return Ok(Delivery::Failed { error: format!("idempotency key: {e}"), http_status: None }),
    };
    let attached = stripe.invoices().attach_payment(invoice, &AttachPayment::PaymentRecord(record.clone()), &attach_key).await;
    Ok(match attached {
        Ok(_) => Delivery::Delivered { stripe_id: record },
        Err(e) => {
            let failed = outcome(Err(e));
            match failed {
                Delivery::Failed { error, http_status } => {
                    Delivery::Failed { error: format!("{record} made, attaching it to {invoice}: {error}"), http_status }
                }
                other => other,
            }
        }
    })
}

async fn report_refund(db: &Db, stripe: &StripeClient, t: &LedgerTransaction, key: &IdempotencyKey) -> Result<Delivery, sqlx::Error> {
    let Some(payment_id) = &t.corrects_id else {
        return Ok(Delivery::Failed { error: "the refund names no payment".into(), http_status: None });
    };
    let Some(record) = outbox::payment_record_of(db, payment_id).await? else {
        return Ok(Delivery::Retry { error: "waiting for the payment's Payment Record".into(), http_status: None });
    };
    let (fiat, _) = match posted_fiat(t) {
        Ok(posted) => posted,
        Err(failed) => return Ok(failed),
    };
    if fiat.minor == 0 {
        // Rounding can leave a small refund worth nothing in fiat: Stripe takes no zero refund,
        // and the record already shows the right refunded total.
        return Ok(Delivery::Delivered { stripe_id: record });
    }
    let request = ReportRefund {
        amount: Some(Amount::from(&fiat)),
        refund_reference: t.id.clone(),
        refunded_at: t.occurred_at / 1000,
        initiated_at: None,
        // Metadata given with a refund lands on the record and would overwrite the payment's;
        // the refund reference already names the refund transaction.
        metadata: Metadata::new(),
    };
    let reported = outcome(stripe.payment_records().report_refund(&record, &request, key).await.map(|r| r.id));
    let Delivery::Delivered { .. } = reported else { return Ok(reported) };
    match ledger::find(db, payment_id).await?.and_then(|p| p.stripe_invoice) {
        Some(invoice) => Ok(credit_invoice(stripe, t, &fiat, &record, &invoice, key).await.unwrap_or(reported)),
        None => Ok(reported),
    }
}

/// The refund of an invoice payment, shown on its invoice: a credit note that links the refund
/// reported on the record (`refund_group` is its `refund_reference`). Under a key of its own, so
/// a retry replays the report (same key, same refund) and then the credit note. `None` when it
/// was made.
async fn credit_invoice(stripe: &StripeClient, t: &LedgerTransaction, fiat: &Money, record: &str, invoice: &str, key: &IdempotencyKey) -> Option<Delivery> {
    let credit_key = match IdempotencyKey::new(format!("credit_note/{}", key.as_str())) {
        Ok(k) => k,
        Err(e) => return Some(Delivery::Failed { error: format!("idempotency key: {e}"), http_status: None }),
    };
    let note = CreateCreditNote {
        invoice: invoice.to_string(),
        amount: Some(fiat.minor),
        refunds: vec![LinkRecordRefund { payment_record: record.to_string(), refund_group: t.id.clone(), amount_refunded: Some(fiat.minor) }],
        metadata: Metadata::from([("regio_transaction_id".to_string(), t.id.clone())]),
        ..CreateCreditNote::default()
    };
    match outcome(stripe.credit_notes().create(&note, &credit_key).await.map(|n| n.id)) {
        Delivery::Delivered { .. } => None,
        Delivery::Failed { error, http_status } => {
            Some(Delivery::Failed { error: format!("refund reported on {record}; its credit note for {invoice}: {error}"), http_status })
        }
        other => Some(other),
    }
}

/// A refund a reconciliation fix asked for: on the record it names, for the amount it names,
/// in the payment's fiat currency.
async fn report_fix_refund(stripe: &StripeClient, fix: &FixTarget, payment: &LedgerTransaction, key: &IdempotencyKey) -> Delivery {
    let Some(fiat) = &payment.fiat else {
        return Delivery::Failed { error: "the payment has no fiat currency".into(), http_status: None };
    };
    let request = ReportRefund {
        amount: Some(Amount::from(&fiat.with_minor(fix.amount))),
        refund_reference: fix.reference.clone(),
        refunded_at: fix.queued_at / 1000,
        initiated_at: None,
        metadata: Metadata::new(),
    };
    outcome(stripe.payment_records().report_refund(&fix.record_id, &request, key).await.map(|r| r.id))
}

fn outcome(result: Result<String, StripeError>) -> Delivery {
    match result {
        Ok(stripe_id) => Delivery::Delivered { stripe_id },
        Err(e) if e.is_retryable() => Delivery::Retry { error: e.to_string(), http_status: e.status() },
        Err(e) if e.code() == Some("resource_already_exists") => Delivery::Exists { error: e.to_string(), http_status: e.status() },
        Err(e) => Delivery::Failed { error: e.to_string(), http_status: e.status() },
    }
}
