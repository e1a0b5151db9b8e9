//! The currency's double-entry ledger: currencies, accounts, and posting transactions with
//! their rules (flows by account kind, no overdrafts, frozen accounts, refund limits).

pub mod accounts;
pub mod currencies;
pub mod detail;
pub mod import;
pub mod input;
pub mod posting;
pub mod queries;
pub mod statement;

pub use input::{ItemError, TransferInput};
pub use posting::{BatchError, Posted, post_batch};
