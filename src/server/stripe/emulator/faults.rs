//! Fault injection for `/v1/` requests, set through `/_emulator/faults`: a rate limit in requests
//! per second (429 beyond it), a probability of 500s, added latency, and a probability that the
//! response is lost after the change is committed (the connection drops with no response). Each
//! has a deterministic "next N requests" form for tests, probabilities draw from a seedable RNG,
//! and `hold` parks requests after they are admitted until it is released.

use super::lock;
use axum::body::{Body, Bytes};
use axum::response::Response;
use http_body::Frame;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Longer than any test or benchmark wants to wait for one response.
const MAX_LATENCY_MS: u64 = 60_000;

#[derive(Clone, Default, Serialize)]
pub struct FaultConfig {
    /// Requests per second admitted; 0 means no limit.
    pub rate_limit: u32,
    /// Probability of answering 500 without doing anything.
    pub error_rate: f64,
    pub latency_ms: u64,
    /// Probability of committing the change and then dropping the connection.
    pub lost_rate: f64,
    pub rate_limit_next: u32,
    pub fail_next: u32,
    pub lose_next: u32,
    pub hold: bool,
    pub seed: Option<u64>,
}

pub enum Verdict {
    Proceed,
    RateLimited,
    Fail,
}

struct State {
    config: FaultConfig,
    rng: StdRng,
    tokens: f64,
    refilled_at: Instant,
}

impl State {
    fn fresh() -> Self {
        State { config: FaultConfig::default(), rng: StdRng::from_entropy(), tokens: 0.0, refilled_at: Instant::now() }
    }

    fn draw(&mut self, probability: f64) -> bool {
        probability > 0.0 && self.rng.r#gen::<f64>() < probability
    }

    fn take_token(&mut self) -> bool {
        let rate = f64::from(self.config.rate_limit);
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate.max(1.0));
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn take_one(n: &mut u32) -> bool {
    let some = *n > 0;
    *n = n.saturating_sub(1);
    some
}

pub struct Faults {
    state: Mutex<State>,
    hold: watch::Sender<bool>,
}

impl Faults {
    pub fn new() -> Self {
        Faults { state: Mutex::new(State::fresh()), hold: watch::Sender::new(false) }
    }

    /// Whether a request may go on, before anything is done for it.
    pub fn admit(&self) -> Verdict {
        let mut s = lock(&self.state);
        if take_one(&mut s.config.rate_limit_next) || (s.config.rate_limit > 0 && !s.take_token()) {
            return Verdict::RateLimited;
        }
        let error_rate = s.config.error_rate;
        if take_one(&mut s.config.fail_next) || s.draw(error_rate) {
            return Verdict::Fail;
        }
        Verdict::Proceed
    }

    pub fn latency(&self) -> Option<Duration> {
        let ms = lock(&self.state).config.latency_ms;
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// Whether this (already committed) response is to be lost.
    pub fn lose(&self) -> bool {
        let mut s = lock(&self.state);
        let lost_rate = s.config.lost_rate;
        take_one(&mut s.config.lose_next) || s.draw(lost_rate)
    }

    pub async fn wait_while_held(&self) {
        let mut held = self.hold.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = held.wait_for(|h| !*h).await;
    }

    pub fn config(&self) -> FaultConfig {
        let mut config = lock(&self.state).config.clone();
        config.hold = *self.hold.borrow();
        config
    }

    /// Applies the given settings (string values from JSON or a form); others keep their value.
    pub fn update(&self, settings: &BTreeMap<String, String>) -> Result<FaultConfig, String> {
        let mut s = lock(&self.state);
        let mut next = s.config.clone();
        let mut hold = None;
        for (key, value) in settings {
            match key.as_str() {
                "rate_limit" => next.rate_limit = parse(key, value)?,
                "error_rate" => next.error_rate = probability(key, value)?,
                "latency_ms" => next.latency_ms = parse::<u64>(key, value)?.min(MAX_LATENCY_MS),
                "lost_rate" => next.lost_rate = probability(key, value)?,
                "rate_limit_next" => next.rate_limit_next = parse(key, value)?,
                "fail_next" => next.fail_next = parse(key, value)?,
                "lose_next" => next.lose_next = parse(key, value)?,
                "hold" => hold = Some(parse::<bool>(key, value)?),
                "seed" => next.seed = Some(parse(key, value)?),
                _ => return Err(format!("Unknown fault setting: {key}")),
            }
        }
        // Setting a seed, even the same one again, restarts its sequence.
        if let Some(seed) = next.seed.filter(|_| settings.contains_key("seed")) {
            s.rng = StdRng::seed_from_u64(seed);
        }
        if next.rate_limit != s.config.rate_limit {
            s.tokens = f64::from(next.rate_limit);
            s.refilled_at = Instant::now();
        }
        s.config = next;
        drop(s);
        if let Some(h) = hold {
            self.hold.send_replace(h);
        }
        Ok(self.config())
    }

    pub fn reset(&self) {
        *lock(&self.state) = State::fresh();
        self.hold.send_replace(false);
    }
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, String> {
    value.trim().parse().map_err(|_| format!("Invalid value for {key}: {value}"))
}

fn probability(key: &str, value: &str) -> Result<f64, String> {
    let p: f64 = parse(key, value)?;
    if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(format!("{key} must be between 0 and 1")) }
}

/// The response with its body replaced by one that fails at once: hyper then closes the
/// connection before writing anything, so the client sees the connection drop.
pub fn sever(response: Response) -> Response {
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Body::new(Severed))
}

struct Severed;

impl http_body::Body for Severed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "response lost by fault injection"))))
    }
}
