//! Regio's Stripe client against the emulator, over real HTTP on loopback: every call the
//! product makes, pagination, idempotent replay and mismatch, retries through injected faults
//! with the same idempotency key, and the refund limit.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::HeaderMap;
use futures_util::{StreamExt, TryStreamExt};
use regio::server::stripe::client::credit_notes::{CreateCreditNote, CreditNoteStatus, LinkRecordRefund, ListCreditNotes};
use regio::server::stripe::client::customers::{CreateCustomer, Customer, ListCustomers};
use regio::server::stripe::client::events::ListEvents;
use regio::server::stripe::client::invoice_items::{CreateInvoiceItem, ItemCharge, ListInvoiceItems};
use regio::server::stripe::client::invoice_payments::{InvoicePaymentKind, InvoicePaymentStatus, ListInvoicePayments};
use regio::server::stripe::client::invoices::{AttachPayment, CreateInvoice, FinalizeInvoice, InvoiceStatus, ListInvoices, PayInvoice};
use regio::server::stripe::client::payment_attempt_records::ListPaymentAttemptRecords;
use regio::server::stripe::client::payment_details::{CustomPaymentMethod, CustomProcessor, CustomerDetails, PaymentOutcome};
use regio::server::stripe::client::payment_records::{
    ListPaymentRecords, PaymentRecord, ReportAttemptInformational, ReportPayment, ReportPaymentAttempt, ReportRefund,
};
use regio::server::stripe::client::prices::{CreatePrice, Interval, ListPrices, Recurring};
use regio::server::stripe::client::products::{CreateProduct, ListProducts};
use regio::server::stripe::client::subscriptions::{
    CancelSubscription, CreateSubscription, ListSubscriptions, NewItem, SubscriptionStatus, UpdateSubscription,
};
use regio::server::stripe::client::test_clocks::{CreateTestClock, TestClockStatus};
use regio::server::stripe::client::webhook_endpoints::CreateWebhookEndpoint;
use regio::server::stripe::client::{
    Amount, ClientConfig, ErrorType, Expandable, IdempotencyKey, ListOptions, Metadata, RateLimit, RetryPolicy, SecretKey, StripeClient, StripeError,
    TimeRange, Update, webhook,
};
use regio::server::stripe::emulator;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The API key for the emulator's API and its control routes.
const KEY: &str = "sk_test_regio_client";

/// A fresh emulator on its own port, and a client pointed at it.
struct Emulator {
    base: String,
    http: reqwest::Client,
}

impl Emulator {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(emulator::serve(listener));
        Self { base: format!("http://{addr}"), http: reqwest::Client::new() }
    }

    fn client(&self, retry: RetryPolicy) -> StripeClient {
        let mut config = ClientConfig::new(SecretKey::new(KEY).expect("key")).with_base_url(self.base.as_str());
        config.retry = retry;
        config.rate_limit = Some(RateLimit::per_second(std::num::NonZeroU32::new(1000).expect("non-zero")));
        StripeClient::new(config).expect("client")
    }

    /// Retries with short pauses, so fault tests stay quick.
    fn retrying_client(&self) -> StripeClient {
        self.client(RetryPolicy { max_retries: 3, initial_backoff: Duration::from_millis(5), max_backoff: Duration::from_millis(20) })
    }

    async fn faults(&self, settings: &[(&str, &str)]) {
        let response = self.http.post(format!("{}/_emulator/faults", self.base)).bearer_auth(KEY).form(settings).send().await.expect("faults");
        assert!(response.status().is_success(), "fault settings refused: {:?}", response.text().await);
    }

    async fn stat(&self, name: &str) -> u64 {
        let stats: Value =
            self.http.get(format!("{}/_emulator/stats", self.base)).bearer_auth(KEY).send().await.expect("stats").json().await.expect("stats json");
        stats[name].as_u64().unwrap_or_else(|| panic!("no counter {name} in {stats}"))
    }
}

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()).expect("i64 seconds")
}

