//! The transaction page's read model: the ledger side, the outbox, and Stripe's own view.

use crate::domain::AppError;
use crate::domain::ledger::{StripeRecordView, TimelineEvent, TimelineWhat, TransactionDetail};
use crate::server::db::{Db, format_ms, ledger, outbox};
use crate::server::stripe::client::payment_attempt_records::ListPaymentAttemptRecords;
use crate::server::stripe::client::payment_details::PaymentDetails;
use crate::server::stripe::client::{Metadata, StripeClient};

fn record_view(id: &str, created: i64, livemode: bool, metadata: &Metadata, p: &PaymentDetails) -> StripeRecordView {
    StripeRecordView {
        id: id.to_string(),
        created: format_ms(created * 1000),
        livemode,
        currency: p.amount_requested.currency.clone(),
        amount_requested: p.amount_requested.value,
        amount_guaranteed: p.amount_guaranteed.value,
        amount_refunded: p.amount_refunded.value,
        amount_failed: p.amount_failed.value,
        amount_canceled: p.amount_canceled.value,
        payment_reference: p.processor_details.as_ref().and_then(|d| d.custom.as_ref()).and_then(|c| c.payment_reference.clone()),
        payment_method: p.payment_method_details.as_ref().and_then(|m| m.custom.as_ref()).and_then(|c| c.display_name.clone().or_else(|| c.kind.clone())),
        customer: p.customer_details.as_ref().and_then(|c| c.customer.clone()),
        reported_by: p.reported_by.map(|r| r.as_str().to_string()),
        description: p.description.clone(),
        metadata: metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

pub async fn transaction_detail(db: &Db, stripe: Option<&StripeClient>, id: &str) -> Result<TransactionDetail, AppError> {
    let transaction = ledger::view(db, id).await?.ok_or_else(|| AppError::not_found("transaction"))?;
    let entries = ledger::entries(db, id).await?;
    let mirror = outbox::mirror_of(db, id).await?;
    let refunds = ledger::corrections_of(db, id).await?;

    let occurred = TimelineWhat::Occurred { kind: transaction.kind, source: transaction.source };
    let mut timeline = vec![TimelineEvent { at: transaction.occurred_at.clone(), what: occurred }];
    for attempt in mirror.iter().flat_map(|m| m.attempts.iter()) {
        let what = TimelineWhat::Delivery { outcome: attempt.outcome, error: attempt.error.clone() };
        timeline.push(TimelineEvent { at: attempt.at.clone(), what });
    }
    for refund in &refunds {
        let what = TimelineWhat::Correction {
            kind: refund.kind,
            amount: refund.amount.clone(),
            currency: refund.currency.clone(),
            external_ref: refund.external_ref.clone(),
        };
        timeline.push(TimelineEvent { at: refund.occurred_at.clone(), what });
    }
    timeline.sort_by(|a, b| a.at.cmp(&b.at));

    let (mut stripe_record, mut stripe_attempts, mut stripe_note, mut dashboard_url) = (None, Vec::new(), None, None);
    match (stripe, transaction.stripe_payment_record.as_deref()) {
        (None, _) => stripe_note = Some("Stripe is not configured: set STRIPE_SECRET_KEY.".into()),
        (Some(_), None) => stripe_note = Some("Not in Stripe yet.".into()),
        (Some(client), Some(record_id)) => match client.payment_records().retrieve(record_id, &[]).await {
            Err(e) => stripe_note = Some(format!("Stripe's side could not be read: {e}")),
            Ok(record) => {
                stripe_record = Some(record_view(&record.id, record.created, record.livemode, &record.metadata, &record.payment));
                dashboard_url = crate::server::stripe::dashboard_url(Some(client), &record.id);
                match client.payment_attempt_records().list(&ListPaymentAttemptRecords::of(record_id)).collect_all().await {
                    Ok(attempts) => stripe_attempts = attempts.iter().map(|a| record_view(&a.id, a.created, a.livemode, &a.metadata, &a.payment)).collect(),
                    Err(e) => stripe_note = Some(format!("Attempt records could not be read: {e}")),
                }
            }
        },
    }
    Ok(TransactionDetail { transaction, entries, mirror, refunds, stripe_record, stripe_attempts, stripe_note, dashboard_url, timeline })
}
