//! Server-only code: configuration, database, authentication, HTTP plumbing and the
//! domain services that the thin `api` layer calls.

pub mod auth;
pub mod bench;
pub mod billing;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod ledger;
pub mod list_bench;
pub mod mirror;
pub mod recon;
pub mod refunds;
pub mod state;
pub mod stripe;

pub use state::AppState;
