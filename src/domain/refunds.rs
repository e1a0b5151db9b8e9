//! Refunds as support staff issue them: the request, its approval when large, and what it moved.

use super::ledger::{TransactionKind, text_enum};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// Why money goes back, as Stripe's refunds name it.
    RefundReason {
        RequestedByCustomer => "requested_by_customer",
        Duplicate => "duplicate",
        Fraudulent => "fraudulent",
        MerchantError => "merchant_error",
        Other => "other",
    }
);

impl RefundReason {
    pub fn label(self) -> &'static str {
        match self {
            Self::RequestedByCustomer => "Requested by the customer",
            Self::Duplicate => "Duplicate payment",
            Self::Fraudulent => "Fraudulent",
            Self::MerchantError => "Merchant error",
            Self::Other => "Other",
        }
    }
}

text_enum!(
    /// Whose balance pays the refund back: the merchant who was paid, or the operator as a
    /// goodwill gesture (admins only).
    RefundPayer { Merchant => "merchant", Operator => "operator" }
);

text_enum!(
    /// Where a console refund request stands. Only `Posted` moved money.
    RefundState {
        PendingApproval => "pending_approval",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Expired => "expired",
        Posted => "posted",
    }
);

text_enum!(
    /// Where a refund stands for people: its request's state, and once posted, its delivery.
    RefundStage {
        PendingApproval => "pending_approval",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Expired => "expired",
        Posted => "posted",
        Reported => "reported",
        StripeFailed => "stripe_failed",
    }
);

impl RefundStage {
    pub fn label(self) -> &'static str {
        match self {
            Self::PendingApproval => "Pending approval",
            Self::Rejected => "Rejected",
            Self::Withdrawn => "Withdrawn",
            Self::Expired => "Expired",
            Self::Posted => "Posted, on its way to Stripe",
            Self::Reported => "Reported to Stripe",
            Self::StripeFailed => "Stripe failed",
        }
    }
}

/// What the refund dialog needs to know about a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refundable {
    pub payment_id: String,
    pub payment_ref: String,
    pub currency: String,
    /// The local currency's decimal places.
    pub exponent: u32,
    /// The payment, formatted.
    pub amount: String,
    /// Posted refunds so far, formatted.
    pub refunded: String,
    /// Refunds awaiting approval, which reserve their amount, formatted.
    pub reserved: String,
    /// What is left to refund, in minor units and formatted (the dialog's default).
    pub remainder_minor: i64,
    pub remainder: String,
    /// Posted refunds in minor units: the fiat equivalent of a refund is the fiat of the refunded
    /// total after it less before it, at the payment's own rate (the posting rule).
    pub refunded_minor: i64,
    pub fiat_currency: String,
    pub fiat_exponent: u32,
    /// The payment's own peg rate (fiat per local unit), as a decimal.
    pub peg_rate: String,
    /// Refunds above this (formatted) wait for a second person; `None`: no approval needed.
    pub approval_threshold: Option<String>,
    pub approval_threshold_minor: Option<i64>,
    /// Who paid (and gets the refund) and who was paid.
    pub payer_name: String,
    pub merchant_name: String,
    /// The Payment Record mirroring the payment, once Stripe has it.
    pub record: Option<String>,
    /// The Stripe invoice the payment paid, if any: a refund also credits it.
    pub invoice: Option<String>,
    /// The caller may request a refund (support or admin, and something is left).
    pub can_refund: bool,
    /// The caller may have the operator pay it back (admins).
    pub can_goodwill: bool,
}

/// What a refund will move, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub amount: String,
    pub fiat: String,
    /// Above the currency's threshold: it will wait for an admin's approval.
    pub needs_approval: bool,
    /// Balance changes, one line per account.
    pub ledger: Vec<String>,
    /// What Stripe will be told.
    pub stripe: Vec<RefundStripeLine>,
}

/// What Stripe will be told of a refund, as data: the page words it in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "snake_case")]
pub enum RefundStripeLine {
    /// The refund is worth nothing in fiat after rounding.
    NotTold {
        amount: String,
        fiat_currency: String,
    },
    Reported {
        fiat: String,
        record: String,
    },
    /// The payment has no Payment Record yet: the refund waits behind it in the outbox.
    ReportedOnceRecorded {
        fiat: String,
    },
    CreditNote {
        invoice: String,
    },
}

/// One refund: a console request (any state), or a refund that came in through the API or a
/// CSV file (posted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    /// The request's id; for API and CSV refunds, the refund transaction's.
    pub id: String,
    pub payment_id: String,
    pub payment_ref: String,
    /// The refund transaction, once posted.
    pub transaction_id: Option<String>,
    /// The member who paid and gets the money back.
    pub account: String,
    pub merchant: String,
    pub currency: String,
    pub amount: String,
    pub amount_minor: i64,
    pub fiat: String,
    pub reason: Option<RefundReason>,
    pub note: Option<String>,
    pub payer: RefundPayer,
    pub stage: RefundStage,
    /// Stripe's last answer when its delivery failed.
    pub stripe_error: Option<String>,
    /// console, api, csv or demo.
    pub source: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// When a pending request expires.
    pub expires_at: Option<String>,
}

/// Which refunds the Refunds page and its export cover; every field optional, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFilter {
    /// A `RefundStage`.
    pub stage: Option<String>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD`, UTC, requested on or after / on or before.
    pub from: Option<String>,
    pub to: Option<String>,
    /// An account's external reference (member or merchant).
    pub account: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPage {
    pub rows: Vec<RefundView>,
    pub next_cursor: Option<String>,
    /// How many refunds match, and their total per currency (formatted).
    pub count: i64,
    pub totals: Vec<String>,
}

/// A transaction the top bar's search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub transaction_id: String,
    pub kind: TransactionKind,
    pub external_ref: String,
    /// Amount and currency, formatted.
    pub amount: String,
    pub from_account: String,
    pub to_account: String,
    pub occurred_at: String,
    /// What matched: "id", "external reference", "Payment Record", "account", "amount".
    pub matched: String,
}
