use crate::api::transactions::list_transactions;
use crate::components::filters::AmountFilters;
use crate::components::mirror::MirrorBadge;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::components::time::Time;
use crate::domain::ledger::{MirrorState, TransactionKind, TransactionView};
use crate::domain::money::format_fiat;
use crate::i18n::{kind_name, mirror_name, use_texts};
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
    let t = use_texts();
    view! {
        <Title text=t.nav_transactions/>
        <h1>{t.nav_transactions}</h1>
        <form method="get" class="filters">
            <label>{t.from_day} " " <input type="date" name="from" prop:value=text("from")/></label>
            <label>{t.to_day} " " <input type="date" name="to" prop:value=text("to")/></label>
            <label>{t.kind}
                <select name="kind">
                    <option value="">{t.any}</option>
                    {TransactionKind::ALL.iter().map(|&k| view! { <option value=k.as_str() selected=move || param("kind").as_deref() == Some(k.as_str())>{kind_name(t, k)}</option> }).collect_view()}
                </select>
            </label>
            <label>{t.account} " " <input type="text" name="account" placeholder=t.account_reference prop:value=text("account")/></label>
            <AmountFilters/>
            <label>{t.stripe_filter}
                <select name="mirror_state">
                    <option value="">{t.any}</option>
                    {MirrorState::ALL.iter().map(|&s| view! { <option value=s.as_str() selected=move || param("mirror_state").as_deref() == Some(s.as_str())>{mirror_name(t, s)}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit">{t.filter}</button>
            <a href="/transactions">{t.clear}</a>
            <a href=move || page_href("/transactions/export", &query.read(), &FILTERS, &[]) download>{t.download_csv}</a>
        </form>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="empty-state">{t.no_transactions}</p>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.next_cursor.map(|cursor| page_href("/transactions", &query.read_untracked(), &FILTERS, &[("before", &cursor)]));
                        view! {
                            <table class="data side-by-side">
                                <thead>
                                    <tr><th colspan="5" class="group">{t.ledger}</th><th colspan="5" class="group stripe">"Stripe"</th></tr>
                                    <tr>
                                        <th>{t.when}</th><th>{t.kind}</th><th>{t.reference}</th><th>{t.from_to}</th><th class="num">{t.amount}</th>
                                        <th class="num stripe">{t.fiat}</th><th class="stripe">{t.payment_record}</th>
                                        <th class="num stripe" title=t.as_last_run_read>{t.guaranteed}</th>
                                        <th class="num stripe" title=t.as_last_run_read>{t.refunded}</th>
                                        <th class="stripe">{t.mirror}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.rows.into_iter().map(|t| view! { <TransactionRow t/> }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                {older.map(|href| view! { <a href=href>{t.older}</a> })}
                                <a href="/transactions">{t.newest}</a>
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
            <td><span class="badge" data-kind=t.kind.as_str()>{kind_name(use_texts(), t.kind)}</span></td>
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
