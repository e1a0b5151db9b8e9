use crate::domain::ledger::MirrorState;
use leptos::prelude::*;

/// Where a transaction's Stripe mirror stands, as a coloured badge.
#[component]
pub fn MirrorBadge(state: MirrorState) -> impl IntoView {
    view! { <span class="badge" data-mirror=state.as_str()>{state.as_str().replace('_', " ")}</span> }
}
