//! Accounts, statements and settings through the console's server functions and pages.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::support::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashMap;

both_databases!(
    viewers_read_accounts_but_cannot_change_anything,
    admins_open_and_freeze_accounts_with_an_audit_trail,
    a_statement_lists_a_period_in_the_order_money_moved,
    currencies_are_validated_saved_and_audited,
    api_keys_are_shown_once_and_can_be_revoked,
    account_search_ignores_case,
);

/// Calls a server function and returns its status and JSON body.
async fn rpc(app: &TestApp, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app.call(client, endpoint, form).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A page as the server renders it, expecting `status` (server functions set the page's status).
async fn page_answering(client: &reqwest::Client, app: &TestApp, path: &str, status: u16) -> String {
    let (answered, html) = app.page(client, path).await;
    assert_eq!(answered, status, "GET {path}");
    html
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    page_answering(client, app, path, 200).await
}

async fn account_id(app: &TestApp, reference: &str) -> String {
    sqlx::query("SELECT id FROM accounts WHERE external_ref = $1").bind(reference).fetch_one(&app.sql).await.expect("account").get(0)
}

/// The audit rows with `action`, oldest first: (target, actor, before, after) with the JSON parsed.
async fn audit_rows(app: &TestApp, action: &str) -> Vec<(String, String, Value, Value)> {
    let parse = |text: Option<String>| text.map_or(Value::Null, |t| serde_json::from_str(&t).expect("audit json"));
    sqlx::query("SELECT target, actor, before_json, after_json FROM audit_events WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(&app.sql)
        .await
        .expect("audit rows")
        .iter()
        .map(|r| (r.get("target"), r.get("actor"), parse(r.get("before_json")), parse(r.get("after_json"))))
        .collect()
}

fn names(page: &Value) -> Vec<&str> {
    page["accounts"].as_array().expect("accounts").iter().map(|a| a["display_name"].as_str().unwrap_or("")).collect()
}

async fn viewers_read_accounts_but_cannot_change_anything(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("vic@example.org", "viewer").await;
    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "500", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    let aiko = account_id(&app, "m-1").await;

    let anonymous = crate::support::browser(&app.base);
    assert_eq!(rpc(&app, &anonymous, "list_accounts", &[]).await.0, 401);
    assert_eq!(rpc(&app, &anonymous, "account_statement", &[("id", &aiko)]).await.0, 401);

    let viewer = app.signed_in("vic@example.org").await;
    let (status, all) = rpc(&app, &viewer, "list_accounts", &[]).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(names(&all), ["Aiko", "Ben", "Sarubobo Issuer", "Takayama Soba"]);
    assert_eq!(all["accounts"][0]["balances"], json!([["SRB", 500]]));
    assert_eq!(all["next_after"], Value::Null);
    let (_, members) = rpc(&app, &viewer, "list_accounts", &[("kind", "member"), ("status", "active")]).await;
    assert_eq!(names(&members), ["Aiko", "Ben"]);
    let (_, by_ref) = rpc(&app, &viewer, "list_accounts", &[("search", "shop"), ("kind", "")]).await;
    assert_eq!(names(&by_ref), ["Takayama Soba"]);
    let (status, bad) = rpc(&app, &viewer, "list_accounts", &[("kind", "robot")]).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("kind")));

    let (status, detail) = rpc(&app, &viewer, "account_detail", &[("id", &aiko)]).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!((detail["external_ref"].as_str(), detail["balances"].clone()), (Some("m-1"), json!([["SRB", 500]])));
    assert_eq!(rpc(&app, &viewer, "account_detail", &[("id", "nope")]).await.0, 404);
    let (status, statement) = rpc(&app, &viewer, "account_statement", &[("id", &aiko)]).await;
    assert_eq!(status, 200, "{statement}");
    assert_eq!(statement["lines"][0]["counterparty_ref"], "op-1");
    assert_eq!(statement["lines"][0]["balance_minor"], 500);
    assert_eq!(rpc(&app, &viewer, "list_currencies", &[]).await.0, 200);

    let refused: [(&str, &[(&str, &str)]); 7] = [
        ("open_account", &[("kind", "member"), ("display_name", "Eve"), ("external_ref", "m-9")]),
        ("set_account_status", &[("id", &aiko), ("status", "frozen"), ("confirm", "yes")]),
        (
            "save_currency",
            &[
                ("code", "SRB"),
                ("name", "x"),
                ("exponent", "0"),
                ("fiat_currency", "jpy"),
                ("peg_rate", "9"),
                ("payment_method_type", "cpmt_x"),
                ("payment_method_name", "x"),
            ],
        ),
        ("list_api_keys", &[]),
        ("create_api_key", &[("name", "sneaky")]),
        ("revoke_api_key", &[("id", "payment-system"), ("confirm", "yes")]),
        ("list_audit", &[]),
    ];
    for (endpoint, form) in refused {
        let (status, body) = rpc(&app, &viewer, endpoint, form).await;
        assert_eq!((status, body["kind"].as_str()), (403, Some("forbidden")), "{endpoint}");
    }
    let opened: i64 = sqlx::query("SELECT COUNT(*) FROM accounts").fetch_one(&app.sql).await.expect("count").get(0);
    assert_eq!(opened, 4);
    assert!(audit_rows(&app, "account.freeze").await.is_empty());
    assert!(audit_rows(&app, "api_key.create").await.len() == 1, "only the fixture's key");

    let list = page(&viewer, &app, "/accounts").await;
    assert!(list.contains("Takayama Soba") && list.contains("500 SRB"), "{list}");
    assert!(!list.contains("Open an account"), "viewers get no open form");
    let detail = page(&viewer, &app, &format!("/accounts/{aiko}")).await;
    assert!(detail.contains("Sarubobo Issuer") && !detail.contains("Freeze account"), "{detail}");
    let settings = page_answering(&viewer, &app, "/settings", 403).await;
    assert!(settings.contains("Access refused") && !settings.contains("payment-system"), "{settings}");
}

async fn admins_open_and_freeze_accounts_with_an_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;

    let open = |name: &'static str, reference: &'static str| [("kind", "member"), ("display_name", name), ("external_ref", reference)];
    let (status, chika) = rpc(&app, &admin, "open_account", &open("Chika", "m-3")).await;
    assert_eq!(status, 200, "{chika}");
    assert_eq!((chika["kind"].as_str(), chika["status"].as_str()), (Some("member"), Some("active")));
    let id = chika["id"].as_str().expect("id").to_string();
    let (status, taken) = rpc(&app, &admin, "open_account", &open("Someone else", "m-3")).await;
    assert_eq!((status, taken["field"].as_str()), (422, Some("external_ref")), "{taken}");
    let (status, bad) = rpc(&app, &admin, "open_account", &[("kind", "robot"), ("display_name", "R2"), ("external_ref", "r-2")]).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("kind")));
    let opened = audit_rows(&app, "account.open").await;
    let (target, actor, before, after) = opened.last().expect("open audited");
    assert_eq!((target.as_str(), actor.as_str(), before), ("account:m-3", "ann@example.org", &Value::Null));
    assert_eq!((after["display_name"].as_str(), after["status"].as_str()), (Some("Chika"), Some("active")));

    let (status, unconfirmed) = rpc(&app, &admin, "set_account_status", &[("id", &id), ("status", "frozen")]).await;
    assert_eq!((status, unconfirmed["field"].as_str()), (422, Some("confirm")));
    let (status, closing) = rpc(&app, &admin, "set_account_status", &[("id", &id), ("status", "closed"), ("confirm", "yes")]).await;
    assert_eq!((status, closing["field"].as_str()), (422, Some("status")));
    assert_eq!(rpc(&app, &admin, "set_account_status", &[("id", "nope"), ("status", "frozen"), ("confirm", "yes")]).await.0, 404);
    assert!(audit_rows(&app, "account.freeze").await.is_empty(), "nothing changed without confirmation");

    let (status, frozen) = rpc(&app, &admin, "set_account_status", &[("id", &id), ("status", "frozen"), ("confirm", "yes")]).await;
    assert_eq!((status, frozen["status"].as_str()), (200, Some("frozen")), "{frozen}");
    let freezes = audit_rows(&app, "account.freeze").await;
    assert_eq!(freezes.len(), 1);
    let (target, actor, before, after) = &freezes[0];
    assert_eq!((target.as_str(), actor.as_str()), ("account:m-3", "ann@example.org"));
    assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("active"), Some("frozen")));

    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "100", "op-1", "m-3")]).await;
    assert_eq!(status, 200, "a frozen account can still be credited: {body}");
    let (status, body) = post(&app, &key, vec![item("p-1", "payment", "40", "m-3", "shop-1")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["errors"][0]["field"], "from");
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("frozen"), "{body}");

    let detail = page(&admin, &app, &format!("/accounts/{id}")).await;
    assert!(detail.contains("Unfreeze account") && detail.contains("I understand"), "{detail}");
    let (status, active) = rpc(&app, &admin, "set_account_status", &[("id", &id), ("status", "active"), ("confirm", "yes")]).await;
    assert_eq!((status, active["status"].as_str()), (200, Some("active")));
    let (_, before, after) = audit_rows(&app, "account.unfreeze").await.pop().map(|(_, a, b, c)| (a, b, c)).expect("unfreeze audited");
    assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("frozen"), Some("active")));
    assert_eq!(post(&app, &key, vec![item("p-1", "payment", "40", "m-3", "shop-1")]).await.0, 200);

    let list = page(&admin, &app, "/accounts?kind=member").await;
    assert!(list.contains("Open an account") && list.contains("Chika") && list.contains("60 SRB"), "{list}");
    assert!(!list.contains("Takayama Soba"), "the kind filter applies to the page");
}

