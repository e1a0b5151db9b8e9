//! Reconciliation: each break class made through the emulator (as a Dashboard user would) or a
//! refused delivery, found alone by a run; each fix applied and judged by the next run; the
//! case page, the export, "Run now", and the lease that keeps runs one at a time. One test per
//! class and per fix, so that one failure hides nothing else.

use crate::both_databases;
use crate::ledger::{assert_ledger_consistent, item, ledger_fixture, post};
use crate::support::{Backend, TestApp, spawn_app, spawn_app_with, spawn_emulator};
use regio::domain::recon::{BreakClass, CaseFilter, CaseState, FixKind};
use regio::server::db::audit::Actor;
use regio::server::db::recon_cases::{CaseQuery, count_up_to};
use regio::server::db::recon_compare::Scope;
use regio::server::db::{now_ms, recon_runs};
use regio::server::mirror::{MirrorWorker, WorkerOptions};
use regio::server::recon::case::fixes::{self, FixRequest};
use regio::server::recon::reconcile::find_breaks;
use regio::server::recon::{ReconError, Reconciler};
use regio::server::stripe::client::customers::CreateCustomer;
use regio::server::stripe::client::invoice_items::{CreateInvoiceItem, ItemCharge};
use regio::server::stripe::client::invoices::{CreateInvoice, FinalizeInvoice};
use regio::server::stripe::client::payment_details::{CustomPaymentMethod, CustomProcessor, PaymentOutcome};
use regio::server::stripe::client::payment_records::{ReportPayment, ReportRefund};
use regio::server::stripe::client::{Amount, IdempotencyKey, Metadata, StripeClient};
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;

both_databases!(
    a_faithful_mirror_has_no_breaks_and_the_ledger_shows_stripes_side,
    a_deleted_record_is_missing_in_stripe,
    a_payment_whose_delivery_was_refused_is_missing_in_stripe,
    an_amount_changed_in_stripe_is_an_amount_mismatch,
    a_currency_changed_in_stripe_is_a_currency_mismatch,
    a_refund_made_only_in_stripe_is_a_refund_mismatch,
    a_refund_whose_delivery_was_refused_is_a_refund_mismatch,
    a_failed_outcome_in_stripe_is_a_status_mismatch,
    a_second_record_for_one_payment_is_a_duplicate,
    another_customer_on_the_record_is_a_customer_mismatch,
    a_record_without_a_ledger_transaction_is_an_orphan,
    an_invoice_payment_stripe_would_not_attach_is_an_invoice_mismatch,
    reporting_a_deleted_payment_again_closes_its_case,
    an_adjustment_to_stripes_amount_closes_the_case,
    ignoring_a_currency_mismatch_keeps_it_ignored,
    an_adjustment_for_a_refund_made_in_stripe_closes_the_case,
    reporting_a_refused_refund_again_closes_the_case,
    an_adjustment_for_a_failed_payment_closes_the_case,
    refunding_a_duplicate_record_closes_the_case,
    linking_an_orphan_closes_both_cases_and_unlinking_reopens_them,
    a_bulk_ignore_applies_only_to_the_selection_it_previewed,
    ignoring_an_invoice_mismatch_keeps_it_ignored,
    the_case_page_shows_both_sides_to_viewers_who_cannot_fix,
    the_queue_counts_its_selection_up_to_a_cap,
    the_queue_exports_as_csv_with_its_filters,
    run_now_is_for_support_and_audited,
    a_second_run_is_refused_while_the_lease_is_held_or_not_yet_expired,
    the_lease_lasts_a_minute_after_its_last_heartbeat,
    the_missing_refund_reaches_stripe_once_however_often_it_is_fixed,
    the_export_streams_every_case_page_by_page,
    an_incremental_run_leaves_exactly_the_cases_a_full_comparison_finds,
);

/// More cases than the export reads at once: the file is streamed (no `Content-Length`, so it is
/// not built in memory first) and holds every case exactly once, in queue order.
async fn the_export_streams_every_case_page_by_page(backend: Backend) {
    use regio::server::db::recon_cases::{self, Sighting};
    let app = crate::support::spawn_app(backend).await;
    app.add_user("vic@example.org", "viewer").await;
    let sightings: Vec<Sighting> = (0..1_250)
        .map(|n| Sighting {
            class: BreakClass::OrphanInStripe,
            subject: format!("pr_export_{n:05}"),
            transaction_id: None,
            record_id: Some(format!("pr_export_{n:05}")),
            account_id: None,
            amount: regio::domain::money::Money::new(100 + n, "jpy"),
            differs: regio::domain::recon::Differs::NoTransaction { stripe: format!("¥{n}") },
        })
        .collect();
    let mut tx = app.db.begin_write().await.expect("begin");
    let mut ids = recon_cases::open(&mut tx.tx, &sightings, regio::server::db::now_ms()).await.expect("open cases");
    tx.commit().await.expect("commit");
    ids.sort();

    let viewer = app.signed_in("vic@example.org").await;
    let response = viewer.get(app.url("/reconciliation/export")).send().await.expect("export");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get(reqwest::header::CONTENT_LENGTH), None, "the export is streamed, not built first");
    let csv = response.text().await.expect("csv body");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("case_id,class,state,age,first_seen,last_seen,transaction_id,record_id,account_id,account,amount,currency,summary,assignee"));
    let exported: Vec<&str> = lines.map(|line| line.split(',').next().unwrap_or_default()).collect();
    assert_eq!(exported, ids, "every case once, oldest first");
}

