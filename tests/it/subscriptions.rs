//! Subscriptions collected from wallets, against the emulator's test clocks: each period's
//! invoice is paid from the member's coins as soon as Stripe asks, exactly once; a short wallet
//! waits for funds and is collected when topped up; retries run out into the currency's rule.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::mirror::{emulator_with_faults, stripe, worker};
use crate::support::{Backend, TestApp, spawn_app_with_webhooks};
use regio::domain::billing::PlanInterval;
use regio::server::billing::steps::BillingWorker;
use regio::server::billing::{attach_customer, events, plans};
use regio::server::db::audit::Actor;
use regio::server::stripe::client::customers::CreateCustomer;
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
);

const WAIT: Duration = Duration::from_secs(40);
const DAY: i64 = 86_400;

async fn until<T, F: Future<Output = Option<T>>>(what: &str, check: impl Fn() -> F) -> T {
    crate::support::until(what, WAIT, check).await
}

struct Setup {
    app: TestApp,
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
    Setup { app, client, key, plan, _stop: stop_tx }
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
    plans::subscribe(&s.app.db, &Actor::cli(), &account, &s.plan, "1").await.expect("subscribe")
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
    link_on_clock(&s, "m-1").await;
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

    let (status, body) = post(&s.app, &s.key, vec![item("top-1", "top_up", "1200", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    until("the top-up to pay the invoice", || async { (paid_invoices(&s.app, "m-1").await == 1).then_some(()) }).await;
    wait_status(&s.app, &subscription, "active").await;
    assert_eq!(awaiting(&s.app).await, 0);
    assert_eq!(collections(&s.app, "m-1").await, 1);
    let remind = regio::server::billing::dunning::topup_reminders(&s.app.db).await.expect("reminders");
    assert_eq!(remind.iter().map(|r| r.shortfall.as_str()).collect::<Vec<_>>(), ["800 SRB"], "200 left after paying: the next month needs 800 more");
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
