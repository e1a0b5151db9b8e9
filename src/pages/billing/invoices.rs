use super::{BillingNav, StatusBadge, is_admin};
use crate::api::auth::me;
use crate::api::billing::list_invoices;
use crate::components::filters::ChoiceFilter;
use crate::components::notice::ErrorNotice;
use crate::components::pager::{OlderNewest, page_href};
use crate::components::time::local_time;
use crate::domain::billing::{InvoiceFilter, InvoiceOrigin, InvoicePage, InvoiceRow, InvoiceStatus};
use crate::i18n::billing::{Billing, origin_name, status_label};
use crate::i18n::{fill, use_texts, use_texts_of};
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
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=t.nav_billing/>
        <h1>{t.nav_billing}</h1>
        <BillingNav/>
        <form method="get" class="filters">
            <ChoiceFilter label=b.status name="status" choices=InvoiceStatus::ALL.iter().map(|s| (s.as_str(), status_label(b, s.as_str()))).collect()/>
            <ChoiceFilter label=b.made_in name="origin" choices=InvoiceOrigin::ALL.iter().map(|&o| (o.as_str(), origin_name(b, o))).collect()/>
            <label>{b.member} " " <input type="text" name="account" placeholder=b.member_reference prop:value=text("account")/></label>
            <label>{b.due_on_or_before} " " <input type="date" name="due_to" prop:value=text("due_to")/></label>
            <button type="submit">{t.filter}</button>
            <a href="/billing">{t.clear}</a>
            <a href=move || page_href("/billing/export/invoices", &query.read(), &FILTERS, &[]) download>{b.export_csv}</a>
        </form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
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
    let b = use_texts_of::<Billing>();
    let new = admin.then(|| view! { <p><a class="button" href="/billing/new">{b.new_invoice}</a></p> });
    if page.rows.is_empty() {
        let message = if filtered { b.no_invoice_matches } else { b.no_invoices };
        return view! { {new} <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/billing", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/billing", &query, &FILTERS, &[]));
    view! {
        {new}
        <p class="muted">{fill(b.invoice_count, &[&page.count.to_string()])}</p>
        <table class="data invoices">
            <thead>
                <tr>
                    <th>{b.number}</th><th>{b.member}</th><th>{b.status}</th><th class="num">{b.total}</th><th class="num">{use_texts().fiat}</th>
                    <th class="num">{b.left_to_pay}</th><th>{b.due}</th><th>{b.made_in}</th><th>{b.created}</th>
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
    let b = use_texts_of::<Billing>();
    let label = invoice.number.clone().unwrap_or_else(|| b.draft.into());
    let step = match (invoice.step_failed, invoice.step_pending) {
        (true, _) => Some(("step_failed", b.step_failed)),
        (false, true) => Some(("step_pending", b.step_queued)),
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
            <td>{origin_name(b, invoice.origin)}</td>
            <td class="nowrap">{local_time(&invoice.created_at)}</td>
        </tr>
    }
}
