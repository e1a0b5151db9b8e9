//! Opening accounts and changing their status.

use crate::domain::AppError;
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView};
use crate::say;
use crate::server::db::accounts::{self, Account};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::{Db, new_id};
use serde_json::json;

pub struct NewAccount {
    pub kind: AccountKind,
    pub display_name: String,
    pub external_ref: String,
}

impl NewAccount {
    pub fn parse(kind: &str, display_name: &str, external_ref: &str) -> Result<Self, AppError> {
        let kind = kind.trim().parse().map_err(|e: String| AppError::validation("kind", e))?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(AppError::validation("display_name", say!("enter a name of at most 200 characters", "200文字以内で名前を入力してください")));
        }
        let external_ref = external_ref.trim();
        if external_ref.is_empty() || external_ref.len() > 128 || external_ref.chars().any(char::is_control) {
            return Err(AppError::validation(
                "external_ref",
                say!("use 1 to 128 printable characters", "口座番号は1〜128文字の印字可能な文字で入力してください"),
            ));
        }
        Ok(Self { kind, display_name: display_name.into(), external_ref: external_ref.into() })
    }
}

/// Opens accounts that do not exist yet (by external reference); existing ones are left as
/// they are, so the payment system can send its whole account list again.
pub async fn open_many(db: &Db, actor: &Actor, new: Vec<NewAccount>) -> Result<Vec<AccountView>, AppError> {
    let mut tx = db.begin_write().await?;
    let refs: Vec<String> = new.iter().map(|n| n.external_ref.clone()).collect();
    let mut existing = accounts::by_external_refs(&mut tx.tx, &refs).await?;
    let mut views = Vec::with_capacity(new.len());
    for n in new {
        if let Some(account) = existing.get(&n.external_ref) {
            views.push(account.view(Vec::new()));
            continue;
        }
        let account = Account {
            id: new_id(),
            kind: n.kind,
            display_name: n.display_name,
            external_ref: n.external_ref,
            status: AccountStatus::Active,
            stripe_customer_id: None,
        };
        accounts::insert(&mut tx.tx, &account).await?;
        let event = AuditEvent { action: "account.open", target: &format!("account:{}", account.external_ref), before: None, after: Some(snapshot(&account)) };
        audit::record(&mut tx.tx, actor, event).await?;
        views.push(account.view(Vec::new()));
        existing.insert(account.external_ref.clone(), account);
    }
    tx.commit().await?;
    Ok(views)
}

fn snapshot(a: &Account) -> serde_json::Value {
    json!({ "kind": a.kind, "display_name": a.display_name, "external_ref": a.external_ref, "status": a.status, "stripe_customer_id": a.stripe_customer_id })
}

/// Freezes (no debits) or reactivates an account, audited.
pub async fn set_status(db: &Db, actor: &Actor, id: &str, status: AccountStatus) -> Result<AccountView, AppError> {
    let mut tx = db.begin_write().await?;
    let locked = accounts::lock_by_ids(&mut tx.tx, &[id.to_string()], db.for_update()).await?;
    let before = locked.get(id).cloned().ok_or_else(|| AppError::not_found("account"))?;
    if before.status == AccountStatus::Closed {
        return Err(AppError::conflict(say!("A closed account cannot change status.", "解約済みの口座は状態を変更できません。")));
    }
    let after = Account { status, ..before.clone() };
    accounts::update(&mut tx.tx, &after).await?;
    let action = match status {
        AccountStatus::Frozen => "account.freeze",
        AccountStatus::Active => "account.unfreeze",
        AccountStatus::Closed => "account.close",
    };
    let event = AuditEvent { action, target: &format!("account:{}", after.external_ref), before: Some(snapshot(&before)), after: Some(snapshot(&after)) };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(after.view(Vec::new()))
}
