//! Settings: the currency and its peg, and API keys for the payment system.

use crate::domain::AppError;
use crate::domain::api_keys::{ApiKeyView, CreatedApiKey};
use crate::domain::ledger::CurrencyView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::form::confirmed,
    super::guard::guarded,
    crate::domain::Role,
    crate::server::auth::api_keys,
    crate::server::db,
    crate::server::ledger::currencies::{self, CurrencyInput},
};

#[server(prefix = "/rpc", endpoint = "list_currencies", output = crate::api::codec::Json)]
pub async fn list_currencies() -> Result<Vec<CurrencyView>, AppError> {
    guarded(Role::Viewer, |ctx| async move { Ok(db::currencies::list(&ctx.state.db).await?.iter().map(|c| c.view()).collect()) }).await
}

/// Refunds of `code` above `threshold` (a decimal in the currency; empty: none) wait for a
/// second person.
#[server(prefix = "/rpc", endpoint = "set_refund_threshold", output = crate::api::codec::Json)]
pub async fn set_refund_threshold(code: String, threshold: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        let threshold = threshold.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        crate::server::refunds::set_approval_threshold(&ctx.state.db, &ctx.actor(), code.trim(), threshold.as_deref()).await
    })
    .await
}

/// Creates the currency `code` or changes it; the peg rate is a decimal string (local → fiat).
#[server(prefix = "/rpc", endpoint = "save_currency", output = crate::api::codec::Json)]
pub async fn save_currency(
    code: String,
    name: String,
    exponent: String,
    fiat_currency: String,
    peg_rate: String,
    payment_method_type: String,
    payment_method_name: String,
) -> Result<CurrencyView, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let input = CurrencyInput {
            code: &code,
            name: &name,
            exponent: &exponent,
            fiat_currency: &fiat_currency,
            peg_rate: &peg_rate,
            payment_method_type: &payment_method_type,
            payment_method_name: &payment_method_name,
        };
        let currency = currencies::parse(&input)?;
        Ok(currencies::save(&ctx.state.db, &ctx.actor(), currency).await?.view())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_api_keys", output = crate::api::codec::Json)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    guarded(Role::Admin, |ctx| async move { Ok(db::api_keys::list(&ctx.state.db).await?.iter().map(|k| k.view()).collect()) }).await
}

/// Creates a key; the response is the only place the whole key ever appears.
#[server(prefix = "/rpc", endpoint = "create_api_key", output = crate::api::codec::Json)]
pub async fn create_api_key(name: String) -> Result<CreatedApiKey, AppError> {
    guarded(Role::Admin, |ctx| async move {
        let (row, secret) = api_keys::create(&ctx.state.db, &ctx.actor(), &name).await?;
        Ok(CreatedApiKey { key: row.view(), secret })
    })
    .await
}

/// Revokes the key with this id; `confirm=yes` is required.
#[server(prefix = "/rpc", endpoint = "revoke_api_key", output = crate::api::codec::Json)]
pub async fn revoke_api_key(id: String, confirm: Option<String>) -> Result<(), AppError> {
    guarded(Role::Admin, |ctx| async move {
        confirmed(confirm)?;
        api_keys::revoke(&ctx.state.db, &ctx.actor(), &id).await
    })
    .await
}