fn key(operation: &str, action: &str) -> IdempotencyKey {
    IdempotencyKey::derive(operation, action).expect("idempotency key")
}

fn payment(value: i64, outcome: Option<PaymentOutcome>, customer: Option<&str>) -> ReportPayment {
    let mut metadata = Metadata::new();
    metadata.insert("ledger_tx".into(), "tx_1".into());
    ReportPayment {
        amount_requested: Amount::new("jpy", value),
        initiated_at: now() - 60,
        payment_method: CustomPaymentMethod {
            custom_type: "cpmt_regio".into(),
            display_name: Some("Regio".into()),
            billing_details: None,
            payment_method: None,
        },
        outcome,
        processor: Some(CustomProcessor { payment_reference: "tx_1".into() }),
        customer_details: customer.map(|c| CustomerDetails { customer: Some(c.into()), ..Default::default() }),
        customer_presence: None,
        description: Some("Membership fee".into()),
        shipping_details: None,
        metadata,
    }
}

fn guaranteed() -> Option<PaymentOutcome> {
    Some(PaymentOutcome::Guaranteed { guaranteed_at: now() - 30 })
}

fn refund(value: Option<i64>, reference: &str) -> ReportRefund {
    ReportRefund {
        amount: value.map(|v| Amount::new("jpy", v)),
        refund_reference: reference.into(),
        refunded_at: now(),
        initiated_at: None,
        metadata: Metadata::new(),
    }
}

