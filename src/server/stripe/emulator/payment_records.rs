//! Payment Records (`pr_`): payments made outside Stripe, reported with their attempts. A record's
//! amounts mirror its latest attempt (at most one attempt is ever guaranteed, and no attempt
//! follows it); `amount_refunded` sums the reported refunds.

use super::details::{self, customer_of};
use super::errors::{ApiError, ApiResult};
use super::list::{CreatedRange, ListQuery, PAGINATION, list_json, paginate};
use super::params::{Fields, Metadata};
use super::payment_attempts::PaymentAttempt;
use super::request::Req;
use super::store::{Row, Store};
use super::words::{self, Word, Words};
use super::{Emulator, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

const REPORT_PAYMENT: &[&str] = &[
    "amount_requested",
    "canceled",
    "customer_details",
    "customer_presence",
    "description",
    "failed",
    "guaranteed",
    "initiated_at",
    "metadata",
    "outcome",
    "payment_method_details",
    "processor_details",
    "shipping_details",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Initiated, no outcome reported yet.
    Pending,
    Guaranteed,
    Failed,
    Canceled,
}

pub struct CustomerPresence;

impl Words for CustomerPresence {
    const ALL: &'static [&'static str] = &["on_session", "off_session"];
}

/// What a record and each of its attempts show about the payment.
#[derive(Clone, Serialize, Deserialize)]
pub struct Details {
    pub customer_details: Option<Value>,
    #[serde(deserialize_with = "words::optional::<CustomerPresence, _>")]
    pub customer_presence: Option<Word>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub payment_method_details: Value,
    pub processor_details: Value,
    pub shipping_details: Option<Value>,
}

#[derive(Serialize, Deserialize)]
pub struct Refund {
    pub reference: Option<String>,
    pub amount: i64,
    /// How much of this refund credit notes have already accounted for.
    pub credited: i64,
}

#[derive(Serialize, Deserialize)]
pub struct PaymentRecord {
    pub id: String,
    pub created: i64,
    pub currency: String,
    pub amount_requested: i64,
    pub amount_refunded: i64,
    /// The latest attempt's outcome.
    pub outcome: Outcome,
    /// Attempt ids, oldest first.
    pub attempts: Vec<String>,
    pub refunds: Vec<Refund>,
    /// Invoice payments made with this record, oldest first.
    pub invoice_payments: Vec<String>,
    pub details: Details,
}

impl Row for PaymentRecord {
    fn id(&self) -> &str {
        &self.id
    }
}

impl PaymentRecord {
    pub fn amount_guaranteed(&self) -> i64 {
        if self.outcome == Outcome::Guaranteed { self.amount_requested } else { 0 }
    }

    /// What can still be refunded: the guaranteed amount less the refunds reported.
    pub fn refundable(&self) -> i64 {
        self.amount_guaranteed() - self.amount_refunded
    }

    pub fn customer(&self) -> Option<&str> {
        customer_of(&self.details.customer_details)
    }

    pub fn render(&self) -> Value {
        let mut out = render_payment("payment_record", &self.id, self.created, self);
        out.insert("latest_payment_attempt_record".into(), json!(self.attempts.last()));
        Value::Object(out)
    }
}

fn money(currency: &str, value: i64) -> Value {
    json!({ "currency": currency, "value": value })
}

