//! A payment's refunds: what is left to refund, and the dialog that refunds it in two steps
//! (review what would move, then confirm).

use crate::api::refunds::{PreviewRefund, RequestRefund, get_refundable};
use crate::components::money::with_currency;
use crate::components::notice::{ActionReport, ErrorLine, ErrorNotice};
use crate::components::shell::PendingChanged;
use crate::domain::Message;
use crate::domain::locale::Locale;
use crate::domain::money::{Peg, format_amount, format_fiat, parse_amount};
use crate::domain::refunds::{RefundPayer, RefundPreview, RefundReason, RefundView, Refundable};
use crate::i18n::money::{Money as MoneyTexts, reason_name, refund_stripe_text, stage_name};
use crate::i18n::{fill, use_locale, use_texts, use_texts_of};
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
fn refund_fiat(m: &'static MoneyTexts, locale: Locale, r: &Refundable, amount: &str) -> Result<String, String> {
    let minor = parse_amount(amount, r.exponent).map_err(|e| Message::from(e).in_locale(locale).to_string())?;
    if minor > r.remainder_minor {
        return Err(fill(m.at_most_left, &[&with_currency(&r.remainder, &r.currency)]));
    }
    let rate = Decimal::from_str(&r.peg_rate).map_err(|_| fill(m.rate_unreadable, &[&r.peg_rate]))?;
    let peg = Peg { local_exponent: r.exponent, fiat_exponent: r.fiat_exponent, rate };
    peg.refund_to_fiat(r.refunded_minor, minor).map(|fiat| format_fiat(fiat, &r.fiat_currency)).ok_or_else(|| m.too_large.to_string())
}

fn refund_done(m: &'static MoneyTexts, refund: RefundView) -> String {
    fill(m.refund_of, &[&with_currency(&refund.amount, &refund.currency), stage_name(m, refund.stage)])
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
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <section class="panel refund-panel">
            <h2>{t.nav_refunds}</h2>
            <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
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
            <ActionReport value=request.value() done=move |refund| refund_done(m, refund)/>
        </section>
    }
}

#[component]
fn RefundFacts(r: Refundable) -> impl IntoView {
    let money = move |amount: &str| with_currency(amount, &r.currency);
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    let approval = match &r.approval_threshold {
        Some(threshold) => fill(m.approval_above, &[&money(threshold)]),
        None => m.approval_not_needed.to_string(),
    };
    view! {
        <dl class="facts">
            <dt>{m.payment}</dt><dd>{money(&r.amount)} <span class="muted">" · " {r.payer_name.clone()} " → " {r.merchant_name.clone()}</span></dd>
            <dt>{t.refunded}</dt><dd>{money(&r.refunded)}</dd>
            <dt>{m.reserved}</dt><dd>{money(&r.reserved)} <span class="muted">{m.awaiting_approval_note}</span></dd>
            <dt>{m.left_to_refund}</dt><dd><strong>{money(&r.remainder)}</strong></dd>
            <dt>{m.approval}</dt><dd>{approval}</dd>
            {r.invoice.clone().map(|invoice| view! { <dt>{m.invoice}</dt><dd><code>{invoice}</code> <span class="muted">{m.invoice_credited}</span></dd> })}
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
    let m = use_texts_of::<MoneyTexts>();
    if !r.can_refund {
        let why = if r.remainder_minor <= 0 { m.nothing_left } else { m.refund_needs_role };
        return view! { <p class="muted">{why}</p> }.into_any();
    }
    view! {
        <button type="button" class="primary" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>{m.refund}</button>
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
    let m = use_texts_of::<MoneyTexts>();
    let default_amount = format_amount(remainder_minor, exponent);
    let amount = Signal::derive(move || draft.amount.get().unwrap_or_else(|| default_amount.clone()));
    let locale = use_locale();
    let fiat = Memo::new(move |_| r.with_value(|r| refund_fiat(m, locale, r, &amount.get())));
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
                <legend>{m.who_pays}</legend>
                {payer_option(RefundPayer::Merchant, fill(m.the_merchant, &[&merchant_name]))}
                {payer_option(RefundPayer::Operator, m.the_operator.to_string())}
            </fieldset>
        }
        .into_any()
    } else {
        view! { <p class="field-note">{fill(m.merchant_pays, &[&merchant_name])}</p> }.into_any()
    };
    view! {
        <div class="refund-dialog" role="group" aria-label=m.refund_this_payment>
            <ActionForm action=preview attr:class="form-row">
                <input type="hidden" name="payment_id" value=payment_id/>
                <label>{fill(m.amount_in, &[&currency])}
                    <input type="text" name="amount" inputmode="decimal" size="12" required prop:value=amount on:input=move |ev| draft.amount.set(Some(event_target_value(&ev)))/>
                    <span class="field-note" class:error-text=move || fiat.with(Result::is_err) aria-live="polite">
                        {move || match fiat.get() {
                            Ok(fiat) => format!("= {fiat}"),
                            Err(message) => message,
                        }}
                    </span>
                </label>
                <label>{m.reason}
                    <select name="reason" on:change=move |ev| if let Ok(reason) = event_target_value(&ev).parse() { draft.reason.set(reason) }>
                        {RefundReason::ALL.iter().map(|&reason| view! {
                            <option value=reason.as_str() selected=move || draft.reason.get() == reason>{reason_name(m, reason)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="grow">{m.note_for_other}
                    <textarea name="note" rows="2" required=move || draft.reason.get() == RefundReason::Other prop:value=move || draft.note.get() on:input=move |ev| draft.note.set(event_target_value(&ev))></textarea>
                </label>
                {payer_choice}
                <button type="submit" disabled=move || preview.pending().get() || fiat.with(Result::is_err)>{m.review}</button>
            </ActionForm>
            {move || match preview.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
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
    let locale = use_locale();
    let lines = |lines: Vec<String>| lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view();
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    let approval_notice = needs_approval.then(|| {
        let above = threshold.map(|t| fill(m.above, &[&with_currency(&t, &currency)])).unwrap_or_default();
        view! {
            <p class="notice warn" role="status">
                <strong>{m.needs_approval}</strong> {fill(m.will_wait, &[&above])}
            </p>
        }
    });
    view! {
        <div class="refund-review">
            <h3>{m.review_heading} {with_currency(&previewed, &currency)} " = " {fiat}</h3>
            {approval_notice}
            <div class="fix-preview">
                <div><h3>{t.ledger}</h3><ul>{lines(ledger)}</ul></div>
                <div><h3>"Stripe"</h3><ul>{lines(stripe.iter().map(|l| refund_stripe_text(locale, l)).collect())}</ul></div>
            </div>
            <p class="muted">{m.nothing_moved}</p>
            <ActionForm action=request attr:class="form-row confirm">
                <input type="hidden" name="payment_id" value=payment_id/>
                <input type="hidden" name="amount" value=move || amount.get()/>
                <input type="hidden" name="reason" value=move || draft.reason.get().as_str()/>
                <input type="hidden" name="note" value=move || draft.note.get()/>
                <input type="hidden" name="payer" value=move || draft.payer.get().as_str()/>
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    {if needs_approval { m.send_for_approval } else { m.refund_now_confirm }}
                </label>
                <button type="submit" class="primary" disabled=request.pending()>{if needs_approval { m.request_approval } else { m.refund_now }}</button>
            </ActionForm>
        </div>
    }
}
