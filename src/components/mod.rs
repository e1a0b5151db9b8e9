//! Widgets shared by pages.

pub mod money;
pub mod notice;
pub mod pager;
pub mod shell;
