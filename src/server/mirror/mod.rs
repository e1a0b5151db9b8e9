//! Mirroring the ledger into Stripe: a worker drains the outbox, turning each payment into a
//! Payment Record (`report_payment`) and each refund into `report_refund` on the payment's
//! record, exactly once thanks to idempotency keys derived from our own transaction ids.

mod delivery;
mod worker;

pub use delivery::{deliver, Delivery};
pub use worker::{MirrorWorker, WorkerOptions};
