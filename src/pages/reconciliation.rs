use crate::api::auth::me;
use crate::api::recon::{ApplyBulkFix, PreviewBulkFix, RunRecon, get_recon_summary, list_cases};
use crate::api::users::list_users;
use crate::components::filters::AmountFilters;
use crate::components::ids::ShortId;
use crate::components::notice::{ErrorLine, ErrorNotice};
use crate::components::pager::page_href;
use crate::components::recon_summary::{SummaryGrid, breaks_text, duration_text};
use crate::components::time::{Time, local_time};
use crate::domain::recon::{AgeBucket, BreakClass, BulkPreview, CaseFilter, CasePage, CaseRow, CaseState, FixKind, ReconSummary, RunView, UserChoice};
use crate::domain::{AppError, Role};
use crate::i18n::recon::{Recon, case_state_name, fix_name, phase_name, run_status_name, started_by_name};
use crate::i18n::{fill, use_locale, use_texts, use_texts_of};
use leptos::prelude::*;
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
    let param = move |name: &str| query.read().get(name);
    let text = move |name: &'static str| move || param(name).unwrap_or_default();
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    let locale = use_locale();
    let option = move |name: &'static str, value: &'static str, label: &'static str| {
        view! { <option value=value selected=move || param(name).as_deref() == Some(value)>{label}</option> }
    };
    view! {
        <Title text=t.nav_reconciliation/>
        <h1>{t.nav_reconciliation}</h1>
        <ActionForm action=run attr:class="form-row run-controls">
            <button type="submit" name="full" value="false" class="primary" disabled=run.pending()>{r.run_now}</button>
            <button type="submit" name="full" value="true" disabled=run.pending()>{r.full_rescan}</button>
        </ActionForm>
        {move || run.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(s) => view! { <Summary s/> }.into_any(),
                }
            })}
        </Transition>

        <h2 id="queue">{r.queue}</h2>
        <form method="get" class="filters">
            <label>{t.case_class}
                <select name="class">
                    <option value="">{t.any}</option>
                    {BreakClass::ALL.iter().map(|c| option("class", c.as_str(), c.label_in(locale))).collect_view()}
                </select>
            </label>
            <label>{r.age}
                <select name="age">
                    <option value="">{t.any}</option>
                    {AgeBucket::ALL.iter().map(|b| option("age", b.as_str(), b.label_in(locale))).collect_view()}
                </select>
            </label>
            <label>{r.state}
                <select name="state">
                    <option value="">{r.state_live}</option>
                    {CaseState::ALL.iter().map(|&s| option("state", s.as_str(), case_state_name(r, s))).collect_view()}
                </select>
            </label>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let choices = choices.await;
                    view! { <AssigneeFilter choices current=param("assignee")/> }
                })}
            </Suspense>
            <label>{t.account} <input type="text" name="account" placeholder=r.account_id prop:value=text("account")/></label>
            <AmountFilters/>
            <button type="submit">{t.filter}</button>
            <a href="/reconciliation">{t.clear}</a>
            <a href=move || page_href("/reconciliation/export", &query.read(), &FILTERS, &[]) download>{r.export_csv}</a>
        </form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match cases.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) => view! { <Queue page filtered=filter.get_untracked() != CaseFilter::default()/> }.into_any(),
                }
            })}
        </Transition>
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

/// Whom the assignee filter offers: admins see every active user; others can pick themselves.
async fn assignee_choices() -> Vec<UserChoice> {
    let Ok(Some(me)) = me().await else { return Vec::new() };
    let users = if me.role.includes(Role::Admin) { list_users().await.unwrap_or_default() } else { Vec::new() };
    let mut choices: Vec<UserChoice> = users.into_iter().filter(|u| !u.disabled && u.id != me.id).map(|u| UserChoice { id: u.id, name: u.name }).collect();
    let r = use_texts_of::<Recon>();
    choices.insert(0, UserChoice { id: me.id, name: fill(r.me, &[&me.name]) });
    choices
}

