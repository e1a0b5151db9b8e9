use crate::api::settings::{CreateApiKey, RevokeApiKey, SaveCurrency, SetRefundThreshold, list_api_keys, list_currencies};
use crate::components::notice::{ActionOutcome, ErrorLine, ErrorNotice};
use crate::components::time::Time;
use crate::domain::api_keys::ApiKeyView;
use crate::domain::ledger::CurrencyView;
use crate::i18n::admin::Admin;
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The currency and its peg, and the API keys of the payment system. Admins only: the keys
/// list is what decides, so a viewer sees the refusal instead of half a page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = use_query_map();
    let save = ServerAction::<SaveCurrency>::new();
    let create_key = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let threshold = ServerAction::<SetRefundThreshold>::new();
    // One resource for the page: several awaited in one `Suspend` have left a server render
    // waiting (see the README's Tests section).
    let settings = Resource::new(
        move || (save.version().get(), threshold.version().get(), create_key.version().get(), revoke.version().get()),
        |_| async { (list_api_keys().await, list_currencies().await) },
    );
    let t = use_texts();
    view! {
        <Title text=t.nav_settings/>
        <h1>{t.nav_settings}</h1>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || {
                // Read before the await, so following an Edit link renders its form.
                let edit = query.read().get("edit");
                Suspend::new(async move {
                let (keys, currencies) = settings.await;
                match keys.and_then(|k| currencies.map(|c| (k, c))) {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((keys, currencies)) => {
                        let editing = edit.and_then(|code| currencies.iter().find(|c| c.code == code).cloned());
                        view! {
                            <CurrencySection currencies=currencies.clone() editing save/>
                            <RefundApprovalSection currencies threshold/>
                            <ApiKeySection keys create_key revoke/>
                        }.into_any()
                    }
                }
            })}}
        </Suspense>
    }
}