struct World {
    app: TestApp,
    emulator: String,
    stripe: StripeClient,
    api_key: String,
    /// Ledger transaction id by external reference.
    ids: HashMap<String, String>,
}

/// A break as a Dashboard user or a refused delivery makes it, on payment `p1` unless it says
/// otherwise.
#[derive(Debug, Clone, Copy)]
enum Break {
    RecordDeleted,
    PaymentRefused,
    AmountChanged,
    CurrencyChanged,
    RefundedInStripe,
    RefundRefused,
    MarkedFailed,
    ReportedTwice,
    OtherCustomer,
    Orphan,
    DraftInvoice,
}

impl World {
    /// SRB pegged 1:1 to JPY, a funded member, and payment `p1` of 1,000 SRB mirrored into the
    /// world's own emulator; a first (full) run finds nothing, so every break is one a test makes.
    async fn new(backend: Backend) -> Self {
        let (emulator, stripe) = spawn_emulator().await;
        let app = spawn_app_with(backend, Some(stripe.clone())).await;
        let api_key = ledger_fixture(&app).await;
        let mut world = World { app, emulator, stripe, api_key, ids: HashMap::new() };
        world.post(vec![item("top-1", "top_up", "50000", "op-1", "m-1"), payment("p1")]).await;
        world.deliver().await;
        assert!(world.reconcile(false).await.is_empty(), "a ledger mirrored without faults has no breaks");
        world
    }

    /// Posts through the API and learns the new transactions' ids.
    async fn post(&mut self, items: Vec<Value>) {
        let (status, body) = post(&self.app, &self.api_key, items).await;
        assert_eq!(status, 200, "{body}");
        self.ids = sqlx::query("SELECT external_ref, id FROM transactions")
            .fetch_all(&self.app.sql)
            .await
            .expect("ids")
            .iter()
            .map(|r| (r.get("external_ref"), r.get("id")))
            .collect();
    }

    fn id(&self, reference: &str) -> String {
        self.ids[reference].clone()
    }

    /// Runs a mirror worker until the outbox has nothing pending.
    async fn deliver(&self) {
        let (stop, stopped) = watch::channel(false);
        let worker = MirrorWorker::new(self.app.db.clone(), self.stripe.clone(), WorkerOptions::default());
        let running = tokio::spawn(worker.run(stopped));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let pending: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetch_one(&self.app.sql).await.expect("pending").get(0);
            if pending == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the outbox did not drain");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stop.send(true);
        let _ = running.await;
    }

    /// Posts `item` and has Stripe refuse its delivery for good before any worker tries it.
    async fn post_refused(&mut self, item: Value) {
        let reference = item["external_ref"].as_str().expect("reference").to_string();
        self.post(vec![item]).await;
        sqlx::query("UPDATE outbox SET state = 'failed', last_error = 'refused by Stripe' WHERE transaction_id = $1")
            .bind(self.id(&reference))
            .execute(&self.app.sql)
            .await
            .expect("fail delivery");
    }

    async fn record_of(&self, reference: &str) -> String {
        sqlx::query("SELECT stripe_id FROM outbox WHERE transaction_id = $1 AND operation = 'report_payment'")
            .bind(self.id(reference))
            .fetch_one(&self.app.sql)
            .await
            .expect("record")
            .get("stripe_id")
    }

    /// A change made by hand in the Dashboard to `reference`'s record (emulator-only route).
    async fn dashboard_edit(&self, reference: &str, form: &[(&str, &str)]) {
        let url = format!("{}/_emulator/payment_records/{}", self.emulator, self.record_of(reference).await);
        let response = crate::support::emulator_control().post(url).form(form).send().await.expect("edit");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }

