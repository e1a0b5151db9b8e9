//! Turning the transactions page's text filters into a query, with errors that name the field.

use crate::api::form::choice;
use crate::domain::AppError;
use crate::domain::ledger::{MirrorState, TransactionKind, TransactionPage};
use crate::domain::money::parse_amount;
use crate::say;
use crate::server::db::accounts::AccountFilter;
use crate::server::db::audit::AuditFilter;
use crate::server::db::currencies::Currency;
use crate::server::db::ledger::{self, TransactionFilter};
use crate::server::db::{DAY_MS, Db, accounts, currencies};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct TransactionQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    /// An account's external reference.
    pub account: Option<String>,
    /// The local currency's code; amounts are read in it.
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub mirror_state: Option<String>,
    pub before: Option<String>,
}

/// The accounts list's filters as its URL carries them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AccountQuery {
    pub search: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
}

impl AccountQuery {
    /// The filter for `limit` accounts after `after` (name and id) in the list's order.
    pub fn filter(self, after: Option<(String, String)>, limit: i64) -> Result<AccountFilter, AppError> {
        Ok(AccountFilter { search: given(self.search), kind: choice("kind", self.kind)?, status: choice("status", self.status)?, after, limit })
    }
}

/// The audit log's filters as its URL carries them; days are `YYYY-MM-DD` (UTC, `to` inclusive).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl AuditQuery {
    /// The filter for `limit` events older than the event `before`.
    pub fn filter(self, before: Option<String>, limit: i64) -> Result<AuditFilter, AppError> {
        Ok(AuditFilter {
            actor: given(self.actor).map(|a| a.to_lowercase()),
            action: given(self.action),
            from_ms: given(self.from).map(|d| day_start_ms("from", &d)).transpose()?,
            to_ms: given(self.to).map(|d| day_start_ms("to", &d).map(|ms| ms + DAY_MS)).transpose()?,
            before: given(before),
            limit,
        })
    }
}

/// A filter field as typed: trimmed, and `None` when left empty.
pub fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An amount range as a filter types it, read in the currency it filters on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AmountRange {
    pub currency: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Reads `min_amount` and `max_amount` with the exponent of `currency` (a code of `known`):
/// an amount means nothing without its currency, so with several currencies one must be
/// chosen, and with one it is implied.
pub fn amount_range(known: &[Currency], currency: Option<String>, min: Option<String>, max: Option<String>) -> Result<AmountRange, AppError> {
    let chosen = match given(currency) {
        Some(code) => Some(
            known
                .iter()
                .find(|c| c.code == code)
                .ok_or_else(|| AppError::validation("currency", say!("there is no currency '{code}'", "通貨「{code}」は存在しません")))?,
        ),
        None => None,
    };
    let (min, max) = (given(min), given(max));
    let in_currency = match (chosen, &min, &max) {
        (Some(c), _, _) => Some(c),
        (None, None, None) => None,
        (None, _, _) => match known {
            [only] => Some(only),
            _ => {
                let field = if min.is_some() { "min_amount" } else { "max_amount" };
                return Err(AppError::validation(field, say!("choose the currency the amount is in", "金額の通貨を選択してください")));
            }
        },
    };
    let read = |field: &str, raw: Option<String>| -> Result<Option<i64>, AppError> {
        match (raw, in_currency) {
            (Some(r), Some(c)) => parse_amount(&r, c.exponent).map(Some).map_err(|e| AppError::validation(field, e)),
            _ => Ok(None),
        }
    };
    Ok(AmountRange { currency: in_currency.map(|c| c.code.clone()), min: read("min_amount", min)?, max: read("max_amount", max)? })
}

/// A keyset page cursor `<ms>_<id>`: where the last row shown sat in a newest-first order.
pub fn parse_cursor(field: &str, cursor: &str) -> Result<(i64, String), AppError> {
    let parsed = cursor.split_once('_').and_then(|(at, id)| at.parse::<i64>().ok().map(|at| (at, id.to_string())));
    parsed.ok_or_else(|| AppError::validation(field, say!("is not a page cursor", "ページの指定が正しくありません")))
}

const DAY_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

fn parse_day(field: &str, date: &str) -> Result<time::Date, AppError> {
    time::Date::parse(date, DAY_FORMAT)
        .map_err(|_| AppError::validation(field, say!("use a date like 2026-11-26", "2026-11-26 のような形式で日付を入力してください")))
}

fn midnight_ms(day: time::Date) -> i64 {
    day.midnight().assume_utc().unix_timestamp() * 1000
}

/// Midnight UTC of a `YYYY-MM-DD` day, in ms.
pub fn day_start_ms(field: &str, date: &str) -> Result<i64, AppError> {
    parse_day(field, date).map(midnight_ms)
}

/// A statement's period: whole days in UTC, the first and the last included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPeriod {
    pub from: String,
    pub to: String,
    /// `[from_ms, to_ms)`: from the first day's midnight to the midnight after the last day.
    pub from_ms: i64,
    pub to_ms: i64,
}

