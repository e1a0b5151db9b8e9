//! Who is signed in: stored in the tower-sessions session as a user id and the sign-in time.

use super::credentials::Email;
use super::password;
use super::throttle::{self, Verdict};
use crate::domain::locale::Locale;
use crate::domain::{AppError, Role, UserView};
use crate::server::AppState;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::{Db, login_attempts, users};
use serde_json::json;
use tower_sessions::Session;

/// The session key of the signed-in user's id (the session store keeps it in a column too).
pub const USER_KEY: &str = "uid";
const SIGNED_IN_AT_KEY: &str = "signed_in_at";

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The language the user chose; none follows the browser.
    pub locale: Option<Locale>,
    /// The time zone the user chose, in minutes east of UTC.
    pub utc_offset: Option<i32>,
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
pub async fn load(session: &Session, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<String>(USER_KEY).await? else { return Ok(None) };
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or(0);
    let expired = state.clock.now_ms() - signed_in_at > state.config.session_absolute.as_millis() as i64;
    let user = if expired { None } else { users::find_by_id(&state.db, &user_id).await?.filter(|u| !u.disabled) };
    match user {
        Some(u) => Ok(Some(CurrentUser { id: u.id, email: u.email, name: u.name, role: u.role, locale: u.locale, utc_offset: u.utc_offset })),
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Checks the credentials (throttled, and waiting for a hashing slot), then starts a session
/// under a new id.
pub async fn sign_in(session: &Session, state: &AppState, email: &str, password_attempt: &str, ip: &str) -> Result<CurrentUser, AppError> {
    let email = Email::parse(email)?;
    let actor = Actor { user_id: None, label: email.as_str().to_string(), ip: Some(ip.to_string()) };
    let _slot = state.hash_slots.acquire().await?;
    let now = state.clock.now_ms();

    let attempt_id = match throttle::judge(&state.db, &actor, email.as_str(), &throttle::ip_key(ip), now).await? {
        Verdict::Checking { attempt_id } => attempt_id,
        Verdict::Locked { until_ms } => {
            let seconds = ((until_ms - now + 999) / 1000).max(1);
            let minutes = (seconds + 59) / 60;
            let message = format!("Too many failed sign-in attempts. Try again in {minutes} minute(s).");
            return Err(AppError::TooManyRequests { message, retry_after_secs: seconds as u64 });
        }
    };

    let user = users::find_by_email(&state.db, email.as_str()).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(password::DUMMY_HASH.as_str());
    let password_ok = password::verify(password_attempt, stored_hash).await;
    let user = match user {
        Some(u) if password_ok && !u.disabled => u,
        _ => {
            // The attempt already counts as a failure; only the audit trail is left to write.
            let mut tx = state.db.begin_write().await?;
            audit::record(
                &mut tx.tx,
                &actor,
                AuditEvent { action: "auth.login_failed", target: &format!("user:{}", email.as_str()), before: None, after: None },
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::InvalidCredentials);
        }
    };

    // A new id at sign-in, so an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    session.insert(USER_KEY, &user.id).await?;
    session.insert(SIGNED_IN_AT_KEY, now).await?;
    let actor = Actor { user_id: Some(user.id.clone()), ..actor };
    let mut tx = state.db.begin_write().await?;
    login_attempts::mark_success(&mut tx.tx, &attempt_id).await?;
    audit::record(&mut tx.tx, &actor, AuditEvent { action: "auth.login", target: &format!("user:{}", email.as_str()), before: None, after: None }).await?;
    tx.commit().await?;
    Ok(CurrentUser { id: user.id, email: user.email, name: user.name, role: user.role, locale: user.locale, utc_offset: user.utc_offset })
}

pub async fn sign_out(session: &Session, db: &Db, user: &CurrentUser, ip: Option<String>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let event = AuditEvent { action: "auth.logout", target: &format!("user:{}", user.email), before: None, after: Some(json!({})) };
    audit::record(&mut tx, &user.actor(ip), event).await?;
    tx.commit().await?;
    session.flush().await?;
    Ok(())
}