    /// Makes `b` and answers the `(class, subject)` of the case it must open.
    async fn make(&mut self, b: Break) -> (BreakClass, String) {
        match b {
            Break::RecordDeleted => {
                let url = format!("{}/_emulator/payment_records/{}", self.emulator, self.record_of("p1").await);
                assert_eq!(crate::support::emulator_control().delete(url).send().await.expect("delete").status(), 200);
                (BreakClass::MissingInStripe, self.id("p1"))
            }
            Break::PaymentRefused => {
                self.post_refused(payment("p2")).await;
                (BreakClass::MissingInStripe, self.id("p2"))
            }
            Break::AmountChanged => {
                self.dashboard_edit("p1", &[("amount_requested", "900")]).await;
                (BreakClass::AmountMismatch, self.id("p1"))
            }
            Break::CurrencyChanged => {
                self.dashboard_edit("p1", &[("currency", "usd")]).await;
                (BreakClass::CurrencyMismatch, self.id("p1"))
            }
            Break::RefundedInStripe => {
                let by_hand = ReportRefund {
                    amount: Some(Amount::new("jpy", 200)),
                    refund_reference: "dash-1".into(),
                    refunded_at: 1_700_000_000,
                    initiated_at: None,
                    metadata: Metadata::new(),
                };
                self.stripe.payment_records().report_refund(&self.record_of("p1").await, &by_hand, &key("refund")).await.expect("refund by hand");
                (BreakClass::RefundMismatch, self.id("p1"))
            }
            Break::RefundRefused => {
                self.post_refused(refund("r1", "p1", "100")).await;
                (BreakClass::RefundMismatch, self.id("p1"))
            }
            Break::MarkedFailed => {
                self.dashboard_edit("p1", &[("outcome", "failed")]).await;
                (BreakClass::StatusMismatch, self.id("p1"))
            }
            Break::ReportedTwice => {
                self.stripe.payment_records().report_payment(&by_hand(1000, Some(&self.id("p1"))), &key("duplicate")).await.expect("duplicate");
                (BreakClass::DuplicateInStripe, self.id("p1"))
            }
            Break::OtherCustomer => {
                self.dashboard_edit("p1", &[("customer", "cus_someone_else")]).await;
                (BreakClass::CustomerMismatch, self.id("p1"))
            }
            Break::Orphan => {
                let orphan = self.stripe.payment_records().report_payment(&by_hand(1000, None), &key("orphan")).await.expect("orphan").id;
                (BreakClass::OrphanInStripe, orphan)
            }
            Break::DraftInvoice => {
                // Beside an invoice paid as it should be: its record is attached on delivery.
                let open = invoice(&self.stripe, true).await;
                let draft = invoice(&self.stripe, false).await;
                self.post(vec![invoice_payment("ip1", &open), invoice_payment("ip2", &draft)]).await;
                self.deliver().await;
                let refused: String = sqlx::query("SELECT state FROM outbox WHERE transaction_id = $1")
                    .bind(self.id("ip2"))
                    .fetch_one(&self.app.sql)
                    .await
                    .expect("delivery")
                    .get("state");
                assert_eq!(refused, "failed", "attaching a record to a draft invoice is refused for good");
                (BreakClass::InvoiceMismatch, self.id("ip2"))
            }
        }
    }

    /// A run; `full` re-reads every record (changes to old records and deletions show only
    /// then, as Stripe sends no events for Payment Records).
    async fn reconcile(&self, full: bool) -> HashMap<BreakClass, i64> {
        self.reconciler().run(&Actor::cli(), full).await.expect("run").into_iter().collect()
    }

    fn reconciler(&self) -> Reconciler {
        Reconciler::new(self.app.db.clone(), Some(self.stripe.clone()), Duration::ZERO)
    }

    /// Every case as `(class, subject) -> (id, state)`.
    async fn cases(&self) -> HashMap<(String, String), (String, String)> {
        sqlx::query("SELECT id, class, subject, state FROM recon_cases")
            .fetch_all(&self.app.sql)
            .await
            .expect("cases")
            .iter()
            .map(|r| ((r.get("class"), r.get("subject")), (r.get("id"), r.get("state"))))
            .collect()
    }

    /// Asserts that the cases are exactly `expected` (class, subject, state); answers their ids
    /// in that order.
    async fn assert_cases(&self, expected: &[(BreakClass, &str, CaseState)]) -> Vec<String> {
        let cases = self.cases().await;
        let mut ids = Vec::new();
        for (class, subject, state) in expected {
            let (id, actual) =
                cases.get(&(class.as_str().to_string(), subject.to_string())).unwrap_or_else(|| panic!("no {class} case for {subject}: {cases:?}"));
            assert_eq!(actual, state.as_str(), "{class} case for {subject}");
            ids.push(id.clone());
        }
        assert_eq!(cases.len(), expected.len(), "no other case: {cases:?}");
        ids
    }

    async fn apply(&self, case: &str, kind: FixKind, transaction_id: Option<&str>, reason: Option<&str>) {
        let preview = fixes::preview(&self.app.db, case, kind, transaction_id).await.expect("preview");
        assert!(!(preview.ledger.is_empty() && preview.stripe.is_empty() && preview.case.is_empty()), "{kind} shows what it will do");
        let request = FixRequest { kind, transaction_id: transaction_id.map(str::to_string), reason: reason.map(str::to_string) };
        fixes::apply(&self.app.db, &Actor::cli(), case, request).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
    }

    async fn assert_audited(&self, action: &str) {
        let actions: Vec<String> = self.app.audit_actions().await.into_iter().map(|(a, _)| a).collect();
        assert!(actions.iter().any(|a| a == action), "{action} is audited: {actions:?}");
    }

    /// A fresh browser signed in as a new user with `role`.
    async fn signed_in(&self, role: &str) -> reqwest::Client {
        let email = format!("{role}@example.com");
        self.app.add_user(&email, role).await;
        self.app.signed_in(&email).await
    }
}

/// Break `b` in a fresh world, found by a full run as the only case.
struct Found {
    world: World,
    class: BreakClass,
    subject: String,
    case: String,
}

async fn with_break(backend: Backend, b: Break) -> Found {
    let mut world = World::new(backend).await;
    let (class, subject) = world.make(b).await;
    let found = world.reconcile(true).await;
    assert_eq!(found, HashMap::from([(class, 1)]), "{b:?}");
    let case = world.assert_cases(&[(class, &subject, CaseState::Open)]).await.remove(0);
    Found { world, class, subject, case }
}

