//! One integration-test binary: each test starts what it needs (the app, the Stripe emulator) on
//! random loopback ports with its own fresh database, on SQLite and on PostgreSQL.

mod accounts;
mod auth;
mod billing;
mod dashboard;
mod demo;
mod exports;
mod imports;
mod ledger;
mod ledger_limits;
mod mirror;
mod recon;
mod refunds;
mod stripe_client;
mod stripe_emulator;
mod subscriptions;
mod support;
mod transactions;
mod trust;
mod whole_system;
