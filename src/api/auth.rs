use crate::domain::{AppError, UserView};
use leptos::prelude::*;

/// Where to go after signing in: only paths on this site, never another origin.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path,
        _ => "/",
    }
}

#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::guard::{caller, respond};
    use crate::server::auth::session;
    respond(
        async {
            let (state, caller) = caller().await?;
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| crate::server::error::internal("login", e))?;
            session::sign_in(&session, &state.db, &email, &password, &caller.ip).await?;
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::guard::guarded;
    use crate::domain::Role;
    guarded(Role::Viewer, |ctx| async move {
        let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| crate::server::error::internal("logout", e))?;
        crate::server::auth::session::sign_out(&session, &ctx.state.db, &ctx.user, Some(ctx.ip.clone())).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The signed-in user, or `None`.
#[server(prefix = "/rpc", endpoint = "me")]
pub async fn me() -> Result<Option<UserView>, AppError> {
    let (_, caller) = super::guard::caller().await?;
    Ok(caller.user.map(|u| u.view()))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/users?x=1")), "/users?x=1");
        for evil in ["//evil.example", "https://evil.example", "/\\evil.example", ""] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
