use crate::api::settings::{CreateApiKey, RevokeApiKey, SaveCurrency, SetRefundThreshold, list_api_keys, list_currencies};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::time::Time;
use crate::domain::api_keys::ApiKeyView;
use crate::domain::ledger::CurrencyView;
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
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (keys, currencies) = settings.await;
                match keys.and_then(|k| currencies.map(|c| (k, c))) {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((keys, currencies)) => {
                        let editing = query.get_untracked().get("edit").and_then(|code| currencies.iter().find(|c| c.code == code).cloned());
                        view! {
                            <CurrencySection currencies=currencies.clone() editing save/>
                            <RefundApprovalSection currencies threshold/>
                            <ApiKeySection keys create_key revoke/>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn CurrencySection(currencies: Vec<CurrencyView>, editing: Option<CurrencyView>, save: ServerAction<SaveCurrency>) -> impl IntoView {
    let locked_code = editing.is_some();
    let heading = editing.as_ref().map_or_else(|| "Add a currency".to_string(), |c| format!("Edit {}", c.code));
    let field = move |pick: fn(&CurrencyView) -> String| editing.as_ref().map(pick).unwrap_or_default();
    view! {
        <h2>"Currency"</h2>
        {if currencies.is_empty() {
            view! { <p class="empty-state">"No currency yet. Add the one your payment system uses below."</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>"Code"</th><th>"Name"</th><th class="num">"Decimals"</th><th>"Pegged to"</th><th class="num">"Rate"</th><th>"Stripe payment method"</th><th></th></tr></thead>
                    <tbody>
                        {currencies.into_iter().map(|c| view! {
                            <tr data-code=c.code.clone()>
                                <td><code>{c.code.clone()}</code></td>
                                <td>{c.name}</td>
                                <td class="num">{c.exponent}</td>
                                <td>{c.fiat_currency.to_uppercase()}</td>
                                <td class="num">{c.peg_rate}</td>
                                <td>{c.payment_method_name} " " <code class="muted">{c.payment_method_type}</code></td>
                                <td><a href=format!("/settings?edit={}", c.code)>"Edit"</a></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>{heading}</h2>
            <ActionForm action=save attr:class="form-row">
                <label>"Code" <input type="text" name="code" required maxlength="8" placeholder="SRB" value=field(|c| c.code.clone()) readonly=locked_code/></label>
                <label>"Name" <input type="text" name="name" required maxlength="100" value=field(|c| c.name.clone())/></label>
                <label>"Decimals" <input type="number" name="exponent" required min="0" max="6" value=field(|c| c.exponent.to_string())/></label>
                <label>"Pegged to" <input type="text" name="fiat_currency" required maxlength="3" placeholder="jpy" value=field(|c| c.fiat_currency.clone())/></label>
                <label>"Rate (fiat per 1 unit)" <input type="text" name="peg_rate" required inputmode="decimal" placeholder="1" value=field(|c| c.peg_rate.clone())/></label>
                <label>"Stripe payment method type" <input type="text" name="payment_method_type" required placeholder="cpmt_…" value=field(|c| c.payment_method_type.clone())/></label>
                <label>"Name on Payment Records" <input type="text" name="payment_method_name" required value=field(|c| c.payment_method_name.clone())/></label>
                <button type="submit" class="primary">"Save currency"</button>
                {locked_code.then(|| view! { <a href="/settings">"Cancel"</a> })}
            </ActionForm>
            <ActionOutcome value=save.value() done="Currency saved."/>
            <p class="muted">
                "Conversion rule: fiat = local × rate, rounded half away from zero to the fiat's minor unit "
                "(at a rate of 0.5, 3 coins are ¥1.5, reported as ¥2). Refunds convert at the payment's own rate, "
                "whatever the rate is today, so a fully refunded payment gives back exactly what it reported. "
                "The number of decimals and the fiat currency cannot change once transactions use the currency. "
                "A new rate applies to new payments only: payments already recorded, and their refunds, keep the rate "
                "and fiat amount they were posted with."
            </p>
        </section>
    }
}

/// Four-eyes for refunds: above a currency's threshold a refund waits for a second admin.
#[component]
fn RefundApprovalSection(currencies: Vec<CurrencyView>, threshold: ServerAction<SetRefundThreshold>) -> impl IntoView {
    view! {
        <h2>"Refund approval"</h2>
        <p class="muted">"A refund above the threshold is created pending approval and reserves its amount; an admin other than the one who asked approves or rejects it. Leave the threshold empty for none."</p>
        {currencies.into_iter().map(|c| {
            let current = c.refund_approval_threshold.clone().unwrap_or_default();
            view! {
                <ActionForm action=threshold attr:class="form-row">
                    <input type="hidden" name="code" value=c.code.clone()/>
                    <label>{format!("{} refunds above", c.code)}
                        <input type="text" name="threshold" inputmode="decimal" size="10" placeholder="none" value=current/>
                    </label>
                    <button type="submit">"Save threshold"</button>
                </ActionForm>
            }
        }).collect_view()}
        <ActionOutcome value=threshold.value() done="Threshold saved. It applies to refunds requested from now on."/>
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
    view! {
        <h2>"API keys"</h2>
        <p class="muted">"The payment system sends transactions to " <code>"/api/v1/transactions"</code> " with " <code>"Authorization: Bearer <key>"</code> "."</p>
        {if keys.is_empty() {
            view! { <p class="empty-state">"No API keys yet."</p> }.into_any()
        } else {
            view! {
                <table class="data">
                    <thead><tr><th>"Name"</th><th>"Key"</th><th>"Created by"</th><th>"Created"</th><th>"Status"</th></tr></thead>
                    <tbody>
                        {keys.into_iter().map(|key| view! { <ApiKeyRow key revoke/> }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <ActionOutcome value=revoke.value() done="Key revoked. Requests with it are refused from now on."/>
        <section class="panel">
            <h2>"Create a key"</h2>
            <ActionForm action=create_key attr:class="form-row">
                <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="payment-system"/></label>
                <button type="submit" class="primary" disabled=move || !hydrated.get()>"Create key"</button>
            </ActionForm>
            {move || match create_key.value().get() {
                Some(Ok(created)) => view! {
                    <div class="secret" role="status">
                        <p><strong>"Copy this key now: it will not be shown again."</strong>
                           " Regio keeps only its hash. If it is lost, create a new key and revoke " {created.key.name} "."</p>
                        <input type="text" class="secret-key" readonly value=created.secret aria-label="New API key" on:focus=select_all/>
                    </div>
                }.into_any(),
                Some(Err(e)) => view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

#[component]
fn ApiKeyRow(key: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let ApiKeyView { id, name, prefix, created_by, created_at, revoked_at } = key;
    view! {
        <tr data-key=name.clone()>
            <td>{name.clone()}</td>
            <td><code>{format!("{prefix}…")}</code></td>
            <td>{created_by}</td>
            <td class="nowrap"><Time at=created_at/></td>
            <td>
                {match revoked_at {
                    Some(at) => view! { <span class="badge" data-status="revoked">"revoked"</span> " " <span class="muted nowrap">{at}</span> }.into_any(),
                    None => view! {
                        <span class="badge" data-status="active">"live"</span>
                        " "
                        <ActionForm action=revoke attr:class="inline">
                            <input type="hidden" name="id" value=id/>
                            <label class="check"><input type="checkbox" name="confirm" value="yes" required/>"Sure"</label>
                            <button type="submit" class="danger">"Revoke"</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}
