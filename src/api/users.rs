use crate::domain::{AppError, UserView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::guard::guarded, crate::domain::Role, crate::say, crate::server::auth::users};

#[server(prefix = "/rpc", endpoint = "list_users", output = crate::api::codec::Json)]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    guarded(Role::Admin, |ctx| async move { Ok(crate::server::db::users::list(&ctx.state.db).await?.iter().map(|u| u.view()).collect()) }).await
}

#[server(prefix = "/rpc", endpoint = "create_user", output = crate::api::codec::Json)]
pub async fn create_user(email: String, name: String, role: String, password: String) -> Result<UserView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let input = users::NewUser::parse(&email, &name, &role, &password)?;
        users::create(&ctx.state.db, &ctx.actor(), input).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_user_role", output = crate::api::codec::Json)]
pub async fn set_user_role(id: String, role: String) -> Result<UserView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let role: Role = role.parse().map_err(|e: String| AppError::validation("role", e))?;
        users::set_role(&ctx.state.db, &ctx.actor(), &id, role).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_user_disabled", output = crate::api::codec::Json)]
pub async fn set_user_disabled(id: String, disabled: bool) -> Result<UserView, AppError> {
    guarded(Role::Admin, |ctx| async move { users::set_disabled(&ctx.state.db, &ctx.actor(), &id, disabled).await }).await
}

#[server(prefix = "/rpc", endpoint = "reset_user_password", output = crate::api::codec::Json)]
pub async fn reset_user_password(id: String, password: String) -> Result<UserView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| crate::server::error::internal("reset password", e))?;
        let own_session = session.id().map(|id| id.to_string());
        users::reset_password(&ctx.state.db, &ctx.actor(), &id, &password, own_session.as_deref()).await
    })
    .await
}

/// The signed-in user's own language and time zone, kept across sessions. A plain form posts
/// here, so the browser comes back to the page it was on and loads it again as chosen.
#[server(prefix = "/rpc", endpoint = "set_preferences", output = crate::api::codec::Json)]
pub async fn set_preferences(locale: String, utc_offset: String) -> Result<UserView, AppError> {
    guarded(Role::Viewer, |ctx| async move {
        let locale = locale.parse().map_err(|e: String| AppError::validation("locale", e))?;
        let utc_offset = utc_offset
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|m| crate::domain::locale::UTC_OFFSETS.contains(m))
            .ok_or_else(|| AppError::validation("utc_offset", say!("choose one of the listed time zones", "一覧からタイムゾーンを選択してください")))?;
        users::set_preferences(&ctx.state.db, &ctx.actor(), &ctx.user.id, locale, utc_offset).await
    })
    .await
}
