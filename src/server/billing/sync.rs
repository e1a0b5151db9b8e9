//! What Stripe says of an invoice, read into the `invoices` table: after each step, and when an
//! event names the invoice. Always the invoice's current state as Stripe answers it, so events
//! can arrive late, twice or out of order and leave the same result.

use crate::domain::billing::{InvoiceOrigin, InvoiceStatus, StepKind};
use crate::server::db::audit::Actor;
use crate::server::db::invoices::{self as store, Invoice, StripeState};
use crate::server::db::subscriptions as plans;
use crate::server::db::{DbTx, billing_steps, currencies, new_id, now_ms};
use crate::server::stripe::client::invoices::{CollectionMethod, Invoice as StripeInvoice};
use crate::server::stripe::client::subscriptions::Subscription as StripeSubscription;

/// What applying Stripe's word did: Regio's invoice or subscription it changed (`None`: Stripe's
/// object is none of Regio's business), and a line saying so.
pub struct Applied {
    pub regio_id: Option<String>,
    pub said: String,
}

impl Applied {
    fn ignored(said: String) -> Self {
        Applied { regio_id: None, said }
    }
}

/// Applies `invoice` to Regio's copy, adopting an invoice made in the Stripe Dashboard for a
/// linked customer.
pub async fn apply(tx: &mut DbTx, invoice: &StripeInvoice) -> Result<Applied, sqlx::Error> {
    let Some(status) = invoice.status.and_then(|s| s.as_str().parse::<InvoiceStatus>().ok()) else {
        return Ok(Applied::ignored(format!("ignored {}: Stripe gave no status Regio knows", invoice.id)));
    };
    let state = StripeState {
        stripe_id: invoice.id.clone(),
        status,
        fiat_total: invoice.total,
        fiat_remaining: invoice.amount_remaining,
        number: invoice.number.clone(),
        due_at: invoice.due_date.map(|d| d.saturating_mul(1000)),
        hosted_url: invoice.hosted_invoice_url.clone(),
    };
    let regio_id = invoice.metadata.get("regio_invoice_id").cloned();
    let known = match store::find_by_stripe_id(tx, &invoice.id).await? {
        Some(known) => Some(known),
        // Made by a create step whose answer was lost: its metadata names our invoice.
        None => match &regio_id {
            Some(id) => store::find(tx, id, "").await?,
            None => None,
        },
    };
    let applied = match known {
        Some(known) => {
            store::set_stripe_state(tx, &known.id, &state).await?;
            Applied { regio_id: Some(known.id), said: format!("invoice {} is {}", invoice.id, status) }
        }
        None => adopt(tx, invoice, state).await?,
    };
    if let Some(id) = applied.regio_id.as_deref().filter(|_| invoice.collection_method == Some(CollectionMethod::ChargeAutomatically)) {
        plans::set_automatic(tx, id, invoice.subscription_id()).await?;
    }
    Ok(applied)
}

/// Applies what Stripe said at `read_at` (milliseconds) of a subscription Regio made (its
/// metadata names ours). A pause or resume Regio has queued, or made after that read, is newer
/// than Stripe's answer, so the subscription keeps Regio's `paused`.
pub async fn apply_subscription(tx: &mut DbTx, lock: &str, subscription: &StripeSubscription, read_at: i64) -> Result<Applied, sqlx::Error> {
    let known = match plans::subscription_by_stripe_id(tx, &subscription.id).await? {
        Some(known) => Some(known),
        None => match subscription.metadata.get("regio_subscription_id") {
            Some(id) => plans::find_subscription(tx, id).await?,
            None => None,
        },
    };
    let Some(known) = known else { return Ok(Applied::ignored(format!("ignored {}: not made by Regio", subscription.id))) };
    let period_end = subscription.items.data.first().and_then(|i| i.current_period_end).map(|s| s.saturating_mul(1000));
    let status = subscription.status.as_str();
    let held = plans::lock_paused(tx, &known.id, lock).await?.unwrap_or(known.paused);
    let pausing = [StepKind::PauseSubscription, StepKind::ResumeSubscription];
    let paused = if billing_steps::owed_or_finished_since(tx, &known.id, &pausing, read_at).await? { held } else { subscription.pause_collection.is_some() };
    plans::set_subscription_state(tx, &known.id, &subscription.id, status, subscription.cancel_at_period_end, period_end, paused).await?;
    Ok(Applied { regio_id: Some(known.id), said: format!("subscription {} is {status}", subscription.id) })
}

/// An invoice Regio did not make: kept when its customer is a linked member and a currency of
/// Regio's is pegged to its fiat currency.
async fn adopt(tx: &mut DbTx, invoice: &StripeInvoice, state: StripeState) -> Result<Applied, sqlx::Error> {
    let Some(customer) = invoice.customer.as_ref().map(|c| c.id().to_string()) else {
        return Ok(Applied::ignored(format!("ignored {}: no customer", invoice.id)));
    };
    let Some(account) = store::account_of_customer(tx, &customer).await? else {
        return Ok(Applied::ignored(format!("ignored {}: customer {customer} is not linked to an account", invoice.id)));
    };
    let pegged = currencies::list_tx(tx).await?.into_iter().find(|c| c.fiat_currency.eq_ignore_ascii_case(&invoice.currency));
    let Some(currency) = pegged else {
        return Ok(Applied::ignored(format!("ignored {}: no currency of Regio is pegged to {}", invoice.id, invoice.currency.to_uppercase())));
    };
    let local_total = currency.peg().to_local(invoice.total).unwrap_or(0);
    let status = state.status;
    let row = Invoice {
        id: new_id(),
        stripe_id: Some(invoice.id.clone()),
        account_id: account.id,
        customer,
        currency: currency.code,
        local_total,
        fiat_currency: invoice.currency.to_lowercase(),
        fiat_total: state.fiat_total,
        fiat_remaining: state.fiat_remaining,
        status,
        origin: InvoiceOrigin::Stripe,
        number: state.number,
        due_at: state.due_at,
        memo: invoice.description.clone().unwrap_or_default(),
        hosted_url: state.hosted_url,
        created_by: Actor::system().label,
        created_at: invoice.created.checked_mul(1000).unwrap_or_else(now_ms),
        subscription: invoice.subscription_id().map(str::to_string),
    };
    store::insert(tx, &row).await?;
    Ok(Applied { said: format!("adopted {} made in Stripe for {} ({status})", invoice.id, account.external_ref), regio_id: Some(row.id) })
}
