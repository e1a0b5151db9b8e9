//! Ledger vocabulary shared by the server, the API and the pages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Each value as written in requests and files, for refusals that list them.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not one of: {}", Self::NAMES.join(", "))),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// What a ledger transaction is. Payments, invoice payments and refunds are mirrored to Stripe.
    TransactionKind {
        TopUp => "top_up",
        Payment => "payment",
        Refund => "refund",
        Redemption => "redemption",
        Adjustment => "adjustment",
        InvoicePayment => "invoice_payment",
    }
);

text_enum!(AccountKind { Member => "member", Merchant => "merchant", Operator => "operator" });

text_enum!(AccountStatus { Active => "active", Frozen => "frozen", Closed => "closed" });

text_enum!(
    /// Where a transaction's Stripe mirror stands.
    MirrorState {
        NotMirrored => "not_mirrored",
        Pending => "pending",
        Delivered => "delivered",
        Failed => "failed",
    }
);

text_enum!(
    /// Where a CSV import stands: checked (a dry run), then committed whole, or failed.
    ImportStatus {
        Checking => "checking",
        Checked => "checked",
        Committing => "committing",
        Committed => "committed",
        Failed => "failed",
    }
);

impl ImportStatus {
    /// Work on it is under way (its page follows the progress).
    pub fn is_running(self) -> bool {
        matches!(self, Self::Checking | Self::Committing)
    }
}

text_enum!(
    /// Where a transaction entered Regio; external references are unique per source.
    Source { Api => "api", Csv => "csv", Demo => "demo", Console => "console" }
);

text_enum!(
    /// How one delivery attempt to Stripe ended.
    AttemptOutcome { Delivered => "delivered", Retry => "retry", Failed => "failed" }
);

impl TransactionKind {
    /// Whether Regio reports this kind to Stripe as a Payment Record (or a refund of one).
    pub fn is_mirrored(self) -> bool {
        matches!(self, Self::Payment | Self::InvoicePayment | Self::Refund)
    }

    /// The account kinds money may leave and enter for this kind of transaction.
    pub fn allowed_flow(self) -> (&'static [AccountKind], &'static [AccountKind]) {
        use AccountKind::*;
        match self {
            Self::TopUp => (&[Operator], &[Member, Merchant]),
            Self::Payment => (&[Member], &[Merchant]),
            Self::Refund => (&[Merchant, Operator], &[Member]),
            Self::Redemption => (&[Merchant], &[Operator]),
            Self::Adjustment => (&[Member, Merchant, Operator], &[Member, Merchant, Operator]),
            Self::InvoicePayment => (&[Member], &[Operator]),
        }
    }
}

impl AccountKind {
    /// Only the operator (the issuer) may hold a negative balance: that is where coins come from.
    pub fn may_go_negative(self) -> bool {
        self == Self::Operator
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyView {
    pub code: String,
    pub name: String,
    pub exponent: u32,
    pub fiat_currency: String,
    pub fiat_exponent: u32,
    pub peg_rate: String,
    pub payment_method_type: String,
    pub payment_method_name: String,
    /// Refunds above this amount wait for a second person.
    pub refund_approval_threshold: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: String,
    pub kind: AccountKind,
    pub display_name: String,
    pub external_ref: String,
    pub status: AccountStatus,
    pub stripe_customer_id: Option<String>,
    /// `(currency, balance in minor units)`.
    pub balances: Vec<(String, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in TransactionKind::ALL {
            assert_eq!(kind.as_str().parse::<TransactionKind>(), Ok(*kind));
        }
        assert!("gift".parse::<TransactionKind>().is_err());
    }

    #[test]
    fn only_payments_and_refunds_are_mirrored() {
        let mirrored: Vec<_> = TransactionKind::ALL.iter().filter(|k| k.is_mirrored()).collect();
        assert_eq!(mirrored, [&TransactionKind::Payment, &TransactionKind::Refund, &TransactionKind::InvoicePayment]);
    }
}

/// A ledger transaction as people and API clients see it: accounts by reference, amounts in
/// minor units and as text, and where its Stripe mirror stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: String,
    pub external_ref: String,
    pub source: Source,
    pub kind: TransactionKind,
    pub currency: String,
    pub amount_minor: i64,
    pub amount: String,
    pub from_account: String,
    pub to_account: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub description: String,
    /// The refunded payment (refunds) or corrected transaction (adjustments).
    pub corrects_id: Option<String>,
    pub fiat_currency: Option<String>,
    pub fiat_amount_minor: Option<i64>,
    pub mirror_state: MirrorState,
    /// The Payment Record (`pr_…`) this transaction reported or refunded.
    pub stripe_payment_record: Option<String>,
    /// What Stripe had guaranteed and refunded on this payment's record when reconciliation
    /// last read it (payments only; `None` before the first run).
    pub stripe_guaranteed: Option<i64>,
    pub stripe_refunded: Option<i64>,
    pub mirror_error: Option<String>,
}

/// One leg of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    pub account_id: String,
    pub account_ref: String,
    pub account_name: String,
    pub amount_minor: i64,
    pub amount: String,
}

