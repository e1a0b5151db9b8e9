use super::invoice_new::priced;
use super::{BillingNav, StatusBadge, is_admin};
use crate::api::auth::me;
use crate::api::billing::get_billing_setup;
use crate::api::subscriptions::{ArchivePlan, CancelSubscription, CreatePlan, Subscribe, list_plans, list_subscriptions};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::pager::{OlderNewest, page_href};
use crate::components::time::to_minute;
use crate::domain::billing::{BillingSetup, PlanInterval, PlanView, SubscriptionFilter, SubscriptionPage, SubscriptionRow};
use crate::domain::money::parse_amount;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 3] = ["status", "account", "plan"];
const STATUSES: [&str; 6] = ["pending", "incomplete", "active", "past_due", "unpaid", "canceled"];

/// Members' subscriptions, collected from their wallets each period, and subscribing one.
#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let query = use_query_map();
    let subscribe = ServerAction::<Subscribe>::new();
    let cancel = ServerAction::<CancelSubscription>::new();
    let filter = Memo::new(move |_| {
        let get = |name: &str| query.read().get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        SubscriptionFilter { status: get("status"), account: get("account"), plan: get("plan") }
    });
    let page = Resource::new(
        move || (filter.get(), query.read().get("after"), subscribe.version().get(), cancel.version().get()),
        |(filter, after, ..)| async move { (me().await, list_subscriptions(filter, after).await, list_plans().await) },
    );
    let text = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    view! {
        <Title text="Subscriptions"/>
        <h1>"Subscriptions"</h1>
        <BillingNav/>
        <form method="get" class="filters">
            <label>"Status"
                <select name="status" prop:value=text("status")>
                    <option value="">"Any"</option>
                    {STATUSES.map(|s| view! { <option value=s>{s.replace('_', " ")}</option> }).collect_view()}
                </select>
            </label>
            <label>"Member" <input type="text" name="account" placeholder="member reference" prop:value=text("account")/></label>
            <button type="submit">"Filter"</button>
            <a href="/billing/subscriptions">"Clear"</a>
            <a href=move || page_href("/billing/export/subscriptions", &query.read(), &FILTERS, &[]) download>"Export CSV"</a>
        </form>
        <ActionOutcome value=cancel.value() done="Asked Stripe to cancel; the status follows when it answers."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (user, subscriptions, plans) = page.await;
                let admin = is_admin(&user);
                match subscriptions.and_then(|s| plans.map(|p| (s, p))) {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok((page, plans)) => view! {
                        {admin.then(|| view! { <SubscribeForm plans subscribe/> })}
                        <SubscriptionList page admin cancel/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SubscribeForm(plans: Vec<PlanView>, subscribe: ServerAction<Subscribe>) -> impl IntoView {
    let members = Resource::new(|| (), |_| get_billing_setup());
    let active: Vec<PlanView> = plans.into_iter().filter(|p| p.active && p.stripe_price.is_some()).collect();
    if active.is_empty() {
        return view! { <p class="empty-state">"No active plan yet: make one on the Plans page."</p> }.into_any();
    }
    view! {
        <details class="panel">
            <summary>"Subscribe a member"</summary>
            <Suspense fallback=|| ()>
                {move || {
                    let active = active.clone();
                    Suspend::new(async move {
                        match members.await {
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            Ok(BillingSetup { members, .. }) if members.is_empty() => view! { <p class="muted">"Link a member to a Stripe customer first (on their account page)."</p> }.into_any(),
                            Ok(BillingSetup { members, .. }) => view! {
                                <ActionForm action=subscribe attr:class="form-row">
                                    <label>"Member" <select name="account_id">{members.into_iter().map(|m| view! { <option value=m.account_id>{format!("{} ({})", m.display_name, m.account_ref)}</option> }).collect_view()}</select></label>
                                    <label>"Plan" <select name="plan_id">{active.into_iter().map(|p| view! { <option value=p.id>{format!("{} — {} / {}", p.name, p.amount, p.interval)}</option> }).collect_view()}</select></label>
                                    <label>"Quantity" <input type="number" name="quantity" value="1" min="1" class="short"/></label>
                                    <label><input type="checkbox" name="confirm" value="yes" required/> "Start now; each period is paid from the wallet"</label>
                                    <button type="submit">"Subscribe"</button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <ActionOutcome value=subscribe.value() done="Subscribed: Stripe makes the first invoice and Regio pays it from the wallet."/>
        </details>
    }
    .into_any()
}

#[component]
fn SubscriptionList(page: SubscriptionPage, admin: bool, cancel: ServerAction<CancelSubscription>) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p class="empty-state">"No subscriptions match."</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/billing/subscriptions", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/billing/subscriptions", &query, &FILTERS, &[]));
    view! {
        <p class="muted">{format!("{} subscription(s)", page.count)}</p>
        <table class="data subscriptions">
            <thead><tr><th>"Member"</th><th>"Plan"</th><th class="num">"Qty"</th><th>"Status"</th><th>"Next invoice"</th><th class="num">"Amount"</th><th>"Since (UTC)"</th><th></th></tr></thead>
            <tbody>{page.rows.into_iter().map(|s| view! { <SubscriptionLine s admin cancel/> }).collect_view()}</tbody>
        </table>
        <OlderNewest older newest/>
    }
    .into_any()
}

#[component]
fn SubscriptionLine(s: SubscriptionRow, admin: bool, cancel: ServerAction<CancelSubscription>) -> impl IntoView {
    let live = !matches!(s.status.as_str(), "canceled" | "incomplete_expired");
    let ending = s.cancel_at_period_end.then(|| view! { " " <span class="badge">"ends with the period"</span> });
    let controls = (admin && live).then(|| {
        let id = s.id.clone();
        view! {
            <ActionForm action=cancel attr:class="inline-confirm">
                <input type="hidden" name="id" value=id/>
                <select name="when" aria-label="When"><option value="period_end">"At period end"</option><option value="now">"Now"</option></select>
                <label><input type="checkbox" name="confirm" value="yes" required/> "Sure"</label>
                <button type="submit">"Cancel"</button>
            </ActionForm>
        }
    });
    view! {
        <tr>
            <td><a href=format!("/accounts/{}", s.account_id)>{s.member}</a> " " <span class="muted">{s.account_ref}</span></td>
            <td>{s.plan}</td>
            <td class="num">{s.quantity}</td>
            <td class="nowrap"><StatusBadge status=s.status.clone()/> {ending} {s.step_pending.then(|| view! { " " <span class="badge" data-billing="step_pending">"Stripe call queued"</span> })}</td>
            <td class="nowrap">{s.next_invoice_date.map(|d| to_minute(&d)).unwrap_or_else(|| "—".into())}</td>
            <td class="num nowrap">{s.next_amount}</td>
            <td class="nowrap">{to_minute(&s.created_at)}</td>
            <td>{controls}</td>
        </tr>
    }
}

/// Plans: a Stripe product and recurring price, priced in local currency at the peg.
#[component]
pub fn PlansPage() -> impl IntoView {
    let create = ServerAction::<CreatePlan>::new();
    let archive = ServerAction::<ArchivePlan>::new();
    let ask_again = RwSignal::new(0u32);
    let page = Resource::new(
        move || (create.version().get(), archive.version().get(), ask_again.get()),
        |_| async move { (me().await, list_plans().await, get_billing_setup().await) },
    );
    view! {
        <Title text="Plans"/>
        <h1>"Plans"</h1>
        <BillingNav/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (user, plans, setup) = page.await;
                let admin = is_admin(&user);
                match plans {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(plans) => {
                        if plans.iter().any(|p| p.step_pending) {
                            Effect::new(move |_| set_timeout(move || ask_again.update(|n| *n += 1), std::time::Duration::from_secs(2)));
                        }
                        view! {
                            {(admin).then(|| setup.ok().map(|setup| view! { <PlanForm setup create/> }))}
                            <PlanList plans admin archive/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn PlanForm(setup: BillingSetup, create: ServerAction<CreatePlan>) -> impl IntoView {
    let currency = RwSignal::new(setup.currencies.first().map(|c| c.code.clone()).unwrap_or_default());
    let amount = RwSignal::new(String::new());
    let currencies = StoredValue::new(setup.currencies.clone());
    let fiat = move || {
        currencies.with_value(|all| {
            let c = all.iter().find(|c| c.code == currency.get())?;
            Some(priced(c, parse_amount(&amount.get(), c.exponent).ok()))
        })
    };
    view! {
        <details class="panel">
            <summary>"New plan"</summary>
            <ActionForm action=create attr:class="form-row">
                <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="Monthly membership"/></label>
                <label>"Currency"
                    <select name="currency" on:change=move |ev| currency.set(event_target_value(&ev))>
                        {setup.currencies.iter().map(|c| view! { <option value=c.code.clone()>{c.code.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Price per period" <input type="text" name="amount" inputmode="decimal" required class="short" on:input=move |ev| amount.set(event_target_value(&ev))/></label>
                <label>"Every" <select name="interval">{PlanInterval::ALL.iter().map(|i| view! { <option value=i.as_str()>{i.as_str()}</option> }).collect_view()}</select></label>
                <span class="muted">{move || fiat().unwrap_or_default()}</span>
                <button type="submit">"Create plan"</button>
            </ActionForm>
            <ActionOutcome value=create.value() done="Plan saved; its price is being created in Stripe."/>
        </details>
    }
}

#[component]
fn PlanList(plans: Vec<PlanView>, admin: bool, archive: ServerAction<ArchivePlan>) -> impl IntoView {
    if plans.is_empty() {
        return view! { <p class="empty-state">"No plans yet. A plan is what members subscribe to: a price per month or year in local currency."</p> }
            .into_any();
    }
    view! {
        <ActionOutcome value=archive.value() done="Archived: no new subscriptions; running ones go on."/>
        <table class="data plans">
            <thead><tr><th>"Plan"</th><th class="num">"Price"</th><th class="num">"Fiat"</th><th>"Every"</th><th>"Stripe price"</th><th class="num">"Subscribers"</th><th>"State"</th><th></th></tr></thead>
            <tbody>{plans.into_iter().map(|p| {
                let state = if p.step_failed { "Stripe call failed" } else if p.step_pending { "Stripe call queued" } else if p.active { "active" } else { "archived" };
                let id = p.id.clone();
                view! {
                    <tr>
                        <td>{p.name}</td><td class="num nowrap">{p.amount}</td><td class="num nowrap">{p.fiat}</td><td>{p.interval.as_str()}</td>
                        <td>{p.stripe_price.map(|s| view! { <code>{s}</code> })}</td><td class="num">{p.subscribers}</td>
                        <td><StatusBadge status=state/></td>
                        <td>{(admin && p.active).then(|| view! {
                            <ActionForm action=archive attr:class="inline-confirm">
                                <input type="hidden" name="id" value=id/>
                                <label><input type="checkbox" name="confirm" value="yes" required/> "Sure"</label>
                                <button type="submit">"Archive"</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}
