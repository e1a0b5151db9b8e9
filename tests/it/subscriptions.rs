//! Subscriptions collected from wallets, against the emulator's test clocks: each period's
//! invoice is paid from the member's coins as soon as Stripe asks, exactly once; a short wallet
//! waits for funds and is collected when topped up; retries run out into the currency's rule.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::mirror::{emulator_with_faults, stripe, worker};
use crate::support::{Backend, TestApp, spawn_app_with_webhooks};
use regio::domain::billing::PlanInterval;
use regio::server::billing::steps::BillingWorker;
use regio::server::billing::{attach_customer, changes, events, plans, sync};
use regio::server::db::audit::Actor;
use regio::server::db::now_ms;
use regio::server::stripe::client::customers::CreateCustomer;
use regio::server::stripe::client::form::Update;
use regio::server::stripe::client::invoices::{InvoiceStatus, ListInvoices};
use regio::server::stripe::client::subscriptions::{Subscription as StripeSubscription, UpdateSubscription};
use regio::server::stripe::client::test_clocks::CreateTestClock;
use regio::server::stripe::client::{IdempotencyKey, StripeClient};
use serde_json::json;
use sqlx::Row;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

both_databases!(
    each_period_is_collected_from_the_wallet_once,
    a_short_wallet_waits_for_funds_and_a_top_up_pays_it,
    when_retries_run_out_the_currency_rule_cancels_the_subscription,
    pausing_voids_the_paused_period_and_resuming_collects_again,
    stripes_word_read_before_a_pause_does_not_undo_it,
    a_higher_plan_is_prorated_as_previewed_and_collected,
    a_subscription_can_start_on_a_later_day,
);

const WAIT: Duration = Duration::from_secs(40);
const DAY: i64 = 86_400;

async fn until<T, F: Future<Output = Option<T>>>(what: &str, check: impl Fn() -> F) -> T {
    crate::support::until(what, WAIT, check).await
}

struct Setup {
    app: TestApp,
    emulator: String,
    client: StripeClient,
    key: String,
    plan: String,
    _stop: watch::Sender<bool>,
}

/// The app with webhooks, both workers, m-1 holding `m1_balance`, and a monthly plan of 1,000 SRB.
async fn setup(backend: Backend, m1_balance: &str) -> Setup {
    let emulator = emulator_with_faults(json!({})).await;
    let client = stripe(&emulator, 200);
    let app = spawn_app_with_webhooks(backend, client.clone()).await;
    let key = ledger_fixture(&app).await;
    if m1_balance != "0" {
        let (status, body) = post(&app, &key, vec![item("top-1", "top_up", m1_balance, "op-1", "m-1")]).await;
        assert_eq!(status, 200, "{body}");
    }
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(BillingWorker::new(app.db.clone(), client.clone(), Duration::from_millis(20)).run(stop.clone()));
    tokio::spawn(worker(&app, &emulator, Duration::from_secs(30)).run(stop));
    let plan = plans::create_plan(&app.db, &Actor::cli(), "Membership", "SRB", "1000", PlanInterval::Month).await.expect("plan");
    let priced = || async {
        let row = sqlx::query("SELECT stripe_price FROM plans WHERE id = $1").bind(&plan).fetch_one(&app.sql).await.expect("plan");
        row.get::<Option<String>, _>(0)
    };
    until("the plan's price", priced).await;
    Setup { app, emulator, client, key, plan, _stop: stop_tx }
}

async fn account_id(app: &TestApp, reference: &str) -> String {
    sqlx::query("SELECT id FROM accounts WHERE external_ref = $1").bind(reference).fetch_one(&app.sql).await.expect("account").get(0)
}

/// Links `reference` to a customer living on a new test clock; answers the clock.
async fn link_on_clock(s: &Setup, reference: &str) -> (String, i64) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = |what: &str| IdempotencyKey::new(format!("test/{reference}/{what}")).expect("key");
    let clock = s.client.test_clocks().create(&CreateTestClock { frozen_time: now, name: None }, &key("clock")).await.expect("clock");
    let customer = CreateCustomer { test_clock: Some(clock.id.clone()), ..CreateCustomer::default() };
    let customer = s.client.customers().create(&customer, &key("customer")).await.expect("customer");
    let account = account_id(&s.app, reference).await;
    attach_customer(&s.app.db, Some(&s.client), &Actor::cli(), &account, &customer.id).await.expect("attach");
    let has_method = || async {
        let row = sqlx::query("SELECT stripe_payment_method FROM accounts WHERE id = $1").bind(&account).fetch_one(&s.app.sql).await.expect("account");
        row.get::<Option<String>, _>(0)
    };
    until("the member's payment method", has_method).await;
    (clock.id, now)
}

