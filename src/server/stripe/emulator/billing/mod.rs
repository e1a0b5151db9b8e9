//! Stripe Billing objects: customers, products and prices, invoices with their items, payments
//! and credit notes.

pub mod catalog;
pub mod credit_notes;
pub mod customers;
pub mod invoice_actions;
pub mod invoice_items;
pub mod invoice_payments;
pub mod invoices;
pub mod payment_methods;
