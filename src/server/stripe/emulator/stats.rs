//! Counters read back through `GET /_emulator/stats`, so tests and benchmarks can see what the
//! emulator did (faults injected, replays served, webhooks delivered) without timing anything.

use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sub(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn clear(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Stats {
    /// Requests to `/v1/`.
    pub requests: Counter,
    pub rate_limited: Counter,
    pub injected_errors: Counter,
    pub delayed: Counter,
    pub lost_responses: Counter,
    pub idempotent_replays: Counter,
    pub idempotency_conflicts: Counter,
    /// Requests currently inside a handler (including ones held by the `hold` fault).
    pub in_flight: Counter,
    pub webhook_attempts: Counter,
    pub webhook_deliveries: Counter,
    /// Deliveries abandoned after the last retry.
    pub webhook_failures: Counter,
}

impl Stats {
    fn all(&self) -> [(&'static str, &Counter); 11] {
        [
            ("requests", &self.requests),
            ("rate_limited", &self.rate_limited),
            ("injected_errors", &self.injected_errors),
            ("delayed", &self.delayed),
            ("lost_responses", &self.lost_responses),
            ("idempotent_replays", &self.idempotent_replays),
            ("idempotency_conflicts", &self.idempotency_conflicts),
            ("in_flight", &self.in_flight),
            ("webhook_attempts", &self.webhook_attempts),
            ("webhook_deliveries", &self.webhook_deliveries),
            ("webhook_failures", &self.webhook_failures),
        ]
    }

    pub fn snapshot(&self) -> Value {
        let map: serde_json::Map<String, Value> = self.all().into_iter().map(|(k, c)| (k.to_string(), json!(c.get()))).collect();
        Value::Object(map)
    }

    /// Zeroes every counter except `in_flight`, which requests still running will decrement.
    pub fn reset(&self) {
        self.all().into_iter().filter(|(k, _)| *k != "in_flight").for_each(|(_, c)| c.clear());
    }
}
