//! Who is calling: resolved once per request from the session and put in the request's
//! extensions, where server functions and pages read it.

use crate::domain::locale::Locale;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::auth::{CurrentUser, session};
use crate::server::db::audit::Actor;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<CurrentUser>,
    /// The caller's address (see `client_ip`), as audit rows record it.
    pub ip: String,
    /// The language pages and messages are in: the user's choice, else the browser's.
    pub locale: Locale,
    /// The time zone times are shown in, in minutes east of UTC.
    pub utc_offset: i32,
}

impl Caller {
    /// The one authorization check, for server functions and plain routes alike: 401 for
    /// nobody, 403 for a role too small.
    pub fn authorize(&self, role: Role) -> Result<&CurrentUser, AppError> {
        let user = self.user.as_ref().ok_or(AppError::Unauthenticated)?;
        if !user.role.includes(role) {
            return Err(AppError::Forbidden);
        }
        Ok(user)
    }

    /// Who audit rows name for this caller's actions.
    pub fn actor(&self, user: &CurrentUser) -> Actor {
        user.actor(Some(self.ip.clone()))
    }
}

/// Paths anyone may load.
const PUBLIC_PAGES: &[&str] = &["/login", "/healthz", "/metrics"];

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

fn is_page(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !PUBLIC_PAGES.contains(&path)
        && !path.starts_with("/rpc/")
        && !path.starts_with("/api/")
        && !is_static_asset(path)
}

pub async fn identify(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    if is_static_asset(req.uri().path()) {
        return next.run(req).await;
    }
    let user = match session::load(&session, &state).await {
        Ok(user) => user,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if user.is_none() && is_page(req.method(), req.uri().path()) {
        let wanted = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let next_param: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    let ip = peer.map(|peer| state.config.trusted_proxies.client_ip(peer, req.headers()).to_string()).unwrap_or_else(|| "unknown".into());
    let browser = req.headers().get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Locale::from_accept_language);
    let locale = user.as_ref().and_then(|u| u.locale).or(browser).unwrap_or(Locale::En);
    let utc_offset = user.as_ref().and_then(|u| u.utc_offset).unwrap_or(locale.usual_utc_offset());
    req.extensions_mut().insert(Caller { user, ip, locale, utc_offset });
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_gated_but_assets_rpc_and_login_are_not() {
        assert!(is_page(&Method::GET, "/"));
        assert!(is_page(&Method::GET, "/users"));
        for open in ["/login", "/healthz", "/pkg/regio.js", "/favicon.ico", "/rpc/login", "/api/v1/transactions"] {
            assert!(!is_page(&Method::GET, open), "{open}");
        }
        assert!(!is_page(&Method::POST, "/users"));
    }
}