#[component]
fn CurrencySection(currencies: Vec<CurrencyView>, editing: Option<CurrencyView>, save: ServerAction<SaveCurrency>) -> impl IntoView {
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    let locked_code = editing.is_some();
    let heading = editing.as_ref().map_or_else(|| a.add_a_currency.to_string(), |c| fill(a.edit_currency, &[&c.code]));
    let field = move |pick: fn(&CurrencyView) -> String| editing.as_ref().map(pick).unwrap_or_default();
    // A saved form starts over: the values typed would otherwise stay, as if not yet saved.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::watch(
        move || save.version().get(),
        move |_, _, _| {
            if matches!(save.value().get_untracked(), Some(Ok(_)))
                && let Some(form) = form.get_untracked()
            {
                form.reset();
            }
        },
        false,
    );
    view! {
        <h2>{t.currency}</h2>
        {if currencies.is_empty() {
            view! { <p class="empty-state">{a.no_currency}</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>{a.code}</th><th>{a.name}</th><th class="num">{a.decimals}</th><th>{a.pegged_to}</th><th class="num">{a.rate}</th><th>{a.stripe_payment_method}</th><th></th></tr></thead>
                    <tbody>
                        {currencies.into_iter().map(|c| view! {
                            <tr data-code=c.code.clone()>
                                <td><code>{c.code.clone()}</code></td>
                                <td>{c.name}</td>
                                <td class="num">{c.exponent}</td>
                                <td>{c.fiat_currency.to_uppercase()}</td>
                                <td class="num">{c.peg_rate}</td>
                                <td>{c.payment_method_name} " " <code class="muted">{c.payment_method_type}</code></td>
                                <td><a href=format!("/settings?edit={}", c.code)>{a.edit}</a></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>{heading}</h2>
            <ActionForm action=save node_ref=form attr:class="form-row">
                <label>{a.code} <input type="text" name="code" required maxlength="8" placeholder="SRB" value=field(|c| c.code.clone()) readonly=locked_code/></label>
                <label>{a.name} <input type="text" name="name" required maxlength="100" value=field(|c| c.name.clone())/></label>
                <label>{a.decimals} <input type="number" name="exponent" required min="0" max="6" value=field(|c| c.exponent.to_string())/></label>
                <label>{a.pegged_to} <input type="text" name="fiat_currency" required maxlength="3" placeholder="jpy" value=field(|c| c.fiat_currency.clone())/></label>
                <label>{a.rate_per_unit} <input type="text" name="peg_rate" required inputmode="decimal" placeholder="1" value=field(|c| c.peg_rate.clone())/></label>
                <label>{a.payment_method_type} <input type="text" name="payment_method_type" required placeholder="cpmt_…" value=field(|c| c.payment_method_type.clone())/></label>
                <label>{a.name_on_records} <input type="text" name="payment_method_name" required value=field(|c| c.payment_method_name.clone())/></label>
                <button type="submit" class="primary">{a.save_currency}</button>
                {locked_code.then(|| view! { <a href="/settings">{a.cancel}</a> })}
            </ActionForm>
            <ActionOutcome value=save.value() done=a.currency_saved/>
            <p class="muted">{a.conversion_rule}</p>
        </section>
    }
}

/// Four-eyes for refunds: above a currency's threshold a refund waits for a second admin.
#[component]
fn RefundApprovalSection(currencies: Vec<CurrencyView>, threshold: ServerAction<SetRefundThreshold>) -> impl IntoView {
    let a = use_texts_of::<Admin>();
    view! {
        <h2>{a.refund_approval}</h2>
        <p class="muted">{a.refund_approval_why}</p>
        {currencies.into_iter().map(|c| {
            let current = c.refund_approval_threshold.clone().unwrap_or_default();
            view! {
                <ActionForm action=threshold attr:class="form-row">
                    <input type="hidden" name="code" value=c.code.clone()/>
                    <label>{fill(a.refunds_above, &[&c.code])}
                        <input type="text" name="threshold" inputmode="decimal" size="10" placeholder=a.threshold_none value=current/>
                    </label>
                    <button type="submit">{a.save_threshold}</button>
                </ActionForm>
            }
        }).collect_view()}
        <ActionOutcome value=threshold.value() done=a.threshold_saved/>
    }
    .into_any()
}

#[component]
fn ApiKeySection(keys: Vec<ApiKeyView>, create_key: ServerAction<CreateApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    // The new key only ever reaches the page as this action's result, which a form posted
    // before the scripts load would lose; creating waits for them.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let select_all = |ev: leptos::ev::FocusEvent| event_target::<leptos::web_sys::HtmlInputElement>(&ev).select();
    let a = use_texts_of::<Admin>();
    // The sentence around the two code samples, which come in the same order in both languages.
    let mut how = a.api_keys_how.splitn(3, "{}");
    let (how_start, how_between, how_end) = (how.next().unwrap_or_default(), how.next().unwrap_or_default(), how.next().unwrap_or_default());
    view! {
        <h2>{a.api_keys}</h2>
        <p class="muted">{how_start} <code>"/api/v1/transactions"</code> {how_between} <code>"Authorization: Bearer <key>"</code> {how_end}</p>
        {if keys.is_empty() {
            view! { <p class="empty-state">{a.no_api_keys}</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>{a.name}</th><th>{a.key}</th><th>{a.created_by}</th><th>{a.created}</th><th>{a.status}</th></tr></thead>
                    <tbody>
                        {keys.into_iter().map(|key| view! { <ApiKeyRow key revoke/> }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <ActionOutcome value=revoke.value() done=a.key_revoked/>
        <section class="panel">
            <h2>{a.create_a_key}</h2>
            <ActionForm action=create_key attr:class="form-row">
                <label>{a.name} <input type="text" name="name" required maxlength="100" placeholder="payment-system"/></label>
                <button type="submit" class="primary" disabled=move || !hydrated.get()>{a.create_key}</button>
            </ActionForm>
            {move || match create_key.value().get() {
                Some(Ok(created)) => view! {
                    <div class="secret" role="status">
                        <p><strong>{a.copy_key_now}</strong>{fill(a.key_hash_only, &[&created.key.name])}</p>
                        <input type="text" class="secret-key" readonly value=created.secret aria-label=a.new_api_key on:focus=select_all/>
                    </div>
                }.into_any(),
                Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

#[component]
fn ApiKeyRow(key: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let ApiKeyView { id, name, prefix, created_by, created_at, revoked_at } = key;
    let a = use_texts_of::<Admin>();
    view! {
        <tr data-key=name.clone()>
            <td>{name.clone()}</td>
            <td><code>{format!("{prefix}…")}</code></td>
            <td>{created_by}</td>
            <td class="nowrap"><Time at=created_at/></td>
            <td>
                {match revoked_at {
                    Some(at) => view! { <span class="badge" data-status="revoked">{a.key_revoked_badge}</span> " " <span class="muted nowrap"><Time at/></span> }.into_any(),
                    None => view! {
                        <span class="badge" data-status="active">{a.key_live}</span>
                        " "
                        <ActionForm action=revoke attr:class="inline">
                            <input type="hidden" name="id" value=id/>
                            <label class="check"><input type="checkbox" name="confirm" value="yes" required/>{a.sure}</label>
                            <button type="submit" class="danger">{a.revoke}</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}
