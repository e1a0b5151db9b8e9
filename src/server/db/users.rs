use super::{Db, DbKind, DbTx, now_ms};
use crate::domain::locale::Locale;
use crate::domain::{Role, UserView};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub locale: Option<Locale>,
    /// Minutes east of UTC the user reads times in; none: their language's usual zone.
    pub utc_offset: Option<i32>,
}

impl UserRow {
    pub fn view(&self) -> UserView {
        UserView { id: self.id.clone(), email: self.email.clone(), name: self.name.clone(), role: self.role, disabled: self.disabled }
    }
}

const COLUMNS: &str = "id, email, name, role, password_hash, disabled, locale, utc_offset";

fn from_row(row: &AnyRow) -> Result<UserRow, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        locale: row.try_get::<Option<String>, _>("locale")?.and_then(|l| l.parse().ok()),
        utc_offset: row.try_get::<Option<i64>, _>("utc_offset")?.and_then(|m| i32::try_from(m).ok()),
    })
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    sqlx::query(&sql).bind(email).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

/// The user's row, to be changed in `tx`: locked until it ends on PostgreSQL (SQLite's single
/// writer already keeps others out), so a change written from it cannot undo another's.
pub async fn find_for_change(tx: &mut DbTx, db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1{}", db.for_update());
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY email");
    sqlx::query(&sql).fetch_all(&db.pool).await?.iter().map(from_row).collect()
}

pub async fn insert(tx: &mut DbTx, user: &UserRow) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, email, name, role, password_hash, disabled, locale, utc_offset, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $7, $7)",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(&user.password_hash)
    .bind(user.disabled as i64)
    .bind(now)
    .bind(user.locale.map(|l| l.as_str()))
    .bind(user.utc_offset.map(i64::from))
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Writes name, role, disabled flag, password hash, language and time zone of an existing user.
pub async fn update(tx: &mut DbTx, user: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET name = $2, role = $3, disabled = $4, password_hash = $5, updated_at = $6, locale = $7, utc_offset = $8 WHERE id = $1")
        .bind(&user.id)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.disabled as i64)
        .bind(&user.password_hash)
        .bind(now_ms())
        .bind(user.locale.map(|l| l.as_str()))
        .bind(user.utc_offset.map(i64::from))
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Active admins other than `except_id`, counted inside `tx`. On PostgreSQL the admin rows are
/// locked so two concurrent demotions cannot both see the other admin and leave none.
pub async fn other_active_admins(tx: &mut DbTx, kind: DbKind, except_id: &str) -> Result<i64, sqlx::Error> {
    let lock = if kind == DbKind::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT id FROM users WHERE role = 'admin' AND disabled = 0 AND id <> $1{lock}");
    Ok(sqlx::query(&sql).bind(except_id).fetch_all(&mut **tx).await?.len() as i64)
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&db.pool).await?.try_get("n")
}
