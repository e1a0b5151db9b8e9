use crate::api::accounts::{OpenAccount, list_accounts};
use crate::api::auth::me;
use crate::api::settings::list_currencies;
use crate::components::money::Balances;
use crate::components::notice::ErrorNotice;
use crate::components::pager::page_href;
use crate::domain::Role;
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView, CurrencyView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 3] = ["search", "kind", "status"];

/// Members, merchants and the operator, by name, filtered by a plain GET form.
#[component]
pub fn AccountsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let open = ServerAction::<OpenAccount>::new();
    let user = Resource::new(|| (), |_| me());
    let currencies = Resource::new(|| (), |_| list_currencies());
    let page = Resource::new(
        move || (param("search"), param("kind"), param("status"), param("after_name"), param("after_id"), open.version().get()),
        |(search, kind, status, after_name, after_id, _)| list_accounts(search, kind, status, after_name, after_id),
    );
    view! {
        <Title text="Accounts"/>
        <h1>"Accounts"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let admin = user.await.ok().flatten().is_some_and(|u| u.role.includes(Role::Admin));
                admin.then(|| view! { <OpenAccountForm open/> })
            })}
        </Suspense>
        <form method="get" class="filters">
            <label>"Search"
                <input type="search" name="search" placeholder="name or reference starts with"
                    value=move || param("search") prop:value=move || param("search").unwrap_or_default()/>
            </label>
            <label>"Kind" <ChoiceSelect name="kind" choices=AccountKind::ALL.iter().map(|k| k.as_str()).collect() selected=Signal::derive(move || param("kind"))/></label>
            <label>"Status" <ChoiceSelect name="status" choices=AccountStatus::ALL.iter().map(|s| s.as_str()).collect() selected=Signal::derive(move || param("status"))/></label>
            <button type="submit">"Filter"</button>
            <a href="/accounts">"Clear"</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (page, currencies) = (page.await, currencies.await);
                let query = query.get_untracked();
                match page.and_then(|p| currencies.map(|c| (p, c))) {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((page, _)) if page.accounts.is_empty() => {
                        let filtered = FILTERS.iter().any(|f| query.get_str(f).is_some_and(|v| !v.is_empty()));
                        let message = if filtered {
                            "No accounts match these filters."
                        } else {
                            "No accounts yet. Admins open them here; the payment system opens them through POST /api/v1/accounts."
                        };
                        view! { <p class="empty-state">{message}</p> }.into_any()
                    }
                    Ok((page, currencies)) => {
                        let next = page.next_after.map(|(name, id)| {
                            page_href("/accounts", &query, &FILTERS, &[("after_name", &name), ("after_id", &id)])
                        });
                        let first = query.get("after_id").map(|_| page_href("/accounts", &query, &FILTERS, &[]));
                        view! {
                            <table class="data">
                                <thead><tr><th>"Name"</th><th>"Reference"</th><th>"Kind"</th><th>"Status"</th><th class="num">"Balance"</th></tr></thead>
                                <tbody>
                                    {page.accounts.into_iter().map(|a| view! { <AccountRow account=a currencies=currencies.clone()/> }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                {next.map(|href| view! { <a href=href>"Next →"</a> })}
                                {first.map(|href| view! { <a href=href>"First page"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountRow(account: AccountView, currencies: Vec<CurrencyView>) -> impl IntoView {
    let AccountView { id, kind, display_name, external_ref, status, balances, .. } = account;
    view! {
        <tr data-ref=external_ref.clone()>
            <td><a href=format!("/accounts/{id}")>{display_name}</a></td>
            <td><code>{external_ref.clone()}</code></td>
            <td>{kind.as_str()}</td>
            <td><span class="badge" data-status=status.as_str()>{status.as_str()}</span></td>
            <td class="num">
                <Balances balances currencies/>
            </td>
        </tr>
    }
}

/// A `<select>` of `choices` with a first "any" option, keeping the choice the URL holds.
#[component]
fn ChoiceSelect(name: &'static str, choices: Vec<&'static str>, selected: Signal<Option<String>>) -> impl IntoView {
    view! {
        <select name=name>
            <option value="">"any"</option>
            {choices.into_iter().map(|c| view! { <option value=c selected=move || selected.get().as_deref() == Some(c)>{c}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn OpenAccountForm(open: ServerAction<OpenAccount>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Open an account"</h2>
            <ActionForm action=open attr:class="form-row">
                <label>"Kind"
                    <select name="kind">
                        {AccountKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Display name" <input type="text" name="display_name" required maxlength="200"/></label>
                <label>"Reference" <input type="text" name="external_ref" required maxlength="128" placeholder="its id in the payment system"/></label>
                <button type="submit" class="primary">"Open account"</button>
            </ActionForm>
            {move || match open.value().get() {
                Some(Ok(account)) => view! {
                    <p class="notice ok" role="status">
                        "Opened " <a href=format!("/accounts/{}", account.id)>{account.display_name}</a> "."
                    </p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}
