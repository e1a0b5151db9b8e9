use crate::domain::AppError;
use crate::i18n::errors::error_text;
use crate::i18n::{use_locale, use_texts};
use leptos::prelude::*;

/// Shows an error the way a person can act on it; access errors get a page of their own.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let t = use_texts();
    match error {
        AppError::Forbidden => view! {
            <section class="page-message refused" role="alert">
                <h2>{t.access_refused}</h2>
                <p>{t.access_refused_why}</p>
            </section>
        }
        .into_any(),
        AppError::Unauthenticated => view! {
            <section class="page-message" role="alert">
                <h2>{t.signed_out}</h2>
                <p>{t.session_ended} " " <a href="/login">{t.sign_in_again}</a></p>
            </section>
        }
        .into_any(),
        other => view! { <ErrorLine error=other/> }.into_any(),
    }
}

/// An error beside the form or button that caused it, in the page's language.
#[component]
pub fn ErrorLine(error: AppError) -> impl IntoView {
    view! { <p class="notice error" role="alert">{error_text(use_locale(), &error)}</p> }
}

/// The outcome of the last submission of an action: its error, or `done` once it succeeded.
#[component]
pub fn ActionOutcome<T: Clone + Send + Sync + 'static>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>, #[prop(into)] done: String) -> impl IntoView {
    view! { <ActionReport value done=move |_: T| done.clone()/> }
}

/// Like [`ActionOutcome`], with the success told from what the action returned.
#[component]
pub fn ActionReport<T, F>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>, done: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> String + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Ok(result)) => view! { <p class="notice ok" role="status">{done(result)}</p> }.into_any(),
        Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
        None => ().into_any(),
    }
}
