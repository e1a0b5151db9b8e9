//! Refunds from the console: never more than the payment, however many at once; a second admin
//! for large ones; nothing moves before approval; Stripe told exactly what moved.

use crate::both_databases;
use crate::ledger::post;
use crate::mirror::{emulator_with_faults, one_payment, wait_until, worker};
use crate::support::{Backend, TestApp};
use regio::server::db::audit::Actor;
use regio::server::refunds;
use serde_json::{Value, json};
use sqlx::Row;
use std::time::Duration;
use tokio::sync::watch;

both_databases!(
    partial_refunds_add_up_and_an_over_refund_states_the_remainder,
    concurrent_refunds_never_exceed_the_payment,
    a_large_refund_waits_for_another_admin_then_reaches_stripe,
    rejected_withdrawn_and_expired_refunds_move_nothing,
    who_may_refund_and_from_which_balance,
    the_search_finds_a_payment_by_what_the_counter_has,
);

async fn payment_id(app: &TestApp) -> String {
    sqlx::query("SELECT id FROM transactions WHERE external_ref = 'p-1'").fetch_one(&app.sql).await.expect("p-1").get(0)
}

async fn refunded(app: &TestApp, payment: &str) -> i64 {
    sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM transactions WHERE kind = 'refund' AND corrects_id = $1")
        .bind(payment)
        .fetch_one(&app.sql)
        .await
        .expect("refunded")
        .get(0)
}

async fn balance(app: &TestApp, account: &str) -> i64 {
    sqlx::query("SELECT b.balance FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.external_ref = $1")
        .bind(account)
        .fetch_optional(&app.sql)
        .await
        .expect("balance")
        .map_or(0, |r| r.get(0))
}

async fn rpc(app: &TestApp, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app.call(client, endpoint, form).await;
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// A refund of `amount` of the payment, confirmed, "requested by customer" unless `extra` says.
async fn refund(app: &TestApp, client: &reqwest::Client, payment: &str, amount: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("payment_id", payment), ("amount", amount), ("confirm", "yes")];
    if !extra.iter().any(|(name, _)| *name == "reason") {
        form.push(("reason", "requested_by_customer"));
    }
    form.extend_from_slice(extra);
    rpc(app, client, "request_refund", &form).await
}

/// The app with p-1 (1,000 SRB from m-1 to shop-1), and a support user and two admins signed in.
async fn counter(backend: Backend) -> (TestApp, String, [reqwest::Client; 3]) {
    let (app, _) = one_payment(backend).await;
    app.add_user("sue@example.org", "support").await;
    app.add_user("ann@example.org", "admin").await;
    app.add_user("bob@example.org", "admin").await;
    let payment = payment_id(&app).await;
    let clients = [app.signed_in("sue@example.org").await, app.signed_in("ann@example.org").await, app.signed_in("bob@example.org").await];
    (app, payment, clients)
}

async fn partial_refunds_add_up_and_an_over_refund_states_the_remainder(backend: Backend) {
    let (app, payment, [support, ..]) = counter(backend).await;
    let (status, preview) = rpc(&app, &support, "preview_refund", &[("payment_id", &payment), ("amount", "300"), ("reason", "duplicate")]).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["amount"], "300 SRB");
    assert_eq!(preview["fiat"], "300 JPY");
    assert!(preview["ledger"][0].as_str().unwrap_or("").contains("1000 SRB → 700 SRB"), "the shop pays it back: {preview}");
    assert_eq!(refunded(&app, &payment).await, 0, "a preview moves nothing");

    let (status, unconfirmed) = rpc(&app, &support, "request_refund", &[("payment_id", &payment), ("amount", "300"), ("reason", "duplicate")]).await;
    assert_eq!((status, unconfirmed["field"].as_str()), (422, Some("confirm")), "nothing moves before the confirmation");
    assert_eq!(refund(&app, &support, &payment, "300", &[]).await.0, 200);
    let (status, second) = refund(&app, &support, &payment, "300", &[]).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["stage"], "posted");
    let (status, over) = refund(&app, &support, &payment, "500", &[]).await;
    assert_eq!((status, over["field"].as_str()), (422, Some("amount")), "{over}");
    assert!(over["message"]["en"].as_str().unwrap_or("").contains("only 400 SRB is left"), "{over}");
    assert!(over["message"]["ja"].as_str().unwrap_or("").contains("400 SRB"), "the Japanese reader is told too: {over}");
    assert_eq!(refunded(&app, &payment).await, 600);
    assert_eq!((balance(&app, "shop-1").await, balance(&app, "m-1").await), (400, 49_600));
    let (status, other) = refund(&app, &support, &payment, "10", &[("reason", "other")]).await;
    assert_eq!((status, other["field"].as_str()), (422, Some("note")), "“other” needs a note: {other}");
    crate::ledger::assert_ledger_consistent(&app).await;
}