fn api_error(result: Result<impl std::fmt::Debug, StripeError>) -> Box<regio::server::stripe::client::ApiError> {
    match result {
        Err(StripeError::Api(api)) => api,
        other => panic!("expected a Stripe API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_payment_record_is_reported_read_and_refunded_up_to_its_amount() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let records = stripe.payment_records();

    let record = records.report_payment(&payment(1500, guaranteed(), None), &key("tx_1", "report_payment")).await.unwrap();
    assert!(record.id.starts_with("pr_"), "{}", record.id);
    assert_eq!(record.payment.amount_requested, Amount::new("jpy", 1500));
    assert_eq!(record.payment.amount_guaranteed, Amount::new("jpy", 1500));
    assert_eq!(record.metadata.get("ledger_tx").map(String::as_str), Some("tx_1"));

    let fetched = records.retrieve(&record.id, &["latest_payment_attempt_record"]).await.unwrap();
    let attempt = fetched.latest_payment_attempt_record.as_ref().and_then(Expandable::as_object).expect("expanded");
    assert_eq!(attempt.payment_record.as_deref(), Some(record.id.as_str()));
    let attempts = stripe.payment_attempt_records().list(&ListPaymentAttemptRecords::of(&record.id)).collect_all().await.unwrap();
    assert_eq!(attempts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [attempt.id.as_str()]);
    let same_attempt = stripe.payment_attempt_records().retrieve(&attempt.id, &[]).await.unwrap();
    assert_eq!(same_attempt.payment.amount_guaranteed.value, 1500);

    let informational = ReportAttemptInformational { description: Some(Update::Set("Membership fee, March".into())), ..Default::default() };
    let described = records.report_payment_attempt_informational(&record.id, &informational, &key("tx_1", "describe")).await.unwrap();
    assert_eq!(described.payment.description.as_deref(), Some("Membership fee, March"));

    let partly = records.report_refund(&record.id, &refund(Some(500), "rf_1"), &key("rf_1", "report_refund")).await.unwrap();
    assert_eq!(partly.payment.amount_refunded, Amount::new("jpy", 500));

    let too_much = api_error(records.report_refund(&record.id, &refund(Some(1001), "rf_2"), &key("rf_2", "report_refund")).await);
    assert_eq!((too_much.status, too_much.kind.clone()), (400, ErrorType::InvalidRequestError));
    assert!(!too_much.is_retryable());

    let rest = records.report_refund(&record.id, &refund(None, "rf_3"), &key("rf_3", "report_refund")).await.unwrap();
    assert_eq!(rest.payment.amount_refunded.value, 1500);
    let nothing_left = api_error(records.report_refund(&record.id, &refund(Some(1), "rf_4"), &key("rf_4", "report_refund")).await);
    assert_eq!(nothing_left.status, 400);
}

#[tokio::test]
async fn attempts_fail_cancel_and_finally_guarantee() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let records = stripe.payment_records();
    let pending = records.report_payment(&payment(800, None, None), &key("tx_2", "report_payment")).await.unwrap();
    assert_eq!(pending.payment.amount_guaranteed.value, 0);
    let first_attempt = pending.latest_payment_attempt_record.as_ref().map(|a| a.id().to_owned());

    let failed = records.report_payment_attempt_failed(&pending.id, now(), None, &key("tx_2", "fail_1")).await.unwrap();
    assert_eq!(failed.payment.amount_guaranteed.value, 0);

    let retry =
        ReportPaymentAttempt { initiated_at: now(), outcome: None, payment_method: None, description: None, shipping_details: None, metadata: Metadata::new() };
    let second = records.report_payment_attempt(&pending.id, &retry, &key("tx_2", "attempt_2")).await.unwrap();
    let second_attempt = second.latest_payment_attempt_record.as_ref().map(|a| a.id().to_owned());
    assert_ne!(second_attempt, first_attempt);
    records.report_payment_attempt_canceled(&pending.id, now(), &key("tx_2", "cancel_2")).await.unwrap();

    records.report_payment_attempt(&pending.id, &retry, &key("tx_2", "attempt_3")).await.unwrap();
    let paid = records.report_payment_attempt_guaranteed(&pending.id, now(), &key("tx_2", "guarantee_3")).await.unwrap();
    assert_eq!(paid.payment.amount_guaranteed, Amount::new("jpy", 800));

    let terminal = api_error(records.report_payment_attempt_canceled(&pending.id, now(), &key("tx_2", "cancel_3")).await);
    assert_eq!(terminal.status, 400);
    let no_new_attempt = api_error(records.report_payment_attempt(&pending.id, &retry, &key("tx_2", "attempt_4")).await);
    assert_eq!(no_new_attempt.kind, ErrorType::InvalidRequestError);

    let attempts = stripe.payment_attempt_records().list(&ListPaymentAttemptRecords::of(&pending.id)).collect_all().await.unwrap();
    assert_eq!(attempts.len(), 3);
}

#[tokio::test]
async fn lists_page_through_every_record_newest_first() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let mut created = Vec::new();
    for n in 0..7 {
        let request = payment(100 + n, guaranteed(), None);
        let record = stripe.payment_records().report_payment(&request, &key(&format!("tx_p{n}"), "report_payment")).await;
        created.push(record.unwrap().id);
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let mut pager = stripe.payment_records().list(&ListPaymentRecords { page: ListOptions::limit(3), ..Default::default() });
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        sizes.push(page.len());
        seen.extend(page.into_iter().map(|r| r.id));
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, newest_first);

    let mut one_by_one = stripe.payment_records().list(&ListPaymentRecords { page: ListOptions::limit(2), ..Default::default() });
    let mut items = Vec::new();
    while let Some(record) = one_by_one.next_item().await.unwrap() {
        items.push(record.id);
    }
    assert_eq!(items, newest_first);

    let streamed: Vec<String> = stripe
        .payment_records()
        .list(&ListPaymentRecords { page: ListOptions::limit(2), ..Default::default() })
        .into_stream()
        .map(|record| record.map(|r| r.id))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, newest_first, "the stream walks every page");

    // Backwards from the oldest: pages of newer records, each page newest first.
    let backwards = ListOptions { limit: Some(2), ending_before: Some(created[0].clone()), ..Default::default() };
    let mut pager = stripe.payment_records().list(&ListPaymentRecords { page: backwards, ..Default::default() });
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        pages.push(page.into_iter().map(|r| r.id).collect::<Vec<_>>());
    }
    let expected: Vec<Vec<String>> = [[2, 1], [4, 3], [6, 5]].iter().map(|p| p.map(|i| created[i].clone()).to_vec()).collect();
    assert_eq!(pages, expected);

    let window = |after: i64, before: i64| ListPaymentRecords { created_after: Some(after), created_before: Some(before), page: ListOptions::limit(5) };
    let all = stripe.payment_records().list(&window(now() - 3600, now() + 3600)).collect_all().await.unwrap();
    assert_eq!(all.len(), 7);
    let none = stripe.payment_records().list(&window(now() - 7200, now() - 3600)).collect_all().await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn the_same_key_replays_and_different_parameters_are_an_idempotency_error() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let request = payment(1200, guaranteed(), None);
    let once = key("tx_3", "report_payment");
    let first = stripe.payment_records().report_payment(&request, &once).await.unwrap();
    let again = stripe.payment_records().report_payment(&request, &once).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(emu.stat("idempotent_replays").await, 1);

    let changed = ReportPayment { amount_requested: Amount::new("jpy", 1300), ..request };
    let error = stripe.payment_records().report_payment(&changed, &once).await.unwrap_err();
    assert!(error.is_idempotency_error(), "{error}");
    assert!(!error.is_retryable());
    let all = stripe.payment_records().list(&ListPaymentRecords::default()).collect_all().await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn injected_500s_and_429s_are_retried_with_the_same_key() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();

    emu.faults(&[("fail_next", "2")]).await;
    let after_500s = stripe.payment_records().report_payment(&payment(100, guaranteed(), None), &key("tx_4", "report_payment")).await;
    assert_eq!(after_500s.unwrap().payment.amount_guaranteed.value, 100);
    assert_eq!(emu.stat("injected_errors").await, 2);

    emu.faults(&[("rate_limit_next", "2")]).await;
    let after_429s = stripe.payment_records().report_payment(&payment(200, guaranteed(), None), &key("tx_5", "report_payment")).await;
    assert_eq!(after_429s.unwrap().payment.amount_guaranteed.value, 200);
    assert_eq!(emu.stat("rate_limited").await, 2);

    let all = stripe.payment_records().list(&ListPaymentRecords::default()).collect_all().await.unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn a_lost_response_is_retried_into_a_replay_not_a_second_payment() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    emu.faults(&[("lose_next", "1")]).await;
    let record = stripe.payment_records().report_payment(&payment(900, guaranteed(), None), &key("tx_6", "report_payment")).await;
    assert_eq!(record.unwrap().payment.amount_requested.value, 900);
    assert_eq!(emu.stat("lost_responses").await, 1);
    // The retry carried the first attempt's key, so the emulator replayed instead of recording again.
    assert_eq!(emu.stat("idempotent_replays").await, 1);
    let all = stripe.payment_records().list(&ListPaymentRecords::default()).collect_all().await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_returned() {
    let emu = Emulator::start().await;
    let stripe = emu.client(RetryPolicy { max_retries: 2, initial_backoff: Duration::from_millis(5), max_backoff: Duration::from_millis(20) });
    emu.faults(&[("fail_next", "10")]).await;
    let error = api_error(stripe.customers().create(&CreateCustomer::default(), &key("c_1", "create_customer")).await);
    assert_eq!((error.status, error.kind.clone()), (500, ErrorType::ApiError));
    assert!(error.is_retryable());
    assert_eq!(emu.stat("injected_errors").await, 3);

    let never = emu.client(RetryPolicy::never());
    let once = api_error(never.customers().retrieve("cus_missing", &[]).await);
    assert_eq!(once.status, 500);
    assert_eq!(emu.stat("injected_errors").await, 4);
}

