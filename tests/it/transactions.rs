//! The transactions pages' server functions: the ledger beside Stripe, and the retry action.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::support::{Backend, spawn_app, spawn_app_with, spawn_emulator};
use regio::server::db::ledger::{AmountWalk, TransactionFilter, list_query};
use regio::server::mirror::{MirrorWorker, WorkerOptions};
use serde_json::{Value, json};
use sqlx::Row;
use std::time::Duration;
use tokio::sync::watch;

both_databases!(
    the_ledger_is_shown_beside_stripe,
    a_failed_delivery_can_be_retried_by_support_only,
    amount_filters_find_the_same_pages_whichever_way_they_walk,
    the_export_holds_every_filtered_row_newest_first_across_pages
);

async fn the_ledger_is_shown_beside_stripe(backend: Backend) {
    let (_url, stripe) = spawn_emulator().await;
    let app = spawn_app_with(backend, Some(stripe.clone())).await;
    let key = ledger_fixture(&app).await;
    let batch = vec![item("t-1", "top_up", "5000", "op-1", "m-1"), item("p-1", "payment", "1200", "m-1", "shop-1")];
    assert_eq!(post(&app, &key, batch).await.0, 200);
    let refund = json!({ "external_ref": "r-1", "kind": "refund", "currency": "SRB", "amount": "200", "refund_of": "p-1" });
    assert_eq!(post(&app, &key, vec![refund]).await.0, 200);

    let (stop, stopped) = watch::channel(false);
    let worker = MirrorWorker::new(app.db.clone(), stripe, WorkerOptions { idle_poll: Duration::from_millis(20), ..WorkerOptions::default() });
    let running = tokio::spawn(worker.run(stopped));

    app.add_user("vic@example.org", "viewer").await;
    let viewer = app.signed_in("vic@example.org").await;
    let anonymous = crate::support::browser(&app.base);
    assert_eq!(app.call(&anonymous, "list_transactions", &[]).await.status(), 401);

    let mut page = Value::Null;
    for _ in 0..100 {
        page = app.call(&viewer, "list_transactions", &[("kind", "payment")]).await.json().await.expect("page");
        let all: Value = app.call(&viewer, "list_transactions", &[("mirror_state", "pending")]).await.json().await.expect("page");
        if page["rows"][0]["mirror_state"] == "delivered" && all["rows"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let _ = running.await;
    let rows = page["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "filtered to payments: {page}");
    assert_eq!(rows[0]["mirror_state"], "delivered");
    let record = rows[0]["stripe_payment_record"].as_str().expect("pr id").to_string();
    assert!(record.starts_with("pr_"));

    let filtered: Value = app.call(&viewer, "list_transactions", &[("min_amount", "1000"), ("account", "m-1")]).await.json().await.expect("page");
    let refs: Vec<&str> = filtered["rows"].as_array().expect("rows").iter().filter_map(|r| r["external_ref"].as_str()).collect();
    assert_eq!(refs, vec!["p-1", "t-1"]);
    let bad = app.call(&viewer, "list_transactions", &[("from", "yesterday")]).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.expect("error")["field"], "from");

    let id = rows[0]["id"].as_str().expect("id");
    let detail: Value = app.call(&viewer, "transaction_detail", &[("id", id)]).await.json().await.expect("detail");
    assert_eq!(detail["stripe_record"]["id"], record.as_str());
    assert_eq!(detail["stripe_record"]["amount_guaranteed"], 1200);
    assert_eq!(detail["stripe_record"]["amount_refunded"], 200, "the refund reached Stripe: {detail}");
    assert_eq!(detail["stripe_record"]["payment_reference"], id);
    assert_eq!(detail["stripe_attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["entries"][0]["amount_minor"], -1200);
    assert_eq!(detail["refunds"][0]["external_ref"], "r-1");
    assert!(detail["dashboard_url"].is_null(), "test keys have no Dashboard link");
    assert!(detail["timeline"].as_array().map(Vec::len).unwrap_or(0) >= 3);
}

async fn a_failed_delivery_can_be_retried_by_support_only(backend: Backend) {
    let (url, stripe) = spawn_emulator().await;
    let app = spawn_app_with(backend, Some(stripe.clone())).await;
    let key = ledger_fixture(&app).await;
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "5000", "op-1", "m-1"), item("p-1", "payment", "1200", "m-1", "shop-1")]).await.0, 200);

    // Stripe refuses every request while the fault lasts: the item parks as failed.
    let http = crate::support::emulator_control();
    http.post(format!("{url}/_emulator/faults")).json(&json!({ "error_rate": 1 })).send().await.expect("faults");
    let options = WorkerOptions { idle_poll: Duration::from_millis(20), max_attempts: 1, ..WorkerOptions::default() };
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(MirrorWorker::new(app.db.clone(), stripe.clone(), options.clone()).run(stopped.clone()));
    let outbox_id = wait_for_state(&app, "failed").await;

    app.add_user("vic@example.org", "viewer").await;
    app.add_user("sue@example.org", "support").await;
    let viewer = app.signed_in("vic@example.org").await;
    let support = app.signed_in("sue@example.org").await;
    assert_eq!(app.call(&viewer, "retry_delivery", &[("outbox_id", &outbox_id)]).await.status(), 403);

    http.post(format!("{url}/_emulator/faults")).json(&json!({ "error_rate": 0 })).send().await.expect("faults");
    assert_eq!(app.call(&support, "retry_delivery", &[("outbox_id", &outbox_id)]).await.status(), 200);
    wait_for_state(&app, "delivered").await;
    assert_eq!(app.call(&support, "retry_delivery", &[("outbox_id", &outbox_id)]).await.status(), 409, "only failed items are retried");
    let _ = stop.send(true);
    let _ = running.await;
    assert!(app.audit_actions().await.iter().any(|(a, t)| a == "mirror.retry" && t.starts_with("transaction:")));
}

