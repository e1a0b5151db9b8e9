//! The billing worker: makes the Stripe calls queued as steps, each under its own idempotency
//! key, and reads what Stripe answers into Regio's tables in the transaction that finishes the
//! step. A step that loses its claim to a slow run is finished by whoever holds it.

use super::{changes, clock, dunning, sync};
use crate::domain::billing::PlanInterval;
use crate::domain::billing::StepKind;
use crate::server::db::billing_steps::{self, Step, StepOutcome};
use crate::server::db::currencies;
use crate::server::db::invoices as store;
use crate::server::db::subscriptions as plans;
use crate::server::db::{Db, DbTx, new_id, now_ms};
use crate::server::mirror::backoff_ms;
use crate::server::stripe::client::customers::{CreateCustomer, UpdateCustomer};
use crate::server::stripe::client::form::Update;
use crate::server::stripe::client::invoice_items::{CreateInvoiceItem, ItemCharge, ListInvoiceItems};
use crate::server::stripe::client::invoices::{CollectionMethod, CreateInvoice, FinalizeInvoice, Invoice as StripeInvoice, ListInvoices, PendingInvoiceItems};
use crate::server::stripe::client::payment_methods::CreateCustomPaymentMethod;
use crate::server::stripe::client::prices::{CreatePrice, Interval, Recurring};
use crate::server::stripe::client::products::CreateProduct;
use crate::server::stripe::client::subscriptions::{
    CancelSubscription, CreateSubscription, NewItem, PauseBehavior, PauseCollection, ProrationBehavior, Subscription as StripeSubscription, UpdateSubscription,
};
use crate::server::stripe::client::{IdempotencyKey, ListOptions, Metadata, StripeClient, StripeError};
use std::time::Duration;
use tokio::sync::watch;

/// Give up on a step after this many passing failures; a person sees it failed on the page.
const MAX_ATTEMPTS: i64 = 12;
const BATCH: i64 = 20;
const CLAIM: Duration = Duration::from_secs(120);
/// How often invoices awaiting funds are looked at: a top-up is collected within this.
const DUNNING_EVERY: Duration = Duration::from_secs(2);

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
    PaymentMethod { account_id: String, payment_method: String },
    Invoice(Box<StripeInvoice>),
    Plan { plan_id: String, product: String, price: String },
    Archived { plan_id: String, price: String },
    Subscription(Box<StripeSubscription>),
}

