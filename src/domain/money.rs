//! Money: integer minor units plus a currency, and the one conversion rule between a local
//! currency and the fiat it is pegged to.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest exponent Regio accepts for any currency (minor units per major unit = 10^exp).
pub const MAX_EXPONENT: u32 = 6;

/// The largest amount Regio accepts, in minor units of any currency: 10^15 (¥1,000 trillion;
/// 10 trillion of a two-decimal currency). Far above any real payment, and small enough that
/// sums stay exact: `i64` holds 9,223 such amounts, a batch of 1,000 moves at most 10^18, and a
/// refund total never exceeds its payment. Balances, which add up without end, are checked at
/// each posting instead (see `ledger::posting`).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// An amount in a currency's minor units (e.g. yen for JPY, cents for USD): how amounts travel
/// inside the server. Arithmetic is checked and never mixes currencies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Money { minor, currency: currency.into() }
    }

    /// The sum, or `None` when the currencies differ or it would not fit.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency).then_some(())?;
        Some(Money::new(self.minor.checked_add(other.minor)?, self.currency.clone()))
    }

    /// The difference, or `None` when the currencies differ or it would not fit.
    pub fn checked_sub(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency).then_some(())?;
        Some(Money::new(self.minor.checked_sub(other.minor)?, self.currency.clone()))
    }

    /// The same currency, a different amount.
    pub fn with_minor(&self, minor: i64) -> Money {
        Money::new(minor, self.currency.clone())
    }

    /// For people, with the currency's `exponent`: `Money::new(1250, "SRB").format(2) == "12.50 SRB"`.
    pub fn format(&self, exponent: u32) -> String {
        format!("{} {}", format_amount(self.minor, exponent), self.currency.to_uppercase())
    }

    /// For people, in a Stripe (fiat) currency, whose exponent Stripe fixes.
    pub fn format_fiat(&self) -> String {
        self.format(fiat_exponent(&self.currency))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("enter a number like 1500 or 12.50")]
    NotANumber,
    #[error("use at most {0} decimal place(s) for this currency")]
    TooManyDecimals(u32),
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("the amount is too large: at most {0}")]
    TooLarge(String),
}

impl From<AmountError> for super::Message {
    fn from(e: AmountError) -> Self {
        let en = e.to_string();
        let ja = match e {
            AmountError::NotANumber => "1500 や 12.50 のような数値を入力してください".into(),
            AmountError::TooManyDecimals(0) => "この通貨では小数を使えません".into(),
            AmountError::TooManyDecimals(places) => format!("この通貨では小数点以下{places}桁までにしてください"),
            AmountError::NotPositive => "金額は0より大きくしてください".into(),
            AmountError::TooLarge(most) => format!("金額が大きすぎます（上限 {most}）"),
        };
        Self { en, ja: Some(ja) }
    }
}

/// Parses a decimal string (`"1500"`, `"12.50"`) into minor units of a currency with `exponent`
/// decimal places. Refuses signs, exponents, separators, anything that would round, and amounts
/// above [`MAX_AMOUNT`].
pub fn parse_amount(raw: &str, exponent: u32) -> Result<i64, AmountError> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || (raw.contains('.') && fraction.is_empty()) {
        return Err(AmountError::NotANumber);
    }
    let significant = fraction.trim_end_matches('0');
    if significant.len() as u32 > exponent {
        return Err(AmountError::TooManyDecimals(exponent));
    }
    let too_large = || AmountError::TooLarge(format_amount(MAX_AMOUNT, exponent));
    let scale = 10i64.checked_pow(exponent).ok_or_else(too_large)?;
    let whole: i64 = whole.parse().map_err(|_| too_large())?;
    let padded = format!("{significant:0<width$}", width = exponent as usize);
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().map_err(|_| too_large())? };
    let minor = whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or_else(too_large)?;
    if minor <= 0 {
        return Err(AmountError::NotPositive);
    }
    if minor > MAX_AMOUNT {
        return Err(too_large());
    }
    Ok(minor)
}

/// Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal); others use 2.
const ZERO_DECIMAL: [&str; 16] = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];

/// Decimal places of a Stripe currency's minor unit.
pub fn fiat_exponent(fiat: &str) -> u32 {
    if ZERO_DECIMAL.contains(&fiat.to_ascii_lowercase().as_str()) { 0 } else { 2 }
}

