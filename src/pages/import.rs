use crate::api::imports::{CommitImport, import_status, list_imports};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::{Time, local_time};
use crate::domain::ledger::{ImportStatus, ImportView, TransactionKind};
use crate::i18n::admin::{Admin, import_status_name};
use crate::i18n::{fill, kind_name, use_locale, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

const EXAMPLE: &str = "external_ref,kind,currency,amount,from,to,occurred_at,description,refund_of\n\
pos-1001,payment,SRB,1500,member-001,shop-01,2026-11-20T12:30:00Z,Lunch,\n\
rf-1001,refund,SRB,500,,,2026-11-21T09:00:00Z,Returned item,pos-1001";

/// Upload a CSV export of the payment system; every row is checked before anything is written.
#[component]
pub fn ImportPage() -> impl IntoView {
    let query = use_query_map();
    let imports = Resource::new(|| (), |_| list_imports());
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    view! {
        <Title text=t.nav_import/>
        <h1>{a.import_heading}</h1>
        {move || query.read().get("error").map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <section class="panel">
            <form method="post" action="/imports" enctype="multipart/form-data" class="form-row">
                <label>{a.csv_file} <input type="file" name="file" accept=".csv,text/csv" required/></label>
                <button type="submit" class="primary">{a.upload_and_check}</button>
            </form>
            <p class="muted">{a.import_how}</p>
            <pre class="example">{EXAMPLE}</pre>
        </section>
        <h2>{a.recent_imports}</h2>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match imports.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">{a.no_imports}</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr><th>{a.file}</th><th>{a.by}</th><th>{t.when}</th><th>{a.status}</th><th class="num">{a.rows}</th><th class="num">{a.errors}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|i| view! {
                                    <tr>
                                        <td><a href=format!("/imports/{}", i.id)>{i.filename}</a></td><td>{i.created_by}</td><td><Time at=i.created_at/></td>
                                        <td><span class="badge" data-import=i.status.as_str()>{import_status_name(a, i.status)}</span></td>
                                        <td class="num">{i.rows}</td><td class="num">{i.error_count}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One import: progress while it runs, then every refused row, then the commit.
#[component]
pub fn ImportDetailPage() -> impl IntoView {
    let params = use_params_map();
    let commit = ServerAction::<CommitImport>::new();
    let ask_again = RwSignal::new(0u32);
    let status = Resource::new(move || (params.read().get("id").unwrap_or_default(), commit.version().get(), ask_again.get()), |(id, _, _)| import_status(id));
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    view! {
        <Title text=t.nav_import/>
        <p class="muted"><a href="/import">{a.back_to_imports}</a></p>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(i) => view! { <ImportDetail i commit ask_again/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ImportDetail(i: ImportView, commit: ServerAction<CommitImport>, ask_again: RwSignal<u32>) -> impl IntoView {
    let running = i.status.is_running();
    // Once the page has hydrated, the head's refresh no longer fires: the page asks again itself.
    if running {
        Effect::new(move |_| set_timeout(move || ask_again.update(|n| *n += 1), std::time::Duration::from_secs(1)));
    }
    let can_commit = (i.status == ImportStatus::Checked && i.error_count == 0) || i.status == ImportStatus::Failed;
    let (done, total) = i.progress.unwrap_or((0, i.rows as usize));
    let (t, a, locale) = (use_texts(), use_texts_of::<Admin>(), use_locale());
    let facts = fill(a.import_facts, &[&i.rows.to_string(), &i.created_by, &local_time(&i.created_at)]);
    // Kinds as the file wrote them: a known kind reads in the page's language.
    let kind_text = move |kind: String| kind.parse::<TransactionKind>().map_or(kind, |k| kind_name(t, k).to_string());
    view! {
        // The page reloads itself while work runs, so progress shows with or without scripts.
        {running.then(|| view! { <Meta http_equiv="refresh" content="1"/> })}
        <h1>{i.filename.clone()}</h1>
        <p>
            <span class="badge" data-import=i.status.as_str()>{import_status_name(a, i.status)}</span>
            " " {facts}
        </p>
        {running.then(|| view! {
            <div class="progress">
                <progress max=total.to_string() value=done.to_string()></progress>
                " " {fill(a.rows_done, &[&done.to_string(), &total.to_string()])}
            </div>
        })}
        {(!running).then(|| view! {
            <table class="data narrow">
                <thead><tr><th>{t.kind}</th><th class="num">{a.rows}</th><th class="num">{a.total_amount}</th></tr></thead>
                <tbody>
                    {i.summary.iter().cloned().map(|(kind, count, amount)| view! { <tr><td>{kind_text(kind)}</td><td class="num">{count}</td><td class="num">{amount}</td></tr> }).collect_view()}
                </tbody>
            </table>
        })}
        {(i.status == ImportStatus::Committed).then(|| view! { <p class="notice ok">{fill(a.recorded, &[&i.valid.to_string()])}</p> })}
        {can_commit.then(|| view! {
            <section class="panel">
                <h2>{a.every_row_passed}</h2>
                <ActionForm action=commit attr:class="inline confirm">
                    <input type="hidden" name="id" value=i.id.clone()/>
                    <label class="check"><input type="checkbox" name="confirm" value="yes" required/> {fill(a.record_all_rows, &[&i.rows.to_string()])}</label>
                    <button type="submit" class="primary">{a.commit_import}</button>
                </ActionForm>
                <ActionOutcome value=commit.value() done=a.committing/>
            </section>
        })}
        {(i.error_count > 0).then(|| view! {
            <section class="panel">
                <h2>{fill(a.rows_refused, &[&i.error_count.to_string()])}</h2>
                <p class="muted">{a.fix_and_upload_again}
                    {(i.error_count as usize > i.errors.len()).then(|| fill(a.first_shown, &[&i.errors.len().to_string()]))}</p>
                <table class="data">
                    <thead><tr><th class="num">{a.row}</th><th>{a.field}</th><th>{a.problem}</th></tr></thead>
                    <tbody>
                        {i.errors.into_iter().map(|e| view! { <tr><td class="num">{e.row}</td><td><code>{e.field}</code></td><td>{e.message.in_locale(locale).to_string()}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}