/// A statement for October, as a bank prints one. The payments were recorded newest-first
/// (later batches hold earlier payments) and a refund was entered weeks after it happened: the
/// lines still follow the order money moved, with the running balance in that order, from the
/// September top-up's opening balance to the closing balance, page after page and in the CSV.
async fn a_statement_lists_a_period_in_the_order_money_moved(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    let euro = [
        ("code", "EUK"),
        ("name", "Euro Kiosk"),
        ("exponent", "2"),
        ("fiat_currency", "eur"),
        ("peg_rate", "1"),
        ("payment_method_type", "cpmt_euk"),
        ("payment_method_name", "Euro Kiosk"),
    ];
    assert_eq!(rpc(&app, &admin, "save_currency", &euro).await.0, 200);
    let at = |kind: &str, reference: &str, currency: &str, amount: &str, when: &str| {
        let (from, to) = if kind == "top_up" { ("op-1", "m-1") } else { ("m-1", "shop-1") };
        json!({ "external_ref": reference, "kind": kind, "currency": currency, "amount": amount, "from": from, "to": to, "occurred_at": when })
    };

    let (status, body) = post(&app, &key, vec![at("top_up", "t-0", "SRB", "10000", "2026-09-30T12:00:00Z")]).await;
    assert_eq!(status, 200, "{body}");
    // 60 October payments, one an hour from the 1st; the batch of the latest hours goes first.
    for batch in (0..6).rev() {
        let items = (0..10)
            .map(|i| {
                let hour = batch * 10 + i;
                at("payment", &format!("p-{hour}"), "SRB", &format!("{}", hour % 7 * 10 + 5), &format!("2026-10-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24))
            })
            .collect();
        let (status, body) = post(&app, &key, items).await;
        assert_eq!(status, 200, "{body}");
    }
    let refund =
        json!({ "external_ref": "r-1", "kind": "refund", "currency": "SRB", "amount": "15", "refund_of": "p-1", "occurred_at": "2026-10-02T00:30:00Z" });
    let later = vec![
        refund,
        at("top_up", "e-1", "EUK", "12.50", "2026-10-10T09:00:00Z"),
        at("payment", "e-2", "EUK", "2.25", "2026-10-11T09:00:00Z"),
        at("payment", "p-nov", "SRB", "100", "2026-11-02T09:00:00Z"),
    ];
    let (status, body) = post(&app, &key, later).await;
    assert_eq!(status, 200, "{body}");

    let aiko = account_id(&app, "m-1").await;
    let october = [("id", aiko.as_str()), ("from", "2026-10-01"), ("to", "2026-10-31")];
    let (status, first) = rpc(&app, &admin, "account_statement", &october).await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["next_cursor"].as_str().expect("a second page").to_string();
    let (status, second) = rpc(&app, &admin, "account_statement", &[october[0], october[1], october[2], ("after", &cursor)]).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["next_cursor"], Value::Null, "two pages hold the period");
    let lines: Vec<&Value> = first["lines"].as_array().expect("lines").iter().chain(second["lines"].as_array().expect("lines")).collect();
    assert_eq!((first["lines"].as_array().map(Vec::len), lines.len()), (Some(50), 63), "60 payments, the refund, two EUK lines");

    // Independently of the pages' sums: each line's balance is the sum of every entry that
    // occurred up to and including it, in (occurred_at, id) order.
    let entries: Vec<(String, String, i64, i64)> =
        sqlx::query("SELECT transaction_id, currency, amount, occurred_at FROM entries WHERE account_id = $1 ORDER BY occurred_at, transaction_id")
            .bind(&aiko)
            .fetch_all(&app.sql)
            .await
            .expect("entries")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
    let (october_starts, november_starts) = (1_790_812_800_000_i64, 1_793_491_200_000_i64);
    let mut running: HashMap<String, i64> = HashMap::new();
    let mut expected = Vec::new();
    for (transaction, currency, amount, occurred) in &entries {
        let balance = running.entry(currency.clone()).or_default();
        *balance += amount;
        if (october_starts..november_starts).contains(occurred) {
            expected.push((transaction.clone(), *amount, *balance));
        }
    }
    let got: Vec<(String, i64, i64)> = lines
        .iter()
        .map(|l| (l["transaction_id"].as_str().unwrap_or("").to_string(), l["amount_minor"].as_i64().unwrap_or(0), l["balance_minor"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(got, expected, "the order money moved, with the balance in that order");

    let spent: i64 = (0..60).map(|hour| hour % 7 * 10 + 5).sum();
    let totals = &first["totals"];
    assert_eq!((first["from"].as_str(), first["to"].as_str()), (Some("2026-10-01"), Some("2026-10-31")));
    assert_eq!(
        (&totals[0]["currency"], &totals[0]["opening_minor"], &totals[0]["money_in_minor"], &totals[0]["money_out_minor"], &totals[0]["closing_minor"]),
        (&json!("EUK"), &json!(0), &json!(1250), &json!(225), &json!(1025))
    );
    assert_eq!(
        (&totals[1]["currency"], &totals[1]["opening_minor"], &totals[1]["money_in_minor"], &totals[1]["money_out_minor"], &totals[1]["closing_minor"]),
        (&json!("SRB"), &json!(10000), &json!(15), &json!(spent), &json!(10000 + 15 - spent))
    );
    let last_srb = lines.iter().rev().find(|l| l["currency"] == "SRB").expect("an SRB line");
    assert_eq!(last_srb["balance_minor"], totals[1]["closing_minor"], "the running balance ends at the closing balance");
    let refund = lines.iter().find(|l| l["kind"] == "refund").expect("the refund");
    assert!(refund["occurred_at"].as_str().unwrap_or("").starts_with("2026-10-02T00:30"), "{refund}");
    assert!(refund["recorded_at"].is_string(), "entered weeks later, the recorded time is shown: {refund}");

    let (status, backwards) = rpc(&app, &admin, "account_statement", &[("id", &aiko), ("from", "2026-10-31"), ("to", "2026-10-01")]).await;
    assert_eq!((status, backwards["field"].as_str()), (422, Some("to")));
    let (status, this_month) = rpc(&app, &admin, "account_statement", &[("id", &aiko)]).await;
    assert_eq!(status, 200, "{this_month}");
    assert!(this_month["from"].as_str().is_some_and(|d| d.ends_with("-01")), "this month by default: {this_month}");
    assert_eq!(rpc(&app, &admin, "account_statement", &[("id", "nope")]).await.0, 404);

    let html = page(&admin, &app, &format!("/accounts/{aiko}?from=2026-10-01&to=2026-10-31")).await;
    assert!(html.contains("Later →") && html.contains(&format!("after={cursor}")), "the statement links its next page");
    assert!(html.contains("Opening balance (2026-10-01)") && html.contains("10.25"), "totals in the currency's decimals");
    assert!(html.contains("statement/export?from=2026-10-01&amp;to=2026-10-31"), "the CSV of the same period");

    let csv_path = format!("/accounts/{aiko}/statement/export?from=2026-10-01&to=2026-10-31");
    let anonymous = crate::support::browser(&app.base);
    let refused = anonymous.get(app.url(&csv_path)).send().await.expect("csv");
    assert!(refused.status().is_redirection(), "an anonymous browser is sent to sign in, not given the file");
    let csv = admin.get(app.url(&csv_path)).send().await.expect("csv").text().await.expect("csv body");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + 2 + 63 + 2, "header, two opening lines, the period, two closing lines: {csv}");
    assert_eq!(rows[1], "2026-10-01,,,opening_balance,,,,EUK,,0.00");
    assert!(rows[3].starts_with("2026-10-01T00:00:00Z,"), "{}", rows[3]);
    assert_eq!(rows[67], format!("2026-10-31,,,closing_balance,,,,SRB,,{}", 10000 + 15 - spent));
    let csv_balances: Vec<i64> = rows[3..66].iter().filter(|r| r.contains(",SRB,")).filter_map(|r| r.rsplit(',').next()?.parse().ok()).collect();
    let page_balances: Vec<i64> = lines.iter().filter(|l| l["currency"] == "SRB").filter_map(|l| l["balance_minor"].as_i64()).collect();
    assert_eq!(csv_balances, page_balances, "the CSV's running balance is the pages'");
    assert!(rows[3].contains(",-5,"), "a payment's amount stays a number: {}", rows[3]);
}

async fn currencies_are_validated_saved_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    let currency = |code: &'static str, exponent: &'static str, rate: &'static str| {
        [
            ("code", code),
            ("name", "Hida Leaf"),
            ("exponent", exponent),
            ("fiat_currency", "jpy"),
            ("peg_rate", rate),
            ("payment_method_type", "cpmt_hida"),
            ("payment_method_name", "Hida Leaf"),
        ]
    };

    for (code, exponent, rate, field) in
        [("HDL", "0", "-1", "peg_rate"), ("HDL", "0", "one", "peg_rate"), ("HDL", "0", "0", "peg_rate"), ("H", "0", "1", "code"), ("HDL", "7", "1", "exponent")]
    {
        let (status, body) = rpc(&app, &admin, "save_currency", &currency(code, exponent, rate)).await;
        assert_eq!((status, body["field"].as_str()), (422, Some(field)), "{code} {exponent} {rate}: {body}");
    }
    let (status, saved) = rpc(&app, &admin, "save_currency", &currency("hdl", "0", "1.50")).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!((saved["code"].as_str(), saved["peg_rate"].as_str(), saved["fiat_exponent"].as_i64()), (Some("HDL"), Some("1.5"), Some(0)));
    assert_eq!(rpc(&app, &admin, "save_currency", &currency("HDL", "0", "2")).await.0, 200);
    let (_, listed) = rpc(&app, &admin, "list_currencies", &[]).await;
    let codes: Vec<&str> = listed.as_array().expect("currencies").iter().map(|c| c["code"].as_str().unwrap_or("")).collect();
    assert_eq!(codes, ["HDL", "SRB"]);

    let created = audit_rows(&app, "currency.create").await;
    assert!(
        created
            .iter()
            .any(|(target, actor, before, after)| target == "currency:HDL" && actor == "ann@example.org" && before.is_null() && after["peg_rate"] == "1.5")
    );
    let updated = audit_rows(&app, "currency.update").await;
    let (target, _, before, after) = updated.iter().find(|(t, ..)| t == "currency:HDL").expect("update audited");
    assert_eq!((target.as_str(), before["peg_rate"].as_str(), after["peg_rate"].as_str()), ("currency:HDL", Some("1.5"), Some("2")));

    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "1", "op-1", "m-1")]).await.0, 200);
    let srb = [
        ("code", "SRB"),
        ("name", "Sarubobo Coin"),
        ("exponent", "2"),
        ("fiat_currency", "jpy"),
        ("peg_rate", "1"),
        ("payment_method_type", "cpmt_sarubobo"),
        ("payment_method_name", "Sarubobo Coin"),
    ];
    let (status, locked) = rpc(&app, &admin, "save_currency", &srb).await;
    assert_eq!((status, locked["field"].as_str()), (422, Some("exponent")), "the exponent is locked once used: {locked}");

    let settings = page(&admin, &app, "/settings?edit=HDL").await;
    assert!(settings.contains("Edit HDL") && settings.contains("half away from zero") && settings.contains("Hida Leaf"), "{settings}");
}

