//! A payment's refunds: what is left to refund, and the dialog that refunds it in two steps
//! (review what would move, then confirm).

use crate::api::refunds::{PreviewRefund, RequestRefund, get_refundable};
use crate::components::money::with_currency;
use crate::components::notice::{ActionReport, ErrorNotice};
use crate::components::shell::PendingChanged;
use crate::domain::money::{Peg, format_amount, format_fiat, parse_amount};
use crate::domain::refunds::{RefundPayer, RefundPreview, RefundReason, RefundView, Refundable};
use leptos::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// What the dialog's fields hold. It lives above the payment's data, which is fetched again after
/// every request, so a redraw keeps what was typed.
#[derive(Clone, Copy)]
struct Draft {
    /// `None` until edited: then the refund is the whole remainder.
    amount: RwSignal<Option<String>>,
    reason: RwSignal<RefundReason>,
    note: RwSignal<String>,
    payer: RwSignal<RefundPayer>,
}

impl Draft {
    fn new() -> Self {
        Draft {
            amount: RwSignal::new(None),
            reason: RwSignal::new(RefundReason::RequestedByCustomer),
            note: RwSignal::new(String::new()),
            payer: RwSignal::new(RefundPayer::Merchant),
        }
    }

    fn reset(self) {
        self.amount.set(None);
        self.reason.set(RefundReason::RequestedByCustomer);
        self.note.set(String::new());
        self.payer.set(RefundPayer::Merchant);
    }

    fn track(self) {
        self.amount.track();
        self.reason.track();
        self.note.track();
        self.payer.track();
    }
}

/// The refund's fiat equivalent by the posting rule (the running refunded total converted at the
/// payment's rate), or what is wrong with the amount.
fn refund_fiat(r: &Refundable, amount: &str) -> Result<String, String> {
    let minor = parse_amount(amount, r.exponent).map_err(|e| e.to_string())?;
    if minor > r.remainder_minor {
        return Err(format!("at most {} is left to refund", with_currency(&r.remainder, &r.currency)));
    }
    let rate = Decimal::from_str(&r.peg_rate).map_err(|_| format!("the payment's rate ({}) is unreadable", r.peg_rate))?;
    let peg = Peg { local_exponent: r.exponent, fiat_exponent: r.fiat_exponent, rate };
    peg.refund_to_fiat(r.refunded_minor, minor).map(|fiat| format_fiat(fiat, &r.fiat_currency)).ok_or_else(|| "the amount is too large".to_string())
}

fn refund_done(refund: RefundView) -> String {
    format!("Refund of {}: {}.", with_currency(&refund.amount, &refund.currency), refund.stage.label())
}

