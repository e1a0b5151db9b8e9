//! One integration-test binary: each test starts the real server on a random loopback port with
//! its own fresh database, once on SQLite and once on PostgreSQL.

mod accounts;
mod auth;
mod ledger;
mod mirror;
mod support;
