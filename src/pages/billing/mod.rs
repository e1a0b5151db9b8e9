//! Billing: invoices (list, new, one invoice), subscriptions and plans, invoices awaiting funds,
//! and Stripe's events. Each page carries the section's own navigation.

pub mod dunning;
pub mod events;
pub mod invoice;
pub mod invoice_new;
pub mod invoices;
pub mod subscriptions;

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The Billing section's pages, the current one marked.
#[component]
pub fn BillingNav() -> impl IntoView {
    let path = use_location().pathname;
    let link = move |href: &'static str, label: &'static str| {
        let current = move || {
            let here = path.get();
            let on =
                if href == "/billing" { here == "/billing" || here.starts_with("/billing/invoices") || here == "/billing/new" } else { here.starts_with(href) };
            on.then_some("page")
        };
        view! { <a href=href aria-current=current>{label}</a> }
    };
    view! {
        <nav class="subnav" aria-label="Billing">
            {link("/billing", "Invoices")}
            {link("/billing/subscriptions", "Subscriptions")}
            {link("/billing/plans", "Plans")}
            {link("/billing/awaiting", "Awaiting funds")}
            {link("/billing/events", "Stripe events")}
        </nav>
    }
}

/// An invoice or subscription status as a badge.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class="badge" data-billing=status.clone()>{status.replace('_', " ")}</span> }
}

/// Whether the signed-in person is an administrator (who may change billing).
pub fn is_admin(user: &Result<Option<crate::domain::UserView>, crate::domain::AppError>) -> bool {
    user.as_ref().ok().and_then(|u| u.as_ref()).is_some_and(|u| u.role.includes(crate::domain::Role::Admin))
}
