//! Sign-in, sessions and metrics under abuse: concurrent guesses, bursts, proxies, huge bodies,
//! hostile `next` values, odd methods, and time moved past the session limits.

use crate::both_databases;
use crate::support::{Backend, PASSWORD, TestApp, browser, spawn_app, spawn_app_configured};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_databases!(
    concurrent_wrong_guesses_cannot_pass_the_limit,
    sign_ins_beyond_the_hashing_slots_get_429_with_retry_after,
    ipv6_callers_behind_a_trusted_proxy_are_throttled_per_64,
    forwarded_for_from_an_untrusted_peer_is_ignored,
    metrics_off_loopback_need_the_token,
    unknown_methods_do_not_grow_the_metrics,
    a_10_mb_post_is_refused_before_it_is_read,
    next_after_sign_in_is_a_path_on_this_site_or_home,
    resetting_a_password_ends_the_users_other_sessions,
    disabling_ends_sessions_for_good,
    a_session_ends_after_its_idle_time,
    a_session_ends_after_its_absolute_lifetime,
);

/// A sign-in as a proxy at 127.0.0.1 would relay it for `forwarded_for`.
async fn login_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> reqwest::Response {
    browser(&app.base)
        .post(app.url("/rpc/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("request")
}

fn trust_loopback_proxy(config: &mut regio::server::config::Config) {
    config.trusted_proxies = "127.0.0.1".parse().expect("proxy list");
}

async fn concurrent_wrong_guesses_cannot_pass_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let guesses = (0..20).map(|_| {
        let client = browser(&app.base);
        let app = &app;
        async move { app.login(&client, "ann@example.org", "wrong password!").await.status().as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert!(wrong <= 5, "at most the limit may be told 'wrong password': {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "the rest are throttled: {statuses:?}");
    assert_eq!(app.login(&browser(&app.base), "ann@example.org", PASSWORD).await.status(), 429, "the lock is on");
}

async fn sign_ins_beyond_the_hashing_slots_get_429_with_retry_after(backend: Backend) {
    let app = spawn_app_configured(backend, None, |config| config.password_hashes = 1).await;
    app.add_user("ann@example.org", "admin").await;
    // The one slot is busy (as with a long burst) for as long as this holds it.
    let held = app.state.hash_slots.acquire().await.expect("the only slot");
    let burst = (0..3).map(|_| {
        let client = browser(&app.base);
        let app = &app;
        async move { app.login(&client, "ann@example.org", PASSWORD).await }
    });
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(response.status(), 429);
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        assert!(retry_after.is_some_and(|s| s >= 1), "Retry-After: {:?}", response.headers().get("retry-after"));
    }
    drop(held);
    assert_eq!(app.login(&browser(&app.base), "ann@example.org", PASSWORD).await.status(), 200, "busy is not a failure");
}

async fn ipv6_callers_behind_a_trusted_proxy_are_throttled_per_64(backend: Backend) {
    let app = spawn_app_configured(backend, None, trust_loopback_proxy).await;
    for n in 1..=5 {
        let r = login_from(&app, &format!("198.51.100.1, 2001:db8:0:1::{n}"), &format!("u{n}@example.org"), "wrong password!").await;
        assert_eq!(r.status(), 401, "failure {n}");
    }
    let same_64 = login_from(&app, "2001:db8:0:1:ffff::9", "u6@example.org", "wrong password!").await;
    assert_eq!(same_64.status(), 429, "another address of the same /64 is the same caller");
    let other_64 = login_from(&app, "2001:db8:0:2::1", "u7@example.org", "wrong password!").await;
    assert_eq!(other_64.status(), 401, "the next /64 is someone else (and the proxy itself is not throttled)");

    use sqlx::Row;
    let ips: Vec<String> = sqlx::query("SELECT ip FROM audit_events WHERE action = 'auth.login_failed' ORDER BY id")
        .fetch_all(&app.sql)
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get("ip"))
        .collect();
    assert_eq!(ips.first().map(String::as_str), Some("2001:db8:0:1::1"), "audit keeps the whole address the proxy saw: {ips:?}");
}

async fn forwarded_for_from_an_untrusted_peer_is_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 1..=5 {
        assert_eq!(login_from(&app, &format!("203.0.113.{n}"), &format!("u{n}@example.org"), "wrong password!").await.status(), 401);
    }
    let r = login_from(&app, "203.0.113.99", "u6@example.org", "wrong password!").await;
    assert_eq!(r.status(), 429, "all those came from 127.0.0.1, whatever they claimed");
    let claimed = reqwest::Client::new().get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.expect("metrics");
    assert_eq!(claimed.status(), 200, "a loopback caller is loopback whatever it claims");
}

async fn metrics_off_loopback_need_the_token(backend: Backend) {
    let app = spawn_app_configured(backend, None, trust_loopback_proxy).await;
    let client = reqwest::Client::new();
    let get = |forwarded: Option<&'static str>, token: Option<&'static str>| {
        let mut request = client.get(app.url("/metrics"));
        if let Some(ip) = forwarded {
            request = request.header("x-forwarded-for", ip);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("metrics").status().as_u16() }
    };
    assert_eq!(get(Some("203.0.113.9"), None).await, 403, "relayed from afar, no token");
    assert_eq!(get(Some("203.0.113.9"), Some("not-the-token")).await, 403);
    assert_eq!(get(Some("203.0.113.9"), Some("metrics-secret")).await, 200);
    assert_eq!(get(None, None).await, 200, "the proxy host itself is loopback");
}

async fn unknown_methods_do_not_grow_the_metrics(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();
    for method in ["BREW", "PROPFIND", "X-ANYTHING"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("token");
        client.request(method, app.url("/healthz")).send().await.expect("request");
    }
    let metrics = client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(!metrics.contains("BREW") && !metrics.contains("PROPFIND") && !metrics.contains("X-ANYTHING"), "{metrics}");
    let other_series = metrics.lines().filter(|l| l.starts_with("regio_http_requests_total{method=\"other\"")).count();
    assert_eq!(other_series, 1, "{metrics}");
}

/// Sends only the head of a request announcing `length` bytes of body, and returns the status
/// line the server answers with before any of the body arrived.
async fn status_before_body(app: &TestApp, path: &str, extra_headers: &str, length: usize) -> String {
    let host = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n{extra_headers}Content-Length: {length}\r\n\r\n",
        app.base
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut answer)).await.expect("an answer without the body being sent").expect("read");
    String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_string()
}