async fn subscribe(s: &Setup, reference: &str) -> String {
    let account = account_id(&s.app, reference).await;
    plans::subscribe(&s.app.db, &Actor::cli(), &account, &s.plan, "1", "").await.expect("subscribe")
}

async fn status_of(app: &TestApp, subscription: &str) -> String {
    sqlx::query("SELECT status FROM subscriptions WHERE id = $1").bind(subscription).fetch_one(&app.sql).await.expect("subscription").get(0)
}

async fn wait_status(app: &TestApp, subscription: &str, status: &str) {
    until(&format!("the subscription to be {status}"), || async { (status_of(app, subscription).await == status).then_some(()) }).await;
}

async fn collections(app: &TestApp, reference: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM transactions t JOIN accounts a ON a.id = t.from_account WHERE t.kind = 'invoice_payment' AND a.external_ref = $1")
        .bind(reference)
        .fetch_one(&app.sql)
        .await
        .expect("count")
        .get(0)
}

async fn paid_invoices(app: &TestApp, reference: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE i.status = 'paid' AND a.external_ref = $1")
        .bind(reference)
        .fetch_one(&app.sql)
        .await
        .expect("count")
        .get(0)
}

async fn each_period_is_collected_from_the_wallet_once(backend: Backend) {
    let s = setup(backend, "5000").await;
    let (clock, now) = link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    wait_status(&s.app, &subscription, "active").await;
    until("the first period paid", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;
    assert_eq!(collections(&s.app, "m-1").await, 1);

    // The Payment Record names the member's payment method, as the invoice asked.
    let method: String = sqlx::query("SELECT stripe_payment_method FROM accounts WHERE external_ref = 'm-1'").fetch_one(&s.app.sql).await.expect("pm").get(0);
    let record: String = sqlx::query("SELECT o.stripe_id FROM outbox o JOIN transactions t ON t.id = o.transaction_id WHERE t.kind = 'invoice_payment'")
        .fetch_one(&s.app.sql)
        .await
        .expect("record")
        .get(0);
    let record = s.client.payment_records().retrieve(&record, &[]).await.expect("record");
    assert_eq!(record.payment.payment_method_details.and_then(|d| d.payment_method).as_deref(), Some(method.as_str()));

    // One period later: the next invoice is collected without anyone acting.
    s.client.test_clocks().advance(&clock, now + 32 * DAY, &IdempotencyKey::new("test/advance/1").expect("key")).await.expect("advance");
    until("the second period paid", || async { (paid_invoices(&s.app, "m-1").await == 2).then_some(()) }).await;
    // The catch-up racing the webhooks collects nothing more.
    events::catch_up(&s.app.db, &s.client).await.expect("catch up");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(collections(&s.app, "m-1").await, 2, "one collection per period");
    let balance: i64 = sqlx::query("SELECT balance FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.external_ref = 'm-1'")
        .fetch_one(&s.app.sql)
        .await
        .expect("balance")
        .get(0);
    assert_eq!(balance, 3000);

    // Canceled at the period's end: no further invoice.
    plans::cancel_subscription(&s.app.db, &Actor::cli(), &subscription, true).await.expect("cancel at period end");
    until("the cancellation to reach Stripe", || async {
        let row = sqlx::query("SELECT cancel_at_period_end FROM subscriptions WHERE id = $1").bind(&subscription).fetch_one(&s.app.sql).await.expect("row");
        (row.get::<i64, _>(0) == 1).then_some(())
    })
    .await;
    s.client.test_clocks().advance(&clock, now + 64 * DAY, &IdempotencyKey::new("test/advance/2").expect("key")).await.expect("advance");
    wait_status(&s.app, &subscription, "canceled").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(collections(&s.app, "m-1").await, 2, "no invoice after the end");
}

async fn awaiting(app: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM invoices WHERE awaiting_since IS NOT NULL AND status = 'open'").fetch_one(&app.sql).await.expect("count").get(0)
}

async fn a_short_wallet_waits_for_funds_and_a_top_up_pays_it(backend: Backend) {
    let s = setup(backend, "0").await;
    let (clock, now) = link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    until("the invoice to await funds", || async { (awaiting(&s.app).await == 1).then_some(()) }).await;
    assert_eq!(collections(&s.app, "m-1").await, 0, "nothing moved");
    let listed = regio::server::billing::dunning::awaiting_funds(&s.app.db, None).await.expect("list");
    assert_eq!((listed.len(), listed[0].shortfall.as_str(), listed[0].retries), (1, "1000 SRB", 0));
    assert!(listed[0].next_retry_at.is_some(), "a retry is scheduled");
    let remind = regio::server::billing::dunning::topup_reminders(&s.app.db).await.expect("reminders");
    assert_eq!(remind.iter().map(|r| (r.account_ref.as_str(), r.shortfall.as_str())).collect::<Vec<_>>(), [("m-1", "1000 SRB")]);
    let account = account_id(&s.app, "m-1").await;
    let link = regio::server::billing::customer_link(&s.app.db, None, &account).await.expect("link");
    assert_eq!(link.awaiting_funds.len(), 1, "the account page shows what awaits funds");
    // Both lists as CSV files, for a viewer too.
    s.app.add_user("vic@example.org", "viewer").await;
    let viewer = s.app.signed_in("vic@example.org").await;
    let csv = |path: &'static str| {
        let request = viewer.get(s.app.url(path)).send();
        async move { request.await.expect("export").text().await.expect("text") }
    };
    let reminders = csv("/billing/export/reminders").await;
    assert!(reminders.lines().nth(1).is_some_and(|l| l.starts_with("m-1,") && l.contains("1000 SRB")), "{reminders}");
    let subscriptions = csv("/billing/export/subscriptions?account=m-1").await;
    assert_eq!(subscriptions.lines().count(), 2, "a header and the subscription: {subscriptions}");
    assert!(subscriptions.contains(&subscription), "{subscriptions}");
    // The lists as a hydrated page asks for them with no filter set: an empty form.
    for endpoint in ["list_subscriptions", "list_invoices"] {
        let response = s.app.call(&viewer, endpoint, &[]).await;
        assert_eq!(response.status(), 200, "{endpoint} with no filter: {}", response.text().await.unwrap_or_default());
    }

    let (status, body) = post(&s.app, &s.key, vec![item("top-1", "top_up", "1200", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    until("the top-up to pay the invoice", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;
    wait_status(&s.app, &subscription, "active").await;
    assert_eq!(awaiting(&s.app).await, 0);
    assert_eq!(collections(&s.app, "m-1").await, 1);
    let remind = regio::server::billing::dunning::topup_reminders(&s.app.db).await.expect("reminders");
    assert_eq!(remind.iter().map(|r| r.shortfall.as_str()).collect::<Vec<_>>(), ["800 SRB"], "200 left after paying: the next month needs 800 more");

    // The renewal finds 200 in the wallet; a day later Stripe calls the subscription past due,
    // and a top-up brings it back.
    s.client.test_clocks().advance(&clock, now + 32 * DAY, &IdempotencyKey::new("test/short/advance/1").expect("key")).await.expect("advance");
    until("the renewal to await funds", || async { (awaiting(&s.app).await == 1).then_some(()) }).await;
    s.client.test_clocks().advance(&clock, now + 34 * DAY, &IdempotencyKey::new("test/short/advance/2").expect("key")).await.expect("advance");
    wait_status(&s.app, &subscription, "past_due").await;
    let (status, body) = post(&s.app, &s.key, vec![item("top-2", "top_up", "1000", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&s.app, &subscription, "active").await;
    assert_eq!(collections(&s.app, "m-1").await, 2);
}

async fn when_retries_run_out_the_currency_rule_cancels_the_subscription(backend: Backend) {
    let s = setup(backend, "0").await;
    regio::server::billing::dunning::set_dunning_rules(&s.app.db, &Actor::cli(), "SRB", "0", regio::domain::billing::DunningFinal::CancelSubscription, false)
        .await
        .expect("rules");
    link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    until("the subscription to be canceled by the rule", || async { (status_of(&s.app, &subscription).await == "canceled").then_some(()) }).await;
    let outcome: Option<String> =
        sqlx::query("SELECT dunning_outcome FROM invoices WHERE subscription IS NOT NULL").fetch_one(&s.app.sql).await.expect("invoice").get(0);
    assert_eq!(outcome.as_deref(), Some("subscription canceled after the last retry"));
    let actions: Vec<String> = s.app.audit_actions().await.into_iter().map(|(action, _)| action).collect();
    assert!(actions.iter().filter(|a| *a == "billing.dunning").count() >= 2, "the first try and the last retry are audited: {actions:?}");
}

async fn stripe_id_of(app: &TestApp, subscription: &str) -> String {
    let row = sqlx::query("SELECT stripe_id FROM subscriptions WHERE id = $1").bind(subscription).fetch_one(&app.sql).await.expect("subscription");
    row.get::<Option<String>, _>(0).expect("in Stripe")
}

async fn step_done(app: &TestApp, subscription: &str, kind: &str) -> bool {
    sqlx::query("SELECT 1 FROM billing_steps WHERE subject = $1 AND kind = $2 AND state = 'done'")
        .bind(subscription)
        .bind(kind)
        .fetch_optional(&app.sql)
        .await
        .expect("step")
        .is_some()
}

async fn pausing_voids_the_paused_period_and_resuming_collects_again(backend: Backend) {
    let s = setup(backend, "5000").await;
    let (clock, now) = link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    until("the first period paid", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;

    changes::set_paused(&s.app.db, &Actor::cli(), &subscription, true).await.expect("pause");
    let again = changes::set_paused(&s.app.db, &Actor::cli(), &subscription, true).await.expect_err("paused twice");
    assert!(again.to_string().contains("paused already"), "{again}");
    until("the pause to reach Stripe", || async { step_done(&s.app, &subscription, "pause_subscription").await.then_some(()) }).await;
    let stripe_id = stripe_id_of(&s.app, &subscription).await;
    let in_stripe = s.client.subscriptions().retrieve(&stripe_id, &[]).await.expect("subscription");
    assert!(in_stripe.pause_collection.is_some(), "Stripe holds the pause");

    // The paused month's invoice is voided by Stripe: nothing is taken from the wallet.
    s.client.test_clocks().advance(&clock, now + 32 * DAY, &IdempotencyKey::new("test/pause/advance/1").expect("key")).await.expect("advance");
    let voided = || async {
        let list = ListInvoices { subscription: Some(stripe_id.clone()), status: Some(InvoiceStatus::Void), ..ListInvoices::default() };
        let found = s.client.invoices().list(&list).collect_all().await.expect("invoices");
        (found.len() == 1).then_some(())
    };
    until("the paused period's invoice voided", voided).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(collections(&s.app, "m-1").await, 1, "nothing collected while paused");

    changes::set_paused(&s.app.db, &Actor::cli(), &subscription, false).await.expect("resume");
    until("the resume to reach Stripe", || async { step_done(&s.app, &subscription, "resume_subscription").await.then_some(()) }).await;
    s.client.test_clocks().advance(&clock, now + 64 * DAY, &IdempotencyKey::new("test/pause/advance/2").expect("key")).await.expect("advance");
    until("the next period paid", || async { (paid_invoices(&s.app, "m-1").await == 2).then_some(()) }).await;
    assert_eq!(collections(&s.app, "m-1").await, 2);
    wait_status(&s.app, &subscription, "active").await;
    let actions: Vec<String> = s.app.audit_actions().await.into_iter().map(|(action, _)| action).collect();
    assert!(actions.contains(&"billing.subscription_pause".to_string()) && actions.contains(&"billing.subscription_resume".to_string()), "{actions:?}");
}

/// A webhook read Stripe's subscription, then the administrator paused: the late answer must not
/// show collection running again (seen on PostgreSQL, where the two commit in either order). A
/// change made in Stripe after the pause is Stripe's word, and is taken.
async fn stripes_word_read_before_a_pause_does_not_undo_it(backend: Backend) {
    let s = setup(backend, "5000").await;
    link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    until("the first period paid", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;
    let stripe_id = stripe_id_of(&s.app, &subscription).await;
    let apply = |read: StripeSubscription, read_at: i64| {
        let db = s.app.db.clone();
        async move {
            let mut wtx = db.begin_write().await.expect("tx");
            sync::apply_subscription(&mut wtx.tx, db.for_update(), &read, read_at).await.expect("apply");
            wtx.commit().await.expect("commit");
        }
    };

    let read_at = now_ms();
    let stale = s.client.subscriptions().retrieve(&stripe_id, &[]).await.expect("subscription");
    assert!(stale.pause_collection.is_none());
    changes::set_paused(&s.app.db, &Actor::cli(), &subscription, true).await.expect("pause");
    apply(stale.clone(), read_at).await;
    assert!(paused(&s.app, &subscription).await, "a pause still queued outlives Stripe's earlier word");
    until("the pause to reach Stripe", || async { step_done(&s.app, &subscription, "pause_subscription").await.then_some(()) }).await;
    apply(stale, read_at).await;
    assert!(paused(&s.app, &subscription).await, "a pause made after the read outlives it");

    let resume = UpdateSubscription { pause_collection: Some(Update::Clear), ..UpdateSubscription::default() };
    // After the pause step's last write, so the read is the newer word.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let read_at = now_ms();
    let resumed = s.client.subscriptions().update(&stripe_id, &resume, &IdempotencyKey::new("test/resume-in-stripe").expect("key")).await.expect("resume");
    apply(resumed, read_at).await;
    assert!(!paused(&s.app, &subscription).await, "a resume made in Stripe after every pause of Regio's is taken");

    // One pause or resume at a time: Stripe would otherwise get them in the order they happen
    // to be made, not the order they were asked for.
    let faults = |hold: bool| {
        let url = format!("{}/_emulator/faults", s.emulator);
        async move { crate::support::emulator_control().post(url).json(&json!({ "hold": hold })).send().await.expect("faults") }
    };
    faults(true).await;
    changes::set_paused(&s.app.db, &Actor::cli(), &subscription, true).await.expect("pause");
    let refused = changes::set_paused(&s.app.db, &Actor::cli(), &subscription, false).await.expect_err("resume while the pause is on its way");
    assert!(refused.to_string().contains("still on its way"), "{refused}");
    faults(false).await;
    until("the second pause to be made", || async {
        let done = sqlx::query("SELECT 1 FROM billing_steps WHERE subject = $1 AND kind = 'pause_subscription' AND state = 'done'")
            .bind(&subscription)
            .fetch_all(&s.app.sql)
            .await
            .expect("steps");
        (done.len() == 2).then_some(())
    })
    .await;
    assert!(s.client.subscriptions().retrieve(&stripe_id, &[]).await.expect("subscription").pause_collection.is_some());
    changes::set_paused(&s.app.db, &Actor::cli(), &subscription, false).await.expect("resume once the pause is made");
}

async fn paused(app: &TestApp, subscription: &str) -> bool {
    let row = sqlx::query("SELECT paused FROM subscriptions WHERE id = $1").bind(subscription).fetch_one(&app.sql).await.expect("subscription");
    row.get::<i64, _>(0) != 0
}

async fn last_collection(app: &TestApp) -> i64 {
    sqlx::query("SELECT amount FROM transactions WHERE kind = 'invoice_payment' ORDER BY recorded_at DESC, id DESC")
        .fetch_one(&app.sql)
        .await
        .expect("payment")
        .get(0)
}

async fn plan_of(app: &TestApp, subscription: &str) -> (String, Option<String>) {
    let row =
        sqlx::query("SELECT plan_id, change_plan_id FROM subscriptions WHERE id = $1").bind(subscription).fetch_one(&app.sql).await.expect("subscription");
    (row.get(0), row.get(1))
}

async fn a_higher_plan_is_prorated_as_previewed_and_collected(backend: Backend) {
    let s = setup(backend, "10000").await;
    let (clock, now) = link_on_clock(&s, "m-1").await;
    let subscription = subscribe(&s, "m-1").await;
    until("the first period paid", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;
    let plus = plans::create_plan(&s.app.db, &Actor::cli(), "Membership plus", "SRB", "2000", PlanInterval::Month).await.expect("plan");
    let priced = || async {
        let row = sqlx::query("SELECT stripe_price FROM plans WHERE id = $1").bind(&plus).fetch_one(&s.app.sql).await.expect("plan");
        row.get::<Option<String>, _>(0)
    };
    until("the new plan's price", priced).await;

    // Half-way through the month: Stripe credits the unused half of 1,000 and charges half of 2,000.
    s.client.test_clocks().advance(&clock, now + 15 * DAY, &IdempotencyKey::new("test/change/advance").expect("key")).await.expect("advance");
    let preview = changes::preview_change(&s.app.db, &s.client, &subscription, &plus, "1").await.expect("preview");
    assert!(preview.prorated);
    assert_eq!(preview.lines.len(), 2, "{preview:?}");
    let due: i64 = preview.due_now_local.trim_end_matches(" SRB").parse().expect("amount");
    assert!((400..=600).contains(&due), "about half of the 1,000 difference: {preview:?}");

    let unpreviewed = changes::change_plan(&s.app.db, &Actor::cli(), &subscription, &plus, "1", 0).await.expect_err("no preview");
    assert!(unpreviewed.to_string().contains("proration_date"), "{unpreviewed}");
    changes::change_plan(&s.app.db, &Actor::cli(), &subscription, &plus, "1", preview.proration_date).await.expect("change");
    until("the prorated invoice collected", || async { (collections(&s.app, "m-1").await == 2).then_some(()) }).await;
    assert_eq!(last_collection(&s.app).await, due, "the wallet paid what the preview showed");
    until("the plan changed", || async { (plan_of(&s.app, &subscription).await == (plus.clone(), None)).then_some(()) }).await;

    // Back to the lower plan: nothing is charged or returned now; the next renewal costs 1,000.
    let down = changes::preview_change(&s.app.db, &s.client, &subscription, &s.plan, "1").await.expect("preview");
    assert!(!down.prorated && down.lines.is_empty(), "{down:?}");
    assert_eq!(down.renews_at, "1000 SRB");
    changes::change_plan(&s.app.db, &Actor::cli(), &subscription, &s.plan, "1", down.proration_date).await.expect("change");
    until("the plan changed back", || async { (plan_of(&s.app, &subscription).await == (s.plan.clone(), None)).then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(collections(&s.app, "m-1").await, 2, "a lower price moves no coins now");
    s.client.test_clocks().advance(&clock, now + 32 * DAY, &IdempotencyKey::new("test/change/advance/2").expect("key")).await.expect("advance");
    until("the renewal at the lower price", || async { (collections(&s.app, "m-1").await == 3).then_some(()) }).await;
    assert_eq!(last_collection(&s.app).await, 1000);
}

async fn a_subscription_can_start_on_a_later_day(backend: Backend) {
    let s = setup(backend, "5000").await;
    link_on_clock(&s, "m-1").await;
    let account = account_id(&s.app, "m-1").await;
    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let past = plans::subscribe(&s.app.db, &Actor::cli(), &account, &s.plan, "1", &yesterday).await.expect_err("a past day");
    assert!(past.to_string().contains("starts_on"), "{past}");
    let tomorrow = (time::OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string();
    let later = plans::subscribe(&s.app.db, &Actor::cli(), &account, &s.plan, "1", &tomorrow).await.expect("scheduled");
    assert_eq!(status_of(&s.app, &later).await, "scheduled");
    let rows = plans::subscription_page(&s.app.db, &Default::default(), None).await.expect("page").rows;
    assert_eq!(rows.iter().find(|r| r.id == later).and_then(|r| r.starts_on.clone()), Some(tomorrow.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!step_done(&s.app, &later, "create_subscription").await, "nothing reaches Stripe before the day");

    // Canceled before its day: it never reaches Stripe.
    let doomed = plans::subscribe(&s.app.db, &Actor::cli(), &account, &s.plan, "1", &tomorrow).await.expect("scheduled");
    plans::cancel_subscription(&s.app.db, &Actor::cli(), &doomed, false).await.expect("cancel");
    assert_eq!(status_of(&s.app, &doomed).await, "canceled");

    // The day comes (the step's time is moved, as the clock would): Stripe bills the first period.
    sqlx::query("UPDATE billing_steps SET next_attempt_at = 0 WHERE subject = $1").bind(&later).execute(&s.app.sql).await.expect("move");
    wait_status(&s.app, &later, "active").await;
    assert_eq!(collections(&s.app, "m-1").await, 1);
    let customer: String =
        sqlx::query("SELECT stripe_customer_id FROM accounts WHERE id = $1").bind(&account).fetch_one(&s.app.sql).await.expect("account").get(0);
    let listed = regio::server::stripe::client::subscriptions::ListSubscriptions {
        customer: Some(customer),
        status: Some(regio::server::stripe::client::subscriptions::SubscriptionFilter::All),
        ..Default::default()
    };
    let in_stripe = s.client.subscriptions().list(&listed).collect_all().await.expect("list");
    assert_eq!(in_stripe.len(), 1, "the canceled one was never made");
}
