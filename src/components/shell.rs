use crate::api::auth::{Logout, me};
use crate::api::refunds::pending_approvals;
use crate::components::keys::{self, KeysHelp};
use crate::domain::Role;
use crate::domain::locale::{Locale, UTC_OFFSETS, utc_offset_name};
use crate::i18n::{Reading, Texts, fill, texts, use_reading, use_texts};
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

/// The sections, each with its label in the page's language.
fn sections(t: &'static Texts) -> [(&'static str, &'static str); 10] {
    [
        ("/", t.nav_dashboard),
        ("/transactions", t.nav_transactions),
        ("/import", t.nav_import),
        ("/reconciliation", t.nav_reconciliation),
        ("/refunds", t.nav_refunds),
        ("/billing", t.nav_billing),
        ("/accounts", t.nav_accounts),
        ("/users", t.nav_users),
        ("/audit", t.nav_audit),
        ("/settings", t.nav_settings),
    ]
}

/// A role as the page's language names it.
pub fn role_name(t: &'static Texts, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Support => t.role_support,
        Role::Viewer => t.role_viewer,
    }
}

/// The frame around every signed-in page: navigation, who is signed in, sign out.
#[component]
pub fn AppShell() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    let logout = ServerAction::<Logout>::new();
    let search_box = NodeRef::<html::Input>::new();
    provide_context(PendingChanged(RwSignal::new(0)));
    let keys_help = NodeRef::<html::Dialog>::new();
    keys::listen(search_box, keys_help);
    let t = use_texts();
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Regio"</a>
                <form method="get" action="/search" class="top-search" role="search">
                    <input type="search" name="q" node_ref=search_box placeholder=t.search_placeholder aria-label=t.search_label aria-keyshortcuts="/"/>
                </form>
                <KeysHelp dialog=keys_help/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().map(|u| view! {
                            <div class="who">
                                <span class="who-name">{u.name}</span>
                                <span class="badge" data-role=u.role.as_str()>{role_name(t, u.role)}</span>
                                <Preferences/>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit" class="link">{t.sign_out}</button>
                                </ActionForm>
                            </div>
                        })
                    })}
                </Suspense>
            </header>
            <nav class="sidenav" aria-label=t.nav_sections>
                <ul>
                    {sections(t).into_iter().map(|(href, label)| view! {
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

/// The reader's language and time zone, behind their current values. A plain form, not an
/// action: the server keeps the choice and sends the browser back to this page, which loads
/// again as chosen (with or without scripts).
#[component]
fn Preferences() -> impl IntoView {
    let Reading { locale, utc_offset } = use_reading();
    let t = texts(locale);
    view! {
        <details class="prefs">
            <summary title=t.preferences>{format!("{} · {}", locale.name(), utc_offset_name(utc_offset))}</summary>
            <form method="post" action="/rpc/set_preferences" class="prefs-form">
                <label>
                    {t.language}
                    <select name="locale">
                        {Locale::ALL.iter().map(|&l| view! { <option value=l.as_str() lang=l.as_str() selected=l == locale>{l.name()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    {t.time_zone}
                    <select name="utc_offset">
                        {UTC_OFFSETS.iter().map(|&m| view! { <option value=m.to_string() selected=m == utc_offset>{utc_offset_name(m)}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit">{t.save}</button>
            </form>
        </details>
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
                    <span class="count" title=fill(use_texts().refunds_awaiting_title, &[&n.to_string()])>{n}</span>
                })
            })}
        </Transition>
    }
}
