//! The emulator kept in a snapshot file: a second emulator started from the file a first one
//! saved serves the same objects with the same ids, and a damaged file is refused by name.

use super::{Emu, KEY, PATIENCE, id, ids, payment_form, refund_form};
use crate::support::tempdir::Dir;
use crate::support::uuid_simple;
use axum::http::StatusCode;
use regio::server::stripe::emulator::{self, Emulator};
use std::future::Future;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

/// Runs `test` with a snapshot path in a folder of its own. The folder is removed only after the
/// test's runtime has shut down, which waits for any save still being written into it.
fn with_snapshot_path<F: Future<Output = ()>>(test: impl FnOnce(PathBuf) -> F) {
    let dir = Dir::create(&format!("regio_emulator_{}", uuid_simple()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(test(dir.0.join("emulator.json")));
    drop(runtime);
}

async fn serve(emulator: Emulator) -> Emu {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, emulator::router(emulator)).await });
    Emu { base, http: reqwest::Client::new() }
}

async fn keyed_customer(emu: &Emu) -> (StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
    emu.send(emu.post_request("/v1/customers", "name=Keyed").header("idempotency-key", "kept-key")).await
}

fn refused(path: &Path) -> std::io::Error {
    match Emulator::with_snapshot(path.to_path_buf()) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e,
    }
}

/// Makes objects of every kind, and returns the paths that show them.
async fn one_of_everything(emu: &Emu) -> Vec<String> {
    let form = format!("{}&customer_presence=on_session", payment_form(5000, "guaranteed"));
    let record = id(&emu.ok("/v1/payment_records/report_payment", &form).await);
    let refunded = emu.ok(&format!("/v1/payment_records/{record}/report_refund"), &refund_form(1200, "kept-refund")).await;
    assert_eq!(refunded["amount_refunded"]["value"], 1200);
    let attempt = refunded["latest_payment_attempt_record"].as_str().unwrap().to_string();

    let customer = emu.customer().await;
    let invoice = emu.open_invoice(&customer, 3000).await;
    let note_form = format!("invoice={invoice}&reason=duplicate&lines[0][type]=custom_line_item&lines[0][unit_amount]=500&lines[0][description]=Goodwill");
    let note = id(&emu.ok("/v1/credit_notes", &note_form).await);
    let payment = id(&emu.report(2500, "guaranteed").await);
    let paid = emu.ok(&format!("/v1/invoices/{invoice}/attach_payment"), &format!("payment_record={payment}")).await;
    assert_eq!(paid["status"], "paid");

    let clock = id(&emu.ok("/v1/test_helpers/test_clocks", "frozen_time=1801353600&name=kept").await);
    let clocked = id(&emu.ok("/v1/customers", &format!("name=Clocked&test_clock={clock}")).await);
    let price = emu.ok("/v1/prices", "currency=jpy&unit_amount=1000&recurring[interval]=month&product_data[name]=Membership").await;
    let product = price["product"].as_str().unwrap().to_string();
    let price = id(&price);
    let subscribe = format!("customer={clocked}&items[0][price]={price}");
    let active = emu.ok("/v1/subscriptions", &format!("{subscribe}&collection_method=send_invoice&days_until_due=14")).await;
    assert_eq!(active["status"], "active");
    let incomplete = emu.ok("/v1/subscriptions", &subscribe).await;
    assert_eq!(incomplete["status"], "incomplete");
    let canceled = emu
        .send(emu.http.delete(format!("{}/v1/subscriptions/{}?cancellation_details[feedback]=too_expensive", emu.base, id(&incomplete))).bearer_auth(KEY))
        .await
        .2;
    assert_eq!(canceled["cancellation_details"]["reason"], "cancellation_requested");
    emu.ok(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), "frozen_time=1803772800").await;
    let endpoint = id(&emu.ok("/v1/webhook_endpoints", "url=http://127.0.0.1:9/hook&enabled_events[]=charge.failed").await);

    vec![
        format!("/v1/payment_records/{record}"),
        format!("/v1/payment_attempt_records/{attempt}"),
        format!("/v1/invoices/{invoice}"),
        format!("/v1/credit_notes/{note}"),
        format!("/v1/invoice_payments?invoice={invoice}"),
        format!("/v1/test_helpers/test_clocks/{clock}"),
        format!("/v1/products/{product}"),
        format!("/v1/prices/{price}"),
        format!("/v1/subscriptions?status=all&customer={clocked}"),
        format!("/v1/invoices?customer={clocked}&limit=100"),
        format!("/v1/webhook_endpoints/{endpoint}"),
        "/v1/payment_records".to_string(),
        "/v1/invoiceitems".to_string(),
        "/v1/events?limit=100".to_string(),
    ]
}

#[test]
fn a_restarted_emulator_serves_the_same_objects_and_continues_their_ids() {
    with_snapshot_path(restart_from_the_snapshot);
}

