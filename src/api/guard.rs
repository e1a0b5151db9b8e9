use crate::domain::locale::Locale;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::auth::CurrentUser;
use crate::server::db::audit::Actor;
use crate::server::error::internal;
use crate::server::http::caller::Caller;
use axum::Extension;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// What a guarded server function gets to work with.
pub struct Ctx {
    pub state: AppState,
    pub user: CurrentUser,
    pub ip: String,
    /// The language answers are written in.
    pub locale: Locale,
    /// The time zone answers show times in, in minutes east of UTC.
    pub utc_offset: i32,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        self.user.actor(Some(self.ip.clone()))
    }
}

pub async fn caller() -> Result<(AppState, Caller), AppError> {
    let state = use_context::<AppState>().ok_or_else(|| internal("server function", "AppState missing from context"))?;
    let Extension(caller) = leptos_axum::extract::<Extension<Caller>>().await.map_err(|e| internal("server function", e))?;
    Ok((state, caller))
}

/// Runs `work` only for a signed-in caller whose role includes `role`: 401 for nobody,
/// 403 for a role too small. Any error also sets the response's HTTP status.
pub async fn guarded<T, Fut>(role: Role, work: impl FnOnce(Ctx) -> Fut) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let (state, caller) = caller().await?;
        let user = caller.authorize(role)?.clone();
        work(Ctx { state, user, ip: caller.ip, locale: caller.locale, utc_offset: caller.utc_offset }).await
    }
    .await;
    respond(result)
}

/// Gives an error its HTTP status (401, 403, 422, …) instead of server functions' default 500,
/// and a 429 its `Retry-After`.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(e), Some(options)) = (&result, use_context::<ResponseOptions>()) {
        options.set_status(axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR));
        if let AppError::TooManyRequests { retry_after_secs, .. } = e {
            options.insert_header(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_secs));
        }
    }
    result
}
