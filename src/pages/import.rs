use crate::api::imports::{CommitImport, import_status, list_imports};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::Time;
use crate::domain::ledger::{ImportStatus, ImportView};
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
    view! {
        <Title text="Import"/>
        <h1>"Import transactions from CSV"</h1>
        {move || query.read().get("error").map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <section class="panel">
            <form method="post" action="/imports" enctype="multipart/form-data" class="form-row">
                <label>"CSV file" <input type="file" name="file" accept=".csv,text/csv" required/></label>
                <button type="submit" class="primary">"Upload and check"</button>
            </form>
            <p class="muted">"One row per transaction; the header names the columns, in any order. Nothing is recorded until you commit the checked file, and then all of it is, or none."</p>
            <pre class="example">{EXAMPLE}</pre>
        </section>
        <h2>"Recent imports"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match imports.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">"No imports yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr><th>"File"</th><th>"By"</th><th>"When"</th><th>"Status"</th><th class="num">"Rows"</th><th class="num">"Errors"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|i| view! {
                                    <tr>
                                        <td><a href=format!("/imports/{}", i.id)>{i.filename}</a></td><td>{i.created_by}</td><td><Time at=i.created_at/></td>
                                        <td><span class="badge" data-import=i.status.as_str()>{i.status.as_str()}</span></td>
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
    view! {
        <Title text="Import"/>
        <p class="muted"><a href="/import">"← Imports"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
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
    view! {
        // The page reloads itself while work runs, so progress shows with or without scripts.
        {running.then(|| view! { <Meta http_equiv="refresh" content="1"/> })}
        <h1>{i.filename.clone()}</h1>
        <p>
            <span class="badge" data-import=i.status.as_str()>{i.status.as_str()}</span>
            " " {i.rows} " rows · uploaded by " {i.created_by.clone()} " at " {i.created_at.clone()}
        </p>
        {running.then(|| view! {
            <div class="progress">
                <progress max=total.to_string() value=done.to_string()></progress>
                " " {done} " / " {total} " rows"
            </div>
        })}
        {(!running).then(|| view! {
            <table class="data narrow">
                <thead><tr><th>"Kind"</th><th class="num">"Rows"</th><th class="num">"Total amount"</th></tr></thead>
                <tbody>
                    {i.summary.iter().cloned().map(|(kind, count, amount)| view! { <tr><td>{kind}</td><td class="num">{count}</td><td class="num">{amount}</td></tr> }).collect_view()}
                </tbody>
            </table>
        })}
        {(i.status == ImportStatus::Committed).then(|| view! { <p class="notice ok">"Recorded: " {i.valid} " transactions. Payments and refunds are on their way to Stripe."</p> })}
        {can_commit.then(|| view! {
            <section class="panel">
                <h2>"Every row passed"</h2>
                <ActionForm action=commit attr:class="inline confirm">
                    <input type="hidden" name="id" value=i.id.clone()/>
                    <label class="check"><input type="checkbox" name="confirm" value="yes" required/> {format!("Record all {} rows in the ledger (payments and refunds are reported to Stripe)", i.rows)}</label>
                    <button type="submit" class="primary">"Commit import"</button>
                </ActionForm>
                <ActionOutcome value=commit.value() done="Committing…"/>
            </section>
        })}
        {(i.error_count > 0).then(|| view! {
            <section class="panel">
                <h2>{format!("{} row(s) refused", i.error_count)}</h2>
                <p class="muted">"Nothing from this file can be recorded until these rows are fixed and the file is uploaded again."
                    {(i.error_count as usize > i.errors.len()).then(|| format!(" The first {} are shown.", i.errors.len()))}</p>
                <table class="data">
                    <thead><tr><th class="num">"Row"</th><th>"Field"</th><th>"Problem"</th></tr></thead>
                    <tbody>
                        {i.errors.into_iter().map(|e| view! { <tr><td class="num">{e.row}</td><td><code>{e.field}</code></td><td>{e.message}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}
