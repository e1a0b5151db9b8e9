//! Setting up a local currency and its peg.

use crate::domain::AppError;
use crate::domain::money::{MAX_EXPONENT, fiat_exponent};
use crate::say;
use crate::server::db::Db;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::currencies::{self, Currency};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

pub struct CurrencyInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub exponent: &'a str,
    pub fiat_currency: &'a str,
    pub peg_rate: &'a str,
    pub payment_method_type: &'a str,
    pub payment_method_name: &'a str,
}

pub fn parse(input: &CurrencyInput<'_>) -> Result<Currency, AppError> {
    let code = input.code.trim().to_uppercase();
    if !(2..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::validation("code", say!("use 2 to 8 letters or digits, like SRB", "SRB のように、2〜8文字の英数字で入力してください")));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation("name", say!("enter a name of at most 100 characters", "100文字以内で名前を入力してください")));
    }
    let exponent: u32 =
        input.exponent.trim().parse().ok().filter(|e| *e <= MAX_EXPONENT).ok_or_else(|| {
            AppError::validation("exponent", say!("enter a whole number from 0 to {MAX_EXPONENT}", "0〜{MAX_EXPONENT}の整数を入力してください"))
        })?;
    let fiat = input.fiat_currency.trim().to_lowercase();
    if fiat.len() != 3 || !fiat.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(AppError::validation(
            "fiat_currency",
            say!("use a three-letter ISO code Stripe supports, like jpy", "jpy のように、Stripe が対応する3文字の ISO コードを入力してください"),
        ));
    }
    let rate = Decimal::from_str(input.peg_rate.trim()).ok().filter(|r| r.is_sign_positive() && !r.is_zero()).ok_or_else(|| {
        AppError::validation("peg_rate", say!("enter a positive decimal number, like 1 or 0.95", "1 や 0.95 のような正の数を入力してください"))
    })?;
    let cpmt = input.payment_method_type.trim();
    if !cpmt.starts_with("cpmt_") || cpmt.len() < 6 {
        return Err(AppError::validation(
            "payment_method_type",
            say!(
                "use the custom payment method type id from Stripe, like cpmt_123",
                "cpmt_123 のような、Stripe のカスタム決済手段タイプの ID を入力してください"
            ),
        ));
    }
    let display = input.payment_method_name.trim();
    if display.is_empty() {
        return Err(AppError::validation(
            "payment_method_name",
            say!("enter the name shown on Payment Records", "Payment Record に表示する名称を入力してください"),
        ));
    }
    Ok(Currency {
        code,
        name: name.to_string(),
        exponent,
        fiat_exponent: fiat_exponent(&fiat),
        fiat_currency: fiat,
        peg_rate: rate.normalize(),
        payment_method_type: cpmt.to_string(),
        payment_method_name: display.to_string(),
        refund_approval_threshold: None,
    })
}

/// Creates or changes a currency, audited. Its exponent and fiat currency are fixed once
/// transactions use it; a new peg rate applies to payments posted from then on.
pub async fn save(db: &Db, actor: &Actor, currency: Currency) -> Result<Currency, AppError> {
    let mut tx = db.begin_write().await?;
    let before = currencies::find_tx(&mut tx.tx, &currency.code).await?;
    if let Some(old) = &before
        && old.exponent != currency.exponent
        && currencies::in_use(&mut tx.tx, &currency.code).await?
    {
        return Err(AppError::validation(
            "exponent",
            say!("cannot change once transactions use this currency", "この通貨を使う取引がある場合は変更できません"),
        ));
    }
    // Payments already posted are reported and refunded in the fiat they were converted to.
    if let Some(old) = &before
        && old.fiat_currency != currency.fiat_currency
        && currencies::in_use(&mut tx.tx, &currency.code).await?
    {
        return Err(AppError::validation(
            "fiat_currency",
            say!("cannot change once transactions use this currency", "この通貨を使う取引がある場合は変更できません"),
        ));
    }
    currencies::upsert(&mut tx.tx, &currency).await?;
    let snapshot = |c: &Currency| json!(c.view());
    let event = AuditEvent {
        action: if before.is_some() { "currency.update" } else { "currency.create" },
        target: &format!("currency:{}", currency.code),
        before: before.as_ref().map(snapshot),
        after: Some(snapshot(&currency)),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(currency)
}
