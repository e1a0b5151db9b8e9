use crate::domain::ledger::MirrorState;
use crate::i18n::{mirror_name, use_texts};
use leptos::prelude::*;

/// Where a transaction's Stripe mirror stands, as a coloured badge.
#[component]
pub fn MirrorBadge(state: MirrorState) -> impl IntoView {
    view! { <span class="badge" data-mirror=state.as_str()>{mirror_name(use_texts(), state)}</span> }
}
