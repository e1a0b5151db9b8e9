//! Fields of the GET filter forms that several lists share; each shows the value in the URL.

use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The `currency`, `min_amount` and `max_amount` fields.
#[component]
pub fn AmountFilters() -> impl IntoView {
    let query = use_query_map();
    let text = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    let t = use_texts();
    view! {
        <label>{t.currency} " " <input type="text" name="currency" placeholder=t.currency_code size="6" title=t.currency_why prop:value=text("currency")/></label>
        <label>{t.min_amount} " " <input type="text" name="min_amount" inputmode="decimal" size="8" prop:value=text("min_amount")/></label>
        <label>{t.max_amount} " " <input type="text" name="max_amount" inputmode="decimal" size="8" prop:value=text("max_amount")/></label>
    }
}

/// A select of `choices` (value, label) named `name`, with "any" first.
#[component]
pub fn ChoiceFilter(label: &'static str, name: &'static str, choices: Vec<(&'static str, &'static str)>) -> impl IntoView {
    let query = use_query_map();
    view! {
        <label>{label}
            <select name=name>
                <option value="">{use_texts().any}</option>
                {choices.into_iter().map(|(value, text)| view! {
                    <option value=value selected=move || query.read().get(name).as_deref() == Some(value)>{text}</option>
                }).collect_view()}
            </select>
        </label>
    }
}
