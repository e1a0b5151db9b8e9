//! Reconciliation vocabulary shared by the server and the pages: break classes, cases, runs,
//! fixes and their previews.

use super::ledger::text_enum;
use super::locale::Locale;
use crate::i18n::texts;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// Where a Payment Record's money stands, read from its amounts (guaranteed wins).
    RecordStatus { Guaranteed => "guaranteed", Failed => "failed", Canceled => "canceled", Pending => "pending" }
);

text_enum!(
    /// How the ledger and Stripe disagree.
    BreakClass {
        MissingInStripe => "missing_in_stripe",
        OrphanInStripe => "orphan_in_stripe",
        AmountMismatch => "amount_mismatch",
        CurrencyMismatch => "currency_mismatch",
        RefundMismatch => "refund_mismatch",
        StatusMismatch => "status_mismatch",
        DuplicateInStripe => "duplicate_in_stripe",
        CustomerMismatch => "customer_mismatch",
        InvoiceMismatch => "invoice_mismatch",
    }
);

impl BreakClass {
    /// The class's name, and the one line the queue and the case page show to say what the
    /// break means, in `locale`.
    pub fn label_in(self, locale: Locale) -> &'static str {
        self.texts(locale).0
    }

    pub fn explanation_in(self, locale: Locale) -> &'static str {
        self.texts(locale).1
    }

    /// In English, for messages and exports.
    pub fn label(self) -> &'static str {
        self.label_in(Locale::En)
    }

    pub fn explanation(self) -> &'static str {
        self.explanation_in(Locale::En)
    }

    fn texts(self, locale: Locale) -> (&'static str, &'static str) {
        let t = texts(locale);
        match self {
            Self::MissingInStripe => (t.class_missing_in_stripe, t.why_missing_in_stripe),
            Self::OrphanInStripe => (t.class_orphan_in_stripe, t.why_orphan_in_stripe),
            Self::AmountMismatch => (t.class_amount_mismatch, t.why_amount_mismatch),
            Self::CurrencyMismatch => (t.class_currency_mismatch, t.why_currency_mismatch),
            Self::RefundMismatch => (t.class_refund_mismatch, t.why_refund_mismatch),
            Self::StatusMismatch => (t.class_status_mismatch, t.why_status_mismatch),
            Self::DuplicateInStripe => (t.class_duplicate_in_stripe, t.why_duplicate_in_stripe),
            Self::CustomerMismatch => (t.class_customer_mismatch, t.why_customer_mismatch),
            Self::InvoiceMismatch => (t.class_invoice_mismatch, t.why_invoice_mismatch),
        }
    }
}

text_enum!(
    /// A case is open while its break lasts, ignored when a person said so, closed once a run
    /// no longer finds the break.
    CaseState { Open => "open", Ignored => "ignored", Closed => "closed" }
);

text_enum!(
    /// How long a case has been known, from its first sighting.
    AgeBucket { UpToOneDay => "0-1", UpToAWeek => "2-7", UpToAMonth => "8-30", Older => "over-30" }
);

impl AgeBucket {
    pub fn label_in(self, locale: Locale) -> &'static str {
        let t = texts(locale);
        match self {
            Self::UpToOneDay => t.age_up_to_one_day,
            Self::UpToAWeek => t.age_up_to_a_week,
            Self::UpToAMonth => t.age_up_to_a_month,
            Self::Older => t.age_older,
        }
    }

    pub fn label(self) -> &'static str {
        self.label_in(Locale::En)
    }

    /// The bucket of a case first seen `age_ms` ago; day 1 runs until 48 hours.
    pub fn of_age(age_ms: i64) -> Self {
        let days = age_ms.max(0) / 86_400_000;
        match days {
            0..=1 => Self::UpToOneDay,
            2..=7 => Self::UpToAWeek,
            8..=30 => Self::UpToAMonth,
            _ => Self::Older,
        }
    }

    /// `(min, max)` age in whole days, `max` inclusive, for filtering.
    pub fn day_range(self) -> (i64, Option<i64>) {
        match self {
            Self::UpToOneDay => (0, Some(1)),
            Self::UpToAWeek => (2, Some(7)),
            Self::UpToAMonth => (8, Some(30)),
            Self::Older => (31, None),
        }
    }
}

text_enum!(
    /// What a person can do about a case.
    FixKind {
        ReportPayment => "report_payment",
        ReportRefund => "report_refund",
        RefundDuplicate => "refund_duplicate",
        Link => "link",
        Unlink => "unlink",
        Adjust => "adjust",
        Ignore => "ignore",
        Reopen => "reopen",
    }
);

