//! One module per page.

pub mod account;
pub mod accounts;
pub mod audit;
pub mod dashboard;
pub mod login;
pub mod planned;
pub mod settings;
pub mod users;
