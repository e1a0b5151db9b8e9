use crate::api::auth::me;
use crate::api::recon::{ApplyBulkFix, PreviewBulkFix, RunRecon, get_recon_summary, list_cases};
use crate::api::users::list_users;
use crate::components::filters::AmountFilters;
use crate::components::ids::ShortId;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::components::recon_summary::{SummaryGrid, breaks_text, duration_text};
use crate::components::time::{Time, local_time};
use crate::domain::recon::{AgeBucket, BreakClass, BulkPreview, CaseFilter, CasePage, CaseRow, CaseState, FixKind, ReconSummary, RunView, UserChoice};
use crate::domain::{AppError, Role};
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use std::time::Duration;

/// The query parameters that make up a [`CaseFilter`], in the order of its fields.
const FILTERS: [&str; 8] = ["class", "age", "state", "assignee", "account", "currency", "min_amount", "max_amount"];

fn filter_from(query: &ParamsMap) -> CaseFilter {
    let [class, age, state, assignee, account, currency, min_amount, max_amount] =
        FILTERS.map(|name| query.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
    CaseFilter { class, age, state, assignee, account, currency, min_amount, max_amount }
}

/// The filter as the fields of a form posting a `filter: CaseFilter` argument, so a bulk fix
/// acts on exactly the selection the queue shows.
fn filter_fields(filter: &CaseFilter) -> impl IntoView + use<> {
    let CaseFilter { class, age, state, assignee, account, currency, min_amount, max_amount } = filter.clone();
    FILTERS
        .into_iter()
        .zip([class, age, state, assignee, account, currency, min_amount, max_amount])
        .filter_map(|(name, value)| value.map(|v| view! { <input type="hidden" name=format!("filter[{name}]") value=v/> }))
        .collect_view()
}

/// Reconciliation: live cases by class and age, the runs, and the queue of cases to work through.
#[component]
pub fn ReconciliationPage() -> impl IntoView {
    let query = use_query_map();
    let run = ServerAction::<RunRecon>::new();
    let bulk = ServerAction::<ApplyBulkFix>::new();
    let poll = RwSignal::new(0u32);
    let run_ended = RwSignal::new(0u32);
    let summary = Resource::new(move || (poll.get(), run.version().get(), bulk.version().get()), |_| get_recon_summary());
    let filter = Memo::new(move |_| filter_from(&query.read()));
    let cases = Resource::new(
        move || (filter.get(), query.read().get("after"), bulk.version().get(), run_ended.get()),
        |(filter, after, ..)| list_cases(filter, after),
    );
    let choices = Resource::new(|| (), |_| assignee_choices());
    poll_while_running(summary, poll, run_ended);
    let selected = RwSignal::new(None::<usize>);
    let first_filter = NodeRef::<html::Select>::new();
    let keys_live = queue_keys(selected, first_filter);
    Effect::new(move |_| {
        query.track();
        selected.set(None);
    });
    let param = move |name: &str| query.read().get(name);
    let text = move |name: &'static str| move || param(name).unwrap_or_default();
    let option = move |name: &'static str, value: &'static str, label: &'static str| {
        view! { <option value=value selected=move || param(name).as_deref() == Some(value)>{label}</option> }
    };
    view! {
        <Title text="Reconciliation"/>
        <h1>"Reconciliation"</h1>
        <ActionForm action=run attr:class="form-row run-controls">
            <button type="submit" name="full" value="false" class="primary" disabled=run.pending()>"Run now"</button>
            <button type="submit" name="full" value="true" disabled=run.pending()>"Full re-scan"</button>
        </ActionForm>
        {move || run.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(s) => view! { <Summary s/> }.into_any(),
                }
            })}
        </Transition>

        <h2 id="queue">"Queue"</h2>
        <form method="get" class="filters">
            <label>"Class"
                <select name="class" node_ref=first_filter>
                    <option value="">"any"</option>
                    {BreakClass::ALL.iter().map(|c| option("class", c.as_str(), c.label())).collect_view()}
                </select>
            </label>
            <label>"Age"
                <select name="age">
                    <option value="">"any"</option>
                    {AgeBucket::ALL.iter().map(|b| option("age", b.as_str(), b.label())).collect_view()}
                </select>
            </label>
            <label>"State"
                <select name="state">
                    <option value="">"live (open and ignored)"</option>
                    {CaseState::ALL.iter().map(|s| option("state", s.as_str(), s.as_str())).collect_view()}
                </select>
            </label>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let choices = choices.await;
                    view! { <AssigneeFilter choices current=param("assignee")/> }
                })}
            </Suspense>
            <label>"Account" <input type="text" name="account" placeholder="account id" prop:value=text("account")/></label>
            <AmountFilters/>
            <button type="submit">"Filter"</button>
            <a href="/reconciliation">"Clear"</a>
            <a href=move || page_href("/reconciliation/export", &query.read(), &FILTERS, &[]) download>"Export CSV"</a>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match cases.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) => view! { <Queue page filtered=filter.get_untracked() != CaseFilter::default() selected/> }.into_any(),
                }
            })}
        </Transition>
        {move || keys_live.get().then(|| view! {
            <p class="muted keys-hint">
                <kbd>"j"</kbd>" / "<kbd>"k"</kbd>" (or "<kbd>"↓"</kbd>" / "<kbd>"↑"</kbd>") move through the cases, "
                <kbd>"Enter"</kbd>" opens one, "<kbd>"/"</kbd>" jumps to the filters."
            </p>
        })}
        <BulkFix filter bulk/>
    }
}