/// One delivery attempt of a transaction's outbox item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttemptView {
    pub at: String,
    pub outcome: AttemptOutcome,
    pub worker: String,
    pub http_status: Option<i64>,
    pub error: Option<String>,
}

/// The outbox item that mirrors a transaction, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorView {
    pub outbox_id: String,
    pub operation: String,
    pub idempotency_key: String,
    pub state: MirrorState,
    pub attempts: Vec<DeliveryAttemptView>,
}

/// A Payment Record (or one of its attempts) as Stripe reports it, reduced to what people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeRecordView {
    pub id: String,
    pub created: String,
    pub livemode: bool,
    pub currency: String,
    pub amount_requested: i64,
    pub amount_guaranteed: i64,
    pub amount_refunded: i64,
    pub amount_failed: i64,
    pub amount_canceled: i64,
    pub payment_reference: Option<String>,
    pub payment_method: Option<String>,
    pub customer: Option<String>,
    pub reported_by: Option<String>,
    pub description: Option<String>,
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// RFC 3339, UTC.
    pub at: String,
    pub what: TimelineWhat,
}

/// What happened, as data: the page words it in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TimelineWhat {
    Occurred { kind: TransactionKind, source: Source },
    Delivery { outcome: AttemptOutcome, error: Option<String> },
    Correction { kind: TransactionKind, amount: String, currency: String, external_ref: String },
}

/// Everything the transaction page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionDetail {
    pub transaction: TransactionView,
    pub entries: Vec<EntryView>,
    pub mirror: Option<MirrorView>,
    /// Refunds of this payment.
    pub refunds: Vec<TransactionView>,
    pub stripe_record: Option<StripeRecordView>,
    pub stripe_attempts: Vec<StripeRecordView>,
    /// Why Stripe's side could not be shown (not configured, unreachable…).
    pub stripe_note: Option<String>,
    /// Link to the record in the Stripe Dashboard (live keys only).
    pub dashboard_url: Option<String>,
    pub timeline: Vec<TimelineEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub rows: Vec<TransactionView>,
    pub next_cursor: Option<String>,
    /// Whether Regio mirrors into a live Stripe account (links go to its Dashboard).
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    /// 1-based data row number in the file (the header is row 0).
    pub row: usize,
    pub field: String,
    pub message: super::Message,
}

/// A CSV import, its check results, and its progress while work is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: String,
    pub filename: String,
    pub created_by: String,
    pub created_at: String,
    pub status: ImportStatus,
    pub rows: i64,
    pub valid: i64,
    pub error_count: i64,
    pub errors: Vec<ImportRowError>,
    /// `(kind, rows, total amount as written in the file)`.
    pub summary: Vec<(String, i64, String)>,
    /// `(rows done, rows in all)` while checking or committing.
    pub progress: Option<(usize, usize)>,
}

/// One page of the accounts list and the cursor (`display_name`, `id`) of the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub accounts: Vec<AccountView>,
    pub next_after: Option<(String, String)>,
}

/// One entry of an account's statement: what moved, with whom, and the balance it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub transaction_id: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    /// When Regio recorded it (RFC 3339, UTC), where that is a minute or more from when it
    /// occurred: a refund or a correction entered later keeps its place in time.
    pub recorded_at: Option<String>,
    pub kind: TransactionKind,
    pub counterparty_ref: String,
    pub counterparty_name: String,
    pub description: String,
    pub currency: String,
    /// Signed: negative when money left the account.
    pub amount_minor: i64,
    pub amount: String,
    /// The account's balance in `currency` right after this entry, in the statement's order.
    pub balance_minor: i64,
    pub balance: String,
}

/// One currency's figures over a statement's period: closing = opening + in − out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTotals {
    pub currency: String,
    pub opening_minor: i64,
    pub opening: String,
    pub money_in_minor: i64,
    pub money_in: String,
    /// What left the account, as a positive amount.
    pub money_out_minor: i64,
    pub money_out: String,
    pub closing_minor: i64,
    pub closing: String,
}

/// An account's statement for a period, as a bank prints one: the opening balance, the entries
/// in the order money moved (when they occurred) with the running balance, the closing balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementPage {
    /// The period's first and last day (`YYYY-MM-DD`, UTC), both included.
    pub from: String,
    pub to: String,
    /// Per currency the account held or moved.
    pub totals: Vec<StatementTotals>,
    pub lines: Vec<StatementLine>,
    /// Pass back as `after` to get the next (later) page of the period.
    pub next_cursor: Option<String>,
}
