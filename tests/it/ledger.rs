//! The ledger through the ingestion API: atomic batches, idempotent resends, the rules.

use crate::support::{Backend, TestApp, spawn_app};
use crate::{both_databases, postgres_only};
use regio::server::auth::api_keys;
use regio::server::db::audit::Actor;
use regio::server::ledger::{accounts, currencies};
use serde_json::{Value, json};
use sqlx::Row;

both_databases!(
    a_batch_is_recorded_once_and_resending_it_changes_nothing,
    one_bad_item_rejects_the_whole_batch_naming_every_bad_item,
    balances_rules_and_frozen_accounts_are_enforced,
    refunds_are_limited_and_convert_at_the_payment_rate,
    api_keys_are_required_and_can_be_revoked,
    transactions_can_be_listed_and_retrieved,
);

postgres_only!(concurrent_debits_never_overdraw);

/// PostgreSQL posts API batches holding their accounts shared, so two batches debiting the same
/// member both read its balance before either writes. Here both are held at their balance
/// updates until each has checked against 100: one pays 60, and the other, finding the balance
/// no longer covers it, is checked again the exclusive way and refused.
async fn concurrent_debits_never_overdraw() {
    let app = spawn_app(Backend::Postgres).await;
    let key = ledger_fixture(&app).await;
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "100", "op-1", "m-1")]).await.0, 200);
    let mut holder = app.sql.begin().await.expect("begin");
    sqlx::query("SELECT balance FROM account_balances WHERE account_id = (SELECT id FROM accounts WHERE external_ref = 'm-1') FOR UPDATE")
        .fetch_one(&mut *holder)
        .await
        .expect("hold the balance");
    let pay = |reference: &str| post_in_background(&app, &key, vec![item(reference, "payment", "60", "m-1", "shop-1")]);
    let (first, second) = (pay("p-1"), pay("p-2"));
    until_waiting_on_locks(&app, 2).await;
    holder.commit().await.expect("release");
    let answers = [first.await.expect("first"), second.await.expect("second")];
    let paid = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 422).map(|(_, body)| body).collect();
    assert_eq!((paid, refused.len()), (1, 1), "{answers:?}");
    assert!(refused[0]["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("holds 40"), "{answers:?}");
    assert_eq!(balance(&app, "m-1").await, 40);
    assert_ledger_consistent(&app).await;
}

postgres_only!(resent_batches_in_another_order_are_answered_alike);

/// Two copies of one batch sent at once, the second in reverse order, both held at their
/// accounts until released together: each records half of the references and then waits for
/// the other's half, which PostgreSQL ends as a deadlock (in most runs: when both wrote their
/// first half before either wrote its second; without the fallback it failed 2 runs of 3).
/// Both are answered with the same ids.
async fn resent_batches_in_another_order_are_answered_alike() {
    let app = spawn_app(Backend::Postgres).await;
    let key = ledger_fixture(&app).await;
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "100000", "op-1", "m-1")]).await.0, 200);
    let items: Vec<Value> = (0..1000).map(|n| item(&format!("p-{n}"), "payment", "1", "m-1", "shop-1")).collect();
    let mut holder = app.sql.begin().await.expect("begin");
    sqlx::query("SELECT id FROM accounts WHERE external_ref = 'm-1' FOR UPDATE").fetch_one(&mut *holder).await.expect("hold the member");
    let (forward, backward) = (post_in_background(&app, &key, items.clone()), post_in_background(&app, &key, items.into_iter().rev().collect()));
    until_waiting_on_locks(&app, 2).await;
    holder.commit().await.expect("release");
    let (forward, backward) = (forward.await.expect("forward"), backward.await.expect("backward"));
    assert_eq!((forward.0, backward.0), (200, 200), "{forward:?} {backward:?}");
    let ids = |body: &Value| -> std::collections::BTreeMap<String, String> {
        body["data"].as_array().expect("data").iter().map(|p| (p["external_ref"].to_string(), p["id"].to_string())).collect()
    };
    assert_eq!(ids(&forward.1), ids(&backward.1));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM transactions WHERE kind = 'payment'").await, 1000);
    assert_eq!(balance(&app, "m-1").await, 99_000);
    assert_ledger_consistent(&app).await;
}

