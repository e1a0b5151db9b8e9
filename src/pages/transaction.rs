use crate::api::transactions::{RetryDelivery, get_transaction};
use crate::components::mirror::MirrorBadge;
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::refund_panel::RefundPanel;
use crate::components::time::Time;
use crate::domain::ledger::{MirrorState, MirrorView, StripeRecordView, TransactionDetail, TransactionKind};
use crate::domain::money::format_fiat;
use crate::i18n::money::{Money as MoneyTexts, attempt_name, kind_text, source_name, timeline_text};
use crate::i18n::{use_locale, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One transaction: the ledger side and Stripe's side next to each other, the delivery
/// attempts, refunds, and everything in time order.
#[component]
pub fn TransactionPage() -> impl IntoView {
    let params = use_params_map();
    let retry = ServerAction::<RetryDelivery>::new();
    let detail = Resource::new(move || (params.read().get("id").unwrap_or_default(), retry.version().get()), |(id, _)| get_transaction(id));
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <Title text=m.transaction/>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(d) => view! { <Detail d retry/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(d: TransactionDetail, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let t = d.transaction;
    let fiat = t.fiat_amount_minor.zip(t.fiat_currency.clone()).map(|(m, c)| format_fiat(m, &c));
    let refundable = matches!(t.kind, TransactionKind::Payment | TransactionKind::InvoicePayment).then(|| t.id.clone());
    let tx = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    let locale = use_locale();
    view! {
        <p class="muted"><a href="/transactions">{m.back_to_transactions}</a></p>
        <h1>{format!("{} · {} {}", kind_text(locale, t.kind), t.amount, t.currency)}</h1>
        <div class="columns">
            <section class="panel">
                <h2>{tx.ledger}</h2>
                <dl class="facts">
                    <dt>{tx.reference}</dt><dd>{t.external_ref.clone()} <span class="muted">" (" {source_name(m, t.source)} ")"</span></dd>
                    <dt>{m.occurred}</dt><dd><Time at=t.occurred_at.clone()/></dd>
                    <dt>{tx.from_to}</dt><dd>{t.from_account.clone()} " → " {t.to_account.clone()}</dd>
                    <dt>{tx.amount}</dt><dd>{t.amount.clone()} " " {t.currency.clone()}</dd>
                    <dt>{m.fiat_reported}</dt><dd>{fiat.unwrap_or_else(|| m.not_mirrored.into())}</dd>
                    <dt>{m.description}</dt><dd>{t.description.clone()}</dd>
                    <dt>{m.id}</dt><dd><code>{t.id.clone()}</code></dd>
                    {t.corrects_id.clone().map(|c| view! { <dt>{m.refunds_corrects}</dt><dd><a href=format!("/transactions/{c}")><code>{c.clone()}</code></a></dd> })}
                </dl>
                <h3>{m.entries}</h3>
                <table class="data">
                    <thead><tr><th>{tx.account}</th><th class="num">{tx.amount}</th></tr></thead>
                    <tbody>
                        {d.entries.into_iter().map(|e| view! {
                            <tr><td>{e.account_name} " " <span class="muted">{e.account_ref}</span></td><td class="num">{e.amount}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="panel">
                <h2>"Stripe"</h2>
                {d.stripe_note.map(|n| view! { <p class="muted">{n}</p> })}
                {d.dashboard_url.map(|u| view! { <p><a href=u target="_blank" rel="noopener">{m.open_in_dashboard}</a></p> })}
                {d.stripe_record.map(|r| view! { <RecordFacts r/> })}
                {(!d.stripe_attempts.is_empty()).then(|| view! {
                    <h3>{m.attempt_records}</h3>
                    <table class="data">
                        <thead><tr><th>{m.id}</th><th>{m.created}</th><th class="num">{tx.guaranteed}</th><th class="num">{m.failed}</th><th class="num">{m.canceled}</th></tr></thead>
                        <tbody>
                            {d.stripe_attempts.into_iter().map(|a| view! {
                                <tr>
                                    <td><code>{a.id}</code></td><td><Time at=a.created/></td>
                                    <td class="num">{format_fiat(a.amount_guaranteed, &a.currency)}</td>
                                    <td class="num">{format_fiat(a.amount_failed, &a.currency)}</td>
                                    <td class="num">{format_fiat(a.amount_canceled, &a.currency)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </section>
        </div>
        {refundable.map(|payment_id| view! { <RefundPanel payment_id/> })}
        {d.mirror.map(|m| view! { <Delivery m retry/> })}
        {(!d.refunds.is_empty()).then(|| view! {
            <section class="panel">
                <h2>{m.refund_transactions}</h2>
                <table class="data">
                    <thead><tr><th>{tx.when}</th><th>{tx.reference}</th><th class="num">{tx.amount}</th><th class="num">{tx.fiat}</th><th>{tx.mirror}</th></tr></thead>
                    <tbody>
                        {d.refunds.into_iter().map(|r| view! {
                            <tr>
                                <td><Time at=r.occurred_at/></td>
                                <td><a href=format!("/transactions/{}", r.id)>{r.external_ref}</a></td>
                                <td class="num">{r.amount} " " {r.currency}</td>
                                <td class="num">{r.fiat_amount_minor.zip(r.fiat_currency).map(|(m, c)| format_fiat(m, &c))}</td>
                                <td><MirrorBadge state=r.mirror_state/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
        <section class="panel">
            <h2>{m.timeline}</h2>
            <ol class="timeline">
                {d.timeline.into_iter().map(|e| view! { <li><Time at=e.at/> " " {timeline_text(locale, &e.what)}</li> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn RecordFacts(r: StripeRecordView) -> impl IntoView {
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <dl class="facts">
            <dt>{t.payment_record}</dt><dd><code>{r.id}</code> {(!r.livemode).then_some(m.test_mode)}</dd>
            <dt>{m.created}</dt><dd><Time at=r.created/></dd>
            <dt>{m.requested_amount}</dt><dd>{format_fiat(r.amount_requested, &r.currency)}</dd>
            <dt>{t.guaranteed}</dt><dd>{format_fiat(r.amount_guaranteed, &r.currency)}</dd>
            <dt>{t.refunded}</dt><dd>{format_fiat(r.amount_refunded, &r.currency)}</dd>
            <dt>{m.payment_method}</dt><dd>{r.payment_method.unwrap_or_default()}</dd>
            <dt>{m.payment_reference}</dt><dd><code>{r.payment_reference.unwrap_or_default()}</code></dd>
            <dt>{m.customer}</dt><dd>{r.customer.unwrap_or_else(|| m.none.into())}</dd>
            <dt>{m.reported_by}</dt><dd>{r.reported_by.unwrap_or_default()}</dd>
            <dt>{m.metadata}</dt>
            <dd>{r.metadata.into_iter().map(|(k, v)| view! { <div><code>{k}</code> " = " {v}</div> }).collect_view()}</dd>
        </dl>
    }
}

#[component]
fn Delivery(m: MirrorView, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let failed = m.state == MirrorState::Failed;
    let t = use_texts();
    let g = use_texts_of::<MoneyTexts>();
    view! {
        <section class="panel">
            <h2>{g.delivery_to_stripe} <MirrorBadge state=m.state/></h2>
            <p class="muted">{m.operation} {g.idempotency_key} <code>{m.idempotency_key}</code></p>
            {failed.then(|| view! {
                <ActionForm action=retry attr:class="inline confirm">
                    <input type="hidden" name="outbox_id" value=m.outbox_id.clone()/>
                    <label class="check"><input type="checkbox" required/> {g.send_again}</label>
                    <button type="submit" class="primary">{g.retry_delivery}</button>
                </ActionForm>
                <ActionOutcome value=retry.value() done=g.queued_again/>
            })}
            {if m.attempts.is_empty() {
                view! { <p class="muted">{g.no_attempt_yet}</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead><tr><th>{t.when}</th><th>{g.outcome}</th><th>"HTTP"</th><th>{g.error}</th><th>{g.worker}</th></tr></thead>
                        <tbody>
                            {m.attempts.into_iter().map(|a| view! {
                                <tr>
                                    <td class="nowrap"><Time at=a.at/></td><td>{attempt_name(g, a.outcome)}</td>
                                    <td>{a.http_status.map(|s| s.to_string()).unwrap_or_default()}</td>
                                    <td>{a.error.unwrap_or_default()}</td><td class="muted">{a.worker}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