async fn api_keys_are_shown_once_and_can_be_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;

    let (status, nameless) = rpc(&app, &admin, "create_api_key", &[("name", "  ")]).await;
    assert_eq!((status, nameless["field"].as_str()), (422, Some("name")));
    let (status, created) = rpc(&app, &admin, "create_api_key", &[("name", "till-2")]).await;
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().expect("the key, once").to_string();
    let prefix = created["key"]["prefix"].as_str().expect("prefix").to_string();
    assert!(secret.starts_with("rgk_") && secret.starts_with(&prefix) && secret.len() > prefix.len() + 20, "{created}");

    let listing = app.call(&admin, "list_api_keys", &[]).await.text().await.expect("listing");
    assert!(!listing.contains(&secret) && !listing.contains("hash"), "the list never carries the key: {listing}");
    let keys: Value = serde_json::from_str(&listing).expect("json");
    let till = keys.as_array().expect("keys").iter().find(|k| k["name"] == "till-2").expect("listed").clone();
    assert_eq!(
        (till["prefix"].as_str(), till["created_by"].as_str(), till["revoked_at"].clone()),
        (Some(prefix.as_str()), Some("ann@example.org"), Value::Null)
    );

    let api = reqwest::Client::new();
    let use_key = || api.get(app.url("/api/v1/transactions")).bearer_auth(&secret).send();
    assert_eq!(use_key().await.expect("get").status(), 200);
    let id = till["id"].as_str().expect("id");
    let (status, unconfirmed) = rpc(&app, &admin, "revoke_api_key", &[("id", id)]).await;
    assert_eq!((status, unconfirmed["field"].as_str()), (422, Some("confirm")));
    assert_eq!(use_key().await.expect("get").status(), 200, "an unconfirmed revoke changes nothing");
    assert_eq!(rpc(&app, &admin, "revoke_api_key", &[("id", id), ("confirm", "yes")]).await.0, 200);
    assert_eq!(use_key().await.expect("get").status(), 401);
    assert_eq!(rpc(&app, &admin, "revoke_api_key", &[("id", id), ("confirm", "yes")]).await.0, 404, "already revoked");

    let (_, keys) = rpc(&app, &admin, "list_api_keys", &[]).await;
    let till = keys.as_array().expect("keys").iter().find(|k| k["name"] == "till-2").expect("still listed").clone();
    assert!(till["revoked_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{till}");
    let create = audit_rows(&app, "api_key.create").await;
    assert!(create.iter().any(|(target, actor, _, after)| target == "api_key:till-2" && actor == "ann@example.org" && after["prefix"] == prefix.as_str()));
    let revoked = audit_rows(&app, "api_key.revoke").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!((revoked[0].1.as_str(), revoked[0].3["revoked"].as_bool()), ("ann@example.org", Some(true)));

    let settings = page(&admin, &app, "/settings").await;
    assert!(settings.contains(r#"data-key="till-2""#) && settings.contains(r#"data-key="payment-system""#), "{settings}");
    assert!(settings.contains(r#"data-status="revoked""#), "the revoked key is marked");
    assert!(!settings.contains(&secret));
}

async fn account_search_ignores_case(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("vic@example.org", "viewer").await;
    let viewer = app.signed_in("vic@example.org").await;
    for (search, expected) in [
        ("aiko", vec!["Aiko"]),
        ("TAKAYAMA", vec!["Takayama Soba"]),
        ("SHOP", vec!["Takayama Soba"]),
        ("M-", vec!["Aiko", "Ben"]),
        ("sArUbObO", vec!["Sarubobo Issuer"]),
    ] {
        let (status, found) = rpc(&app, &viewer, "list_accounts", &[("search", search)]).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(names(&found), expected, "search {search:?}");
    }
}