/// A class test: break `b` is found alone, and reruns without changes (incremental, then full)
/// change no case.
async fn found_alone(backend: Backend, b: Break) {
    let Found { world: w, .. } = with_break(backend, b).await;
    let cases = w.cases().await;
    w.reconcile(false).await;
    assert_eq!(w.cases().await, cases, "{b:?}: a rerun without changes changes no case");
    w.reconcile(true).await;
    assert_eq!(w.cases().await, cases, "{b:?}: nor does a full one");
}

/// A fix test: `kind` applied to break `b`'s case leaves it `after` once the fix is delivered and
/// the next run has looked; it opens no other case, keeps the ledger balanced, and is audited.
async fn fixed(backend: Backend, b: Break, kind: FixKind, reason: Option<&str>, after: CaseState) {
    let Found { world: w, class, subject, case } = with_break(backend, b).await;
    w.apply(&case, kind, None, reason).await;
    w.deliver().await;
    w.reconcile(false).await;
    assert_eq!(w.assert_cases(&[(class, &subject, after)]).await, [case], "the same case");
    assert_ledger_consistent(&w.app).await;
    w.assert_audited(&format!("recon.{kind}")).await;
}

fn payment(reference: &str) -> Value {
    item(reference, "payment", "1000", "m-1", "shop-1")
}

/// A 1,000 JPY invoice for a new customer: open (finalized) or still a draft.
pub async fn invoice(stripe: &StripeClient, open: bool) -> String {
    let customer = stripe.customers().create(&CreateCustomer::default(), &key("customer")).await.expect("customer").id;
    let invoice = stripe.invoices().create(&CreateInvoice::send_invoice(&customer, "jpy", 14), &key("invoice")).await.expect("invoice").id;
    let item = CreateInvoiceItem {
        customer,
        invoice: Some(invoice.clone()),
        charge: ItemCharge::Amount { amount: 1000, currency: "jpy".into() },
        description: None,
        metadata: Metadata::new(),
    };
    stripe.invoice_items().create(&item, &key("item")).await.expect("item");
    if open {
        stripe.invoices().finalize(&invoice, &FinalizeInvoice::default(), &key("finalize")).await.expect("finalize");
    }
    invoice
}

fn invoice_payment(reference: &str, invoice: &str) -> Value {
    let mut paid = item(reference, "invoice_payment", "1000", "m-1", "op-1");
    paid["invoice"] = invoice.into();
    paid
}

fn refund(reference: &str, of: &str, amount: &str) -> Value {
    let mut refund = item(reference, "refund", amount, "shop-1", "m-1");
    refund["refund_of"] = of.into();
    refund
}

fn by_hand(value: i64, reference: Option<&str>) -> ReportPayment {
    ReportPayment {
        amount_requested: Amount::new("jpy", value),
        initiated_at: 1_700_000_000,
        payment_method: CustomPaymentMethod {
            custom_type: "cpmt_sarubobo".into(),
            display_name: Some("Sarubobo Coin".into()),
            billing_details: None,
            payment_method: None,
        },
        outcome: Some(PaymentOutcome::Guaranteed { guaranteed_at: 1_700_000_000 }),
        processor: reference.map(|r| CustomProcessor { payment_reference: r.to_string() }),
        customer_details: None,
        customer_presence: None,
        description: Some("Entered by hand in the Dashboard".into()),
        shipping_details: None,
        metadata: Metadata::new(),
    }
}

fn key(name: &str) -> IdempotencyKey {
    IdempotencyKey::new(format!("dashboard-{name}-{}", crate::support::uuid_simple())).expect("key")
}

async fn a_faithful_mirror_has_no_breaks_and_the_ledger_shows_stripes_side(backend: Backend) {
    let mut w = World::new(backend).await;
    w.post(vec![refund("r1", "p1", "300")]).await;
    w.deliver().await;
    assert!(w.reconcile(false).await.is_empty(), "a mirrored refund is no break");
    let p1 = regio::server::db::ledger::view(&w.app.db, &w.id("p1")).await.expect("view").expect("p1");
    assert_eq!((p1.stripe_guaranteed, p1.stripe_refunded), (Some(1000), Some(300)), "the ledger list shows Stripe's side as the run read it");
}

async fn a_deleted_record_is_missing_in_stripe(backend: Backend) {
    found_alone(backend, Break::RecordDeleted).await;
}

async fn a_payment_whose_delivery_was_refused_is_missing_in_stripe(backend: Backend) {
    found_alone(backend, Break::PaymentRefused).await;
}

async fn an_amount_changed_in_stripe_is_an_amount_mismatch(backend: Backend) {
    found_alone(backend, Break::AmountChanged).await;
}

async fn a_currency_changed_in_stripe_is_a_currency_mismatch(backend: Backend) {
    found_alone(backend, Break::CurrencyChanged).await;
}

async fn a_refund_made_only_in_stripe_is_a_refund_mismatch(backend: Backend) {
    found_alone(backend, Break::RefundedInStripe).await;
}

async fn a_refund_whose_delivery_was_refused_is_a_refund_mismatch(backend: Backend) {
    found_alone(backend, Break::RefundRefused).await;
}