/// The period `from`..=`to` as typed, each side defaulting to the first or the last day of the
/// month `now_ms` falls in.
pub fn statement_period(from: Option<String>, to: Option<String>, now_ms: i64) -> Result<StatementPeriod, AppError> {
    let today = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .map_err(|_| AppError::validation("to", say!("no such time", "存在しない日時です")))?
        .date();
    let (year, month) = (today.year(), today.month());
    let first = time::Date::from_calendar_date(year, month, 1).map_err(|_| AppError::validation("from", say!("no such day", "存在しない日付です")))?;
    let last =
        time::Date::from_calendar_date(year, month, month.length(year)).map_err(|_| AppError::validation("to", say!("no such day", "存在しない日付です")))?;
    let from = given(from).map(|d| parse_day("from", &d)).transpose()?.unwrap_or(first);
    let to = given(to).map(|d| parse_day("to", &d)).transpose()?.unwrap_or(last);
    if to < from {
        return Err(AppError::validation("to", say!("the period ends before it starts", "期間の終了日が開始日より前です")));
    }
    let after_last = to.next_day().ok_or_else(|| AppError::validation("to", say!("is too far in the future", "遠すぎる将来の日付です")))?;
    let text = |day: time::Date| day.format(DAY_FORMAT).unwrap_or_default();
    Ok(StatementPeriod { from: text(from), to: text(to), from_ms: midnight_ms(from), to_ms: midnight_ms(after_last) })
}

pub async fn transactions_page(db: &Db, q: TransactionQuery, live: bool) -> Result<TransactionPage, AppError> {
    let filter = transaction_filter(db, q, PAGE_SIZE).await?;
    let (rows, next_cursor) = ledger::list_views(db, &filter).await?;
    Ok(TransactionPage { rows, next_cursor, live })
}

/// The list's filter from its text fields, reading `limit` rows a page; errors name the field.
pub async fn transaction_filter(db: &Db, q: TransactionQuery, limit: i64) -> Result<TransactionFilter, AppError> {
    let amounts = amount_range(&currencies::list(db).await?, q.currency, q.min_amount, q.max_amount)?;
    let account_id = match given(q.account) {
        None => None,
        // An unknown account matches nothing, which the page shows as an empty result.
        Some(reference) => Some(accounts::find_by_external_ref(db, &reference).await?.map(|a| a.id).unwrap_or_default()),
    };
    let filter = TransactionFilter {
        from_ms: given(q.from).map(|d| day_start_ms("from", &d)).transpose()?,
        to_ms: given(q.to).map(|d| day_start_ms("to", &d).map(|ms| ms + 86_400_000)).transpose()?,
        kind: given(q.kind).map(|k| k.parse::<TransactionKind>().map_err(|e| AppError::validation("kind", e))).transpose()?,
        account_id,
        currency: amounts.currency,
        min_amount: amounts.min,
        max_amount: amounts.max,
        mirror_state: given(q.mirror_state).map(|s| s.parse::<MirrorState>().map_err(|e| AppError::validation("mirror_state", e))).transpose()?,
        before: given(q.before),
        limit,
    };
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn currency(code: &str, exponent: u32) -> Currency {
        Currency {
            code: code.into(),
            name: code.into(),
            exponent,
            fiat_currency: "jpy".into(),
            fiat_exponent: 0,
            peg_rate: Decimal::ONE,
            payment_method_type: format!("cpmt_{code}"),
            payment_method_name: code.into(),
            refund_approval_threshold: None,
        }
    }

    fn text(s: &str) -> Option<String> {
        Some(s.into())
    }

    #[test]
    fn a_statement_covers_this_month_unless_told_otherwise() {
        let november_27 = 1_795_773_600_000; // 2026-11-27T10:00:00Z
        let month = statement_period(None, Some(" ".into()), november_27).expect("this month");
        assert_eq!((month.from.as_str(), month.to.as_str()), ("2026-11-01", "2026-11-30"));
        assert_eq!(month.to_ms - month.from_ms, 30 * 86_400_000);
        let day = statement_period(text("2026-02-28"), text("2026-02-28"), november_27).expect("one day");
        assert_eq!(day.to_ms - day.from_ms, 86_400_000);
        let field = |e: AppError| match e {
            AppError::Validation { field, .. } => field,
            other => other.to_string(),
        };
        assert_eq!(statement_period(text("2026-03-02"), text("2026-03-01"), november_27).map_err(field), Err("to".to_string()));
        assert_eq!(statement_period(text("March"), None, november_27).map_err(field), Err("from".to_string()));
    }

    #[test]
    fn amounts_are_read_in_the_chosen_currency() {
        let known = [currency("SARU", 0), currency("EURC", 2)];
        let range = amount_range(&known, text("EURC"), text("12.5"), None).expect("range");
        assert_eq!(range, AmountRange { currency: text("EURC"), min: Some(1250), max: None });
        let range = amount_range(&known, text("SARU"), None, text("300")).expect("range");
        assert_eq!(range, AmountRange { currency: text("SARU"), min: None, max: Some(300) });
    }

    #[test]
    fn with_several_currencies_an_amount_needs_one() {
        let known = [currency("SARU", 0), currency("EURC", 2)];
        let err = amount_range(&known, None, None, text("5")).expect_err("ambiguous");
        assert!(err.to_string().contains("max_amount"), "{err}");
        assert_eq!(amount_range(&known, None, None, None).expect("no filter"), AmountRange::default());
    }

    #[test]
    fn one_currency_is_implied_and_an_unknown_one_is_named() {
        let known = [currency("SARU", 0)];
        assert_eq!(amount_range(&known, None, text("7"), None).expect("implied").currency, text("SARU"));
        let err = amount_range(&known, text("NOPE"), text("7"), None).expect_err("unknown");
        assert!(err.to_string().contains("currency"), "{err}");
        let err = amount_range(&known, None, text("7.5"), None).expect_err("finer than the currency");
        assert!(err.to_string().contains("min_amount"), "{err}");
    }
}
