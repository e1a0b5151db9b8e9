use crate::api::transactions::{RetryDelivery, get_transaction};
use crate::components::mirror::MirrorBadge;
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::refund_panel::RefundPanel;
use crate::components::time::Time;
use crate::domain::ledger::{MirrorState, MirrorView, StripeRecordView, TransactionDetail, TransactionKind};
use crate::domain::money::format_fiat;
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
    view! {
        <Title text="Transaction"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
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
    view! {
        <p class="muted"><a href="/transactions">"← Transactions"</a></p>
        <h1>{format!("{} · {} {}", t.kind, t.amount, t.currency)}</h1>
        <div class="columns">
            <section class="panel">
                <h2>"Ledger"</h2>
                <dl class="facts">
                    <dt>"Reference"</dt><dd>{t.external_ref.clone()} <span class="muted">" (" {t.source.clone()} ")"</span></dd>
                    <dt>"Occurred"</dt><dd><Time at=t.occurred_at.clone()/></dd>
                    <dt>"From → To"</dt><dd>{t.from_account.clone()} " → " {t.to_account.clone()}</dd>
                    <dt>"Amount"</dt><dd>{t.amount.clone()} " " {t.currency.clone()}</dd>
                    <dt>"Fiat reported"</dt><dd>{fiat.unwrap_or_else(|| "not mirrored".into())}</dd>
                    <dt>"Description"</dt><dd>{t.description.clone()}</dd>
                    <dt>"Id"</dt><dd><code>{t.id.clone()}</code></dd>
                    {t.corrects_id.clone().map(|c| view! { <dt>"Refunds / corrects"</dt><dd><a href=format!("/transactions/{c}")><code>{c.clone()}</code></a></dd> })}
                </dl>
                <h3>"Entries"</h3>
                <table class="data">
                    <thead><tr><th>"Account"</th><th class="num">"Amount"</th></tr></thead>
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
                {d.dashboard_url.map(|u| view! { <p><a href=u target="_blank" rel="noopener">"Open in the Stripe Dashboard ↗"</a></p> })}
                {d.stripe_record.map(|r| view! { <RecordFacts r/> })}
                {(!d.stripe_attempts.is_empty()).then(|| view! {
                    <h3>"Payment attempt records"</h3>
                    <table class="data">
                        <thead><tr><th>"Id"</th><th>"Created"</th><th class="num">"Guaranteed"</th><th class="num">"Failed"</th><th class="num">"Canceled"</th></tr></thead>
                        <tbody>
                            {d.stripe_attempts.into_iter().map(|a| view! {
                                <tr>
                                    <td><code>{a.id}</code></td><td>{a.created}</td>
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
                <h2>"Refund transactions"</h2>
                <table class="data">
                    <thead><tr><th>"When"</th><th>"Reference"</th><th class="num">"Amount"</th><th class="num">"Fiat"</th><th>"Mirror"</th></tr></thead>
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
            <h2>"Timeline"</h2>
            <ol class="timeline">
                {d.timeline.into_iter().map(|e| view! { <li><Time at=e.at/> " " {e.what}</li> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn RecordFacts(r: StripeRecordView) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"Payment Record"</dt><dd><code>{r.id}</code> {(!r.livemode).then_some(" (test mode)")}</dd>
            <dt>"Created"</dt><dd>{r.created}</dd>
            <dt>"Requested"</dt><dd>{format_fiat(r.amount_requested, &r.currency)}</dd>
            <dt>"Guaranteed"</dt><dd>{format_fiat(r.amount_guaranteed, &r.currency)}</dd>
            <dt>"Refunded"</dt><dd>{format_fiat(r.amount_refunded, &r.currency)}</dd>
            <dt>"Payment method"</dt><dd>{r.payment_method.unwrap_or_default()}</dd>
            <dt>"Payment reference"</dt><dd><code>{r.payment_reference.unwrap_or_default()}</code></dd>
            <dt>"Customer"</dt><dd>{r.customer.unwrap_or_else(|| "none".into())}</dd>
            <dt>"Reported by"</dt><dd>{r.reported_by.unwrap_or_default()}</dd>
            <dt>"Metadata"</dt>
            <dd>{r.metadata.into_iter().map(|(k, v)| view! { <div><code>{k}</code> " = " {v}</div> }).collect_view()}</dd>
        </dl>
    }
}

#[component]
fn Delivery(m: MirrorView, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let failed = m.state == MirrorState::Failed;
    view! {
        <section class="panel">
            <h2>"Delivery to Stripe " <MirrorBadge state=m.state/></h2>
            <p class="muted">{m.operation} " · idempotency key " <code>{m.idempotency_key}</code></p>
            {failed.then(|| view! {
                <ActionForm action=retry attr:class="inline confirm">
                    <input type="hidden" name="outbox_id" value=m.outbox_id.clone()/>
                    <label class="check"><input type="checkbox" required/> "Send it to Stripe again (same idempotency key: no duplicate)"</label>
                    <button type="submit" class="primary">"Retry delivery"</button>
                </ActionForm>
                <ActionOutcome value=retry.value() done="Queued again."/>
            })}
            {if m.attempts.is_empty() {
                view! { <p class="muted">"No attempt yet."</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead><tr><th>"When"</th><th>"Outcome"</th><th>"HTTP"</th><th>"Error"</th><th>"Worker"</th></tr></thead>
                        <tbody>
                            {m.attempts.into_iter().map(|a| view! {
                                <tr>
                                    <td class="nowrap"><Time at=a.at/></td><td>{a.outcome}</td>
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