async fn a_failed_outcome_in_stripe_is_a_status_mismatch(backend: Backend) {
    found_alone(backend, Break::MarkedFailed).await;
}

async fn a_second_record_for_one_payment_is_a_duplicate(backend: Backend) {
    found_alone(backend, Break::ReportedTwice).await;
}

async fn another_customer_on_the_record_is_a_customer_mismatch(backend: Backend) {
    found_alone(backend, Break::OtherCustomer).await;
}

async fn a_record_without_a_ledger_transaction_is_an_orphan(backend: Backend) {
    found_alone(backend, Break::Orphan).await;
}

async fn an_invoice_payment_stripe_would_not_attach_is_an_invoice_mismatch(backend: Backend) {
    found_alone(backend, Break::DraftInvoice).await;
}

async fn reporting_a_deleted_payment_again_closes_its_case(backend: Backend) {
    fixed(backend, Break::RecordDeleted, FixKind::ReportPayment, None, CaseState::Closed).await;
}

async fn an_adjustment_to_stripes_amount_closes_the_case(backend: Backend) {
    fixed(backend, Break::AmountChanged, FixKind::Adjust, Some("Stripe has the amount the shop confirmed"), CaseState::Closed).await;
}

async fn ignoring_a_currency_mismatch_keeps_it_ignored(backend: Backend) {
    fixed(backend, Break::CurrencyChanged, FixKind::Ignore, Some("test record"), CaseState::Ignored).await;
}

async fn an_adjustment_for_a_refund_made_in_stripe_closes_the_case(backend: Backend) {
    fixed(backend, Break::RefundedInStripe, FixKind::Adjust, Some("refunded at the counter"), CaseState::Closed).await;
}

async fn reporting_a_refused_refund_again_closes_the_case(backend: Backend) {
    fixed(backend, Break::RefundRefused, FixKind::ReportRefund, None, CaseState::Closed).await;
}

async fn an_adjustment_for_a_failed_payment_closes_the_case(backend: Backend) {
    fixed(backend, Break::MarkedFailed, FixKind::Adjust, Some("the payment bounced"), CaseState::Closed).await;
}

async fn refunding_a_duplicate_record_closes_the_case(backend: Backend) {
    fixed(backend, Break::ReportedTwice, FixKind::RefundDuplicate, None, CaseState::Closed).await;
}

async fn ignoring_an_invoice_mismatch_keeps_it_ignored(backend: Backend) {
    fixed(backend, Break::DraftInvoice, FixKind::Ignore, Some("invoice to be finalized by billing"), CaseState::Ignored).await;
}

async fn linking_an_orphan_closes_both_cases_and_unlinking_reopens_them(backend: Backend) {
    let mut w = World::new(backend).await;
    let (_, orphan) = w.make(Break::Orphan).await;
    let (_, p2) = w.make(Break::PaymentRefused).await;
    w.reconcile(true).await;
    let open = [(BreakClass::OrphanInStripe, orphan.as_str(), CaseState::Open), (BreakClass::MissingInStripe, p2.as_str(), CaseState::Open)];
    let ids = w.assert_cases(&open).await;

    // The orphan's case suggests the unmirrored payment of the same amount, for a person to link.
    let viewer = w.signed_in("viewer").await;
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &ids[0])]).await.json().await.expect("detail");
    let suggested: Vec<&str> = detail["candidates"].as_array().expect("candidates").iter().filter_map(|c| c["transaction_id"].as_str()).collect();
    assert!(suggested.contains(&p2.as_str()), "p2 is a candidate: {suggested:?}");

    w.apply(&ids[0], FixKind::Link, Some(&p2), None).await;
    w.reconcile(false).await;
    w.assert_cases(&[(BreakClass::OrphanInStripe, &orphan, CaseState::Closed), (BreakClass::MissingInStripe, &p2, CaseState::Closed)]).await;
    w.assert_audited("recon.link").await;

    // Undoing the link reopens the orphan case at once, and the next run finds p2 missing again.
    let request = FixRequest { kind: FixKind::Unlink, transaction_id: None, reason: Some("wrong payment".into()) };
    fixes::apply(&w.app.db, &Actor::cli(), &ids[0], request).await.expect("unlink");
    w.assert_cases(&[(BreakClass::OrphanInStripe, &orphan, CaseState::Open), (BreakClass::MissingInStripe, &p2, CaseState::Closed)]).await;
    w.reconcile(false).await;
    assert_eq!(w.assert_cases(&open).await[0], ids[0], "the same orphan case, reopened");
    w.assert_audited("recon.unlink").await;

    // The history reads in the reader's language where Regio wrote it, and in the person's own
    // words where a person did.
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &ids[0])]).await.json().await.expect("detail");
    let history = detail["history"].as_array().expect("history");
    let event = |what: &str| history.iter().find(|e| e["what"] == what).unwrap_or_else(|| panic!("a {what} event in {history:?}"));
    let opened = &event("opened")["detail"];
    assert!(opened["en"].as_str().is_some_and(|t| t.contains("no ledger transaction")), "{opened}");
    assert!(opened["ja"].as_str().is_some_and(|t| t.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c))), "Japanese: {opened}");
    assert_eq!(event("unlink")["detail"], serde_json::json!({ "en": "wrong payment" }));
    assert_eq!(event("reopened")["detail"], serde_json::json!({ "en": "The link was undone.", "ja": "紐付けが取り消されました。" }));
}

