//! Reconciliation vocabulary shared by the server and the pages: break classes, cases, runs,
//! fixes and their previews.

use super::error::Message;
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

/// What differs on a break, as data: a page words it in its reader's language, exports and
/// the case's history in English. Amounts are already formatted (`¥1,200`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "says", rename_all = "snake_case")]
pub enum Differs {
    NoRecord {
        ledger: String,
    },
    NoTransaction {
        stripe: String,
    },
    Currency {
        ledger: String,
        stripe: String,
    },
    Status {
        stripe: RecordStatus,
        ledger: String,
    },
    Amount {
        ledger: String,
        stripe: String,
    },
    Refunded {
        ledger: String,
        stripe: String,
    },
    /// `ledger` is `None` when the member has no Stripe customer.
    Customer {
        ledger: Option<String>,
        stripe: String,
    },
    Duplicate {
        records: Vec<String>,
    },
    InvoiceNotInStripe {
        invoice: String,
    },
    InvoicePaidByOther {
        invoice: String,
        paid_by: Vec<String>,
        record: String,
    },
    /// `status` as Stripe names it (`open`, `void`, ...).
    InvoiceStatus {
        invoice: String,
        status: String,
        record: String,
    },
}

impl Differs {
    /// In English, as exports and the case's history keep it.
    pub fn english(&self) -> String {
        self.text_in(Locale::En)
    }