/// While a run is under way, fetches the summary again every two seconds, and bumps `ended`
/// once the run is over so the queue reloads. Effects run only in the browser, so the server
/// never waits on a poll while rendering.
fn poll_while_running(summary: Resource<Result<ReconSummary, AppError>>, poll: RwSignal<u32>, ended: RwSignal<u32>) {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(handle) = pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    Effect::new(move |was_running: Option<bool>| {
        let running = summary.get().is_some_and(|s| s.is_ok_and(|s| s.current_run.is_some()));
        cancel();
        if running {
            let next = set_timeout_with_handle(move || poll.update(|n| *n += 1), Duration::from_secs(2));
            pending.set_value(next.ok());
        } else if was_running == Some(true) {
            ended.update(|n| *n += 1);
        }
        running
    });
    on_cleanup(cancel);
}

/// j/k and the arrow keys move through the queue, Enter opens the highlighted case, "/" jumps to
/// the filters. Keys typed into a field are left alone. The keys act on the rows as shown, so
/// they read the table rather than the data behind it. Returns whether the keys work yet: they
/// do once the page has hydrated.
fn queue_keys(selected: RwSignal<Option<usize>>, first_filter: NodeRef<html::Select>) -> ReadSignal<bool> {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let target = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()).map(|e| e.tag_name());
        let key = ev.key();
        match target.as_deref() {
            Some("INPUT" | "TEXTAREA" | "SELECT") => return,
            // A focused link or button answers Enter itself.
            Some("A" | "BUTTON") if key == "Enter" => return,
            _ => {}
        }
        let step = |forward: bool| {
            let rows = document().query_selector("table.cases tbody").ok().flatten();
            let count = rows.map_or(0, |rows| rows.child_element_count() as usize);
            if count == 0 {
                return;
            }
            ev.prevent_default();
            let next = match (selected.get_untracked(), forward) {
                (None, _) => 0,
                (Some(i), true) => (i + 1).min(count - 1),
                (Some(i), false) => i.saturating_sub(1).min(count - 1),
            };
            selected.set(Some(next));
            if let Some(link) = row_link(next) {
                let _ = link.focus();
            }
        };
        match key.as_str() {
            "j" | "ArrowDown" => step(true),
            "k" | "ArrowUp" => step(false),
            "Enter" => {
                if let Some(link) = selected.get_untracked().and_then(row_link) {
                    ev.prevent_default();
                    link.click();
                }
            }
            "/" => {
                if let Some(select) = first_filter.get_untracked() {
                    ev.prevent_default();
                    let _ = select.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
    let (live, set_live) = signal(false);
    Effect::new(move |_| set_live.set(true));
    live
}

/// The link that opens the queue's row `index`: focusing it scrolls the row into view and lets
/// Enter follow it; clicking it goes through the router.
fn row_link(index: usize) -> Option<leptos::web_sys::HtmlElement> {
    let selector = format!("table.cases tbody tr:nth-child({}) a.case-link", index + 1);
    document().query_selector(&selector).ok().flatten()?.dyn_into().ok()
}

/// Whom the assignee filter offers: admins see every active user; others can pick themselves.
async fn assignee_choices() -> Vec<UserChoice> {
    let Ok(Some(me)) = me().await else { return Vec::new() };
    let users = if me.role.includes(Role::Admin) { list_users().await.unwrap_or_default() } else { Vec::new() };
    let mut choices: Vec<UserChoice> = users.into_iter().filter(|u| !u.disabled && u.id != me.id).map(|u| UserChoice { id: u.id, name: u.name }).collect();
    choices.insert(0, UserChoice { id: me.id, name: format!("{} (me)", me.name) });
    choices
}

#[component]
fn AssigneeFilter(choices: Vec<UserChoice>, current: Option<String>) -> impl IntoView {
    // A shared link may name someone the list does not offer; keep that choice visible.
    let unknown = current.clone().filter(|c| c != "none" && !choices.iter().any(|u| &u.id == c));
    let is = move |value: &str| current.as_deref() == Some(value);
    view! {
        <label>"Assignee"
            <select name="assignee">
                <option value="">"anyone"</option>
                <option value="none" selected=is("none")>"unassigned"</option>
                {choices.into_iter().map(|u| view! { <option value=u.id.clone() selected=is(&u.id)>{u.name}</option> }).collect_view()}
                {unknown.map(|id| view! { <option value=id.clone() selected=true>{id.clone()}</option> })}
            </select>
        </label>
    }
}

#[component]
fn Summary(s: ReconSummary) -> impl IntoView {
    let ReconSummary { cells, open, ignored, current_run, recent_runs, interval_minutes } = s;
    view! {
        <div class="recon-head">
            <section class="panel">
                <h2>"Live cases"</h2>
                <SummaryGrid cells/>
                <p class="recon-totals">
                    <a href="/reconciliation?state=open#queue">{format!("{open} open")}</a>
                    " · "
                    <a href="/reconciliation?state=ignored#queue">{format!("{ignored} ignored")}</a>
                </p>
            </section>
            <section class="panel">
                <h2>"Runs"</h2>
                <p class="muted">{format!("Runs every {interval_minutes} minutes, and whenever someone starts one.")}</p>
                {current_run.map(|r| view! { <RunProgress r/> })}
                <RunHistory runs=recent_runs/>
            </section>
        </div>
    }
}

#[component]
fn RunProgress(r: RunView) -> impl IntoView {
    let scan = if r.full_scan { "full re-scan" } else { "incremental run" };
    view! {
        <div class="progress run-progress" role="status" aria-live="polite">
            <progress></progress>
            <span>
                <strong>{r.phase}</strong>
                {format!(" · {} records read · {scan} started by {} at {}", r.records_read, r.started_by, local_time(&r.started_at))}
            </span>
        </div>
    }
}

#[component]
fn RunHistory(runs: Vec<RunView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted">"No run yet."</p> }.into_any();
    }
    view! {
        <table class="data runs">
            <thead>
                <tr>
                    <th>"Started"</th><th>"By"</th><th class="num">"Duration"</th><th>"Scan"</th><th>"Status"</th>
                    <th class="num">"Records read"</th><th>"Breaks"</th><th>"Error"</th>
                </tr>
            </thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td class="nowrap"><Time at=r.started_at/></td>
                        <td>{r.started_by}</td>
                        <td class="num nowrap">{r.duration_ms.map(duration_text)}</td>
                        <td>{if r.full_scan { "full" } else { "incremental" }}</td>
                        <td><span class="badge" data-run=r.status.as_str()>{r.status.as_str()}</span></td>
                        <td class="num">{r.records_read}</td>
                        <td>{breaks_text(&r.breaks, r.status)}</td>
                        <td class="error-text">{r.error}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A case's state as a badge.
#[component]
pub fn CaseBadge(state: CaseState) -> impl IntoView {
    view! { <span class="badge" data-case=state.as_str()>{state.as_str()}</span> }
}

#[component]
fn Queue(page: CasePage, filtered: bool, selected: RwSignal<Option<usize>>) -> impl IntoView {
    if page.rows.is_empty() {
        let message = if filtered { "No case matches these filters." } else { "No breaks — the ledger and Stripe agree." };
        return view! { <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let next = page.next_cursor.map(|cursor| page_href("/reconciliation", &query, &FILTERS, &[("after", &cursor)]));
    let first = query.get("after").map(|_| page_href("/reconciliation", &query, &FILTERS, &[]));
    let shown = page.rows.len();
    view! {
        <p class="muted">{match page.more_than_total {
            true => format!("More than {} cases in this selection; {shown} on this page.", page.total),
            false => format!("{} case(s) in this selection; {shown} on this page.", page.total),
        }}</p>
        <table class="data cases">
            <thead>
                <tr>
                    <th>"Class"</th><th>"State"</th><th class="num">"Amount"</th><th>"What differs"</th><th>"Account"</th>
                    <th>"Transaction"</th><th>"Stripe record"</th><th>"First seen"</th><th>"Age"</th><th>"Assignee"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().enumerate().map(|(i, row)| view! { <CaseLine row selected=move || selected.get() == Some(i)/> }).collect_view()}
            </tbody>
        </table>
        <nav class="pager">
            {next.map(|href| view! { <a href=href>"Next page →"</a> })}
            {first.map(|href| view! { <a href=href>"First page"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn CaseLine(row: CaseRow, #[prop(into)] selected: Signal<bool>) -> impl IntoView {
    let CaseRow { id, class, state, transaction_id, record_id, account_id, account_name, amount, currency, summary, first_seen, age, assignee, .. } = row;
    view! {
        <tr class:selected=selected data-case=id.clone()>
            <td><a class="case-link" href=format!("/reconciliation/cases/{id}") title=class.explanation()>{class.label()}</a></td>
            <td><CaseBadge state/></td>
            <td class="num nowrap">{amount} " " {currency}</td>
            <td>{summary}</td>
            <td>{account_id.map(|a| view! { <a href=format!("/accounts/{a}")>{account_name.unwrap_or_else(|| a.clone())}</a> })}</td>
            <td>{transaction_id.map(|t| view! { <a href=format!("/transactions/{t}")><ShortId id=t.clone()/></a> })}</td>
            <td>{record_id.map(|r| view! { <ShortId id=r/> })}</td>
            <td class="nowrap"><Time at=first_seen/></td>
            <td class="nowrap">{age.label()}</td>
            <td>{assignee.unwrap_or_default()}</td>
        </tr>
    }
}

/// One fix for every case in the current selection: previewed (how many, how much, how many it
/// does not fit), then applied only to the count the preview showed.
#[component]
fn BulkFix(filter: Memo<CaseFilter>, bulk: ServerAction<ApplyBulkFix>) -> impl IntoView {
    let preview = ServerAction::<PreviewBulkFix>::new();
    // A preview speaks for the selection it was made on, and is spent once applied.
    Effect::new(move |_| {
        filter.track();
        preview.clear();
    });
    Effect::new(move |_| {
        if matches!(bulk.value().get(), Some(Ok(_))) {
            preview.clear();
        }
    });
    view! {
        <section class="panel bulk">
            <h2>"Fix every case in this selection"</h2>
            <ActionForm action=preview attr:class="form-row">
                {move || filter_fields(&filter.get())}
                <label>"Fix"
                    <select name="kind">
                        {FixKind::ALL.iter().filter(|k| k.is_bulk()).map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=preview.pending()>"Preview"</button>
            </ActionForm>
            {move || match preview.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(p)) => view! { <BulkApply p filter=filter.get_untracked() bulk/> }.into_any(),
            }}
            {move || match bulk.value().get() {
                None => ().into_any(),
                Some(Ok(n)) => view! { <p class="notice ok" role="status">{format!("Fixed {n} case(s).")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn BulkApply(p: BulkPreview, filter: CaseFilter, bulk: ServerAction<ApplyBulkFix>) -> impl IntoView {
    let BulkPreview { kind, count, total, skipped } = p;
    view! {
        <p class="bulk-scope" role="status"><strong>{format!("{count} cases, total {total} ({skipped} skipped)")}</strong></p>
        {(count > 0).then(|| view! {
            <ActionForm action=bulk attr:class="form-row confirm">
                {filter_fields(&filter)}
                <input type="hidden" name="kind" value=kind.as_str()/>
                <input type="hidden" name="expected_count" value=count.to_string()/>
                {kind.needs_reason().then(|| view! { <label class="grow">"Reason" <textarea name="reason" rows="2" required></textarea></label> })}
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    {format!("{} — all {count} cases", kind.label())}
                </label>
                <button type="submit" class="primary" disabled=bulk.pending()>{format!("Apply to {count} cases")}</button>
            </ActionForm>
        })}
    }
}