/// Moves everything Regio stamped a day into the past, as if the ledger had a history and the
/// next scheduled run came a day later; the runs so far move a little less, as if the last
/// one had come well after the last change (beyond the margin a run allows for changes still
/// committing).
async fn a_day_passes(w: &World) {
    const DAY: i64 = 86_400_000;
    const LATER: i64 = 3_600_000;
    sqlx::query("UPDATE recon_runs SET started_at = started_at - $1, finished_at = finished_at - $1")
        .bind(DAY - LATER)
        .execute(&w.app.sql)
        .await
        .expect("runs");
    for sql in [
        "UPDATE transactions SET recorded_at = recorded_at - $1",
        "UPDATE outbox SET updated_at = updated_at - $1",
        "UPDATE stripe_records SET changed_at = changed_at - $1, synced_at = synced_at - $1",
        "UPDATE stripe_invoices SET synced_at = synced_at - $1",
        "UPDATE accounts SET updated_at = updated_at - $1",
        "UPDATE currencies SET updated_at = updated_at - $1",
    ] {
        sqlx::query(sql).bind(DAY).execute(&w.app.sql).await.expect(sql);
    }
}

/// Breaks as a full comparison of the ledger with the snapshot finds them now.
async fn full_comparison(w: &World) -> std::collections::BTreeSet<(String, String)> {
    let mut tx = w.app.db.begin_snapshot().await.expect("snapshot");
    let found = find_breaks(&mut tx, 0, Scope::Everything).await.expect("compare");
    found.found.into_iter().map(|s| (s.class.as_str().to_string(), s.subject)).collect()
}

/// A scheduled run compares only what changed since the last one, yet leaves the same cases as
/// a full comparison: breaks of new payments, of old payments changed since, of a fix
/// delivered, of a link undone. Ledger rows changed behind Regio's back are left to the next
/// full comparison, which shows the run compared neither an old payment nor a live case's
/// payment that did not change.
async fn an_incremental_run_leaves_exactly_the_cases_a_full_comparison_finds(backend: Backend) {
    let mut w = World::new(backend).await;
    w.post_refused(payment("p9")).await;
    w.post_refused(payment("p8")).await;
    w.post_refused(payment("p5")).await;
    w.post(vec![payment("p4")]).await;
    w.deliver().await;
    let (_, orphan) = w.make(Break::Orphan).await;
    w.reconcile(false).await;
    let cases = w.cases().await;
    let case_of = |class: BreakClass, subject: &str| cases[&(class.as_str().to_string(), subject.to_string())].0.clone();
    w.apply(&case_of(BreakClass::OrphanInStripe, &orphan), FixKind::Link, Some(&w.id("p5")), None).await;
    w.reconcile(false).await;
    assert_eq!(full_comparison(&w).await.len(), 2, "only p9 and p8 are missing");
    a_day_passes(&w).await;

    w.make(Break::PaymentRefused).await;
    w.make(Break::RefundRefused).await;
    w.make(Break::ReportedTwice).await;
    w.make(Break::DraftInvoice).await;
    w.apply(&case_of(BreakClass::MissingInStripe, &w.id("p9")), FixKind::ReportPayment, None, None).await;
    w.deliver().await;
    let unlink = FixRequest { kind: FixKind::Unlink, transaction_id: None, reason: Some("wrong payment".into()) };
    fixes::apply(&w.app.db, &Actor::cli(), &case_of(BreakClass::OrphanInStripe, &orphan), unlink).await.expect("unlink");
    sqlx::query("UPDATE transactions SET fiat_amount = 999 WHERE id = $1").bind(w.id("p4")).execute(&w.app.sql).await.expect("tamper");
    sqlx::query("UPDATE transactions SET kind = 'top_up' WHERE id = $1").bind(w.id("p8")).execute(&w.app.sql).await.expect("tamper");

    w.reconcile(false).await;
    let live: std::collections::BTreeSet<(String, String)> =
        w.cases().await.into_iter().filter(|(_, (_, state))| state != "closed").map(|(key, _)| key).collect();
    let mut expected = full_comparison(&w).await;
    assert!(expected.remove(&(BreakClass::AmountMismatch.as_str().to_string(), w.id("p4"))), "the full comparison sees the tampered payment");
    assert!(expected.insert((BreakClass::MissingInStripe.as_str().to_string(), w.id("p8"))), "the full comparison no longer sees p8 as a payment");
    assert_eq!(live, expected, "the incremental run leaves the cases a full comparison finds");
    for (class, subject) in [(BreakClass::MissingInStripe, w.id("p5")), (BreakClass::OrphanInStripe, orphan.clone()), (BreakClass::RefundMismatch, w.id("p1"))]
    {
        assert!(live.contains(&(class.as_str().to_string(), subject.clone())), "{class} {subject} is found: {live:?}");
    }
    assert!(!live.iter().any(|(_, subject)| *subject == w.id("p9")), "p9, reported again, has no live case: {live:?}");
}