impl FixKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::ReportPayment => "Report the payment to Stripe",
            Self::ReportRefund => "Report the missing refund to Stripe",
            Self::RefundDuplicate => "Refund the duplicate record in Stripe",
            Self::Link => "Link to a ledger transaction",
            Self::Unlink => "Undo the link",
            Self::Adjust => "Post a ledger adjustment",
            Self::Ignore => "Ignore",
            Self::Reopen => "Reopen",
        }
    }

    /// Fixes a person must give a reason for (they change the ledger or silence a break).
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Adjust | Self::Ignore | Self::Unlink)
    }

    /// Fixes that name the ledger transaction to use.
    pub fn needs_transaction(self) -> bool {
        self == Self::Link
    }

    /// Fixes that can run on many cases at once from the queue.
    pub fn is_bulk(self) -> bool {
        matches!(self, Self::ReportPayment | Self::ReportRefund | Self::Ignore)
    }
}

text_enum!(RunStatus { Running => "running", Succeeded => "succeeded", Failed => "failed" });

/// One reconciliation run, finished or under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    /// A person's name, or "schedule".
    pub started_by: String,
    pub full_scan: bool,
    pub status: RunStatus,
    /// What the run is doing now, e.g. "Reading Stripe payment records".
    pub phase: String,
    pub records_read: i64,
    pub breaks: Vec<(BreakClass, i64)>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryCell {
    pub class: BreakClass,
    pub bucket: AgeBucket,
    pub count: i64,
}

/// The reconciliation page's head: live cases by class and age, and the runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconSummary {
    pub cells: Vec<SummaryCell>,
    pub open: i64,
    pub ignored: i64,
    pub current_run: Option<RunView>,
    pub recent_runs: Vec<RunView>,
    /// Minutes between scheduled runs.
    pub interval_minutes: i64,
}

/// Which cases the queue, a bulk fix and the CSV export cover. Amounts are decimals in the
/// local currency; `state` defaults to the live ones (open and ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilter {
    pub class: Option<String>,
    pub age: Option<String>,
    pub state: Option<String>,
    /// A user id, or "none" for unassigned cases.
    pub assignee: Option<String>,
    pub account: Option<String>,
    /// The local currency the amounts are in (implied when there is one).
    pub currency: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    pub id: String,
    pub class: BreakClass,
    pub state: CaseState,
    pub transaction_id: Option<String>,
    pub record_id: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    /// The ledger amount (or the record's, for an orphan) in the local currency.
    pub amount: String,
    pub currency: String,
    /// What differs, e.g. "¥1,200 in the ledger, ¥1,000 in Stripe".
    pub summary: String,
    pub first_seen: String,
    pub last_seen: String,
    pub age: AgeBucket,
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    pub next_cursor: Option<String>,
    /// The cases the filter selects, or where the count stopped when `more_than_total`.
    pub total: i64,
    pub more_than_total: bool,
}

/// One compared field: what the ledger expects and what Stripe has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub label: String,
    pub ledger: Option<String>,
    pub stripe: Option<String>,
    pub differs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEventView {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub detail: Option<String>,
}

/// A ledger transaction that could be the one an orphan record mirrors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub transaction_id: String,
    pub occurred_at: String,
    pub amount: String,
    pub fiat_amount: String,
    pub account_name: String,
    /// 0–100: higher is likelier.
    pub score: i64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChoice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub case: CaseRow,
    pub explanation: String,
    pub fields: Vec<FieldDiff>,
    pub history: Vec<CaseEventView>,
    pub fixes: Vec<FixKind>,
    pub candidates: Vec<Candidate>,
    pub assignee_id: Option<String>,
    pub assignable: Vec<UserChoice>,
    pub dashboard_url: Option<String>,
}

/// What a fix will do, shown before a person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPreview {
    pub kind: FixKind,
    /// What will be written to the ledger, one line each.
    pub ledger: Vec<String>,
    /// What will be sent to Stripe (through the outbox), one line each.
    pub stripe: Vec<String>,
    /// What changes on the case itself.
    pub case: Vec<String>,
}

/// A bulk fix's scope, shown before a person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub kind: FixKind,
    pub count: i64,
    /// Sum of the cases' amounts, formatted, in the local currency.
    pub total: String,
    /// Cases in the selection the fix does not apply to, left untouched.
    pub skipped: i64,
}
