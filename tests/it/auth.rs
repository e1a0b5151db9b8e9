//! People and access, over HTTP against the real server.

use crate::both_databases;
use crate::support::{Backend, PASSWORD, browser, spawn_app};
use serde_json::Value;

both_databases!(
    login_sets_a_session_and_cycles_its_id,
    wrong_password_is_refused_and_audited,
    five_failures_lock_the_email,
    anonymous_and_underprivileged_callers_are_refused,
    cross_site_posts_are_refused,
    user_changes_are_audited_with_before_and_after,
    the_last_active_admin_cannot_be_demoted_or_disabled,
    disabling_a_user_ends_their_session,
    health_and_metrics_answer,
);

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("regio_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
}

async fn login_sets_a_session_and_cycles_its_id(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let client = browser(&app.base);

    let first = app.login(&client, "Ann@Example.org", PASSWORD).await;
    assert_eq!(first.status(), 200);
    let cookie = session_cookie(&first).expect("a session cookie");
    let header = first.headers().get_all(reqwest::header::SET_COOKIE).iter().map(|v| v.to_str().unwrap_or("")).collect::<Vec<_>>().join(" ");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax"), "cookie flags: {header}");
    assert!(!header.contains("Secure"), "plain-http public URL must not set Secure: {header}");

    let page = client.get(app.url("/users")).send().await.expect("page");
    assert_eq!(page.status(), 200);

    // Signing in again under the same session gives it a new id; the old one is worthless.
    let second = app.login(&client, "ann@example.org", PASSWORD).await;
    let cycled = session_cookie(&second).expect("a new session cookie");
    assert_ne!(cookie, cycled);
    let stale = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let with_old = stale.get(app.url("/users")).header("cookie", cookie).send().await.expect("page");
    assert_eq!(with_old.status(), 303, "the pre-cycle session id must not sign anyone in");

    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|(a, _)| a == "auth.login").count(), 2);
}

async fn wrong_password_is_refused_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let client = browser(&app.base);

    let response = app.login(&client, "ann@example.org", "not the password").await;
    assert_eq!(response.status(), 401);
    assert!(session_cookie(&response).is_none());
    let body: Value = response.json().await.expect("json error");
    assert_eq!(body["kind"], "invalid_credentials");

    let unknown = app.login(&client, "nobody@example.org", PASSWORD).await;
    assert_eq!(unknown.status(), 401, "an unknown email looks the same as a wrong password");

    let bad_email = app.login(&client, "not-an-email", PASSWORD).await;
    assert_eq!(bad_email.status(), 422);
    let body: Value = bad_email.json().await.expect("json error");
    assert_eq!(body["field"], "email");

    let actions = app.audit_actions().await;
    assert!(actions.contains(&("auth.login_failed".into(), "user:ann@example.org".into())), "{actions:?}");
    assert!(actions.contains(&("auth.login_failed".into(), "user:nobody@example.org".into())), "{actions:?}");
}

