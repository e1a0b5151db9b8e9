use super::BillingNav;
use crate::api::auth::me;
use crate::api::subscriptions::{SetDunningRules, get_dunning_rules, list_awaiting_funds, list_topup_reminders};
use crate::components::notice::{ActionReport, ErrorNotice};
use crate::components::time::local_time;
use crate::domain::billing::{AwaitingFunds, DunningFinal, DunningRules, TopUpReminder};
use crate::i18n::billing::{Billing, dunning_outcome_name, final_rule_name};
use crate::i18n::{fill, use_texts, use_texts_of};
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
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=b.nav_awaiting/>
        <h1>{b.nav_awaiting}</h1>
        <BillingNav/>
        <p class="muted">{b.awaiting_intro}</p>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
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
    let b = use_texts_of::<Billing>();
    if rows.is_empty() {
        return view! { <p class="empty-state">{b.no_awaiting}</p> }.into_any();
    }
    view! {
        <table class="data awaiting">
            <thead><tr><th>{b.invoice}</th><th>{b.member}</th><th class="num">{b.amount_due}</th><th class="num">{b.wallet}</th><th class="num">{b.short}</th><th>{b.waiting_since}</th><th class="num">{b.retries}</th><th>{b.next_retry}</th><th>{b.outcome}</th></tr></thead>
            <tbody>{rows.into_iter().map(|w| view! {
                <tr>
                    <td><a href=format!("/billing/invoices/{}", w.invoice_id)>{w.number.unwrap_or_else(|| b.invoice_fallback.into())}</a></td>
                    <td><a href=format!("/accounts/{}", w.account_id)>{w.member}</a> " " <span class="muted">{w.account_ref}</span></td>
                    <td class="num nowrap">{w.due}</td><td class="num nowrap">{w.balance}</td><td class="num nowrap">{w.shortfall}</td>
                    <td class="nowrap">{local_time(&w.awaiting_since)} <span class="muted">{fill(b.age_days, &[&w.age_days.to_string()])}</span></td>
                    <td class="num">{w.retries}</td>
                    <td class="nowrap">{w.next_retry_at.map(|at| local_time(&at)).unwrap_or_else(|| "—".into())}</td>
                    <td>{w.outcome.map(|o| dunning_outcome_name(b, &o).map_or(o, str::to_string)).unwrap_or_default()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Rules(rules: Vec<DunningRules>, save: ServerAction<SetDunningRules>) -> impl IntoView {
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <h2>{b.rules_per_currency}</h2>
        <ActionReport value=save.value() done=move |r: DunningRules| fill(b.rules_saved, &[&r.currency])/>
        {rules.into_iter().map(|r| view! {
            <ActionForm action=save attr:class="form-row panel">
                <input type="hidden" name="currency" value=r.currency.clone()/>
                <strong>{r.currency.clone()}</strong>
                <label>{b.retry_after} " " <input type="text" name="retry_days" value=r.retry_days.clone() placeholder="1,3,7" class="short"/></label>
                <label>{b.after_last_retry}
                    <select name="final_rule">
                        {DunningFinal::ALL.iter().map(|&f| view! { <option value=f.as_str() selected=f == r.final_rule>{final_rule_name(b, f)}</option> }).collect_view()}
                    </select>
                </label>
                <label><input type="checkbox" name="partial" value="yes" checked=r.partial/> {b.take_partial}</label>
                <button type="submit">{t.save}</button>
            </ActionForm>
        }).collect_view()}
    }
}

/// Members to remind before their next invoice finds the wallet short.
#[component]
fn Reminders(rows: Vec<TopUpReminder>) -> impl IntoView {
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <h2>{b.topup_reminders}</h2>
        {if rows.is_empty() {
            view! { <p class="muted">{b.all_covered}</p> }.into_any()
        } else {
            view! {
                <p><a href="/billing/export/reminders" download>{b.export_csv}</a> <span class="muted">{b.for_your_messaging}</span></p>
                <table class="data reminders">
                    <thead><tr><th>{b.member}</th><th>{t.email}</th><th>{b.plan}</th><th>{b.next_invoice}</th><th class="num">{t.amount}</th><th class="num">{b.wallet}</th><th class="num">{b.short}</th></tr></thead>
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
