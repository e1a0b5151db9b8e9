//! The billing worker: makes the Stripe calls queued as steps, each under its own idempotency
//! key, and reads what Stripe answers into Regio's tables in the transaction that finishes the
//! step. A step that loses its claim to a slow run is finished by whoever holds it.

use super::sync;
use crate::domain::billing::StepKind;
use crate::server::db::billing_steps::{self, Step, StepOutcome};
use crate::server::db::invoices as store;
use crate::server::db::{Db, DbTx, new_id, now_ms};
use crate::server::mirror::backoff_ms;
use crate::server::stripe::client::customers::{CreateCustomer, UpdateCustomer};
use crate::server::stripe::client::invoice_items::{CreateInvoiceItem, ItemCharge, ListInvoiceItems};
use crate::server::stripe::client::invoices::{CollectionMethod, CreateInvoice, FinalizeInvoice, Invoice as StripeInvoice, ListInvoices, PendingInvoiceItems};
use crate::server::stripe::client::{IdempotencyKey, ListOptions, Metadata, StripeClient, StripeError};
use std::time::Duration;
use tokio::sync::watch;

/// Give up on a step after this many passing failures; a person sees it failed on the page.
const MAX_ATTEMPTS: i64 = 12;
const BATCH: i64 = 20;
const CLAIM: Duration = Duration::from_secs(120);

pub struct BillingWorker {
    db: Db,
    stripe: StripeClient,
    id: String,
    idle_poll: Duration,
}

/// What one step's call came to, and what to write with it.
enum Made {
    Customer { account_id: String, customer: String },
    Tagged(String),
    Invoice(Box<StripeInvoice>),
}

impl Made {
    fn stripe_id(&self) -> &str {
        match self {
            Made::Customer { customer, .. } | Made::Tagged(customer) => customer,
            Made::Invoice(invoice) => &invoice.id,
        }
    }
}

enum Failure {
    Retry(String),
    Final(String),
}

impl From<StripeError> for Failure {
    fn from(e: StripeError) -> Self {
        if e.is_retryable() { Failure::Retry(e.to_string()) } else { Failure::Final(e.to_string()) }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "billing: database error while making a step");
        Failure::Retry("database error while preparing the request".into())
    }
}

fn key(text: String) -> Result<IdempotencyKey, Failure> {
    IdempotencyKey::new(text).map_err(|e| Failure::Final(format!("idempotency key: {e}")))
}

