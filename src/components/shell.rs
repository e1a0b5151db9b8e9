use crate::api::auth::{Logout, me};
use crate::api::refunds::pending_approvals;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

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
    let search_box = NodeRef::<html::Input>::new();
    provide_context(PendingChanged(RwSignal::new(0)));
    slash_focuses(search_box);
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Regio"</a>
                <form method="get" action="/search" class="top-search" role="search">
                    <input type="search" name="q" node_ref=search_box placeholder="Search transactions ( / )" aria-label="Search transactions" aria-keyshortcuts="/"/>
                </form>
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
                    {SECTIONS.iter().map(|&(href, label)| view! {
                        <li><A href=href exact=href == "/">{label} {(href == "/refunds").then(PendingCount)}</A></li>
                    }).collect_view()}
                </ul>
            </nav>
            <main class="content">
                <Outlet/>
            </main>
        </div>
    }
}

/// Rings when a page's action changed which refunds await approval, so the navigation's count
/// follows without a navigation.
#[derive(Clone, Copy)]
pub struct PendingChanged(RwSignal<u32>);

impl PendingChanged {
    /// From now on, a new `version` of an action (it completed) asks for the count again.
    pub fn follow(version: impl Fn() -> usize + 'static) {
        if let Some(PendingChanged(changed)) = use_context() {
            Effect::watch(version, move |_, _, _| changed.update(|n| *n += 1), false);
        }
    }
}

/// How many refunds wait for approval, beside "Refunds"; nothing when none do. Asked again on
/// every navigation and after every action that changes it.
#[component]
fn PendingCount() -> impl IntoView {
    let location = use_location();
    let changed = use_context::<PendingChanged>().map(|PendingChanged(changed)| changed);
    // Signing out navigates to /login before the shell goes: asking there would only be refused.
    let pending = Resource::new(
        move || (location.pathname.get(), changed.map(|c| c.get())),
        |(path, _)| async move { if path == "/login" { Ok(0) } else { pending_approvals().await } },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                pending.await.ok().filter(|n| *n > 0).map(|n| view! {
                    <span class="count" title=format!("{n} refund(s) awaiting approval")>{n}</span>
                })
            })}
        </Transition>
    }
}

/// "/" anywhere but in a field puts the cursor in the search box. A page with its own use for
/// "/" (the reconciliation queue's filters) handles it after this and takes the focus.
fn slash_focuses(search_box: NodeRef<html::Input>) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let target = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()).map(|e| e.tag_name());
        if matches!(target.as_deref(), Some("INPUT" | "TEXTAREA" | "SELECT")) {
            return;
        }
        if let Some(input) = search_box.get_untracked() {
            ev.prevent_default();
            let _ = input.focus();
        }
    });
    on_cleanup(move || handle.remove());
}
