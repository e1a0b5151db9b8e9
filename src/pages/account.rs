use crate::api::accounts::{SetAccountStatus, account_detail, account_statement};
use crate::api::auth::me;
use crate::api::settings::list_currencies;
use crate::components::customer_panel::CustomerPanel;
use crate::components::ids::ShortId;
use crate::components::money::Balances;
use crate::components::notice::{ErrorLine, ErrorNotice};
use crate::components::pager::page_href;
use crate::components::time::Time;
use crate::domain::ledger::{AccountStatus, AccountView, CurrencyView, StatementLine, StatementPage};
use crate::domain::{AppError, Role};
use crate::i18n::money::{Money as MoneyTexts, account_kind_name, account_status_name, around, kind_text};
use crate::i18n::{fill, use_locale, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// One account: who it is, what it holds, its statement, and (for admins) freezing.
#[component]
pub fn AccountDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let set_status = ServerAction::<SetAccountStatus>::new();
    // One resource for the head of the page: in the integration tests, three resources awaited in
    // one `Suspend` once left a server render waiting forever.
    let head =
        Resource::new(move || (id(), set_status.version().get()), |(id, _)| async move { (me().await, account_detail(id).await, list_currencies().await) });
    let asked = move |key: &str| query.read().get(key);
    let statement = Resource::new(move || (id(), asked("from"), asked("to"), asked("after")), |(id, from, to, after)| account_statement(id, from, to, after));
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <p class="muted no-print"><a href="/accounts">{m.back_to_accounts}</a></p>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                let (user, account, currencies) = head.await;
                let admin = user.ok().flatten().is_some_and(|u| u.role.includes(Role::Admin));
                match account.and_then(|a| currencies.map(|c| (a, c))) {
                    Err(e) => view! { <Title text=t.account/> <ErrorNotice error=e/> }.into_any(),
                    Ok((account, currencies)) => view! {
                        <Title text=account.display_name.clone()/>
                        <h1>{account.display_name.clone()}</h1>
                        <AccountFacts account=account.clone() currencies/>
                        <CustomerPanel account_id=account.id.clone() admin/>
                        {admin.then(|| view! { <StatusChange account set_status/> })}
                    }.into_any(),
                }
            })}
        </Suspense>
        <h2>{m.statement}</h2>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match statement.await {
                    Err(AppError::NotFound { .. }) => ().into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) => view! { <Statement page path=format!("/accounts/{}", id())/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountFacts(account: AccountView, currencies: Vec<CurrencyView>) -> impl IntoView {
    let AccountView { kind, external_ref, status, stripe_customer_id, balances, .. } = account;
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <dl class="facts">
            <div><dt>{m.account_ref}</dt><dd><code>{external_ref}</code></dd></div>
            <div><dt>{t.kind}</dt><dd>{account_kind_name(m, kind)}</dd></div>
            <div><dt>{m.status}</dt><dd><span class="badge" data-status=status.as_str()>{account_status_name(m, status)}</span></dd></div>
            <div><dt>{m.balance}</dt><dd class="num"><Balances balances currencies/></dd></div>
            <div><dt>{m.stripe_customer}</dt><dd>{stripe_customer_id.map_or_else(
                || view! { <span class="muted">{m.none}</span> }.into_any(),
                |c| view! { <code>{c}</code> }.into_any(),
            )}</dd></div>
        </dl>
    }
}

