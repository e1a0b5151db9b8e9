use crate::api::refunds::search_transactions;
use crate::components::notice::ErrorNotice;
use crate::components::time::local_time;
use crate::domain::refunds::SearchHit;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const SEARCHABLE: &str =
    "Search by transaction id, external reference, Payment Record id (pr_…), account reference or name, or an exact amount such as 1500 or 12.50.";

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
    view! {
        <Title text="Search"/>
        <h1>"Search"</h1>
        <form method="get" action="/search" class="filters" role="search">
            <label class="grow">"Transactions" <input type="search" name="q" prop:value=move || terms.get()/></label>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Searching…"</p> }>
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
    if searched.is_empty() {
        return view! { <p class="empty-state">{SEARCHABLE}</p> }.into_any();
    }
    if hits.is_empty() {
        return view! {
            <section class="empty-state">
                <p><strong>{format!("No transaction matches “{searched}”.")}</strong></p>
                <p class="muted">{SEARCHABLE}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <p class="muted">{format!("{} transaction(s); at most 20, newest first.", hits.len())}</p>
        <table class="data">
            <thead>
                <tr><th>"When"</th><th>"Kind"</th><th>"Reference"</th><th class="num">"Amount"</th><th>"From → To"</th><th>"Matched"</th></tr>
            </thead>
            <tbody>
                {hits.into_iter().map(|hit| view! {
                    <tr>
                        <td class="nowrap">{local_time(&hit.occurred_at)}</td>
                        <td><span class="badge">{hit.kind.as_str()}</span></td>
                        <td><a href=format!("/transactions/{}", hit.transaction_id)>{hit.external_ref}</a></td>
                        <td class="num nowrap">{hit.amount}</td>
                        <td>{hit.from_account} " → " {hit.to_account}</td>
                        <td class="muted">{hit.matched}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