async fn wait_for_state(app: &crate::support::TestApp, state: &str) -> String {
    use sqlx::Row;
    for _ in 0..400 {
        let row = sqlx::query("SELECT id, state FROM outbox WHERE operation = 'report_payment'").fetch_one(&app.sql).await.expect("outbox");
        if row.get::<String, _>("state") == state {
            return row.get("id");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the delivery never became {state}");
}

/// An amount filter pages through the same rows whether its matches are read by amount, one
/// amount at a time, or by walking the ledger newest first checking each amount (the list
/// picks by the range's width and how many match).
async fn amount_filters_find_the_same_pages_whichever_way_they_walk(backend: Backend) {
    let app = spawn_app_with(backend, None).await;
    let key = ledger_fixture(&app).await;
    let mut batch = vec![item("t-1", "top_up", "100000", "op-1", "m-1")];
    for (n, amount) in ["100", "500", "505", "509", "510", "777", "777"].into_iter().enumerate() {
        batch.push(item(&format!("p-{n}"), "payment", amount, "m-1", "shop-1"));
    }
    assert_eq!(post(&app, &key, batch).await.0, 200);

    let ranges = [(Some(500), Some(509), 3), (Some(777), Some(777), 2), (Some(510), None, 4), (None, Some(500), 2)];
    for (min, max, matching) in ranges {
        let filter = TransactionFilter { currency: Some("SRB".into()), min_amount: min, max_amount: max, limit: 2, ..TransactionFilter::default() };
        let mut pages = Vec::new();
        for walk in [AmountWalk::ByAmount, AmountWalk::EachAmount, AmountWalk::ByTime] {
            let mut filter = filter.clone();
            let mut seen = Vec::new();
            loop {
                let rows = list_query(&filter, walk).fetch_all(&app.db).await.expect("page");
                let page: Vec<(i64, String)> = rows.iter().take(2).map(|r| (r.get("occurred_at"), r.get("id"))).collect();
                seen.extend(page.iter().map(|(_, id)| id.clone()));
                match (rows.len() > 2, page.last()) {
                    (true, Some((at, id))) => filter.before = Some(format!("{at}_{id}")),
                    _ => break,
                }
            }
            pages.push(seen);
        }
        assert_eq!(pages[0].len(), matching, "{min:?}..{max:?} by amount: {pages:?}");
        assert_eq!(pages[0], pages[1], "{min:?}..{max:?}: the same rows in the same order one amount at a time");
        assert_eq!(pages[0], pages[2], "{min:?}..{max:?}: the same rows in the same order walking by time");
    }
}

/// 2,300 payments export whole through three of the stream's pages, newest first and each once;
/// the file follows the list's filters, names a bad one, and is for signed-in people only.
async fn the_export_holds_every_filtered_row_newest_first_across_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("vic@example.org", "viewer").await;
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "100000", "op-1", "m-1")]).await.0, 200);
    for batch in 0..3 {
        let size = if batch == 2 { 300 } else { 1000 };
        let items = (0..size)
            .map(|i| {
                let n = batch * 1000 + i;
                json!({ "external_ref": format!("p-{n}"), "kind": "payment", "currency": "SRB", "amount": format!("{}", n % 7 + 1), "from": "m-1", "to": "shop-1",
                        "occurred_at": format!("2026-10-{:02}T{:02}:{:02}:00Z", 1 + n / 100, n % 100 / 5, n % 5 * 7), "description": "soba, \"large\"" })
            })
            .collect();
        let (status, body) = post(&app, &key, items).await;
        assert_eq!(status, 200, "{body}");
    }

    let viewer = app.signed_in("vic@example.org").await;
    let export = |query: &'static str| {
        let viewer = viewer.clone();
        let url = app.url(&format!("/transactions/export?{query}"));
        async move {
            let response = viewer.get(url).send().await.expect("export");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };
    let (status, csv) = export("kind=payment").await;
    assert_eq!(status, 200, "{csv}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "transaction_id,occurred_at,kind,external_ref,from_account,to_account,amount,currency,fiat_amount,fiat_currency,mirror_state,payment_record,stripe_guaranteed,stripe_refunded,corrects,description,source"
        )
    );
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    assert_eq!(rows.len(), 2300);
    let mut references: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert!(rows.windows(2).all(|w| (w[0][1].as_str(), w[0][0].as_str()) >= (w[1][1].as_str(), w[1][0].as_str())), "newest first");
    assert_eq!((rows[0][3].as_str(), rows[0][6].as_str(), rows[0][8].as_str(), rows[0][9].as_str()), ("p-2299", "4", "4", "JPY"));
    assert_eq!(rows[0][15], "soba, \"large\"");
    references.sort_unstable();
    references.dedup();
    assert_eq!(references.len(), 2300, "each payment once");

    let (_, top_ups) = export("kind=top_up&account=m-1").await;
    assert_eq!(top_ups.lines().count(), 2, "{top_ups}");
    let (_, sevens) = export("kind=payment&min_amount=7&max_amount=7").await;
    assert_eq!(sevens.lines().count() - 1, (0..2300).filter(|n| n % 7 == 6).count());

    let (status, refused) = export("min_amount=lots").await;
    assert_eq!(status, 422);
    assert!(refused.contains("min_amount"), "{refused}");
    let anonymous = crate::support::browser(&app.base);
    let response = anonymous.get(app.url("/transactions/export?kind=payment")).send().await.expect("anonymous export");
    assert_eq!(response.status().as_u16(), 303);
}

/// One CSV line's cells, quotes undone.
pub fn split_csv(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}
