use crate::api::transactions::list_transactions;
use crate::components::filters::AmountFilters;
use crate::components::mirror::MirrorBadge;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::components::time::Time;
use crate::domain::ledger::{MirrorState, TransactionKind, TransactionView};
use crate::domain::money::format_fiat;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 8] = ["from", "to", "kind", "account", "currency", "min_amount", "max_amount", "mirror_state"];

/// The ledger beside Stripe: each transaction with the Payment Record that mirrors it.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let page = Resource::new(
        move || (FILTERS.map(param), param("before")),
        |([from, to, kind, account, currency, min_amount, max_amount, mirror_state], before)| {
            list_transactions(from, to, kind, account, currency, min_amount, max_amount, mirror_state, before)
        },
    );
    let text = move |name: &'static str| move || param(name).unwrap_or_default();
    view! {
        <Title text="Transactions"/>
        <h1>"Transactions"</h1>
        <form method="get" class="filters">
            <label>"From" <input type="date" name="from" prop:value=text("from")/></label>
            <label>"To" <input type="date" name="to" prop:value=text("to")/></label>
            <label>"Kind"
                <select name="kind">
                    <option value="">"any"</option>
                    {TransactionKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=move || param("kind").as_deref() == Some(k.as_str())>{k.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Account" <input type="text" name="account" placeholder="reference" prop:value=text("account")/></label>
            <AmountFilters/>
            <label>"Stripe"
                <select name="mirror_state">
                    <option value="">"any"</option>
                    {MirrorState::ALL.iter().map(|s| view! { <option value=s.as_str() selected=move || param("mirror_state").as_deref() == Some(s.as_str())>{s.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit">"Filter"</button>
            <a href="/transactions">"Clear"</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="empty-state">"No transactions match these filters."</p>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.next_cursor.map(|cursor| page_href("/transactions", &query.read_untracked(), &FILTERS, &[("before", &cursor)]));
                        view! {
                            <table class="data side-by-side">
                                <thead>
                                    <tr><th colspan="5" class="group">"Ledger"</th><th colspan="5" class="group stripe">"Stripe"</th></tr>
                                    <tr>
                                        <th>"When"</th><th>"Kind"</th><th>"Reference"</th><th>"From → To"</th><th class="num">"Amount"</th>
                                        <th class="num stripe">"Fiat"</th><th class="stripe">"Payment Record"</th>
                                        <th class="num stripe" title="As the last reconciliation run read it">"Guaranteed"</th>
                                        <th class="num stripe" title="As the last reconciliation run read it">"Refunded"</th>
                                        <th class="stripe">"Mirror"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.rows.into_iter().map(|t| view! { <TransactionRow t/> }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                {older.map(|href| view! { <a href=href>"Older →"</a> })}
                                <a href="/transactions">"Newest"</a>
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn TransactionRow(t: TransactionView) -> impl IntoView {
    let href = format!("/transactions/{}", t.id);
    let in_fiat = |minor: Option<i64>| minor.zip(t.fiat_currency.clone()).map(|(m, c)| format_fiat(m, &c)).unwrap_or_default();
    let (fiat, guaranteed, refunded) = (in_fiat(t.fiat_amount_minor), in_fiat(t.stripe_guaranteed), in_fiat(t.stripe_refunded));
    view! {
        <tr>
            <td class="nowrap"><Time at=t.occurred_at.clone()/></td>
            <td><span class="badge">{t.kind.as_str()}</span></td>
            <td><a href=href>{t.external_ref}</a></td>
            <td>{t.from_account} " → " {t.to_account}</td>
            <td class="num">{t.amount} " " {t.currency}</td>
            <td class="num stripe">{fiat}</td>
            <td class="stripe"><code>{t.stripe_payment_record.unwrap_or_default()}</code></td>
            <td class="num stripe">{guaranteed}</td>
            <td class="num stripe">{refunded}</td>
            <td class="stripe"><MirrorBadge state=t.mirror_state/></td>
        </tr>
    }
}
