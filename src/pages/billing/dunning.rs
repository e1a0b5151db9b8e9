use super::BillingNav;
use crate::api::auth::me;
use crate::api::subscriptions::{SetDunningRules, get_dunning_rules, list_awaiting_funds, list_topup_reminders};
use crate::components::notice::{ActionReport, ErrorNotice};
use crate::components::time::local_time;
use crate::domain::billing::{AwaitingFunds, DunningFinal, DunningRules, TopUpReminder};
use leptos::prelude::*;
use leptos_meta::Title;

/// Subscription invoices the members' wallets could not pay yet, and each currency's rules for
/// trying again.
#[component]
pub fn AwaitingFundsPage() -> impl IntoView {
    let save = ServerAction::<SetDunningRules>::new();
    let page = Resource::new(
        move || save.version().get(),
        |_| async move {
            let user = me().await;
            let admin = super::is_admin(&user);
            let rules = if admin { Some(get_dunning_rules().await) } else { None };
            (list_awaiting_funds().await, rules, list_topup_reminders().await)
        },
    );
    view! {
        <Title text="Awaiting funds"/>
        <h1>"Awaiting funds"</h1>
        <BillingNav/>
        <p class="muted">"A subscription's invoice is paid from the member's wallet as soon as Stripe asks. When the wallet is short it waits here: Regio tries again on the currency's schedule, and at once when a top-up covers it."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (awaiting, rules, reminders) = page.await;
                view! {
                    {match awaiting {
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        Ok(rows) => view! { <Awaiting rows/> }.into_any(),
                    }}
                    {match reminders {
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        Ok(rows) => view! { <Reminders rows/> }.into_any(),
                    }}
                    {rules.map(|rules| match rules {
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        Ok(rules) => view! { <Rules rules save/> }.into_any(),
                    })}
                }
            })}
        </Transition>
    }
}

#[component]
fn Awaiting(rows: Vec<AwaitingFunds>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty-state">"No invoice is waiting for funds."</p> }.into_any();
    }
    view! {
        <table class="data awaiting">
            <thead><tr><th>"Invoice"</th><th>"Member"</th><th class="num">"Due"</th><th class="num">"Wallet"</th><th class="num">"Short"</th><th>"Waiting since"</th><th class="num">"Retries"</th><th>"Next retry"</th><th>"Outcome"</th></tr></thead>
            <tbody>{rows.into_iter().map(|w| view! {
                <tr>
                    <td><a href=format!("/billing/invoices/{}", w.invoice_id)>{w.number.unwrap_or_else(|| "invoice".into())}</a></td>
                    <td><a href=format!("/accounts/{}", w.account_id)>{w.member}</a> " " <span class="muted">{w.account_ref}</span></td>
                    <td class="num nowrap">{w.due}</td><td class="num nowrap">{w.balance}</td><td class="num nowrap">{w.shortfall}</td>
                    <td class="nowrap">{local_time(&w.awaiting_since)} <span class="muted">{format!(" ({} d)", w.age_days)}</span></td>
                    <td class="num">{w.retries}</td>
                    <td class="nowrap">{w.next_retry_at.map(|at| local_time(&at)).unwrap_or_else(|| "—".into())}</td>
                    <td>{w.outcome.unwrap_or_default()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Rules(rules: Vec<DunningRules>, save: ServerAction<SetDunningRules>) -> impl IntoView {
    view! {
        <h2>"Rules per currency"</h2>
        <ActionReport value=save.value() done=|r: DunningRules| format!("Saved the rules for {}.", r.currency)/>
        {rules.into_iter().map(|r| view! {
            <ActionForm action=save attr:class="form-row panel">
                <input type="hidden" name="currency" value=r.currency.clone()/>
                <strong>{r.currency.clone()}</strong>
                <label>"Retry after (days)" <input type="text" name="retry_days" value=r.retry_days.clone() placeholder="1,3,7" class="short"/></label>
                <label>"After the last retry"
                    <select name="final_rule">
                        {DunningFinal::ALL.iter().map(|f| view! { <option value=f.as_str() selected=*f == r.final_rule>{f.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label><input type="checkbox" name="partial" value="yes" checked=r.partial/> "Take what a short wallet holds, leave the rest due"</label>
                <button type="submit">"Save"</button>
            </ActionForm>
        }).collect_view()}
    }
}

/// Members to remind before their next invoice finds the wallet short.
#[component]
fn Reminders(rows: Vec<TopUpReminder>) -> impl IntoView {
    view! {
        <h2>"Top-up reminders"</h2>
        {if rows.is_empty() {
            view! { <p class="muted">"Every subscriber's wallet covers their next invoice."</p> }.into_any()
        } else {
            view! {
                <p><a href="/billing/export/reminders" download>"Export CSV"</a> <span class="muted">" for your own messaging"</span></p>
                <table class="data reminders">
                    <thead><tr><th>"Member"</th><th>"Email"</th><th>"Plan"</th><th>"Next invoice"</th><th class="num">"Amount"</th><th class="num">"Wallet"</th><th class="num">"Short"</th></tr></thead>
                    <tbody>{rows.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/accounts/{}", r.account_id)>{r.member}</a> " " <span class="muted">{r.account_ref}</span></td>
                            <td>{r.email.unwrap_or_default()}</td><td>{r.plan}</td>
                            <td class="nowrap">{r.next_invoice_date.map(|d| local_time(&d)).unwrap_or_else(|| "—".into())}</td>
                            <td class="num nowrap">{r.amount}</td><td class="num nowrap">{r.balance}</td><td class="num nowrap">{r.shortfall}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}
