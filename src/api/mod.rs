//! Server functions: public HTTP endpoints under `/rpc/`, each thin. Every one goes through
//! `guard`, which checks the session and the role on the server before any work is done.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod codec;
pub mod dashboard;
pub mod imports;
pub mod recon;
pub mod refunds;
pub mod settings;
pub mod subscriptions;
pub mod transactions;
pub mod users;

#[cfg(feature = "ssr")]
pub(crate) mod form;
#[cfg(feature = "ssr")]
mod guard;
