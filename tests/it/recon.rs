//! Reconciliation scenarios: every break class made through the emulator (as a Dashboard user
//! would) and the ledger, found by a run, fixed, and closed by the next run.

use crate::both_databases;
use crate::ledger::{assert_ledger_consistent, item, ledger_fixture, post};
use crate::support::{Backend, TestApp, spawn_app_with, spawn_emulator};
use regio::domain::recon::{BreakClass, CaseFilter, CaseState, FixKind};
use regio::server::db::audit::Actor;
use regio::server::mirror::{MirrorWorker, WorkerOptions};
use regio::server::recon::Reconciler;
use regio::server::recon::fixes::{self, FixRequest};
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

both_databases!(every_break_class_is_found_fixed_and_closed, a_second_run_is_refused_while_one_holds_the_lease, the_export_streams_every_case_page_by_page);

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
            currency: "jpy".into(),
            amount: 100 + n,
            summary: format!("orphan {n}"),
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
    /// Ledger transaction id by external reference.
    ids: HashMap<String, String>,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let (emulator, stripe) = spawn_emulator().await;
        let app = spawn_app_with(backend, Some(stripe.clone())).await;
        let key = ledger_fixture(&app).await;
        let mut items = vec![item("top-1", "top_up", "50000", "op-1", "m-1"), item("top-2", "top_up", "50000", "op-1", "m-2")];
        items.extend((1..=9).map(|n| item(&format!("p{n}"), "payment", "1000", "m-1", "shop-1")));
        let (status, body) = post(&app, &key, items).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = post(&app, &key, vec![refund("r1", "p3", "300")]).await;
        assert_eq!(status, 200, "{body}");
        // An invoice paid in local currency: its record is attached to it on delivery.
        let paid = invoice(&stripe, true).await;
        let (status, body) = post(&app, &key, vec![invoice_payment("ip1", &paid)]).await;
        assert_eq!(status, 200, "{body}");
        let mut world = World { app, emulator, stripe, ids: HashMap::new() };
        world.load_ids().await;
        world.deliver().await;
        world
    }

    async fn load_ids(&mut self) {
        self.ids = sqlx::query("SELECT external_ref, id FROM transactions")
            .fetch_all(&self.app.db.pool)
            .await
            .expect("ids")
            .iter()
            .map(|r| (r.get("external_ref"), r.get("id")))
            .collect();
    }

    fn id(&self, reference: &str) -> &str {
        &self.ids[reference]
    }

    /// Runs a mirror worker until the outbox has nothing pending.
    async fn deliver(&self) {
        let (stop, stopped) = watch::channel(false);
        let worker = MirrorWorker::new(self.app.db.clone(), self.stripe.clone(), WorkerOptions::default());
        let running = tokio::spawn(worker.run(stopped));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let pending: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetch_one(&self.app.db.pool).await.expect("pending").get(0);
            if pending == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the outbox did not drain");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stop.send(true);
        let _ = running.await;
    }

    async fn record_of(&self, reference: &str) -> String {
        sqlx::query("SELECT stripe_id FROM outbox WHERE transaction_id = $1 AND operation = 'report_payment'")
            .bind(self.id(reference))
            .fetch_one(&self.app.db.pool)
            .await
            .expect("record")
            .get("stripe_id")
    }

    /// A change made by hand in the Dashboard (emulator-only route).
    async fn dashboard_edit(&self, record: &str, form: &[(&str, &str)]) {
        let response =
            crate::support::emulator_control().post(format!("{}/_emulator/payment_records/{record}", self.emulator)).form(form).send().await.expect("edit");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }

    /// A run; `full` re-reads every record (changes to old records and deletions show only
    /// then, as Stripe sends no events for Payment Records).
    async fn reconcile(&self, full: bool) -> HashMap<BreakClass, i64> {
        let reconciler = Reconciler::new(self.app.db.clone(), Some(self.stripe.clone()), Duration::ZERO);
        reconciler.run(&Actor::cli(), full).await.expect("run").into_iter().collect()
    }

    /// Live and closed cases as `(class, subject) -> (id, state)`.
    async fn cases(&self) -> HashMap<(String, String), (String, String)> {
        sqlx::query("SELECT id, class, subject, state FROM recon_cases")
            .fetch_all(&self.app.db.pool)
            .await
            .expect("cases")
            .iter()
            .map(|r| ((r.get("class"), r.get("subject")), (r.get("id"), r.get("state"))))
            .collect()
    }

    async fn case(&self, class: BreakClass, subject: &str) -> (String, String) {
        let cases = self.cases().await;
        cases.get(&(class.as_str().to_string(), subject.to_string())).cloned().unwrap_or_else(|| panic!("no {class} case for {subject}: {cases:?}"))
    }

    async fn fix(&self, class: BreakClass, subject: &str, kind: FixKind, transaction_id: Option<&str>, reason: Option<&str>) {
        let (id, _) = self.case(class, subject).await;
        let preview = fixes::preview(&self.app.db, &id, kind, transaction_id).await.expect("preview");
        assert!(!(preview.ledger.is_empty() && preview.stripe.is_empty() && preview.case.is_empty()), "{kind} shows what it will do");
        let request = FixRequest { kind, transaction_id: transaction_id.map(str::to_string), reason: reason.map(str::to_string) };
        fixes::apply(&self.app.db, &Actor::cli(), &id, request).await.unwrap_or_else(|e| panic!("{kind} on {class}: {e}"));
    }
}