/// Posts `items` from a task of its own, so that the test can hold it at a lock meanwhile.
fn post_in_background(app: &TestApp, key: &str, items: Vec<Value>) -> tokio::task::JoinHandle<(u16, Value)> {
    let (url, key) = (app.url("/api/v1/transactions"), key.to_string());
    tokio::spawn(async move {
        let response = reqwest::Client::new().post(url).bearer_auth(key).json(&json!({ "transactions": items })).send().await.expect("post");
        (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
    })
}

/// Waits until `count` of the test database's sessions wait for a lock (PostgreSQL).
async fn until_waiting_on_locks(app: &TestApp, count: i64) {
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    crate::support::until("sessions waiting for a lock", std::time::Duration::from_secs(30), || async { (scalar(app, waiting).await == count).then_some(()) })
        .await;
}

/// SRB pegged 1:1 to JPY, an operator, two members and a shop, and an API key.
pub async fn ledger_fixture(app: &TestApp) -> String {
    set_peg(app, "1").await;
    let open = |kind: &str, name: &str, reference: &str| accounts::NewAccount::parse(kind, name, reference).expect("valid account");
    accounts::open_many(
        &app.db,
        &Actor::cli(),
        vec![
            open("operator", "Sarubobo Issuer", "op-1"),
            open("member", "Aiko", "m-1"),
            open("member", "Ben", "m-2"),
            open("merchant", "Takayama Soba", "shop-1"),
        ],
    )
    .await
    .expect("accounts");
    api_keys::create(&app.db, &Actor::cli(), "payment-system").await.expect("key").1
}

pub async fn set_peg(app: &TestApp, rate: &str) {
    let input = currencies::CurrencyInput {
        code: "SRB",
        name: "Sarubobo Coin",
        exponent: "0",
        fiat_currency: "jpy",
        peg_rate: rate,
        payment_method_type: "cpmt_sarubobo",
        payment_method_name: "Sarubobo Coin",
    };
    currencies::save(&app.db, &Actor::cli(), currencies::parse(&input).expect("valid currency")).await.expect("currency");
}

pub fn item(reference: &str, kind: &str, amount: &str, from: &str, to: &str) -> Value {
    json!({ "external_ref": reference, "kind": kind, "currency": "SRB", "amount": amount, "from": from, "to": to })
}

pub async fn post(app: &TestApp, key: &str, items: Vec<Value>) -> (u16, Value) {
    let response =
        reqwest::Client::new().post(app.url("/api/v1/transactions")).bearer_auth(key).json(&json!({ "transactions": items })).send().await.expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `(index, field)` of every refused item in a 422 answer.
pub fn item_errors(body: &Value) -> Vec<(i64, String)> {
    body["error"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["index"].as_i64().unwrap_or(-1), e["field"].as_str().unwrap_or("").to_string()))
        .collect()
}

pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(&app.sql).await.expect(sql).get::<i64, _>(0)
}

pub async fn balance(app: &TestApp, reference: &str) -> i64 {
    sqlx::query("SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.external_ref = $1")
        .bind(reference)
        .fetch_one(&app.sql)
        .await
        .expect("balance")
        .get::<i64, _>(0)
}

/// The whole ledger balances: every transaction's entries sum to zero, and the cached balances
/// equal the sums of entries.
pub async fn assert_ledger_consistent(app: &TestApp) {
    let unbalanced = scalar(app, "SELECT COUNT(*) FROM (SELECT transaction_id FROM entries GROUP BY transaction_id, currency HAVING SUM(amount) <> 0) u").await;
    assert_eq!(unbalanced, 0, "every transaction's entries sum to zero");
    let drift = scalar(
        app,
        "SELECT COUNT(*) FROM account_balances b WHERE b.balance <> (SELECT COALESCE(SUM(e.amount), 0) FROM entries e WHERE e.account_id = b.account_id AND e.currency = b.currency)",
    )
    .await;
    assert_eq!(drift, 0, "cached balances equal the sum of entries");
}

