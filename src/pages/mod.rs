//! One module per page.

pub mod account;
pub mod accounts;
pub mod audit;
pub mod billing;
pub mod dashboard;
pub mod import;
pub mod login;
pub mod recon_case;
pub mod reconciliation;
pub mod refunds;
pub mod search;
pub mod settings;
pub mod transaction;
pub mod transactions;
pub mod users;
