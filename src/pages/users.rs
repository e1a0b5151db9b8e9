use crate::api::users::{CreateUser, ResetUserPassword, SetUserDisabled, SetUserRole, list_users};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::domain::{Role, UserView};
use crate::i18n::admin::{Admin, role_name};
use crate::i18n::{fill, use_texts, use_texts_of};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<ResetUserPassword>::new();
    let users =
        Resource::new(move || (create.version().get(), set_role.version().get(), set_disabled.version().get(), reset.version().get()), |_| list_users());
    let t = use_texts();
    let a = use_texts_of::<Admin>();
    view! {
        <Title text=t.nav_users/>
        <h1>{t.nav_users}</h1>
        <p><a href="/users/export" download>{t.download_csv}</a></p>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) => view! {
                        <section class="panel">
                            <h2>{a.add_a_user}</h2>
                            <ActionForm action=create attr:class="form-row">
                                <label>{t.email} <input type="email" name="email" required/></label>
                                <label>{a.name} <input type="text" name="name" required/></label>
                                <label>{a.role} <RoleSelect selected=Role::Viewer/></label>
                                <label>{t.password} <input type="password" name="password" required minlength="12" autocomplete="new-password"/></label>
                                <button type="submit" class="primary">{a.add_user}</button>
                            </ActionForm>
                            <ActionOutcome value=create.value() done=a.user_added/>
                        </section>
                        <ActionOutcome value=set_role.value() done=a.role_changed/>
                        <ActionOutcome value=set_disabled.value() done=a.access_changed/>
                        <ActionOutcome value=reset.value() done=a.password_was_reset/>
                        <table class="data">
                            <thead><tr><th>{a.name}</th><th>{t.email}</th><th>{a.role}</th><th>{a.status}</th><th>{t.password}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| view! { <UserRow user=u set_role set_disabled reset/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoleSelect(selected: Role, #[prop(optional)] label: Option<String>) -> impl IntoView {
    let t = use_texts();
    view! {
        <select name="role" aria-label=label>
            {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == selected>{role_name(t, *r)}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn UserRow(
    user: UserView,
    set_role: ServerAction<SetUserRole>,
    set_disabled: ServerAction<SetUserDisabled>,
    reset: ServerAction<ResetUserPassword>,
) -> impl IntoView {
    let (t, a) = (use_texts(), use_texts_of::<Admin>());
    let toggle_label = if user.disabled { a.enable } else { a.disable };
    let (status, status_text) = if user.disabled { ("disabled", a.user_disabled) } else { ("active", a.user_active) };
    let UserView { id, email, name, role, disabled } = user;
    // Each form below owns its copy of the id.
    let (role_form_id, toggle_form_id, reset_form_id) = (id.clone(), id.clone(), id);
    let role_label = fill(a.role_of, &[&name]);
    view! {
        <tr data-email=email.clone()>
            <td>{name}</td>
            <td>{email.clone()}</td>
            <td>
                <ActionForm action=set_role attr:class="inline">
                    <input type="hidden" name="id" value=role_form_id/>
                    <RoleSelect selected=role label=role_label/>
                    <button type="submit">{t.save}</button>
                </ActionForm>
            </td>
            <td>
                <span class="badge" data-status=status>{status_text}</span>
                <ActionForm action=set_disabled attr:class="inline">
                    <input type="hidden" name="id" value=toggle_form_id/>
                    <input type="hidden" name="disabled" value=(!disabled).to_string()/>
                    <button type="submit">{toggle_label}</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=reset attr:class="inline">
                    <input type="hidden" name="id" value=reset_form_id/>
                    <input type="password" name="password" placeholder=a.new_password minlength="12" required autocomplete="new-password"/>
                    <button type="submit">{a.reset}</button>
                </ActionForm>
            </td>
        </tr>
    }
}
