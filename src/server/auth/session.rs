//! Who is signed in: stored in the tower-sessions session as a user id and the sign-in time.

use super::credentials::Email;
use super::{password, throttle};
use crate::domain::{AppError, Role, UserView};
use crate::server::config::Config;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::login_attempts::{self, Outcome};
use crate::server::db::{Db, now_ms, users};
use serde_json::json;
use tower_sessions::Session;

const USER_KEY: &str = "uid";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn view(&self) -> UserView {
        UserView { id: self.id.clone(), email: self.email.clone(), name: self.name.clone(), role: self.role, disabled: false }
    }

    pub fn actor(&self, ip: Option<String>) -> Actor {
        Actor { user_id: Some(self.id.clone()), label: self.email.clone(), ip }
    }
}

/// The signed-in user, or `None` when nobody is, the absolute session lifetime has passed,
/// or the account was disabled since (those sessions are ended here).
pub async fn load(session: &Session, db: &Db, config: &Config) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<String>(USER_KEY).await? else { return Ok(None) };
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or(0);
    let expired = now_ms() - signed_in_at > config.session_absolute.as_millis() as i64;
    let user = if expired { None } else { users::find_by_id(db, &user_id).await?.filter(|u| !u.disabled) };
    match user {
        Some(u) => Ok(Some(CurrentUser { id: u.id, email: u.email, name: u.name, role: u.role })),
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Checks the credentials (throttled), then starts a session under a new id.
pub async fn sign_in(session: &Session, db: &Db, email: &str, password_attempt: &str, ip: &str) -> Result<CurrentUser, AppError> {
    let email = Email::parse(email)?;
    let now = now_ms();
    let actor = Actor { user_id: None, label: email.as_str().to_string(), ip: Some(ip.to_string()) };

    if let Some(until) = throttle::lock_for(db, email.as_str(), ip, now).await? {
        note_attempt(db, &actor, email.as_str(), ip, Outcome::Throttled).await?;
        let minutes = ((until - now + 59_999) / 60_000).max(1);
        return Err(AppError::TooManyRequests { message: format!("Too many failed sign-in attempts. Try again in {minutes} minute(s).") });
    }

    let user = users::find_by_email(db, email.as_str()).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(password::DUMMY_HASH.as_str());
    let password_ok = password::verify(password_attempt, stored_hash).await;
    let user = match user {
        Some(u) if password_ok && !u.disabled => u,
        _ => {
            note_attempt(db, &actor, email.as_str(), ip, Outcome::Failure).await?;
            return Err(AppError::InvalidCredentials);
        }
    };

    // A new id at sign-in, so an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    session.insert(USER_KEY, &user.id).await?;
    session.insert(SIGNED_IN_AT_KEY, now).await?;
    let actor = Actor { user_id: Some(user.id.clone()), ..actor };
    note_attempt(db, &actor, email.as_str(), ip, Outcome::Success).await?;
    Ok(CurrentUser { id: user.id, email: user.email, name: user.name, role: user.role })
}

async fn note_attempt(db: &Db, actor: &Actor, email: &str, ip: &str, outcome: Outcome) -> Result<(), AppError> {
    let action = match outcome {
        Outcome::Success => "auth.login",
        Outcome::Failure => "auth.login_failed",
        Outcome::Throttled => "auth.login_throttled",
    };
    let mut tx = db.begin().await?;
    login_attempts::record(&mut tx, email, ip, outcome).await?;
    audit::record(&mut tx, actor, AuditEvent { action, target: &format!("user:{email}"), before: None, after: None }).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn sign_out(session: &Session, db: &Db, user: &CurrentUser, ip: Option<String>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let event = AuditEvent { action: "auth.logout", target: &format!("user:{}", user.email), before: None, after: Some(json!({})) };
    audit::record(&mut tx, &user.actor(ip), event).await?;
    tx.commit().await?;
    session.flush().await?;
    Ok(())
}
