//! Billing against the emulator over HTTP: members linked to customers, invoices made, finalized
//! and collected from wallets exactly once, invoices made in Stripe picked up by webhook or by
//! the catch-up, and webhook deliveries that are forged, stale, replayed or out of order.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::mirror::{stripe, worker};
use crate::support::{Backend, TestApp, emulator_control, spawn_app_configured, spawn_app_with_webhooks};
use regio::domain::billing::LineInput;
use regio::server::billing::steps::BillingWorker;
use regio::server::billing::{self, events};
use regio::server::db::audit::Actor;
use regio::server::stripe::client::invoice_items::{CreateInvoiceItem, ItemCharge};
use regio::server::stripe::client::invoices::{CreateInvoice, FinalizeInvoice, ListInvoices};
use regio::server::stripe::client::webhook::sign;
use regio::server::stripe::client::{ClientConfig, IdempotencyKey, Metadata, RetryPolicy, SecretKey, StripeClient};
use serde_json::{Value, json};
use sqlx::Row;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

both_databases!(
    an_invoice_is_made_finalized_collected_once_and_paid,
    a_short_wallet_is_refused_and_nothing_moves,
    an_invoice_made_in_stripe_arrives_by_webhook_and_is_collected,
    forged_stale_and_replayed_deliveries_change_nothing,
    an_event_lost_in_delivery_is_found_by_the_catch_up,
    events_out_of_order_leave_the_invoice_as_stripe_has_it,
    unlinking_waits_for_open_invoices_and_a_deleted_customer_unlinks,
    a_retry_after_stripe_forgot_its_key_finishes_the_invoice_it_made,
);

const WAIT: Duration = Duration::from_secs(30);

async fn until<T, F: Future<Output = Option<T>>>(what: &str, check: impl Fn() -> F) -> T {
    crate::support::until(what, WAIT, check).await
}

struct Billing {
    app: TestApp,
    emulator: String,
    client: StripeClient,
    admin: reqwest::Client,
    _stop: watch::Sender<bool>,
}

