use crate::api::auth::{Logout, me};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

const SECTIONS: [(&str, &str); 10] = [
    ("/", "Dashboard"),
    ("/transactions", "Transactions"),
    ("/import", "Import"),
    ("/reconciliation", "Reconciliation"),
    ("/refunds", "Refunds"),
    ("/billing", "Billing"),
    ("/accounts", "Accounts"),
    ("/users", "Users"),
    ("/audit", "Audit"),
    ("/settings", "Settings"),
];

/// The frame around every signed-in page: navigation, who is signed in, sign out.
#[component]
pub fn AppShell() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Regio"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().map(|u| view! {
                            <div class="who">
                                <span class="who-name">{u.name}</span>
                                <span class="badge" data-role=u.role.as_str()>{u.role.as_str()}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                            </div>
                        })
                    })}
                </Suspense>
            </header>
            <nav class="sidenav" aria-label="Sections">
                <ul>
                    {SECTIONS.iter().map(|(href, label)| view! { <li><A href=*href exact=true>{*label}</A></li> }).collect_view()}
                </ul>
            </nav>
            <main class="content">
                <Outlet/>
            </main>
        </div>
    }
}
