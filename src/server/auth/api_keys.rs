//! API keys for machine clients (the currency's payment system): long random secrets, shown
//! once, stored as SHA-256.

use crate::domain::AppError;
use crate::say;
use crate::server::db::api_keys::{self, ApiKeyRow};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::{Db, new_id, now_ms};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use sha2::{Digest, Sha256};

const PREFIX: &str = "rgk_";

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a key named `name` and returns it: the only time the whole key is ever shown.
pub async fn create(db: &Db, actor: &Actor, name: &str) -> Result<(ApiKeyRow, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation("name", say!("enter a name of at most 100 characters", "100文字以内で名前を入力してください")));
    }
    let key = format!("{PREFIX}{}", Alphanumeric.sample_string(&mut rand::rngs::OsRng, 40));
    let row = ApiKeyRow {
        id: new_id(),
        name: name.to_string(),
        key_prefix: key.chars().take(PREFIX.len() + 6).collect(),
        created_by: actor.label.clone(),
        created_at: now_ms(),
        revoked_at: None,
    };
    let mut tx = db.begin_write().await?;
    api_keys::insert(&mut tx.tx, &row, &hash(&key)).await?;
    let event = AuditEvent {
        action: "api_key.create",
        target: &format!("api_key:{}", row.name),
        before: None,
        after: Some(json!({ "name": row.name, "prefix": row.key_prefix })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok((row, key))
}

pub async fn revoke(db: &Db, actor: &Actor, id_or_name: &str) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    if !api_keys::revoke(&mut tx.tx, id_or_name).await? {
        return Err(AppError::not_found(format!("live API key '{id_or_name}'")));
    }
    let event = AuditEvent { action: "api_key.revoke", target: &format!("api_key:{id_or_name}"), before: None, after: Some(json!({ "revoked": true })) };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(())
}

/// The name of the live key `presented` is, if any.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<String>, AppError> {
    if !presented.starts_with(PREFIX) {
        return Ok(None);
    }
    Ok(api_keys::active_by_hash(db, &hash(presented)).await?)
}
