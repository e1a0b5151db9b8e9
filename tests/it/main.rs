//! One integration-test binary: each module starts what it needs (the app, the Stripe emulator)
//! on random loopback ports with its own fresh database.
mod stripe_client;
mod stripe_emulator;
