//! Idempotent POSTs as Stripe documents them: the first result for a key (scoped to the API key)
//! is saved for 24 hours and replayed for the same parameters, other parameters get an
//! `idempotency_error`, and a duplicate arriving while the first still runs gets 409. A request
//! that failed validation saves nothing, so a corrected retry may reuse its key.

use super::lock;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
pub const MAX_KEY_LEN: usize = 255;

/// (API key, idempotency key).
type Scope = (String, String);

/// What makes two requests "the same": method, path and parameters in any order.
#[derive(Clone, PartialEq, Eq)]
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
        let now = Instant::now();
        while let Some((at, _)) = state.done_at.front() {
            if now.duration_since(*at) < RETENTION {
                break;
            }
            if let Some((_, scope)) = state.done_at.pop_front() {
                state.entries.remove(&scope);
            }
        }
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

    pub fn clear(&self) {
        *lock(&self.state) = State::default();
    }
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
