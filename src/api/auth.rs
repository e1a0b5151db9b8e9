use crate::domain::{AppError, UserView};
use leptos::prelude::*;

/// Where to go after signing in: only paths on this site, never another origin. A path must
/// start with one `/`, and may hold no `\` (browsers read it as `/`), no space, control or
/// non-ASCII character (browsers drop tabs and newlines, so `/\t/evil.example` is `//evil.example`;
/// and a `Location` header cannot carry them), so a scheme or host can never sneak in.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && path.bytes().all(|b| b.is_ascii_graphic()) => path,
        _ => "/",
    }
}

#[server(prefix = "/rpc", endpoint = "login", output = crate::api::codec::Json)]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::guard::{caller, respond};
    use crate::server::auth::session;
    respond(
        async {
            let (state, caller) = caller().await?;
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| crate::server::error::internal("login", e))?;
            session::sign_in(&session, &state, &email, &password, &caller.ip).await?;
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "logout", output = crate::api::codec::Json)]
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
#[server(prefix = "/rpc", endpoint = "me", output = crate::api::codec::Json)]
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
        assert_eq!(safe_next(Some("/transactions?account=a%20b&page=2")), "/transactions?account=a%20b&page=2");
        let evils =
            ["//evil.example", "https://evil.example", "/\\evil.example", "/a\\b", "", "evil", "/\t/evil.example", "/\n/x", "/a b", "/caf\u{e9}", "/\u{7f}"];
        for evil in evils {
            assert_eq!(safe_next(Some(evil)), "/", "{evil}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
