use super::BillingNav;
use crate::api::billing::{CreateInvoice, get_billing_setup};
use crate::components::notice::ErrorNotice;
use crate::domain::billing::{BillingCurrency, BillingSetup, LineInput, MAX_LINES};
use crate::domain::money::{Money, Peg, parse_amount};
use crate::i18n::billing::Billing;
use crate::i18n::{use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One line as typed.
#[derive(Clone, Copy)]
struct Line {
    key: usize,
    description: RwSignal<String>,
    quantity: RwSignal<String>,
    unit_amount: RwSignal<String>,
}

impl Line {
    fn new(key: usize) -> Self {
        Line { key, description: RwSignal::new(String::new()), quantity: RwSignal::new("1".into()), unit_amount: RwSignal::new(String::new()) }
    }

    fn input(self) -> LineInput {
        LineInput { description: self.description.get_untracked(), quantity: self.quantity.get_untracked(), unit_amount: self.unit_amount.get_untracked() }
    }

    /// The line's total in local minor units, if what is typed reads as one.
    fn local_minor(self, currency: &BillingCurrency) -> Option<i64> {
        let quantity: i64 = self.quantity.get().trim().parse().ok().filter(|q| *q > 0)?;
        parse_amount(&self.unit_amount.get(), currency.exponent).ok()?.checked_mul(quantity)
    }
}

fn peg(currency: &BillingCurrency) -> Option<Peg> {
    Some(Peg { local_exponent: currency.exponent, fiat_exponent: currency.fiat_exponent, rate: Decimal::from_str(&currency.peg_rate).ok()? })
}

/// Local and fiat, as the server will price them (each line at the peg, then summed).
pub(super) fn priced(currency: &BillingCurrency, local: Option<i64>) -> String {
    match (local, peg(currency)) {
        (Some(local), Some(peg)) => {
            let fiat = peg.to_fiat(local).map(|f| Money::new(f, currency.fiat_currency.clone()).format(currency.fiat_exponent)).unwrap_or_else(|| "—".into());
            format!("{} · {fiat}", Money::new(local, currency.code.clone()).format(currency.exponent))
        }
        _ => "—".into(),
    }
}

/// A draft invoice for a linked member, priced in local currency with the fiat shown as typed.
#[component]
pub fn NewInvoicePage() -> impl IntoView {
    let setup = Resource::new(|| (), |_| get_billing_setup());
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=b.new_invoice/>
        <h1>{b.new_invoice}</h1>
        <BillingNav/>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match setup.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(setup) if setup.members.is_empty() => view! {
                        <p class="empty-state">{b.no_linked_member}</p>
                    }.into_any(),
                    Ok(setup) if setup.currencies.is_empty() => view! { <p class="empty-state">{b.set_up_currency}</p> }.into_any(),
                    Ok(setup) => view! { <InvoiceForm setup/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InvoiceForm(setup: BillingSetup) -> impl IntoView {
    let create = ServerAction::<CreateInvoice>::new();
    let account = RwSignal::new(setup.members.first().map(|m| m.account_id.clone()).unwrap_or_default());
    let currency_code = RwSignal::new(setup.currencies.first().map(|c| c.code.clone()).unwrap_or_default());
    let due = RwSignal::new(setup.default_due_date.clone());
    let memo = RwSignal::new(String::new());
    let next_key = StoredValue::new(2usize);
    let lines = RwSignal::new(vec![Line::new(0), Line::new(1)]);
    let currencies = StoredValue::new(setup.currencies.clone());
    let currency = move || currencies.with_value(|all| all.iter().find(|c| c.code == currency_code.get()).cloned());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/billing/invoices/{id}"), Default::default());
        }
    });
    let add = move |_| {
        if lines.with(Vec::len) < MAX_LINES {
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            lines.update(|all| all.push(Line::new(key)));
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateInvoice {
            account_id: account.get_untracked(),
            currency: currency_code.get_untracked(),
            lines: lines.get_untracked().into_iter().map(Line::input).collect(),
            due_date: due.get_untracked(),
            memo: Some(memo.get_untracked()),
        });
    };
    let total = move || {
        let c = currency()?;
        let sum = lines.get().into_iter().try_fold(0i64, |sum, line| sum.checked_add(line.local_minor(&c)?));
        Some(priced(&c, sum))
    };
    let error = move || create.value().get().and_then(Result::err);
    let full = move || lines.with(Vec::len) >= MAX_LINES;
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <form class="panel invoice-form" on:submit=submit>
            <div class="form-row">
                <label>{b.member}
                    <select on:change=move |ev| account.set(event_target_value(&ev)) prop:value=move || account.get()>
                        {setup.members.iter().map(|m| view! { <option value=m.account_id.clone()>{format!("{} ({})", m.display_name, m.account_ref)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{t.currency}
                    <select on:change=move |ev| currency_code.set(event_target_value(&ev)) prop:value=move || currency_code.get()>
                        {setup.currencies.iter().map(|c| view! { <option value=c.code.clone()>{format!("{} ({})", c.name, c.code)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{b.due_on} " " <input type="date" required prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/></label>
            </div>
            <table class="data lines">
                <thead><tr><th>{b.description}</th><th class="num">{b.quantity}</th><th class="num">{b.unit_price}</th><th class="num">{b.line_local_fiat}</th><th></th></tr></thead>
                <tbody>
                    <For each=move || lines.get() key=|line| line.key let:line>
                        <tr>
                            <td><input type="text" aria-label=b.description maxlength="250" prop:value=move || line.description.get() on:input=move |ev| line.description.set(event_target_value(&ev))/></td>
                            <td class="num"><input type="number" min="1" step="1" aria-label=b.quantity class="short" prop:value=move || line.quantity.get() on:input=move |ev| line.quantity.set(event_target_value(&ev))/></td>
                            <td class="num"><input type="text" inputmode="decimal" aria-label=b.unit_price class="short" prop:value=move || line.unit_amount.get() on:input=move |ev| line.unit_amount.set(event_target_value(&ev))/></td>
                            <td class="num nowrap">{move || currency().map(|c| priced(&c, line.local_minor(&c))).unwrap_or_default()}</td>
                            <td><button type="button" class="link" on:click=move |_| lines.update(|all| all.retain(|l| l.key != line.key))>{b.remove}</button></td>
                        </tr>
                    </For>
                </tbody>
                <tfoot><tr><th colspan="3">{b.total}</th><th class="num nowrap">{move || total().unwrap_or_else(|| "—".into())}</th><th></th></tr></tfoot>
            </table>
            <p><button type="button" on:click=add disabled=full>{b.add_line}</button></p>
            <label class="block">{b.memo_shown} " " <textarea maxlength="500" prop:value=move || memo.get() on:input=move |ev| memo.set(event_target_value(&ev))></textarea></label>
            <p class="muted">{b.pricing_note}</p>
            {move || error().map(|error| view! { <ErrorNotice error/> })}
            <button type="submit" disabled=move || create.pending().get()>{b.create_draft}</button>
        </form>
    }
}
