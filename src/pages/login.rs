use crate::api::auth::Login;
use crate::i18n::errors::error_text;
use crate::i18n::{use_locale, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let locale = use_locale();
    let error = move || login.value().get().and_then(Result::err).map(|e| error_text(locale, &e));
    let t = use_texts();
    view! {
        <Title text=t.sign_in/>
        <main class="login">
            <div class="login-card">
                <h1 class="brand">"Regio"</h1>
                <p class="muted">{t.tagline}</p>
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <label>{t.email} " " <input type="email" name="email" required autocomplete="username" autofocus/></label>
                    <label>{t.password} " " <input type="password" name="password" required autocomplete="current-password"/></label>
                    <button type="submit" class="primary" disabled=move || login.pending().get()>{t.sign_in}</button>
                </ActionForm>
                {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            </div>
        </main>
    }
}
