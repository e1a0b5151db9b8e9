//! What the dashboard shows: the day's figures, each with the list behind it, and charts the
//! server drew.

use super::recon::{RunView, SummaryCell};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// When the figures were read, to the minute.
    pub as_of: String,
    /// One row per currency that saw payments in the last 30 days.
    pub volume: Vec<CurrencyVolume>,
    pub mirror: MirrorHealth,
    /// Live reconciliation cases by class and age, as the reconciliation page counts them.
    pub cases: Vec<SummaryCell>,
    pub open_cases: i64,
    pub refunds_awaiting: i64,
    pub invoices_awaiting: i64,
    /// How long the oldest invoice awaiting funds has waited, e.g. "3 days".
    pub oldest_invoice_wait: Option<String>,
    pub last_run: Option<RunView>,
    pub charts: Vec<Chart>,
}

/// Shop payments in one currency over the last day, 7 days and 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyVolume {
    pub currency: String,
    pub windows: Vec<VolumeWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeWindow {
    /// 1 (today), 7 or 30: whole days, today included.
    pub days: i64,
    /// The first day, `YYYY-MM-DD`, for the link to the transactions list.
    pub from: String,
    pub count: i64,
    /// In the local currency and in its fiat peg as reported to Stripe, formatted.
    pub local: String,
    pub fiat: String,
}

/// How well the ledger's payments and refunds reach Stripe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorHealth {
    /// Deliveries of the last 30 days (by when their payment occurred), by state.
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    /// Delivered of all the last 30 days' deliveries, e.g. "99.8 %"; none when there were none.
    pub delivered_share: Option<String>,
    /// Every delivery waiting or given up on, whenever its payment occurred.
    pub pending_now: i64,
    pub failed_now: i64,
    /// How long the oldest waiting delivery has waited, e.g. "4 min".
    pub oldest_pending: Option<String>,
}

/// A chart the server drew as SVG, so it shows before (and without) the page's script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub svg: String,
}