#[component]
fn AssigneeFilter(choices: Vec<UserChoice>, current: Option<String>) -> impl IntoView {
    // A shared link may name someone the list does not offer; keep that choice visible.
    let unknown = current.clone().filter(|c| c != "none" && !choices.iter().any(|u| &u.id == c));
    let is = move |value: &str| current.as_deref() == Some(value);
    let r = use_texts_of::<Recon>();
    view! {
        <label>{r.assignee}
            <select name="assignee">
                <option value="">{r.anyone}</option>
                <option value="none" selected=is("none")>{r.unassigned}</option>
                {choices.into_iter().map(|u| view! { <option value=u.id.clone() selected=is(&u.id)>{u.name}</option> }).collect_view()}
                {unknown.map(|id| view! { <option value=id.clone() selected=true>{id.clone()}</option> })}
            </select>
        </label>
    }
}

#[component]
fn Summary(s: ReconSummary) -> impl IntoView {
    let ReconSummary { cells, open, ignored, current_run, recent_runs, interval_minutes } = s;
    let r = use_texts_of::<Recon>();
    view! {
        <div class="recon-head">
            <section class="panel">
                <h2>{r.live_cases}</h2>
                <SummaryGrid cells/>
                <p class="recon-totals">
                    <a href="/reconciliation?state=open#queue">{fill(r.open_count, &[&open.to_string()])}</a>
                    " · "
                    <a href="/reconciliation?state=ignored#queue">{fill(r.ignored_count, &[&ignored.to_string()])}</a>
                </p>
            </section>
            <section class="panel">
                <h2>{r.runs}</h2>
                <p class="muted">{fill(r.runs_every, &[&interval_minutes.to_string()])}</p>
                {current_run.map(|r| view! { <RunProgress r/> })}
                <RunHistory runs=recent_runs/>
            </section>
        </div>
    }
}

#[component]
fn RunProgress(r: RunView) -> impl IntoView {
    let texts = use_texts_of::<Recon>();
    let scan = if r.full_scan { texts.scan_full_run } else { texts.scan_incremental_run };
    let phase = phase_name(texts, &r.phase).to_string();
    let line = fill(texts.run_progress, &[&r.records_read.to_string(), scan, started_by_name(texts, &r.started_by), &local_time(&r.started_at)]);
    view! {
        <div class="progress run-progress" role="status" aria-live="polite">
            <progress></progress>
            <span>
                <strong>{phase}</strong>
                {line}
            </span>
        </div>
    }
}

