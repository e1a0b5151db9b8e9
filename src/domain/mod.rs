//! Types shared by the server and the browser: errors, roles, and the DTOs that cross the wire.

pub mod api_keys;
pub mod billing;
pub mod dashboard;
mod error;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod recon;
pub mod refunds;
mod role;
mod users;

pub use error::{AppError, Message};
pub use role::Role;
pub use users::{AuditEventView, AuditPage, UserView};