impl Made {
    fn stripe_id(&self) -> &str {
        match self {
            Made::Customer { customer, .. } | Made::Tagged(customer) => customer,
            Made::PaymentMethod { payment_method, .. } => payment_method,
            Made::Invoice(invoice) => &invoice.id,
            Made::Plan { price, .. } | Made::Archived { price, .. } => price,
            Made::Subscription(subscription) => &subscription.id,
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
        let mut dunning_at = std::time::Instant::now();
        loop {
            if *stop.borrow() {
                return;
            }
            if dunning_at.elapsed() >= DUNNING_EVERY {
                dunning_at = std::time::Instant::now();
                if let Err(e) = dunning::run_due(&self.db).await {
                    tracing::warn!(error = %e, "billing: collecting invoices awaiting funds");
                }
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
            let asked_at = now_ms();
            let made = self.make(step).await;
            if let Err(e) = self.finish(step, made, asked_at).await {
                // The claim lapses and the step is made again under the same key.
                tracing::error!(error = %e, step = %step.id, "billing: recording a step");
            }
        }
        Ok(steps.len())
    }

    /// Records the step's outcome; Stripe's answer was asked for at `asked_at` (milliseconds).
    async fn finish(&self, step: &Step, made: Result<Made, Failure>, asked_at: i64) -> Result<(), sqlx::Error> {
        let outcome = match &made {
            Ok(made) => StepOutcome::Done { stripe_id: made.stripe_id() },
            Err(Failure::Retry(error)) if step.attempts + 1 < MAX_ATTEMPTS => StepOutcome::Retry { error, retry_at: now_ms() + backoff_ms(step.attempts) },
            Err(Failure::Retry(error) | Failure::Final(error)) => StepOutcome::Failed { error },
        };
        let failed = matches!(outcome, StepOutcome::Failed { .. });
        let pausing = matches!(step.kind, StepKind::PauseSubscription | StepKind::ResumeSubscription);
        // A pause or resume that failed may or may not have reached Stripe (an answer lost, or
        // one Regio could not read): the page shows what Stripe holds, read before the write.
        let paused_in_stripe = if failed && pausing { self.paused_in_stripe(step).await } else { None };
        let mut wtx = self.db.begin_write().await?;
        if !billing_steps::finish(&mut wtx.tx, &self.id, &step.id, outcome).await? {
            tracing::warn!(step = %step.id, "billing: lost the claim before recording the step; left as the holder recorded it");
            return Ok(());
        }
        if failed && step.kind == StepKind::ChangeSubscription {
            // Stripe refused the change (say, its period ended first): it may be asked for anew.
            plans::set_change(&mut wtx.tx, &step.subject, None).await?;
        }
        if let Some(paused) = paused_in_stripe {
            plans::lock_paused(&mut wtx.tx, &step.subject, self.db.for_update()).await?;
            plans::set_paused(&mut wtx.tx, &step.subject, paused).await?;
        }
        if let Ok(made) = made {
            record(&mut wtx.tx, self.db.for_update(), step, made, asked_at).await?;
        }
        wtx.commit().await
    }

    /// Whether Stripe holds the step's subscription paused; `None` when it cannot be read.
    async fn paused_in_stripe(&self, step: &Step) -> Option<bool> {
        let read = async {
            let mut tx = self.db.begin().await.map_err(|e| e.to_string())?;
            let stripe_id = plans::find_subscription(&mut tx, &step.subject).await.map_err(|e| e.to_string())?.and_then(|s| s.stripe_id);
            drop(tx);
            let Some(stripe_id) = stripe_id else { return Ok(None) };
            let subscription = self.stripe.subscriptions().retrieve(&stripe_id, &[]).await.map_err(|e| e.to_string())?;
            Ok::<_, String>(Some(subscription.pause_collection.is_some()))
        };
        read.await.unwrap_or_else(|e| {
            tracing::warn!(step = %step.id, error = %e, "billing: reading a subscription's pause from Stripe after its step failed");
            None
        })
    }

    async fn make(&self, step: &Step) -> Result<Made, Failure> {
        match step.kind {
            StepKind::CreateCustomer => self.create_customer(step).await,
            StepKind::TagCustomer => self.tag_customer(step).await,
            StepKind::CreateInvoice => self.create_invoice(step).await,
            StepKind::FinalizeInvoice | StepKind::VoidInvoice | StepKind::MarkUncollectible => self.change_invoice(step).await,
            StepKind::AttachPaymentMethod => self.attach_payment_method(step).await,
            StepKind::CreatePlan => self.create_plan(step).await,
            StepKind::ArchivePlan => self.archive_plan(step).await,
            StepKind::CreateSubscription => self.create_subscription(step).await,
            StepKind::CancelSubscription | StepKind::CancelAtPeriodEnd | StepKind::PauseSubscription | StepKind::ResumeSubscription => {
                self.update_subscription(step).await
            }
            StepKind::ChangeSubscription => self.change_subscription(step).await,
        }
    }

    /// A payment method of the currency's custom type, attached to the member's customer and
    /// made its default, so Stripe Billing asks for each automatic invoice to be paid with it.
    async fn attach_payment_method(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let account = store::billable_account(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the account is missing".into()))?;
        // The oldest currency's type: an operator runs one currency in all but rare cases.
        let currency = currencies::list_tx(&mut tx).await?.into_iter().next().ok_or_else(|| Failure::Retry("no currency is set up yet".into()))?;
        drop(tx);
        let Some(customer) = account.customer else { return Err(Failure::Final("the account was unlinked first".into())) };
        let request = CreateCustomPaymentMethod { custom_type: currency.payment_method_type, metadata: names_account(&account.id, &account.external_ref) };
        let methods = self.stripe.payment_methods();
        let made = methods.create_custom(&request, &key(step.idempotency_key.clone())?).await?;
        methods.attach(&made.id, &customer, &key(format!("{}/attach", step.idempotency_key))?).await?;
        let default = UpdateCustomer { metadata: Metadata::new(), default_payment_method: Some(made.id.clone()) };
        self.stripe.customers().update(&customer, &default, &key(format!("{}/default", step.idempotency_key))?).await?;
        Ok(Made::PaymentMethod { account_id: account.id, payment_method: made.id })
    }

    async fn create_plan(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let plan = plans::find_plan(&mut tx, &step.subject).await?.ok_or_else(|| Failure::Final("the plan is missing".into()))?;
        drop(tx);
        let names_plan = || Metadata::from([("regio_plan_id".to_string(), plan.id.clone()), ("local_currency".to_string(), plan.currency.clone())]);
        let product = CreateProduct { name: plan.name.clone(), description: None, active: Some(true), metadata: names_plan() };
        let product = self.stripe.products().create(&product, &key(format!("plan/{}/product", plan.id))?).await?;
        let interval = match plan.interval {
            PlanInterval::Month => Interval::Month,
            PlanInterval::Year => Interval::Year,
        };
        let price = CreatePrice {
            product: product.id.clone(),
            currency: plan.fiat_currency.clone(),
            unit_amount: plan.fiat_amount,
            recurring: Some(Recurring { interval, interval_count: None }),
            nickname: Some(plan.name.clone()),
            lookup_key: None,
            metadata: names_plan(),
        };
        let price = self.stripe.prices().create(&price, &key(format!("plan/{}/price", plan.id))?).await?;
        Ok(Made::Plan { plan_id: plan.id, product: product.id, price: price.id })
    }

    async fn archive_plan(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let plan = plans::find_plan(&mut tx, &step.subject).await?.ok_or_else(|| Failure::Final("the plan is missing".into()))?;
        drop(tx);
        let Some(price) = plan.stripe_price else { return Err(Failure::Retry("waiting for the price to be created in Stripe".into())) };
        self.stripe.prices().archive(&price, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Archived { plan_id: plan.id, price })
    }

    /// Collected automatically: each period's invoice asks for the customer's default payment
    /// method, which Regio pays from the member's wallet.
    async fn create_subscription(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let sub = plans::find_subscription(&mut tx, &step.subject).await?.ok_or_else(|| Failure::Final("the subscription is missing".into()))?;
        let plan = plans::find_plan(&mut tx, &sub.plan_id).await?.ok_or_else(|| Failure::Final("the plan is missing".into()))?;
        let account = store::billable_account(&mut tx, &sub.account_id, "").await?.ok_or_else(|| Failure::Final("the account is missing".into()))?;
        drop(tx);
        let Some(price) = plan.stripe_price else { return Err(Failure::Retry("waiting for the plan's price in Stripe".into())) };
        let Some(customer) = account.customer else { return Err(Failure::Final("the member is not linked to a Stripe customer".into())) };
        if account.payment_method.is_none() {
            return Err(Failure::Retry("waiting for the member's payment method in Stripe".into()));
        }
        let request = CreateSubscription {
            customer,
            items: vec![NewItem { price, quantity: u32::try_from(sub.quantity).ok() }],
            collection_method: Some(CollectionMethod::ChargeAutomatically),
            days_until_due: None,
            description: Some(plan.name.clone()),
            metadata: Metadata::from([("regio_subscription_id".to_string(), sub.id.clone())]),
        };
        let made = self.stripe.subscriptions().create(&request, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Subscription(Box::new(made)))
    }

    /// Cancels, or sets what the step asks for on the subscription: cancel at period end, pause
    /// collection (voiding the invoices of paused periods), resume.
    async fn update_subscription(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let sub = plans::find_subscription(&mut tx, &step.subject).await?.ok_or_else(|| Failure::Final("the subscription is missing".into()))?;
        drop(tx);
        let Some(stripe_id) = sub.stripe_id else { return Err(Failure::Retry("waiting for the subscription to be created in Stripe".into())) };
        let subscriptions = self.stripe.subscriptions();
        let request = match step.kind {
            StepKind::CancelAtPeriodEnd => UpdateSubscription { cancel_at_period_end: Some(true), ..UpdateSubscription::default() },
            StepKind::PauseSubscription => UpdateSubscription {
                pause_collection: Some(Update::Set(PauseCollection { behavior: PauseBehavior::Void, resumes_at: None })),
                ..UpdateSubscription::default()
            },
            StepKind::ResumeSubscription => UpdateSubscription { pause_collection: Some(Update::Clear), ..UpdateSubscription::default() },
            // Canceling twice answers the canceled subscription; no key is needed.
            _ => return Ok(Made::Subscription(Box::new(subscriptions.cancel(&stripe_id, &CancelSubscription::default()).await?))),
        };
        let changed = subscriptions.update(&stripe_id, &request, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Subscription(Box::new(changed)))
    }

    /// Moves the subscription's item to the new plan, for the instant the administrator's preview
    /// was computed for, so Stripe bills what was shown.
    async fn change_subscription(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let sub = plans::find_subscription(&mut tx, &step.subject).await?.ok_or_else(|| Failure::Final("the subscription is missing".into()))?;
        let Some(change) = sub.change.clone() else { return Err(Failure::Final("no change of plan is recorded".into())) };
        let (plan, prorated) = changes::change_is_prorated(&mut tx, &sub, &change).await?;
        drop(tx);
        let Some(stripe_id) = sub.stripe_id else { return Err(Failure::Final("the subscription is not in Stripe".into())) };
        let subscriptions = self.stripe.subscriptions();
        let current = subscriptions.retrieve(&stripe_id, &[]).await?;
        let item = current.items.data.first().ok_or_else(|| Failure::Final("the Stripe subscription has no item".into()))?;
        let request = UpdateSubscription {
            items: vec![changes::item_change(&item.id, &plan, change.quantity)],
            proration_behavior: Some(if prorated { ProrationBehavior::AlwaysInvoice } else { ProrationBehavior::None }),
            proration_date: prorated.then_some(change.proration_date),
            ..UpdateSubscription::default()
        };
        let changed = subscriptions.update(&stripe_id, &request, &key(step.idempotency_key.clone())?).await?;
        Ok(Made::Subscription(Box::new(changed)))
    }

    async fn create_customer(&self, step: &Step) -> Result<Made, Failure> {
        let mut tx = self.db.begin().await?;
        let account = store::billable_account(&mut tx, &step.subject, "").await?.ok_or_else(|| Failure::Final("the account is missing".into()))?;
        drop(tx);
        let request = CreateCustomer {
            name: Some(account.display_name.clone()),
            email: account.email.clone(),
            test_clock: clock::test_clock(&self.db).await?,
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
        let request = UpdateCustomer { metadata: names_account(&account.id, &account.external_ref), default_payment_method: None };
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

/// Queues a step for `subject` under `key`; `false` when that key was queued before.
pub(super) async fn queue(tx: &mut DbTx, subject: &str, kind: StepKind, key: &str, by: &str) -> Result<bool, sqlx::Error> {
    billing_steps::enqueue(tx, &new_id(), subject, kind, key, by).await
}

/// [`queue`], to be made from `not_before` (ms) on.
pub(super) async fn queue_at(tx: &mut DbTx, subject: &str, kind: StepKind, key: &str, by: &str, not_before: i64) -> Result<bool, sqlx::Error> {
    billing_steps::enqueue_at(tx, &new_id(), subject, kind, key, by, not_before).await
}

/// Queues the linked customer's payment method (once per account and customer).
pub(super) async fn queue_payment_method(tx: &mut DbTx, account_id: &str, customer: &str, by: &str) -> Result<(), sqlx::Error> {
    queue(tx, account_id, StepKind::AttachPaymentMethod, &format!("payment_method/{account_id}/{customer}"), by).await.map(|_| ())
}

fn names_account(id: &str, reference: &str) -> Metadata {
    Metadata::from([("regio_account_id".to_string(), id.to_string()), ("regio_account_ref".to_string(), reference.to_string())])
}

/// Writes what the step made, with the step's outcome.
async fn record(tx: &mut DbTx, lock: &str, step: &Step, made: Made, asked_at: i64) -> Result<(), sqlx::Error> {
    match made {
        Made::Customer { account_id, customer } => {
            // Linked unless someone attached another customer meanwhile.
            let account = store::billable_account(tx, &account_id, "").await?;
            if account.is_some_and(|a| a.customer.is_none()) {
                store::set_customer(tx, &account_id, Some(&customer)).await?;
                queue_payment_method(tx, &account_id, &customer, &step.created_by).await?;
            }
        }
        Made::Tagged(_) => {}
        Made::PaymentMethod { account_id, payment_method } => store::set_payment_method(tx, &account_id, &payment_method).await?,
        Made::Invoice(invoice) => {
            let applied = sync::apply(tx, &invoice).await?;
            tracing::debug!(step = %step.id, "{}", applied.said);
        }
        Made::Plan { plan_id, product, price } => plans::set_plan_stripe(tx, &plan_id, &product, &price).await?,
        Made::Archived { plan_id, .. } => plans::set_plan_active(tx, &plan_id, false).await?,
        Made::Subscription(subscription) => {
            if step.kind == StepKind::ChangeSubscription {
                plans::complete_change(tx, &step.subject).await?;
            }
            sync::apply_subscription(tx, lock, &subscription, asked_at).await?;
        }
    }
    Ok(())
}
