use leptos::prelude::*;

/// A long id by its last characters, whole on hover: time-ordered ids share their first digits,
/// so the tail is what tells neighbours apart.
#[component]
pub fn ShortId(#[prop(into)] id: String) -> impl IntoView {
    let tail = id.get(id.len().saturating_sub(8)..).unwrap_or_default().to_string();
    view! { <code title=id>{format!("…{tail}")}</code> }
}
