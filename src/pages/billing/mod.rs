//! Billing: invoices (list, new, one invoice), subscriptions and plans, invoices awaiting funds,
//! and Stripe's events. Each page carries the section's own navigation.

pub mod dunning;
pub mod events;
pub mod invoice;
pub mod invoice_new;
pub mod invoices;
pub mod subscriptions;

use crate::i18n::billing::{Billing, status_label};
use crate::i18n::{use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The Billing section's pages, the current one marked.
#[component]
pub fn BillingNav() -> impl IntoView {
    let path = use_location().pathname;
    let b = use_texts_of::<Billing>();
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
        <nav class="subnav" aria-label=use_texts().nav_billing>
            {link("/billing", b.nav_invoices)}
            {link("/billing/subscriptions", b.nav_subscriptions)}
            {link("/billing/plans", b.nav_plans)}
            {link("/billing/awaiting", b.nav_awaiting)}
            {link("/billing/events", b.nav_events)}
        </nav>
    }
}

/// An invoice or subscription status as a badge, in the page's language.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let shown = status_text(&status);
    view! { <span class="badge" data-billing=status>{shown}</span> }
}

/// A status as the page's language names it; one this console does not know shows as Stripe
/// wrote it.
pub fn status_text(status: &str) -> String {
    status_label(use_texts_of::<Billing>(), status).replace('_', " ")
}

/// Whether the signed-in person is an administrator (who may change billing).
pub fn is_admin(user: &Result<Option<crate::domain::UserView>, crate::domain::AppError>) -> bool {
    user.as_ref().ok().and_then(|u| u.as_ref()).is_some_and(|u| u.role.includes(crate::domain::Role::Admin))
}