/// A 1,000 JPY invoice for a new customer: open (finalized) or still a draft.
async fn invoice(stripe: &StripeClient, open: bool) -> String {
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
    let mut paid = item(reference, "invoice_payment", "1000", "m-2", "op-1");
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
        payment_method: CustomPaymentMethod { custom_type: "cpmt_sarubobo".into(), display_name: Some("Sarubobo Coin".into()), billing_details: None },
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

async fn every_break_class_is_found_fixed_and_closed(backend: Backend) {
    let mut w = World::new(backend).await;
    assert!(w.reconcile(false).await.is_empty(), "a ledger mirrored without faults has no breaks");
    let p3 = regio::server::db::ledger::view(&w.app.db, w.id("p3")).await.expect("view").expect("p3");
    assert_eq!((p3.stripe_guaranteed, p3.stripe_refunded), (Some(1000), Some(300)), "the ledger list shows Stripe's side as the run read it");

    // Breaks, as a Dashboard user and a stuck delivery would make them.
    let mut records = HashMap::new();
    for p in ["p1", "p2", "p4", "p5", "p7", "p8", "p9"] {
        records.insert(p, w.record_of(p).await);
    }
    let deleted =
        crate::support::emulator_control().delete(format!("{}/_emulator/payment_records/{}", w.emulator, records["p1"])).send().await.expect("delete");
    assert_eq!(deleted.status(), 200);
    w.dashboard_edit(&records["p2"], &[("amount_requested", "900")]).await;
    w.dashboard_edit(&records["p4"], &[("currency", "usd")]).await;
    let by_hand_refund = ReportRefund {
        amount: Some(Amount::new("jpy", 200)),
        refund_reference: "dash-1".into(),
        refunded_at: 1_700_000_000,
        initiated_at: None,
        metadata: Metadata::new(),
    };
    w.stripe.payment_records().report_refund(&records["p5"], &by_hand_refund, &key("refund")).await.expect("refund by hand");
    w.dashboard_edit(&records["p7"], &[("outcome", "failed")]).await;
    w.stripe.payment_records().report_payment(&by_hand(1000, Some(w.id("p8"))), &key("duplicate")).await.expect("duplicate");
    w.dashboard_edit(&records["p9"], &[("customer", "cus_someone_else")]).await;
    let orphan = w.stripe.payment_records().report_payment(&by_hand(1000, None), &key("orphan")).await.expect("orphan").id;
    // A refund Stripe refused for good, and a payment whose delivery did.
    let api_key = regio::server::auth::api_keys::create(&w.app.db, &Actor::cli(), "more").await.expect("key").1;
    // An invoice payment for a draft invoice: its record is made, but Stripe refuses to attach it.
    let draft = invoice(&w.stripe, false).await;
    let (status, body) = post(&w.app, &api_key, vec![invoice_payment("ip2", &draft)]).await;
    assert_eq!(status, 200, "{body}");
    w.load_ids().await;
    w.deliver().await;
    let refused: String =
        sqlx::query("SELECT state FROM outbox WHERE transaction_id = $1").bind(w.id("ip2")).fetch_one(&w.app.db.pool).await.expect("delivery").get("state");
    assert_eq!(refused, "failed", "attaching to a draft invoice is refused for good");
    let (status, body) = post(&w.app, &api_key, vec![refund("r2", "p6", "100"), item("p10", "payment", "1000", "m-2", "shop-1")]).await;
    assert_eq!(status, 200, "{body}");
    w.load_ids().await;
    for reference in ["r2", "p10"] {
        sqlx::query("UPDATE outbox SET state = 'failed', last_error = 'refused by Stripe' WHERE transaction_id = $1")
            .bind(w.id(reference))
            .execute(&w.app.db.pool)
            .await
            .expect("fail delivery");
    }

    let found = w.reconcile(true).await;
    let expected = [
        (BreakClass::MissingInStripe, w.id("p1").to_string()),
        (BreakClass::AmountMismatch, w.id("p2").to_string()),
        (BreakClass::CurrencyMismatch, w.id("p4").to_string()),
        (BreakClass::RefundMismatch, w.id("p5").to_string()),
        (BreakClass::RefundMismatch, w.id("p6").to_string()),
        (BreakClass::StatusMismatch, w.id("p7").to_string()),
        (BreakClass::DuplicateInStripe, w.id("p8").to_string()),
        (BreakClass::CustomerMismatch, w.id("p9").to_string()),
        (BreakClass::MissingInStripe, w.id("p10").to_string()),
        (BreakClass::OrphanInStripe, orphan.clone()),
        (BreakClass::InvoiceMismatch, w.id("ip2").to_string()),
    ];
    let cases = w.cases().await;
    for (class, subject) in &expected {
        assert!(cases.contains_key(&(class.as_str().to_string(), subject.clone())), "{class} for {subject}: {cases:?}");
    }
    assert_eq!(cases.len(), expected.len(), "no other case: {cases:?}");
    assert_eq!(found.values().sum::<i64>(), expected.len() as i64);

    // The case page shows both sides with the differing field marked, and its explanation.
    let (amount_case, _) = w.case(BreakClass::AmountMismatch, w.id("p2")).await;
    let viewer = w
        .app
        .signed_in(&{
            w.app.add_user("viewer@example.com", "viewer").await;
            "viewer@example.com".to_string()
        })
        .await;
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &amount_case)]).await.json().await.expect("detail");
    assert_eq!(detail["explanation"], BreakClass::AmountMismatch.explanation());
    let amount = detail["fields"].as_array().expect("fields").iter().find(|f| f["label"] == "Amount").expect("amount field");
    assert_eq!((amount["ledger"].as_str(), amount["stripe"].as_str(), amount["differs"].as_bool()), (Some("1000 JPY"), Some("900 JPY"), Some(true)));
    let (invoice_case, _) = w.case(BreakClass::InvoiceMismatch, w.id("ip2")).await;
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &invoice_case)]).await.json().await.expect("detail");
    let field = detail["fields"].as_array().expect("fields").iter().find(|f| f["label"] == "Invoice").expect("invoice field");
    assert_eq!((field["stripe"].as_str(), field["differs"].as_bool()), (Some("draft"), Some(true)), "{field}");
    // The orphan's case suggests the unmirrored payment of the same amount, for a person to link.
    let (orphan_case, _) = w.case(BreakClass::OrphanInStripe, &orphan).await;
    let detail: Value = w.app.call(&viewer, "case_detail", &[("id", &orphan_case)]).await.json().await.expect("detail");
    let suggested: Vec<&str> = detail["candidates"].as_array().expect("candidates").iter().filter_map(|c| c["transaction_id"].as_str()).collect();
    assert!(suggested.contains(&w.id("p10")), "p10 is a candidate: {suggested:?}");
    // The queue exports as CSV with the same filters.
    let csv = viewer.get(w.app.url("/reconciliation/export?class=refund_mismatch")).send().await.expect("csv");
    let csv_status = csv.status();
    let csv = csv.text().await.expect("csv body");
    assert_eq!(csv_status, 200, "{csv}");
    assert!(csv.starts_with("case_id,class,state"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "a header and the two refund mismatches: {csv}");
    let anonymous = crate::support::browser(&w.app.base).get(w.app.url("/reconciliation/export")).send().await.expect("csv");
    assert!(anonymous.status().is_redirection(), "an anonymous browser is sent to sign in, not given the file");
    let refused = w.app.call(&viewer, "apply_fix", &[("id", &amount_case), ("kind", "ignore"), ("reason", "x"), ("confirm", "yes")]).await;
    assert_eq!(refused.status(), 403, "viewers cannot fix");

    // Rerunning without changes opens nothing new.
    w.reconcile(false).await;
    assert_eq!(w.cases().await, cases, "a rerun without changes changes no case");
    w.reconcile(true).await;
    assert_eq!(w.cases().await, cases, "nor does a full one");

    // Fixes.
    w.fix(BreakClass::MissingInStripe, w.id("p1"), FixKind::ReportPayment, None, None).await;
    w.fix(BreakClass::AmountMismatch, w.id("p2"), FixKind::Adjust, None, Some("Stripe has the amount the shop confirmed")).await;
    w.fix(BreakClass::CurrencyMismatch, w.id("p4"), FixKind::Ignore, None, Some("test record")).await;
    w.fix(BreakClass::RefundMismatch, w.id("p5"), FixKind::Adjust, None, Some("refunded at the counter")).await;
    w.fix(BreakClass::RefundMismatch, w.id("p6"), FixKind::ReportRefund, None, None).await;
    w.fix(BreakClass::StatusMismatch, w.id("p7"), FixKind::Adjust, None, Some("the payment bounced")).await;
    w.fix(BreakClass::DuplicateInStripe, w.id("p8"), FixKind::RefundDuplicate, None, None).await;
    w.fix(BreakClass::OrphanInStripe, &orphan, FixKind::Link, Some(w.id("p10")), None).await;
    let customer = CaseFilter { class: Some("customer_mismatch".into()), ..CaseFilter::default() };
    let bulk = fixes::bulk_preview(&w.app.db, &customer, FixKind::Ignore).await.expect("bulk preview");
    assert_eq!((bulk.count, bulk.total.as_str()), (1, "1000 SRB"));
    let stale = fixes::bulk_apply(&w.app.db, &Actor::cli(), &customer, FixKind::Ignore, Some("known".into()), 2).await;
    assert!(stale.is_err(), "a bulk fix whose selection changed since its preview does nothing");
    fixes::bulk_apply(&w.app.db, &Actor::cli(), &customer, FixKind::Ignore, Some("customer merged".into()), 1).await.expect("bulk");
    w.fix(BreakClass::InvoiceMismatch, w.id("ip2"), FixKind::Ignore, None, Some("invoice to be finalized by billing")).await;
    w.deliver().await;

    w.reconcile(false).await;
    let after = w.cases().await;
    let state = |class: BreakClass, subject: &str| after[&(class.as_str().to_string(), subject.to_string())].1.clone();
    for (class, subject) in &expected {
        let want = match class {
            BreakClass::CurrencyMismatch | BreakClass::CustomerMismatch | BreakClass::InvoiceMismatch => CaseState::Ignored,
            _ => CaseState::Closed,
        };
        assert_eq!(state(*class, subject), want.as_str(), "{class} for {subject} after its fix");
    }
    assert_eq!(after.len(), expected.len(), "fixes opened no new case: {after:?}");
    assert_ledger_consistent(&w.app).await;

    // Undoing the link reopens the orphan case, and p10 is missing again.
    let (orphan_case, _) = w.case(BreakClass::OrphanInStripe, &orphan).await;
    let request = FixRequest { kind: FixKind::Unlink, transaction_id: None, reason: Some("wrong payment".into()) };
    fixes::apply(&w.app.db, &Actor::cli(), &orphan_case, request).await.expect("unlink");
    assert_eq!(w.case(BreakClass::OrphanInStripe, &orphan).await, (orphan_case.clone(), "open".to_string()));
    w.reconcile(false).await;
    let cases = w.cases().await;
    assert_eq!(cases[&(BreakClass::OrphanInStripe.as_str().into(), orphan.clone())].0, orphan_case, "the same case, reopened");
    let p10_missing = cases.iter().filter(|((c, s), (_, st))| c == "missing_in_stripe" && s == w.id("p10") && st == "open").count();
    assert_eq!(p10_missing, 1, "p10 lacks its record again");

    // "Run now" from the page: support may, viewers may not; the run is audited and finishes.
    let refused = w.app.call(&viewer, "run_recon", &[("full", "false")]).await;
    assert_eq!(refused.status(), 403, "viewers cannot start a run");
    w.app.add_user("support@example.com", "support").await;
    let support = w.app.signed_in("support@example.com").await;
    let started = w.app.call(&support, "run_recon", &[("full", "false")]).await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: i64 = sqlx::query("SELECT COUNT(*) FROM recon_runs WHERE status = 'running'").fetch_one(&w.app.db.pool).await.expect("runs").get(0);
        if running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the run started from the page finishes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let actions: Vec<String> = w.app.audit_actions().await.into_iter().map(|(a, _)| a).filter(|a| a.starts_with("recon.")).collect();
    for action in [
        "recon.report_payment",
        "recon.adjust",
        "recon.ignore",
        "recon.report_refund",
        "recon.refund_duplicate",
        "recon.link",
        "recon.unlink",
        "recon.bulk_ignore",
        "recon.run",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} is audited: {actions:?}");
    }
}

async fn a_second_run_is_refused_while_one_holds_the_lease(backend: Backend) {
    let w = World::new(backend).await;
    let holder = "another-instance";
    assert!(regio::server::db::recon_runs::acquire_lease(&w.app.db, holder, regio::server::db::now_ms() + 60_000).await.expect("lease"));
    let reconciler = Reconciler::new(w.app.db.clone(), Some(w.stripe.clone()), Duration::ZERO);
    assert!(matches!(reconciler.run(&Actor::cli(), false).await, Err(regio::server::recon::ReconError::AlreadyRunning)));
    regio::server::db::recon_runs::release_lease(&w.app.db, holder).await.expect("release");
    assert!(reconciler.run(&Actor::cli(), true).await.is_ok(), "free again once released");
}