/// The app with webhooks from its own emulator, the billing and mirror workers running, m-1
/// holding 50,000 SRB (pegged 1:1 to JPY), and an admin signed in.
async fn billing(backend: Backend, webhooks: bool) -> Billing {
    let emulator = crate::mirror::emulator_with_faults(json!({})).await;
    let client = stripe(&emulator, 200);
    let app = if webhooks { spawn_app_with_webhooks(backend, client.clone()).await } else { spawn_app_configured(backend, Some(client.clone()), |_| {}).await };
    let key = ledger_fixture(&app).await;
    let (status, body) = post(&app, &key, vec![item("top-1", "top_up", "50000", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(BillingWorker::new(app.db.clone(), client.clone(), Duration::from_millis(20)).run(stop.clone()));
    tokio::spawn(worker(&app, &emulator, Duration::from_secs(30)).run(stop));
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    Billing { app, emulator, client, admin, _stop: stop_tx }
}

async fn rpc(b: &Billing, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = b.app.call(&b.admin, endpoint, form).await;
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn account_id(app: &TestApp, reference: &str) -> String {
    sqlx::query("SELECT id FROM accounts WHERE external_ref = $1").bind(reference).fetch_one(&app.sql).await.expect("account").get(0)
}

async fn customer_of(app: &TestApp, reference: &str) -> Option<String> {
    sqlx::query("SELECT stripe_customer_id FROM accounts WHERE external_ref = $1").bind(reference).fetch_one(&app.sql).await.expect("account").get(0)
}

/// Links the member through the console and waits for Stripe's customer.
async fn link(b: &Billing, reference: &str) -> String {
    let account = account_id(&b.app, reference).await;
    let (status, body) = rpc(b, "create_customer", &[("account_id", &account), ("email", "aiko@example.jp"), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    until("the customer", || customer_of(&b.app, reference)).await
}

async fn invoice_row(app: &TestApp, id: &str) -> (String, Option<String>) {
    let row = sqlx::query("SELECT status, stripe_id FROM invoices WHERE id = $1").bind(id).fetch_one(&app.sql).await.expect("invoice");
    (row.get(0), row.get(1))
}

async fn wait_status(app: &TestApp, id: &str, status: &str) -> String {
    until(&format!("invoice {id} to be {status}"), || async {
        let (now, stripe_id) = invoice_row(app, id).await;
        stripe_id.filter(|_| now == status)
    })
    .await
}

/// A draft of 1,200 SRB + 2 × 150 SRB for m-1, made through the console.
async fn draft(b: &Billing) -> String {
    let account = account_id(&b.app, "m-1").await;
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let form = [
        ("account_id", account.as_str()),
        ("currency", "SRB"),
        ("lines[0][description]", "Membership, December"),
        ("lines[0][quantity]", "1"),
        ("lines[0][unit_amount]", "1200"),
        ("lines[1][description]", "Market stall"),
        ("lines[1][quantity]", "2"),
        ("lines[1][unit_amount]", "150"),
        ("due_date", due.as_str()),
        ("memo", "Thank you"),
    ];
    let (status, body) = rpc(b, "create_invoice", &form).await;
    assert_eq!(status, 200, "{body}");
    body.as_str().expect("the invoice id").to_string()
}

async fn finalized(b: &Billing) -> (String, String) {
    link(b, "m-1").await;
    let id = draft(b).await;
    wait_status(&b.app, &id, "draft").await;
    let (status, body) = rpc(b, "invoice_action", &[("id", &id), ("action", "finalize"), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    let stripe_id = wait_status(&b.app, &id, "open").await;
    (id, stripe_id)
}

async fn invoice_payments(app: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM transactions WHERE kind = 'invoice_payment'").fetch_one(&app.sql).await.expect("count").get(0)
}

async fn balance(app: &TestApp, reference: &str) -> i64 {
    sqlx::query("SELECT CAST(COALESCE(SUM(b.balance), 0) AS BIGINT) FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.external_ref = $1")
        .bind(reference)
        .fetch_one(&app.sql)
        .await
        .expect("balance")
        .get(0)
}

async fn an_invoice_is_made_finalized_collected_once_and_paid(backend: Backend) {
    let b = billing(backend, true).await;
    let (id, stripe_id) = finalized(&b).await;
    let customer = customer_of(&b.app, "m-1").await.expect("linked");
    let named = b.client.customers().retrieve(&customer, &[]).await.expect("customer");
    assert_eq!(named.metadata.get("regio_account_id"), Some(&account_id(&b.app, "m-1").await), "Stripe's customer names the account");
    let invoice = b.client.invoices().retrieve(&stripe_id, &[]).await.expect("invoice");
    assert_eq!((invoice.total, invoice.currency.as_str()), (1500, "jpy"), "two lines at the 1:1 peg");

    let (status, preview) = rpc(&b, "preview_collection", &[("id", &id)]).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!((preview["amount"].as_str(), preview["shortfall"].as_str()), (Some("1500 SRB"), None), "{preview}");
    assert_eq!(invoice_payments(&b.app).await, 0, "a preview moves nothing");

    // Two admins' clicks at once: one payment.
    let form = [("id", id.as_str()), ("confirm", "yes")];
    let ((first, _), (second, _)) = tokio::join!(rpc(&b, "collect_invoice", &form), rpc(&b, "collect_invoice", &form));
    assert_eq!([first.min(second), first.max(second)], [200, 409], "one collection, one refusal");
    assert_eq!(invoice_payments(&b.app).await, 1);
    assert_eq!(balance(&b.app, "m-1").await, 50_000 - 1_500);

    wait_status(&b.app, &id, "paid").await;
    let paid = b.client.invoices().retrieve(&stripe_id, &[]).await.expect("invoice");
    assert_eq!((paid.amount_paid, paid.amount_remaining), (1500, 0));
    let payments: Value =
        emulator_control().get(format!("{}/v1/invoice_payments?invoice={stripe_id}", b.emulator)).send().await.expect("list").json().await.expect("json");
    let data = payments["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 1, "one invoice payment: {payments}");
    assert_eq!(data[0]["payment"]["type"], "payment_record");
    let (status, _) = rpc(&b, "collect_invoice", &[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "a paid invoice is not collected again");
    let actions: Vec<String> = b.app.audit_actions().await.into_iter().map(|(action, _)| action).collect();
    for action in ["billing.customer_create", "billing.invoice_create", "billing.invoice_action", "billing.invoice_collect"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }

    // The CSV export: the filtered invoices, to signed-in people only.
    let csv = |client: &reqwest::Client, query: &str| client.get(b.app.url(&format!("/billing/export/invoices{query}"))).send();
    let paid = csv(&b.admin, "?status=paid").await.expect("export");
    let status = paid.status();
    let text = paid.text().await.expect("text");
    assert_eq!(status, 200, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the paid invoice: {text}");
    assert!(lines[1].contains(&stripe_id) && lines[1].contains("1500 SRB"), "{text}");
    assert_eq!(csv(&b.admin, "?status=open").await.expect("export").text().await.expect("text").lines().count(), 1, "only the header");
    assert_eq!(csv(&b.admin, "?due_to=someday").await.expect("export").status(), 422, "a bad filter is refused before the file starts");
    let signed_out = csv(&crate::support::browser(&b.app.base), "").await.expect("export");
    assert_eq!(signed_out.status(), 303, "nobody signed in is sent to sign in");
    assert!(signed_out.headers().get("location").and_then(|l| l.to_str().ok()).is_some_and(|l| l.starts_with("/login")));
}

async fn a_short_wallet_is_refused_and_nothing_moves(backend: Backend) {
    let b = billing(backend, true).await;
    // m-2 holds nothing; its customer is made in Stripe first and attached.
    let made = b.client.customers().create(&Default::default(), &IdempotencyKey::new("test/customer/m-2").expect("key")).await.expect("customer");
    let account = account_id(&b.app, "m-2").await;
    let (status, body) = rpc(&b, "attach_customer", &[("account_id", &account), ("customer", "cus_missing")]).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("customer")), "an unknown customer is refused: {body}");
    let (status, body) = rpc(&b, "attach_customer", &[("account_id", &account), ("customer", &made.id)]).await;
    assert_eq!(status, 200, "{body}");
    let m1 = account_id(&b.app, "m-1").await;
    let (status, body) = rpc(&b, "attach_customer", &[("account_id", &m1), ("customer", &made.id)]).await;
    assert_eq!(status, 422, "one account per customer: {body}");

    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(3)).to_string();
    let form = [
        ("account_id", account.as_str()),
        ("currency", "SRB"),
        ("lines[0][description]", "Bus pass"),
        ("lines[0][quantity]", "1"),
        ("lines[0][unit_amount]", "3000"),
        ("due_date", due.as_str()),
    ];
    let (status, body) = rpc(&b, "create_invoice", &form).await;
    assert_eq!(status, 200, "{body}");
    let id = body.as_str().expect("id").to_string();
    wait_status(&b.app, &id, "draft").await;
    rpc(&b, "invoice_action", &[("id", &id), ("action", "finalize"), ("confirm", "yes")]).await;
    wait_status(&b.app, &id, "open").await;
    let (status, preview) = rpc(&b, "preview_collection", &[("id", &id)]).await;
    assert_eq!((status, preview["shortfall"].as_str()), (200, Some("3000 SRB")), "{preview}");
    let (status, body) = rpc(&b, "collect_invoice", &[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("3000 SRB short"), "the shortfall is stated: {body}");
    assert_eq!(invoice_payments(&b.app).await, 0);
    assert_eq!(balance(&b.app, "m-2").await, 0);

    // Bad input names its field and writes nothing.
    let before: i64 = sqlx::query("SELECT COUNT(*) FROM invoices").fetch_one(&b.app.sql).await.expect("count").get(0);
    for (field, value) in [("lines[0][unit_amount]", "-5"), ("lines[0][quantity]", "0"), ("due_date", "2020-01-01")] {
        let mut bad: Vec<(&str, &str)> = form.iter().filter(|(name, _)| *name != field).copied().collect();
        bad.push((field, value));
        let (status, body) = rpc(&b, "create_invoice", &bad).await;
        assert_eq!((status, body["field"].as_str()), (422, Some(field)), "{body}");
    }
    let after: i64 = sqlx::query("SELECT COUNT(*) FROM invoices").fetch_one(&b.app.sql).await.expect("count").get(0);
    assert_eq!(before, after);
}

/// An invoice made directly in Stripe for `customer`, finalized there: 800 JPY.
async fn stripe_made_invoice(client: &StripeClient, customer: &str, tag: &str) -> String {
    let key = |what: &str| IdempotencyKey::new(format!("test/{tag}/{what}")).expect("key");
    let invoice = client.invoices().create(&CreateInvoice::send_invoice(customer, "jpy", 14), &key("invoice")).await.expect("invoice");
    let item = CreateInvoiceItem {
        customer: customer.to_string(),
        invoice: Some(invoice.id.clone()),
        charge: ItemCharge::Amount { amount: 800, currency: "jpy".into() },
        description: Some("Parking".into()),
        metadata: Metadata::new(),
    };
    client.invoice_items().create(&item, &key("item")).await.expect("item");
    client.invoices().finalize(&invoice.id, &FinalizeInvoice::default(), &key("finalize")).await.expect("finalize");
    invoice.id
}

async fn adopted(app: &TestApp, stripe_id: &str) -> Option<(String, String, String)> {
    let row = sqlx::query("SELECT id, status, origin FROM invoices WHERE stripe_id = $1").bind(stripe_id).fetch_optional(&app.sql).await.expect("invoice")?;
    Some((row.get(0), row.get(1), row.get(2)))
}

async fn an_invoice_made_in_stripe_arrives_by_webhook_and_is_collected(backend: Backend) {
    let b = billing(backend, true).await;
    let customer = link(&b, "m-1").await;
    let stripe_id = stripe_made_invoice(&b.client, &customer, "dashboard").await;
    let (id, status, origin) = until("the webhook to bring the invoice", || adopted(&b.app, &stripe_id)).await;
    assert_eq!((status.as_str(), origin.as_str()), ("open", "stripe"));
    let (status, body) = rpc(&b, "collect_invoice", &[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    wait_status(&b.app, &id, "paid").await;
    assert_eq!(balance(&b.app, "m-1").await, 50_000 - 800);
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events WHERE via = 'webhook'").fetch_one(&b.app.sql).await.expect("count").get(0);
    assert!(events >= 3, "finalized, paid and invoice_payment.paid came by webhook ({events})");
}

async fn post_event(app: &TestApp, payload: &str, signature: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(app.url("/stripe/webhook"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload.to_string())
        .send()
        .await
        .expect("post");
    response.status().as_u16()
}

async fn stored_events(app: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM stripe_events").fetch_one(&app.sql).await.expect("count").get(0)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn forged_stale_and_replayed_deliveries_change_nothing(backend: Backend) {
    let b = billing(backend, true).await;
    let secret = b.app.state.webhook_secret.clone().expect("the webhook secret");
    let payload = json!({ "id": "evt_test_1", "object": "event", "type": "invoice.paid", "created": unix_now(), "livemode": false,
        "data": { "object": { "id": "in_unknown", "object": "invoice" } } })
    .to_string();
    let forger = regio::server::stripe::client::webhook::WebhookSecret::new("whsec_forged").expect("secret");
    assert_eq!(post_event(&b.app, &payload, &sign(payload.as_bytes(), &forger, unix_now())).await, 401, "a forged signature");
    assert_eq!(post_event(&b.app, &payload, "t=1,v1=00").await, 401, "a made-up signature");
    assert_eq!(post_event(&b.app, &payload, &sign(payload.as_bytes(), &secret, unix_now() - 3600)).await, 400, "a stale delivery");
    assert_eq!(stored_events(&b.app).await, 0, "nothing stored");
    let signed = sign(payload.as_bytes(), &secret, unix_now());
    assert_eq!(post_event(&b.app, &payload, &signed).await, 200);
    assert_eq!(post_event(&b.app, &payload, &signed).await, 200, "a replay is answered");
    assert_eq!(stored_events(&b.app).await, 1, "and stored once");
    let state = until("the event to be processed", || async {
        let row = sqlx::query("SELECT state, attempts FROM stripe_events WHERE id = 'evt_test_1'").fetch_one(&b.app.sql).await.expect("event");
        let (state, attempts): (String, i64) = (row.get(0), row.get(1));
        (attempts > 0).then_some(state)
    })
    .await;
    assert_eq!(state, "failed", "Stripe has no in_unknown: processing reads Stripe, not the event");
}

async fn an_event_lost_in_delivery_is_found_by_the_catch_up(backend: Backend) {
    // No endpoint is registered: every event is lost in delivery.
    let b = billing(backend, false).await;
    let customer = link(&b, "m-1").await;
    let stripe_id = stripe_made_invoice(&b.client, &customer, "lost").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(adopted(&b.app, &stripe_id).await.is_none(), "nothing arrived by itself");
    let found = events::catch_up(&b.app.db, &b.client).await.expect("catch up");
    assert!(found >= 1, "the catch-up found the invoice's events");
    let (_, status, origin) = adopted(&b.app, &stripe_id).await.expect("adopted by the catch-up");
    assert_eq!((status.as_str(), origin.as_str()), ("open", "stripe"));
    assert_eq!(events::catch_up(&b.app.db, &b.client).await.expect("again"), 0, "a second catch-up finds nothing new");
}

async fn events_out_of_order_leave_the_invoice_as_stripe_has_it(backend: Backend) {
    let b = billing(backend, false).await;
    let customer = link(&b, "m-1").await;
    let stripe_id = stripe_made_invoice(&b.client, &customer, "order").await;
    b.client
        .invoices()
        .pay(
            &stripe_id,
            &regio::server::stripe::client::invoices::PayInvoice { paid_out_of_band: Some(true) },
            &IdempotencyKey::new("test/order/pay").expect("key"),
        )
        .await
        .expect("paid out of band");
    // The events as Stripe made them, stored newest first: `invoice.paid` before `invoice.finalized`.
    let mut pages = b.client.events().list(&Default::default());
    let mut seen = Vec::new();
    while let Some(event) = pages.next_item().await.expect("events") {
        if event.data.object.get("id").and_then(Value::as_str) == Some(stripe_id.as_str()) {
            seen.push(event);
        }
    }
    assert!(seen.first().is_some_and(|e| e.kind == "invoice.paid"), "newest first");
    for event in &seen {
        events::store(&b.app.db, event, regio::domain::billing::EventVia::CatchUp).await.expect("store");
        events::process(&b.app.db, &b.client, &event.id).await.expect("process");
    }
    let (_, status, _) = adopted(&b.app, &stripe_id).await.expect("adopted");
    assert_eq!(status, "paid", "the last event processed was the oldest, yet the invoice is as Stripe has it");
}

async fn unlinking_waits_for_open_invoices_and_a_deleted_customer_unlinks(backend: Backend) {
    let b = billing(backend, true).await;
    let (id, _) = finalized(&b).await;
    let account = account_id(&b.app, "m-1").await;
    let (status, body) = rpc(&b, "unlink_customer", &[("account_id", &account), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "an open invoice holds the link: {body}");
    rpc(&b, "invoice_action", &[("id", &id), ("action", "void"), ("confirm", "yes")]).await;
    wait_status(&b.app, &id, "void").await;
    let (status, body) = rpc(&b, "unlink_customer", &[("account_id", &account), ("confirm", "yes")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(customer_of(&b.app, "m-1").await, None);

    // Linked again, then deleted in Stripe: the webhook unlinks it.
    let customer = link(&b, "m-1").await;
    let deleted = emulator_control().delete(format!("{}/v1/customers/{customer}", b.emulator)).send().await.expect("delete");
    assert!(deleted.status().is_success());
    until("the deletion to unlink the account", || async { customer_of(&b.app, "m-1").await.is_none().then_some(()) }).await;
    let actions: Vec<String> = b.app.audit_actions().await.into_iter().map(|(action, _)| action).collect();
    assert!(actions.iter().any(|a| a == "billing.customer_unlink") && actions.iter().any(|a| a == "billing.customer_deleted_in_stripe"), "{actions:?}");
}

async fn a_retry_after_stripe_forgot_its_key_finishes_the_invoice_it_made(backend: Backend) {
    let (emulator, test_client) = crate::support::spawn_emulator().await;
    let http = emulator_control();
    let forget = http.post(format!("{emulator}/_emulator/idempotency")).json(&json!({ "retention_secs": 0 })).send().await.expect("forget keys");
    assert!(forget.status().is_success());
    let mut config = ClientConfig::new(SecretKey::new(crate::support::EMULATOR_KEY).expect("key")).with_base_url(emulator.as_str());
    config.retry = RetryPolicy::never();
    let client = StripeClient::new(config).expect("client");
    let app = spawn_app_configured(backend, Some(client.clone()), |_| {}).await;
    ledger_fixture(&app).await;
    let worker = BillingWorker::new(app.db.clone(), client.clone(), Duration::from_millis(20));
    let customer = test_client.customers().create(&Default::default(), &IdempotencyKey::new("test/forgot/customer").expect("key")).await.expect("customer");
    let account = account_id(&app, "m-1").await;
    billing::attach_customer(&app.db, Some(&client), &Actor::cli(), &account, &customer.id).await.expect("attach");
    worker.run_once().await.expect("tag the customer");

    // The invoice is made, but its answer is lost; Stripe keeps no key to replay it.
    let lose = http.post(format!("{emulator}/_emulator/faults")).json(&json!({ "lose_next": 1 })).send().await.expect("lose");
    assert!(lose.status().is_success());
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(5)).to_string();
    let lines = vec![
        LineInput { description: "Membership".into(), quantity: "1".into(), unit_amount: "1000".into() },
        LineInput { description: "Badge".into(), quantity: "2".into(), unit_amount: "250".into() },
    ];
    let input = billing::NewInvoice { account_id: account, currency: "SRB".into(), lines, due_date: due, memo: String::new() };
    let id = billing::create_invoice(&app.db, &Actor::cli(), &input).await.expect("draft");
    let stripe_id = until("the invoice to be made", || async {
        worker.run_once().await.expect("steps");
        invoice_row(&app, &id).await.1
    })
    .await;
    let listed =
        test_client.invoices().list(&ListInvoices { customer: Some(customer.id.clone()), ..ListInvoices::default() }).collect_all().await.expect("list");
    assert_eq!(listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [stripe_id.as_str()], "one invoice, the first attempt's");
    assert_eq!(listed[0].total, 1500, "each line once");
}
