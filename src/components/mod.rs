//! Widgets shared by pages.

pub mod customer_panel;
pub mod filters;
pub mod ids;
pub mod keys;
pub mod mirror;
pub mod money;
pub mod notice;
pub mod pager;
pub mod recon_summary;
pub mod refund_panel;
pub mod shell;
pub mod time;
