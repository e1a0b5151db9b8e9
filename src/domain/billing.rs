//! Billing as administrators run it: members linked to Stripe customers, invoices priced in local
//! currency and collected from wallets, and the Stripe events that keep them current.

use super::ledger::text_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// An invoice's status as Stripe names it. `Draft` also covers an invoice Stripe has not
    /// been told about yet (its creation step is still pending).
    InvoiceStatus {
        Draft => "draft",
        Open => "open",
        Paid => "paid",
        Void => "void",
        Uncollectible => "uncollectible",
    }
);

text_enum!(
    /// Where an invoice was made: in Regio, or in the Stripe Dashboard for a linked customer
    /// (learned from Stripe's events).
    InvoiceOrigin { Regio => "regio", Stripe => "stripe" }
);

text_enum!(
    /// One call Regio owes Stripe for billing, queued in the database and made by a worker.
    StepKind {
        CreateCustomer => "create_customer",
        TagCustomer => "tag_customer",
        AttachPaymentMethod => "attach_payment_method",
        CreateInvoice => "create_invoice",
        FinalizeInvoice => "finalize_invoice",
        VoidInvoice => "void_invoice",
        MarkUncollectible => "mark_uncollectible",
        CreatePlan => "create_plan",
        ArchivePlan => "archive_plan",
        CreateSubscription => "create_subscription",
        CancelSubscription => "cancel_subscription",
        CancelAtPeriodEnd => "cancel_at_period_end",
        PauseSubscription => "pause_subscription",
        ResumeSubscription => "resume_subscription",
        ChangeSubscription => "change_subscription",
    }
);

impl StepKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::CreateCustomer => "Create the Stripe customer",
            Self::TagCustomer => "Name the account on the Stripe customer",
            Self::AttachPaymentMethod => "Give the customer the currency's payment method",
            Self::CreateInvoice => "Create the invoice and its lines in Stripe",
            Self::FinalizeInvoice => "Finalize",
            Self::VoidInvoice => "Void",
            Self::MarkUncollectible => "Mark uncollectible",
            Self::CreatePlan => "Create the product and price in Stripe",
            Self::ArchivePlan => "Archive the price",
            Self::CreateSubscription => "Create the subscription in Stripe",
            Self::CancelSubscription => "Cancel now",
            Self::CancelAtPeriodEnd => "Cancel at the end of the period",
            Self::PauseSubscription => "Pause collection",
            Self::ResumeSubscription => "Resume collection",
            Self::ChangeSubscription => "Change the plan",
        }
    }
}

text_enum!(StepState { Pending => "pending", Done => "done", Failed => "failed" });

text_enum!(
    /// What an administrator can ask of an invoice.
    InvoiceAction { Finalize => "finalize", Void => "void", MarkUncollectible => "mark_uncollectible" }
);

text_enum!(
    /// How far Regio got with a Stripe event.
    EventState { Pending => "pending", Processed => "processed", Ignored => "ignored", Failed => "failed" }
);

text_enum!(
    /// How the event reached Regio: pushed to the webhook, or found by the periodic catch-up.
    EventVia { Webhook => "webhook", CatchUp => "catch_up" }
);

/// A queued Stripe call and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    pub kind: StepKind,
    pub state: StepState,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The Stripe object the step made or changed.
    pub stripe_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A member account's link to a Stripe customer, as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLink {
    pub account_id: String,
    pub account_ref: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The linked `cus_…`, once Stripe has made it or it was attached.
    pub customer: Option<String>,
    /// Only member accounts can be linked.
    pub linkable: bool,
    /// Invoices of this customer not yet paid, void or uncollectible: unlinking waits for them.
    pub open_invoices: i64,
    /// The link's steps, newest first (a pending creation shows here).
    pub steps: Vec<StepView>,
    /// Where a person opens the customer in the Stripe Dashboard (live keys only).
    pub dashboard_url: Option<String>,
    /// The member's subscription invoices waiting for their wallet to fill.
    pub awaiting_funds: Vec<AwaitingFunds>,
}

/// A member the new-invoice form can bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillableMember {
    pub account_id: String,
    pub account_ref: String,
    pub display_name: String,
    pub customer: String,
}