#[tokio::test]
async fn stripe_errors_arrive_with_status_type_code_and_param() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let missing = api_error(stripe.payment_records().retrieve("pr_missing", &[]).await);
    assert_eq!((missing.status, missing.code.as_deref()), (404, Some("resource_missing")));
    assert_eq!(missing.kind, ErrorType::InvalidRequestError);
    assert!(missing.request_id.as_deref().is_some_and(|id| id.starts_with("req_")));

    let mut bad_currency = payment(100, guaranteed(), None);
    bad_currency.amount_requested = Amount::new("zzz", 100);
    let invalid = api_error(stripe.payment_records().report_payment(&bad_currency, &key("tx_7", "report_payment")).await);
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.param.as_deref(), Some("amount_requested[currency]"));

    let live = StripeClient::new(ClientConfig::new(SecretKey::new("sk_live_regio").expect("key")).with_base_url(emu.base.as_str())).unwrap();
    let refused = api_error(live.customers().retrieve("cus_1", &[]).await);
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn an_invoice_is_paid_by_a_payment_record_and_credited_on_refund() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let customer = stripe
        .customers()
        .create(
            &CreateCustomer { name: Some("Aiko".into()), email: Some("aiko@example.org".into()), ..Default::default() },
            &key("member_1", "create_customer"),
        )
        .await
        .unwrap();
    assert_eq!(stripe.customers().retrieve(&customer.id, &[]).await.unwrap(), customer);
    let by_email = ListCustomers { email: Some("aiko@example.org".into()), ..Default::default() };
    assert_eq!(stripe.customers().list(&by_email).collect_all().await.unwrap(), std::slice::from_ref(&customer));

    let product =
        stripe.products().create(&CreateProduct { name: "Hall rental".into(), ..Default::default() }, &key("prod_1", "create_product")).await.unwrap();
    assert_eq!(stripe.products().retrieve(&product.id, &[]).await.unwrap().name, "Hall rental");
    assert_eq!(stripe.products().list(&ListProducts::default()).collect_all().await.unwrap().len(), 1);
    let price = stripe
        .prices()
        .create(
            &CreatePrice {
                product: product.id.clone(),
                currency: "jpy".into(),
                unit_amount: 1000,
                recurring: None,
                nickname: None,
                lookup_key: None,
                metadata: Metadata::new(),
            },
            &key("price_1", "create_price"),
        )
        .await
        .unwrap();
    assert_eq!(stripe.prices().retrieve(&price.id, &["product"]).await.unwrap().product.id(), product.id);
    let prices = stripe.prices().list(&ListPrices { product: Some(product.id.clone()), ..Default::default() });
    assert_eq!(prices.collect_all().await.unwrap().len(), 1);

    let invoices = stripe.invoices();
    let draft = invoices.create(&CreateInvoice::send_invoice(&customer.id, "jpy", 14), &key("inv_1", "create_invoice")).await;
    let draft = draft.unwrap();
    assert_eq!(draft.status, Some(InvoiceStatus::Draft));
    for (n, charge) in
        [ItemCharge::Amount { amount: 2000, currency: "jpy".into() }, ItemCharge::Price { price: price.id.clone(), quantity: Some(1) }].into_iter().enumerate()
    {
        let item = CreateInvoiceItem { customer: customer.id.clone(), invoice: Some(draft.id.clone()), charge, description: None, metadata: Metadata::new() };
        let created = stripe.invoice_items().create(&item, &key(&format!("inv_1_{n}"), "create_item")).await.unwrap();
        assert_eq!(stripe.invoice_items().retrieve(&created.id, &[]).await.unwrap().id, created.id);
    }
    let items = stripe.invoice_items().list(&ListInvoiceItems { invoice: Some(draft.id.clone()), ..Default::default() });
    assert_eq!(items.collect_all().await.unwrap().len(), 2);

    let open = invoices.finalize(&draft.id, &FinalizeInvoice::default(), &key("inv_1", "finalize")).await.unwrap();
    assert_eq!((open.status, open.amount_remaining), (Some(InvoiceStatus::Open), 3000));
    let record = stripe.payment_records().report_payment(&payment(3000, guaranteed(), Some(&customer.id)), &key("tx_8", "report_payment")).await.unwrap();
    let paid = invoices.attach_payment(&open.id, &AttachPayment::PaymentRecord(record.id.clone()), &key("inv_1", "attach_payment")).await.unwrap();
    assert_eq!((paid.status, paid.amount_paid), (Some(InvoiceStatus::Paid), 3000));
    let off_stripe = invoices.retrieve(&paid.id, &["amount_paid_off_stripe"]).await.unwrap();
    assert_eq!(off_stripe.amount_paid_off_stripe, Some(3000));

    let by_invoice = ListInvoicePayments { invoice: Some(paid.id.clone()), ..Default::default() };
    let payments = stripe.invoice_payments().list(&by_invoice).collect_all().await.unwrap();
    assert_eq!(payments.len(), 1);
    let invoice_payment = stripe.invoice_payments().retrieve(&payments[0].id, &[]).await.unwrap();
    assert_eq!(invoice_payment.status, InvoicePaymentStatus::Paid);
    assert_eq!(invoice_payment.payment.kind, InvoicePaymentKind::PaymentRecord);
    assert_eq!(invoice_payment.payment.payment_record.as_ref().map(Expandable::id), Some(record.id.as_str()));
    let by_record = ListInvoicePayments { payment_record: Some(record.id.clone()), ..Default::default() };
    assert_eq!(stripe.invoice_payments().list(&by_record).collect_all().await.unwrap(), payments);

    stripe.payment_records().report_refund(&record.id, &refund(Some(1000), "rf_inv_1"), &key("rf_inv_1", "report_refund")).await.unwrap();
    let note = stripe
        .credit_notes()
        .create(
            &CreateCreditNote {
                invoice: paid.id.clone(),
                amount: Some(1000),
                refunds: vec![LinkRecordRefund { payment_record: record.id.clone(), refund_group: "rf_inv_1".into(), amount_refunded: Some(1000) }],
                ..Default::default()
            },
            &key("rf_inv_1", "credit_note"),
        )
        .await
        .unwrap();
    assert_eq!((note.amount, note.status), (1000, CreditNoteStatus::Issued));
    assert_eq!(note.refunds.first().and_then(|r| r.payment_record_refund.as_ref()).map(|r| r.refund_group.as_str()), Some("rf_inv_1"));
    let notes = stripe.credit_notes().list(&ListCreditNotes { invoice: Some(paid.id.clone()), ..Default::default() });
    assert_eq!(notes.collect_all().await.unwrap(), [note]);

    // A second invoice is sent and voided, a third is settled out of band.
    let second = invoices.create(&CreateInvoice::send_invoice(&customer.id, "jpy", 7), &key("inv_2", "create_invoice")).await.unwrap();
    let item = CreateInvoiceItem {
        customer: customer.id.clone(),
        invoice: Some(second.id.clone()),
        charge: ItemCharge::Amount { amount: 500, currency: "jpy".into() },
        description: Some("Late fee".into()),
        metadata: Metadata::new(),
    };
    stripe.invoice_items().create(&item, &key("inv_2", "create_item")).await.unwrap();
    invoices.finalize(&second.id, &FinalizeInvoice::default(), &key("inv_2", "finalize")).await.unwrap();
    assert_eq!(invoices.send(&second.id, &key("inv_2", "send")).await.unwrap().status, Some(InvoiceStatus::Open));
    assert_eq!(invoices.void(&second.id, &key("inv_2", "void")).await.unwrap().status, Some(InvoiceStatus::Void));

    let third = invoices.create(&CreateInvoice::send_invoice(&customer.id, "jpy", 7), &key("inv_3", "create_invoice")).await.unwrap();
    let item = CreateInvoiceItem { invoice: Some(third.id.clone()), ..item };
    stripe.invoice_items().create(&item, &key("inv_3", "create_item")).await.unwrap();
    invoices.finalize(&third.id, &FinalizeInvoice::default(), &key("inv_3", "finalize")).await.unwrap();
    let settled = invoices.pay(&third.id, &PayInvoice { paid_out_of_band: Some(true) }, &key("inv_3", "pay")).await;
    assert_eq!(settled.unwrap().status, Some(InvoiceStatus::Paid));

    let of_customer = ListInvoices { customer: Some(customer.id.clone()), ..Default::default() };
    let listed: Vec<String> = invoices.list(&of_customer).collect_all().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(listed, [third.id.clone(), second.id.clone(), paid.id.clone()]);
    let voided = ListInvoices { status: Some(InvoiceStatus::Void), ..of_customer };
    assert_eq!(invoices.list(&voided).collect_all().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_subscription_bills_each_period_as_its_test_clock_advances() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let start = now();
    let clock =
        stripe.test_clocks().create(&CreateTestClock { frozen_time: start, name: Some("monthly".into()) }, &key("clock_1", "create_clock")).await.unwrap();
    assert_eq!((clock.frozen_time, clock.status), (start, TestClockStatus::Ready));
    let customer: Customer = stripe
        .customers()
        .create(&CreateCustomer { test_clock: Some(clock.id.clone()), ..Default::default() }, &key("member_2", "create_customer"))
        .await
        .unwrap();
    let product = stripe.products().create(&CreateProduct { name: "Membership".into(), ..Default::default() }, &key("prod_2", "create_product")).await.unwrap();
    let monthly = CreatePrice {
        product: product.id,
        currency: "jpy".into(),
        unit_amount: 3000,
        recurring: Some(Recurring { interval: Interval::Month, interval_count: None }),
        nickname: None,
        lookup_key: None,
        metadata: Metadata::new(),
    };
    let price = stripe.prices().create(&monthly, &key("price_2", "create_price")).await.unwrap();

    let request = CreateSubscription {
        customer: customer.id.clone(),
        items: vec![NewItem { price: price.id.clone(), quantity: None }],
        collection_method: Some(regio::server::stripe::client::invoices::CollectionMethod::SendInvoice),
        days_until_due: Some(7),
        description: None,
        metadata: Metadata::new(),
    };
    let subscription = stripe.subscriptions().create(&request, &key("member_2", "subscribe")).await.unwrap();
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert_eq!(subscription.items.data.first().map(|i| i.price.id.as_str()), Some(price.id.as_str()));
    let first_invoice = subscription.latest_invoice.as_ref().map(|i| i.id().to_owned()).expect("first invoice");
    let opened = stripe.invoices().retrieve(&first_invoice, &[]).await.unwrap();
    assert_eq!((opened.status, opened.subscription_id()), (Some(InvoiceStatus::Open), Some(subscription.id.as_str())));

    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("plan".to_owned(), Update::Set("standard".to_owned()));
    let update = UpdateSubscription { metadata, description: Some(Update::Set("Standard".into())), ..Default::default() };
    let updated = stripe.subscriptions().update(&subscription.id, &update, &key("member_2", "update_plan")).await.unwrap();
    assert_eq!(updated.metadata.get("plan").map(String::as_str), Some("standard"));
    assert_eq!(stripe.subscriptions().retrieve(&subscription.id, &[]).await.unwrap().description.as_deref(), Some("Standard"));

    let advanced = stripe.test_clocks().advance(&clock.id, start + 32 * 86_400, &key("clock_1", "advance_1")).await.unwrap();
    assert_eq!(advanced.frozen_time, start + 32 * 86_400);
    assert_eq!(stripe.test_clocks().retrieve(&clock.id).await.unwrap().status, TestClockStatus::Ready);
    let billed = ListInvoices { subscription: Some(subscription.id.clone()), ..Default::default() };
    assert_eq!(stripe.invoices().list(&billed).collect_all().await.unwrap().len(), 2);

    let mine = ListSubscriptions { customer: Some(customer.id.clone()), ..Default::default() };
    assert_eq!(stripe.subscriptions().list(&mine).collect_all().await.unwrap().len(), 1);
    let canceled = stripe.subscriptions().cancel(&subscription.id, &CancelSubscription::default()).await.unwrap();
    assert_eq!(canceled.status, SubscriptionStatus::Canceled);
}

