//! Billing: member accounts linked to Stripe customers, invoices priced in local currency and
//! collected from wallets, and Stripe's events. Every call Regio owes Stripe is a step queued in
//! the database (see `steps`), made by a worker under a key derived from what it does.

use crate::domain::AppError;
use crate::domain::Role;
use crate::domain::billing::{
    BillingSetup, CollectionPreview, CustomerLink, EventFilter, EventPage, EventRow, InvoiceAction, InvoiceDetail, InvoiceFilter, InvoicePage, LineInput,
};
use crate::server::db::Db;
use crate::server::db::audit::Actor;
use crate::server::stripe::client::StripeClient;

/// A new invoice as the form sends it.
pub struct NewInvoice {
    pub account_id: String,
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub due_date: String,
    pub memo: String,
}

fn not_yet() -> AppError {
    AppError::Conflict { message: "billing is being built".into() }
}

pub async fn setup(_db: &Db) -> Result<BillingSetup, AppError> {
    Err(not_yet())
}

pub async fn customer_link(_db: &Db, _stripe: Option<&StripeClient>, _account_id: &str) -> Result<CustomerLink, AppError> {
    Err(not_yet())
}

pub async fn create_customer(
    _db: &Db,
    _stripe: Option<&StripeClient>,
    _actor: &Actor,
    _account_id: &str,
    _email: Option<String>,
) -> Result<CustomerLink, AppError> {
    Err(not_yet())
}

pub async fn attach_customer(_db: &Db, _stripe: Option<&StripeClient>, _actor: &Actor, _account_id: &str, _customer: &str) -> Result<CustomerLink, AppError> {
    Err(not_yet())
}

pub async fn unlink_customer(_db: &Db, _stripe: Option<&StripeClient>, _actor: &Actor, _account_id: &str) -> Result<CustomerLink, AppError> {
    Err(not_yet())
}

pub async fn invoice_page(_db: &Db, _filter: &InvoiceFilter, _after: Option<String>) -> Result<InvoicePage, AppError> {
    Err(not_yet())
}

pub async fn invoice_detail(_db: &Db, _stripe: Option<&StripeClient>, _role: Role, _id: &str) -> Result<InvoiceDetail, AppError> {
    Err(not_yet())
}

pub async fn create_invoice(_db: &Db, _actor: &Actor, _input: &NewInvoice) -> Result<String, AppError> {
    Err(not_yet())
}

pub async fn invoice_action(_db: &Db, _actor: &Actor, _id: &str, _action: InvoiceAction) -> Result<(), AppError> {
    Err(not_yet())
}

pub async fn preview_collection(_db: &Db, _id: &str) -> Result<CollectionPreview, AppError> {
    Err(not_yet())
}

pub async fn collect(_db: &Db, _actor: &Actor, _id: &str) -> Result<String, AppError> {
    Err(not_yet())
}

pub async fn event_page(_db: &Db, _filter: &EventFilter, _after: Option<String>) -> Result<EventPage, AppError> {
    Err(not_yet())
}

pub async fn reprocess_event(_db: &Db, _stripe: Option<&StripeClient>, _actor: &Actor, _id: &str) -> Result<EventRow, AppError> {
    Err(not_yet())
}
