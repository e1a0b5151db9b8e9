//! Linking a member account to a Stripe customer: a new one made from the account's name and
//! email, or an existing one checked with Stripe first. Unlinking waits for open invoices.

use super::step_view;
use crate::domain::AppError;
use crate::domain::billing::{CustomerLink, StepKind};
use crate::domain::ledger::{AccountKind, AccountStatus};
use crate::domain::locale::Locale;
use crate::i18n::TextGroup;
use crate::i18n::money::{Money as MoneyTexts, account_kind_name};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::invoices::{self as store, Billable};
use crate::server::db::{Db, DbTx, billing_steps, new_id};
use crate::server::stripe::client::{StripeClient, StripeError};
use crate::server::stripe::dashboard_page;
use serde_json::json;

const MAX_EMAIL_LEN: usize = 254;

pub async fn customer_link(db: &Db, stripe: Option<&StripeClient>, account_id: &str) -> Result<CustomerLink, AppError> {
    let mut tx = db.begin().await?;
    let account = account(&mut tx, account_id, "").await?;
    let open_invoices = store::open_count(&mut tx, account_id).await?;
    let steps = billing_steps::of_subject(&mut tx, account_id).await?.into_iter().map(step_view).collect();
    drop(tx);
    let awaiting_funds = super::dunning::awaiting_funds(db, Some(account_id)).await?;
    Ok(CustomerLink {
        awaiting_funds,
        dashboard_url: account.customer.as_deref().and_then(|c| dashboard_page(stripe, &format!("customers/{c}"))),
        account_id: account.id,
        account_ref: account.external_ref,
        display_name: account.display_name,
        email: account.email,
        customer: account.customer,
        linkable: account.kind == AccountKind::Member,
        open_invoices,
        steps,
    })
}

async fn account(tx: &mut DbTx, id: &str, lock: &str) -> Result<Billable, AppError> {
    store::billable_account(tx, id, lock).await?.ok_or_else(|| AppError::not_found(format!("account {id}")))
}

/// The account, if a customer can be linked to it now.
async fn linkable(db: &Db, tx: &mut DbTx, id: &str) -> Result<Billable, AppError> {
    let account = account(tx, id, db.for_update()).await?;
    if account.kind != AccountKind::Member {
        return Err(AppError::validation(
            "account_id",
            say!("{} is a {} account: only members are billed", "{}の口座種別は「{}」です。請求できるのは会員だけです"; &account.display_name => &account.display_name, account.kind => account_kind_name(MoneyTexts::of(Locale::Ja), account.kind)),
        ));
    }
    if account.status == AccountStatus::Closed {
        return Err(AppError::validation("account_id", say!("{} is closed", "{}は解約済みです", account.display_name)));
    }
    if let Some(customer) = &account.customer {
        return Err(AppError::conflict(say!("{} is already linked to {customer}", "{}はすでに {customer} と紐付いています", account.display_name)));
    }
    Ok(account)
}

fn parse_email(email: Option<String>) -> Result<Option<String>, AppError> {
    let Some(email) = email.map(|e| e.trim().to_string()).filter(|e| !e.is_empty()) else { return Ok(None) };
    let shaped = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if !shaped {
        return Err(AppError::validation("email", say!("must be an address like hanako@example.jp", "hanako@example.jp のような形式で入力してください")));
    }
    Ok(Some(email))
}

fn needs_stripe(stripe: Option<&StripeClient>) -> Result<&StripeClient, AppError> {
    stripe.ok_or_else(|| {
        AppError::conflict(say!(
            "Stripe is not configured (no STRIPE_SECRET_KEY): customers cannot be linked",
            "Stripe が設定されていません（STRIPE_SECRET_KEY がありません）。顧客を紐付けられません"
        ))
    })
}