/// Receives webhook deliveries on its own loopback port.
async fn webhook_receiver() -> (SocketAddr, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send((headers, body));
                "ok"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
    let addr = listener.local_addr().expect("receiver addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, receiver)
}

#[tokio::test]
async fn events_are_listed_and_delivered_with_a_verifiable_signature() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let (addr, mut deliveries) = webhook_receiver().await;
    let endpoint = stripe
        .webhook_endpoints()
        .create(
            &CreateWebhookEndpoint {
                url: format!("http://{addr}/hook"),
                enabled_events: vec!["customer.created".into()],
                api_version: None,
                description: None,
                metadata: Metadata::new(),
            },
            &key("hook_1", "create_webhook_endpoint"),
        )
        .await
        .unwrap();
    let secret = endpoint.secret.expect("a new endpoint returns its secret");
    assert!(secret.expose().starts_with("whsec_"));

    let since = now() - 1;
    let customer = stripe.customers().create(&CreateCustomer::default(), &key("member_3", "create_customer")).await.unwrap();

    // A safety net against a hang, not a speed requirement.
    let (headers, body) = tokio::time::timeout(Duration::from_secs(30), deliveries.recv()).await.unwrap().unwrap();
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).expect("signature header");
    let event = webhook::construct_event(&body, signature, &secret).unwrap();
    assert_eq!(event.kind, "customer.created");
    assert_eq!(event.object::<Customer>().unwrap().id, customer.id);
    let mut tampered = body.to_vec();
    tampered.extend_from_slice(b" ");
    assert_eq!(webhook::verify(&tampered, signature, &secret), Err(webhook::WebhookError::SignatureMismatch));

    let listed = stripe
        .events()
        .list(&ListEvents { kind: Some("customer.created".into()), created: Some(TimeRange::since(since)), ..Default::default() })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), [event.id.as_str()]);
    let fetched = stripe.events().retrieve(&event.id).await.unwrap();
    assert_eq!(fetched.kind, "customer.created");
    let none = ListEvents { kind: Some("invoice.paid".into()), ..Default::default() };
    assert!(stripe.events().list(&none).collect_all().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_payment_record_is_read_back_identically() {
    let emu = Emulator::start().await;
    let stripe = emu.retrying_client();
    let record: PaymentRecord = stripe.payment_records().report_payment(&payment(4200, guaranteed(), None), &key("tx_9", "report_payment")).await.unwrap();
    assert_eq!(stripe.payment_records().retrieve(&record.id, &[]).await.unwrap(), record);
}

#[tokio::test]
async fn a_concurrent_duplicate_gets_409_and_its_retry_replays_the_first_result() {
    let emu = Emulator::start().await;
    let patient = emu.client(RetryPolicy { max_retries: 200, initial_backoff: Duration::from_millis(5), max_backoff: Duration::from_millis(10) });
    emu.faults(&[("hold", "true")]).await;
    let request = payment(700, guaranteed(), None);
    let first = tokio::spawn({
        let (stripe, request) = (patient.clone(), request.clone());
        async move { stripe.payment_records().report_payment(&request, &key("tx_10", "report_payment")).await }
    });
    wait_for(&emu, "in_flight", 1).await;
    let duplicate = tokio::spawn({
        let (stripe, request) = (patient.clone(), request.clone());
        async move { stripe.payment_records().report_payment(&request, &key("tx_10", "report_payment")).await }
    });
    wait_for(&emu, "idempotency_conflicts", 1).await;
    emu.faults(&[("hold", "false")]).await;

    let first = first.await.unwrap().unwrap();
    let duplicate = duplicate.await.unwrap().unwrap();
    assert_eq!(duplicate, first);
    assert!(emu.stat("idempotent_replays").await >= 1);
    let all = patient.payment_records().list(&ListPaymentRecords::default()).collect_all().await.unwrap();
    assert_eq!(all.len(), 1);
}

/// Waits until an emulator counter reaches `at_least`; the cap only guards against a hang.
async fn wait_for(emu: &Emulator, counter: &str, at_least: u64) {
    for _ in 0..10_000 {
        if emu.stat(counter).await >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("{counter} never reached {at_least}");
}
