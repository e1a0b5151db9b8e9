use super::BillingNav;
use crate::api::billing::{ReprocessEvent, list_events};
use crate::components::filters::ChoiceFilter;
use crate::components::notice::{ActionReport, ErrorNotice};
use crate::components::pager::{OlderNewest, page_href};
use crate::components::time::local_time;
use crate::domain::billing::{EventFilter, EventPage, EventRow, EventState};
use crate::i18n::billing::{Billing, event_state_name, via_name};
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 2] = ["state", "kind"];

/// Stripe's events as Regio received them, what processing did, and a re-process action.
#[component]
pub fn StripeEventsPage() -> impl IntoView {
    let query = use_query_map();
    let reprocess = ServerAction::<ReprocessEvent>::new();
    let filter = Memo::new(move |_| {
        let get = |name: &str| query.read().get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        EventFilter { state: get("state"), kind: get("kind") }
    });
    let page = Resource::new(move || (filter.get(), query.read().get("after"), reprocess.version().get()), |(filter, after, _)| list_events(filter, after));
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=b.nav_events/>
        <h1>{b.nav_events}</h1>
        <BillingNav/>
        <form method="get" class="filters">
            <ChoiceFilter label=b.state name="state" choices=EventState::ALL.iter().map(|&s| (s.as_str(), event_state_name(b, s))).collect()/>
            <label>{b.event_type} " " <input type="text" name="kind" placeholder="invoice.paid" prop:value=move || query.read().get("kind").unwrap_or_default()/></label>
            <button type="submit">{t.filter}</button>
            <a href="/billing/events">{t.clear}</a>
            <a href=move || page_href("/billing/export/events", &query.read(), &FILTERS, &[]) download>{t.download_csv}</a>
        </form>
        <ActionReport value=reprocess.value() done=move |e: EventRow| fill(b.reprocessed, &[&e.id, event_state_name(b, e.state)])/>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(page) => view! { <EventList page reprocess/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EventList(page: EventPage, reprocess: ServerAction<ReprocessEvent>) -> impl IntoView {
    let b = use_texts_of::<Billing>();
    let caught_up = page.last_catch_up.clone().map(|at| fill(b.last_catch_up, &[&local_time(&at)])).unwrap_or_else(|| b.no_catch_up.into());
    if page.rows.is_empty() {
        return view! { <p class="muted">{caught_up}</p> <p class="empty-state">{b.no_events}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/billing/events", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/billing/events", &query, &FILTERS, &[]));
    view! {
        <p class="muted">{caught_up}</p>
        <table class="data events">
            <thead><tr><th>{b.received}</th><th>{b.event_type}</th><th>{b.object}</th><th>{b.via}</th><th>{b.state}</th><th class="num">{b.attempts}</th><th>{b.result}</th><th></th></tr></thead>
            <tbody>{page.rows.into_iter().map(|e| {
                let state = match e.state { EventState::Processed => "delivered", EventState::Failed => "failed", _ => "pending" };
                let id = e.id.clone();
                view! {
                    <tr>
                        <td class="nowrap" title=e.id.clone()>{local_time(&e.received_at)}</td>
                        <td><code>{e.kind}</code></td>
                        <td>{e.object_id.map(|o| view! { <code>{o}</code> })}</td>
                        <td>{via_name(b, e.via)}</td>
                        <td><span class="badge" data-mirror=state>{event_state_name(b, e.state)}</span></td>
                        <td class="num">{e.attempts}</td>
                        <td>{e.error.or(e.result).unwrap_or_default()}</td>
                        <td><button type="button" class="link" on:click=move |_| { reprocess.dispatch(ReprocessEvent { id: id.clone() }); }>{b.reprocess}</button></td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
        <OlderNewest older newest/>
    }
    .into_any()
}
