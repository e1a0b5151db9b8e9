//! The billing test clock. Demo mode puts every Stripe customer it makes on one Stripe test
//! clock, so an administrator can move the members' time a month ahead and watch subscriptions
//! renew and be collected from wallets. Stripe's test mode only: a live key never has one.

use super::customers::unreachable_stripe;
use crate::domain::AppError;
use crate::domain::billing::TestClockView;
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::{Db, format_ms, settings};
use crate::server::error::internal;
use crate::server::stripe::client::test_clocks::CreateTestClock;
use crate::server::stripe::client::{IdempotencyKey, KeyMode, StripeClient};
use serde_json::json;
use time::OffsetDateTime;

const SETTING: &str = "billing.test_clock";

/// The test clock new customers are put on, if one is set.
pub async fn test_clock(db: &Db) -> Result<Option<String>, sqlx::Error> {
    settings::get(db, SETTING).await
}

/// Makes a test clock frozen at now and puts customers made from now on on it.
pub async fn start(db: &Db, stripe: &StripeClient) -> Result<String, String> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let key = IdempotencyKey::new(format!("test_clock/demo/{now}")).map_err(|e| e.to_string())?;
    let request = CreateTestClock { frozen_time: now, name: Some("Regio demo".into()) };
    let clock = stripe.test_clocks().create(&request, &key).await.map_err(|e| e.to_string())?;
    settings::put(db, SETTING, &clock.id).await.map_err(|e| e.to_string())?;
    Ok(clock.id)
}

fn usable(stripe: Option<&StripeClient>) -> Option<&StripeClient> {
    stripe.filter(|s| s.mode() != KeyMode::Live)
}

pub async fn view(db: &Db, stripe: Option<&StripeClient>) -> Result<Option<TestClockView>, AppError> {
    let (Some(stripe), Some(id)) = (usable(stripe), test_clock(db).await?) else { return Ok(None) };
    let clock = stripe.test_clocks().retrieve(&id).await.map_err(unreachable_stripe)?;
    Ok(Some(TestClockView { id: clock.id, frozen_time: format_ms(clock.frozen_time.saturating_mul(1000)) }))
}

/// The same day and time one calendar month later, clamped to the month's length.
fn month_after(t: i64) -> Option<i64> {
    let at = OffsetDateTime::from_unix_timestamp(t).ok()?;
    let (year, month) = if at.month() == time::Month::December { (at.year() + 1, time::Month::January) } else { (at.year(), at.month().next()) };
    let day = at.day().min(month.length(year));
    Some(time::Date::from_calendar_date(year, month, day).ok()?.with_time(at.time()).assume_utc().unix_timestamp())
}

/// Moves the test clock one month ahead: Stripe bills every renewal due by then.
pub async fn advance_month(db: &Db, stripe: Option<&StripeClient>, actor: &Actor) -> Result<TestClockView, AppError> {
    let (Some(stripe), Some(id)) = (usable(stripe), test_clock(db).await?) else {
        return Err(AppError::conflict(say!("There is no test clock to advance", "進めるテストクロックがありません")));
    };
    let clock = stripe.test_clocks().retrieve(&id).await.map_err(unreachable_stripe)?;
    let to = month_after(clock.frozen_time)
        .ok_or_else(|| AppError::conflict(say!("The test clock cannot move further", "テストクロックをこれ以上進められません")))?;
    let key = IdempotencyKey::new(format!("test_clock/{id}/advance/{to}")).map_err(|e| internal("billing: test clock key", e))?;
    let moved = stripe.test_clocks().advance(&id, to, &key).await.map_err(unreachable_stripe)?;
    let mut wtx = db.begin_write().await?;
    let event = AuditEvent {
        action: "billing.test_clock_advance",
        target: &format!("test_clock:{id}"),
        before: Some(json!({ "frozen_time": clock.frozen_time })),
        after: Some(json!({ "frozen_time": moved.frozen_time })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(TestClockView { id: moved.id, frozen_time: format_ms(moved.frozen_time.saturating_mul(1000)) })
}

#[cfg(test)]
mod tests {
    use super::month_after;

    #[test]
    fn a_month_keeps_the_day_or_clamps_it() {
        // 2026-01-31 00:00 UTC → 2026-02-28; 2026-12-15 → 2027-01-15.
        assert_eq!(month_after(1_769_817_600), Some(1_772_236_800));
        assert_eq!(month_after(1_797_292_800), Some(1_799_971_200));
    }
}