async fn restart_from_the_snapshot(path: PathBuf) {
    let first = Emulator::with_snapshot(path.clone()).unwrap();
    let emu = serve(first.clone()).await;
    let mut paths = one_of_everything(&emu).await;
    let (status, _, keyed) = keyed_customer(&emu).await;
    assert_eq!(status, StatusCode::OK);
    paths.push("/v1/customers".to_string());
    let mut before = Vec::new();
    for path in &paths {
        before.push(emu.list(path).await);
    }
    first.flush().await.unwrap();
    // The restarted emulator gets a copy, which the first one (still running) cannot overwrite.
    // In it the ids are counted far ahead, as if by another process, to show that the restarted
    // emulator counts on from the saved counter, not from its own.
    let mut saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let next_id = saved["next_id"].as_u64().unwrap() + 1_000_000_000;
    saved["next_id"] = next_id.into();
    let copy = path.with_file_name("restarted.json");
    std::fs::write(&copy, saved.to_string()).unwrap();

    let restarted = serve(Emulator::with_snapshot(copy).unwrap()).await;
    assert_ne!(restarted.base, emu.base);
    for (path, was) in paths.iter().zip(&before) {
        assert_eq!(&restarted.list(path).await, was, "GET {path}");
    }
    let shown = |path: &str| &before[paths.iter().position(|p| p == path).unwrap()];

    // A retry of a request made before the restart is replayed, not done again.
    let (status, headers, replayed) = keyed_customer(&restarted).await;
    assert_eq!((status, id(&replayed)), (StatusCode::OK, id(&keyed)));
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");

    // Refund references stay unique across the restart.
    let record = id(shown(&paths[0]));
    let (status, _) = restarted.post(&format!("/v1/payment_records/{record}/report_refund"), &refund_form(100, "kept-refund")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let customers_before = ids(shown("/v1/customers"));
    let new = id(&restarted.ok("/v1/customers", "name=After").await);
    assert!(!customers_before.contains(&new), "{new} was already used");
    assert!(id_counter(&new) >= next_id, "{new} counts from below {next_id}");
    let mut expected = vec![new];
    expected.extend(customers_before);
    assert_eq!(ids(&restarted.list("/v1/customers").await), expected);
    let records_before = ids(shown("/v1/payment_records"));
    let another = id(&restarted.report(10, "guaranteed").await);
    assert_eq!(ids(&restarted.list("/v1/payment_records").await), [vec![another], records_before].concat());
}

/// The counter in the first eight base62 characters after an id's prefix.
fn id_counter(id: &str) -> u64 {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let (_, rest) = id.split_once('_').unwrap();
    rest.bytes().take(8).fold(0, |n, b| n * 62 + ALPHABET.iter().position(|a| *a == b).unwrap() as u64)
}

#[test]
fn changes_are_saved_without_a_flush() {
    with_snapshot_path(save_after_a_change);
}

async fn save_after_a_change(path: PathBuf) {
    let emu = serve(Emulator::with_snapshot(path.clone()).unwrap()).await;
    let customer = emu.customer().await;
    let waited = tokio::time::timeout(PATIENCE, async {
        while !std::fs::read_to_string(&path).is_ok_and(|saved| saved.contains(&customer)) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    assert!(waited.await.is_ok(), "{customer} never reached {}", path.display());
    assert!(!path.with_extension("json.tmp").exists(), "the temporary file was left behind");

    let restarted = serve(Emulator::with_snapshot(path).unwrap()).await;
    assert_eq!(restarted.get(&format!("/v1/customers/{customer}")).await.0, StatusCode::OK);
}

#[test]
fn a_missing_snapshot_starts_empty_and_a_damaged_one_is_refused_by_name() {
    with_snapshot_path(|path| refuse_damaged_snapshots(path.with_file_name("nested").join("emulator.json")));
}

async fn refuse_damaged_snapshots(path: PathBuf) {
    let fresh = Emulator::with_snapshot(path.clone()).unwrap();
    let emu = serve(fresh.clone()).await;
    assert!(ids(&emu.list("/v1/customers").await).is_empty());
    let customer = emu.customer().await;
    emu.open_invoice(&customer, 100).await;
    fresh.flush().await.unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    // Damaged copies beside it, which the running emulator cannot overwrite.
    let damaged = |name: &str, contents: &[u8]| {
        let copy = path.with_file_name(name);
        std::fs::write(&copy, contents).unwrap();
        copy
    };
    let named = |e: &std::io::Error, path: &Path| e.to_string().contains(&path.display().to_string());

    let truncated = damaged("truncated.json", &saved.as_bytes()[..saved.len() / 2]);
    let error = refused(&truncated);
    assert!(named(&error, &truncated), "{error}");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);

    // Valid JSON, but with a value the API never produces.
    assert!(saved.contains("\"send_invoice\""));
    let unknown = damaged("unknown.json", saved.replace("\"send_invoice\"", "\"send_pigeon\"").as_bytes());
    let error = refused(&unknown);
    assert!(named(&error, &unknown) && error.to_string().contains("send_pigeon"), "{error}");

    let folder = path.with_file_name("folder.json");
    std::fs::create_dir(&folder).unwrap();
    let error = refused(&folder);
    assert!(named(&error, &folder), "{error}");
}
