//! CSV import over HTTP: upload, the check of every row, and the all-or-nothing commit.

use crate::both_databases;
use crate::ledger::{item, ledger_fixture, post};
use crate::support::{Backend, TestApp, spawn_app};
use serde_json::Value;
use std::time::Duration;

both_databases!(
    a_checked_file_is_committed_whole,
    a_file_with_bad_rows_records_nothing,
    a_dry_run_leaves_the_writer_to_others,
    an_import_interrupted_by_a_restart_fails_and_can_be_retried
);

async fn upload(app: &TestApp, client: &reqwest::Client, csv: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::text(csv.to_string()).file_name("export.csv").mime_str("text/csv").expect("mime");
    client.post(app.url("/imports")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.expect("upload")
}

/// Waits until the import is no longer running and returns its status. The deadline only
/// stops a hung import: a debug build checking 150,000 rows beside a release build on two slow
/// cores took over 10 seconds.
async fn settled(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while std::time::Instant::now() < deadline {
        let status: Value = app.call(client, "import_status", &[("id", id)]).await.json().await.expect("status");
        if !matches!(status["status"].as_str(), Some("checking" | "committing")) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the import never finished");
}

fn import_id(response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().expect("location");
    location.strip_prefix("/imports/").unwrap_or_else(|| panic!("redirected to {location}")).to_string()
}

async fn count(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM transactions").fetch_one(&app.sql).await.expect("count").get(0)
}

async fn a_checked_file_is_committed_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    app.add_user("vic@example.org", "viewer").await;
    let admin = app.signed_in("ann@example.org").await;
    let mut csv = String::from("external_ref,kind,currency,amount,from,to,description,refund_of\n");
    csv.push_str("t-1,top_up,SRB,100000,op-1,m-1,Top-up,\n");
    for i in 0..2_500 {
        csv.push_str(&format!("p-{i},payment,SRB,10,m-1,shop-1,\"Lunch, with a comma\",\n"));
    }
    csv.push_str("r-1,refund,SRB,5,,,Returned,p-7\n");

    let viewer = app.signed_in("vic@example.org").await;
    let refused = upload(&app, &viewer, &csv).await;
    assert_eq!(refused.headers()["location"].to_str().unwrap_or(""), "/import?error=Your+role+does+not+allow+this.");

    let uploaded = upload(&app, &admin, &csv).await;
    assert_eq!(uploaded.status(), 303);
    let id = import_id(&uploaded);
    let checked = settled(&app, &admin, &id).await;
    assert_eq!(checked["status"], "checked", "{checked}");
    assert_eq!((checked["rows"].as_i64(), checked["valid"].as_i64(), checked["error_count"].as_i64()), (Some(2_502), Some(2_502), Some(0)));
    assert_eq!(count(&app).await, 0, "checking writes nothing");

    assert_eq!(app.call(&admin, "commit_import", &[("id", &id)]).await.status(), 422, "the commit must be confirmed");
    assert_eq!(app.call(&viewer, "commit_import", &[("id", &id), ("confirm", "yes")]).await.status(), 403);
    assert_eq!(app.call(&admin, "commit_import", &[("id", &id), ("confirm", "yes")]).await.status(), 200);
    let committed = settled(&app, &admin, &id).await;
    assert_eq!(committed["status"], "committed", "{committed}");
    assert_eq!(count(&app).await, 2_502);
    let again = app.call(&admin, "commit_import", &[("id", &id), ("confirm", "yes")]).await;
    assert_eq!(again.status(), 409, "committed once only");
    let refused: serde_json::Value = again.json().await.expect("error");
    assert_eq!(
        refused["message"],
        serde_json::json!({ "en": "This import is committed and cannot be committed.", "ja": "このインポートは状態が「確定済み」のため確定できません。" }),
        "the state is named in each language"
    );
    assert!(app.audit_actions().await.iter().any(|(a, _)| a == "import.commit"));
    crate::ledger::assert_ledger_consistent(&app).await;
}

async fn a_file_with_bad_rows_records_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    let csv = "external_ref,kind,currency,amount,from,to\nt-1,top_up,SRB,100,op-1,m-1\np-1,payment,SRB,500,m-1,shop-1\np-2,payment,SRB,1.5,m-1,shop-1\np-3,payment,SRB,50,m-1,shop-1\n";
    let id = import_id(&upload(&app, &admin, csv).await);
    let checked = settled(&app, &admin, &id).await;
    assert_eq!(checked["status"], "checked");
    let errors: Vec<(i64, String)> =
        checked["errors"].as_array().expect("errors").iter().map(|e| (e["row"].as_i64().unwrap_or(0), e["field"].as_str().unwrap_or("").to_string())).collect();
    assert_eq!(errors, vec![(2, "amount".to_string()), (3, "amount".to_string())], "overdraft and decimals: {checked}");
    let messages: Vec<&serde_json::Value> = checked["errors"].as_array().expect("errors").iter().map(|e| &e["message"]).collect();
    assert_eq!(
        messages,
        [
            &serde_json::json!({ "en": "account 'm-1' holds 100 and cannot pay 500", "ja": "口座「m-1」の残高は100のため、500は支払えません" }),
            &serde_json::json!({ "en": "use at most 0 decimal place(s) for this currency", "ja": "この通貨では小数を使えません" }),
        ],
        "each row's refusal in both languages"
    );
    assert_eq!(app.call(&admin, "commit_import", &[("id", &id), ("confirm", "yes")]).await.status(), 409);
    assert_eq!(count(&app).await, 0);

    let bad_header = upload(&app, &admin, "external_ref,kind,currency,amount,colour\nx,payment,SRB,1,red\n").await;
    let location = bad_header.headers()["location"].to_str().unwrap_or("").to_string();
    assert!(location.starts_with("/import?error=file%3A+unknown+column"), "{location}");
}