/// The fields a record and an attempt share; the amounts follow the outcome.
pub fn render_payment(object: &str, id: &str, created: i64, payment: &impl Payment) -> Map<String, Value> {
    let (currency, requested, outcome, d) = (payment.currency(), payment.requested(), payment.outcome(), payment.details());
    let when = |o: Outcome| if outcome == o { requested } else { 0 };
    let value = json!({
        "id": id,
        "object": object,
        "amount": money(currency, requested),
        "amount_authorized": money(currency, when(Outcome::Guaranteed)),
        "amount_canceled": money(currency, when(Outcome::Canceled)),
        "amount_failed": money(currency, when(Outcome::Failed)),
        "amount_guaranteed": money(currency, when(Outcome::Guaranteed)),
        "amount_refunded": money(currency, payment.refunded()),
        "amount_requested": money(currency, requested),
        "application": null,
        "created": created,
        "customer_details": d.customer_details,
        "customer_presence": d.customer_presence,
        "description": d.description,
        "livemode": false,
        "metadata": d.metadata,
        "payment_method_details": d.payment_method_details,
        "processor_details": d.processor_details,
        "reported_by": "self",
        "shipping_details": d.shipping_details,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A payment record or one of its attempts, as rendered.
pub trait Payment {
    fn currency(&self) -> &str;
    fn requested(&self) -> i64;
    fn refunded(&self) -> i64;
    fn outcome(&self) -> Outcome;
    fn details(&self) -> &Details;
}

impl Payment for PaymentRecord {
    fn currency(&self) -> &str {
        &self.currency
    }
    fn requested(&self) -> i64 {
        self.amount_requested
    }
    fn refunded(&self) -> i64 {
        self.amount_refunded
    }
    fn outcome(&self) -> Outcome {
        self.outcome
    }
    fn details(&self) -> &Details {
        &self.details
    }
}

/// `outcome` with its matching `guaranteed[guaranteed_at]`, `failed[failed_at]` or
/// `canceled[canceled_at]`; no outcome means the attempt is only initiated.
pub fn reported_outcome(p: &Fields<'_>) -> Result<Outcome, ApiError> {
    let outcome = p.one_of("outcome", &["guaranteed", "failed", "canceled"])?;
    for (name, at) in [("guaranteed", "guaranteed_at"), ("failed", "failed_at"), ("canceled", "canceled_at")] {
        match (p.object(name, &[at])?, outcome == Some(name)) {
            (Some(given), true) => {
                given.required_timestamp(at)?;
            }
            (None, true) => return Err(ApiError::missing(&format!("{name}[{at}]"))),
            (Some(_), false) => {
                return Err(ApiError::invalid_value(name, format!("{name} can only be provided when outcome is {name}.")));
            }
            (None, false) => {}
        }
    }
    Ok(match outcome {
        Some("guaranteed") => Outcome::Guaranteed,
        Some("failed") => Outcome::Failed,
        Some(_) => Outcome::Canceled,
        None => Outcome::Pending,
    })
}

pub fn check_customer(store: &Store, details: &Option<Value>) -> Result<(), ApiError> {
    match customer_of(details) {
        Some(c) if !store.customers.contains(c) => Err(ApiError::no_such_param("customer", c, "customer_details[customer]")),
        _ => Ok(()),
    }
}

pub async fn report_payment(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(REPORT_PAYMENT)?;
    let amount = p.required_object("amount_requested", &["currency", "value"])?;
    let currency = amount.required_currency("currency")?;
    let value = amount.required_amount("value")?;
    p.required_timestamp("initiated_at")?;
    let outcome = reported_outcome(&p)?;
    let details = Details {
        customer_details: details::customer_details(&p)?,
        customer_presence: p.one_of("customer_presence", CustomerPresence::ALL)?,
        description: p.text("description")?,
        metadata: p.new_metadata("metadata")?,
        payment_method_details: details::payment_method_details(&p)?.ok_or_else(|| ApiError::missing("payment_method_details"))?,
        processor_details: details::processor_details(&p)?,
        shipping_details: details::shipping_details(&p)?,
    };
    emu.write(&req.meta, |store| {
        check_customer(store, &details.customer_details)?;
        let now = store.now();
        let id = ids::new_id("pr");
        let attempt = PaymentAttempt::new(&id, now, &currency, value, outcome, details.clone());
        let record = PaymentRecord {
            attempts: vec![attempt.id.clone()],
            id,
            created: now,
            currency,
            amount_requested: value,
            amount_refunded: 0,
            outcome,
            refunds: Vec::new(),
            invoice_payments: Vec::new(),
            details,
        };
        let body = record.render();
        store.payment_attempts.insert(attempt);
        store.payment_records.insert(record);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let record = store.payment_records.get(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        req.respond(store, record.render())
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["created_after", "created_before"]].concat())?;
    let query = ListQuery::parse(&p)?;
    // Read as strict bounds: "created after" and "created before" the given second.
    let range = CreatedRange { min: p.timestamp("created_after")?.map(|t| t + 1), max: p.timestamp("created_before")?.map(|t| t - 1) };
    emu.read(|store| {
        let table = &store.payment_records;
        let window = range.window(table.rows(), |r| r.created);
        let lo = window.start as i64;
        let at = |id: &str| table.position(id).map(|p| p as i64 - lo);
        let page = paginate(&table.rows()[window], &query, at, |_| true, "payment_record")?;
        let data = page.items.into_iter().map(PaymentRecord::render).collect();
        req.respond(store, list_json("/v1/payment_records", data, page.has_more))
    })
    .await
}

/// Changes what the record says about the payment without a new attempt; it applies to the
/// record and its latest attempt.
pub async fn report_informational(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["customer_details", "description", "metadata", "shipping_details"])?;
    let customer_details = p.has("customer_details").then(|| details::customer_details(&p)).transpose()?;
    let description = p.has("description").then(|| p.text("description")).transpose()?;
    let metadata = p.metadata("metadata")?;
    let shipping = p.has("shipping_details").then(|| details::shipping_details(&p)).transpose()?;
    emu.write(&req.meta, |store| {
        if let Some(c) = &customer_details {
            check_customer(store, c)?;
        }
        let record = store.payment_records.get(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        let mut next = record.details.clone();
        if let Some(patch) = &metadata {
            next.metadata = patch.applied(&next.metadata)?;
        }
        if let Some(c) = customer_details {
            next.customer_details = c;
        }
        if let Some(d) = description {
            next.description = d;
        }
        if let Some(s) = shipping {
            next.shipping_details = s;
        }
        let latest = record.attempts.last().cloned();
        if let Some(attempt) = latest.and_then(|a| store.payment_attempts.get_mut(&a)) {
            attempt.details = next.clone();
        }
        let record = store.payment_records.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        record.details = next;
        let body = record.render();
        req.respond(store, body)
    })
    .await
}