async fn a_batch_is_recorded_once_and_resending_it_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let batch =
        vec![item("t-1", "top_up", "5000", "op-1", "m-1"), item("p-1", "payment", "1200", "m-1", "shop-1"), item("p-2", "payment", "800", "m-1", "shop-1")];
    let (status, first) = post(&app, &key, batch.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert!(first["data"].as_array().expect("data").iter().all(|p| p["created"] == true));

    let (status, again) = post(&app, &key, batch).await;
    assert_eq!(status, 200, "{again}");
    for (a, b) in first["data"].as_array().expect("data").iter().zip(again["data"].as_array().expect("data")) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(b["created"], false);
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM transactions").await, 3);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM entries").await, 6);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND operation = 'report_payment'").await, 2);
    assert_eq!((balance(&app, "m-1").await, balance(&app, "shop-1").await, balance(&app, "op-1").await), (3000, 2000, -5000));
    assert_ledger_consistent(&app).await;

    let (status, reused) = post(&app, &key, vec![item("p-1", "payment", "999", "m-1", "shop-1")]).await;
    assert_eq!(status, 422, "a reference reused for a different transaction is refused: {reused}");
    assert_eq!(reused["error"]["errors"][0]["field"], "external_ref");
}

async fn one_bad_item_rejects_the_whole_batch_naming_every_bad_item(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let (status, body) = post(
        &app,
        &key,
        vec![
            item("t-1", "top_up", "5000", "op-1", "m-1"),
            item("x-1", "payment", "12.5", "m-1", "shop-1"),
            item("x-2", "gift", "10", "m-1", "shop-1"),
            item("x-3", "payment", "10", "m-1", "nobody"),
            json!({ "external_ref": "x-4", "kind": "payment", "currency": "SRB", "amount": 10, "from": "m-1", "to": "shop-1" }),
            item("t-1", "top_up", "1", "op-1", "m-1"),
            item("x-5", "payment", "10", "shop-1", "m-1"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let errors = item_errors(&body);
    // A JSON-shape error stops the batch before the ledger is read; the rest are found together.
    assert_eq!(errors, vec![(4, "amount".to_string())]);

    let (status, body) = post(
        &app,
        &key,
        vec![
            item("t-1", "top_up", "5000", "op-1", "m-1"),
            item("x-1", "payment", "12.5", "m-1", "shop-1"),
            item("x-2", "gift", "10", "m-1", "shop-1"),
            item("x-3", "payment", "10", "m-1", "nobody"),
            item("t-1", "top_up", "1", "op-1", "m-1"),
            item("x-5", "payment", "10", "shop-1", "m-1"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let errors = item_errors(&body);
    assert_eq!(errors, vec![(1, "amount".into()), (2, "kind".into()), (3, "to".into()), (4, "external_ref".into()), (5, "from".into())]);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM transactions").await, 0, "nothing half-written");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outbox").await, 0);

    let not_json = reqwest::Client::new()
        .post(app.url("/api/v1/transactions"))
        .bearer_auth(&key)
        .body("{oops")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(not_json.status(), 400);
}

async fn balances_rules_and_frozen_accounts_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "1000", "op-1", "m-1"), item("p-1", "payment", "1001", "m-1", "shop-1")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["errors"][0]["index"], 1);
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("holds 1000"), "{body}");

    let (status, _) = post(&app, &key, vec![item("t-1", "top_up", "1000", "op-1", "m-1"), item("p-1", "payment", "1000", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "a batch's earlier items fund its later ones");

    let (status, body) = post(&app, &key, vec![item("r-1", "redemption", "300", "shop-1", "op-1"), item("bad", "payment", "1", "op-1", "shop-1")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["errors"][0]["index"], 1, "the operator does not make payments: {body}");

    let shop = sqlx::query("SELECT id FROM accounts WHERE external_ref = 'shop-1'").fetch_one(&app.sql).await.expect("shop").get::<String, _>(0);
    accounts::set_status(&app.db, &Actor::cli(), &shop, regio::domain::ledger::AccountStatus::Frozen).await.expect("freeze");
    let (status, body) = post(&app, &key, vec![item("r-2", "redemption", "300", "shop-1", "op-1")]).await;
    assert_eq!(status, 422);
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("frozen"), "{body}");
    let (status, _) = post(&app, &key, vec![item("t-2", "top_up", "50", "op-1", "shop-1")]).await;
    assert_eq!(status, 200, "a frozen account can still be credited");
    assert_ledger_consistent(&app).await;
}

async fn refunds_are_limited_and_convert_at_the_payment_rate(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    set_peg(&app, "0.5").await;
    let refund =
        |reference: &str, amount: &str| json!({ "external_ref": reference, "kind": "refund", "currency": "SRB", "amount": amount, "refund_of": "p-1" });
    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "100", "op-1", "m-1"), item("p-1", "payment", "3", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "{body}");
    set_peg(&app, "2").await;

    let (status, body) = post(&app, &key, vec![refund("rf-1", "1"), refund("rf-2", "1"), refund("rf-3", "2")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["errors"][0]["index"], 2);
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("only 1"), "{body}");

    let (status, body) = post(&app, &key, vec![refund("rf-1", "1"), refund("rf-2", "1"), refund("rf-3", "1")]).await;
    assert_eq!(status, 200, "{body}");
    let fiat: Vec<i64> = sqlx::query("SELECT fiat_amount FROM transactions WHERE kind IN ('payment', 'refund') ORDER BY external_ref")
        .fetch_all(&app.sql)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
    // p-1: 3 × 0.5 = 1.5 → ¥2; the refunds at the payment's rate add up to exactly ¥2.
    assert_eq!(fiat, vec![2, 1, 0, 1]);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outbox WHERE operation = 'report_refund'").await, 3);
    assert_eq!((balance(&app, "m-1").await, balance(&app, "shop-1").await), (100, 0));

    let (status, body) = post(&app, &key, vec![refund("rf-4", "1")]).await;
    assert_eq!(status, 422, "nothing is left to refund: {body}");
    assert_ledger_consistent(&app).await;
}

async fn api_keys_are_required_and_can_be_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let client = reqwest::Client::new();
    let anonymous = client.get(app.url("/api/v1/transactions")).send().await.expect("get");
    assert_eq!(anonymous.status(), 401);
    let wrong = client.get(app.url("/api/v1/transactions")).bearer_auth("rgk_not-a-key").send().await.expect("get");
    assert_eq!(wrong.status(), 401);
    assert_eq!(client.get(app.url("/api/v1/transactions")).bearer_auth(&key).send().await.expect("get").status(), 200);
    // No Origin header: API clients are not browsers and the CSRF guard leaves bearer requests alone.
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "1", "op-1", "m-1")]).await.0, 200);

    api_keys::revoke(&app.db, &Actor::cli(), "payment-system").await.expect("revoke");
    assert_eq!(client.get(app.url("/api/v1/transactions")).bearer_auth(&key).send().await.expect("get").status(), 401);
    let doc: Value = client.get(app.url("/api/v1/openapi.json")).send().await.expect("doc").json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/transactions/{id}"]["get"].is_object());
}