/// A currency with what the new-invoice form needs to show the fiat price as people type
/// (`domain::money::Peg` with these numbers is the one rounding rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingCurrency {
    pub code: String,
    pub name: String,
    pub exponent: u32,
    pub fiat_currency: String,
    pub fiat_exponent: u32,
    pub peg_rate: String,
}

/// What the new-invoice form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingSetup {
    pub currencies: Vec<BillingCurrency>,
    pub members: Vec<BillableMember>,
    /// `YYYY-MM-DD`, 30 days from today: the form's default due date.
    pub default_due_date: String,
}

/// One line of a new invoice as typed; amounts in the currency's major units ("1200", "12.50").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit_amount: String,
}

/// At most this many lines on one invoice.
pub const MAX_LINES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: String,
    /// `in_…` once Stripe has the invoice.
    pub stripe_id: Option<String>,
    /// Stripe's invoice number, once finalized.
    pub number: Option<String>,
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    pub status: InvoiceStatus,
    pub origin: InvoiceOrigin,
    /// Local total, formatted ("1,200 SRB"), and its fiat ("¥1,200").
    pub local_total: String,
    pub fiat_total: String,
    /// Fiat still due, formatted.
    pub fiat_remaining: String,
    pub due_date: Option<String>,
    pub created_at: String,
    /// A Stripe call for this invoice is queued or failed: its status may be about to change.
    pub step_pending: bool,
    pub step_failed: bool,
}

/// The billing page's filters, as the URL carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFilter {
    /// An `InvoiceStatus`.
    pub status: Option<String>,
    /// A member's external reference.
    pub account: Option<String>,
    pub origin: Option<String>,
    /// `YYYY-MM-DD`: due on or before (open invoices past due: `status=open&due_to=<today>`).
    pub due_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub rows: Vec<InvoiceRow>,
    pub next_cursor: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLineView {
    pub description: String,
    pub quantity: i64,
    /// Formatted: unit price in local currency, line total in local currency and in fiat.
    pub unit_amount: String,
    pub local_amount: String,
    pub fiat_amount: String,
}

/// A ledger payment of the invoice and where its Payment Record stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePaymentView {
    pub transaction_id: String,
    pub amount: String,
    pub fiat: String,
    pub occurred_at: String,
    /// The outbox state of its delivery (`pending`, `delivered`, `failed`).
    pub mirror: String,
    pub record_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteView {
    pub id: String,
    pub number: Option<String>,
    pub amount: String,
    pub created_at: String,
    /// The refund transaction it mirrors, when Regio made it.
    pub refund_transaction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub invoice: InvoiceRow,
    pub memo: String,
    pub currency: String,
    pub lines: Vec<InvoiceLineView>,
    pub steps: Vec<StepView>,
    pub payments: Vec<InvoicePaymentView>,
    /// Read from Stripe when the page loads; `None` when Stripe could not be asked.
    pub credit_notes: Option<Vec<CreditNoteView>>,
    pub hosted_invoice_url: Option<String>,
    pub can_finalize: bool,
    pub can_void: bool,
    pub can_mark_uncollectible: bool,
    pub can_collect: bool,
    /// Why collecting is not offered now, when it is not.
    pub collect_blocked: Option<String>,
}

/// What "Collect from wallet" will do; nothing moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionPreview {
    pub invoice_id: String,
    pub member: String,
    /// The member's balance now, the amount to debit, and the balance after (formatted).
    pub balance: String,
    pub amount: String,
    pub fiat: String,
    pub balance_after: String,
    /// Set when the wallet holds too little: how much is missing (formatted).
    pub shortfall: Option<String>,
    /// What will happen, in order, for the confirmation dialog.
    pub ledger: Vec<String>,
    pub stripe: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: String,
    pub kind: String,
    /// The object the event is about (`in_…`, `cus_…`, …).
    pub object_id: Option<String>,
    /// When Stripe made it, and when it reached Regio.
    pub created_at: String,
    pub received_at: String,
    pub via: EventVia,
    pub state: EventState,
    pub attempts: i64,
    pub error: Option<String>,
    pub processed_at: Option<String>,
    /// What processing did ("invoice in_… is paid", "ignored: customer not linked").
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// An `EventState`.
    pub state: Option<String>,
    /// An event type, e.g. `invoice.paid`.
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    pub next_cursor: Option<String>,
    /// When the catch-up last asked Stripe for events, and what it found.
    pub last_catch_up: Option<String>,
}

