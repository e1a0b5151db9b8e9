//! Managing users: the one implementation behind the Users page and `regio user ...`.

use super::credentials::{Email, Password, parse_name};
use super::password;
use crate::domain::locale::Locale;
use crate::domain::{AppError, Role, UserView};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::sessions;
use crate::server::db::users::{self, UserRow};
use crate::server::db::{Db, DbTx, new_id};
use crate::server::error::internal;
use serde_json::{Value, json};

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password: Password,
}

impl NewUser {
    pub fn parse(email: &str, name: &str, role: &str, password: &str) -> Result<Self, AppError> {
        Ok(Self {
            email: Email::parse(email)?,
            name: parse_name(name)?,
            role: role.parse().map_err(|e: String| AppError::validation("role", e))?,
            password: Password::parse(password)?,
        })
    }
}

fn snapshot(user: &UserRow) -> Value {
    json!({ "email": user.email, "name": user.name, "role": user.role, "disabled": user.disabled, "locale": user.locale, "utc_offset": user.utc_offset })
}

pub async fn create(db: &Db, actor: &Actor, input: NewUser) -> Result<UserView, AppError> {
    if users::find_by_email(db, input.email.as_str()).await?.is_some() {
        return Err(AppError::validation("email", say!("a user with this email already exists", "このメールアドレスのユーザーは既に存在します")));
    }
    let password_hash = password::hash(&input.password).await.map_err(|e| internal("hashing a password", e))?;
    let user = UserRow {
        id: new_id(),
        email: input.email.as_str().to_string(),
        name: input.name,
        role: input.role,
        password_hash,
        disabled: false,
        locale: None,
        utc_offset: None,
    };
    let mut tx = db.begin().await?;
    users::insert(&mut tx, &user).await?;
    let event = AuditEvent { action: "user.create", target: &target(&user), before: None, after: Some(snapshot(&user)) };
    audit::record(&mut tx, actor, event).await?;
    tx.commit().await?;
    Ok(user.view())
}

pub async fn set_role(db: &Db, actor: &Actor, user_id: &str, role: Role) -> Result<UserView, AppError> {
    change(db, actor, user_id, "user.set_role", KeepAnAdmin::Yes, |user| user.role = role, None).await
}

/// Disabling also ends every session of the user.
pub async fn set_disabled(db: &Db, actor: &Actor, user_id: &str, disabled: bool) -> Result<UserView, AppError> {
    let action = if disabled { "user.disable" } else { "user.enable" };
    change(db, actor, user_id, action, KeepAnAdmin::Yes, |user| user.disabled = disabled, None).await
}

/// Disables a user even if it is the last active admin: the demo admin, whose password is
/// published, when Regio starts outside demo mode (`regio user add` makes a real admin).
pub async fn disable_even_the_last_admin(db: &Db, actor: &Actor, user_id: &str) -> Result<UserView, AppError> {
    change(db, actor, user_id, "user.disable", KeepAnAdmin::No, |user| user.disabled = true, None).await
}

/// Also ends the user's sessions other than `keep_session` (the resetting admin's own, when
/// they reset their own password): whoever knew the old password is signed out.
pub async fn reset_password(db: &Db, actor: &Actor, user_id: &str, new_password: &str, keep_session: Option<&str>) -> Result<UserView, AppError> {
    let new_password = Password::parse(new_password)?;
    let hash = password::hash(&new_password).await.map_err(|e| internal("hashing a password", e))?;
    change(db, actor, user_id, "user.reset_password", KeepAnAdmin::Yes, move |user| user.password_hash = hash, keep_session).await
}

/// The language and time zone the user reads the console in, whatever their browser asks for.
pub async fn set_preferences(db: &Db, actor: &Actor, user_id: &str, locale: Locale, utc_offset: i32) -> Result<UserView, AppError> {
    let edit = |user: &mut UserRow| (user.locale, user.utc_offset) = (Some(locale), Some(utc_offset));
    change(db, actor, user_id, "user.set_preferences", KeepAnAdmin::No, edit, None).await
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<UserRow, AppError> {
    let email = Email::parse(email)?;
    users::find_by_email(db, email.as_str()).await?.ok_or_else(|| AppError::not_found(format!("user {}", email.as_str())))
}

fn target(user: &UserRow) -> String {
    format!("user:{}", user.email)
}

/// Loads the user, applies `edit`, enforces the last-admin rule, writes and audits, all in one
/// transaction; a change that disables the user or replaces their password ends their sessions
/// (but `keep_session`) in it too.
#[derive(PartialEq, Eq)]
enum KeepAnAdmin {
    Yes,
    No,
}

async fn change(
    db: &Db,
    actor: &Actor,
    user_id: &str,
    action: &str,
    keep: KeepAnAdmin,
    edit: impl FnOnce(&mut UserRow),
    keep_session: Option<&str>,
) -> Result<UserView, AppError> {
    // Every column is written back: the row stays locked from this read to the commit, so a
    // user saving their language cannot write back the role or password an admin just changed.
    let mut write = db.begin_write().await?;
    let tx = &mut write.tx;
    let before = users::find_for_change(tx, db, user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let mut after = before.clone();
    edit(&mut after);
    let was_active_admin = before.role == Role::Admin && !before.disabled;
    let stays_active_admin = after.role == Role::Admin && !after.disabled;
    if keep == KeepAnAdmin::Yes && was_active_admin && !stays_active_admin {
        ensure_another_admin(tx, db, user_id).await?;
    }
    users::update(tx, &after).await?;
    if (after.disabled && !before.disabled) || after.password_hash != before.password_hash {
        sessions::end_for_user(tx, user_id, keep_session).await?;
    }
    let mut after_snapshot = snapshot(&after);
    if after.password_hash != before.password_hash {
        after_snapshot["password"] = json!("changed");
    }
    let event = AuditEvent { action, target: &target(&after), before: Some(snapshot(&before)), after: Some(after_snapshot) };
    audit::record(tx, actor, event).await?;
    write.commit().await?;
    Ok(after.view())
}

async fn ensure_another_admin(tx: &mut DbTx, db: &Db, user_id: &str) -> Result<(), AppError> {
    if users::other_active_admins(tx, db.kind, user_id).await? == 0 {
        return Err(AppError::conflict(say!(
            "This is the last active admin: make someone else an admin first.",
            "有効な管理者はこのユーザーのみです。先に他のユーザーを管理者にしてください。"
        )));
    }
    Ok(())
}
