//! The dashboard's figures and charts, read through its server function and its page.

use crate::both_databases;
use crate::ledger::{ledger_fixture, post};
use crate::support::{Backend, PASSWORD, TestApp, browser_speaking, spawn_app};
use regio::server::db::{DAY_MS, format_ms, now_ms};
use serde_json::{Value, json};
use sqlx::Row;

both_databases!(
    the_dashboard_counts_each_day_where_it_belongs,
    pages_speak_the_browsers_language_until_the_user_chooses,
    saving_preferences_waits_for_an_admins_change_and_keeps_it
);

fn date(day: i64) -> String {
    format_ms(day * DAY_MS)[..10].to_string()
}

async fn exec(app: &TestApp, sql: &str, binds: &[i64]) {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(&app.sql).await.expect(sql);
}

/// Payments today, 3, 20, 45 and 70 days ago land in the right windows and bars (70 days is off
/// the chart); deliveries and cases changed behind the ledger's back show as the mirror's share,
/// backlog and lag, and as cases live at each day's end.
async fn the_dashboard_counts_each_day_where_it_belongs(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("vic@example.org", "viewer").await;
    let today = now_ms() / DAY_MS;
    let at = |days_ago: i64, hour: i64| format_ms((today - days_ago) * DAY_MS + hour * 3_600_000);
    let pay = |reference: &str, amount: &str, when: String| json!({ "external_ref": reference, "kind": "payment", "currency": "SRB", "amount": amount, "from": "m-1", "to": "shop-1", "occurred_at": when });
    let top_up =
        json!({ "external_ref": "t-0", "kind": "top_up", "currency": "SRB", "amount": "10000", "from": "op-1", "to": "m-1", "occurred_at": at(80, 0) });
    let items = vec![
        top_up,
        pay("p-0a", "300", at(0, 0)),
        pay("p-0b", "200", at(0, 0)),
        pay("p-3", "50", at(3, 12)),
        pay("p-20", "7", at(20, 12)),
        pay("p-45", "11", at(45, 12)),
        pay("p-70", "13", at(70, 12)),
    ];
    let (status, body) = post(&app, &key, items).await;
    assert_eq!(status, 200, "{body}");

    // p-3 was delivered 90 s after it was queued two days ago; p-20's delivery failed; p-70's
    // has waited three hours.
    let delivery = |reference: &str| format!("(SELECT t.id FROM transactions t WHERE t.external_ref = '{reference}')");
    let queued = (today - 2) * DAY_MS + 3_600_000;
    exec(
        &app,
        &format!("UPDATE outbox SET state = 'delivered', created_at = $1, updated_at = $2 WHERE transaction_id = {}", delivery("p-3")),
        &[queued, queued + 90_000],
    )
    .await;
    exec(&app, &format!("UPDATE outbox SET state = 'failed' WHERE transaction_id = {}", delivery("p-20")), &[]).await;
    exec(&app, &format!("UPDATE outbox SET created_at = $1 WHERE transaction_id = {}", delivery("p-70")), &[now_ms() - 3 * 3_600_000 - 60_000]).await;

    // Cases: one ignored since before the chart began, one closed before it began, one open and
    // closed inside it, one still open.
    let case = "INSERT INTO recon_cases (id, class, subject, currency, amount, summary, state, first_seen, last_seen, closed_at, updated_at) \
                VALUES ($1, 'missing_in_stripe', $1, 'SRB', 1, 's', $2, $3, $3, $4, $3)";
    for (id, state, opened, closed) in
        [("c-ignored", "ignored", 70, None), ("c-gone", "closed", 70, Some(65)), ("c-fixed", "closed", 40, Some(5)), ("c-open", "open", 10, None)]
    {
        let day = |d: i64| (today - d) * DAY_MS + 3_600_000;
        let query = sqlx::query(case).bind(id).bind(state).bind(day(opened)).bind(closed.map(day));
        query.execute(&app.sql).await.expect("case");
    }

    let anonymous = crate::support::browser(&app.base);
    assert_eq!(app.call(&anonymous, "dashboard", &[]).await.status().as_u16(), 401);
    let viewer = app.signed_in("vic@example.org").await;
    let response = app.call(&viewer, "dashboard", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let d: Value = response.json().await.expect("dashboard");

    let windows: Vec<(i64, String, i64, String, String)> = d["volume"][0]["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .map(|w| {
            (
                w["days"].as_i64().unwrap_or(0),
                w["from"].as_str().unwrap_or("").into(),
                w["count"].as_i64().unwrap_or(0),
                w["local"].as_str().unwrap_or("").into(),
                w["fiat"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        windows,
        [
            (1, date(today), 2, "500 SRB".into(), "¥500".into()),
            (7, date(today - 6), 3, "550 SRB".into(), "¥550".into()),
            (30, date(today - 29), 4, "557 SRB".into(), "¥557".into()),
        ]
    );
    let mirror = &d["mirror"];
    assert_eq!((mirror["delivered"].as_i64(), mirror["pending"].as_i64(), mirror["failed"].as_i64()), (Some(1), Some(2), Some(1)), "{mirror}");
    assert_eq!(mirror["delivered_share"], "25.0 %");
    assert_eq!((mirror["pending_now"].as_i64(), mirror["failed_now"].as_i64()), (Some(4), Some(1)));
    assert_eq!(mirror["oldest_pending"], "3 h");
    assert_eq!(d["open_cases"], 1);
    assert_eq!((d["refunds_awaiting"].as_i64(), d["invoices_awaiting"].as_i64()), (Some(0), Some(0)));
    assert!(d["last_run"].is_null());

    let chart = |i: usize| d["charts"][i]["svg"].as_str().unwrap_or("").to_string();
    let (payments, cases, lag) = (chart(0), chart(1), chart(2));
    assert_eq!(d["charts"][0]["title"], "Payments per day in SRB, last 60 days");
    for bar in [format!("{}: 500", date(today)), format!("{}: 50", date(today - 3)), format!("{}: 11", date(today - 45)), format!("{}: 0", date(today - 59))] {
        assert!(payments.contains(&format!("<title>{bar}</title>")), "{bar} in {payments}");
    }
    assert!(!payments.contains(&date(today - 70)), "a day off the chart was drawn");
    for point in [(59, 1), (41, 1), (40, 2), (11, 2), (10, 3), (6, 3), (5, 2), (0, 2)] {
        let title = format!("<title>{}: {}</title>", date(today - point.0), point.1);
        assert!(cases.contains(&title), "{title} in {cases}");
    }
    assert!(lag.contains(&format!("<title>{}: 1 min</title>", date(today - 2))), "{lag}");
    assert!(lag.contains(&format!("<title>{}: 0 s</title>", date(today))), "{lag}");

    let (status, html) = app.page(&viewer, "/").await;
    assert_eq!(status, 200);
    for expected in ["Mirrored to Stripe", "25.0 %", "<svg class=\"chart-svg\"", "Mirror lag", &format!("currency=SRB&amp;from={}", date(today - 6))] {
        assert!(html.contains(expected), "{expected} missing from the page");
    }
}

/// Japanese for a browser that asks for it first, from the sign-in page on; a user's own choice
/// of language and time zone then wins over the browser, in every later session, is audited,
/// and shows the ledger's times in that zone.
async fn pages_speak_the_browsers_language_until_the_user_chooses(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = ledger_fixture(&app).await;
    app.add_user("aki@example.org", "support").await;
    let top_up = json!({ "external_ref": "t-1", "kind": "top_up", "currency": "SRB", "amount": "100", "from": "op-1", "to": "m-1", "occurred_at": "2026-11-01T00:10:00Z" });
    assert_eq!(post(&app, &key, vec![top_up]).await.0, 200);
    let browser = browser_speaking(&app.base, Some("ja-JP,ja;q=0.9,en;q=0.8"));
    let (status, login) = app.page(&browser, "/login").await;
    assert_eq!(status, 200);
    assert!(login.contains("<html lang=\"ja\" data-utc-offset=\"540\"") && login.contains("メールアドレス"), "{login}");

    assert_eq!(app.login(&browser, "aki@example.org", PASSWORD).await.status(), 200);
    let (_, page) = app.page(&browser, "/").await;
    assert!(page.contains("<h1>ダッシュボード</h1>") && page.contains("Stripe への反映率") && page.contains("サポート"), "{page}");
    let japanese: Value = app.call(&browser, "dashboard", &[]).await.json().await.expect("dashboard");
    assert_eq!(japanese["charts"][0]["title"], "各日の終わりに未クローズだった照合ケース");
    assert!(japanese["as_of"].as_str().is_some_and(|at| at.contains('年') && at.contains('日')), "{japanese}");
    let (_, list) = app.page(&browser, "/transactions").await;
    assert!(list.contains(">2026年11月1日 09:10</time>"), "Japan's time: {list}");

    // The choice is a plain form: the answer sends the browser back where it was.
    let choice = [("locale", "en"), ("utc_offset", "-210")];
    let switched =
        browser.post(app.url("/rpc/set_preferences")).header("referer", app.url("/")).header("accept", "text/html").form(&choice).send().await.expect("switch");
    assert!(switched.status().is_redirection(), "{}", switched.status());
    let back = switched.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    assert!(back == app.url("/") || back == app.url("/?"), "sent to {back}");

    let later = browser_speaking(&app.base, Some("ja"));
    assert_eq!(app.login(&later, "aki@example.org", PASSWORD).await.status(), 200);
    let (_, page) = app.page(&later, "/").await;
    assert!(
        page.contains("<html lang=\"en\" data-utc-offset=\"-210\"") && page.contains("<h1>Dashboard</h1>") && page.contains("English · UTC-03:30"),
        "{page}"
    );
    let (_, list) = app.page(&later, "/transactions").await;
    assert!(list.contains(">31 Oct 2026, 20:40</time>"), "three and a half hours behind UTC: {list}");
    assert!(app.audit_actions().await.contains(&("user.set_preferences".to_string(), "user:aki@example.org".to_string())));

    for (locale, offset, field) in [("fr", "540", "locale"), ("ja", "17", "utc_offset"), ("ja", "", "utc_offset")] {
        let refused = app.call(&later, "set_preferences", &[("locale", locale), ("utc_offset", offset)]).await;
        assert_eq!(refused.status().as_u16(), 422);
        assert!(refused.text().await.unwrap_or_default().contains(field), "{field}");
    }
    let anonymous = crate::support::browser(&app.base);
    assert_eq!(app.call(&anonymous, "set_preferences", &[("locale", "ja"), ("utc_offset", "540")]).await.status().as_u16(), 401);
}

/// A user's save writes their whole row back: it waits for an admin's change under way and
/// keeps it (it once read the row unlocked and could write the old role back over the new).
async fn saving_preferences_waits_for_an_admins_change_and_keeps_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let aki = app.add_user("aki@example.org", "support").await;
    let browser = app.signed_in("aki@example.org").await;
    let mut admin = app.db.begin_write().await.expect("an admin's change");
    sqlx::query("UPDATE users SET role = 'viewer' WHERE id = $1").bind(&aki).execute(&mut *admin.tx).await.expect("demote");
    let url = app.url("/rpc/set_preferences");
    let saving = tokio::spawn(async move { browser.post(url).form(&[("locale", "ja"), ("utc_offset", "540")]).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!saving.is_finished(), "the save went ahead of the admin's change");
    admin.commit().await.expect("commit");
    assert_eq!(saving.await.expect("task").expect("request"), 200);
    let row = sqlx::query("SELECT role, locale FROM users WHERE id = $1").bind(&aki).fetch_one(&app.sql).await.expect("user");
    assert_eq!((row.get::<String, _>("role"), row.get::<Option<String>, _>("locale")), ("viewer".to_string(), Some("ja".to_string())));
}
