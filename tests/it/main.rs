//! One integration-test binary: each test starts the real server on a random loopback port with
//! its own fresh database, once on SQLite and once on PostgreSQL.

mod auth;
mod imports;
mod ledger;
mod mirror;
mod stripe_emulator;
mod support;
mod transactions;
