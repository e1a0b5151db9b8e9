use crate::api::recon::{AddCaseRemark, ApplyFix, AssignCase, PreviewFix, get_case};
use crate::components::ids::ShortId;
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::Time;
use crate::domain::recon::{Candidate, CaseDetail, CaseEventView, FieldDiff, FixKind, FixPreview, UserChoice};
use crate::pages::reconciliation::CaseBadge;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One case: what disagrees, the ledger and Stripe field by field, the fixes that apply (each
/// previewed before it runs), who works on it, and everything that happened to it.
#[component]
pub fn ReconCasePage() -> impl IntoView {
    let params = use_params_map();
    let assign = ServerAction::<AssignCase>::new();
    let remark = ServerAction::<AddCaseRemark>::new();
    let fix = FixFlow::new();
    let detail = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), assign.version().get(), remark.version().get(), fix.apply.version().get()),
        |(id, ..)| get_case(id),
    );
    view! {
        <p class="muted"><a href="/reconciliation">"← Reconciliation"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <Title text="Case"/> <ErrorNotice error=e/> }.into_any(),
                    Ok(d) => view! { <Case d fix assign remark/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The fix being prepared: its kind, the transaction it names (for a link), its preview, and
/// the action that applies it. It lives with the page so reloading the case keeps it.
#[derive(Clone, Copy)]
struct FixFlow {
    chosen: RwSignal<Option<FixKind>>,
    transaction: RwSignal<String>,
    preview: ServerAction<PreviewFix>,
    apply: ServerAction<ApplyFix>,
}

impl FixFlow {
    fn new() -> Self {
        let flow = Self { chosen: RwSignal::new(None), transaction: RwSignal::new(String::new()), preview: ServerAction::new(), apply: ServerAction::new() };
        // An applied fix is done with: the case reloads and shows what applies now.
        Effect::new(move |_| {
            if matches!(flow.apply.value().get(), Some(Ok(()))) {
                flow.chosen.set(None);
                flow.preview.clear();
            }
        });
        flow
    }

    /// Starts preparing a fix; one that needs nothing more is previewed at once.
    fn choose(self, case_id: &str, kind: FixKind, transaction: Option<String>) {
        self.apply.clear();
        self.preview.clear();
        self.chosen.set(Some(kind));
        self.transaction.set(transaction.unwrap_or_default());
        if !kind.needs_transaction() || !self.transaction.get_untracked().trim().is_empty() {
            self.show_preview(case_id);
        }
    }

    fn show_preview(self, case_id: &str) {
        let Some(kind) = self.chosen.get_untracked() else { return };
        self.preview.dispatch(PreviewFix {
            id: case_id.to_string(),
            kind: kind.as_str().to_string(),
            transaction_id: kind.needs_transaction().then(|| self.transaction.get_untracked()),
        });
    }
}

#[component]
fn Case(d: CaseDetail, fix: FixFlow, assign: ServerAction<AssignCase>, remark: ServerAction<AddCaseRemark>) -> impl IntoView {
    let CaseDetail { case, explanation, fields, history, fixes, candidates, assignee_id, assignable, dashboard_url } = d;
    let can_link = fixes.contains(&FixKind::Link);
    view! {
        <Title text=format!("{} · Case", case.class.label())/>
        <h1>{case.class.label()} " " <CaseBadge state=case.state/></h1>
        <p class="lead explanation">{explanation}</p>
        <p>{case.summary.clone()}</p>
        <dl class="facts">
            <dt>"Age"</dt><dd>{case.age.label()}</dd>
            <dt>"First seen"</dt><dd>{case.first_seen.clone()}</dd>
            <dt>"Last seen"</dt><dd>{case.last_seen.clone()}</dd>
            <dt>"Amount"</dt><dd>{case.amount.clone()} " " {case.currency.clone()}</dd>
            <dt>"Account"</dt>
            <dd>{case.account_id.clone().map(|a| view! { <a href=format!("/accounts/{a}")>{case.account_name.clone().unwrap_or_else(|| a.clone())}</a> })}</dd>
            <dt>"Ledger transaction"</dt>
            <dd>{case.transaction_id.clone().map_or_else(
                || view! { <span class="muted">"none"</span> }.into_any(),
                |t| view! { <a href=format!("/transactions/{t}")><code>{t.clone()}</code></a> }.into_any(),
            )}</dd>
            <dt>"Stripe record"</dt>
            <dd>
                {case.record_id.clone().map_or_else(
                    || view! { <span class="muted">"none"</span> }.into_any(),
                    |r| view! { <code>{r}</code> }.into_any(),
                )}
                {dashboard_url.map(|u| view! { " " <a href=u target="_blank" rel="noopener">"Open in the Stripe Dashboard ↗"</a> })}
            </dd>
            <dt>"Assignee"</dt><dd>{case.assignee.clone().unwrap_or_else(|| "unassigned".into())}</dd>
        </dl>
        <section class="panel">
            <h2>"Ledger and Stripe"</h2>
            <FieldTable fields/>
        </section>
        {(!candidates.is_empty()).then(|| view! { <Candidates candidates case_id=case.id.clone() can_link fix/> })}
        <Fixes case_id=case.id.clone() fixes fix/>
        <div class="columns">
            <Assignment case_id=case.id.clone() assignee_id assignable assign/>
            <section class="panel">
                <h2>"Remarks"</h2>
                <ActionForm action=remark attr:class="form-row">
                    <input type="hidden" name="id" value=case.id.clone()/>
                    <label class="grow">"Remark" <textarea name="remark" rows="2" required></textarea></label>
                    <button type="submit">"Add remark"</button>
                </ActionForm>
                <ActionOutcome value=remark.value() done="Remark added."/>
            </section>
        </div>
        <History events=history/>
    }
    .into_any()
}

/// Every compared field; rows that differ are tinted and carry a "≠" so the difference does not
/// rest on colour alone.
#[component]
fn FieldTable(fields: Vec<FieldDiff>) -> impl IntoView {
    if fields.is_empty() {
        return view! { <p class="muted">"Nothing to compare."</p> }.into_any();
    }
    let value = |v: Option<String>| v.map_or_else(|| view! { <span class="muted">"—"</span> }.into_any(), |v| v.into_any());
    view! {
        <table class="data side-by-side diff">
            <thead>
                <tr><th>"Field"</th><th>"Ledger"</th><th class="marker"><span class="visually-hidden">"Differs"</span></th><th class="stripe">"Stripe"</th></tr>
            </thead>
            <tbody>
                {fields.into_iter().map(|f| view! {
                    <tr class:differs=f.differs>
                        <th scope="row">{f.label}</th>
                        <td>{value(f.ledger)}</td>
                        <td class="marker">{f.differs.then(|| view! { <span title="Differs" aria-label="differs">"≠"</span> })}</td>
                        <td class="stripe">{value(f.stripe)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Candidates(candidates: Vec<Candidate>, case_id: String, can_link: bool, fix: FixFlow) -> impl IntoView {
    let case_id = StoredValue::new(case_id);
    view! {
        <section class="panel">
            <h2>"Ledger transactions this record could mirror"</h2>
            <p class="muted">"Suggestions only: nothing is linked until you choose one and confirm."</p>
            <table class="data candidates">
                <thead>
                    <tr>
                        <th class="num">"Score"</th><th>"Transaction"</th><th>"Occurred"</th><th class="num">"Amount"</th>
                        <th class="num">"Fiat"</th><th>"Account"</th><th>"Why"</th>{can_link.then(|| view! { <th></th> })}
                    </tr>
                </thead>
                <tbody>
                    {candidates.into_iter().map(|c| {
                        let link_to = c.transaction_id.clone();
                        view! {
                            <tr>
                                <td class="num">{c.score}</td>
                                <td><a href=format!("/transactions/{}", c.transaction_id)><ShortId id=c.transaction_id.clone()/></a></td>
                                <td class="nowrap"><Time at=c.occurred_at/></td>
                                <td class="num nowrap">{c.amount}</td>
                                <td class="num nowrap">{c.fiat_amount}</td>
                                <td>{c.account_name}</td>
                                <td>{c.reasons.join("; ")}</td>
                                {can_link.then(|| view! {
                                    <td>
                                        <button type="button" on:click=move |_| fix.choose(&case_id.read_value(), FixKind::Link, Some(link_to.clone()))>"Link"</button>
                                    </td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn Fixes(case_id: String, fixes: Vec<FixKind>, fix: FixFlow) -> impl IntoView {
    let case_id = StoredValue::new(case_id);
    view! {
        <section class="panel fixes">
            <h2>"Fixes"</h2>
            {if fixes.is_empty() {
                view! { <p class="muted">"No fix applies to this case."</p> }.into_any()
            } else {
                view! {
                    <div class="fix-choices">
                        {fixes.into_iter().map(|kind| view! {
                            <button
                                type="button"
                                aria-pressed=move || (fix.chosen.get() == Some(kind)).to_string()
                                on:click=move |_| fix.choose(&case_id.read_value(), kind, None)
                            >{kind.label()}</button>
                        }).collect_view()}
                    </div>
                    {move || fix.chosen.get().map(|kind| view! { <FixForm case_id=case_id.get_value() kind fix/> })}
                }.into_any()
            }}
            <ActionOutcome value=fix.apply.value() done="Fix applied."/>
        </section>
    }
    .into_any()
}

/// The chosen fix: the transaction to link (for a link), the preview, then the confirmation.
#[component]
fn FixForm(case_id: String, kind: FixKind, fix: FixFlow) -> impl IntoView {
    let preview_for = case_id.clone();
    view! {
        {kind.needs_transaction().then(|| view! {
            <form class="form-row" on:submit=move |ev| { ev.prevent_default(); fix.show_preview(&preview_for); }>
                <label>"Ledger transaction id"
                    <input
                        type="text"
                        name="transaction_id"
                        required
                        prop:value=fix.transaction
                        on:input=move |ev| {
                            fix.transaction.set(event_target_value(&ev));
                            fix.preview.clear();
                        }
                    />
                </label>
                <button type="submit">"Preview"</button>
            </form>
        })}
        {move || match fix.preview.value().get() {
            None => fix.preview.pending().get().then(|| view! { <p class="muted">"Preparing the preview…"</p> }).into_any(),
            Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
            Some(Ok(p)) if p.kind == kind => view! { <Preview p/> <ApplyFixForm case_id=case_id.clone() kind fix/> }.into_any(),
            Some(Ok(_)) => ().into_any(),
        }}
    }
    .into_any()
}

/// Posts as a real form, so the confirmation box is required by the browser and checked again
/// by the server.
#[component]
fn ApplyFixForm(case_id: String, kind: FixKind, fix: FixFlow) -> impl IntoView {
    view! {
        <ActionForm action=fix.apply attr:class="confirm fix-confirm">
            <input type="hidden" name="id" value=case_id/>
            <input type="hidden" name="kind" value=kind.as_str()/>
            {kind.needs_transaction().then(|| view! { <input type="hidden" name="transaction_id" value=fix.transaction.get_untracked()/> })}
            {kind.needs_reason().then(|| view! { <label>"Reason" <textarea name="reason" rows="3" required></textarea></label> })}
            <label class="check">
                <input type="checkbox" name="confirm" value="yes" required/>
                {format!("I have read what this will do: {}", kind.label())}
            </label>
            <button type="submit" class="primary" disabled=fix.apply.pending()>"Apply"</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn Preview(p: FixPreview) -> impl IntoView {
    let list = |title: &'static str, lines: Vec<String>| {
        view! {
            <div>
                <h3>{title}</h3>
                {if lines.is_empty() {
                    view! { <p class="muted">"Nothing"</p> }.into_any()
                } else {
                    view! { <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
        }
    };
    view! {
        <div class="fix-preview" role="status">
            {list("Ledger", p.ledger)}
            {list("Stripe", p.stripe)}
            {list("Case", p.case)}
        </div>
    }
    .into_any()
}

#[component]
fn Assignment(case_id: String, assignee_id: Option<String>, assignable: Vec<UserChoice>, assign: ServerAction<AssignCase>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Assignment"</h2>
            <ActionForm action=assign attr:class="form-row">
                <input type="hidden" name="id" value=case_id/>
                <label>"Assignee"
                    <select name="user_id">
                        <option value="" selected=assignee_id.is_none()>"Unassigned"</option>
                        {assignable.into_iter().map(|u| {
                            let selected = assignee_id.as_ref() == Some(&u.id);
                            view! { <option value=u.id selected=selected>{u.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Assign"</button>
            </ActionForm>
            <ActionOutcome value=assign.value() done="Assignment saved."/>
        </section>
    }
    .into_any()
}

#[component]
fn History(events: Vec<CaseEventView>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"History"</h2>
            {if events.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline case-history">
                        {events.into_iter().map(|e| view! {
                            <li>
                                <Time at=e.at/> " " <strong>{e.actor}</strong> " " {e.what}
                                {e.detail.map(|d| view! { " — " <span class="muted">{d}</span> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
