//! Payment Attempt Records (`par_`) and the calls that report them. Stripe's rules: a new
//! attempt only when every other attempt is failed or canceled (so at most one is ever
//! guaranteed), and `_guaranteed/_failed/_canceled` only while the latest attempt has no outcome.

use super::details;
use super::errors::{ApiError, ApiResult};
use super::list::{ListQuery, list_json, paginate_ids};
use super::params::Metadata;
use super::payment_records::{Details, Outcome, Payment, check_customer, render_payment, reported_outcome};
use super::request::Req;
use super::store::{Row, Store};
use super::{Emulator, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct PaymentAttempt {
    pub id: String,
    pub created: i64,
    pub payment_record: String,
    pub currency: String,
    pub amount_requested: i64,
    pub amount_refunded: i64,
    pub outcome: Outcome,
    pub details: Details,
}

impl Row for PaymentAttempt {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Payment for PaymentAttempt {
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

impl PaymentAttempt {
    pub fn new(record: &str, created: i64, currency: &str, requested: i64, outcome: Outcome, details: Details) -> Self {
        PaymentAttempt {
            id: ids::new_id("par"),
            created,
            payment_record: record.to_string(),
            currency: currency.to_string(),
            amount_requested: requested,
            amount_refunded: 0,
            outcome,
            details,
        }
    }

    pub fn render(&self) -> Value {
        let mut out = render_payment("payment_attempt_record", &self.id, self.created, self);
        out.insert("payment_record".into(), json!(self.payment_record));
        Value::Object(out)
    }
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "initiated",
        Outcome::Guaranteed => "guaranteed",
        Outcome::Failed => "failed",
        Outcome::Canceled => "canceled",
    }
}

pub async fn report_attempt(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p =
        req.fields(&["canceled", "description", "failed", "guaranteed", "initiated_at", "metadata", "outcome", "payment_method_details", "shipping_details"])?;
    p.required_timestamp("initiated_at")?;
    let outcome = reported_outcome(&p)?;
    let payment_method = details::payment_method_details(&p)?;
    let description = p.text("description")?;
    let metadata = p.metadata("metadata")?;
    let shipping = details::shipping_details(&p)?;
    emu.write(&req.meta, |store| {
        let record = store.payment_records.get(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        if !matches!(record.outcome, Outcome::Failed | Outcome::Canceled) {
            return Err(ApiError::state(format!(
                "A new payment attempt can only be reported when all other attempts on payment record {id} are \
                 failed or canceled; its latest attempt is {}.",
                outcome_name(record.outcome)
            )));
        }
        let mut next = record.details.clone();
        if let Some(patch) = &metadata {
            next.metadata = patch.applied(&next.metadata)?;
        }
        next.payment_method_details = payment_method.unwrap_or(next.payment_method_details);
        next.description = description.or(next.description);
        next.shipping_details = shipping.or(next.shipping_details);
        check_customer(store, &next.customer_details)?;
        let (currency, requested) = (record.currency.clone(), record.amount_requested);
        let now = store.now();
        let attempt = PaymentAttempt::new(&id, now, &currency, requested, outcome, next.clone());
        let attempt_id = attempt.id.clone();
        store.payment_attempts.insert(attempt);
        let record = store.payment_records.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        record.attempts.push(attempt_id);
        record.outcome = outcome;
        record.details = next;
        let body = record.render();
        req.respond(store, body)
    })
    .await
}

pub async fn report_guaranteed(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    conclude(emu, id, req, Outcome::Guaranteed, "guaranteed_at").await
}

pub async fn report_failed(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    conclude(emu, id, req, Outcome::Failed, "failed_at").await
}

pub async fn report_canceled(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    conclude(emu, id, req, Outcome::Canceled, "canceled_at").await
}

/// Gives the latest attempt its outcome.
async fn conclude(emu: Emulator, id: String, req: Req, outcome: Outcome, at: &str) -> ApiResult {
    let p = req.fields(&[at, "metadata"])?;
    p.required_timestamp(at)?;
    let metadata = p.metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let record = store.payment_records.get(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        if record.outcome != Outcome::Pending {
            return Err(ApiError::state(format!(
                "The latest payment attempt on payment record {id} is already {}; it cannot be reported as {}.",
                outcome_name(record.outcome),
                outcome_name(outcome)
            )));
        }
        let metadata = metadata.as_ref().map(|m| m.applied(&record.details.metadata)).transpose()?;
        let latest = record.attempts.last().cloned().unwrap_or_default();
        conclude_latest(store, &latest, outcome, &metadata);
        let record = store.payment_records.get_mut(&id).ok_or_else(|| ApiError::no_such("payment_record", &id))?;
        record.outcome = outcome;
        if let Some(m) = metadata {
            record.details.metadata = m;
        }
        let body = record.render();
        req.respond(store, body)
    })
    .await
}

fn conclude_latest(store: &mut Store, attempt: &str, outcome: Outcome, metadata: &Option<Metadata>) {
    if let Some(a) = store.payment_attempts.get_mut(attempt) {
        a.outcome = outcome;
        if let Some(m) = metadata {
            a.details.metadata = m.clone();
        }
    }
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["payment_record", "limit", "starting_after"])?;
    let record = p.required_str("payment_record")?.to_string();
    let query = ListQuery::parse(&p)?;
    emu.read(|store| {
        let r = store.payment_records.get(&record).ok_or_else(|| ApiError::no_such_param("payment_record", &record, "payment_record"))?;
        let page = paginate_ids(&store.payment_attempts, &r.attempts, &query, |_| true, "payment_attempt_record")?;
        let data = page.items.into_iter().map(PaymentAttempt::render).collect();
        req.respond(store, list_json("/v1/payment_attempt_records", data, page.has_more))
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let attempt = store.payment_attempts.get(&id).ok_or_else(|| ApiError::no_such("payment_attempt_record", &id))?;
        req.respond(store, attempt.render())
    })
    .await
}
