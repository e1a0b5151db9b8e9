use super::invoice_new::priced;
use super::{BillingNav, StatusBadge, is_admin, status_text};
use crate::api::auth::me;
use crate::api::billing::get_billing_setup;
use crate::api::subscriptions::{
    AdvanceTestClock, ArchivePlan, CancelSubscription, ChangePlan, CreatePlan, PauseCollection, PreviewPlanChange, Subscribe, get_test_clock, list_plans,
    list_subscriptions,
};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::components::pager::{OlderNewest, page_href};
use crate::components::time::local_time;
use crate::domain::billing::{BillingSetup, ChangePreview, PlanInterval, PlanView, SubscriptionFilter, SubscriptionPage, SubscriptionRow};
use crate::domain::money::parse_amount;
use crate::i18n::billing::{Billing, interval_name};
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const FILTERS: [&str; 3] = ["status", "account", "plan"];
const STATUSES: [&str; 7] = ["scheduled", "pending", "incomplete", "active", "past_due", "unpaid", "canceled"];

/// Members' subscriptions, collected from their wallets each period, and subscribing one.
#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let query = use_query_map();
    let subscribe = ServerAction::<Subscribe>::new();
    let cancel = ServerAction::<CancelSubscription>::new();
    let changed = Changes { cancel, pause: ServerAction::new(), change: ServerAction::new() };
    let advance = ServerAction::<AdvanceTestClock>::new();
    let filter = Memo::new(move |_| {
        let get = |name: &str| query.read().get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        SubscriptionFilter { status: get("status"), account: get("account"), plan: get("plan") }
    });
    let page = Resource::new(
        move || (filter.get(), query.read().get("after"), subscribe.version().get(), changed.version(), advance.version().get()),
        |(filter, after, ..)| async move { (me().await, list_subscriptions(filter, after).await, list_plans().await) },
    );
    let text = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=b.nav_subscriptions/>
        <h1>{b.nav_subscriptions}</h1>
        <BillingNav/>
        <form method="get" class="filters">
            <label>{b.status}
                <select name="status" prop:value=text("status")>
                    <option value="">{b.any_status}</option>
                    {STATUSES.map(|s| view! { <option value=s>{status_text(s)}</option> }).collect_view()}
                </select>
            </label>
            <label>{b.member} " " <input type="text" name="account" placeholder=b.member_reference prop:value=text("account")/></label>
            <button type="submit">{t.filter}</button>
            <a href="/billing/subscriptions">{t.clear}</a>
            <a href=move || page_href("/billing/export/subscriptions", &query.read(), &FILTERS, &[]) download>{b.export_csv}</a>
        </form>
        <ActionOutcome value=cancel.value() done=b.asked_to_cancel/>
        <ActionOutcome value=changed.pause.value() done=b.asked_to_pause/>
        <ActionOutcome value=changed.change.value() done=b.plan_change_sent/>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                let (user, subscriptions, plans) = page.await;
                let admin = is_admin(&user);
                match subscriptions.and_then(|s| plans.map(|p| (s, p))) {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok((page, plans)) => view! {
                        {admin.then(|| view! { <TestClockPanel advance/> })}
                        {admin.then(|| view! { <SubscribeForm plans=plans.clone() subscribe/> })}
                        <SubscriptionList page admin plans changed/>
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
    let b = use_texts_of::<Billing>();
    if active.is_empty() {
        return view! { <p class="empty-state">{b.no_active_plan}</p> }.into_any();
    }
    view! {
        <details class="panel">
            <summary>{b.subscribe_member}</summary>
            <Suspense fallback=|| ()>
                {move || {
                    let active = active.clone();
                    Suspend::new(async move {
                        match members.await {
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            Ok(BillingSetup { members, .. }) if members.is_empty() => view! { <p class="muted">{b.link_member_first}</p> }.into_any(),
                            Ok(BillingSetup { members, .. }) => view! {
                                <ActionForm action=subscribe attr:class="form-row">
                                    <label>{b.member} " " <select name="account_id">{members.into_iter().map(|m| view! { <option value=m.account_id>{format!("{} ({})", m.display_name, m.account_ref)}</option> }).collect_view()}</select></label>
                                    <label>{b.plan} " " <select name="plan_id">{active.into_iter().map(|p| view! { <option value=p.id>{format!("{} — {} / {}", p.name, p.amount, interval_name(b, p.interval))}</option> }).collect_view()}</select></label>
                                    <label>{b.quantity} " " <input type="number" name="quantity" value="1" min="1" class="short"/></label>
                                    <label>{b.starts_on} " " <input type="date" name="starts_on"/></label>
                                    <label><input type="checkbox" name="confirm" value="yes" required/> {b.paid_from_wallet}</label>
                                    <button type="submit">{b.subscribe}</button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <ActionOutcome value=subscribe.value() done=b.subscribed/>
        </details>
    }
    .into_any()
}

/// What an administrator can do to a running subscription; the list refetches after each.
#[derive(Clone, Copy)]
struct Changes {
    cancel: ServerAction<CancelSubscription>,
    pause: ServerAction<PauseCollection>,
    change: ServerAction<ChangePlan>,
}

impl Changes {
    fn version(&self) -> (usize, usize, usize) {
        (self.cancel.version().get(), self.pause.version().get(), self.change.version().get())
    }
}

/// The demo's Stripe test clock: moving it a month ahead makes Stripe bill every renewal due.
#[component]
fn TestClockPanel(advance: ServerAction<AdvanceTestClock>) -> impl IntoView {
    let clock = Resource::new(move || advance.version().get(), |_| get_test_clock());
    let b = use_texts_of::<Billing>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                clock.await.ok().flatten().map(|c| view! {
                    <div class="panel test-clock">
                        <strong>{b.test_clock}</strong> " "
                        <span data-clock=c.id.clone()>{fill(b.members_time, &[&local_time(&c.frozen_time)])}</span>
                        <ActionForm action=advance attr:class="inline-confirm">
                            <label><input type="checkbox" name="confirm" value="yes" required/> {b.renewals_billed}</label>
                            <button type="submit">{b.advance_month}</button>
                        </ActionForm>
                        <ActionOutcome value=advance.value() done=b.renewals_advanced/>
                    </div>
                })
            })}
        </Suspense>
    }
}

#[component]
fn SubscriptionList(page: SubscriptionPage, admin: bool, plans: Vec<PlanView>, changed: Changes) -> impl IntoView {
    let b = use_texts_of::<Billing>();
    if page.rows.is_empty() {
        return view! { <p class="empty-state">{b.no_subscriptions}</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let older = page.next_cursor.map(|cursor| page_href("/billing/subscriptions", &query, &FILTERS, &[("after", &cursor)]));
    let newest = query.get("after").map(|_| page_href("/billing/subscriptions", &query, &FILTERS, &[]));
    let plans = StoredValue::new(plans);
    view! {
        <p class="muted">{fill(b.subscription_count, &[&page.count.to_string()])}</p>
        <table class="data subscriptions">
            <thead><tr><th>{b.member}</th><th>{b.plan}</th><th class="num">{b.qty}</th><th>{b.status}</th><th>{b.next_invoice}</th><th class="num">{use_texts().amount}</th><th>{b.since}</th><th></th></tr></thead>
            <tbody>{page.rows.into_iter().map(|s| view! { <SubscriptionLine s admin plans=plans.get_value() changed/> }).collect_view()}</tbody>
        </table>
        <OlderNewest older newest/>
    }
    .into_any()
}

#[component]
fn SubscriptionLine(s: SubscriptionRow, admin: bool, plans: Vec<PlanView>, changed: Changes) -> impl IntoView {
    let live = !matches!(s.status.as_str(), "canceled" | "incomplete_expired");
    let b = use_texts_of::<Billing>();
    let badges = view! {
        {s.cancel_at_period_end.then(|| view! { " " <span class="badge">{b.ends_with_period}</span> })}
        {s.starts_on.clone().map(|d| view! { " " <span class="badge" data-billing="scheduled">{fill(b.starts, &[&d])}</span> })}
        {s.paused.then(|| view! { " " <span class="badge" data-billing="paused">{b.collection_paused}</span> })}
        {s.changing_to.clone().map(|p| view! { " " <span class="badge">{fill(b.changing_to, &[&p])}</span> })}
        {s.step_pending.then(|| view! { " " <span class="badge" data-billing="step_pending">{b.step_queued}</span> })}
    }
    .into_any();
    let controls = (admin && live).then(|| view! { <SubscriptionControls s=s.clone() plans changed/> }.into_any());
    view! {
        <tr>
            <td><a href=format!("/accounts/{}", s.account_id)>{s.member}</a> " " <span class="muted">{s.account_ref}</span></td>
            <td>{s.plan}</td>
            <td class="num">{s.quantity}</td>
            <td><StatusBadge status=s.status.clone()/> {badges}</td>
            <td class="nowrap">{s.next_invoice_date.map(|d| local_time(&d)).unwrap_or_else(|| "—".into())}</td>
            <td class="num nowrap">{s.next_amount}</td>
            <td class="nowrap">{local_time(&s.created_at)}</td>
            <td>{controls}</td>
        </tr>
    }
}

/// Cancel, pause or resume collection, and change plan with the cost Stripe computes shown first.
#[component]
fn SubscriptionControls(s: SubscriptionRow, plans: Vec<PlanView>, changed: Changes) -> impl IntoView {
    let preview = ServerAction::<PreviewPlanChange>::new();
    let current = plans.iter().find(|p| p.id == s.plan_id).map(|p| (p.currency.clone(), p.interval));
    let targets: Vec<PlanView> = plans
        .into_iter()
        .filter(|p| p.active && p.stripe_price.is_some() && current.as_ref().is_some_and(|(c, i)| *c == p.currency && *i == p.interval))
        .collect();
    let in_stripe = s.stripe_id.is_some();
    let (id, pause_id, change_id, confirm_id) = (s.id.clone(), s.id.clone(), s.id.clone(), s.id.clone());
    let b = use_texts_of::<Billing>();
    let (pause_to, pause_label) = if s.paused { ("no", b.resume_collection) } else { ("yes", b.pause_collection) };
    let quantity = s.quantity.to_string();
    view! {
        <details class="row-actions">
            <summary>{b.manage}</summary>
            <ActionForm action=changed.cancel attr:class="inline-confirm">
                <input type="hidden" name="id" value=id/>
                <select name="when" aria-label=b.cancel_when><option value="period_end">{b.at_period_end}</option><option value="now">{b.now}</option></select>
                <label><input type="checkbox" name="confirm" value="yes" required/> {b.sure}</label>
                <button type="submit">{b.cancel}</button>
            </ActionForm>
            {in_stripe.then(|| view! {
                <ActionForm action=changed.pause attr:class="inline-confirm">
                    <input type="hidden" name="id" value=pause_id/>
                    <input type="hidden" name="paused" value=pause_to/>
                    <label><input type="checkbox" name="confirm" value="yes" required/> {if pause_to == "yes" { b.paused_voided } else { b.collect_again }}</label>
                    <button type="submit">{pause_label}</button>
                </ActionForm>
            })}
            {(in_stripe && !targets.is_empty() && s.changing_to.is_none()).then(|| view! {
                <ActionForm action=preview attr:class="inline-confirm">
                    <input type="hidden" name="id" value=change_id/>
                    <label>{b.new_plan} " " <select name="plan_id">{targets.into_iter().map(|p| view! { <option value=p.id>{format!("{} — {}", p.name, p.amount)}</option> }).collect_view()}</select></label>
                    <label>{b.qty} " " <input type="number" name="quantity" value=quantity min="1" class="short"/></label>
                    <button type="submit">{b.preview_change}</button>
                </ActionForm>
                {move || match preview.value().get() {
                    None => None,
                    Some(Err(error)) => Some(view! { <ErrorNotice error/> }.into_any()),
                    Some(Ok(p)) => Some(view! { <ConfirmChange id=confirm_id.clone() p change=changed.change/> }.into_any()),
                }}
            })}
        </details>
    }
    .into_any()
}

#[component]
fn ConfirmChange(id: String, p: ChangePreview, change: ServerAction<ChangePlan>) -> impl IntoView {
    let b = use_texts_of::<Billing>();
    let consent =
        if p.prorated { fill(b.consent_prorated, &[&p.due_now_local, &p.due_now, &p.renews_at]) } else { fill(b.consent_not_prorated, &[&p.renews_at]) };
    view! {
        <div class="change-preview" data-billing="change-preview">
            {(!p.lines.is_empty()).then(|| view! {
                <table class="data compact">
                    <tbody>{p.lines.into_iter().map(|(what, amount)| view! { <tr><td>{what}</td><td class="num nowrap">{amount}</td></tr> }).collect_view()}</tbody>
                </table>
            })}
            <ActionForm action=change attr:class="inline-confirm">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="plan_id" value=p.plan_id/>
                <input type="hidden" name="quantity" value=p.quantity.to_string()/>
                <input type="hidden" name="proration_date" value=p.proration_date.to_string()/>
                <label><input type="checkbox" name="confirm" value="yes" required/> {consent}</label>
                <button type="submit">{b.confirm_change}</button>
            </ActionForm>
        </div>
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
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <Title text=b.nav_plans/>
        <h1>{b.nav_plans}</h1>
        <BillingNav/>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
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
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    view! {
        <details class="panel">
            <summary>{b.new_plan}</summary>
            <ActionForm action=create attr:class="form-row">
                <label>{b.name} " " <input type="text" name="name" required maxlength="100" placeholder=b.plan_name_example/></label>
                <label>{t.currency}
                    <select name="currency" on:change=move |ev| currency.set(event_target_value(&ev))>
                        {setup.currencies.iter().map(|c| view! { <option value=c.code.clone()>{c.code.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>{b.price_per_period} " " <input type="text" name="amount" inputmode="decimal" required class="short" on:input=move |ev| amount.set(event_target_value(&ev))/></label>
                <label>{b.every} " " <select name="interval">{PlanInterval::ALL.iter().map(|&i| view! { <option value=i.as_str()>{interval_name(b, i)}</option> }).collect_view()}</select></label>
                <span class="muted">{move || fiat().unwrap_or_default()}</span>
                <button type="submit">{b.create_plan}</button>
            </ActionForm>
            <ActionOutcome value=create.value() done=b.plan_saved/>
        </details>
    }
}

#[component]
fn PlanList(plans: Vec<PlanView>, admin: bool, archive: ServerAction<ArchivePlan>) -> impl IntoView {
    let (t, b) = (use_texts(), use_texts_of::<Billing>());
    if plans.is_empty() {
        return view! { <p class="empty-state">{b.no_plans}</p> }.into_any();
    }
    view! {
        <ActionOutcome value=archive.value() done=b.archived/>
        <table class="data plans">
            <thead><tr><th>{b.plan}</th><th class="num">{b.price}</th><th class="num">{t.fiat}</th><th>{b.every}</th><th>{b.stripe_price}</th><th class="num">{b.subscribers}</th><th>{b.state}</th><th></th></tr></thead>
            <tbody>{plans.into_iter().map(|p| {
                let state = if p.step_failed { "Stripe call failed" } else if p.step_pending { "Stripe call queued" } else if p.active { "active" } else { "archived" };
                let id = p.id.clone();
                view! {
                    <tr>
                        <td>{p.name}</td><td class="num nowrap">{p.amount}</td><td class="num nowrap">{p.fiat}</td><td>{interval_name(b, p.interval)}</td>
                        <td>{p.stripe_price.map(|s| view! { <code>{s}</code> })}</td><td class="num">{p.subscribers}</td>
                        <td><StatusBadge status=state/></td>
                        <td>{(admin && p.active).then(|| view! {
                            <ActionForm action=archive attr:class="inline-confirm">
                                <input type="hidden" name="id" value=id/>
                                <label><input type="checkbox" name="confirm" value="yes" required/> {b.sure}</label>
                                <button type="submit">{b.archive}</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}
