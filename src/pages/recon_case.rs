use crate::api::recon::{AddCaseRemark, ApplyFix, AssignCase, PreviewFix, get_case};
use crate::components::ids::ShortId;
use crate::components::notice::{ActionOutcome, ErrorLine, ErrorNotice};
use crate::components::time::Time;
use crate::domain::recon::{Candidate, CaseDetail, CaseEventView, FieldDiff, FixKind, FixPreview, PreviewLine, RUN_ACTOR, UserChoice};
use crate::i18n::recon::{Recon, case_event_name, field_name, field_value, fix_name};
use crate::i18n::{fill, use_locale, use_texts, use_texts_of};
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
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    view! {
        <p class="muted"><a href="/reconciliation">{r.back}</a></p>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <Title text=r.case/> <ErrorNotice error=e/> }.into_any(),
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
    // The server explains the class in English; the page says it in the reader's language.
    let CaseDetail { case, explanation: _, fields, history, fixes, candidates, assignee_id, assignable, dashboard_url } = d;
    let can_link = fixes.contains(&FixKind::Link);
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    let locale = use_locale();
    view! {
        <Title text=fill(r.case_title, &[case.class.label_in(locale)])/>
        <h1>{case.class.label_in(locale)} " " <CaseBadge state=case.state/></h1>
        <p class="lead explanation">{case.class.explanation_in(locale)}</p>
        <p>{case.what_differs(use_locale())}</p>
        <dl class="facts">
            <dt>{r.age}</dt><dd>{case.age.label_in(locale)}</dd>
            <dt>{r.first_seen}</dt><dd><Time at=case.first_seen.clone()/></dd>
            <dt>{r.last_seen}</dt><dd><Time at=case.last_seen.clone()/></dd>
            <dt>{t.amount}</dt><dd>{case.amount.clone()} " " {case.currency.clone()}</dd>
            <dt>{t.account}</dt>
            <dd>{case.account_id.clone().map(|a| view! { <a href=format!("/accounts/{a}")>{case.account_name.clone().unwrap_or_else(|| a.clone())}</a> })}</dd>
            <dt>{r.ledger_transaction}</dt>
            <dd>{case.transaction_id.clone().map_or_else(
                || view! { <span class="muted">{r.none}</span> }.into_any(),
                |t| view! { <a href=format!("/transactions/{t}")><code>{t.clone()}</code></a> }.into_any(),
            )}</dd>
            <dt>{r.stripe_record}</dt>
            <dd>
                {case.record_id.clone().map_or_else(
                    || view! { <span class="muted">{r.none}</span> }.into_any(),
                    |r| view! { <code>{r}</code> }.into_any(),
                )}
                {dashboard_url.map(|u| view! { " " <a href=u target="_blank" rel="noopener">{r.open_in_dashboard}</a> })}
            </dd>
            <dt>{r.assignee}</dt><dd>{case.assignee.clone().unwrap_or_else(|| r.unassigned.into())}</dd>
        </dl>
        <section class="panel">
            <h2>{r.ledger_and_stripe}</h2>
            <FieldTable fields/>
        </section>
        {(!candidates.is_empty()).then(|| view! { <Candidates candidates case_id=case.id.clone() can_link fix/> })}
        <Fixes case_id=case.id.clone() fixes fix/>
        <div class="columns">
            <Assignment case_id=case.id.clone() assignee_id assignable assign/>
            <section class="panel">
                <h2>{r.remarks}</h2>
                <ActionForm action=remark attr:class="form-row">
                    <input type="hidden" name="id" value=case.id.clone()/>
                    <label class="grow">{r.remark} <textarea name="remark" rows="2" required></textarea></label>
                    <button type="submit">{r.add_remark}</button>
                </ActionForm>
                <ActionOutcome value=remark.value() done=r.remark_added/>
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
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    if fields.is_empty() {
        return view! { <p class="muted">{r.nothing_to_compare}</p> }.into_any();
    }
    let value = |v: Option<String>| v.map_or_else(|| view! { <span class="muted">"—"</span> }.into_any(), |v| field_value(r, &v).to_string().into_any());
    view! {
        <table class="data side-by-side diff">
            <thead>
                <tr><th>{r.field}</th><th>{t.ledger}</th><th class="marker"><span class="visually-hidden">{r.differs}</span></th><th class="stripe">"Stripe"</th></tr>
            </thead>
            <tbody>
                {fields.into_iter().map(|f| view! {
                    <tr class:differs=f.differs>
                        <th scope="row">{field_name(r, &f.label).to_string()}</th>
                        <td>{value(f.ledger)}</td>
                        <td class="marker">{f.differs.then(|| view! { <span title=r.differs aria-label=r.differs_label>"≠"</span> })}</td>
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
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    let locale = use_locale();
    view! {
        <section class="panel">
            <h2>{r.candidates}</h2>
            <p class="muted">{r.candidates_note}</p>
            <table class="data candidates">
                <thead>
                    <tr>
                        <th class="num">{r.score}</th><th>{r.transaction}</th><th>{r.occurred}</th><th class="num">{t.amount}</th>
                        <th class="num">{t.fiat}</th><th>{t.account}</th><th>{r.why}</th>{can_link.then(|| view! { <th></th> })}
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
                                <td>{c.reasons.iter().map(|reason| reason.text_in(locale)).collect::<Vec<_>>().join("; ")}</td>
                                {can_link.then(|| view! {
                                    <td>
                                        <button type="button" on:click=move |_| fix.choose(&case_id.read_value(), FixKind::Link, Some(link_to.clone()))>{r.link}</button>
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
    let r = use_texts_of::<Recon>();
    view! {
        <section class="panel fixes">
            <h2>{r.fixes}</h2>
            {if fixes.is_empty() {
                view! { <p class="muted">{r.no_fix}</p> }.into_any()
            } else {
                view! {
                    <div class="fix-choices">
                        {fixes.into_iter().map(|kind| view! {
                            <button
                                type="button"
                                aria-pressed=move || (fix.chosen.get() == Some(kind)).to_string()
                                on:click=move |_| fix.choose(&case_id.read_value(), kind, None)
                            >{fix_name(r, kind)}</button>
                        }).collect_view()}
                    </div>
                    {move || fix.chosen.get().map(|kind| view! { <FixForm case_id=case_id.get_value() kind fix/> })}
                }.into_any()
            }}
            <ActionOutcome value=fix.apply.value() done=r.fix_applied/>
        </section>
    }
    .into_any()
}

/// The chosen fix: the transaction to link (for a link), the preview, then the confirmation.
#[component]
fn FixForm(case_id: String, kind: FixKind, fix: FixFlow) -> impl IntoView {
    let preview_for = case_id.clone();
    let r = use_texts_of::<Recon>();
    view! {
        {kind.needs_transaction().then(|| view! {
            <form class="form-row" on:submit=move |ev| { ev.prevent_default(); fix.show_preview(&preview_for); }>
                <label>{r.transaction_id}
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
                <button type="submit">{r.preview}</button>
            </form>
        })}
        {move || match fix.preview.value().get() {
            None => fix.preview.pending().get().then(|| view! { <p class="muted">{r.preparing_preview}</p> }).into_any(),
            Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
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
    let r = use_texts_of::<Recon>();
    let confirm = fill(r.confirm_read, &[fix_name(r, kind)]);
    view! {
        <ActionForm action=fix.apply attr:class="confirm fix-confirm">
            <input type="hidden" name="id" value=case_id/>
            <input type="hidden" name="kind" value=kind.as_str()/>
            {kind.needs_transaction().then(|| view! { <input type="hidden" name="transaction_id" value=fix.transaction.get_untracked()/> })}
            {kind.needs_reason().then(|| view! { <label>{r.reason} <textarea name="reason" rows="3" required></textarea></label> })}
            <label class="check">
                <input type="checkbox" name="confirm" value="yes" required/>
                {confirm}
            </label>
            <button type="submit" class="primary" disabled=fix.apply.pending()>{r.apply}</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn Preview(p: FixPreview) -> impl IntoView {
    let t = use_texts();
    let r = use_texts_of::<Recon>();
    let locale = use_locale();
    let list = |title: &'static str, lines: Vec<PreviewLine>| {
        view! {
            <div>
                <h3>{title}</h3>
                {if lines.is_empty() {
                    view! { <p class="muted">{r.nothing}</p> }.into_any()
                } else {
                    view! { <ul>{lines.into_iter().map(|l| view! { <li>{l.text_in(locale)}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
        }
    };
    view! {
        <div class="fix-preview" role="status">
            {list(t.ledger, p.ledger)}
            {list("Stripe", p.stripe)}
            {list(r.case, p.case)}
        </div>
    }
    .into_any()
}

#[component]
fn Assignment(case_id: String, assignee_id: Option<String>, assignable: Vec<UserChoice>, assign: ServerAction<AssignCase>) -> impl IntoView {
    let r = use_texts_of::<Recon>();
    view! {
        <section class="panel">
            <h2>{r.assignment}</h2>
            <ActionForm action=assign attr:class="form-row">
                <input type="hidden" name="id" value=case_id/>
                <label>{r.assignee}
                    <select name="user_id">
                        <option value="" selected=assignee_id.is_none()>{r.unassigned_choice}</option>
                        {assignable.into_iter().map(|u| {
                            let selected = assignee_id.as_ref() == Some(&u.id);
                            view! { <option value=u.id selected=selected>{u.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">{r.assign}</button>
            </ActionForm>
            <ActionOutcome value=assign.value() done=r.assignment_saved/>
        </section>
    }
    .into_any()
}

#[component]
fn History(events: Vec<CaseEventView>) -> impl IntoView {
    let r = use_texts_of::<Recon>();
    let locale = use_locale();
    view! {
        <section class="panel">
            <h2>{r.history}</h2>
            {if events.is_empty() {
                view! { <p class="muted">{r.nothing_yet}</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline case-history">
                        {events.into_iter().map(|e| view! {
                            <li>
                                <Time at=e.at/> " " <strong>{if e.actor == RUN_ACTOR { r.run_actor.to_string() } else { e.actor }}</strong> " " {case_event_name(r, &e.what).to_string()}
                                {e.detail.map(|d| view! { " — " <span class="muted">{d.in_locale(locale).to_string()}</span> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
