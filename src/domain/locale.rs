//! The console's languages, and how amounts, numbers and times read in each.

use super::ledger::text_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// A language of the console. Japanese is first-class: every text exists in both.
    Locale { En => "en", Ja => "ja" }
);

impl Locale {
    /// The language a browser's `Accept-Language` prefers most among ours (by its q-values,
    /// the earlier on a tie); English when it names neither.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(u32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces.find_map(|p| p.trim().strip_prefix("q=").map(str::to_string)).map_or(1000, |q| parse_quality(&q));
            let primary = tag.split('-').next().unwrap_or("");
            let Ok(locale) = primary.parse::<Locale>() else { continue };
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
        best.map_or(Locale::En, |(_, locale)| locale)
    }

    /// The other language, for the switch that offers it.
    pub fn other(self) -> Locale {
        match self {
            Locale::En => Locale::Ja,
            Locale::Ja => Locale::En,
        }
    }

    /// The time zone its readers most likely live in, until they choose one: Japan for
    /// Japanese, UTC for English.
    pub fn usual_utc_offset(self) -> i32 {
        match self {
            Locale::En => 0,
            Locale::Ja => 9 * 60,
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Ja => "日本語",
        }
    }
}

/// The time zones a user can choose, in minutes east of UTC: every zone in use today, as a
/// fixed offset. Japan keeps no daylight saving time; a zone that does is an hour off for part
/// of the year (IANA rules would need a time zone database in the browser bundle).
pub const UTC_OFFSETS: [i32; 38] = [
    -720, -660, -600, -570, -540, -480, -420, -360, -300, -240, -210, -180, -120, -60, 0, 60, 120, 180, 210, 240, 270, 300, 330, 345, 360, 390, 420, 480, 525,
    540, 570, 600, 630, 660, 720, 765, 780, 840,
];

