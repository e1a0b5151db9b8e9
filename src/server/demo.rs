//! Demo mode (`REGIO_DEMO=1`, what `make run` starts): a ready-to-use admin on a fresh database.

use super::auth::users::{self, NewUser};
use super::db::audit::Actor;
use super::db::Db;
use crate::domain::AppError;

pub const DEMO_ADMIN_EMAIL: &str = "admin@regio.local";
/// Printed at start-up; demo data only, never used outside demo mode.
pub const DEMO_ADMIN_PASSWORD: &str = "regio-demo-password";

pub struct DemoLogin {
    pub email: &'static str,
    pub password: &'static str,
}

/// Creates the demo admin unless it exists, and says how to sign in.
pub async fn prepare(db: &Db) -> Result<DemoLogin, AppError> {
    if super::db::users::find_by_email(db, DEMO_ADMIN_EMAIL).await?.is_none() {
        let admin = NewUser::parse(DEMO_ADMIN_EMAIL, "Demo Admin", "admin", DEMO_ADMIN_PASSWORD)?;
        users::create(db, &Actor::system(), admin).await?;
    }
    Ok(DemoLogin { email: DEMO_ADMIN_EMAIL, password: DEMO_ADMIN_PASSWORD })
}