async fn a_bulk_ignore_applies_only_to_the_selection_it_previewed(backend: Backend) {
    let Found { world: w, class, subject, case } = with_break(backend, Break::OtherCustomer).await;
    let customer = CaseFilter { class: Some(class.as_str().into()), ..CaseFilter::default() };
    let bulk = fixes::bulk_preview(&w.app.db, &customer, FixKind::Ignore).await.expect("bulk preview");
    assert_eq!((bulk.count, bulk.total.as_str()), (1, "1000 SRB"));
    let stale = fixes::bulk_apply(&w.app.db, &Actor::cli(), &customer, FixKind::Ignore, Some("known".into()), 2).await;
    assert!(stale.is_err(), "a bulk fix whose selection changed since its preview does nothing");
    w.assert_cases(&[(class, &subject, CaseState::Open)]).await;
    fixes::bulk_apply(&w.app.db, &Actor::cli(), &customer, FixKind::Ignore, Some("customer merged".into()), 1).await.expect("bulk");
    w.reconcile(false).await;
    assert_eq!(w.assert_cases(&[(class, &subject, CaseState::Ignored)]).await, [case]);
    w.assert_audited("recon.bulk_ignore").await;
}

async fn the_case_page_shows_both_sides_to_viewers_who_cannot_fix(backend: Backend) {
    let mut w = World::new(backend).await;
    w.make(Break::AmountChanged).await;
    w.make(Break::DraftInvoice).await;
    w.reconcile(true).await;
    let (p1, ip2) = (w.id("p1"), w.id("ip2"));
    let ids = w.assert_cases(&[(BreakClass::AmountMismatch, &p1, CaseState::Open), (BreakClass::InvoiceMismatch, &ip2, CaseState::Open)]).await;
    let viewer = w.signed_in("viewer").await;

    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &ids[0])]).await.json().await.expect("detail");
    assert_eq!(detail["explanation"], BreakClass::AmountMismatch.explanation());
    let amount = detail["fields"].as_array().expect("fields").iter().find(|f| f["label"] == "Amount").expect("amount field");
    assert_eq!((amount["ledger"].as_str(), amount["stripe"].as_str(), amount["differs"].as_bool()), (Some("1000 JPY"), Some("900 JPY"), Some(true)));
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &ids[1])]).await.json().await.expect("detail");
    let field = detail["fields"].as_array().expect("fields").iter().find(|f| f["label"] == "Invoice").expect("invoice field");
    assert_eq!((field["stripe"].as_str(), field["differs"].as_bool()), (Some("draft"), Some(true)), "{field}");

    let refused = w.app.call(&viewer, "apply_fix", &[("id", &ids[0]), ("kind", "ignore"), ("reason", "x"), ("confirm", "yes")]).await;
    assert_eq!(refused.status(), 403, "viewers cannot fix");
}

async fn the_queue_exports_as_csv_with_its_filters(backend: Backend) {
    let mut w = World::new(backend).await;
    w.make(Break::AmountChanged).await;
    w.make(Break::PaymentRefused).await;
    w.reconcile(true).await;
    let viewer = w.signed_in("viewer").await;
    for (query, rows) in [("", 2), ("?class=amount_mismatch", 1)] {
        let csv = viewer.get(w.app.url(&format!("/reconciliation/export{query}"))).send().await.expect("csv");
        let status = csv.status();
        let csv = csv.text().await.expect("csv body");
        assert_eq!(status, 200, "{csv}");
        assert!(csv.starts_with("case_id,class,state"), "{csv}");
        assert_eq!(csv.lines().count(), 1 + rows, "a header and {rows} case(s) for {query:?}: {csv}");
    }
    let anonymous = crate::support::browser(&w.app.base).get(w.app.url("/reconciliation/export")).send().await.expect("csv");
    assert!(anonymous.status().is_redirection(), "an anonymous browser is sent to sign in, not given the file");
}

async fn run_now_is_for_support_and_audited(backend: Backend) {
    let w = World::new(backend).await;
    let viewer = w.signed_in("viewer").await;
    let refused = w.app.call(&viewer, "run_recon", &[("full", "false")]).await;
    assert_eq!(refused.status(), 403, "viewers cannot start a run");
    let support = w.signed_in("support").await;
    let started = w.app.call(&support, "run_recon", &[("full", "false")]).await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: i64 = sqlx::query("SELECT COUNT(*) FROM recon_runs WHERE status = 'running'").fetch_one(&w.app.sql).await.expect("runs").get(0);
        if running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the run started from the page finishes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    w.assert_audited("recon.run").await;
}

async fn a_second_run_is_refused_while_the_lease_is_held_or_not_yet_expired(backend: Backend) {
    let w = World::new(backend).await;
    let reconciler = w.reconciler();
    assert!(recon_runs::acquire_lease(&w.app.db, "another-instance", now_ms()).await.expect("lease"));
    assert!(matches!(reconciler.run(&Actor::cli(), false).await, Err(ReconError::AlreadyRunning)));
    recon_runs::release_lease(&w.app.db, "another-instance").await.expect("release");
    assert!(reconciler.run(&Actor::cli(), true).await.is_ok(), "free again once released");
    // An instance that crashed holding the lease: a last heartbeat 30 s ago still blocks a run,
    // one 61 s ago no longer does.
    assert!(recon_runs::acquire_lease(&w.app.db, "crashed-instance", now_ms() - 30_000).await.expect("lease"));
    assert!(matches!(reconciler.run(&Actor::cli(), false).await, Err(ReconError::AlreadyRunning)));
    assert!(recon_runs::renew_lease(&w.app.db, "crashed-instance", now_ms() - 61_000).await.expect("heartbeat"));
    assert!(reconciler.run(&Actor::cli(), false).await.is_ok(), "a crashed instance's lease expires after a minute");
}