/// Freeze or unfreeze, confirmed by a box the server also insists on, so the confirmation holds
/// before the page's scripts load.
#[component]
fn StatusChange(account: AccountView, set_status: ServerAction<SetAccountStatus>) -> impl IntoView {
    let m = use_texts_of::<MoneyTexts>();
    let (target, button, consequence) = match account.status {
        AccountStatus::Active => (AccountStatus::Frozen, m.freeze_account, m.freeze_consequence),
        AccountStatus::Frozen => (AccountStatus::Active, m.unfreeze_account, m.unfreeze_consequence),
        AccountStatus::Closed => return view! { <p class="muted">{m.account_closed}</p> }.into_any(),
    };
    let (now_before, now_after) = around(m.account_now);
    view! {
        <section class="panel">
            <ActionForm action=set_status attr:class="form-row">
                <input type="hidden" name="id" value=account.id/>
                <input type="hidden" name="status" value=target.as_str()/>
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    {m.i_understand} {consequence}
                </label>
                <button type="submit" class="danger">{button}</button>
            </ActionForm>
            {move || match set_status.value().get() {
                Some(Ok(changed)) => view! { <p class="notice ok" role="status">{now_before} {account_status_name(m, changed.status)} {now_after}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
    .into_any()
}

/// The statement for a period, as a bank prints it: the period (this month unless chosen), the
/// balances it opened and closed with and what came in and went out, then the lines in the order
/// money moved with the running balance. Paged forward in time; the CSV holds the whole period.
#[component]
fn Statement(page: StatementPage, path: String) -> impl IntoView {
    let StatementPage { from, to, totals, lines, next_cursor } = page;
    let query = use_query_map().get_untracked();
    let period = [("from", from.as_str()), ("to", to.as_str())];
    let later = next_cursor.map(|cursor| page_href(&path, &query, &[], &[period[0], period[1], ("after", &cursor)]));
    let start = query.get("after").map(|_| page_href(&path, &query, &[], &period));
    let csv = page_href(&format!("{path}/statement/export"), &query, &[], &period);
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <form method="get" class="filters no-print" aria-label=m.statement_period>
            <label>{t.from_day} <input type="date" name="from" value=from.clone() required/></label>
            <label>{t.to_day} <input type="date" name="to" value=to.clone() required/></label>
            <button type="submit">{m.show}</button>
            <a href=csv download>{t.download_csv}</a>
            <button type="button" class="link" on:click=|_| { let _ = window().print(); }>{m.print}</button>
        </form>
        <p class="print-only">{fill(m.statement_printed, &[&from, &to])}</p>
        {if totals.is_empty() {
            view! { <p class="empty-state">{m.nothing_on_account}</p> }.into_any()
        } else {
            view! {
                <table class="data statement-totals">
                    <thead>
                        <tr>
                            <th>{t.currency}</th><th class="num">{fill(m.opening_balance, &[&from])}</th><th class="num">{m.money_in}</th>
                            <th class="num">{m.money_out}</th><th class="num">{fill(m.closing_balance, &[&to])}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {totals.into_iter().map(|t| view! {
                            <tr data-currency=t.currency.clone()>
                                <th scope="row">{t.currency.clone()}</th>
                                <td class="num nowrap">{t.opening}</td>
                                <td class="num nowrap" data-direction="in">{t.money_in}</td>
                                <td class="num nowrap" data-direction="out">{t.money_out}</td>
                                <td class="num nowrap"><strong>{t.closing}</strong></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {if lines.is_empty() {
            view! { <p class="empty-state">{m.no_entries}</p> }.into_any()
        } else {
            view! {
                <table class="data statement">
                    <thead>
                        <tr>
                            <th>{m.when_utc}</th><th>{m.transaction}</th><th>{t.kind}</th><th>{m.counterparty}</th><th>{m.description}</th>
                            <th class="num">{t.amount}</th><th class="num">{m.balance}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {lines.into_iter().map(|line| view! { <StatementRow line/> }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <nav class="pager no-print">
            {start.map(|href| view! { <a href=href>{m.start_of_period}</a> })}
            {later.map(|href| view! { <a href=href>{m.later}</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn StatementRow(line: StatementLine) -> impl IntoView {
    let StatementLine {
        transaction_id,
        occurred_at,
        recorded_at,
        kind,
        counterparty_ref,
        counterparty_name,
        description,
        currency,
        amount_minor,
        amount,
        balance,
        ..
    } = line;
    let direction = if amount_minor < 0 { "out" } else { "in" };
    let m = use_texts_of::<MoneyTexts>();
    let (recorded_before, recorded_after) = around(m.recorded);
    view! {
        <tr data-transaction=transaction_id.clone()>
            <td class="nowrap">
                <Time at=occurred_at utc=true/>
                {recorded_at.map(|at| view! { <br/><small class="muted">{recorded_before} <Time at utc=true/> {recorded_after}</small> })}
            </td>
            <td><a href=format!("/transactions/{transaction_id}")><ShortId id=transaction_id.clone()/></a></td>
            <td>{kind_text(use_locale(), kind)}</td>
            <td>{counterparty_name} " " <code class="muted">{counterparty_ref}</code></td>
            <td>{description}</td>
            <td class="num nowrap" data-direction=direction>{format!("{amount} {currency}")}</td>
            <td class="num nowrap">{format!("{balance} {currency}")}</td>
        </tr>
    }
}
