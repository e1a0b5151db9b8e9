use super::{Db, DbTx, now_ms};
use crate::domain::ledger::CurrencyView;
use crate::domain::money::Peg;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub name: String,
    pub exponent: u32,
    pub fiat_currency: String,
    pub fiat_exponent: u32,
    pub peg_rate: Decimal,
    pub payment_method_type: String,
    pub payment_method_name: String,
    /// Refunds above this (minor units) wait for a second person; `None`: none do.
    pub refund_approval_threshold: Option<i64>,
}

impl Currency {
    pub fn peg(&self) -> Peg {
        Peg { local_exponent: self.exponent, fiat_exponent: self.fiat_exponent, rate: self.peg_rate }
    }

    pub fn view(&self) -> CurrencyView {
        CurrencyView {
            code: self.code.clone(),
            name: self.name.clone(),
            exponent: self.exponent,
            fiat_currency: self.fiat_currency.clone(),
            fiat_exponent: self.fiat_exponent,
            peg_rate: self.peg_rate.to_string(),
            payment_method_type: self.payment_method_type.clone(),
            payment_method_name: self.payment_method_name.clone(),
            refund_approval_threshold: self.refund_approval_threshold.map(|t| crate::domain::money::format_amount(t, self.exponent)),
        }
    }
}

const COLUMNS: &str = "code, name, exponent, fiat_currency, fiat_exponent, peg_rate, payment_method_type, payment_method_name, refund_approval_threshold";

fn from_row(row: &AnyRow) -> Result<Currency, sqlx::Error> {
    let rate: String = row.try_get("peg_rate")?;
    Ok(Currency {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        exponent: row.try_get::<i64, _>("exponent")? as u32,
        fiat_currency: row.try_get("fiat_currency")?,
        fiat_exponent: row.try_get::<i64, _>("fiat_exponent")? as u32,
        peg_rate: Decimal::from_str(&rate).map_err(|e| sqlx::Error::Decode(e.into()))?,
        payment_method_type: row.try_get("payment_method_type")?,
        payment_method_name: row.try_get("payment_method_name")?,
        refund_approval_threshold: row.try_get("refund_approval_threshold")?,
    })
}

pub async fn list(db: &Db) -> Result<Vec<Currency>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM currencies ORDER BY code")).fetch_all(&db.pool).await?.iter().map(from_row).collect()
}

pub async fn list_tx(tx: &mut DbTx) -> Result<Vec<Currency>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM currencies ORDER BY code")).fetch_all(&mut **tx).await?.iter().map(from_row).collect()
}

pub async fn find(db: &Db, code: &str) -> Result<Option<Currency>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM currencies WHERE code = $1");
    sqlx::query(&sql).bind(code).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

pub async fn find_tx(tx: &mut DbTx, code: &str) -> Result<Option<Currency>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM currencies WHERE code = $1");
    sqlx::query(&sql).bind(code).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// Inserts the currency or replaces every field of the one with its code.
pub async fn upsert(tx: &mut DbTx, c: &Currency) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO currencies (code, name, exponent, fiat_currency, fiat_exponent, peg_rate, payment_method_type, \
         payment_method_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, exponent = excluded.exponent, \
         fiat_currency = excluded.fiat_currency, fiat_exponent = excluded.fiat_exponent, peg_rate = excluded.peg_rate, \
         payment_method_type = excluded.payment_method_type, payment_method_name = excluded.payment_method_name, \
         updated_at = excluded.updated_at",
    )
    .bind(&c.code)
    .bind(&c.name)
    .bind(c.exponent as i64)
    .bind(&c.fiat_currency)
    .bind(c.fiat_exponent as i64)
    .bind(c.peg_rate.to_string())
    .bind(&c.payment_method_type)
    .bind(&c.payment_method_name)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Whether any ledger transaction uses the currency (its exponent may not change then).
pub async fn in_use(tx: &mut DbTx, code: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 AS one FROM transactions WHERE currency = $1 LIMIT 1").bind(code).fetch_optional(&mut **tx).await?.is_some())
}

/// Whether a currency was created or changed at or after `since_ms`.
pub async fn changed_since(db: &Db, since_ms: i64) -> Result<bool, sqlx::Error> {
    let changed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM currencies WHERE updated_at >= $1").bind(since_ms).fetch_one(&db.pool).await?;
    Ok(changed > 0)
}
