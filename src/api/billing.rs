//! Billing: member accounts linked to Stripe customers, invoices priced in local currency,
//! finalized, voided or collected from the member's wallet, and the Stripe events Regio
//! received. Viewers read invoices; administrators do everything else.

use crate::domain::AppError;
use crate::domain::billing::{
    BillingSetup, CollectionPreview, CustomerLink, EventFilter, EventPage, EventRow, InvoiceDetail, InvoiceFilter, InvoicePage, LineInput,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::{choice, confirmed, non_empty},
    super::guard::guarded,
    crate::domain::Role,
    crate::domain::billing::InvoiceAction,
    crate::say,
    crate::server::billing::{self, NewInvoice},
};

/// What the new-invoice form offers: currencies with their pegs, and linked members.
#[server(prefix = "/rpc", endpoint = "billing_setup", output = crate::api::codec::Json)]
pub async fn get_billing_setup() -> Result<BillingSetup, AppError> {
    guarded(Role::Admin, |ctx| async move { billing::setup(&ctx.state.db).await }).await
}

#[server(prefix = "/rpc", endpoint = "customer_link", output = crate::api::codec::Json)]
pub async fn get_customer_link(account_id: String) -> Result<CustomerLink, AppError> {
    guarded(Role::Viewer, |ctx| async move { billing::customer_link(&ctx.state.db, ctx.state.stripe.as_ref(), &account_id).await }).await
}

/// Queues the creation of a Stripe customer from the account's name and `email` (saved on the
/// account); `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "create_customer", output = crate::api::codec::Json)]
pub async fn create_customer(account_id: String, email: Option<String>, confirm: Option<String>) -> Result<CustomerLink, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        billing::create_customer(&ctx.state.db, ctx.state.stripe.as_ref(), &ctx.actor(), &account_id, non_empty(email)).await
    })
    .await
}

/// Links an existing `cus_…` after checking with Stripe that it exists and that no other
/// account holds it.
#[server(prefix = "/rpc", endpoint = "attach_customer", output = crate::api::codec::Json)]
pub async fn attach_customer(account_id: String, customer: String) -> Result<CustomerLink, AppError> {
    guarded(
        Role::Admin,
        |ctx| async move { billing::attach_customer(&ctx.state.db, ctx.state.stripe.as_ref(), &ctx.actor(), &account_id, customer.trim()).await },
    )
    .await
}

/// Refused while the customer has open invoices; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "unlink_customer", output = crate::api::codec::Json)]
pub async fn unlink_customer(account_id: String, confirm: Option<String>) -> Result<CustomerLink, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        billing::unlink_customer(&ctx.state.db, ctx.state.stripe.as_ref(), &ctx.actor(), &account_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_invoices", output = crate::api::codec::Json)]
pub async fn list_invoices(#[server(default)] filter: InvoiceFilter, after: Option<String>) -> Result<InvoicePage, AppError> {
    guarded(Role::Viewer, |ctx| async move { billing::invoice_page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

#[server(prefix = "/rpc", endpoint = "get_invoice", output = crate::api::codec::Json)]
pub async fn get_invoice(id: String) -> Result<InvoiceDetail, AppError> {
    guarded(Role::Viewer, |ctx| async move { billing::invoice_detail(&ctx.state.db, ctx.state.stripe.as_ref(), ctx.user.role, &id).await }).await
}

/// Saves a draft and queues its creation in Stripe; answers the new invoice's id. `due_date` is
/// `YYYY-MM-DD`; `lines` at most `MAX_LINES`, empty rows ignored.
#[server(prefix = "/rpc", endpoint = "create_invoice", output = crate::api::codec::Json)]
pub async fn create_invoice(account_id: String, currency: String, lines: Vec<LineInput>, due_date: String, memo: Option<String>) -> Result<String, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let input = NewInvoice { account_id, currency, lines, due_date, memo: non_empty(memo).unwrap_or_default() };
        billing::create_invoice(&ctx.state.db, &ctx.actor(), &input).await
    })
    .await
}

/// `action` is `finalize`, `void` or `mark_uncollectible` (queued for Stripe); `confirm=yes`
/// is required.
#[server(prefix = "/rpc", endpoint = "invoice_action", output = crate::api::codec::Json)]
pub async fn change_invoice(id: String, action: String, confirm: Option<String>) -> Result<InvoiceDetail, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        let action: InvoiceAction =
            choice("action", Some(action))?.ok_or_else(|| AppError::validation("action", say!("choose an action", "操作を選んでください")))?;
        billing::invoice_action(&ctx.state.db, &ctx.actor(), &id, action).await?;
        billing::invoice_detail(&ctx.state.db, ctx.state.stripe.as_ref(), ctx.user.role, &id).await
    })
    .await
}

/// What collecting the invoice from the member's wallet would move; nothing moves.
#[server(prefix = "/rpc", endpoint = "preview_collection", output = crate::api::codec::Json)]
pub async fn preview_collection(id: String) -> Result<CollectionPreview, AppError> {
    guarded(Role::Admin, |ctx| async move { billing::preview_collection(&ctx.state.db, &id).await }).await
}

/// Debits the member for what the invoice has left to pay and queues its Payment Record, attached
/// to the invoice; `confirm=yes` is required. A short balance is refused with the shortfall.
#[server(prefix = "/rpc", endpoint = "collect_invoice", output = crate::api::codec::Json)]
pub async fn collect_invoice(id: String, confirm: Option<String>) -> Result<InvoiceDetail, AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        billing::collect(&ctx.state.db, &ctx.actor(), &id).await?;
        billing::invoice_detail(&ctx.state.db, ctx.state.stripe.as_ref(), ctx.user.role, &id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_events", output = crate::api::codec::Json)]
pub async fn list_events(#[server(default)] filter: EventFilter, after: Option<String>) -> Result<EventPage, AppError> {
    guarded(Role::Admin, |ctx| async move { billing::event_page(&ctx.state.db, &filter, non_empty(after)).await }).await
}

/// Processes a stored event again (reading the object's current state from Stripe); audited.
#[server(prefix = "/rpc", endpoint = "reprocess_event", output = crate::api::codec::Json)]
pub async fn reprocess_event(id: String) -> Result<EventRow, AppError> {
    guarded(Role::Admin, |ctx| async move { billing::reprocess_event(&ctx.state.db, ctx.state.stripe.as_ref(), &ctx.actor(), &id).await }).await
}
