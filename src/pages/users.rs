use crate::api::users::{CreateUser, ResetUserPassword, SetUserDisabled, SetUserRole, list_users};
use crate::components::notice::{ActionOutcome, ErrorNotice};
use crate::domain::{Role, UserView};
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
    view! {
        <Title text="Users"/>
        <h1>"Users"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) => view! {
                        <section class="panel">
                            <h2>"Add a user"</h2>
                            <ActionForm action=create attr:class="form-row">
                                <label>"Email" <input type="email" name="email" required/></label>
                                <label>"Name" <input type="text" name="name" required/></label>
                                <label>"Role" <RoleSelect selected=Role::Viewer/></label>
                                <label>"Password" <input type="password" name="password" required minlength="12" autocomplete="new-password"/></label>
                                <button type="submit" class="primary">"Add user"</button>
                            </ActionForm>
                            <ActionOutcome value=create.value() done="User added."/>
                        </section>
                        <ActionOutcome value=set_role.value() done="Role changed."/>
                        <ActionOutcome value=set_disabled.value() done="Sign-in access changed."/>
                        <ActionOutcome value=reset.value() done="Password reset."/>
                        <table class="data">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Password"</th></tr></thead>
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
fn RoleSelect(selected: Role) -> impl IntoView {
    view! {
        <select name="role">
            {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == selected>{r.as_str()}</option> }).collect_view()}
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
    let toggle_label = if user.disabled { "Enable" } else { "Disable" };
    let status = if user.disabled { "disabled" } else { "active" };
    let UserView { id, email, name, role, disabled } = user;
    // Each form below owns its copy of the id.
    let (role_form_id, toggle_form_id, reset_form_id) = (id.clone(), id.clone(), id);
    view! {
        <tr data-email=email.clone()>
            <td>{name}</td>
            <td>{email.clone()}</td>
            <td>
                <ActionForm action=set_role attr:class="inline">
                    <input type="hidden" name="id" value=role_form_id/>
                    <RoleSelect selected=role/>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </td>
            <td>
                <span class="badge" data-status=status>{status}</span>
                <ActionForm action=set_disabled attr:class="inline">
                    <input type="hidden" name="id" value=toggle_form_id/>
                    <input type="hidden" name="disabled" value=(!disabled).to_string()/>
                    <button type="submit">{toggle_label}</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=reset attr:class="inline">
                    <input type="hidden" name="id" value=reset_form_id/>
                    <input type="password" name="password" placeholder="New password" minlength="12" required autocomplete="new-password"/>
                    <button type="submit">"Reset"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
