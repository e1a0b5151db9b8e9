//! Stripe: Regio's own typed client and a stateful emulator that speaks Stripe's wire format.

pub mod client;
pub mod emulator;
pub mod setup;

use client::{KeyMode, StripeClient};

/// Where a person opens a Payment Record in the Stripe Dashboard; only a live key's records
/// are there (test mode and the emulator have no Dashboard page to link to).
pub fn dashboard_url(client: Option<&StripeClient>, record_id: &str) -> Option<String> {
    dashboard_page(client, &format!("payments/{record_id}"))
}

/// A page of the Stripe Dashboard (`customers/cus_…`, `invoices/in_…`), for live keys only.
pub fn dashboard_page(client: Option<&StripeClient>, path: &str) -> Option<String> {
    client.filter(|c| c.mode() == KeyMode::Live).map(|_| format!("https://dashboard.stripe.com/{path}"))
}
