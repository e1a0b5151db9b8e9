//! Stripe: Regio's own typed client and a stateful emulator that speaks Stripe's wire format.

pub mod client;
pub mod emulator;
pub mod setup;
