//! Typed Stripe client (reqwest).