/// The Refunds panel of a payment (or invoice payment) page.
#[component]
pub fn RefundPanel(payment_id: String) -> impl IntoView {
    let preview = ServerAction::<PreviewRefund>::new();
    let request = ServerAction::<RequestRefund>::new();
    let refundable = Resource::new(move || request.version().get(), move |_| get_refundable(payment_id.clone()));
    let draft = Draft::new();
    let open = RwSignal::new(false);
    PendingChanged::follow(move || request.version().get());
    // A review speaks for the values it was made with: changing one asks for a new review.
    Effect::new(move |_| {
        draft.track();
        preview.clear();
    });
    Effect::new(move |_| {
        if matches!(request.value().get(), Some(Ok(_))) {
            open.set(false);
            draft.reset();
        }
    });
    view! {
        <section class="panel refund-panel">
            <h2>"Refunds"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match refundable.await {
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        Ok(r) => view! {
                            <RefundFacts r=r.clone()/>
                            <RefundDialog r open draft preview request/>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ActionReport value=request.value() done=refund_done/>
        </section>
    }
}

#[component]
fn RefundFacts(r: Refundable) -> impl IntoView {
    let money = move |amount: &str| with_currency(amount, &r.currency);
    let approval = match &r.approval_threshold {
        Some(threshold) => format!("refunds above {} wait for an admin's approval", money(threshold)),
        None => "not needed in this currency".to_string(),
    };
    view! {
        <dl class="facts">
            <dt>"Payment"</dt><dd>{money(&r.amount)} <span class="muted">" · " {r.payer_name.clone()} " → " {r.merchant_name.clone()}</span></dd>
            <dt>"Refunded"</dt><dd>{money(&r.refunded)}</dd>
            <dt>"Reserved"</dt><dd>{money(&r.reserved)} <span class="muted">" (awaiting approval)"</span></dd>
            <dt>"Left to refund"</dt><dd><strong>{money(&r.remainder)}</strong></dd>
            <dt>"Approval"</dt><dd>{approval}</dd>
            {r.invoice.clone().map(|invoice| view! { <dt>"Invoice"</dt><dd><code>{invoice}</code> <span class="muted">" (a refund also credits it)"</span></dd> })}
        </dl>
    }
}

#[component]
fn RefundDialog(
    r: Refundable,
    open: RwSignal<bool>,
    draft: Draft,
    preview: ServerAction<PreviewRefund>,
    request: ServerAction<RequestRefund>,
) -> impl IntoView {
    if !r.can_refund {
        let why = if r.remainder_minor <= 0 { "Nothing is left to refund." } else { "Refunding needs the support or admin role." };
        return view! { <p class="muted">{why}</p> }.into_any();
    }
    view! {
        <button type="button" class="primary" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>"Refund"</button>
        <Show when=move || open.get()>
            <RefundForm r=StoredValue::new(r.clone()) draft preview request/>
        </Show>
    }
    .into_any()
}

/// Step one: the refund's fields, checked as they are typed, and their review.
#[component]
fn RefundForm(r: StoredValue<Refundable>, draft: Draft, preview: ServerAction<PreviewRefund>, request: ServerAction<RequestRefund>) -> impl IntoView {
    let Refundable { payment_id, currency, merchant_name, can_goodwill, remainder_minor, exponent, .. } = r.get_value();
    let default_amount = format_amount(remainder_minor, exponent);
    let amount = Signal::derive(move || draft.amount.get().unwrap_or_else(|| default_amount.clone()));
    let fiat = Memo::new(move |_| r.with_value(|r| refund_fiat(r, &amount.get())));
    // The fiat line changes with every key typed: announced politely, not as an alert.
    let payer_option = move |payer: RefundPayer, text: String| {
        view! {
            <label class="check">
                <input type="radio" name="payer" value=payer.as_str() prop:checked=move || draft.payer.get() == payer on:change=move |_| draft.payer.set(payer)/>
                {text}
            </label>
        }
    };
    let payer_choice = if can_goodwill {
        view! {
            <fieldset class="payer">
                <legend>"Who pays it back"</legend>
                {payer_option(RefundPayer::Merchant, format!("The merchant ({merchant_name})"))}
                {payer_option(RefundPayer::Operator, "The operator, as goodwill".to_string())}
            </fieldset>
        }
        .into_any()
    } else {
        view! { <p class="field-note">{format!("The merchant ({merchant_name}) pays it back.")}</p> }.into_any()
    };
    view! {
        <div class="refund-dialog" role="group" aria-label="Refund this payment">
            <ActionForm action=preview attr:class="form-row">
                <input type="hidden" name="payment_id" value=payment_id/>
                <label>{format!("Amount ({currency})")}
                    <input type="text" name="amount" inputmode="decimal" size="12" required prop:value=amount on:input=move |ev| draft.amount.set(Some(event_target_value(&ev)))/>
                    <span class="field-note" class:error-text=move || fiat.with(Result::is_err) aria-live="polite">
                        {move || match fiat.get() {
                            Ok(fiat) => format!("= {fiat}"),
                            Err(message) => message,
                        }}
                    </span>
                </label>
                <label>"Reason"
                    <select name="reason" on:change=move |ev| if let Ok(reason) = event_target_value(&ev).parse() { draft.reason.set(reason) }>
                        {RefundReason::ALL.iter().map(|&reason| view! {
                            <option value=reason.as_str() selected=move || draft.reason.get() == reason>{reason.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="grow">"Note (required for “Other”)"
                    <textarea name="note" rows="2" required=move || draft.reason.get() == RefundReason::Other prop:value=move || draft.note.get() on:input=move |ev| draft.note.set(event_target_value(&ev))></textarea>
                </label>
                {payer_choice}
                <button type="submit" disabled=move || preview.pending().get() || fiat.with(Result::is_err)>"Review"</button>
            </ActionForm>
            {move || match preview.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(p)) => view! { <RefundReview p r draft amount request/> }.into_any(),
            }}
        </div>
    }
}

/// Step two: what the refund would move, and the confirmed request with the reviewed values.
#[component]
fn RefundReview(p: RefundPreview, r: StoredValue<Refundable>, draft: Draft, amount: Signal<String>, request: ServerAction<RequestRefund>) -> impl IntoView {
    let RefundPreview { amount: previewed, fiat, needs_approval, ledger, stripe } = p;
    let Refundable { payment_id, currency, approval_threshold: threshold, .. } = r.get_value();
    let lines = |lines: Vec<String>| lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view();
    let approval_notice = needs_approval.then(|| {
        let above = threshold.map(|t| format!(" (above {})", with_currency(&t, &currency))).unwrap_or_default();
        view! {
            <p class="notice warn" role="status">
                <strong>"Needs approval"</strong> {format!("{above}: this refund will wait for an admin to approve it. Nothing moves until then.")}
            </p>
        }
    });
    view! {
        <div class="refund-review">
            <h3>"Review: " {with_currency(&previewed, &currency)} " = " {fiat}</h3>
            {approval_notice}
            <div class="fix-preview">
                <div><h3>"Ledger"</h3><ul>{lines(ledger)}</ul></div>
                <div><h3>"Stripe"</h3><ul>{lines(stripe)}</ul></div>
            </div>
            <p class="muted">"Nothing has moved yet."</p>
            <ActionForm action=request attr:class="form-row confirm">
                <input type="hidden" name="payment_id" value=payment_id/>
                <input type="hidden" name="amount" value=move || amount.get()/>
                <input type="hidden" name="reason" value=move || draft.reason.get().as_str()/>
                <input type="hidden" name="note" value=move || draft.note.get()/>
                <input type="hidden" name="payer" value=move || draft.payer.get().as_str()/>
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    {if needs_approval { "Send this refund for approval" } else { "Refund this amount now: the ledger moves and Stripe is told" }}
                </label>
                <button type="submit" class="primary" disabled=request.pending()>{if needs_approval { "Request approval" } else { "Refund now" }}</button>
            </ActionForm>
        </div>
    }
}