/// A fiat amount for people: `format_fiat(1200, "jpy") == "1200 JPY"`.
pub fn format_fiat(minor: i64, fiat: &str) -> String {
    Money::new(minor, fiat).format_fiat()
}

/// Formats minor units with `exponent` decimal places: `format_amount(1250, 2) == "12.50"`.
pub fn format_amount(minor: i64, exponent: u32) -> String {
    let exponent = exponent.min(MAX_EXPONENT);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(exponent);
    if exponent == 0 {
        return format!("{sign}{abs}");
    }
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = exponent as usize)
}

/// How a local amount becomes fiat: `fiat = local × rate`, in major units, rounded to the fiat's
/// minor unit **half away from zero** (¥0.5 → ¥1). This is the one rounding rule in Regio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peg {
    pub local_exponent: u32,
    pub fiat_exponent: u32,
    /// Fiat major units per local major unit.
    pub rate: Decimal,
}

impl Peg {
    /// Converts local minor units to fiat minor units; `None` if the result does not fit `i64`.
    pub fn to_fiat(&self, local_minor: i64) -> Option<i64> {
        let local = Decimal::from_i128_with_scale(local_minor as i128, self.local_exponent);
        let fiat_major = local.checked_mul(self.rate)?;
        let fiat_minor = fiat_major.checked_mul(Decimal::from(10i64.checked_pow(self.fiat_exponent)?))?;
        fiat_minor.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64()
    }

    /// Converts fiat minor units back to local minor units (`local = fiat ÷ rate`) with the same
    /// half-away-from-zero rule: used for what Stripe holds that the ledger does not (an orphan
    /// record, a difference to adjust). `None` for a zero rate or an amount that does not fit.
    pub fn to_local(&self, fiat_minor: i64) -> Option<i64> {
        let fiat = Decimal::from_i128_with_scale(fiat_minor as i128, self.fiat_exponent);
        let local_major = fiat.checked_div(self.rate)?;
        let local_minor = local_major.checked_mul(Decimal::from(10i64.checked_pow(self.local_exponent)?))?;
        local_minor.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64()
    }

    /// The fiat amount of the refund that brings a payment's refunded total from
    /// `refunded_before` to `refunded_before + refund` (local minor units). Converting the running
    /// total rather than each refund means the refunds of a whole payment add up to exactly the
    /// payment's fiat amount, never a yen more.
    pub fn refund_to_fiat(&self, refunded_before: i64, refund: i64) -> Option<i64> {
        let after = self.to_fiat(refunded_before.checked_add(refund)?)?;
        Some(after - self.to_fiat(refunded_before)?)
    }
}