async fn the_lease_lasts_a_minute_after_its_last_heartbeat(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = &app.db;
    let t = now_ms();
    assert!(recon_runs::acquire_lease(db, "a", t).await.expect("lease"), "a free lease is taken");
    assert!(!recon_runs::acquire_lease(db, "b", t + 30_000).await.expect("lease"), "held for a minute");
    assert!(recon_runs::acquire_lease(db, "b", t + 61_000).await.expect("lease"), "a holder that stopped renewing loses it after a minute");
    assert!(!recon_runs::renew_lease(db, "a", t + 62_000).await.expect("renew"), "the old holder learns it lost the lease");
    assert!(recon_runs::renew_lease(db, "b", t + 90_000).await.expect("renew"), "a heartbeat renews it");
    assert!(!recon_runs::acquire_lease(db, "c", t + 122_000).await.expect("lease"), "a minute counts from the last heartbeat");
    assert!(recon_runs::acquire_lease(db, "c", t + 151_000).await.expect("lease"), "and then it expires");
    recon_runs::release_lease(db, "b").await.expect("release by a former holder");
    assert!(!recon_runs::acquire_lease(db, "d", t + 152_000).await.expect("lease"), "only the holder releases it");
    recon_runs::release_lease(db, "c").await.expect("release");
    assert!(recon_runs::acquire_lease(db, "d", t + 152_000).await.expect("lease"), "a released lease is free at once");
}

/// The "report the missing refund" fix applied again and again, in bulk, twice at once, and
/// again after its refund landed but before the next run: Stripe gets the difference once.
async fn the_missing_refund_reaches_stripe_once_however_often_it_is_fixed(backend: Backend) {
    let mut w = World::new(backend).await;
    w.post(vec![refund("r1", "p1", "100")]).await;
    // Its delivery counts as done, yet Stripe never got it: Stripe is short by 100.
    sqlx::query("UPDATE outbox SET state = 'delivered' WHERE transaction_id = $1").bind(w.id("r1")).execute(&w.app.sql).await.expect("lose refund");
    w.reconcile(true).await;
    let p1 = w.id("p1");
    let case = w.assert_cases(&[(BreakClass::RefundMismatch, &p1, CaseState::Open)]).await.remove(0);
    let apply =
        || async { fixes::apply(&w.app.db, &Actor::cli(), &case, FixRequest { kind: FixKind::ReportRefund, transaction_id: None, reason: None }).await };
    apply().await.expect("first fix");
    // Each of these may refuse (a refund is on its way) or do nothing; none may send more.
    let _ = apply().await;
    let _ = tokio::join!(apply(), apply());
    let refunds = CaseFilter { class: Some("refund_mismatch".into()), ..CaseFilter::default() };
    for _ in 0..2 {
        let count = fixes::bulk_preview(&w.app.db, &refunds, FixKind::ReportRefund).await.expect("bulk preview").count;
        let _ = fixes::bulk_apply(&w.app.db, &Actor::cli(), &refunds, FixKind::ReportRefund, None, count).await;
    }
    w.deliver().await;
    // Delivered, but the snapshot still shows Stripe short until the next run.
    let _ = apply().await;
    w.deliver().await;

    let record = w.stripe.payment_records().retrieve(&w.record_of("p1").await, &[]).await.expect("record");
    assert_eq!(record.payment.amount_refunded.value, 100, "the missing 100 reached Stripe once");
    let queued: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE case_id = $1").bind(&case).fetch_one(&w.app.sql).await.expect("count").get(0);
    assert_eq!(queued, 1, "one fix refund queued");
    w.reconcile(false).await;
    w.assert_cases(&[(BreakClass::RefundMismatch, &p1, CaseState::Closed)]).await;
}

/// The queue counts its selection only so far: past the cap it says "more than", so a queue of
/// thousands does not count itself on every page.
async fn the_queue_counts_its_selection_up_to_a_cap(backend: Backend) {
    let mut w = World::new(backend).await;
    w.make(Break::PaymentRefused).await;
    w.make(Break::AmountChanged).await;
    w.reconcile(true).await;
    let mut tx = w.app.db.begin_snapshot().await.expect("snapshot");
    let live = CaseQuery { now: now_ms(), ..CaseQuery::default() };
    let mut counted = Vec::new();
    for cap in [0, 1, 2, 5] {
        counted.push(count_up_to(&mut tx, &live, cap).await.expect("count"));
    }
    tx.commit().await.expect("commit");
    assert_eq!(counted, [1, 2, 2, 2], "one past the cap at most");
    let viewer = w.signed_in("viewer").await;
    let page: Value = w.app.call(&viewer, "list_cases", &[]).await.json().await.expect("page");
    assert_eq!((page["total"].as_i64(), page["more_than_total"].as_bool()), (Some(2), Some(false)), "{page}");
}
