//! The Stripe emulator over real HTTP: each test serves a fresh emulator on a loopback port and
//! talks to it with reqwest, in Stripe's wire format.

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use regio::server::stripe::emulator;
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

mod snapshot;

const KEY: &str = "sk_test_emulator_tests";
/// Long enough for any delivery; the tests wait for events, they do not time anything.
const PATIENCE: Duration = Duration::from_secs(30);

struct Emu {
    base: String,
    http: reqwest::Client,
}

async fn start() -> Emu {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(emulator::serve(listener));
    Emu { base, http: reqwest::Client::new() }
}

impl Emu {
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, Value) {
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    fn post_request(&self, path: &str, form: &str) -> reqwest::RequestBuilder {
        self.post_as(KEY, path, form)
    }

    fn post_as(&self, api_key: &str, path: &str, form: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).bearer_auth(api_key).header("content-type", "application/x-www-form-urlencoded").body(form.to_string())
    }

    async fn post(&self, path: &str, form: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(self.post_request(path, form)).await;
        (status, body)
    }

    /// A POST that must succeed.
    async fn ok(&self, path: &str, form: &str) -> Value {
        let (status, body) = self.post(path, form).await;
        assert_eq!(status, StatusCode::OK, "POST {path} {form}: {body}");
        body
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(self.http.get(format!("{}{path}", self.base)).bearer_auth(KEY)).await;
        (status, body)
    }

    async fn list(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn faults(&self, settings: Value) {
        let r = self.http.post(format!("{}/_emulator/faults", self.base)).bearer_auth(KEY).json(&settings).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    async fn stats(&self) -> Value {
        self.http.get(format!("{}/_emulator/stats", self.base)).bearer_auth(KEY).send().await.unwrap().json().await.unwrap()
    }

    async fn report(&self, value: i64, outcome: &str) -> Value {
        self.ok("/v1/payment_records/report_payment", &payment_form(value, outcome)).await
    }

    async fn customer(&self) -> String {
        id(&self.ok("/v1/customers", "name=Hanako&email=hanako@example.com").await)
    }

    /// A finalized send_invoice invoice in JPY for `amount`.
    async fn open_invoice(&self, customer: &str, amount: i64) -> String {
        let invoice = id(&self.ok("/v1/invoices", &format!("customer={customer}&collection_method=send_invoice&days_until_due=30&currency=jpy")).await);
        self.ok("/v1/invoiceitems", &format!("customer={customer}&invoice={invoice}&amount={amount}&currency=jpy")).await;
        let finalized = self.ok(&format!("/v1/invoices/{invoice}/finalize"), "").await;
        assert_eq!(finalized["status"], "open");
        invoice
    }
}

fn id(object: &Value) -> String {
    object["id"].as_str().unwrap().to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(id).collect()
}

fn payment_form(value: i64, outcome: &str) -> String {
    let outcome = match outcome {
        "" => String::new(),
        o => format!("&outcome={o}&{o}[{o}_at]=1700000100"),
    };
    format!(
        "amount_requested[currency]=jpy&amount_requested[value]={value}&initiated_at=1700000000\
         &payment_method_details[type]=custom&payment_method_details[custom][type]=cpmt_regio\
         &payment_method_details[custom][display_name]=Coin{outcome}"
    )
}

fn refund_form(value: i64, reference: &str) -> String {
    format!(
        "outcome=refunded&amount[currency]=jpy&amount[value]={value}&processor_details[type]=custom\
         &processor_details[custom][refund_reference]={reference}&refunded[refunded_at]=1700000200"
    )
}

fn error_of(body: &Value) -> (&str, &str, &str) {
    let e = &body["error"];
    (e["type"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or(""), e["param"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn requests_without_a_valid_test_key_are_unauthorized() {
    let emu = start().await;
    let url = format!("{}/v1/payment_records", emu.base);
    for request in [emu.http.get(&url), emu.http.get(&url).bearer_auth("sk_live_abc"), emu.http.get(&url).bearer_auth("nope")] {
        let (status, _, body) = emu.send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    assert_eq!(emu.get("/v1/payment_records").await.0, StatusCode::OK);
    let (status, body) = emu.get("/v1/no_such_thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"].as_str().unwrap().starts_with("Unrecognized request URL (GET: /v1/no_such_thing)"));
}

#[tokio::test]
async fn bracketed_form_parameters_reach_nested_fields() {
    let emu = start().await;
    let customer = emu.customer().await;
    let form = format!(
        "{}&customer_details[customer]={customer}&customer_details[email]=a%40b.jp\
         &payment_method_details[billing_details][address][city]=Kyoto&metadata[ledger_tx]=tx%201\
         &processor_details[type]=custom&processor_details[custom][payment_reference]=ref-1&customer_presence=on_session",
        payment_form(1200, "guaranteed")
    );
    let record = emu.ok("/v1/payment_records/report_payment", &form).await;
    assert_eq!(record["customer_details"]["customer"], customer.as_str());
    assert_eq!(record["customer_details"]["email"], "a@b.jp");
    assert_eq!(record["payment_method_details"]["billing_details"]["address"]["city"], "Kyoto");
    assert_eq!(record["payment_method_details"]["custom"]["type"], "cpmt_regio");
    assert_eq!(record["metadata"]["ledger_tx"], "tx 1");
    assert_eq!(record["processor_details"]["custom"]["payment_reference"], "ref-1");
    assert_eq!(record["amount_requested"], json!({ "currency": "jpy", "value": 1200 }));

    let cases = [
        (format!("{}&payment_method_details[custom][bogus]=1", payment_form(1, "")), "parameter_unknown", "payment_method_details[custom][bogus]"),
        (format!("{}&bogus=1", payment_form(1, "")), "parameter_unknown", "bogus"),
        (payment_form(1, "").replace("amount_requested[value]=1", "amount_requested[value]=ten"), "parameter_invalid_integer", "amount_requested[value]"),
        (payment_form(1, "").replace("initiated_at=1700000000&", ""), "parameter_missing", "initiated_at"),
        (payment_form(1, "").replace("jpy", "xyz"), "", "amount_requested[currency]"),
        (format!("{}&customer_details[customer]=cus_missing", payment_form(1, "")), "resource_missing", "customer_details[customer]"),
    ];
    for (form, code, param) in cases {
        let (status, body) = emu.post("/v1/payment_records/report_payment", &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert_eq!(error_of(&body), ("invalid_request_error", code, param), "{form}");
    }
    let (status, body) = emu.get("/v1/payment_records/pr_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body), ("invalid_request_error", "resource_missing", "id"));
}

#[tokio::test]
async fn payment_records_are_listed_newest_first_across_pages() {
    let emu = start().await;
    let mut created = Vec::new();
    for i in 0..25 {
        created.push(id(&emu.report(100 + i, "guaranteed").await));
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let page1 = emu.list("/v1/payment_records?limit=10").await;
    assert_eq!(page1["object"], "list");
    assert_eq!(page1["url"], "/v1/payment_records");
    assert_eq!(page1["has_more"], true);
    let last = ids(&page1).last().unwrap().clone();
    let page2 = emu.list(&format!("/v1/payment_records?limit=10&starting_after={last}")).await;
    let last = ids(&page2).last().unwrap().clone();
    let page3 = emu.list(&format!("/v1/payment_records?limit=10&starting_after={last}")).await;
    assert_eq!(page3["has_more"], false);
    let walked: Vec<String> = [&page1, &page2, &page3].iter().flat_map(|p| ids(p)).collect();
    assert_eq!(walked, newest_first);

    let first_of_page2 = ids(&page2)[0].clone();
    let back = emu.list(&format!("/v1/payment_records?limit=10&ending_before={first_of_page2}")).await;
    assert_eq!(ids(&back), ids(&page1));
    assert_eq!(back["has_more"], false);

    assert_eq!(ids(&emu.list("/v1/payment_records").await).len(), 10);
    assert!(ids(&emu.list("/v1/payment_records?created_before=1000").await).is_empty());
    assert_eq!(ids(&emu.list("/v1/payment_records?limit=100&created_after=1000").await).len(), 25);
    let (status, body) = emu.get("/v1/payment_records?limit=101").await;
    assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "limit"));
    let (status, body) = emu.get("/v1/payment_records?starting_after=pr_nope").await;
    assert_eq!((status, error_of(&body).1), (StatusCode::BAD_REQUEST, "resource_missing"));

    let record = emu.list(&format!("/v1/payment_records/{}?expand[]=latest_payment_attempt_record", created[0])).await;
    assert_eq!(record["latest_payment_attempt_record"]["object"], "payment_attempt_record");
    assert_eq!(record["latest_payment_attempt_record"]["payment_record"], created[0].as_str());
    let expanded = emu.list("/v1/payment_records?limit=2&expand[]=data.latest_payment_attempt_record").await;
    assert_eq!(expanded["data"][1]["latest_payment_attempt_record"]["object"], "payment_attempt_record");
}

#[tokio::test]
async fn payment_attempts_follow_stripes_rules() {
    let emu = start().await;
    let record = id(&emu.report(3000, "").await);
    let path = |call: &str| format!("/v1/payment_records/{record}/{call}");
    let state_error = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    };

    // The only attempt has no outcome yet: no new attempt may start.
    state_error(emu.post(&path("report_payment_attempt"), "initiated_at=1700000300").await);
    let failed = emu.ok(&path("report_payment_attempt_failed"), "failed_at=1700000400").await;
    assert_eq!(failed["amount_failed"]["value"], 3000);
    state_error(emu.post(&path("report_payment_attempt_canceled"), "canceled_at=1700000401").await);

    let second = emu.ok(&path("report_payment_attempt"), "initiated_at=1700000500&description=retry").await;
    assert_ne!(second["latest_payment_attempt_record"], failed["latest_payment_attempt_record"]);
    assert_eq!(second["amount_failed"]["value"], 0);
    let guaranteed = emu.ok(&path("report_payment_attempt_guaranteed"), "guaranteed_at=1700000600").await;
    assert_eq!(guaranteed["amount_guaranteed"]["value"], 3000);

    // Only one attempt can be guaranteed, and a guaranteed one is final.
    state_error(emu.post(&path("report_payment_attempt"), "initiated_at=1700000700").await);
    state_error(emu.post(&path("report_payment_attempt_failed"), "failed_at=1700000700").await);
    state_error(emu.post(&path("report_payment_attempt_guaranteed"), "guaranteed_at=1700000700").await);

    let informational = emu.ok(&path("report_payment_attempt_informational"), "description=noted&metadata[k]=v").await;
    assert_eq!(informational["description"], "noted");
    assert_eq!(informational["metadata"]["k"], "v");

    let attempts = emu.list(&format!("/v1/payment_attempt_records?payment_record={record}")).await;
    assert_eq!(ids(&attempts).len(), 2);
    assert_eq!(attempts["data"][0]["amount_guaranteed"]["value"], 3000);
    assert_eq!(attempts["data"][1]["amount_failed"]["value"], 3000);
    let latest = emu.list(&format!("/v1/payment_attempt_records/{}", ids(&attempts)[0])).await;
    assert_eq!(latest["payment_record"], record.as_str());
    let (status, body) = emu.get("/v1/payment_attempt_records").await;
    assert_eq!((status, error_of(&body).1), (StatusCode::BAD_REQUEST, "parameter_missing"));

    let (status, body) =
        emu.post("/v1/payment_records/report_payment", &payment_form(1, "guaranteed").replace("&guaranteed[guaranteed_at]=1700000100", "")).await;
    assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "guaranteed[guaranteed_at]"));
}

#[tokio::test]
async fn refunds_stay_within_the_guaranteed_amount_and_references_are_unique() {
    let emu = start().await;
    let record = id(&emu.report(5000, "guaranteed").await);
    let refund = format!("/v1/payment_records/{record}/report_refund");

    let (status, body) = emu.post(&refund, &refund_form(5001, "r-0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body), ("invalid_request_error", "", "amount[value]"));

    assert_eq!(emu.ok(&refund, &refund_form(2000, "r-1")).await["amount_refunded"]["value"], 2000);
    let (status, body) = emu.post(&refund, &refund_form(100, "r-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body), ("invalid_request_error", "resource_already_exists", "processor_details[custom][refund_reference]"));

    let (status, _) = emu.post(&refund, &refund_form(3001, "r-2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = emu.post(&refund, &refund_form(100, "r-2").replace("amount[currency]=jpy", "amount[currency]=usd")).await;
    assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "amount[currency]"));

    // Without an amount, the refund is whatever remains.
    let rest = "outcome=refunded&processor_details[type]=custom&processor_details[custom][refund_reference]=r-3&refunded[refunded_at]=1700000300";
    let full = emu.ok(&refund, rest).await;
    assert_eq!(full["amount_refunded"]["value"], 5000);
    assert_eq!(emu.post(&refund, &refund_form(1, "r-4")).await.0, StatusCode::BAD_REQUEST);
    let attempt = emu.list(&format!("/v1/payment_attempt_records/{}", full["latest_payment_attempt_record"].as_str().unwrap())).await;
    assert_eq!(attempt["amount_refunded"]["value"], 5000);

    // Unique across all refunds, not only this record's.
    let other = id(&emu.report(900, "guaranteed").await);
    let (status, body) = emu.post(&format!("/v1/payment_records/{other}/report_refund"), &refund_form(100, "r-1")).await;
    assert_eq!((status, error_of(&body).1), (StatusCode::BAD_REQUEST, "resource_already_exists"));
    let pending = id(&emu.report(900, "").await);
    let (status, _) = emu.post(&format!("/v1/payment_records/{pending}/report_refund"), &refund_form(100, "r-9")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = emu.post(&refund, &refund_form(1, "r-5").replace("&refunded[refunded_at]=1700000200", "")).await;
    assert_eq!((status, error_of(&body).1), (StatusCode::BAD_REQUEST, "parameter_missing"));
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_other_parameters_and_are_scoped_per_api_key() {
    let emu = start().await;
    let keyed = |form: &str, api_key: &str, idem: &str| emu.post_as(api_key, "/v1/payment_records/report_payment", form).header("idempotency-key", idem);
    let (s1, h1, first) = emu.send(keyed(&payment_form(700, "guaranteed"), KEY, "k-1")).await;
    let (s2, h2, second) = emu.send(keyed(&payment_form(700, "guaranteed"), KEY, "k-1")).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first, second);
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(ids(&emu.list("/v1/payment_records").await).len(), 1);

    let (status, _, body) = emu.send(keyed(&payment_form(701, "guaranteed"), KEY, "k-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["type"], "idempotency_error");

    let (status, _, other) = emu.send(keyed(&payment_form(700, "guaranteed"), "sk_test_someone_else", "k-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(id(&other), id(&first));

    // A request that failed validation saves nothing, so the corrected one may use its key.
    let (status, _, _) = emu.send(keyed("initiated_at=1", KEY, "k-2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = emu.send(keyed(&payment_form(702, "guaranteed"), KEY, "k-2")).await;
    assert_eq!(status, StatusCode::OK);

    // A refused state change did execute, so its error is replayed.
    let record = id(&first);
    let over = |idem: &str| emu.post_request(&format!("/v1/payment_records/{record}/report_refund"), &refund_form(9999, "x")).header("idempotency-key", idem);
    let (s1, _, e1) = emu.send(over("k-3")).await;
    let (s2, h2, e2) = emu.send(over("k-3")).await;
    assert_eq!((s1, s2), (StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST));
    assert_eq!(e1, e2);
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(emu.stats().await["idempotent_replays"], 2);
}

#[tokio::test]
async fn a_concurrent_duplicate_gets_409_while_the_first_is_in_flight() {
    let emu = start().await;
    emu.faults(json!({ "hold": true })).await;
    let request = || emu.post_request("/v1/payment_records/report_payment", &payment_form(800, "guaranteed")).header("idempotency-key", "dup");
    let first = tokio::spawn(request().send());
    while emu.stats().await["in_flight"] != 1 {
        tokio::task::yield_now().await;
    }
    let (status, _, body) = emu.send(request()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&body), ("idempotency_error", "idempotency_key_in_use", ""));
    emu.faults(json!({ "hold": false })).await;
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let (status, headers, replay) = emu.send(request()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(replay, first);
}

#[tokio::test]
async fn an_invoice_is_paid_by_attached_payment_records() {
    let emu = start().await;
    let customer = emu.customer().await;
    let invoice = id(&emu.ok("/v1/invoices", &format!("customer={customer}&collection_method=send_invoice&days_until_due=30&currency=jpy")).await);
    let draft = emu.list(&format!("/v1/invoices/{invoice}")).await;
    assert_eq!((draft["status"].as_str(), draft["amount_due"].as_i64()), (Some("draft"), Some(0)));
    emu.ok("/v1/invoiceitems", &format!("customer={customer}&invoice={invoice}&amount=2000&currency=jpy&description=Dues")).await;
    let item = emu.ok("/v1/invoiceitems", &format!("invoice={invoice}&amount=1000&currency=jpy")).await;
    assert_eq!(item["customer"], customer.as_str());

    let (status, _) = emu.post(&format!("/v1/invoices/{invoice}/attach_payment"), "payment_record=pr_x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let open = emu.ok(&format!("/v1/invoices/{invoice}/finalize"), "").await;
    assert_eq!(open["status"], "open");
    assert_eq!((open["amount_due"].as_i64(), open["amount_remaining"].as_i64()), (Some(3000), Some(3000)));
    assert_eq!(open["lines"]["data"].as_array().unwrap().len(), 2);
    assert!(open["number"].as_str().unwrap().ends_with("-0001"));
    assert_eq!(emu.post(&format!("/v1/invoices/{invoice}/finalize"), "").await.0, StatusCode::BAD_REQUEST);
    let (status, body) = emu.post("/v1/invoiceitems", &format!("invoice={invoice}&amount=5&currency=jpy")).await;
    assert_eq!((status, error_of(&body).1), (StatusCode::BAD_REQUEST, "invoice_not_editable"));

    let attach = format!("/v1/invoices/{invoice}/attach_payment");
    let pending = id(&emu.report(3000, "").await);
    let usd = id(&emu.ok("/v1/payment_records/report_payment", &payment_form(3000, "guaranteed").replace("jpy", "usd")).await);
    for refused in [pending, usd] {
        let (status, body) = emu.post(&attach, &format!("payment_record={refused}")).await;
        assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "payment_record"), "{body}");
    }

    let first = id(&emu.report(2000, "guaranteed").await);
    let partial = emu.ok(&attach, &format!("payment_record={first}")).await;
    assert_eq!(partial["status"], "open");
    assert_eq!((partial["amount_paid"].as_i64(), partial["amount_remaining"].as_i64()), (Some(2000), Some(1000)));
    let (status, _) = emu.post(&attach, &format!("payment_record={first}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let second = id(&emu.report(1500, "guaranteed").await);
    let paid = emu.ok(&attach, &format!("payment_record={second}&expand[]=payments&expand[]=amount_paid_off_stripe")).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!((paid["amount_paid"].as_i64(), paid["amount_remaining"].as_i64()), (Some(3000), Some(0)));
    assert_eq!(paid["amount_paid_off_stripe"], 3000);
    assert_eq!(paid["payments"]["data"].as_array().unwrap().len(), 2);
    assert!(paid["status_transitions"]["paid_at"].is_i64());
    assert!(emu.list(&format!("/v1/invoices/{invoice}")).await.get("amount_paid_off_stripe").is_none());

    let by_invoice = emu.list(&format!("/v1/invoice_payments?invoice={invoice}")).await;
    let payments = ids(&by_invoice);
    assert_eq!(payments.len(), 2);
    assert_eq!(by_invoice["data"][0]["payment"], json!({ "type": "payment_record", "payment_record": second }));
    assert_eq!(by_invoice["data"][0]["amount_paid"], 1000);
    assert_eq!(by_invoice["data"][1]["amount_paid"], 2000);
    assert_eq!(by_invoice["data"][1]["status"], "paid");
    let by_record = emu.list(&format!("/v1/invoice_payments?payment[type]=payment_record&payment[payment_record]={first}")).await;
    assert_eq!(ids(&by_record), vec![payments[1].clone()]);
    let one = emu.list(&format!("/v1/invoice_payments/{}?expand[]=invoice", payments[0])).await;
    assert_eq!(one["invoice"]["id"], invoice.as_str());

    assert_eq!(emu.post(&format!("/v1/invoices/{invoice}/void"), "").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(emu.post(&format!("/v1/invoices/{invoice}/pay"), "paid_out_of_band=true").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invoices_move_between_their_states_only_as_allowed() {
    let emu = start().await;
    let customer = emu.customer().await;
    let voided = emu.open_invoice(&customer, 500).await;
    assert_eq!(emu.ok(&format!("/v1/invoices/{voided}/send"), "").await["status"], "open");
    assert_eq!(emu.ok(&format!("/v1/invoices/{voided}/void"), "").await["status"], "void");
    assert_eq!(emu.post(&format!("/v1/invoices/{voided}/mark_uncollectible"), "").await.0, StatusCode::BAD_REQUEST);

    let written_off = emu.open_invoice(&customer, 700).await;
    let uncollectible = emu.ok(&format!("/v1/invoices/{written_off}/mark_uncollectible"), "").await;
    assert_eq!(uncollectible["status"], "uncollectible");
    assert_eq!(emu.post(&format!("/v1/invoices/{written_off}/pay"), "").await.0, StatusCode::BAD_REQUEST);
    let paid = emu.ok(&format!("/v1/invoices/{written_off}/pay"), "paid_out_of_band=true&expand[]=amount_paid_off_stripe").await;
    assert_eq!((paid["status"].as_str(), paid["amount_paid_off_stripe"].as_i64()), (Some("paid"), Some(700)));

    let draft = id(&emu.ok("/v1/invoices", &format!("customer={customer}&currency=jpy")).await);
    assert_eq!(emu.post(&format!("/v1/invoices/{draft}/void"), "").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(emu.post(&format!("/v1/invoices/{draft}/send"), "").await.0, StatusCode::BAD_REQUEST);
    let zero = emu.ok(&format!("/v1/invoices/{draft}/finalize"), "").await;
    assert_eq!(zero["status"], "paid", "an invoice with nothing due is paid when finalized");

    let open = emu.list(&format!("/v1/invoices?customer={customer}&status=paid")).await;
    assert_eq!(ids(&open), vec![draft.clone(), written_off.clone()]);
    let (status, body) = emu.post("/v1/invoices", &format!("customer={customer}&collection_method=send_invoice")).await;
    assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "days_until_due"));
}

#[tokio::test]
async fn credit_notes_carry_payment_record_refunds() {
    let emu = start().await;
    let customer = emu.customer().await;
    let invoice = emu.open_invoice(&customer, 3000).await;
    let record = id(&emu.report(3000, "guaranteed").await);
    emu.ok(&format!("/v1/invoices/{invoice}/attach_payment"), &format!("payment_record={record}")).await;
    emu.ok(&format!("/v1/payment_records/{record}/report_refund"), &refund_form(1000, "refund-a")).await;

    let note_form = |group: &str, amount: i64| {
        format!(
            "invoice={invoice}&amount={amount}&refunds[0][type]=payment_record_refund\
             &refunds[0][payment_record_refund][payment_record]={record}\
             &refunds[0][payment_record_refund][refund_group]={group}&refunds[0][amount_refunded]={amount}"
        )
    };
    let (status, body) = emu.post("/v1/credit_notes", &note_form("nope", 1000)).await;
    assert_eq!((status, error_of(&body).2), (StatusCode::BAD_REQUEST, "refunds[0][payment_record_refund][refund_group]"));
    let (status, _) = emu.post("/v1/credit_notes", &note_form("refund-a", 1001)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let note = emu.ok("/v1/credit_notes", &note_form("refund-a", 1000)).await;
    assert_eq!(note["object"], "credit_note");
    assert_eq!((note["amount"].as_i64(), note["post_payment_amount"].as_i64()), (Some(1000), Some(1000)));
    assert_eq!(note["type"], "post_payment");
    assert_eq!(note["refunds"][0]["payment_record_refund"], json!({ "payment_record": record, "refund_group": "refund-a" }));
    let (status, _) = emu.post("/v1/credit_notes", &note_form("refund-a", 1)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the refund group is used up");

    let after = emu.list(&format!("/v1/invoices/{invoice}")).await;
    assert_eq!((after["status"].as_str(), after["post_payment_credit_notes_amount"].as_i64()), (Some("paid"), Some(1000)));
    assert_eq!(ids(&emu.list(&format!("/v1/credit_notes?invoice={invoice}")).await), vec![id(&note)]);

    // Before payment, a credit note lowers what the invoice asks for.
    let other = emu.open_invoice(&customer, 2000).await;
    let pre =
        emu.ok("/v1/credit_notes", &format!("invoice={other}&lines[0][type]=custom_line_item&lines[0][unit_amount]=500&lines[0][description]=Goodwill")).await;
    assert_eq!((pre["pre_payment_amount"].as_i64(), pre["type"].as_str()), (Some(500), Some("pre_payment")));
    let lowered = emu.list(&format!("/v1/invoices/{other}")).await;
    assert_eq!((lowered["amount_due"].as_i64(), lowered["amount_remaining"].as_i64()), (Some(1500), Some(1500)));
}

#[tokio::test]
async fn a_subscription_on_a_test_clock_makes_one_invoice_per_period() {
    let emu = start().await;
    // 2027-01-31T00:00:00Z: monthly periods end on the last day of shorter months.
    let jan31 = 1_801_353_600;
    let clock = id(&emu.ok("/v1/test_helpers/test_clocks", &format!("frozen_time={jan31}&name=billing")).await);
    let customer = id(&emu.ok("/v1/customers", &format!("name=Clocked&test_clock={clock}")).await);
    let price = emu.ok("/v1/prices", "currency=jpy&unit_amount=1000&recurring[interval]=month&product_data[name]=Membership").await;
    let one_time = id(&emu.ok("/v1/prices", &format!("currency=jpy&unit_amount=5&product={}", price["product"].as_str().unwrap())).await);
    let (status, _) =
        emu.post("/v1/subscriptions", &format!("customer={customer}&items[0][price]={one_time}&collection_method=send_invoice&days_until_due=7")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let sub = emu
        .ok(
            "/v1/subscriptions",
            &format!("customer={customer}&items[0][price]={}&items[0][quantity]=2&collection_method=send_invoice&days_until_due=14", id(&price)),
        )
        .await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["test_clock"], clock.as_str());
    assert_eq!(sub["items"]["data"][0]["current_period_start"], jan31);
    let of_subscription = format!("/v1/invoices?subscription={}&limit=100", id(&sub));
    let first = emu.list(&of_subscription).await;
    assert_eq!(first["data"][0]["status"], "open");
    assert_eq!(first["data"][0]["amount_due"], 2000);
    assert_eq!(first["data"][0]["billing_reason"], "subscription_create");
    assert_eq!(first["data"][0]["due_date"], jan31 + 14 * 86_400);
    assert_eq!(sub["latest_invoice"], first["data"][0]["id"]);

    let feb28 = 1_803_772_800;
    let (status, _) = emu.post(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), &format!("frozen_time={}", feb28 - 1)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&emu.list(&of_subscription).await).len(), 1, "no period ended yet");
    let advanced = emu.ok(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), &format!("frozen_time={feb28}")).await;
    assert_eq!((advanced["status"].as_str(), advanced["frozen_time"].as_i64()), (Some("ready"), Some(feb28)));
    let second = emu.list(&of_subscription).await;
    assert_eq!(ids(&second).len(), 2);
    assert_eq!(second["data"][0]["billing_reason"], "subscription_cycle");
    assert_eq!(second["data"][0]["created"], feb28);
    let now = emu.list(&format!("/v1/subscriptions/{}", id(&sub))).await;
    assert_eq!(now["items"]["data"][0]["current_period_start"], feb28);
    assert_eq!(now["items"]["data"][0]["current_period_end"], 1_806_451_200, "March 31");

    // Three more month ends (Mar 31, Apr 30, May 31) in one advance make three invoices.
    emu.ok(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), "frozen_time=1811721600").await;
    assert_eq!(ids(&emu.list(&of_subscription).await).len(), 5);
    let (status, _) = emu.post(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), "frozen_time=1700000000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, canceled) = emu.send(emu.http.delete(format!("{}/v1/subscriptions/{}", emu.base, id(&sub))).bearer_auth(KEY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(canceled["status"], "canceled");
    emu.ok(&format!("/v1/test_helpers/test_clocks/{clock}/advance"), "frozen_time=1830000000").await;
    assert_eq!(ids(&emu.list(&of_subscription).await).len(), 5, "a canceled subscription bills no more");
    assert!(ids(&emu.list("/v1/subscriptions").await).is_empty(), "canceled and clocked subscriptions are hidden");
    assert_eq!(ids(&emu.list(&format!("/v1/subscriptions?status=all&test_clock={clock}")).await), vec![id(&sub)]);
    let deleted = emu.list("/v1/events?type=customer.subscription.deleted").await;
    assert_eq!(deleted["data"][0]["data"]["object"]["id"], id(&sub).as_str());
}

#[tokio::test]
async fn events_are_listed_by_type_and_time_with_pagination() {
    let emu = start().await;
    let customer = emu.customer().await;
    emu.ok(&format!("/v1/customers/{customer}"), "name=Renamed").await;
    emu.open_invoice(&customer, 100).await;
    emu.report(100, "guaranteed").await;

    let all = emu.list("/v1/events?limit=100").await;
    let types: Vec<&str> = all["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["invoice.finalized", "invoice.updated", "invoiceitem.created", "invoice.created", "customer.updated", "customer.created"]);
    assert!(!types.iter().any(|t| t.starts_with("payment_record")), "Stripe has no payment_record events");

    let updated = emu.list("/v1/events?type=customer.updated").await;
    assert_eq!(updated["data"][0]["data"]["previous_attributes"]["name"], "Hanako");
    assert_eq!(updated["data"][0]["data"]["object"]["name"], "Renamed");
    assert_eq!(ids(&emu.list("/v1/events?type=invoice.*").await).len(), 3);
    assert_eq!(ids(&emu.list("/v1/events?types[]=customer.created&types[]=invoice.created").await).len(), 2);

    let page = emu.list("/v1/events?limit=4").await;
    assert_eq!(page["has_more"], true);
    let rest = emu.list(&format!("/v1/events?limit=4&starting_after={}", ids(&page)[3])).await;
    assert_eq!(ids(&rest), ids(&all)[4..].to_vec());
    let created = all["data"][0]["created"].as_i64().unwrap();
    assert!(ids(&emu.list(&format!("/v1/events?created[gte]={created}&limit=100")).await).contains(&ids(&all)[0]));
    assert!(ids(&emu.list(&format!("/v1/events?created[gt]={created}")).await).is_empty());
    let event = emu.list(&format!("/v1/events/{}", ids(&all)[0])).await;
    assert_eq!((event["object"].as_str(), event["api_version"].as_str()), (Some("event"), Some(emulator::API_VERSION)));
}

/// A webhook receiver on loopback that refuses its first delivery, to prove retries.
async fn receiver() -> (String, mpsc::UnboundedReceiver<(HeaderMap, String)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (tx, refused) = (tx.clone(), refused.clone());
            async move {
                let _ = tx.send((headers, body));
                if refused.swap(true, std::sync::atomic::Ordering::SeqCst) { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

#[tokio::test]
async fn webhooks_are_signed_as_stripe_signs_and_retried() {
    let emu = start().await;
    let (url, mut deliveries) = receiver().await;
    let endpoint = emu.ok("/v1/webhook_endpoints", &format!("url={url}&enabled_events[]=customer.created")).await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(emu.list(&format!("/v1/webhook_endpoints/{}", id(&endpoint))).await.get("secret").is_none());
    emu.ok("/v1/products", "name=Not subscribed to").await;
    let customer = emu.customer().await;

    let mut seen = Vec::new();
    for _ in 0..2 {
        let (headers, body) = tokio::time::timeout(PATIENCE, deliveries.recv()).await.unwrap().unwrap();
        let signature = headers.get("stripe-signature").unwrap().to_str().unwrap().to_string();
        let (t, v1) = signature.split_once(',').unwrap();
        let t = t.strip_prefix("t=").unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        assert_eq!(v1.strip_prefix("v1=").unwrap(), hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers.get("content-type").unwrap(), "application/json; charset=utf-8");
        let event: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(event["type"], "customer.created");
        assert_eq!(event["data"]["object"]["id"], customer.as_str());
        seen.push(id(&event));
    }
    assert_eq!(seen[0], seen[1], "the refused delivery was retried with the same event");
    while emu.stats().await["webhook_deliveries"] != 1 {
        tokio::task::yield_now().await;
    }
    let stats = emu.stats().await;
    assert_eq!((stats["webhook_attempts"].as_i64(), stats["webhook_failures"].as_i64()), (Some(2), Some(0)));
    assert_eq!(emu.list(&format!("/v1/events/{}", seen[0])).await["pending_webhooks"], 0);
}

#[tokio::test]
async fn injected_500s_and_429s_change_nothing() {
    let emu = start().await;
    emu.faults(json!({ "fail_next": 1, "rate_limit_next": 1 })).await;
    let (status, body) = emu.post("/v1/payment_records/report_payment", &payment_form(1, "guaranteed")).await;
    assert_eq!((status, error_of(&body).1), (StatusCode::TOO_MANY_REQUESTS, "rate_limit"));
    let (status, body) = emu.post("/v1/payment_records/report_payment", &payment_form(1, "guaranteed")).await;
    assert_eq!((status, body["error"]["type"].as_str()), (StatusCode::INTERNAL_SERVER_ERROR, Some("api_error")));
    assert!(ids(&emu.list("/v1/payment_records").await).is_empty());

    // Faults touch /v1/ only.
    emu.faults(json!({ "fail_next": 1 })).await;
    assert_eq!(emu.stats().await["objects"]["payment_records"], 0);
    assert_eq!(emu.get("/v1/payment_records").await.0, StatusCode::INTERNAL_SERVER_ERROR);
    let stats = emu.stats().await;
    assert_eq!((stats["rate_limited"].as_i64(), stats["injected_errors"].as_i64()), (Some(1), Some(2)));

    // A retry with the same key after an injected failure runs the request.
    emu.faults(json!({ "fail_next": 1 })).await;
    let keyed = || emu.post_request("/v1/payment_records/report_payment", &payment_form(5, "guaranteed")).header("idempotency-key", "retry-me");
    assert_eq!(emu.send(keyed()).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(emu.send(keyed()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_rate_limit_refuses_requests_beyond_it() {
    let emu = start().await;
    emu.faults(json!({ "rate_limit": 1 })).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(emu.get("/v1/payment_records").await.0);
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn seeded_error_rates_repeat_exactly() {
    let emu = start().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        emu.faults(json!({ "seed": 7, "error_rate": 0.5 })).await;
        let mut pattern = Vec::new();
        for _ in 0..24 {
            pattern.push(emu.get("/v1/customers").await.0 == StatusCode::INTERNAL_SERVER_ERROR);
        }
        runs.push(pattern);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&true) && runs[0].contains(&false), "{:?}", runs[0]);
}

#[tokio::test]
async fn latency_is_added_and_counted() {
    let emu = start().await;
    emu.faults(json!({ "latency_ms": 20 })).await;
    assert_eq!(emu.get("/v1/customers").await.0, StatusCode::OK);
    emu.faults(json!({ "latency_ms": 0 })).await;
    assert_eq!(emu.get("/v1/customers").await.0, StatusCode::OK);
    assert_eq!(emu.stats().await["delayed"], 1);
}

#[tokio::test]
async fn a_lost_response_is_committed_and_replayed_on_retry() {
    let emu = start().await;
    emu.faults(json!({ "lose_next": 1 })).await;
    let keyed = || emu.post_request("/v1/payment_records/report_payment", &payment_form(4200, "guaranteed")).header("idempotency-key", "lost-1");
    let lost = keyed().send().await;
    assert!(lost.is_err(), "the connection should drop without a response: {lost:?}");
    let listed = emu.list("/v1/payment_records").await;
    assert_eq!(ids(&listed).len(), 1, "the change was committed");
    let (status, headers, retried) = emu.send(keyed()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(id(&retried), ids(&listed)[0]);
    assert_eq!(emu.stats().await["lost_responses"], 1);

    emu.faults(json!({ "lost_rate": 1.0 })).await;
    assert!(emu.http.get(format!("{}/v1/customers", emu.base)).bearer_auth(KEY).send().await.is_err());
}

#[tokio::test]
async fn reset_forgets_everything() {
    let emu = start().await;
    emu.report(10, "guaranteed").await;
    emu.faults(json!({ "error_rate": 1.0 })).await;
    let r = emu.http.post(format!("{}/_emulator/reset", emu.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(ids(&emu.list("/v1/payment_records").await).is_empty());
    let bad = emu.http.post(format!("{}/_emulator/faults", emu.base)).bearer_auth(KEY).json(&json!({ "error_rate": 2 })).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

/// A web page can make a browser post a form to any origin, but not with an `Authorization`
/// header: requiring the API key keeps pages away from faults, reset and Dashboard edits.
#[tokio::test]
async fn control_routes_require_the_api_key() {
    let emu = start().await;
    let record = id(&emu.report(10, "guaranteed").await);
    let control = |path: &str| format!("{}/_emulator/{path}", emu.base);
    let form = "application/x-www-form-urlencoded";
    let attempts = [
        emu.http.post(control("faults")).header("content-type", form).body("error_rate=1"),
        emu.http.post(control("reset")).header("content-type", form).body(""),
        emu.http.post(control(&format!("payment_records/{record}"))).header("content-type", form).body("description=forged"),
        emu.http.delete(control(&format!("payment_records/{record}"))),
        emu.http.get(control("faults")),
        emu.http.get(control("stats")),
        emu.http.post(control("reset")).bearer_auth("sk_live_emulator_tests"),
    ];
    for attempt in attempts {
        let (status, _, body) = emu.send(attempt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["type"].as_str(), Some("invalid_request_error"), "{body}");
    }
    assert_eq!(emu.list(&format!("/v1/payment_records/{record}")).await["description"], Value::Null);
    assert_eq!(emu.list("/v1/payment_records").await["data"].as_array().map(Vec::len), Some(1));
    emu.faults(json!({ "error_rate": 0.5 })).await;
    let (status, _, faults) = emu.send(emu.http.get(control("faults")).bearer_auth(KEY)).await;
    assert_eq!((status, faults["error_rate"].as_f64()), (StatusCode::OK, Some(0.5)));
}

#[tokio::test]
async fn a_dashboard_edit_changes_a_record_without_an_event() {
    let emu = start().await;
    let record = id(&emu.report(10, "guaranteed").await);
    let r = emu
        .http
        .post(format!("{}/_emulator/payment_records/{record}", emu.base))
        .bearer_auth(KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("description=edited&metadata[note]=by+hand")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = emu.list(&format!("/v1/payment_records/{record}")).await;
    assert_eq!((after["description"].as_str(), after["metadata"]["note"].as_str()), (Some("edited"), Some("by hand")));
    assert!(ids(&emu.list("/v1/events").await).is_empty());
}
