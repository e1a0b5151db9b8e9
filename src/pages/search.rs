use crate::api::refunds::search_transactions;
use crate::components::notice::ErrorNotice;
use crate::components::time::local_time;
use crate::domain::refunds::SearchHit;
use crate::i18n::admin::{Admin, matched_name};
use crate::i18n::{fill, kind_name, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The top bar's search: transactions found by what support staff are usually given.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let terms = Memo::new(move |_| query.read().get("q").map(|q| q.trim().to_string()).unwrap_or_default());
    let hits = Resource::new(
        move || terms.get(),
        // Nothing typed: nothing to ask the server.
        |q| async move { if q.is_empty() { Ok(Vec::new()) } else { search_transactions(q).await } },
    );
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    view! {
        <Title text=a.search/>
        <h1>{a.search}</h1>
        <form method="get" action="/search" class="filters" role="search">
            <label class="grow">{t.nav_transactions} <input type="search" name="q" prop:value=move || terms.get()/></label>
            <button type="submit">{a.search}</button>
        </form>
        <Transition fallback=move || view! { <p class="muted">{a.searching}</p> }>
            {move || Suspend::new(async move {
                match hits.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(hits) => view! { <SearchResults hits searched=terms.get_untracked()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SearchResults(hits: Vec<SearchHit>, searched: String) -> impl IntoView {
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    if searched.is_empty() {
        return view! { <p class="empty-state">{a.searchable}</p> }.into_any();
    }
    if hits.is_empty() {
        return view! {
            <section class="empty-state">
                <p><strong>{fill(a.no_match, &[&searched])}</strong></p>
                <p class="muted">{a.searchable}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <p class="muted">{fill(a.hits, &[&hits.len().to_string()])}</p>
        <table class="data">
            <thead>
                <tr><th>{t.when}</th><th>{t.kind}</th><th>{t.reference}</th><th class="num">{t.amount}</th><th>{t.from_to}</th><th>{a.matched}</th></tr>
            </thead>
            <tbody>
                {hits.into_iter().map(|hit| view! {
                    <tr>
                        <td class="nowrap">{local_time(&hit.occurred_at)}</td>
                        <td><span class="badge">{kind_name(t, hit.kind)}</span></td>
                        <td><a href=format!("/transactions/{}", hit.transaction_id)>{hit.external_ref}</a></td>
                        <td class="num nowrap">{hit.amount}</td>
                        <td>{hit.from_account} " → " {hit.to_account}</td>
                        <td class="muted">{matched_name(a, &hit.matched).map_or(hit.matched.clone(), str::to_string)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
