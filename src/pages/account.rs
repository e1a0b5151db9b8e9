use crate::api::accounts::{SetAccountStatus, account_detail, account_statement};
use crate::api::auth::me;
use crate::api::settings::list_currencies;
use crate::components::customer_panel::CustomerPanel;
use crate::components::ids::ShortId;
use crate::components::money::Balances;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::domain::ledger::{AccountStatus, AccountView, CurrencyView, StatementLine, StatementPage};
use crate::domain::{AppError, Role};
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
    view! {
        <p class="muted no-print"><a href="/accounts">"← Accounts"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (user, account, currencies) = head.await;
                let admin = user.ok().flatten().is_some_and(|u| u.role.includes(Role::Admin));
                match account.and_then(|a| currencies.map(|c| (a, c))) {
                    Err(e) => view! { <Title text="Account"/> <ErrorNotice error=e/> }.into_any(),
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
        <h2>"Statement"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
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
    view! {
        <dl class="facts">
            <div><dt>"Reference"</dt><dd><code>{external_ref}</code></dd></div>
            <div><dt>"Kind"</dt><dd>{kind.as_str()}</dd></div>
            <div><dt>"Status"</dt><dd><span class="badge" data-status=status.as_str()>{status.as_str()}</span></dd></div>
            <div><dt>"Balance"</dt><dd class="num"><Balances balances currencies/></dd></div>
            <div><dt>"Stripe customer"</dt><dd>{stripe_customer_id.map_or_else(
                || view! { <span class="muted">"none"</span> }.into_any(),
                |c| view! { <code>{c}</code> }.into_any(),
            )}</dd></div>
        </dl>
    }
}

/// Freeze or unfreeze, confirmed by a box the server also insists on, so the confirmation holds
/// before the page's scripts load.
#[component]
fn StatusChange(account: AccountView, set_status: ServerAction<SetAccountStatus>) -> impl IntoView {
    let (target, button, consequence) = match account.status {
        AccountStatus::Active => {
            (AccountStatus::Frozen, "Freeze account", "no payment, redemption or other debit will leave this account until it is unfrozen.")
        }
        AccountStatus::Frozen => (AccountStatus::Active, "Unfreeze account", "this account can be debited again."),
        AccountStatus::Closed => return view! { <p class="muted">"This account is closed; its status cannot change."</p> }.into_any(),
    };
    view! {
        <section class="panel">
            <ActionForm action=set_status attr:class="form-row">
                <input type="hidden" name="id" value=account.id/>
                <input type="hidden" name="status" value=target.as_str()/>
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    "I understand: " {consequence}
                </label>
                <button type="submit" class="danger">{button}</button>
            </ActionForm>
            {move || match set_status.value().get() {
                Some(Ok(changed)) => view! { <p class="notice ok" role="status">"The account is now " {changed.status.as_str()} "."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
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
    view! {
        <form method="get" class="filters no-print" aria-label="Statement period">
            <label>"From" <input type="date" name="from" value=from.clone() required/></label>
            <label>"To" <input type="date" name="to" value=to.clone() required/></label>
            <button type="submit">"Show"</button>
            <a href=csv download>"Download CSV"</a>
            <button type="button" class="link" on:click=|_| { let _ = window().print(); }>"Print"</button>
        </form>
        <p class="print-only">{format!("Statement {from} – {to} (UTC)")}</p>
        {if totals.is_empty() {
            view! { <p class="empty-state">"Nothing on this account up to the end of this period."</p> }.into_any()
        } else {
            view! {
                <table class="data statement-totals">
                    <thead>
                        <tr>
                            <th>"Currency"</th><th class="num">{format!("Opening balance ({from})")}</th><th class="num">"Money in"</th>
                            <th class="num">"Money out"</th><th class="num">{format!("Closing balance ({to})")}</th>
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
            view! { <p class="empty-state">"No entries in this period."</p> }.into_any()
        } else {
            view! {
                <table class="data statement">
                    <thead>
                        <tr>
                            <th>"When (UTC)"</th><th>"Transaction"</th><th>"Kind"</th><th>"Counterparty"</th><th>"Description"</th>
                            <th class="num">"Amount"</th><th class="num">"Balance"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {lines.into_iter().map(|line| view! { <StatementRow line/> }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <nav class="pager no-print">
            {start.map(|href| view! { <a href=href>"← Start of period"</a> })}
            {later.map(|href| view! { <a href=href>"Later →"</a> })}
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
    view! {
        <tr data-transaction=transaction_id.clone()>
            <td class="nowrap">
                {occurred_at}
                {recorded_at.map(|at| view! { <br/><small class="muted">"recorded " {at}</small> })}
            </td>
            <td><a href=format!("/transactions/{transaction_id}")><ShortId id=transaction_id.clone()/></a></td>
            <td>{kind.as_str()}</td>
            <td>{counterparty_name} " " <code class="muted">{counterparty_ref}</code></td>
            <td>{description}</td>
            <td class="num nowrap" data-direction=direction>{format!("{amount} {currency}")}</td>
            <td class="num nowrap">{format!("{balance} {currency}")}</td>
        </tr>
    }
}