/// Minor units and the code, for logs and audit rows (people get `format`).
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (minor units)", self.minor, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn money_adds_and_subtracts_only_within_its_currency() {
        let a = Money::new(1_000, "SRB");
        assert_eq!(a.checked_add(&Money::new(250, "SRB")), Some(Money::new(1_250, "SRB")));
        assert_eq!(a.checked_sub(&Money::new(1_250, "SRB")), Some(Money::new(-250, "SRB")));
        assert_eq!(a.checked_add(&Money::new(1, "jpy")), None, "currencies never mix");
        assert_eq!(Money::new(i64::MAX, "SRB").checked_add(&Money::new(1, "SRB")), None, "no overflow");
    }

    #[test]
    fn money_formats_with_its_exponent() {
        assert_eq!(Money::new(1250, "EURC").format(2), "12.50 EURC");
        assert_eq!(Money::new(1200, "jpy").format_fiat(), "1200 JPY");
        assert_eq!(Money::new(1250, "usd").format_fiat(), "12.50 USD");
    }

    #[test]
    fn parses_the_shapes_people_type() {
        assert_eq!(parse_amount("1500", 0), Ok(1500));
        assert_eq!(parse_amount("12.50", 2), Ok(1250));
        assert_eq!(parse_amount("12.5", 2), Ok(1250));
        assert_eq!(parse_amount("12.00", 0), Ok(12));
        assert_eq!(parse_amount("0.01", 2), Ok(1));
        assert_eq!(parse_amount("12.345", 2), Err(AmountError::TooManyDecimals(2)));
        assert_eq!(parse_amount("0", 0), Err(AmountError::NotPositive));
        for bad in ["", "-5", "+5", "1e3", "1,000", "12.", ".5", "١٢", "NaN", "12 .5"] {
            assert_eq!(parse_amount(bad, 2), Err(AmountError::NotANumber), "{bad:?}");
        }
        assert_eq!(parse_amount("99999999999999999999", 0), Err(AmountError::TooLarge("1000000000000000".into())));
        assert_eq!(parse_amount("1000000000000000", 0), Ok(MAX_AMOUNT));
        assert_eq!(parse_amount("10000000000000.01", 2), Err(AmountError::TooLarge("10000000000000.00".into())));
    }

    #[test]
    fn converts_with_half_away_from_zero() {
        let half = Peg { local_exponent: 0, fiat_exponent: 0, rate: Decimal::from_str("0.5").unwrap_or_default() };
        assert_eq!(half.to_fiat(3), Some(2));
        assert_eq!(half.to_fiat(1), Some(1));
        let cents = Peg { local_exponent: 2, fiat_exponent: 2, rate: Decimal::from_str("1.005").unwrap_or_default() };
        assert_eq!(cents.to_fiat(100), Some(101));
    }

    #[test]
    fn refunds_of_a_whole_payment_add_up_to_its_fiat_amount() {
        let half = Peg { local_exponent: 0, fiat_exponent: 0, rate: Decimal::from_str("0.5").unwrap_or_default() };
        let refunds: Vec<i64> = (0..3).map(|i| half.refund_to_fiat(i, 1).unwrap_or(-1)).collect();
        assert_eq!(refunds.iter().sum::<i64>(), half.to_fiat(3).unwrap_or(0));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(raw in ".{0,40}", exponent in 0u32..=MAX_EXPONENT) {
            let _ = parse_amount(&raw, exponent);
        }

        #[test]
        fn formatting_then_parsing_round_trips(minor in 1i64..=MAX_AMOUNT, exponent in 0u32..=MAX_EXPONENT) {
            prop_assert_eq!(parse_amount(&format_amount(minor, exponent), exponent), Ok(minor));
        }

        #[test]
        fn conversion_never_panics(minor in any::<i64>(), rate_units in any::<i64>(), scale in 0u32..=12, le in 0u32..=MAX_EXPONENT, fe in 0u32..=3) {
            let peg = Peg { local_exponent: le, fiat_exponent: fe, rate: Decimal::new(rate_units, scale) };
            let _ = peg.to_fiat(minor);
            let _ = peg.refund_to_fiat(minor, minor);
        }

        #[test]
        fn a_one_to_one_peg_round_trips(minor in 0i64..=1_000_000_000_000) {
            let peg = Peg { local_exponent: 0, fiat_exponent: 0, rate: Decimal::ONE };
            prop_assert_eq!(peg.to_fiat(minor), Some(minor));
        }

        #[test]
        fn back_conversion_never_panics(minor in any::<i64>(), rate_units in any::<i64>(), scale in 0u32..=12, le in 0u32..=MAX_EXPONENT, fe in 0u32..=3) {
            let peg = Peg { local_exponent: le, fiat_exponent: fe, rate: Decimal::new(rate_units, scale) };
            let _ = peg.to_local(minor);
        }

        #[test]
        fn a_one_to_one_peg_converts_back_exactly(minor in -1_000_000_000_000i64..=1_000_000_000_000) {
            let peg = Peg { local_exponent: 0, fiat_exponent: 0, rate: Decimal::ONE };
            prop_assert_eq!(peg.to_local(minor), Some(minor));
        }

        #[test]
        fn split_refunds_sum_to_the_payment(parts in proptest::collection::vec(1i64..10_000, 1..20), rate_units in 1i64..100_000, scale in 0u32..6) {
            let peg = Peg { local_exponent: 0, fiat_exponent: 0, rate: Decimal::new(rate_units, scale) };
            let mut before = 0;
            let mut fiat = 0;
            for part in &parts {
                fiat += peg.refund_to_fiat(before, *part).unwrap_or(0);
                before += part;
            }
            prop_assert_eq!(Some(fiat), peg.to_fiat(before));
        }
    }
}
