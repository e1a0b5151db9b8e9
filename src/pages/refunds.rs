use crate::api::auth::me;
use crate::api::refunds::{DecideRefund, WithdrawRefund, list_refunds};
use crate::components::filters::{AmountFilters, ChoiceFilter};
use crate::components::money::with_currency;
use crate::components::notice::{ActionReport, ErrorNotice};
use crate::components::pager::{OlderNewest, page_href};
use crate::components::shell::PendingChanged;
use crate::components::time::local_time;
use crate::domain::refunds::{RefundFilter, RefundPage, RefundPayer, RefundReason, RefundStage, RefundView};
use crate::domain::{AppError, Role, UserView};
use crate::i18n::money::{Money as MoneyTexts, reason_name, stage_name};
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// The query parameters that make up a [`RefundFilter`], in the order of its fields; the CSV
/// export reads the same ones.
const FILTERS: [&str; 8] = ["stage", "reason", "from", "to", "account", "currency", "min_amount", "max_amount"];

fn refund_filter(query: &ParamsMap) -> RefundFilter {
    let [stage, reason, from, to, account, currency, min_amount, max_amount] =
        FILTERS.map(|name| query.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
    RefundFilter { stage, reason, from, to, account, currency, min_amount, max_amount }
}

/// Every refund (console requests in any state, API and CSV refunds), filtered in the URL, and
/// the requests waiting for a second person.
#[component]
pub fn RefundsPage() -> impl IntoView {
    let query = use_query_map();
    let decide = ServerAction::<DecideRefund>::new();
    let withdraw = ServerAction::<WithdrawRefund>::new();
    let decisions = move || (decide.version().get(), withdraw.version().get());
    PendingChanged::follow(move || decide.version().get() + withdraw.version().get());
    let filter = Memo::new(move |_| refund_filter(&query.read()));
    let refunds = Resource::new(move || (filter.get(), query.read().get("after"), decisions()), |(filter, after, _)| list_refunds(filter, after));
    // The user and the queue in one resource: several resources awaited in one `Suspend` once
    // left a server render waiting forever.
    let approvals = Resource::new(decisions, |_| async move {
        let pending = RefundFilter { stage: Some(RefundStage::PendingApproval.as_str().to_string()), ..RefundFilter::default() };
        (me().await, list_refunds(pending, None).await)
    });
    let param = move |name: &str| query.read().get(name);
    let text = move |name: &'static str| move || param(name).unwrap_or_default();
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <Title text=t.nav_refunds/>
        <h1>{t.nav_refunds}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (user, pending) = approvals.await;
                view! { <Approvals user=user.ok().flatten() pending decide withdraw/> }
            })}
        </Transition>
        <form method="get" class="filters">
            <ChoiceFilter label=m.stage name="stage" choices=RefundStage::ALL.iter().map(|&s| (s.as_str(), stage_name(m, s))).collect()/>
            <ChoiceFilter label=m.reason name="reason" choices=RefundReason::ALL.iter().map(|&r| (r.as_str(), reason_name(m, r))).collect()/>
            <label>{m.requested_from} <input type="date" name="from" prop:value=text("from")/></label>
            <label>{m.requested_to} <input type="date" name="to" prop:value=text("to")/></label>
            <label>{t.account} <input type="text" name="account" placeholder=m.account_placeholder prop:value=text("account")/></label>
            <AmountFilters/>
            <button type="submit">{t.filter}</button>
            <a href="/refunds">{t.clear}</a>
            <a href=move || page_href("/refunds/export", &query.read(), &FILTERS, &[]) download>{m.export_csv}</a>
        </form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match refunds.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(page) => view! { <RefundList page filtered=filter.get_untracked() != RefundFilter::default()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RefundList(page: RefundPage, filtered: bool) -> impl IntoView {
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    if page.rows.is_empty() {
        let message = if filtered { m.no_refund_matches } else { m.no_refunds_yet };
        return view! { <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/refunds", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/refunds", &query, &FILTERS, &[]));
    let totals = if page.totals.is_empty() { String::new() } else { format!(" · {}", page.totals.join(" · ")) };
    view! {
        <p class="muted">{fill(m.refund_count, &[&page.count.to_string()]) + &totals}</p>
        <table class="data refunds">
            <thead>
                <tr>
                    <th>{m.requested}</th><th>{m.payment}</th><th>{t.account}</th><th>{m.merchant}</th><th class="num">{t.amount}</th>
                    <th class="num">{t.fiat}</th><th>{m.reason}</th><th>{m.paid_by}</th><th>{m.stage}</th><th>{m.source}</th>
                    <th>{m.requested_by}</th><th>{m.decided_by}</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|refund| view! { <RefundRow refund/> }).collect_view()}
            </tbody>
        </table>
        <OlderNewest older newest/>
    }
    .into_any()
}

