//! The path of every `/v1/` request: fault admission (429, 500), authentication, idempotency,
//! injected latency and hold, the handler, saving its result for replay, and last the chance
//! that the committed response is lost.

use super::errors::{ApiError, NotSaved};
use super::faults::{self, Verdict};
use super::idempotency::{Claim, Fingerprint, MAX_KEY_LEN, Saved};
use super::request::RequestMeta;
use super::stats::Counter;
use super::{API_VERSION, Emulator, auth, form, ids};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const MAX_BODY: usize = 1 << 20;

pub async fn pipeline(State(emu): State<Emulator>, request: Request, next: Next) -> Response {
    let stats = emu.stats();
    stats.requests.add();
    let request_id = ids::new_id("req");
    let mut response = match emu.faults().admit() {
        Verdict::RateLimited => {
            stats.rate_limited.add();
            ApiError::rate_limited().into_response()
        }
        Verdict::Fail => {
            stats.injected_errors.add();
            ApiError::internal().into_response()
        }
        Verdict::Proceed => authenticated(&emu, request, next, request_id.clone()).await,
    };
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert("request-id", id);
    }
    headers.insert("stripe-version", HeaderValue::from_static(API_VERSION));
    if emu.faults().lose() {
        stats.lost_responses.add();
        return faults::sever(response);
    }
    response
}

async fn authenticated(emu: &Emulator, request: Request, next: Next, request_id: String) -> Response {
    let api_key = match auth::api_key(request.headers()) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    // Stripe ignores idempotency keys on GET and DELETE, which are idempotent already.
    let key = match request.headers().get("idempotency-key").filter(|_| request.method() == Method::POST) {
        None => None,
        Some(value) => match value.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN => Some(k.to_string()),
            _ => {
                return ApiError::invalid_value("Idempotency-Key", format!("Invalid idempotency key: it must be 1 to {MAX_KEY_LEN} visible ASCII characters."))
                    .into_response();
            }
        },
    };
    let meta = RequestMeta { id: request_id, idempotency_key: key.clone() };
    match key {
        None => run(emu, request, next, meta).await,
        Some(key) => idempotent(emu, request, next, meta, &api_key, &key).await,
    }
}

async fn idempotent(emu: &Emulator, request: Request, next: Next, meta: RequestMeta, api_key: &str, key: &str) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::invalid_value("body", "The request body could not be read.").into_response();
    };
    let fingerprint = Fingerprint::new(parts.method.as_str(), parts.uri.path(), form::pairs(&bytes));
    let ticket = match emu.idempotency().claim(api_key, key, fingerprint) {
        Claim::Fresh(ticket) => ticket,
        Claim::Replay(saved) => {
            emu.stats().idempotent_replays.add();
            return replay(saved, key);
        }
        Claim::Mismatch => {
            emu.stats().idempotency_conflicts.add();
            return ApiError::idempotency_mismatch(key).into_response();
        }
        Claim::InUse => {
            emu.stats().idempotency_conflicts.add();
            return ApiError::idempotency_in_use().into_response();
        }
    };
    let response = run(emu, Request::from_parts(parts, Body::from(bytes)), next, meta).await;
    if response.extensions().get::<NotSaved>().is_some() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal().into_response();
    };
    ticket.save(Saved { status: parts.status, content_type: parts.headers.get(CONTENT_TYPE).cloned(), body: bytes.clone() });
    emu.changed();
    if let Ok(k) = HeaderValue::from_str(key) {
        parts.headers.insert("idempotency-key", k);
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(saved: Saved, key: &str) -> Response {
    let mut response = Response::new(Body::from(saved.body));
    *response.status_mut() = saved.status;
    let headers = response.headers_mut();
    if let Some(content_type) = saved.content_type {
        headers.insert(CONTENT_TYPE, content_type);
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Ok(k) = HeaderValue::from_str(key) {
        headers.insert("idempotency-key", k);
    }
    response
}

async fn run(emu: &Emulator, mut request: Request, next: Next, meta: RequestMeta) -> Response {
    request.extensions_mut().insert(meta);
    let _in_flight = InFlight::enter(&emu.stats().in_flight);
    if let Some(delay) = emu.faults().latency() {
        emu.stats().delayed.add();
        tokio::time::sleep(delay).await;
    }
    emu.faults().wait_while_held().await;
    next.run(request).await
}

/// Counts a request as in flight until it finishes or is cancelled.
struct InFlight<'a>(&'a Counter);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a Counter) -> Self {
        counter.add();
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.sub();
    }
}
