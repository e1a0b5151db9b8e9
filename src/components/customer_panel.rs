//! A member account's Stripe customer: the link, and creating, attaching or unlinking it.

use crate::api::billing::{AttachCustomer, CreateCustomer, UnlinkCustomer, get_customer_link};
use crate::components::notice::ErrorNotice;
use crate::domain::billing::{CustomerLink, StepState};
use crate::i18n::money::Money as MoneyTexts;
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;

#[component]
pub fn CustomerPanel(account_id: String, admin: bool) -> impl IntoView {
    let create = ServerAction::<CreateCustomer>::new();
    let attach = ServerAction::<AttachCustomer>::new();
    let unlink = ServerAction::<UnlinkCustomer>::new();
    let ask_again = RwSignal::new(0u32);
    let id = account_id.clone();
    let link = Resource::new(
        move || (create.version().get(), attach.version().get(), unlink.version().get(), ask_again.get()),
        move |_| get_customer_link(id.clone()),
    );
    let errors = move || {
        [create.value().get().and_then(Result::err), attach.value().get().and_then(Result::err), unlink.value().get().and_then(Result::err)]
            .into_iter()
            .flatten()
            .next()
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match link.await {
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(link) if !link.linkable => ().into_any(),
                    Ok(link) => {
                        let waiting = link.steps.iter().any(|s| s.state == StepState::Pending);
                        if waiting {
                            Effect::new(move |_| set_timeout(move || ask_again.update(|n| *n += 1), std::time::Duration::from_secs(2)));
                        }
                        view! { <Customer link admin waiting create attach unlink/> }.into_any()
                    }
                }
            })}
        </Transition>
        {move || errors().map(|error| view! { <ErrorNotice error/> })}
    }
}

#[component]
fn Customer(
    link: CustomerLink,
    admin: bool,
    waiting: bool,
    create: ServerAction<CreateCustomer>,
    attach: ServerAction<AttachCustomer>,
    unlink: ServerAction<UnlinkCustomer>,
) -> impl IntoView {
    let failed = link.steps.iter().find(|s| s.state == StepState::Failed).and_then(|s| s.last_error.clone());
    let (for_create, for_attach, for_unlink) = (link.account_id.clone(), link.account_id.clone(), link.account_id.clone());
    let t = use_texts();
    let m = use_texts_of::<MoneyTexts>();
    let body = match link.customer.clone() {
        Some(customer) => view! {
            <dl class="facts">
                <dt>{m.customer}</dt>
                <dd>{match link.dashboard_url.clone() { Some(url) => view! { <a href=url rel="noopener" target="_blank"><code>{customer.clone()}</code></a> }.into_any(), None => view! { <code>{customer.clone()}</code> }.into_any() }}</dd>
                <dt>{t.email}</dt><dd>{link.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{m.open_invoices}</dt><dd><a href=format!("/billing?account={}", link.account_ref)>{link.open_invoices}</a></dd>
            </dl>
            {admin.then(|| view! {
                <ActionForm action=unlink attr:class="inline-confirm">
                    <input type="hidden" name="account_id" value=for_unlink/>
                    <label><input type="checkbox" name="confirm" value="yes" required/> {m.unlink_confirm}</label>
                    <button type="submit">{m.unlink}</button>
                </ActionForm>
            })}
        }
        .into_any(),
        None if waiting => view! { <p class="muted" role="status">{m.creating_customer}</p> }.into_any(),
        None if !admin => view! { <p class="muted">{m.not_linked}</p> }.into_any(),
        None => view! {
            <p class="muted">{m.not_linked_admin}</p>
            <div class="columns">
                <ActionForm action=create attr:class="panel">
                    <h3>{m.create_customer_heading}</h3>
                    <input type="hidden" name="account_id" value=for_create/>
                    <label class="block">{m.email_optional} <input type="email" name="email" value=link.email.clone().unwrap_or_default()/></label>
                    <label><input type="checkbox" name="confirm" value="yes" required/> {fill(m.create_as, &[&link.display_name])}</label>
                    <button type="submit">{m.create_customer}</button>
                </ActionForm>
                <ActionForm action=attach attr:class="panel">
                    <h3>{m.attach_heading}</h3>
                    <input type="hidden" name="account_id" value=for_attach/>
                    <label class="block">{m.customer_id} <input type="text" name="customer" required placeholder="cus_…" pattern="cus_[A-Za-z0-9_]+"/></label>
                    <button type="submit">{m.attach}</button>
                </ActionForm>
            </div>
        }
        .into_any(),
    };
    view! {
        <section class="customer-link">
            <h2>{m.stripe_customer}</h2>
            {body}
            {failed.map(|error| view! { <p class="notice error">{fill(m.stripe_call_failed, &[&error])}</p> })}
            {(!link.awaiting_funds.is_empty()).then(|| view! {
                <p class="notice warn" role="status">{m.awaiting_funds}
                    {link.awaiting_funds.iter().map(|w| view! {
                        <a href=format!("/billing/invoices/{}", w.invoice_id)>{w.number.clone().unwrap_or_else(|| m.an_invoice.into())}</a>
                        {fill(m.needs_more, &[&w.shortfall, &w.due])}
                    }).collect_view()}
                </p>
            })}
        </section>
    }
}
