//! The dashboard: a day's figures for the operator, each pointing at the list behind it, and
//! three daily charts. Everything is read in one snapshot, so the figures agree with each other.

pub mod chart;

use crate::domain::AppError;
use crate::domain::dashboard::{Chart, CurrencyVolume, Dashboard, MirrorHealth, VolumeWindow};
use crate::domain::locale::{Locale, format_fiat, format_local, format_minute, format_number};
use crate::i18n::{age, fill, texts};
use crate::server::db::currencies::{self, Currency};
use crate::server::db::dashboard::{self as store, DayPayments};
use crate::server::db::{DAY_MS, Db};
use crate::server::{recon, refunds};
use chart::{DailySeries, Shape};
use std::time::Duration;

/// The charts' span, today included.
pub const CHART_DAYS: i64 = 60;
/// The volume windows, in whole days with today: today, a week, a month.
const WINDOWS: [i64; 3] = [1, 7, 30];
/// The mirror's share of deliveries counts this many days.
const MIRROR_DAYS: i64 = 30;

/// The dashboard as of `now`, its words and amounts in `locale`, its time `utc_offset` minutes
/// east of UTC (its days stay UTC days, as the lists' date filters are).
pub async fn read(db: &Db, recon_interval: Duration, now: i64, locale: Locale, utc_offset: i32) -> Result<Dashboard, AppError> {
    let today = now.div_euclid(DAY_MS);
    let first_day = today - (CHART_DAYS - 1);
    let currencies = currencies::list(db).await?;

    let mut tx = db.begin_snapshot().await?;
    let payments = store::payments_by_day(&mut tx, first_day * DAY_MS, (today + 1) * DAY_MS).await?;
    let [delivered, pending, failed] = store::deliveries_since(&mut tx, (today - (MIRROR_DAYS - 1)) * DAY_MS).await?;
    let backlog = store::backlog(&mut tx).await?;
    let slowest = store::slowest_delivery_by_day(&mut tx, first_day * DAY_MS).await?;
    let flow = store::case_flow(&mut tx, first_day * DAY_MS).await?;
    let (invoices_awaiting, oldest_invoice) = store::invoices_awaiting(&mut tx).await?;
    tx.commit().await?;
    let recon = recon::summary(db, recon_interval).await?;
    let refunds_awaiting = refunds::pending_count(db).await?;

    let days = Days { first: first_day, count: CHART_DAYS };
    let mut charts = Vec::new();
    let mut volume = Vec::new();
    for currency in currencies.iter().filter(|c| payments.iter().any(|p| p.currency == c.code)) {
        let mine: Vec<&DayPayments> = payments.iter().filter(|p| p.currency == currency.code).collect();
        volume.push(currency_volume(currency, &mine, today));
        charts.push(payments_chart(locale, currency, &days.spread(mine.iter().map(|p| (p.day, p.amount))), first_day));
    }
    charts.push(cases_chart(locale, &days.running(flow.live_at_start, &flow.opened, &flow.closed), first_day));
    charts.push(lag_chart(locale, &days.spread(slowest), first_day));

    Ok(Dashboard {
        as_of: format_minute(locale, now, utc_offset),
        volume,
        mirror: MirrorHealth {
            delivered,
            pending,
            failed,
            delivered_share: share(delivered, delivered + pending + failed),
            pending_now: backlog.pending,
            failed_now: backlog.failed,
            oldest_pending: backlog.oldest_pending.map(|at| age(locale, now - at)),
        },
        cases: recon.cells,
        open_cases: recon.open,
        refunds_awaiting,
        invoices_awaiting,
        oldest_invoice_wait: oldest_invoice.map(|at| age(locale, now - at)),
        last_run: recon.recent_runs.into_iter().next(),
        charts,
    })
}

fn currency_volume(currency: &Currency, days: &[&DayPayments], today: i64) -> CurrencyVolume {
    let windows = WINDOWS
        .iter()
        .map(|&n| {
            let first = today - (n - 1);
            let within = days.iter().filter(|p| p.day >= first);
            let (count, amount, fiat) =
                within.fold((0i64, 0i64, 0i64), |(c, a, f), p| (c.saturating_add(p.count), a.saturating_add(p.amount), f.saturating_add(p.fiat)));
            VolumeWindow {
                days: n,
                from: chart::date(first),
                count,
                local: format_local(amount, currency.exponent, &currency.code),
                fiat: format_fiat(fiat, &currency.fiat_currency),
            }
        })
        .collect();
    CurrencyVolume { currency: currency.code.clone(), windows }
}

/// The chart's days, oldest first.
struct Days {
    first: i64,
    count: i64,
}

impl Days {
    /// One value per day from `(day, value)` pairs; a day without one is 0.
    fn spread(&self, values: impl IntoIterator<Item = (i64, i64)>) -> Vec<i64> {
        let mut out: Vec<i64> = vec![0; usize::try_from(self.count).unwrap_or(0)];
        for (day, value) in values {
            if let Some(slot) = usize::try_from(day - self.first).ok().and_then(|i| out.get_mut(i)) {
                *slot = slot.saturating_add(value);
            }
        }
        out
    }

