//! The ledger's arithmetic under abuse: amounts beyond the ceiling, balances that would leave
//! `i64`, payments too small to exist in fiat, and concurrent batches racing for one balance.

use crate::both_databases;
use crate::ledger::{assert_ledger_consistent, balance, item, item_errors, ledger_fixture, post, scalar, set_peg};
use crate::support::{Backend, TestApp, spawn_app};
use regio::domain::money::MAX_AMOUNT;
use sqlx::Row;

both_databases!(
    amounts_beyond_the_ceiling_are_refused_and_the_ledger_keeps_working,
    balances_never_leave_i64,
    payments_that_round_to_no_fiat_are_refused,
    concurrent_batches_never_overdraw_a_member,
);

/// Every stored balance reads back as an integer (SQLite stores an overflowed sum as REAL).
async fn assert_balances_are_integers(app: &TestApp) {
    let rows = sqlx::query("SELECT balance FROM account_balances").fetch_all(&app.sql).await.expect("balances");
    for row in rows {
        row.try_get::<i64, _>(0).expect("an integer balance");
    }
}

async fn amounts_beyond_the_ceiling_are_refused_and_the_ledger_keeps_working(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let huge = i64::MAX.to_string();
    // Sent twice, as a new user tried it: the second used to overflow the issuer's balance.
    for reference in ["t-1", "t-2"] {
        let (status, body) = post(&app, &key, vec![item(reference, "top_up", &huge, "op-1", "m-1")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(item_errors(&body), [(0, "amount".to_string())]);
        assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains(&MAX_AMOUNT.to_string()), "the ceiling is named: {body}");
    }
    let (status, body) = post(&app, &key, vec![item("t-3", "top_up", &(MAX_AMOUNT + 1).to_string(), "op-1", "m-1")]).await;
    assert_eq!((status, item_errors(&body)), (422, vec![(0, "amount".to_string())]));

    let ceiling = MAX_AMOUNT.to_string();
    let (status, body) = post(&app, &key, vec![item("t-4", "top_up", &ceiling, "op-1", "m-1"), item("t-5", "top_up", &ceiling, "op-1", "m-1")]).await;
    assert_eq!(status, 200, "the ceiling itself is allowed: {body}");
    let (status, body) = post(&app, &key, vec![item("p-1", "payment", "1", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "an ordinary payment still posts: {body}");
    assert_eq!((balance(&app, "m-1").await, balance(&app, "op-1").await), (2 * MAX_AMOUNT - 1, -2 * MAX_AMOUNT));
    assert_balances_are_integers(&app).await;
    assert_ledger_consistent(&app).await;
}

async fn balances_never_leave_i64(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let ceiling = MAX_AMOUNT.to_string();
    let batch = |round: usize| (0..1_000).map(|i| item(&format!("t-{round}-{i}"), "top_up", &ceiling, "op-1", "m-1")).collect::<Vec<_>>();
    let full_batches = (i64::MAX / MAX_AMOUNT) as usize / 1_000;
    for round in 0..full_batches {
        let (status, body) = post(&app, &key, batch(round)).await;
        assert_eq!(status, 200, "{body}");
    }
    // The next batch carries m-1 past i64::MAX at the first item that does not fit.
    let (status, body) = post(&app, &key, batch(full_batches)).await;
    assert_eq!(status, 422, "{body}");
    let first_over = ((i64::MAX / MAX_AMOUNT) as usize) % 1_000;
    assert_eq!(item_errors(&body)[0], (first_over as i64, "amount".to_string()), "{}", body["error"]["errors"][0]);
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("balance"), "{body}");

    let (status, body) = post(&app, &key, vec![item("p-1", "payment", "1", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "the ledger keeps working: {body}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM transactions").await, full_batches as i64 * 1_000 + 1);
    assert_balances_are_integers(&app).await;
    assert_ledger_consistent(&app).await;
}

async fn payments_that_round_to_no_fiat_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    set_peg(&app, "0.001").await;
    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "1000", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "a top-up is not mirrored, so it needs no fiat amount: {body}");
    let (status, body) = post(&app, &key, vec![item("p-1", "payment", "499", "m-1", "shop-1")]).await;
    assert_eq!((status, item_errors(&body)), (422, vec![(0, "amount".to_string())]), "{body}");
    assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("0 JPY"), "{body}");
    let (status, body) = post(&app, &key, vec![item("p-2", "payment", "500", "m-1", "shop-1")]).await;
    assert_eq!(status, 200, "half a yen rounds away from zero to ¥1: {body}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outbox").await, 1);
    assert_ledger_consistent(&app).await;
}

async fn concurrent_batches_never_overdraw_a_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    let (status, body) = post(&app, &key, vec![item("t-1", "top_up", "100", "op-1", "m-1")]).await;
    assert_eq!(status, 200, "{body}");
    // 24 batches race to spend 10 each from a balance of 100; each also credits Ben, so batches
    // lock more than one account.
    let batches =
        (0..24).map(|i| {
            let (app, key) = (&app, &key);
            async move {
                post(app, key, vec![item(&format!("tb-{i}"), "top_up", "1", "op-1", "m-2"), item(&format!("p-{i}"), "payment", "10", "m-1", "shop-1")]).await
            }
        });
    let answers = futures_util::future::join_all(batches).await;
    let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(accepted, 10, "exactly the batches the balance covers: {answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, item_errors(body)), (422, vec![(1, "amount".to_string())]), "{body}");
        assert!(body["error"]["errors"][0]["message"].as_str().unwrap_or("").contains("holds 0 and cannot pay 10"), "{body}");
    }
    assert_eq!((balance(&app, "m-1").await, balance(&app, "shop-1").await, balance(&app, "m-2").await), (0, 100, 10));
    assert_ledger_consistent(&app).await;
}