    pub fn text_in(&self, locale: Locale) -> String {
        use crate::i18n::{TextGroup, fill, recon::Recon};
        let r = Recon::of(locale);
        match self {
            Self::NoRecord { ledger } => fill(r.differs_no_record, &[ledger]),
            Self::NoTransaction { stripe } => fill(r.differs_no_transaction, &[stripe]),
            Self::Currency { ledger, stripe } => fill(r.differs_currency, &[ledger, stripe]),
            Self::Status { stripe, ledger } => fill(r.differs_status, &[crate::i18n::recon::record_status_name(r, *stripe), ledger]),
            Self::Amount { ledger, stripe } => fill(r.differs_amount, &[ledger, stripe]),
            Self::Refunded { ledger, stripe } => fill(r.differs_refunded, &[ledger, stripe]),
            Self::Customer { ledger, stripe } => fill(r.differs_customer, &[ledger.as_deref().unwrap_or(r.no_customer), stripe]),
            Self::Duplicate { records } => fill(r.differs_duplicate, &[&records.len().to_string(), &records.join(", ")]),
            Self::InvoiceNotInStripe { invoice } => fill(r.differs_invoice_missing, &[invoice]),
            Self::InvoicePaidByOther { invoice, paid_by, record } => fill(r.differs_invoice_paid_by, &[invoice, &paid_by.join(", "), record]),
            Self::InvoiceStatus { invoice, status, record } => {
                let b = crate::i18n::billing::Billing::of(locale);
                let status = crate::i18n::billing::status_label(b, status);
                fill(r.differs_invoice_status, &[invoice, status, record])
            }
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
    /// What differs in English, e.g. "¥1,200 in the ledger, ¥1,000 in Stripe".
    pub summary: String,
    /// The same as data; `None` for a case not seen since Regio began keeping it.
    pub differs: Option<Differs>,
    pub first_seen: String,
    pub last_seen: String,
    pub age: AgeBucket,
    pub assignee: Option<String>,
}

impl CaseRow {
    /// What differs, in `locale` where Regio has it as data.
    pub fn what_differs(&self, locale: Locale) -> String {
        self.differs.as_ref().map_or_else(|| self.summary.clone(), |d| d.text_in(locale))
    }
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

/// Who a case event says acted when a reconciliation run opened, changed or closed the case.
pub const RUN_ACTOR: &str = "reconciliation";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEventView {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub detail: Option<Message>,
}

/// Why a transaction could be the one an orphan record mirrors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CandidateReason {
    SameAmount,
    DaysApart { days: i64 },
    SameCustomer,
    SameDescription,
}

impl CandidateReason {
    pub fn text_in(&self, locale: Locale) -> String {
        use crate::i18n::{TextGroup, fill, recon::Recon};
        let r = Recon::of(locale);
        match self {
            Self::SameAmount => r.reason_same_amount.to_string(),
            Self::DaysApart { days } => fill(r.reason_days_apart, &[&days.to_string()]),
            Self::SameCustomer => r.reason_same_customer.to_string(),
            Self::SameDescription => r.reason_same_description.to_string(),
        }
    }
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
    pub reasons: Vec<CandidateReason>,
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

/// One line of what a fix will do, as data: the page words it in its reader's language.
/// Amounts are already formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "snake_case")]
pub enum PreviewLine {
    /// A failed report of the payment sent again with its original idempotency key.
    PaymentRetried {
        amount: String,
        transaction: String,
    },
    /// The payment reported again because the record it made is gone, under a new key.
    PaymentReportedAgain {
        amount: String,
        transaction: String,
        key: String,
    },
    RefundsRetried {
        count: i64,
    },
    RefundReported {
        amount: String,
        record: String,
        reference: String,
    },
    DuplicateRefunded {
        amount: String,
        record: String,
        keep: String,
    },
    /// `toward_payee`: money moves from payer to payee (else back); `of_refund`: the ledger's
    /// refunded total is corrected (else its amount).
    Adjustment {
        amount: String,
        fiat: String,
        toward_payee: bool,
        payment: String,
        of_refund: bool,
    },
    Linked {
        record: String,
        transaction: String,
    },
    Unlinked {
        record: String,
    },
    CaseIgnored,
    CaseOpen,
    CaseClosedByLink,
    NextRunCloses,
    OrphanReopens,
    NextRunFindsUnmatched,
}

impl PreviewLine {
    pub fn text_in(&self, locale: Locale) -> String {
        use crate::i18n::{TextGroup, fill, recon::Recon};
        let r = Recon::of(locale);
        match self {
            Self::PaymentRetried { amount, transaction } => fill(r.line_payment_retried, &[amount, transaction]),
            Self::PaymentReportedAgain { amount, transaction, key } => fill(r.line_payment_again, &[amount, transaction, key]),
            Self::RefundsRetried { count } => fill(r.line_refunds_retried, &[&count.to_string()]),
            Self::RefundReported { amount, record, reference } => fill(r.line_refund_reported, &[amount, record, reference]),
            Self::DuplicateRefunded { amount, record, keep } => fill(r.line_duplicate_refunded, &[amount, record, keep]),
            Self::Adjustment { amount, fiat, toward_payee, payment, of_refund } => {
                let template = match (*toward_payee, *of_refund) {
                    (true, false) => r.line_adjust_amount_to_payee,
                    (false, false) => r.line_adjust_amount_to_payer,
                    (true, true) => r.line_adjust_refund_to_payee,
                    (false, true) => r.line_adjust_refund_to_payer,
                };
                fill(template, &[amount, fiat, payment])
            }
            Self::Linked { record, transaction } => fill(r.line_linked, &[record, transaction]),
            Self::Unlinked { record } => fill(r.line_unlinked, &[record]),
            Self::CaseIgnored => r.line_case_ignored.to_string(),
            Self::CaseOpen => r.line_case_open.to_string(),
            Self::CaseClosedByLink => r.line_case_closed_by_link.to_string(),
            Self::NextRunCloses => r.line_next_run_closes.to_string(),
            Self::OrphanReopens => r.line_orphan_reopens.to_string(),
            Self::NextRunFindsUnmatched => r.line_next_run_unmatched.to_string(),
        }
    }
}

/// What a fix will do, shown before a person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPreview {
    pub kind: FixKind,
    /// What will be written to the ledger, one line each.
    pub ledger: Vec<PreviewLine>,
    /// What will be sent to Stripe (through the outbox), one line each.
    pub stripe: Vec<PreviewLine>,
    /// What changes on the case itself.
    pub case: Vec<PreviewLine>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_differs_reads_in_both_languages() {
        let amount = Differs::Amount { ledger: "¥1,200".into(), stripe: "¥1,000".into() };
        assert_eq!(amount.english(), "¥1,200 in the ledger, ¥1,000 in Stripe");
        assert_eq!(amount.text_in(Locale::Ja), "台帳は ¥1,200、Stripe は ¥1,000");
        let status = Differs::Status { stripe: RecordStatus::Failed, ledger: "¥500".into() };
        assert_eq!(status.english(), "failed in Stripe, settled in the ledger (¥500)");
        assert_eq!(status.text_in(Locale::Ja), "Stripe では失敗、台帳では決済済み（¥500）");
        let customer = Differs::Customer { ledger: None, stripe: "cus_1".into() };
        assert_eq!(customer.english(), "no customer in the ledger, cus_1 in Stripe");
        assert_eq!(customer.text_in(Locale::Ja), "台帳は 顧客なし、Stripe は cus_1");
        let duplicate = Differs::Duplicate { records: vec!["pr_1".into(), "pr_2".into()] };
        assert_eq!(duplicate.english(), "2 records carry this payment: pr_1, pr_2");
        let invoice = Differs::InvoiceStatus { invoice: "in_1".into(), status: "void".into(), record: "pr_1".into() };
        assert_eq!(invoice.english(), "in_1 is void in Stripe; the ledger paid it with pr_1");
        assert!(invoice.text_in(Locale::Ja).contains("無効"), "{}", invoice.text_in(Locale::Ja));
    }

    #[test]
    fn a_case_from_before_differs_was_kept_shows_its_summary() {
        let row = |differs| CaseRow {
            id: "c".into(),
            class: BreakClass::OrphanInStripe,
            state: CaseState::Open,
            transaction_id: None,
            record_id: None,
            account_id: None,
            account_name: None,
            amount: "1".into(),
            currency: "SRB".into(),
            summary: "as stored".into(),
            differs,
            first_seen: String::new(),
            last_seen: String::new(),
            age: AgeBucket::UpToOneDay,
            assignee: None,
        };
        assert_eq!(row(None).what_differs(Locale::Ja), "as stored");
        assert_eq!(row(Some(Differs::NoTransaction { stripe: "¥5".into() })).what_differs(Locale::Ja), "Stripe に ¥5、台帳に取引なし");
    }
}
