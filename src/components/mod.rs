//! Widgets shared by pages.

pub mod notice;
pub mod shell;