async fn status(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    app.call(client, "import_status", &[("id", id)]).await.json().await.expect("status")
}

async fn a_dry_run_leaves_the_writer_to_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    app.add_user("ben@example.org", "support").await;
    let admin = app.signed_in("ann@example.org").await;
    let rows = 150_000;
    let mut csv = String::from("external_ref,kind,currency,amount,from,to\nt-1,top_up,SRB,10000000,op-1,m-1\n");
    for i in 0..rows {
        csv.push_str(&format!("p-{i},payment,SRB,10,m-1,shop-1\n"));
    }
    let id = import_id(&upload(&app, &admin, &csv).await);
    // Once the check is under way (a chunk done), the API and a sign-in get through while it runs.
    loop {
        let now = status(&app, &admin, &id).await;
        assert_eq!(now["status"], "checking", "the check ended before the test could race it: {now}");
        if now["progress"][0].as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ben = crate::support::browser(&app.base);
    let (posted, signed_in) =
        tokio::join!(post(&app, &key, vec![item("api-1", "top_up", "1", "op-1", "m-2")]), app.login(&ben, "ben@example.org", crate::support::PASSWORD));
    assert_eq!(posted.0, 200, "{}", posted.1);
    assert_eq!(signed_in.status(), 200);
    let during = status(&app, &admin, &id).await;
    assert_eq!(during["status"], "checking", "the API batch and the sign-in did not wait for the whole file: {}", during["progress"]);

    let checked = settled(&app, &admin, &id).await;
    assert_eq!(
        (checked["status"].as_str(), checked["valid"].as_i64(), checked["error_count"].as_i64()),
        (Some("checked"), Some(rows + 1), Some(0)),
        "{checked}"
    );
    assert_eq!(count(&app).await, 1, "checking writes nothing");
}

async fn an_import_interrupted_by_a_restart_fails_and_can_be_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    ledger_fixture(&app).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    let csv = "external_ref,kind,currency,amount,from,to\nt-1,top_up,SRB,100,op-1,m-1\np-1,payment,SRB,60,m-1,shop-1\n";
    let committing = import_id(&upload(&app, &admin, csv).await);
    let checking = import_id(&upload(&app, &admin, csv).await);
    for id in [&committing, &checking] {
        assert_eq!(settled(&app, &admin, id).await["status"], "checked");
    }
    // What a crash leaves behind: the state written, the work gone with the process.
    for (id, state) in [(&committing, "committing"), (&checking, "checking")] {
        sqlx::query("UPDATE imports SET status = $2 WHERE id = $1").bind(id).bind(state).execute(&app.sql).await.expect("update");
    }

    let recovered = regio::server::ledger::import::fail_interrupted(&app.db).await.expect("recovery");
    assert_eq!(recovered, 2);
    for id in [&committing, &checking] {
        let failed = status(&app, &admin, id).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(failed["errors"][0]["message"]["en"].as_str().unwrap_or("").contains("restarted"), "{failed}");
    }
    assert_eq!(app.audit_actions().await.iter().filter(|(a, _)| a == "import.interrupted").count(), 2);

    assert_eq!(app.call(&admin, "commit_import", &[("id", &committing), ("confirm", "yes")]).await.status(), 200, "a failed import can be retried");
    assert_eq!(settled(&app, &admin, &committing).await["status"], "committed");
    assert_eq!(count(&app).await, 2);
    // The other holds the same rows: its retry finds them recorded and records nothing twice.
    assert_eq!(app.call(&admin, "commit_import", &[("id", &checking), ("confirm", "yes")]).await.status(), 200);
    assert_eq!(settled(&app, &admin, &checking).await["status"], "committed");
    assert_eq!(count(&app).await, 2, "nothing recorded twice");
    crate::ledger::assert_ledger_consistent(&app).await;
}