#[component]
fn RunHistory(runs: Vec<RunView>) -> impl IntoView {
    let t = use_texts();
    let texts = use_texts_of::<Recon>();
    if runs.is_empty() {
        return view! { <p class="muted">{texts.no_run_yet}</p> }.into_any();
    }
    view! {
        <table class="data runs">
            <thead>
                <tr>
                    <th>{texts.started}</th><th>{texts.by}</th><th class="num">{texts.duration}</th><th>{texts.scan}</th><th>{texts.status}</th>
                    <th class="num">{texts.records_read}</th><th>{texts.breaks}</th><th>{texts.error}</th>
                </tr>
            </thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td class="nowrap"><Time at=r.started_at/></td>
                        <td>{started_by_name(texts, &r.started_by).to_string()}</td>
                        <td class="num nowrap">{r.duration_ms.map(duration_text)}</td>
                        <td>{if r.full_scan { texts.scan_full } else { texts.scan_incremental }}</td>
                        <td><span class="badge" data-run=r.status.as_str()>{run_status_name(t, r.status)}</span></td>
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
    let r = use_texts_of::<Recon>();
    view! { <span class="badge" data-case=state.as_str()>{case_state_name(r, state)}</span> }
}

#[component]
fn Queue(page: CasePage, filtered: bool) -> impl IntoView {
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    if page.rows.is_empty() {
        let message = if filtered { r.no_case_matches } else { r.no_breaks };
        return view! { <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let next = page.next_cursor.map(|cursor| page_href("/reconciliation", &query, &FILTERS, &[("after", &cursor)]));
    let first = query.get("after").map(|_| page_href("/reconciliation", &query, &FILTERS, &[]));
    let shown = page.rows.len();
    view! {
        <p class="muted">{match page.more_than_total {
            true => fill(r.more_than_cases, &[&page.total.to_string(), &shown.to_string()]),
            false => fill(r.cases_in_selection, &[&page.total.to_string(), &shown.to_string()]),
        }}</p>
        <table class="data cases">
            <thead>
                <tr>
                    <th>{t.case_class}</th><th>{r.state}</th><th class="num">{t.amount}</th><th>{r.what_differs}</th><th>{t.account}</th>
                    <th>{r.transaction}</th><th>{r.stripe_record}</th><th>{r.first_seen}</th><th>{r.age}</th><th>{r.assignee}</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! { <CaseLine row/> }).collect_view()}
            </tbody>
        </table>
        <nav class="pager">
            {next.map(|href| view! { <a href=href>{r.next_page}</a> })}
            {first.map(|href| view! { <a href=href>{r.first_page}</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn CaseLine(row: CaseRow) -> impl IntoView {
    let locale = use_locale();
    let what_differs = row.what_differs(locale);
    let CaseRow { id, class, state, transaction_id, record_id, account_id, account_name, amount, currency, first_seen, age, assignee, .. } = row;
    view! {
        <tr data-case=id.clone()>
            <td><a class="case-link" href=format!("/reconciliation/cases/{id}") title=class.explanation_in(locale)>{class.label_in(locale)}</a></td>
            <td><CaseBadge state/></td>
            <td class="num nowrap">{amount} " " {currency}</td>
            <td>{what_differs}</td>
            <td>{account_id.map(|a| view! { <a href=format!("/accounts/{a}")>{account_name.unwrap_or_else(|| a.clone())}</a> })}</td>
            <td>{transaction_id.map(|t| view! { <a href=format!("/transactions/{t}")><ShortId id=t.clone()/></a> })}</td>
            <td>{record_id.map(|r| view! { <ShortId id=r/> })}</td>
            <td class="nowrap"><Time at=first_seen/></td>
            <td class="nowrap">{age.label_in(locale)}</td>
            <td>{assignee.unwrap_or_default()}</td>
        </tr>
    }
}

/// One fix for every case in the current selection: previewed (how many, how much, how many it
/// does not fit), then applied only to the count the preview showed.
#[component]
fn BulkFix(filter: Memo<CaseFilter>, bulk: ServerAction<ApplyBulkFix>) -> impl IntoView {
    let preview = ServerAction::<PreviewBulkFix>::new();
    let r = use_texts_of::<Recon>();
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
            <h2>{r.bulk_title}</h2>
            <ActionForm action=preview attr:class="form-row">
                {move || filter_fields(&filter.get())}
                <label>{r.fix}
                    <select name="kind">
                        {FixKind::ALL.iter().filter(|k| k.is_bulk()).map(|&k| view! { <option value=k.as_str()>{fix_name(r, k)}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=preview.pending()>{r.preview}</button>
            </ActionForm>
            {move || match preview.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
                Some(Ok(p)) => view! { <BulkApply p filter=filter.get_untracked() bulk/> }.into_any(),
            }}
            {move || match bulk.value().get() {
                None => ().into_any(),
                Some(Ok(n)) => view! { <p class="notice ok" role="status">{fill(r.fixed_cases, &[&n.to_string()])}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn BulkApply(p: BulkPreview, filter: CaseFilter, bulk: ServerAction<ApplyBulkFix>) -> impl IntoView {
    let BulkPreview { kind, count, total, skipped } = p;
    let r = use_texts_of::<Recon>();
    let count_text = count.to_string();
    let scope = fill(r.bulk_scope, &[&count_text, &total, &skipped.to_string()]);
    let confirm = fill(r.bulk_confirm, &[fix_name(r, kind), &count_text]);
    let apply = fill(r.apply_to, &[&count_text]);
    view! {
        <p class="bulk-scope" role="status"><strong>{scope}</strong></p>
        {(count > 0).then(move || view! {
            <ActionForm action=bulk attr:class="form-row confirm">
                {filter_fields(&filter)}
                <input type="hidden" name="kind" value=kind.as_str()/>
                <input type="hidden" name="expected_count" value=count.to_string()/>
                {kind.needs_reason().then(|| view! { <label class="grow">{r.reason} <textarea name="reason" rows="2" required></textarea></label> })}
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    {confirm}
                </label>
                <button type="submit" class="primary" disabled=bulk.pending()>{apply}</button>
            </ActionForm>
        })}
    }
}
