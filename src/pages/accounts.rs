use crate::api::accounts::{OpenAccount, list_accounts};
use crate::api::auth::me;
use crate::api::settings::list_currencies;
use crate::components::money::Balances;
use crate::components::notice::{ErrorLine, ErrorNotice};
use crate::components::pager::page_href;
use crate::domain::Role;
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView, CurrencyView};
use crate::i18n::money::{Money as MoneyTexts, account_kind_name, account_status_name, around};
use crate::i18n::{use_texts, use_texts_of};
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
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <Title text=t.nav_accounts/>
        <h1>{t.nav_accounts}</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let admin = user.await.ok().flatten().is_some_and(|u| u.role.includes(Role::Admin));
                admin.then(|| view! { <OpenAccountForm open/> })
            })}
        </Suspense>
        <form method="get" class="filters">
            <label>{m.search}
                <input type="search" name="search" placeholder=m.search_placeholder
                    value=move || param("search") prop:value=move || param("search").unwrap_or_default()/>
            </label>
            <label>{t.kind} <ChoiceSelect name="kind" choices=AccountKind::ALL.iter().map(|&k| (k.as_str(), account_kind_name(m, k))).collect() selected=Signal::derive(move || param("kind"))/></label>
            <label>{m.status} <ChoiceSelect name="status" choices=AccountStatus::ALL.iter().map(|&s| (s.as_str(), account_status_name(m, s))).collect() selected=Signal::derive(move || param("status"))/></label>
            <button type="submit">{t.filter}</button>
            <a href="/accounts">{t.clear}</a>
            <a href=move || page_href("/accounts/export", &query.read(), &FILTERS, &[]) download>{t.download_csv}</a>
        </form>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                let (page, currencies) = (page.await, currencies.await);
                let query = query.get_untracked();
                match page.and_then(|p| currencies.map(|c| (p, c))) {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((page, _)) if page.accounts.is_empty() => {
                        let filtered = FILTERS.iter().any(|f| query.get_str(f).is_some_and(|v| !v.is_empty()));
                        let message = if filtered { m.no_accounts_match } else { m.no_accounts_yet };
                        view! { <p class="empty-state">{message}</p> }.into_any()
                    }
                    Ok((page, currencies)) => {
                        let next = page.next_after.map(|(name, id)| {
                            page_href("/accounts", &query, &FILTERS, &[("after_name", &name), ("after_id", &id)])
                        });
                        let first = query.get("after_id").map(|_| page_href("/accounts", &query, &FILTERS, &[]));
                        view! {
                            <table class="data">
                                <thead><tr><th>{m.name}</th><th>{m.account_ref}</th><th>{t.kind}</th><th>{m.status}</th><th class="num">{m.balance}</th></tr></thead>
                                <tbody>
                                    {page.accounts.into_iter().map(|a| view! { <AccountRow account=a currencies=currencies.clone()/> }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                {next.map(|href| view! { <a href=href>{m.next}</a> })}
                                {first.map(|href| view! { <a href=href>{m.first_page}</a> })}
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
    let m = use_texts_of::<MoneyTexts>();
    view! {
        <tr data-ref=external_ref.clone()>
            <td><a href=format!("/accounts/{id}")>{display_name}</a></td>
            <td><code>{external_ref.clone()}</code></td>
            <td>{account_kind_name(m, kind)}</td>
            <td><span class="badge" data-status=status.as_str()>{account_status_name(m, status)}</span></td>
            <td class="num">
                <Balances balances currencies/>
            </td>
        </tr>
    }
}

/// A `<select>` of `choices` (value, label) with a first "any" option, keeping the choice the
/// URL holds.
#[component]
fn ChoiceSelect(name: &'static str, choices: Vec<(&'static str, &'static str)>, selected: Signal<Option<String>>) -> impl IntoView {
    view! {
        <select name=name>
            <option value="">{use_texts().any}</option>
            {choices.into_iter().map(|(c, label)| view! { <option value=c selected=move || selected.get().as_deref() == Some(c)>{label}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn OpenAccountForm(open: ServerAction<OpenAccount>) -> impl IntoView {
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    let (opened_before, opened_after) = around(m.opened);
    view! {
        <section class="panel">
            <h2>{m.open_an_account}</h2>
            <ActionForm action=open attr:class="form-row">
                <label>{t.kind}
                    <select name="kind">
                        {AccountKind::ALL.iter().map(|&k| view! { <option value=k.as_str()>{account_kind_name(m, k)}</option> }).collect_view()}
                    </select>
                </label>
                <label>{m.display_name} <input type="text" name="display_name" required maxlength="200"/></label>
                <label>{m.account_ref} <input type="text" name="external_ref" required maxlength="128" placeholder=m.account_ref_placeholder/></label>
                <button type="submit" class="primary">{m.open_account}</button>
            </ActionForm>
            {move || match open.value().get() {
                Some(Ok(account)) => view! {
                    <p class="notice ok" role="status">
                        {opened_before} <a href=format!("/accounts/{}", account.id)>{account.display_name}</a> {opened_after}
                    </p>
                }.into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}