async fn five_failures_lock_the_email(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let client = browser(&app.base);
    for attempt in 1..=5 {
        let r = app.login(&client, "ann@example.org", "wrong password!").await;
        assert_eq!(r.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused while the lock lasts.
    let locked = app.login(&client, "ann@example.org", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let body: Value = locked.json().await.expect("json error");
    assert!(body["message"].as_str().unwrap_or("").contains("Try again in 15 minute"), "{body}");
    assert!(app.audit_actions().await.iter().any(|(a, _)| a == "auth.login_throttled"));
}

async fn anonymous_and_underprivileged_callers_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    app.add_user("vic@example.org", "viewer").await;

    let anonymous = browser(&app.base);
    let page = anonymous.get(app.url("/audit?from=2026-01-01")).send().await.expect("page");
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login?next=%2Faudit%3Ffrom%3D2026-01-01");
    assert_eq!(anonymous.get(app.url("/login")).send().await.expect("login page").status(), 200);
    assert_eq!(app.call(&anonymous, "list_users", &[]).await.status(), 401);

    let viewer = app.signed_in("vic@example.org").await;
    assert_eq!(app.call(&viewer, "list_users", &[]).await.status(), 403);
    let create = app.call(&viewer, "create_user", &[("email", "x@example.org"), ("name", "X"), ("role", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(create.status(), 403);
    assert_eq!(app.call(&viewer, "list_audit", &[]).await.status(), 403);

    let admin = app.signed_in("ann@example.org").await;
    let users = app.call(&admin, "list_users", &[]).await;
    assert_eq!(users.status(), 200);
    let users: Value = users.json().await.expect("users");
    assert_eq!(users.as_array().map(Vec::len), Some(2));
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;
    let form = [("email", "eve@example.org"), ("name", "Eve"), ("role", "admin"), ("password", PASSWORD)];

    let evil = admin.post(app.url("/rpc/create_user")).header("origin", "https://evil.example").form(&form).send().await.expect("post");
    assert_eq!(evil.status(), 403);

    let bare = reqwest::Client::new();
    let no_origin = bare.post(app.url("/rpc/login")).form(&[("email", "ann@example.org"), ("password", PASSWORD)]).send().await.expect("post");
    assert_eq!(no_origin.status(), 403, "a state-changing request must say where it came from");

    let by_referer = bare
        .post(app.url("/rpc/login"))
        .header("referer", app.url("/login?next=/"))
        .form(&[("email", "ann@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(by_referer.status(), 200, "a same-origin Referer is accepted when Origin is absent");

    assert!(!app.audit_actions().await.contains(&("user.create".into(), "user:eve@example.org".into())), "eve was not created");
}

async fn user_changes_are_audited_with_before_and_after(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;

    let short = app.call(&admin, "create_user", &[("email", "bob@example.org"), ("name", "Bob"), ("role", "support"), ("password", "short")]).await;
    assert_eq!(short.status(), 422);
    let body: Value = short.json().await.expect("json");
    assert_eq!(body["field"], "password");

    let created = app.call(&admin, "create_user", &[("email", "bob@example.org"), ("name", "Bob"), ("role", "support"), ("password", PASSWORD)]).await;
    assert_eq!(created.status(), 200);
    let bob: Value = created.json().await.expect("user");
    let bob_id = bob["id"].as_str().expect("id").to_string();

    let dup = app.call(&admin, "create_user", &[("email", "BOB@example.org"), ("name", "Bob"), ("role", "support"), ("password", PASSWORD)]).await;
    assert_eq!(dup.status(), 422);

    assert_eq!(app.call(&admin, "set_user_role", &[("id", &bob_id), ("role", "viewer")]).await.status(), 200);
    assert_eq!(app.call(&admin, "set_user_role", &[("id", &bob_id), ("role", "owner")]).await.status(), 422);

    let page = app.call(&admin, "list_audit", &[("action", "user.set_role")]).await;
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.expect("audit page");
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["actor"], "ann@example.org");
    assert_eq!(event["target"], "user:bob@example.org");
    assert_eq!(event["ip"], "127.0.0.1");
    let before: Value = serde_json::from_str(event["before"].as_str().expect("before")).expect("before json");
    let after: Value = serde_json::from_str(event["after"].as_str().expect("after")).expect("after json");
    assert_eq!((before["role"].as_str(), after["role"].as_str()), (Some("support"), Some("viewer")));

    let created_page: Value = app.call(&admin, "list_audit", &[("action", "user.create"), ("actor", "ANN@example.org")]).await.json().await.expect("page");
    assert_eq!(created_page["events"].as_array().map(Vec::len), Some(1));
    let bad_date = app.call(&admin, "list_audit", &[("from", "26/11/2026")]).await;
    assert_eq!(bad_date.status(), 422);
}

async fn the_last_active_admin_cannot_be_demoted_or_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.add_user("ann@example.org", "admin").await;
    let admin = app.signed_in("ann@example.org").await;

    let demote = app.call(&admin, "set_user_role", &[("id", &ann), ("role", "viewer")]).await;
    assert_eq!(demote.status(), 409);
    let disable = app.call(&admin, "set_user_disabled", &[("id", &ann), ("disabled", "true")]).await;
    assert_eq!(disable.status(), 409);

    let bea = app.add_user("bea@example.org", "admin").await;
    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &bea), ("disabled", "true")]).await.status(), 200);
    assert_eq!(app.call(&admin, "set_user_role", &[("id", &ann), ("role", "viewer")]).await.status(), 409, "a disabled admin does not count");
    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &bea), ("disabled", "false")]).await.status(), 200);
    assert_eq!(app.call(&admin, "set_user_role", &[("id", &ann), ("role", "viewer")]).await.status(), 200);
    assert_eq!(app.call(&admin, "list_users", &[]).await.status(), 403, "ann is a viewer now");
}

async fn disabling_a_user_ends_their_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let sue = app.add_user("sue@example.org", "support").await;
    let admin = app.signed_in("ann@example.org").await;
    let support = app.signed_in("sue@example.org").await;
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 200);

    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &sue), ("disabled", "true")]).await.status(), 200);
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 303);
    assert_eq!(app.login(&support, "sue@example.org", PASSWORD).await.status(), 401);

    let reset = app.call(&admin, "reset_user_password", &[("id", &sue), ("password", "a brand new passphrase")]).await;
    assert_eq!(reset.status(), 200);
    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &sue), ("disabled", "false")]).await.status(), 200);
    assert_eq!(app.login(&support, "sue@example.org", PASSWORD).await.status(), 401, "old password no longer works");
    assert_eq!(app.login(&support, "sue@example.org", "a brand new passphrase").await.status(), 200);
}

async fn health_and_metrics_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = reqwest::get(app.url("/healthz")).await.expect("healthz");
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.expect("json");
    assert_eq!(body["database"], "ok");

    let metrics = reqwest::get(app.url("/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("regio_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("regio_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1"));
}
