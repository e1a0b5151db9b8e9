use crate::domain::ledger::CurrencyView;
use crate::domain::money::format_amount;
use leptos::prelude::*;

/// `minor` units of `currency` as people read them, e.g. `12.50 EUK`, using the currency's
/// exponent (a currency missing from `currencies` shows its minor units).
pub fn money_text(minor: i64, currency: &str, currencies: &[CurrencyView]) -> String {
    let exponent = currencies.iter().find(|c| c.code == currency).map_or(0, |c| c.exponent);
    format!("{} {currency}", format_amount(minor, exponent))
}

/// An account's balances, one per line; a dash when it holds none.
#[component]
pub fn Balances(balances: Vec<(String, i64)>, currencies: Vec<CurrencyView>) -> impl IntoView {
    if balances.is_empty() {
        return view! { <span class="muted">"—"</span> }.into_any();
    }
    balances
        .into_iter()
        .map(|(code, minor)| view! { <span class="amount" data-currency=code.clone()>{money_text(minor, &code, &currencies)}</span> })
        .collect_view()
        .into_any()
}

/// An amount the server formatted, with its currency code: added unless the text already ends
/// with it, so both ways the server may format it read the same.
pub fn with_currency(amount: &str, currency: &str) -> String {
    let has_code = amount.len() > currency.len() && amount.to_ascii_uppercase().ends_with(&format!(" {}", currency.to_ascii_uppercase()));
    if has_code || currency.is_empty() { amount.to_string() } else { format!("{amount} {currency}") }
}
