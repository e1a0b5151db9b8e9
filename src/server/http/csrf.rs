//! Cross-site request forgery guard: a browser always names the page a request came from
//! (`Origin`, or `Referer` on older paths), so any state-changing request that does not come
//! from Regio's own origin is refused.
//!
//! Machine clients do not use cookies: a request that carries its own credentials
//! (`Authorization: Bearer …` for API keys, `Stripe-Signature` for webhooks) is passed on for its
//! handler to authenticate, since no cross-site page can attach those headers.

use crate::server::config::Config;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn carries_own_credentials(headers: &HeaderMap) -> bool {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    bearer || headers.contains_key("stripe-signature")
}

fn request_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return Some(origin.trim_end_matches('/').to_string());
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    Some(url::Url::parse(referer).ok()?.origin().ascii_serialization())
}

pub async fn refuse_cross_site(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || carries_own_credentials(req.headers()) {
        return next.run(req).await;
    }
    match request_origin(req.headers()) {
        Some(origin) if origin == config.public_origin() => next.run(req).await,
        _ => (StatusCode::FORBIDDEN, "Refused: this request did not come from Regio's own pages.").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_wins_and_referer_is_reduced_to_its_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, HeaderValue::from_static("https://regio.example/users?x=1"));
        assert_eq!(request_origin(&h).as_deref(), Some("https://regio.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert_eq!(request_origin(&h).as_deref(), Some("https://evil.example"));
    }

    #[test]
    fn bearer_and_stripe_signature_are_machine_credentials() {
        let mut h = HeaderMap::new();
        assert!(!carries_own_credentials(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer rk_123"));
        assert!(carries_own_credentials(&h));
    }
}