/// `UTC+09:00`, `UTC-03:30`, `UTC`.
pub fn utc_offset_name(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".to_string();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// A stored moment, as the server writes it (`2026-11-26T16:26:40.849Z`, RFC 3339 in UTC), in
/// Unix ms; `None` for anything else.
pub fn parse_utc(at: &str) -> Option<i64> {
    let bytes = at.as_bytes();
    let number =
        |from: usize, len: usize| -> Option<i64> { at.get(from..from + len).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse().ok()) };
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' || bytes[13] != b':' || bytes[16] != b':' || !at.ends_with('Z') {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 2)?, number(8, 2)?);
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = match &at[19..at.len() - 1] {
        "" => 0,
        fraction => {
            let digits = fraction.strip_prefix('.')?;
            let padded: String = digits.chars().chain("000".chars()).take(3).collect();
            padded.bytes().all(|b| b.is_ascii_digit()).then(|| padded.parse::<i64>().ok()).flatten()?
        }
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Days from 1970-01-01 to a date (Howard Hinnant's algorithm, the inverse of `civil_from_days`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A q-value (`0.8`) in thousandths; malformed ones count as 0 (not acceptable).
fn parse_quality(q: &str) -> u32 {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let digits: String = fraction.chars().take(3).collect();
    match (whole, digits.parse::<u32>().ok().or((digits.is_empty()).then_some(0))) {
        ("1", _) => 1000,
        ("0", Some(f)) => f * 10u32.pow(3 - digits.len() as u32),
        _ => 0,
    }
}

/// Digits grouped by thousands, the same in both languages: `1234567` → `1,234,567`.
pub fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Minor units with `exponent` decimals and grouped thousands: `(123456750, 2)` → `1,234,567.50`.
pub fn format_number(minor: i64, exponent: u32) -> String {
    let plain = super::money::format_amount(minor, exponent);
    let (sign, unsigned) = plain.strip_prefix('-').map_or(("", plain.as_str()), |rest| ("-", rest));
    let (units, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(u, f)| (u, Some(f)));
    let grouped = group_thousands(units);
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A fiat amount as people write it: a symbol before the number where the currency has a
/// common one (`¥1,234`, `$12.50`), the code after it otherwise (`1,234.00 CHF`).
pub fn format_fiat(minor: i64, fiat: &str) -> String {
    let number = format_number(minor, super::money::fiat_exponent(fiat));
    let symbol = match fiat.to_ascii_lowercase().as_str() {
        "jpy" => Some("¥"),
        "usd" => Some("$"),
        "eur" => Some("€"),
        "gbp" => Some("£"),
        _ => None,
    };
    match (symbol, number.strip_prefix('-')) {
        (Some(s), Some(abs)) => format!("-{s}{abs}"),
        (Some(s), None) => format!("{s}{number}"),
        (None, _) => format!("{number} {}", fiat.to_ascii_uppercase()),
    }
}

/// A local-currency amount: the number, then the currency's unit (`1,234 SRB`).
pub fn format_local(minor: i64, exponent: u32, unit: &str) -> String {
    format!("{} {unit}", format_number(minor, exponent))
}

/// A moment (Unix ms) to the minute in a time zone `offset_minutes` east of UTC:
/// `27 Nov 2026, 13:45` in English, `2026年11月27日 13:45` in Japanese.
pub fn format_minute(locale: Locale, ms: i64, offset_minutes: i32) -> String {
    let local = ms.div_euclid(60_000) + i64::from(offset_minutes);
    let (days, minute_of_day) = (local.div_euclid(1440), local.rem_euclid(1440));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (minute_of_day / 60, minute_of_day % 60);
    match locale {
        Locale::En => format!("{day} {} {year}, {hour:02}:{minute:02}", MONTHS[(month - 1) as usize]),
        Locale::Ja => format!("{year}年{month}月{day}日 {hour:02}:{minute:02}"),
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Year, month (1–12) and day of a day counted from 1970-01-01 (Howard Hinnant's algorithm),
/// so the browser bundle needs no calendar library.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_picks_ours_by_quality() {
        assert_eq!(Locale::from_accept_language("ja,en-US;q=0.9,en;q=0.8"), Locale::Ja);
        assert_eq!(Locale::from_accept_language("ja-JP"), Locale::Ja);
        assert_eq!(Locale::from_accept_language("en-GB,ja;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr-FR,fr;q=0.9,ja;q=0.7,en;q=0.3"), Locale::Ja);
        assert_eq!(Locale::from_accept_language("en;q=0.2, ja;q=0.25"), Locale::Ja);
        assert_eq!(Locale::from_accept_language("ja;q=0"), Locale::En);
        assert_eq!(Locale::from_accept_language("de, *"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
        assert_eq!(Locale::from_accept_language("ja;q=banana"), Locale::En);
    }

    #[test]
    fn numbers_group_by_thousands_in_both_languages() {
        assert_eq!(format_number(0, 0), "0");
        assert_eq!(format_number(999, 0), "999");
        assert_eq!(format_number(1_000, 0), "1,000");
        assert_eq!(format_number(123_456_750, 2), "1,234,567.50");
        assert_eq!(format_number(-1_234_500, 2), "-12,345.00");
        assert_eq!(format_number(i64::MIN, 0), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(format_fiat(1_234, "jpy"), "¥1,234");
        assert_eq!(format_fiat(-1_250, "usd"), "-$12.50");
        assert_eq!(format_fiat(123_400, "chf"), "1,234.00 CHF");
        assert_eq!(format_local(1_234, 0, "SRB"), "1,234 SRB");
    }

    #[test]
    fn stored_moments_parse_and_nothing_else_does() {
        assert_eq!(parse_utc("2026-11-26T16:26:40.849Z"), Some(1_795_710_400_849));
        assert_eq!(parse_utc("2026-11-26T16:26:40Z"), Some(1_795_710_400_000));
        assert_eq!(parse_utc("2026-11-26T16:26:40.8Z"), Some(1_795_710_400_800));
        assert_eq!(parse_utc("1969-12-31T23:00:00Z"), Some(-3_600_000));
        assert_eq!(parse_utc("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        for bad in ["", "2026-11-26", "2026-11-26T16:26:40+09:00", "2026-13-26T16:26:40Z", "2026-11-26T16:26:40.x9Z", "２026-11-26T16:26:40Z"] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn offsets_are_named_as_people_know_them() {
        assert_eq!(utc_offset_name(540), "UTC+09:00");
        assert_eq!(utc_offset_name(-210), "UTC-03:30");
        assert_eq!(utc_offset_name(0), "UTC");
        assert!(UTC_OFFSETS.windows(2).all(|w| w[0] < w[1]) && UTC_OFFSETS.contains(&540));
        assert_eq!((Locale::Ja.usual_utc_offset(), Locale::En.usual_utc_offset()), (540, 0));
    }

    #[test]
    fn times_read_in_the_zone_and_language_asked() {
        // 2026-11-26T16:26:40Z
        let at = 1_795_710_400_000;
        assert_eq!(format_minute(Locale::En, at, 0), "26 Nov 2026, 16:26");
        assert_eq!(format_minute(Locale::Ja, at, 9 * 60), "2026年11月27日 01:26");
        assert_eq!(format_minute(Locale::En, 0, -60), "31 Dec 1969, 23:00");
        assert_eq!(format_minute(Locale::Ja, 951_782_400_000, 0), "2000年2月29日 00:00");
    }
}