fn payer_text(m: &'static MoneyTexts, payer: RefundPayer) -> &'static str {
    match payer {
        RefundPayer::Merchant => m.payer_merchant,
        RefundPayer::Operator => m.payer_operator,
    }
}

/// A refund's stage as a badge; Stripe's last error, when it failed, on hover.
#[component]
fn StageBadge(stage: RefundStage, stripe_error: Option<String>) -> impl IntoView {
    view! { <span class="badge" data-stage=stage.as_str() title=stripe_error>{stage_name(use_texts_of::<MoneyTexts>(), stage)}</span> }
}

#[component]
fn RefundRow(refund: RefundView) -> impl IntoView {
    let RefundView {
        payment_id,
        payment_ref,
        account,
        merchant,
        currency,
        amount,
        fiat,
        reason,
        note,
        payer,
        stage,
        stripe_error,
        source,
        requested_by,
        requested_at,
        decided_by,
        decided_at,
        decision_note,
        ..
    } = refund;
    let m = use_texts_of::<MoneyTexts>();
    let decided_title = decided_at.map(|at| format!("{}{}", local_time(&at), decision_note.map(|n| fill(m.with_note, &[&n])).unwrap_or_default()));
    view! {
        <tr>
            <td class="nowrap">{local_time(&requested_at)}</td>
            <td><a href=format!("/transactions/{payment_id}")>{payment_ref}</a></td>
            <td>{account}</td>
            <td>{merchant}</td>
            <td class="num nowrap">{with_currency(&amount, &currency)}</td>
            <td class="num nowrap">{fiat}</td>
            <td title=note>{reason.map(|r| reason_name(m, r)).unwrap_or("—")}</td>
            <td>{payer_text(m, payer)}</td>
            <td><StageBadge stage stripe_error/></td>
            <td>{source}</td>
            <td>{requested_by}</td>
            <td title=decided_title>{decided_by.unwrap_or_default()}</td>
        </tr>
    }
}

/// Refunds above their currency's threshold wait here: an admin approves or rejects each (not
/// their own), and whoever asked may withdraw theirs. Others see nothing of it.
#[component]
fn Approvals(
    user: Option<UserView>,
    pending: Result<RefundPage, AppError>,
    decide: ServerAction<DecideRefund>,
    withdraw: ServerAction<WithdrawRefund>,
) -> impl IntoView {
    let Some(user) = user else { return ().into_any() };
    let m = use_texts_of::<MoneyTexts>();
    let admin = user.role.includes(Role::Admin);
    let page = match pending {
        Ok(page) => page,
        // The list below shows the same error to everyone.
        Err(error) if admin => return view! { <section class="panel approvals"><h2>{m.awaiting_approval}</h2><ErrorNotice error/></section> }.into_any(),
        Err(_) => return ().into_any(),
    };
    let more = page.next_cursor.is_some();
    let rows: Vec<RefundView> = page.rows.into_iter().filter(|r| admin || r.requested_by == user.email).collect();
    if rows.is_empty() && !admin {
        return ().into_any();
    }
    let email = user.email;
    view! {
        <section class="panel approvals">
            <h2>{m.awaiting_approval}</h2>
            <ActionReport value=decide.value() done=move |r: RefundView| fill(m.decided, &[&with_currency(&r.amount, &r.currency), stage_name(m, r.stage)])/>
            <ActionReport value=withdraw.value() done=move |r: RefundView| fill(m.withdrawn, &[&with_currency(&r.amount, &r.currency)])/>
            {if rows.is_empty() {
                view! { <p class="muted">{m.nothing_awaits}</p> }.into_any()
            } else {
                view! {
                    <ul class="approvals">
                        {rows.into_iter().map(|refund| {
                            let mine = refund.requested_by == email;
                            view! { <PendingRefund refund mine admin decide withdraw/> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {more.then(|| view! { <p><a href="/refunds?stage=pending_approval">{m.all_awaiting}</a></p> })}
        </section>
    }
    .into_any()
}

#[component]
fn PendingRefund(refund: RefundView, mine: bool, admin: bool, decide: ServerAction<DecideRefund>, withdraw: ServerAction<WithdrawRefund>) -> impl IntoView {
    let RefundView {
        id, payment_id, payment_ref, account, merchant, currency, amount, fiat, reason, note, payer, requested_by, requested_at, expires_at, ..
    } = refund;
    let m = use_texts_of::<MoneyTexts>();
    let actions = if mine {
        view! {
            <ActionForm action=withdraw attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" disabled=withdraw.pending()>{m.withdraw_request}</button>
            </ActionForm>
        }
        .into_any()
    } else if admin {
        let reject_id = id.clone();
        view! {
            <div class="decisions">
                <ActionForm action=decide attr:class="form-row confirm">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="decision" value="approve"/>
                    <label>{m.note_optional} <input type="text" name="note"/></label>
                    <label class="check"><input type="checkbox" name="confirm" value="yes" required/> {m.post_it}</label>
                    <button type="submit" class="primary" disabled=decide.pending()>{m.approve}</button>
                </ActionForm>
                <ActionForm action=decide attr:class="form-row">
                    <input type="hidden" name="id" value=reject_id/>
                    <input type="hidden" name="decision" value="reject"/>
                    <label class="grow">{m.why_rejected} <input type="text" name="note" required/></label>
                    <button type="submit" class="danger" disabled=decide.pending()>{m.reject}</button>
                </ActionForm>
            </div>
        }
        .into_any()
    } else {
        ().into_any()
    };
    view! {
        <li>
            <p>
                <strong>{with_currency(&amount, &currency)}</strong> {fill(m.fiat_for, &[&fiat])}
                <a href=format!("/transactions/{payment_id}")>{payment_ref}</a>
                " · " {account} " ← " {merchant} {(payer == RefundPayer::Operator).then_some(m.operator_goodwill)}
            </p>
            <p class="muted">
                {reason.map(|r| reason_name(m, r)).unwrap_or(m.no_reason)} {note.map(|n| fill(m.with_note, &[&n]))}
                {fill(m.asked_by, &[&requested_by, &local_time(&requested_at)])}
                {expires_at.map(|at| fill(m.expires, &[&local_time(&at)]))}
            </p>
            {actions}
        </li>
    }
}