text_enum!(
    /// How often a plan bills.
    PlanInterval { Month => "month", Year => "year" }
);

text_enum!(
    /// What happens to a subscription invoice still unpaid after the last retry.
    DunningFinal { LeavePastDue => "leave_past_due", MarkUncollectible => "mark_uncollectible", CancelSubscription => "cancel_subscription" }
);

impl DunningFinal {
    pub fn label(self) -> &'static str {
        match self {
            Self::LeavePastDue => "Leave it due (the subscription goes on)",
            Self::MarkUncollectible => "Mark the invoice uncollectible",
            Self::CancelSubscription => "Cancel the subscription",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub interval: PlanInterval,
    /// Per period, formatted: in local currency, and its fiat at the peg when the plan was made.
    pub amount: String,
    pub fiat: String,
    pub stripe_price: Option<String>,
    pub active: bool,
    /// Subscriptions not canceled.
    pub subscribers: i64,
    pub step_pending: bool,
    pub step_failed: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub stripe_id: Option<String>,
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    pub plan: String,
    pub quantity: i64,
    /// Stripe's status (`incomplete`, `active`, `past_due`, `canceled`, …), or `pending` before
    /// Stripe has it, `scheduled` before its start date.
    pub status: String,
    pub cancel_at_period_end: bool,
    /// The start date of a scheduled subscription.
    pub starts_on: Option<String>,
    pub paused: bool,
    /// The plan it is changing to, while that change is on its way to Stripe.
    pub changing_to: Option<String>,
    pub plan_id: String,
    /// When the next invoice comes, and its amount (formatted).
    pub next_invoice_date: Option<String>,
    pub next_amount: String,
    pub step_pending: bool,
    pub step_failed: bool,
    pub created_at: String,
}

/// The Stripe test clock demo customers live on, and the time it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestClockView {
    pub id: String,
    pub frozen_time: String,
}

/// What changing a subscription's plan costs, as Stripe computed it, shown before confirming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePreview {
    pub plan_id: String,
    pub quantity: i64,
    /// The unix second prorated for; the confirmation sends the same one, so Stripe bills what
    /// was shown.
    pub proration_date: i64,
    /// A higher price is prorated and collected now; a lower one applies from the next renewal.
    pub prorated: bool,
    /// The proration lines (description, formatted fiat amount).
    pub lines: Vec<(String, String)>,
    /// Due now, in fiat and in local currency at the peg; zero for a lower price.
    pub due_now: String,
    pub due_now_local: String,
    /// Each renewal from now on.
    pub renews_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionFilter {
    pub status: Option<String>,
    /// A member's external reference.
    pub account: Option<String>,
    pub plan: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionPage {
    pub rows: Vec<SubscriptionRow>,
    pub next_cursor: Option<String>,
    pub count: i64,
}

/// An invoice the member's wallet could not pay yet, as the dunning page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingFunds {
    pub invoice_id: String,
    pub number: Option<String>,
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    /// Formatted: what is due, what the wallet holds, and the difference.
    pub due: String,
    pub balance: String,
    pub shortfall: String,
    pub awaiting_since: String,
    /// Whole days since it started waiting.
    pub age_days: i64,
    pub retries: i64,
    pub next_retry_at: Option<String>,
    /// Set once the retries ran out: what the currency's rule did.
    pub outcome: Option<String>,
}

/// A currency's dunning rules, as Settings edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DunningRules {
    pub currency: String,
    /// Days after the first attempt, comma-separated ("1,3,7").
    pub retry_days: String,
    pub final_rule: DunningFinal,
    /// Apply what the wallet holds and leave the rest due (otherwise: only the whole amount).
    pub partial: bool,
}

/// A member to remind to top up: their wallet holds less than their next invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpReminder {
    pub account_id: String,
    pub account_ref: String,
    pub member: String,
    pub email: Option<String>,
    pub plan: String,
    pub next_invoice_date: Option<String>,
    /// Formatted: the next invoice, the wallet, and the difference.
    pub amount: String,
    pub balance: String,
    pub shortfall: String,
}
