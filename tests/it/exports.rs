//! The CSV files of the accounts list, the audit log, the users and Stripe's events: every row
//! the list's filters choose, across the stream's chunks, for the roles that see the list.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::support::{Backend, TestApp, spawn_app};
use crate::transactions::split_csv;
use regio::server::db::audit::Actor;
use regio::server::ledger::accounts;

both_databases!(
    accounts_export_each_balance_across_chunks,
    the_audit_log_and_users_export_for_admins_only,
    stripe_events_export_with_their_filters,
    every_list_answers_the_browser_with_no_filters,
);

/// 4 accounts of the fixture and 620 more: more than one chunk of 500.
const BULK: usize = 620;

async fn bulk_accounts(app: &TestApp) {
    let many = (0..BULK).map(|n| accounts::NewAccount::parse("member", &format!("Member {n:04}"), &format!("bulk-{n:04}")).expect("account")).collect();
    accounts::open_many(&app.db, &Actor::cli(), many).await.expect("accounts");
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.expect("export");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines().skip(1).map(split_csv).collect()
}

async fn accounts_export_each_balance_across_chunks(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    bulk_accounts(&app).await;
    assert_eq!(post(&app, &key, vec![item("t-1", "top_up", "1250", "op-1", "m-1")]).await.0, 200);
    app.add_user("vic@example.org", "viewer").await;
    let viewer = app.signed_in("vic@example.org").await;

    let (status, csv) = get(&viewer, &app, "/accounts/export").await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(csv.lines().next(), Some("account_id,external_ref,display_name,kind,status,stripe_customer,currency,balance"));
    let all = rows(&csv);
    let mut ids: Vec<&str> = all.iter().map(|r| r[0].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), BULK + 4, "every account once (one currency each at most)");
    let names: Vec<&str> = all.iter().map(|r| r[2].as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "in the list's order, by name");
    let aiko = all.iter().find(|r| r[1] == "m-1").expect("m-1");
    assert_eq!((aiko[6].as_str(), aiko[7].as_str()), ("SRB", "1250"));
    let bulk = all.iter().find(|r| r[1] == "bulk-0007").expect("bulk-0007");
    assert_eq!((bulk[3].as_str(), bulk[4].as_str(), bulk[6].as_str()), ("member", "active", ""), "no balance: currency left empty");

    let (_, merchants) = get(&viewer, &app, "/accounts/export?kind=merchant").await;
    assert_eq!(rows(&merchants).iter().map(|r| r[1].as_str()).collect::<Vec<_>>(), ["shop-1"]);
    let (_, found) = get(&viewer, &app, "/accounts/export?search=member%2006").await;
    assert_eq!(rows(&found).len(), 20, "{found}");
    let (status, refused) = get(&viewer, &app, "/accounts/export?status=sleeping").await;
    assert_eq!(status, 422);
    assert!(refused.contains("status"), "{refused}");
    let anonymous = crate::support::browser(&app.base);
    assert_eq!(get(&anonymous, &app, "/accounts/export").await.0, 303);
}

async fn the_audit_log_and_users_export_for_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    bulk_accounts(&app).await;
    app.add_user("ada@example.org", "admin").await;
    app.add_user("sam@example.org", "support").await;
    let admin = app.signed_in("ada@example.org").await;

    let (status, csv) = get(&admin, &app, "/audit/export?action=account.").await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(csv.lines().next(), Some("event_id,at,actor,action,target,before,after,ip"));
    let opened = rows(&csv);
    assert_eq!(opened.len(), BULK + 4, "every account.open across the chunks");
    assert!(opened.iter().all(|r| r[3] == "account.open"));
    assert!(opened.windows(2).all(|w| w[0][0] > w[1][0]), "newest first, each once");
    assert!(opened.iter().any(|r| r[4] == "account:bulk-0619" && r[6].contains("Member 0619")), "the after snapshot is kept");
    let (_, none) = get(&admin, &app, "/audit/export?from=2001-01-01&to=2001-01-31").await;
    assert_eq!(rows(&none).len(), 0);
    let (status, refused) = get(&admin, &app, "/audit/export?from=yesterday").await;
    assert_eq!(status, 422);
    assert!(refused.contains("from"), "{refused}");

    let (status, users) = get(&admin, &app, "/users/export").await;
    assert_eq!(status, 200, "{users}");
    assert!(!users.contains("argon2"), "no password hashes");
    let emails: Vec<String> = rows(&users).into_iter().map(|r| format!("{} {}", r[1], r[3])).collect();
    assert!(emails.contains(&"sam@example.org support".to_string()), "{emails:?}");

    let support = app.signed_in("sam@example.org").await;
    for path in ["/audit/export", "/users/export", "/billing/export/events"] {
        assert_eq!(get(&support, &app, path).await.0, 403, "{path} is for admins");
    }
}

async fn stripe_events_export_with_their_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..510i64 {
        let (kind, object) = if n % 2 == 0 { ("invoice.paid", format!("in_{n}")) } else { ("customer.subscription.updated", format!("sub_{n}")) };
        sqlx::query(
            "INSERT INTO stripe_events (id, kind, object_id, created, received_at, via, state, attempts) VALUES ($1, $2, $3, $4, $5, 'webhook', 'processed', 1)",
        )
        .bind(format!("evt_{n:04}"))
        .bind(kind)
        .bind(object)
        .bind(1_790_000_000 + n)
        .bind(1_790_000_000_000 + n * 1000)
        .execute(&app.sql)
        .await
        .expect("event");
    }
    app.add_user("ada@example.org", "admin").await;
    let admin = app.signed_in("ada@example.org").await;
    let (status, csv) = get(&admin, &app, "/billing/export/events").await;
    assert_eq!(status, 200, "{csv}");
    let all = rows(&csv);
    assert_eq!(all.len(), 510);
    assert_eq!((all[0][0].as_str(), all[509][0].as_str()), ("evt_0509", "evt_0000"), "newest first");
    let (_, paid) = get(&admin, &app, "/billing/export/events?kind=invoice.paid").await;
    assert_eq!(rows(&paid).len(), 255);
    let (status, refused) = get(&admin, &app, "/billing/export/events?state=lost").await;
    assert_eq!(status, 422);
    assert!(refused.contains("state"), "{refused}");
}

/// The browser sends a list's empty filter as no field at all (a form of nothing): each list
/// must take that as "no filters", not refuse it (the refunds list once answered 500 after an
/// approval refetched it).
async fn every_list_answers_the_browser_with_no_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("ada@example.org", "admin").await;
    let admin = app.signed_in("ada@example.org").await;
    let lists =
        ["list_refunds", "list_cases", "list_invoices", "list_events", "list_subscriptions", "list_transactions", "list_accounts", "list_audit", "list_users"];
    for endpoint in lists {
        let response = app.call(&admin, endpoint, &[]).await;
        let status = response.status().as_u16();
        assert_eq!(status, 200, "{endpoint}: {}", response.text().await.unwrap_or_default());
    }
}