async fn a_10_mb_post_is_refused_before_it_is_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let ten_mb = 10 * 1024 * 1024;
    let sign_in = status_before_body(&app, "/rpc/login", "", ten_mb).await;
    assert!(sign_in.starts_with("HTTP/1.1 413 "), "{sign_in}");
    let api = status_before_body(&app, "/api/v1/transactions", "Authorization: Bearer rgk_x\r\n", ten_mb).await;
    assert!(api.starts_with("HTTP/1.1 413 "), "{api}");
}

async fn next_after_sign_in_is_a_path_on_this_site_or_home(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let cases = [
        ("/users?x=1", "/users?x=1"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("/caf\u{e9}", "/"),
    ];
    for (next, expected) in cases {
        let client = browser(&app.base);
        let response = app.call(&client, "login", &[("email", "ann@example.org"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(response.status(), 200, "next {next:?}");
        assert_eq!(response.headers().get("location").and_then(|v| v.to_str().ok()), Some(expected), "next {next:?}");
    }
}

async fn resetting_a_password_ends_the_users_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.add_user("ann@example.org", "admin").await;
    let sue = app.add_user("sue@example.org", "support").await;
    let admin = app.signed_in("ann@example.org").await;
    let admin_elsewhere = app.signed_in("ann@example.org").await;
    let support = app.signed_in("sue@example.org").await;
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 200);

    assert_eq!(app.call(&admin, "reset_user_password", &[("id", &sue), ("password", "a brand new passphrase")]).await.status(), 200);
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 303, "whoever knew the old password is signed out");

    assert_eq!(app.call(&admin, "reset_user_password", &[("id", &ann), ("password", "another new passphrase")]).await.status(), 200);
    assert_eq!(app.call(&admin, "list_users", &[]).await.status(), 200, "the admin's own session goes on");
    assert_eq!(admin_elsewhere.get(app.url("/")).send().await.expect("page").status(), 303, "their other sessions end");
}

async fn disabling_ends_sessions_for_good(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let sue = app.add_user("sue@example.org", "support").await;
    let admin = app.signed_in("ann@example.org").await;
    let support = app.signed_in("sue@example.org").await;
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 200);

    // Disabled and enabled again before the session's next request: it must not come back.
    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &sue), ("disabled", "true")]).await.status(), 200);
    assert_eq!(app.call(&admin, "set_user_disabled", &[("id", &sue), ("disabled", "false")]).await.status(), 200);
    assert_eq!(support.get(app.url("/")).send().await.expect("page").status(), 303);
}

/// Who `client`'s session belongs to, if anyone.
async fn me(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    let body: Value = app.call(client, "me", &[]).await.json().await.expect("json");
    body["email"].as_str().map(str::to_string)
}

async fn a_session_ends_after_its_idle_time(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ann@example.org", "admin").await;
    let client = app.signed_in("ann@example.org").await;
    app.advance_clock(Duration::from_secs(29 * 60));
    assert_eq!(me(&app, &client).await.as_deref(), Some("ann@example.org"), "29 idle minutes are within the limit");
    app.advance_clock(Duration::from_secs(31 * 60));
    assert_eq!(me(&app, &client).await, None, "31 idle minutes are not");
    assert_eq!(client.get(app.url("/")).send().await.expect("page").status(), 303);
}

async fn a_session_ends_after_its_absolute_lifetime(backend: Backend) {
    // An idle limit longer than the absolute one, so only the absolute one can end the session.
    let app = spawn_app_configured(backend, None, |config| config.session_idle = Duration::from_secs(24 * 3600)).await;
    app.add_user("ann@example.org", "admin").await;
    let client = app.signed_in("ann@example.org").await;
    app.advance_clock(Duration::from_secs(11 * 3600 + 59 * 60));
    assert_eq!(me(&app, &client).await.as_deref(), Some("ann@example.org"), "after 11 h 59 min");
    app.advance_clock(Duration::from_secs(2 * 60));
    assert_eq!(me(&app, &client).await, None, "after 12 h 01 min");
}