    /// A count at each day's end: `start`, plus what came in, less what went out, day by day.
    fn running(&self, start: i64, came: &[(i64, i64)], went: &[(i64, i64)]) -> Vec<i64> {
        let came = self.spread(came.iter().copied());
        let went = self.spread(went.iter().copied());
        came.iter()
            .zip(&went)
            .scan(start, |live, (c, w)| {
                *live += c - w;
                Some(*live)
            })
            .collect()
    }
}

fn payments_chart(locale: Locale, currency: &Currency, amounts: &[i64], first_day: i64) -> Chart {
    let t = texts(locale);
    let exponent = currency.exponent;
    let label = |v: i64| whole(v, exponent);
    let code = currency.code.as_str();
    let title = fill(t.chart_payments, &[code, &CHART_DAYS.to_string()]);
    let total: i64 = amounts.iter().fold(0, |sum, v| sum.saturating_add(*v));
    let description = match peak(amounts, first_day) {
        Some((day, v)) => fill(t.chart_payments_desc, &[&format_local(total, exponent, code), &day, &format_local(v, exponent, code)]),
        None => fill(t.chart_payments_none, &[code]),
    };
    let id = format!("payments-{}", code.to_ascii_lowercase());
    Chart {
        svg: chart::draw(&DailySeries { id: &id, title: &title, description: &description, first_day, values: amounts, shape: Shape::Bars, label: &label }),
        title,
    }
}

fn cases_chart(locale: Locale, live: &[i64], first_day: i64) -> Chart {
    let t = texts(locale);
    let label = |v: i64| format_number(v, 0);
    let title = t.chart_cases.to_string();
    let description = match (live.last(), peak(live, first_day)) {
        (Some(now), Some((day, most))) => fill(t.chart_cases_desc, &[&now.to_string(), &most.to_string(), &day]),
        _ => t.chart_cases_none.to_string(),
    };
    Chart {
        svg: chart::draw(&DailySeries { id: "cases", title: &title, description: &description, first_day, values: live, shape: Shape::Line, label: &label }),
        title,
    }
}

fn lag_chart(locale: Locale, slowest: &[i64], first_day: i64) -> Chart {
    let t = texts(locale);
    let label = |ms: i64| age(locale, ms);
    let title = t.chart_lag.to_string();
    let description = match peak(slowest, first_day) {
        Some((day, ms)) => fill(t.chart_lag_desc, &[&age(locale, ms), &day]),
        None => t.chart_lag_none.to_string(),
    };
    Chart {
        svg: chart::draw(&DailySeries { id: "lag", title: &title, description: &description, first_day, values: slowest, shape: Shape::Bars, label: &label }),
        title,
    }
}

/// The highest value and its day, when any value is above zero.
fn peak(values: &[i64], first_day: i64) -> Option<(String, i64)> {
    let (i, v) = values.iter().enumerate().max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)))?;
    (*v > 0).then(|| (chart::date(first_day + i64::try_from(i).unwrap_or(0)), *v))
}

/// An amount in major units, grouped, without a fraction that is all zeros: axis labels read
/// `5,000`, not `5,000.00`.
fn whole(minor: i64, exponent: u32) -> String {
    let text = format_number(minor, exponent);
    match text.split_once('.') {
        Some((units, fraction)) if fraction.bytes().all(|b| b == b'0') => units.to_string(),
        _ => text,
    }
}

/// `part` of `all` as a percentage to one decimal, rounded down, so 99.96 % is not "100.0 %".
fn share(part: i64, all: i64) -> Option<String> {
    (all > 0).then(|| {
        let per_mille = i128::from(part) * 1000 / i128::from(all);
        format!("{}.{} %", per_mille / 10, per_mille % 10)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_spread_values_and_keep_a_running_count() {
        let days = Days { first: 100, count: 4 };
        assert_eq!(days.spread([(99, 5), (100, 1), (102, 2), (102, 3), (104, 9)]), vec![1, 0, 5, 0]);
        assert_eq!(days.running(10, &[(100, 2), (103, 1)], &[(101, 5)]), vec![12, 7, 7, 8]);
    }

    #[test]
    fn shares_round_down() {
        assert_eq!(share(0, 0), None);
        assert_eq!(share(9_996, 10_000).as_deref(), Some("99.9 %"));
        assert_eq!(share(3, 3).as_deref(), Some("100.0 %"));
    }

    #[test]
    fn axis_amounts_drop_only_a_zero_fraction() {
        assert_eq!(whole(500_000, 2), "5,000");
        assert_eq!(whole(500_050, 2), "5,000.50");
        assert_eq!(whole(1_234, 0), "1,234");
    }

    #[test]
    fn the_peak_is_the_first_highest_day() {
        assert_eq!(peak(&[0, 4, 4, 1], 0), Some(("1970-01-02".to_string(), 4)));
        assert_eq!(peak(&[0, 0], 0), None);
    }
}