impl BillingWorker {
    pub fn new(db: Db, stripe: StripeClient, idle_poll: Duration) -> Self {
        Self { db, stripe, id: format!("billing-{}", new_id()), idle_poll }
    }

    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let worked = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "billing: claiming steps");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(self.idle_poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Makes the steps due now, in the order they were queued; answers how many it took.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let steps = billing_steps::claim_due(&self.db, &self.id, BATCH, CLAIM.as_millis() as i64).await?;
        for step in &steps {
            let made = self.make(step).await;
            if let Err(e) = self.finish(step, made).await {
                // The claim lapses and the step is made again under the same key.
                tracing::error!(error = %e, step = %step.id, "billing: recording a step");
            }
        }
        Ok(steps.len())
    }

    async fn finish(&self, step: &Step, made: Result<Made, Failure>) -> Result<(), sqlx::Error> {
        let mut wtx = self.db.begin_write().await?;
        let outcome = match &made {
            Ok(made) => StepOutcome::Done { stripe_id: made.stripe_id() },
            Err(Failure::Retry(error)) if step.attempts + 1 < MAX_ATTEMPTS => StepOutcome::Retry { error, retry_at: now_ms() + backoff_ms(step.attempts) },
            Err(Failure::Retry(error) | Failure::Final(error)) => StepOutcome::Failed { error },
        };
        if !billing_steps::finish(&mut wtx.tx, &self.id, &step.id, outcome).await? {
            tracing::warn!(step = %step.id, "billing: lost the claim before recording the step; left as the holder recorded it");
            return Ok(());
        }
        if let Ok(made) = made {
            record(&mut wtx.tx, step, made).await?;
        }
        wtx.commit().await
    }

    async fn make(&self, step: &Step) -> Result<Made, Failure> {
        match step.kind {
            StepKind::CreateCustomer => self.create_customer(step).await,
            StepKind::TagCustomer => self.tag_customer(step).await,
            StepKind::CreateInvoice => self.create_invoice(step).await,
            StepKind::FinalizeInvoice | StepKind::VoidInvoice | StepKind::MarkUncollectible => self.change_invoice(step).await,
        }
    }

    async fn create_customer(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let account = store::billable_account(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the account is missing".into()))?;
        drop(tx);
        let request = CreateCustomer {
            name: Some(account.display_name.clone()),
            email: account.email.clone(),
            metadata: names_account(&account.id, &account.external_ref),
            ..CreateCustomer::default()
        };
        let customer = self.stripe.customers().create(&request, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Customer { account_id: account.id, customer: customer.id })
    }

    async fn tag_customer(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let account = store::billable_account(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the account is missing".into()))?;
        drop(tx);
        let Some(customer) = account.customer else { return Err(Failure::Final("the account was unlinked before its customer was named".into())) };
        let request = UpdateCustomer { metadata: names_account(&account.id, &account.external_ref) };
        self.stripe.customers().update(&customer, &request, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Tagged(customer))
    }

    /// The invoice, then each line under a key naming the invoice and the line, then the invoice
    /// as Stripe totals it. A retry replays every call that got through.
    async fn create_invoice(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let invoice = store::find(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the invoice is missing".into()))?;
        let lines = store::lines(&mut tx, &invoice.id).await?;
        drop(tx);
        let request = CreateInvoice {
            customer: invoice.customer.clone(),
            collection_method: Some(CollectionMethod::SendInvoice),
            days_until_due: None,
            due_date: invoice.due_at.map(|ms| ms / 1000),
            currency: Some(invoice.fiat_currency.clone()),
            description: Some(invoice.memo.clone()).filter(|m| !m.is_empty()),
            auto_advance: Some(false),
            pending_invoice_items_behavior: Some(PendingInvoiceItems::Exclude),
            metadata: Metadata::from([("regio_invoice_id".to_string(), invoice.id.clone())]),
        };
        // A retry may come after Stripe forgot the key: look for what an earlier attempt made.
        let earlier = if step.attempts > 0 { self.made_before(&invoice.customer, &invoice.id).await? } else { None };
        let (made, lines_made) = match earlier {
            Some(found) => found,
            None => (self.stripe.invoices().create(&request, &key(step.idempotency_key.clone())?).await?, Vec::new()),
        };
        for (n, line) in lines.iter().enumerate().filter(|(n, _)| !lines_made.contains(&n.to_string())) {
            let item = CreateInvoiceItem {
                customer: invoice.customer.clone(),
                invoice: Some(made.id.clone()),
                charge: ItemCharge::Amount { amount: line.fiat_amount, currency: invoice.fiat_currency.clone() },
                description: Some(if line.quantity == 1 { line.description.clone() } else { format!("{} × {}", line.description, line.quantity) }),
                metadata: Metadata::from([("regio_invoice_id".to_string(), invoice.id.clone()), ("regio_line".to_string(), n.to_string())]),
            };
            self.stripe.invoice_items().create(&item, &key(format!("invoice/{}/line/{n}", invoice.id))?).await?;
        }
        Ok(Made::Invoice(Box::new(self.stripe.invoices().retrieve(&made.id, &[]).await?)))
    }

    /// The customer's invoice whose metadata names ours, with the lines it already has.
    async fn made_before(&self, customer: &str, invoice_id: &str) -> Result<Option<(StripeInvoice, Vec<String>)>, Failure> {
        let mut invoices =
            self.stripe.invoices().list(&ListInvoices { customer: Some(customer.to_string()), page: ListOptions::limit(100), ..ListInvoices::default() });
        while let Some(found) = invoices.next_item().await? {
            if found.metadata.get("regio_invoice_id").map(String::as_str) != Some(invoice_id) {
                continue;
            }
            let mut items = self.stripe.invoice_items().list(&ListInvoiceItems {
                invoice: Some(found.id.clone()),
                page: ListOptions::limit(100),
                ..ListInvoiceItems::default()
            });
            let mut lines = Vec::new();
            while let Some(item) = items.next_item().await? {
                lines.extend(item.metadata.get("regio_line").cloned());
            }
            return Ok(Some((found, lines)));
        }
        Ok(None)
    }

    async fn change_invoice(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let invoice = store::find(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the invoice is missing".into()))?;
        drop(tx);
        let Some(stripe_id) = invoice.stripe_id else { return Err(Failure::Retry("waiting for the invoice to be created in Stripe".into())) };
        let key = key(step.idempotency_key.clone())?;
        let invoices = self.stripe.invoices();
        let changed = match step.kind {
            StepKind::FinalizeInvoice => invoices.finalize(&stripe_id, &FinalizeInvoice { auto_advance: Some(false) }, &key).await?,
            StepKind::VoidInvoice => invoices.void(&stripe_id, &key).await?,
            _ => invoices.mark_uncollectible(&stripe_id, &key).await?,
        };
        Ok(Made::Invoice(Box::new(changed)))
    }
}

fn names_account(id: &str, reference: &str) -> Metadata {
    Metadata::from([("regio_account_id".to_string(), id.to_string()), ("regio_account_ref".to_string(), reference.to_string())])
}

/// Writes what the step made, with the step's outcome.
async fn record(tx: &mut DbTx, step: &Step, made: Made) -> Result<(), sqlx::Error> {
    match made {
        Made::Customer { account_id, customer } => {
            // Linked unless someone attached another customer meanwhile.
            let account = store::billable_account(tx, &account_id, "").await?;
            if account.is_some_and(|a| a.customer.is_none()) {
                store::set_customer(tx, &account_id, Some(&customer)).await?;
            }
        }
        Made::Tagged(_) => {}
        Made::Invoice(invoice) => {
            let said = sync::apply(tx, &invoice).await?;
            tracing::debug!(step = %step.id, "{said}");
        }
    }
    Ok(())
}
