use crate::api::auth::me;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                user.await.ok().flatten().map(|u| view! {
                    <p class="lead">"Welcome, " {u.name} ". You are signed in as " <strong>{u.role.as_str()}</strong> "."</p>
                })
            })}
        </Suspense>
        <div class="cards">
            <a class="card" href="/transactions"><h2>"Transactions"</h2><p>"Ledger and Stripe side by side."</p></a>
            <a class="card" href="/reconciliation"><h2>"Reconciliation"</h2><p>"Breaks between ledger and Stripe."</p></a>
            <a class="card" href="/refunds"><h2>"Refunds"</h2><p>"Reverse payments, reported to Stripe."</p></a>
            <a class="card" href="/audit"><h2>"Audit"</h2><p>"Who changed what, and when."</p></a>
        </div>
    }
}
