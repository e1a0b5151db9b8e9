use leptos::prelude::*;
use leptos_meta::Title;

/// A section of the product that is not built yet, said plainly.
#[component]
pub fn PlannedPage(section: &'static str, about: &'static str) -> impl IntoView {
    view! {
        <Title text=section/>
        <h1>{section}</h1>
        <section class="empty-state">
            <p><strong>"Not built yet."</strong> " " {about}</p>
            <p class="muted">"Nothing here reads or changes data until this section ships."</p>
        </section>
    }
}