async fn transactions_can_be_listed_and_retrieved(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let mut batch = vec![item("t-1", "top_up", "100000", "op-1", "m-1")];
    batch.extend((0..25).map(|i| item(&format!("p-{i:02}"), "payment", "10", "m-1", "shop-1")));
    let (status, posted) = post(&app, &key, batch).await;
    assert_eq!(status, 200);

    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client.get(app.url("/api/v1/transactions")).bearer_auth(&key).query(&[("limit", "10")]);
        if let Some(c) = &cursor {
            request = request.query(&[("starting_after", c.as_str())]);
        }
        let page: Value = request.send().await.expect("page").json().await.expect("json");
        seen.extend(page["data"].as_array().expect("data").iter().map(|t| t["external_ref"].as_str().unwrap_or("").to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 26);
    assert_eq!(seen.first().map(String::as_str), Some("p-24"), "newest first");

    let id = posted["data"][3]["id"].as_str().expect("id");
    let one: Value = client.get(app.url(&format!("/api/v1/transactions/{id}"))).bearer_auth(&key).send().await.expect("get").json().await.expect("json");
    assert_eq!(one["external_ref"], "p-02");
    assert_eq!(one["amount"], "10");
    assert_eq!(one["from_account"], "m-1");
    assert_eq!(one["fiat_currency"], "jpy");
    assert_eq!(one["fiat_amount_minor"], 10);
    assert_eq!(one["mirror_state"], "pending");
    let missing = client.get(app.url("/api/v1/transactions/nope")).bearer_auth(&key).send().await.expect("get");
    assert_eq!(missing.status(), 404);
}
