//! Idempotent POSTs as Stripe documents them: the first result for a key (scoped to the API key)
//! is saved for 24 hours and replayed for the same parameters, other parameters get an
//! `idempotency_error`, and a duplicate arriving while the first still runs gets 409. A request
//! that failed validation saves nothing, so a corrected retry may reuse its key. Finished results
//! go into a snapshot, so a retry after a restart is still replayed.

use super::lock;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
pub const MAX_KEY_LEN: usize = 255;

/// (API key, idempotency key).
type Scope = (String, String);

/// What makes two requests "the same": method, path and parameters in any order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    method: String,
    path: String,
    params: Vec<(String, String)>,
}

impl Fingerprint {
    pub fn new(method: &str, path: &str, mut params: Vec<(String, String)>) -> Self {
        params.sort();
        Fingerprint { method: method.to_string(), path: path.to_string(), params }
    }
}

#[derive(Clone)]
pub struct Saved {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub body: Bytes,
}

enum Entry {
    Running(Fingerprint),
    Done(Fingerprint, Saved),
}

#[derive(Default)]
struct State {
    entries: HashMap<Scope, Entry>,
    /// Completion times, oldest first, so expired results are dropped without a scan.
    done_at: VecDeque<(Instant, Scope)>,
    /// Set by `/_emulator/idempotency`: results kept for this long instead of 24 hours.
    retention: Option<Duration>,
}

impl State {
    /// Drops the results older than the retention.
    fn expire(&mut self, now: Instant) {
        let retention = self.retention.unwrap_or(RETENTION);
        while let Some((at, _)) = self.done_at.front() {
            if now.duration_since(*at) < retention {
                break;
            }
            if let Some((_, scope)) = self.done_at.pop_front() {
                self.entries.remove(&scope);
            }
        }
    }
}

#[derive(Default)]
pub struct Idempotency {
    state: Mutex<State>,
}

pub enum Claim<'a> {
    Fresh(Ticket<'a>),
    Replay(Saved),
    Mismatch,
    InUse,
}

impl Idempotency {
    pub fn claim(&self, api_key: &str, key: &str, fingerprint: Fingerprint) -> Claim<'_> {
        let mut state = lock(&self.state);
        state.expire(Instant::now());
        let scope = (api_key.to_string(), key.to_string());
        match state.entries.get(&scope) {
            Some(Entry::Done(first, _) | Entry::Running(first)) if *first != fingerprint => Claim::Mismatch,
            Some(Entry::Done(_, saved)) => Claim::Replay(saved.clone()),
            Some(Entry::Running(_)) => Claim::InUse,
            None => {
                state.entries.insert(scope.clone(), Entry::Running(fingerprint));
                Claim::Fresh(Ticket { idempotency: self, scope: Some(scope) })
            }
        }
    }

    /// Keeps finished results for `retention` from now on, dropping older ones at once: a test
    /// sees a retry made after Stripe's 24 hours without waiting for them.
    pub fn set_retention(&self, retention: Duration) {
        let mut state = lock(&self.state);
        state.retention = Some(retention);
        state.expire(Instant::now());
    }

    pub fn clear(&self) {
        *lock(&self.state) = State::default();
    }

    /// The finished results, oldest first, as a snapshot keeps them.
    pub fn kept(&self) -> Vec<Kept> {
        let state = lock(&self.state);
        let (now, wall) = (Instant::now(), unix_now());
        let kept = state.done_at.iter().filter_map(|(at, scope)| {
            let Some(Entry::Done(request, saved)) = state.entries.get(scope) else { return None };
            Some(Kept {
                api_key: scope.0.clone(),
                key: scope.1.clone(),
                request: request.clone(),
                status: saved.status.as_u16(),
                content_type: saved.content_type.as_ref().and_then(|v| v.to_str().ok()).map(str::to_string),
                // Every response is JSON, so always UTF-8.
                body: String::from_utf8(saved.body.to_vec()).ok()?,
                saved_at: wall.saturating_sub(i64::try_from(now.duration_since(*at).as_secs()).unwrap_or(i64::MAX)),
            })
        });
        kept.collect()
    }

    /// The results a snapshot kept, less those past their 24 hours.
    pub fn restored(mut kept: Vec<Kept>) -> Result<Self, String> {
        kept.sort_by_key(|k| k.saved_at);
        let mut state = State::default();
        let (now, wall) = (Instant::now(), unix_now());
        for k in kept {
            let age = Duration::from_secs(u64::try_from(wall.saturating_sub(k.saved_at)).unwrap_or(0));
            let Some(at) = now.checked_sub(age).filter(|_| age < RETENTION) else { continue };
            let invalid = |what: &str| format!("idempotency key {}: invalid {what}", k.key);
            let status = StatusCode::from_u16(k.status).map_err(|_| invalid("status"))?;
            let content_type = k.content_type.as_deref().map(HeaderValue::from_str).transpose().map_err(|_| invalid("content type"))?;
            let scope = (k.api_key, k.key);
            if state.entries.contains_key(&scope) {
                return Err(format!("idempotency key {} appears twice", scope.1));
            }
            let saved = Saved { status, content_type, body: Bytes::from(k.body) };
            state.entries.insert(scope.clone(), Entry::Done(k.request, saved));
            state.done_at.push_back((at, scope));
        }
        Ok(Idempotency { state: Mutex::new(state) })
    }
}

/// A finished result as a snapshot keeps it.
#[derive(Serialize, Deserialize)]
pub struct Kept {
    api_key: String,
    key: String,
    request: Fingerprint,
    status: u16,
    content_type: Option<String>,
    body: String,
    /// Unix seconds when the result was saved, so its 24 hours run on across a restart.
    saved_at: i64,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The right to run a claimed key; dropped unfinished (validation failure, cancelled request),
/// it releases the key.
pub struct Ticket<'a> {
    idempotency: &'a Idempotency,
    scope: Option<Scope>,
}

impl Ticket<'_> {
    pub fn save(mut self, saved: Saved) {
        let Some(scope) = self.scope.take() else { return };
        let mut state = lock(&self.idempotency.state);
        if let Some(Entry::Running(fingerprint)) = state.entries.remove(&scope) {
            state.entries.insert(scope.clone(), Entry::Done(fingerprint, saved));
            state.done_at.push_back((Instant::now(), scope));
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            let mut state = lock(&self.idempotency.state);
            if matches!(state.entries.get(&scope), Some(Entry::Running(_))) {
                state.entries.remove(&scope);
            }
        }
    }
}
