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
    view! {
        <Title text="Refunds"/>
        <h1>"Refunds"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (user, pending) = approvals.await;
                view! { <Approvals user=user.ok().flatten() pending decide withdraw/> }
            })}
        </Transition>
        <form method="get" class="filters">
            <ChoiceFilter label="Stage" name="stage" choices=RefundStage::ALL.iter().map(|s| (s.as_str(), s.label())).collect()/>
            <ChoiceFilter label="Reason" name="reason" choices=RefundReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect()/>
            <label>"Requested from" <input type="date" name="from" prop:value=text("from")/></label>
            <label>"to" <input type="date" name="to" prop:value=text("to")/></label>
            <label>"Account" <input type="text" name="account" placeholder="member or merchant reference" prop:value=text("account")/></label>
            <AmountFilters/>
            <button type="submit">"Filter"</button>
            <a href="/refunds">"Clear"</a>
            <a href=move || page_href("/refunds/export", &query.read(), &FILTERS, &[]) download>"Export CSV"</a>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
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
    if page.rows.is_empty() {
        let message = if filtered { "No refund matches these filters." } else { "No refunds yet. A payment's page has the Refund button." };
        return view! { <p class="empty-state">{message}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/refunds", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/refunds", &query, &FILTERS, &[]));
    let totals = if page.totals.is_empty() { String::new() } else { format!(" · {}", page.totals.join(" · ")) };
    view! {
        <p class="muted">{format!("{} refund(s){totals}", page.count)}</p>
        <table class="data refunds">
            <thead>
                <tr>
                    <th>"Requested"</th><th>"Payment"</th><th>"Account"</th><th>"Merchant"</th><th class="num">"Amount"</th>
                    <th class="num">"Fiat"</th><th>"Reason"</th><th>"Paid by"</th><th>"Stage"</th><th>"Source"</th>
                    <th>"Requested by"</th><th>"Decided by"</th>
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

fn payer_text(payer: RefundPayer) -> &'static str {
    match payer {
        RefundPayer::Merchant => "merchant",
        RefundPayer::Operator => "operator (goodwill)",
    }
}

/// A refund's stage as a badge; Stripe's last error, when it failed, on hover.
#[component]
fn StageBadge(stage: RefundStage, stripe_error: Option<String>) -> impl IntoView {
    view! { <span class="badge" data-stage=stage.as_str() title=stripe_error>{stage.label()}</span> }
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
    let decided_title = decided_at.map(|at| format!("{}{}", local_time(&at), decision_note.map(|n| format!(": {n}")).unwrap_or_default()));
    view! {
        <tr>
            <td class="nowrap">{local_time(&requested_at)}</td>
            <td><a href=format!("/transactions/{payment_id}")>{payment_ref}</a></td>
            <td>{account}</td>
            <td>{merchant}</td>
            <td class="num nowrap">{with_currency(&amount, &currency)}</td>
            <td class="num nowrap">{fiat}</td>
            <td title=note>{reason.map(RefundReason::label).unwrap_or("—")}</td>
            <td>{payer_text(payer)}</td>
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
    let admin = user.role.includes(Role::Admin);
    let page = match pending {
        Ok(page) => page,
        // The list below shows the same error to everyone.
        Err(error) if admin => return view! { <section class="panel approvals"><h2>"Awaiting approval"</h2><ErrorNotice error/></section> }.into_any(),
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
            <h2>"Awaiting approval"</h2>
            <ActionReport value=decide.value() done=|r: RefundView| format!("{}: {}.", with_currency(&r.amount, &r.currency), r.stage.label())/>
            <ActionReport value=withdraw.value() done=|r: RefundView| format!("Withdrawn: {}.", with_currency(&r.amount, &r.currency))/>
            {if rows.is_empty() {
                view! { <p class="muted">"Nothing awaits approval."</p> }.into_any()
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
            {more.then(|| view! { <p><a href="/refunds?stage=pending_approval">"All refunds awaiting approval →"</a></p> })}
        </section>
    }
    .into_any()
}

#[component]
fn PendingRefund(refund: RefundView, mine: bool, admin: bool, decide: ServerAction<DecideRefund>, withdraw: ServerAction<WithdrawRefund>) -> impl IntoView {
    let RefundView {
        id, payment_id, payment_ref, account, merchant, currency, amount, fiat, reason, note, payer, requested_by, requested_at, expires_at, ..
    } = refund;
    let actions = if mine {
        view! {
            <ActionForm action=withdraw attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit" disabled=withdraw.pending()>"Withdraw my request"</button>
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
                    <label>"Note (optional)" <input type="text" name="note"/></label>
                    <label class="check"><input type="checkbox" name="confirm" value="yes" required/> "Post it: the ledger moves and Stripe is told"</label>
                    <button type="submit" class="primary" disabled=decide.pending()>"Approve"</button>
                </ActionForm>
                <ActionForm action=decide attr:class="form-row">
                    <input type="hidden" name="id" value=reject_id/>
                    <input type="hidden" name="decision" value="reject"/>
                    <label class="grow">"Why it is rejected (required)" <input type="text" name="note" required/></label>
                    <button type="submit" class="danger" disabled=decide.pending()>"Reject"</button>
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
                <strong>{with_currency(&amount, &currency)}</strong> " (" {fiat} ") for "
                <a href=format!("/transactions/{payment_id}")>{payment_ref}</a>
                " · " {account} " ← " {merchant} {(payer == RefundPayer::Operator).then_some(" (operator goodwill)")}
            </p>
            <p class="muted">
                {reason.map(RefundReason::label).unwrap_or("No reason")} {note.map(|n| format!(": {n}"))}
                {format!(" · asked by {requested_by} at {}", local_time(&requested_at))}
                {expires_at.map(|at| format!(" · expires {}", local_time(&at)))}
            </p>
            {actions}
        </li>
    }
}
