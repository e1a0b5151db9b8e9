//! Stateful in-memory Stripe emulator.
