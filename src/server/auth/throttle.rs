//! Login throttling: after `MAX_FAILURES` failures for one email, or from one IP, within
//! `WINDOW`, further attempts are refused until `WINDOW` has passed since the failure that
//! crossed the line.

use crate::server::db::{Db, login_attempts};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// When the lock that `failures` (ascending times) put in place ends, if it has not yet.
pub fn locked_until(failures: &[i64], now_ms: i64) -> Option<i64> {
    failures
        .windows(MAX_FAILURES)
        .filter(|w| w[MAX_FAILURES - 1] - w[0] <= WINDOW_MS)
        .map(|w| w[MAX_FAILURES - 1] + WINDOW_MS)
        .filter(|until| *until > now_ms)
        .max()
}

/// The end of the current lock for this email or IP, if any.
pub async fn lock_for(db: &Db, email: &str, ip: &str, now_ms: i64) -> Result<Option<i64>, sqlx::Error> {
    // A failure that can still be part of a lock is at most two windows old.
    let series = login_attempts::failures_since(db, email, ip, now_ms - 2 * WINDOW_MS).await?;
    Ok(series.iter().filter_map(|s| locked_until(s, now_ms)).max())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn four_failures_do_not_lock() {
        assert_eq!(locked_until(&[0, MIN, 2 * MIN, 3 * MIN], 4 * MIN), None);
    }

    #[test]
    fn five_failures_in_the_window_lock_for_fifteen_minutes_from_the_fifth() {
        let f = [0, MIN, 2 * MIN, 3 * MIN, 4 * MIN];
        assert_eq!(locked_until(&f, 5 * MIN), Some(19 * MIN));
        assert_eq!(locked_until(&f, 19 * MIN), None);
    }

    #[test]
    fn failures_spread_wider_than_the_window_do_not_lock() {
        assert_eq!(locked_until(&[0, 4 * MIN, 8 * MIN, 12 * MIN, 16 * MIN], 16 * MIN), None);
    }
}