/// Saves `email` on the account and queues the customer's creation; the worker links it.
pub async fn create_customer(db: &Db, stripe: Option<&StripeClient>, actor: &Actor, account_id: &str, email: Option<String>) -> Result<CustomerLink, AppError> {
    needs_stripe(stripe)?;
    let email = parse_email(email)?;
    let mut wtx = db.begin_write().await?;
    let account = linkable(db, &mut wtx.tx, account_id).await?;
    if billing_steps::pending(&mut wtx.tx, account_id, StepKind::CreateCustomer).await? {
        return Err(AppError::conflict(say!("A Stripe customer for {} is already being created", "{}の Stripe 顧客はすでに作成中です", account.display_name)));
    }
    store::set_email(&mut wtx.tx, account_id, email.as_deref()).await?;
    let step = new_id();
    // The step's own id: asking again after this one finished is a new customer on purpose.
    let key = format!("customer/{account_id}/{step}");
    billing_steps::enqueue(&mut wtx.tx, &step, account_id, StepKind::CreateCustomer, &key, &actor.label).await?;
    let event = AuditEvent {
        action: "billing.customer_create",
        target: &format!("account:{account_id}"),
        before: Some(json!({ "email": account.email, "stripe_customer_id": null })),
        after: Some(json!({ "email": email, "step": step })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    customer_link(db, stripe, account_id).await
}

/// Links an existing customer after Stripe confirms it exists; its metadata is then made to
/// name the account (a queued step).
pub async fn attach_customer(db: &Db, stripe: Option<&StripeClient>, actor: &Actor, account_id: &str, customer: &str) -> Result<CustomerLink, AppError> {
    let client = needs_stripe(stripe)?;
    if !customer.starts_with("cus_") || customer.len() > 255 || !customer.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(AppError::validation(
            "customer",
            say!("must be a Stripe customer id such as cus_NffrFeUfNV2Hib", "cus_NffrFeUfNV2Hib のような Stripe の顧客 ID を入力してください"),
        ));
    }
    match client.customers().retrieve(customer, &[]).await {
        Ok(found) if found.deleted => {
            return Err(AppError::validation("customer", say!("{customer} was deleted in Stripe", "{customer} は Stripe で削除されています")));
        }
        Ok(_) => {}
        Err(e) if e.code() == Some("resource_missing") => {
            return Err(AppError::validation("customer", say!("Stripe has no customer {customer}", "Stripe に顧客 {customer} が見つかりません")));
        }
        Err(e) => return Err(unreachable_stripe(e)),
    }
    let mut wtx = db.begin_write().await?;
    linkable(db, &mut wtx.tx, account_id).await?;
    if let Some(other) = store::account_of_customer(&mut wtx.tx, customer).await? {
        return Err(AppError::validation(
            "customer",
            say!("{customer} is already linked to {} ({})", "{customer} はすでに {}（{}）と紐付いています", other.display_name, other.external_ref),
        ));
    }
    store::set_customer(&mut wtx.tx, account_id, Some(customer)).await?;
    super::steps::queue_payment_method(&mut wtx.tx, account_id, customer, &actor.label).await?;
    let step = new_id();
    let key = format!("tag_customer/{account_id}/{step}");
    billing_steps::enqueue(&mut wtx.tx, &step, account_id, StepKind::TagCustomer, &key, &actor.label).await?;
    let event = AuditEvent {
        action: "billing.customer_attach",
        target: &format!("account:{account_id}"),
        before: Some(json!({ "stripe_customer_id": null })),
        after: Some(json!({ "stripe_customer_id": customer })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    customer_link(db, stripe, account_id).await
}

pub async fn unlink_customer(db: &Db, stripe: Option<&StripeClient>, actor: &Actor, account_id: &str) -> Result<CustomerLink, AppError> {
    let mut wtx = db.begin_write().await?;
    let account = account(&mut wtx.tx, account_id, db.for_update()).await?;
    let Some(customer) = account.customer.clone() else {
        return Err(AppError::conflict(say!("{} is not linked to a Stripe customer", "{}は Stripe の顧客と紐付いていません", account.display_name)));
    };
    let open = store::open_count(&mut wtx.tx, account_id).await?;
    if open > 0 {
        return Err(AppError::conflict(say!(
            "{customer} has {open} invoice(s) still draft or open: void them or mark them uncollectible before unlinking",
            "{customer} には下書きまたは未払いの請求書が {open} 件あります。紐付けを解除する前に、無効にするか回収不能にしてください"
        )));
    }
    store::set_customer(&mut wtx.tx, account_id, None).await?;
    let event = AuditEvent {
        action: "billing.customer_unlink",
        target: &format!("account:{account_id}"),
        before: Some(json!({ "stripe_customer_id": customer })),
        after: Some(json!({ "stripe_customer_id": null })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    customer_link(db, stripe, account_id).await
}

pub(super) fn unreachable_stripe(e: StripeError) -> AppError {
    tracing::warn!(error = %e, "billing: asking Stripe");
    AppError::Request { message: format!("Stripe could not be asked ({e}); try again in a moment") }
}
