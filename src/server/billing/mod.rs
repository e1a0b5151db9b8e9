//! Billing: member accounts linked to Stripe customers, invoices priced in local currency and
//! collected from wallets, and Stripe's events. Every call Regio owes Stripe for billing is a
//! step queued in the database with its cause (`steps`), made by a worker under a key derived
//! from what it does; what Stripe says back, and what its events say, is read into the
//! `invoices` table by `sync`.

pub mod bench;
pub mod changes;
pub mod clock;
mod collect;
mod customers;
pub mod dunning;
pub mod events;
mod invoices;
pub mod plans;
pub mod steps;
pub mod sync;

pub use collect::{collect, preview_collection};
pub use customers::{attach_customer, create_customer, customer_link, unlink_customer};
pub use events::{event_page, reprocess_event};
pub use invoices::{NewInvoice, create_invoice, export_page, invoice_action, invoice_detail, invoice_page, row_of, setup};

use crate::domain::billing::StepView;
use crate::server::db::billing_steps::Step;
use crate::server::db::format_ms;

fn step_view(s: Step) -> StepView {
    StepView {
        id: s.id,
        kind: s.kind,
        state: s.state,
        attempts: s.attempts,
        last_error: s.last_error,
        stripe_id: s.stripe_id,
        created_by: s.created_by,
        created_at: format_ms(s.created_at),
        updated_at: format_ms(s.updated_at),
    }
}
