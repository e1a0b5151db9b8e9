//! argon2id hashing, run on the blocking pool so a login never stalls the async workers.

use super::credentials::Password;
use crate::domain::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a sign-in waits for a free slot before it is told to come back.
const SLOT_WAIT: Duration = Duration::from_secs(2);
/// What a sign-in turned away for want of a slot is told to wait, in seconds.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The password verifications that may run at once. Each argon2id run holds 19 MiB, so a burst
/// of sign-ins must queue for a slot (briefly) rather than all hash together and exhaust memory.
#[derive(Debug, Clone)]
pub struct HashSlots(Arc<Semaphore>);

impl HashSlots {
    pub fn new(slots: usize) -> Self {
        Self(Arc::new(Semaphore::new(slots)))
    }

    /// A slot, held until dropped, or 429 with Retry-After when none frees up in `SLOT_WAIT`.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(SLOT_WAIT, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::TooManyRequests { message: "Sign-in is busy. Try again in a moment.".into(), retry_after_secs: BUSY_RETRY_AFTER_SECS }),
        }
    }
}

pub async fn hash(password: &Password) -> Result<String, String> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Whether `candidate` matches `stored`. A malformed stored hash verifies as false.
pub async fn verify(candidate: &str, stored: &str) -> bool {
    let (candidate, stored) = (candidate.to_string(), stored.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).map(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that a wrong
/// email costs the same time as a wrong password.
pub static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(uuid::Uuid::now_v7().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
});
