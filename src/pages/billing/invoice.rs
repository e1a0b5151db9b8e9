use super::{BillingNav, StatusBadge};
use crate::api::billing::{ChangeInvoice, CollectInvoice, PreviewCollection, get_invoice};
use crate::components::ids::ShortId;
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::local_time;
use crate::domain::billing::{InvoiceAction, InvoiceDetail, InvoiceStatus, StepState, StepView};
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
    view! {
        <Title text="Invoice"/>
        <BillingNav/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
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
    let i = d.invoice.clone();
    let title = i.number.clone().unwrap_or_else(|| "Draft invoice".into());
    let actions = [
        (d.can_finalize, InvoiceAction::Finalize, "Finalize"),
        (d.can_void, InvoiceAction::Void, "Void"),
        (d.can_mark_uncollectible, InvoiceAction::MarkUncollectible, "Mark uncollectible"),
    ];
    view! {
        <h1>{title} " " <StatusBadge status=i.status.as_str()/></h1>
        <dl class="facts">
            <dt>"Member"</dt><dd><a href=format!("/accounts/{}", i.account_id)>{i.member.clone()}</a> " " <span class="muted">{i.account_ref.clone()}</span></dd>
            <dt>"Stripe invoice"</dt><dd>{match i.stripe_id.clone() { Some(s) => view! { <code>{s}</code> }.into_any(), None => view! { <span class="muted">"not in Stripe yet"</span> }.into_any() }}</dd>
            <dt>"Total"</dt><dd>{i.local_total.clone()} " · " {i.fiat_total.clone()}</dd>
            <dt>"Left to pay"</dt><dd>{i.fiat_remaining.clone()}</dd>
            <dt>"Due"</dt><dd>{i.due_date.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Made in"</dt><dd>{i.origin.as_str()}</dd>
            {(!d.memo.is_empty()).then(|| view! { <dt>"Memo"</dt><dd>{d.memo.clone()}</dd> })}
            {d.hosted_invoice_url.clone().map(|url| view! { <dt>"Hosted page"</dt><dd><a href=url rel="noopener" target="_blank">"Open in Stripe"</a></dd> })}
        </dl>
        <ActionOutcome value=change.value() done="Asked Stripe; the status follows when it answers."/>
        <div class="form-row actions">
            {actions.into_iter().filter(|(can, ..)| *can).map(|(_, action, label)| {
                let invoice_id = d.invoice.id.clone();
                view! {
                <ActionForm action=change attr:class="inline-confirm">
                    <input type="hidden" name="id" value=invoice_id/>
                    <input type="hidden" name="action" value=action.as_str()/>
                    <label><input type="checkbox" name="confirm" value="yes" required/> "I am sure"</label>
                    <button type="submit">{label}</button>
                </ActionForm>
            }}).collect_view()}
        </div>
        <CollectPanel id=i.id.clone() can=d.can_collect blocked=d.collect_blocked.clone() collect/>
        <h2>"Lines"</h2>
        {if d.lines.is_empty() {
            view! { <p class="muted">"Made in Stripe: its lines are on the hosted page."</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>"Description"</th><th class="num">"Quantity"</th><th class="num">"Unit price"</th><th class="num">"Line"</th><th class="num">"Fiat"</th></tr></thead>
                    <tbody>{d.lines.into_iter().map(|l| view! {
                        <tr><td>{l.description}</td><td class="num">{l.quantity}</td><td class="num nowrap">{l.unit_amount}</td><td class="num nowrap">{l.local_amount}</td><td class="num nowrap">{l.fiat_amount}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <h2>"Payments"</h2>
        {if d.payments.is_empty() {
            view! { <p class="muted">"No payment yet."</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>"Transaction"</th><th class="num">"Amount"</th><th class="num">"Fiat"</th><th>"When"</th><th>"Stripe"</th><th>"Payment Record"</th></tr></thead>
                    <tbody>{d.payments.into_iter().map(|p| view! {
                        <tr>
                            <td><a href=format!("/transactions/{}", p.transaction_id)><ShortId id=p.transaction_id.clone()/></a></td>
                            <td class="num nowrap">{p.amount}</td><td class="num nowrap">{p.fiat}</td><td class="nowrap">{local_time(&p.occurred_at)}</td>
                            <td><span class="badge" data-mirror=p.mirror.clone()>{p.mirror.clone()}</span></td>
                            <td>{p.record_id.map(|r| view! { <code>{r}</code> })}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <h2>"Credit notes"</h2>
        {match d.credit_notes {
            None => view! { <p class="muted">"Could not ask Stripe for credit notes just now."</p> }.into_any(),
            Some(notes) if notes.is_empty() => view! { <p class="muted">"None. Refunding a payment of this invoice makes one."</p> }.into_any(),
            Some(notes) => view! {
                <table class="data">
                    <thead><tr><th>"Credit note"</th><th class="num">"Amount"</th><th>"Created"</th><th>"Refund"</th></tr></thead>
                    <tbody>{notes.into_iter().map(|n| view! {
                        <tr>
                            <td><code>{n.number.unwrap_or(n.id)}</code></td><td class="num nowrap">{n.amount}</td><td class="nowrap">{local_time(&n.created_at)}</td>
                            <td>{n.refund_transaction.map(|t| view! { <a href=format!("/transactions/{t}")><ShortId id=t.clone()/></a> })}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <h2>"Stripe steps"</h2>
        <Steps steps=d.steps/>
    }
}

/// The calls Regio queued for Stripe and how far each got.
#[component]
pub fn Steps(steps: Vec<StepView>) -> impl IntoView {
    if steps.is_empty() {
        return view! { <p class="muted">"None."</p> }.into_any();
    }
    view! {
        <table class="data steps">
            <thead><tr><th>"Step"</th><th>"State"</th><th class="num">"Attempts"</th><th>"Last error"</th><th>"Updated"</th></tr></thead>
            <tbody>{steps.into_iter().map(|s| {
                let state = match s.state { StepState::Pending => "pending", StepState::Done => "delivered", StepState::Failed => "failed" };
                view! {
                    <tr>
                        <td>{s.kind.label()}</td>
                        <td><span class="badge" data-mirror=state>{s.state.as_str()}</span></td>
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
    if !can {
        return blocked.map(|why| view! { <p class="muted">{why}</p> }).into_any();
    }
    let review = id.clone();
    view! {
        <section class="panel collect">
            <h2>"Collect from wallet"</h2>
            <button type="button" on:click=move |_| { preview.dispatch(PreviewCollection { id: review.clone() }); }>"Review the collection"</button>
            {move || preview.value().get().map(|result| match result {
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                Ok(p) => {
                    let short = p.shortfall.clone();
                    view! {
                        <dl class="facts">
                            <dt>"Member"</dt><dd>{p.member.clone()}</dd>
                            <dt>"Wallet"</dt><dd>{p.balance.clone()} " → " {p.balance_after.clone()}</dd>
                            <dt>"Amount"</dt><dd>{p.amount.clone()} " (" {p.fiat.clone()} ")"</dd>
                        </dl>
                        <p><strong>"In the ledger"</strong></p>
                        <ul>{p.ledger.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                        <p><strong>"In Stripe"</strong></p>
                        <ul>{p.stripe.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                        {match short {
                            Some(short) => view! { <p class="notice error" role="alert">{format!("The wallet is {short} short: nothing can be collected until it is topped up.")}</p> }.into_any(),
                            None => view! {
                                <ActionForm action=collect>
                                    <input type="hidden" name="id" value=p.invoice_id.clone()/>
                                    <label><input type="checkbox" name="confirm" value="yes" required/> "Debit the wallet and pay the invoice"</label>
                                    <button type="submit">"Collect"</button>
                                </ActionForm>
                            }.into_any(),
                        }}
                    }.into_any()
                }
            })}
            <ActionOutcome value=collect.value() done="Collected: the Payment Record is on its way to Stripe."/>
        </section>
    }
    .into_any()
}
