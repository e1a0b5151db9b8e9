use super::{BillingNav, StatusBadge, is_admin};
use crate::api::auth::me;
use crate::api::billing::list_invoices;
use crate::components::filters::ChoiceFilter;
use crate::components::notice::ErrorNotice;
use crate::components::pager::{OlderNewest, page_href};
use crate::components::time::local_time;
use crate::domain::billing::{InvoiceFilter, InvoiceOrigin, InvoicePage, InvoiceRow, InvoiceStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// The query parameters of an [`InvoiceFilter`]; the CSV export reads the same ones.
const FILTERS: [&str; 4] = ["status", "account", "origin", "due_to"];

fn invoice_filter(query: &ParamsMap) -> InvoiceFilter {
    let [status, account, origin, due_to] = FILTERS.map(|name| query.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
    InvoiceFilter { status, account, origin, due_to }
}

/// Every invoice Regio knows: its own, and those made in Stripe for linked members.
#[component]
pub fn InvoicesPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| invoice_filter(&query.read()));
    let page =
        Resource::new(move || (filter.get(), query.read().get("after")), |(filter, after)| async move { (me().await, list_invoices(filter, after).await) });
    let text = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    view! {
        <Title text="Billing"/>
        <h1>"Billing"</h1>
        <BillingNav/>
        <form method="get" class="filters">
            <ChoiceFilter label="Status" name="status" choices=InvoiceStatus::ALL.iter().map(|s| (s.as_str(), s.as_str())).collect()/>
            <ChoiceFilter label="Made in" name="origin" choices=InvoiceOrigin::ALL.iter().map(|o| (o.as_str(), o.as_str())).collect()/>
            <label>"Member" <input type="text" name="account" placeholder="member reference" prop:value=text("account")/></label>
            <label>"Due on or before" <input type="date" name="due_to" prop:value=text("due_to")/></label>
            <button type="submit">"Filter"</button>
            <a href="/billing">"Clear"</a>
            <a href=move || page_href("/billing/export/invoices", &query.read(), &FILTERS, &[]) download>"Export CSV"</a>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (user, invoices) = page.await;
                let admin = is_admin(&user);
                match invoices {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(page) => view! { <InvoiceList page admin filtered=filter.get_untracked() != InvoiceFilter::default()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceList(page: InvoicePage, admin: bool, filtered: bool) -> impl IntoView {
    let new = admin.then(|| view! { <p><a class="button" href="/billing/new">"New invoice"</a></p> });
    if page.rows.is_empty() {
        let message = if filtered {
            "No invoice matches these filters."
        } else {
            "No invoices yet. Link a member to a Stripe customer on their account page, then create an invoice."
        };
        return view! { {new} <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/billing", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/billing", &query, &FILTERS, &[]));
    view! {
        {new}
        <p class="muted">{format!("{} invoice(s)", page.count)}</p>
        <table class="data invoices">
            <thead>
                <tr>
                    <th>"Number"</th><th>"Member"</th><th>"Status"</th><th class="num">"Total"</th><th class="num">"Fiat"</th>
                    <th class="num">"Left to pay"</th><th>"Due"</th><th>"Made in"</th><th>"Created"</th>
                </tr>
            </thead>
            <tbody>{page.rows.into_iter().map(|invoice| view! { <InvoiceLine invoice/> }).collect_view()}</tbody>
        </table>
        <OlderNewest older newest/>
    }
    .into_any()
}

#[component]
fn InvoiceLine(invoice: InvoiceRow) -> impl IntoView {
    let label = invoice.number.clone().unwrap_or_else(|| "Draft".into());
    let step = match (invoice.step_failed, invoice.step_pending) {
        (true, _) => Some(("step_failed", "Stripe call failed")),
        (false, true) => Some(("step_pending", "Stripe call queued")),
        _ => None,
    }
    .map(|(state, label)| view! { <span class="badge" data-billing=state>{label}</span> });
    view! {
        <tr>
            <td><a href=format!("/billing/invoices/{}", invoice.id)>{label}</a></td>
            <td><a href=format!("/accounts/{}", invoice.account_id)>{invoice.member}</a> " " <span class="muted">{invoice.account_ref}</span></td>
            <td class="nowrap"><StatusBadge status=invoice.status.as_str()/> " " {step}</td>
            <td class="num nowrap">{invoice.local_total}</td>
            <td class="num nowrap">{invoice.fiat_total}</td>
            <td class="num nowrap">{invoice.fiat_remaining}</td>
            <td class="nowrap">{invoice.due_date.unwrap_or_else(|| "—".into())}</td>
            <td>{invoice.origin.as_str()}</td>
            <td class="nowrap">{local_time(&invoice.created_at)}</td>
        </tr>
    }
}
