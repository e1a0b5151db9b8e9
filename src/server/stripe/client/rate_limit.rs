//! A client-side token bucket shared by every request of one client, so that Regio stays under
//! Stripe's per-second limits instead of learning about them through 429s.
//!
//! Implemented as a virtual schedule (GCRA): each request reserves the next free slot under
//! the lock and then sleeps, outside the lock, until that slot. Nobody polls, and requests are
//! served in the order they asked.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::secret::{KeyMode, SecretKey};

/// Requests per second, with bursts of up to `burst` requests when the bucket is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `per_second` requests each second, the bucket holding one second's worth.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        Self { per_second, burst: per_second }
    }

    /// Stripe's documented limits: 25/s in test mode, 100/s in live mode.
    pub fn for_key(key: &SecretKey) -> Self {
        let per_second = match key.mode() {
            KeyMode::Test => NonZeroU32::new(25),
            KeyMode::Live => NonZeroU32::new(100),
        };
        Self::per_second(per_second.unwrap_or(NonZeroU32::MIN))
    }
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    bucket: Mutex<TokenBucket>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self { bucket: Mutex::new(TokenBucket::new(limit, Instant::now())) }
    }

    /// Waits until this request may go out.
    pub(crate) async fn acquire(&self) {
        let wait = {
            // The bucket's state stays consistent even if a holder panicked mid-update: every
            // update is a single assignment.
            let mut bucket = self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            bucket.reserve(Instant::now())
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[derive(Debug)]
struct TokenBucket {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of the schedule a burst may run: `(burst - 1) * interval`.
    tolerance: Duration,
    /// When the next request would be due if the bucket were empty.
    next_due: Instant,
}

impl TokenBucket {
    fn new(limit: RateLimit, now: Instant) -> Self {
        let interval = Duration::from_secs(1) / limit.per_second.get();
        Self { interval, tolerance: interval * (limit.burst.get() - 1), next_due: now }
    }

    /// Takes a slot and returns how long the caller must wait for it.
    fn reserve(&mut self, now: Instant) -> Duration {
        let due = self.next_due.max(now);
        self.next_due = due + self.interval;
        due.saturating_duration_since(now).saturating_sub(self.tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit { per_second: NonZeroU32::new(per_second).unwrap(), burst: NonZeroU32::new(burst).unwrap() }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_spaces_requests() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit(10, 3), start);
        let waits: Vec<Duration> = (0..6).map(|_| bucket.reserve(start)).collect();
        assert_eq!(waits, [Duration::ZERO, Duration::ZERO, Duration::ZERO, 100 * MS, 200 * MS, 300 * MS]);
    }

    #[test]
    fn the_sustained_rate_is_the_configured_one() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit(25, 1), start);
        // 25 requests asked for at once: the last may start 24 intervals (0.96 s) later.
        let last = (0..25).map(|_| bucket.reserve(start)).last().unwrap();
        assert_eq!(last, 960 * MS);
    }

    #[test]
    fn tokens_refill_with_time_but_never_beyond_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit(10, 2), start);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), 100 * MS);
        // A long idle period refills the bucket to two tokens, not more.
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), 100 * MS);
    }

    #[test]
    fn a_caller_arriving_at_its_slot_waits_nothing() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit(100, 1), start);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start + 10 * MS), Duration::ZERO);
        assert_eq!(bucket.reserve(start + 15 * MS), 5 * MS);
    }

    #[test]
    fn defaults_follow_the_key_mode() {
        let test = RateLimit::for_key(&SecretKey::new("sk_test_abc").unwrap());
        let live = RateLimit::for_key(&SecretKey::new("sk_live_abc").unwrap());
        assert_eq!((test.per_second.get(), test.burst.get()), (25, 25));
        assert_eq!((live.per_second.get(), live.burst.get()), (100, 100));
    }
}
