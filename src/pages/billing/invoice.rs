use super::{BillingNav, StatusBadge};
use crate::api::billing::{ChangeInvoice, CollectInvoice, PreviewCollection, get_invoice};
use crate::components::ids::ShortId;
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::local_time;
use crate::domain::billing::{InvoiceAction, InvoiceDetail, InvoiceStatus, StepState, StepView};
use crate::domain::ledger::MirrorState;
use crate::i18n::billing::{Billing, origin_name, step_kind_name, step_state_name};
use crate::i18n::{fill, mirror_name, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One invoice: what it bills, its Stripe steps, its payments and credit notes, and (for admins)
/// finalize, void, mark uncollectible and collect from the member's wallet.
#[component]
pub fn InvoicePage() -> impl IntoView {
    let params = use_params_map();
    let change = ServerAction::<ChangeInvoice>::new();
    let collect = ServerAction::<CollectInvoice>::new();
    let ask_again = RwSignal::new(0u32);
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(move || (id(), change.version().get(), collect.version().get(), ask_again.get()), |(id, ..)| get_invoice(id));
    let (loading, title) = (use_texts().loading, use_texts_of::<Billing>().invoice);
    view! {
        <Title text=title/>
        <BillingNav/>
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(d) => view! { <Invoice d change collect ask_again/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Invoice(d: InvoiceDetail, change: ServerAction<ChangeInvoice>, collect: ServerAction<CollectInvoice>, ask_again: RwSignal<u32>) -> impl IntoView {
    // While Stripe calls or a payment are on their way, the page asks again every two seconds
    // (inside a `Transition`, so the page stays as it is while it asks).
    // (A paid payment's invoice turns paid when Stripe's event arrives, a moment after.)
    let moving =
        d.invoice.step_pending || d.payments.iter().any(|p| p.mirror == "pending") || (d.invoice.status == InvoiceStatus::Open && !d.payments.is_empty());
    if moving {
        Effect::new(move |_| set_timeout(move || ask_again.update(|n| *n += 1), std::time::Duration::from_secs(2)));
    }
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    let i = d.invoice.clone();
    let title = i.number.clone().unwrap_or_else(|| b.draft_invoice.into());
    let actions = [
        (d.can_finalize, InvoiceAction::Finalize, b.finalize),
        (d.can_void, InvoiceAction::Void, b.void),
        (d.can_mark_uncollectible, InvoiceAction::MarkUncollectible, b.mark_uncollectible),
    ];
    view! {
        <h1>{title} " " <StatusBadge status=i.status.as_str()/></h1>
        <dl class="facts">
            <dt>{b.member}</dt><dd><a href=format!("/accounts/{}", i.account_id)>{i.member.clone()}</a> " " <span class="muted">{i.account_ref.clone()}</span></dd>
            <dt>{b.stripe_invoice}</dt><dd>{match i.stripe_id.clone() { Some(s) => view! { <code>{s}</code> }.into_any(), None => view! { <span class="muted">{b.not_in_stripe_yet}</span> }.into_any() }}</dd>
            <dt>{b.total}</dt><dd>{i.local_total.clone()} " · " {i.fiat_total.clone()}</dd>
            <dt>{b.left_to_pay}</dt><dd>{i.fiat_remaining.clone()}</dd>
            <dt>{b.due}</dt><dd>{i.due_date.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>{b.made_in}</dt><dd>{origin_name(b, i.origin)}</dd>
            {(!d.memo.is_empty()).then(|| view! { <dt>{b.memo}</dt><dd>{d.memo.clone()}</dd> })}
            {d.hosted_invoice_url.clone().map(|url| view! { <dt>{b.hosted_page}</dt><dd><a href=url rel="noopener" target="_blank">{b.open_in_stripe}</a></dd> })}
        </dl>
        <ActionOutcome value=change.value() done=b.asked_stripe/>
        <div class="form-row actions">
            {actions.into_iter().filter(|(can, ..)| *can).map(|(_, action, label)| {
                let invoice_id = d.invoice.id.clone();
                view! {
                <ActionForm action=change attr:class="inline-confirm">
                    <input type="hidden" name="id" value=invoice_id/>
                    <input type="hidden" name="action" value=action.as_str()/>
                    <label><input type="checkbox" name="confirm" value="yes" required/> {b.i_am_sure}</label>
                    <button type="submit">{label}</button>
                </ActionForm>
            }}).collect_view()}
        </div>
        <CollectPanel id=i.id.clone() can=d.can_collect blocked=d.collect_blocked.clone() collect/>
        <h2>{b.lines}</h2>
        {if d.lines.is_empty() {
            view! { <p class="muted">{b.lines_in_stripe}</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>{b.description}</th><th class="num">{b.quantity}</th><th class="num">{b.unit_price}</th><th class="num">{b.line}</th><th class="num">{t.fiat}</th></tr></thead>
                    <tbody>{d.lines.into_iter().map(|l| view! {
                        <tr><td>{l.description}</td><td class="num">{l.quantity}</td><td class="num nowrap">{l.unit_amount}</td><td class="num nowrap">{l.local_amount}</td><td class="num nowrap">{l.fiat_amount}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <h2>{t.payments}</h2>
        {if d.payments.is_empty() {
            view! { <p class="muted">{b.no_payment_yet}</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>{b.transaction}</th><th class="num">{t.amount}</th><th class="num">{t.fiat}</th><th>{t.when}</th><th>"Stripe"</th><th>{t.payment_record}</th></tr></thead>
                    <tbody>{d.payments.into_iter().map(|p| view! {
                        <tr>
                            <td><a href=format!("/transactions/{}", p.transaction_id)><ShortId id=p.transaction_id.clone()/></a></td>
                            <td class="num nowrap">{p.amount}</td><td class="num nowrap">{p.fiat}</td><td class="nowrap">{local_time(&p.occurred_at)}</td>
                            <td><span class="badge" data-mirror=p.mirror.clone()>{p.mirror.parse::<MirrorState>().map_or_else(|_| p.mirror.clone(), |m| mirror_name(t, m).to_string())}</span></td>
                            <td>{p.record_id.map(|r| view! { <code>{r}</code> })}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <h2>{b.credit_notes}</h2>
        {match d.credit_notes {
            None => view! { <p class="muted">{b.credit_notes_unavailable}</p> }.into_any(),
            Some(notes) if notes.is_empty() => view! { <p class="muted">{b.no_credit_notes}</p> }.into_any(),
            Some(notes) => view! {
                <table class="data">
                    <thead><tr><th>{b.credit_note}</th><th class="num">{t.amount}</th><th>{b.created}</th><th>{b.refund}</th></tr></thead>
                    <tbody>{notes.into_iter().map(|n| view! {
                        <tr>
                            <td><code>{n.number.unwrap_or(n.id)}</code></td><td class="num nowrap">{n.amount}</td><td class="nowrap">{local_time(&n.created_at)}</td>
                            <td>{n.refund_transaction.map(|t| view! { <a href=format!("/transactions/{t}")><ShortId id=t.clone()/></a> })}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <h2>{b.stripe_steps}</h2>
        <Steps steps=d.steps/>
    }
}

/// The calls Regio queued for Stripe and how far each got.
#[component]
pub fn Steps(steps: Vec<StepView>) -> impl IntoView {
    let b = use_texts_of::<Billing>();
    if steps.is_empty() {
        return view! { <p class="muted">{b.no_steps}</p> }.into_any();
    }
    view! {
        <table class="data steps">
            <thead><tr><th>{b.step}</th><th>{b.state}</th><th class="num">{b.attempts}</th><th>{b.last_error}</th><th>{b.updated}</th></tr></thead>
            <tbody>{steps.into_iter().map(|s| {
                let state = match s.state { StepState::Pending => "pending", StepState::Done => "delivered", StepState::Failed => "failed" };
                view! {
                    <tr>
                        <td>{step_kind_name(b, s.kind)}</td>
                        <td><span class="badge" data-mirror=state>{step_state_name(b, s.state)}</span></td>
                        <td class="num">{s.attempts}</td>
                        <td>{s.last_error.unwrap_or_default()}</td>
                        <td class="nowrap">{local_time(&s.updated_at)}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// "Collect from wallet": a review of what would move, then the confirmed collection.
#[component]
fn CollectPanel(id: String, can: bool, blocked: Option<String>, collect: ServerAction<CollectInvoice>) -> impl IntoView {
    let preview = ServerAction::<PreviewCollection>::new();
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    if !can {
        return blocked.map(|why| view! { <p class="muted">{why}</p> }).into_any();
    }
    let review = id.clone();
    view! {
        <section class="panel collect">
            <h2>{b.collect_from_wallet}</h2>
            <button type="button" on:click=move |_| { preview.dispatch(PreviewCollection { id: review.clone() }); }>{b.review_collection}</button>
            {move || preview.value().get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                Ok(p) => {
                    let short = p.shortfall.clone();
                    view! {
                        <dl class="facts">
                            <dt>{b.member}</dt><dd>{p.member.clone()}</dd>
                            <dt>{b.wallet}</dt><dd>{p.balance.clone()} " → " {p.balance_after.clone()}</dd>
                            <dt>{t.amount}</dt><dd>{p.amount.clone()} " (" {p.fiat.clone()} ")"</dd>
                        </dl>
                        <p><strong>{b.in_the_ledger}</strong></p>
                        <ul>{p.ledger.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                        <p><strong>{b.in_stripe}</strong></p>
                        <ul>{p.stripe.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                        {match short {
                            Some(short) => view! { <p class="notice error" role="alert">{fill(b.wallet_short, &[&short])}</p> }.into_any(),
                            None => view! {
                                <ActionForm action=collect>
                                    <input type="hidden" name="id" value=p.invoice_id.clone()/>
                                    <label><input type="checkbox" name="confirm" value="yes" required/> {b.debit_and_pay}</label>
                                    <button type="submit">{b.collect}</button>
                                </ActionForm>
                            }.into_any(),
                        }}
                    }.into_any()
                }
            })}
            <ActionOutcome value=collect.value() done=b.collected/>
        </section>
    }
    .into_any()
}
