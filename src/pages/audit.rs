use crate::api::audit::list_audit;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::components::time::Time;
use crate::i18n::admin::Admin;
use crate::i18n::{use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 4] = ["actor", "action", "from", "to"];

/// The audit log, filtered by a plain GET form so every view has a URL to share.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let page = Resource::new(
        move || (param("actor"), param("action"), param("from"), param("to"), param("before")),
        |(actor, action, from, to, before)| list_audit(actor, action, from, to, before),
    );
    let t = use_texts();
    let a = use_texts_of::<Admin>();
    view! {
        <Title text=t.nav_audit/>
        <h1>{a.audit_log}</h1>
        <form method="get" class="filters">
            <label>{a.user} <input type="text" name="actor" placeholder=a.email_placeholder prop:value=move || param("actor").unwrap_or_default()/></label>
            <label>{a.action} <input type="text" name="action" placeholder=a.action_example prop:value=move || param("action").unwrap_or_default()/></label>
            <label>{t.from_day} <input type="date" name="from" prop:value=move || param("from").unwrap_or_default()/></label>
            <label>{t.to_day} <input type="date" name="to" prop:value=move || param("to").unwrap_or_default()/></label>
            <button type="submit">{t.filter}</button>
            <a href="/audit">{t.clear}</a>
            <a href=move || page_href("/audit/export", &query.read(), &FILTERS, &[]) download>{t.download_csv}</a>
        </form>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) if page.events.is_empty() => view! {
                        <p class="empty-state">{a.no_audit_events}</p>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.next_cursor.map(|cursor| page_href("/audit", &query.read_untracked(), &FILTERS, &[("before", &cursor)]));
                        view! {
                            <table class="data">
                                <thead><tr><th>{t.when}</th><th>{a.who}</th><th>{a.action}</th><th>{a.target}</th><th>{a.before}</th><th>{a.after}</th><th>{a.ip}</th></tr></thead>
                                <tbody>
                                    {page.events.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="nowrap"><Time at=e.at/></td>
                                            <td>{e.actor}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{e.target}</td>
                                            <td><code class="json">{e.before.unwrap_or_default()}</code></td>
                                            <td><code class="json">{e.after.unwrap_or_default()}</code></td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                {older.map(|href| view! { <a href=href>{t.older}</a> })}
                                <a href="/audit">{t.newest}</a>
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