async fn concurrent_refunds_never_exceed_the_payment(backend: Backend) {
    let (app, payment, [support, ann, _]) = counter(backend).await;
    let attempts = (0..20).map(|i| {
        let (app, client, payment) = (&app, if i % 2 == 0 { &support } else { &ann }, payment.clone());
        async move { refund(app, client, &payment, "70", &[]).await }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let posted = outcomes.iter().filter(|(status, _)| *status == 200).count();
    for (status, body) in outcomes.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, body["field"].as_str()), (422, Some("amount")), "every refusal is explained: {body}");
        assert!(body["message"]["en"].as_str().unwrap_or("").contains("left to refund"), "{body}");
    }
    assert_eq!(posted, 14, "14 × 70 = 980 fits in 1,000; a 15th does not");
    assert_eq!(refunded(&app, &payment).await, 980);
    assert_eq!(balance(&app, "shop-1").await, 20);
    crate::ledger::assert_ledger_consistent(&app).await;
}

async fn a_large_refund_waits_for_another_admin_then_reaches_stripe(backend: Backend) {
    let (app, payment, [support, ann, bob]) = counter(backend).await;
    refunds::set_approval_threshold(&app.db, &Actor::cli(), "SRB", Some("500")).await.expect("threshold");
    let (status, preview) = rpc(&app, &support, "preview_refund", &[("payment_id", &payment), ("amount", "600"), ("reason", "fraudulent")]).await;
    assert_eq!((status, preview["needs_approval"].as_bool()), (200, Some(true)), "{preview}");

    let (status, pending) = refund(&app, &ann, &payment, "600", &[("reason", "fraudulent")]).await;
    assert_eq!((status, pending["stage"].as_str()), (200, Some("pending_approval")), "{pending}");
    let id = pending["id"].as_str().expect("id").to_string();
    assert_eq!((refunded(&app, &payment).await, balance(&app, "shop-1").await), (0, 1_000), "only approval moves money");
    let (_, refundable) = rpc(&app, &support, "refundable", &[("payment_id", &payment)]).await;
    assert_eq!((refundable["reserved"].as_str(), refundable["remainder_minor"].as_i64()), (Some("600 SRB"), Some(400)), "{refundable}");
    let (status, over) = refund(&app, &support, &payment, "500", &[]).await;
    assert_eq!((status, over["field"].as_str()), (422, Some("amount")), "the pending refund reserves its amount: {over}");
    let (_, count) = rpc(&app, &support, "pending_approvals", &[]).await;
    assert_eq!(count, json!(1));

    let (status, own) = rpc(&app, &ann, "decide_refund", &[("id", &id), ("decision", "approve"), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "no approving one's own refund: {own}");
    let (status, _) = rpc(&app, &support, "decide_refund", &[("id", &id), ("decision", "approve"), ("confirm", "yes")]).await;
    assert_eq!(status, 403, "support requests, admins approve");
    let (status, approved) =
        rpc(&app, &bob, "decide_refund", &[("id", &id), ("decision", "approve"), ("note", "checked the report"), ("confirm", "yes")]).await;
    assert_eq!((status, approved["stage"].as_str()), (200, Some("posted")), "{approved}");
    assert_eq!((refunded(&app, &payment).await, balance(&app, "shop-1").await), (600, 400));
    let (status, again) = rpc(&app, &bob, "decide_refund", &[("id", &id), ("decision", "approve"), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "approved once: {again}");

    // The mirror reports the payment, then the refund on its record.
    let emulator = emulator_with_faults(json!({})).await;
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker(&app, &emulator, Duration::from_secs(60)).run(stopped));
    wait_until(&app, Duration::from_secs(60), |delivered| delivered == 2).await;
    let _ = stop.send(true);
    let _ = running.await;
    let record: String = sqlx::query("SELECT stripe_id FROM outbox WHERE operation = 'report_payment' AND transaction_id = $1")
        .bind(&payment)
        .fetch_one(&app.sql)
        .await
        .expect("record")
        .get(0);
    let pr: Value =
        crate::support::emulator_control().get(format!("{emulator}/v1/payment_records/{record}")).send().await.expect("get").json().await.expect("json");
    assert_eq!(pr["amount_refunded"]["value"], json!(600), "{pr}");
    let (_, page) = rpc(&app, &support, "list_refunds", &[("filter[stage]", "reported")]).await;
    assert_eq!(page["count"], json!(1), "{page}");
    assert_eq!(page["rows"][0]["decided_by"], "bob@example.org");
}

async fn rejected_withdrawn_and_expired_refunds_move_nothing(backend: Backend) {
    let (app, payment, [support, ann, bob]) = counter(backend).await;
    refunds::set_approval_threshold(&app.db, &Actor::cli(), "SRB", Some("100")).await.expect("threshold");
    let (_, first) = refund(&app, &support, &payment, "200", &[]).await;
    let first = first["id"].as_str().expect("id").to_string();
    let (status, bare) = rpc(&app, &ann, "decide_refund", &[("id", &first), ("decision", "reject")]).await;
    assert_eq!((status, bare["field"].as_str()), (422, Some("note")), "a rejection says why");
    let (status, rejected) = rpc(&app, &ann, "decide_refund", &[("id", &first), ("decision", "reject"), ("note", "not our shop")]).await;
    assert_eq!((status, rejected["stage"].as_str()), (200, Some("rejected")), "{rejected}");

    let (_, second) = refund(&app, &support, &payment, "200", &[]).await;
    let second = second["id"].as_str().expect("id").to_string();
    assert_eq!(rpc(&app, &bob, "withdraw_refund", &[("id", &second)]).await.0, 409, "only the requester withdraws");
    let (status, withdrawn) = rpc(&app, &support, "withdraw_refund", &[("id", &second)]).await;
    assert_eq!((status, withdrawn["stage"].as_str()), (200, Some("withdrawn")), "{withdrawn}");

    // A request that waits past its time is expired, and can no longer be approved.
    let (_, third) = refund(&app, &support, &payment, "200", &[]).await;
    let third = third["id"].as_str().expect("id").to_string();
    sqlx::query("UPDATE refund_requests SET expires_at = 1 WHERE id = $1").bind(&third).execute(&app.sql).await.expect("age");
    let (status, late) = rpc(&app, &ann, "decide_refund", &[("id", &third), ("decision", "approve"), ("confirm", "yes")]).await;
    assert_eq!(status, 409, "{late}");
    let (_, expired) = rpc(&app, &support, "list_refunds", &[("filter[stage]", "expired")]).await;
    assert_eq!(expired["count"], json!(1), "{expired}");

    assert_eq!((refunded(&app, &payment).await, balance(&app, "shop-1").await), (0, 1_000), "none of them moved money");
    let (_, refundable) = rpc(&app, &support, "refundable", &[("payment_id", &payment)]).await;
    assert_eq!(refundable["remainder_minor"], json!(1_000), "nothing stays reserved: {refundable}");
}

async fn who_may_refund_and_from_which_balance(backend: Backend) {
    let (app, payment, [support, ann, _]) = counter(backend).await;
    app.add_user("vic@example.org", "viewer").await;
    let viewer = app.signed_in("vic@example.org").await;
    assert_eq!(refund(&app, &viewer, &payment, "10", &[]).await.0, 403, "viewers cannot refund");
    let (status, goodwill) = refund(&app, &support, &payment, "10", &[("payer", "operator")]).await;
    assert_eq!((status, goodwill["field"].as_str()), (422, Some("payer")), "goodwill is for admins: {goodwill}");

    // The shop has spent its takings: it cannot pay back, but the operator can, as goodwill.
    let key = regio::server::auth::api_keys::create(&app.db, &Actor::cli(), "redemptions").await.expect("key").1;
    let redeem = json!({ "external_ref": "x-1", "kind": "redemption", "currency": "SRB", "amount": "950", "from": "shop-1", "to": "op-1" });
    assert_eq!(post(&app, &key, vec![redeem]).await.0, 200);
    let (status, short) = refund(&app, &support, &payment, "100", &[]).await;
    assert_eq!((status, short["field"].as_str()), (422, Some("amount")), "{short}");
    assert!(short["message"]["en"].as_str().unwrap_or("").contains("50 SRB short"), "the shortfall is stated: {short}");
    let (status, posted) = refund(&app, &ann, &payment, "100", &[("payer", "operator")]).await;
    assert_eq!((status, posted["payer"].as_str()), (200, Some("operator")), "{posted}");
    assert_eq!((balance(&app, "shop-1").await, balance(&app, "m-1").await), (50, 49_100), "the shop kept its balance");

    let member: String = sqlx::query("SELECT id FROM accounts WHERE external_ref = 'm-1'").fetch_one(&app.sql).await.expect("m-1").get(0);
    assert_eq!(rpc(&app, &ann, "set_account_status", &[("id", &member), ("status", "frozen"), ("confirm", "yes")]).await.0, 200);
    let (status, frozen) = refund(&app, &ann, &payment, "10", &[("payer", "operator")]).await;
    assert_eq!((status, frozen["field"].as_str()), (422, Some("payment_id")), "{frozen}");
    assert!(frozen["message"]["en"].as_str().unwrap_or("").contains("(m-1) is frozen"), "the account is named: {frozen}");
    crate::ledger::assert_ledger_consistent(&app).await;
}

async fn the_search_finds_a_payment_by_what_the_counter_has(backend: Backend) {
    let (app, payment, [support, ..]) = counter(backend).await;
    let search = |q: &'static str| {
        let (app, support) = (&app, &support);
        async move { rpc(app, support, "search_transactions", &[("q", q)]).await.1 }
    };
    let by_ref = search("p-1").await;
    assert_eq!((by_ref[0]["transaction_id"].as_str(), by_ref[0]["matched"].as_str()), (Some(payment.as_str()), Some("external reference")), "{by_ref}");
    let by_name = search("aik").await;
    assert!(by_name.as_array().is_some_and(|hits| hits.iter().any(|h| h["transaction_id"] == json!(payment))), "by the member's name: {by_name}");
    let by_amount = search("1000").await;
    assert!(by_amount.as_array().is_some_and(|hits| hits.iter().any(|h| h["transaction_id"] == json!(payment) && h["matched"] == "amount")), "{by_amount}");
    let by_id = rpc(&app, &support, "search_transactions", &[("q", &payment)]).await.1;
    assert_eq!(by_id[0]["matched"], "id");
    assert_eq!(search("nothing-like-this").await, json!([]));
}
