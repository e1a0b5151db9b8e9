//! The case queue and one case: the ledger and Stripe side by side, its history and candidates
//! for an orphan record.

use super::fixes::applicable;
use super::{begin_change, exponents, finish_change, load, parse_filter, row_of};
use crate::domain::Message;
use crate::domain::money::{format_amount, format_fiat};
use crate::domain::recon::{BreakClass, Candidate, CandidateReason, CaseDetail, CaseEventView, CaseFilter, CasePage, CaseState, FieldDiff, UserChoice};
use crate::domain::{AppError, Role};
use crate::say;
use crate::server::db::audit::Actor;
use crate::server::db::recon_cases;
use crate::server::db::recon_compare::{self, Pair};
use crate::server::db::stripe_invoices;
use crate::server::db::stripe_records::StoredRecord;
use crate::server::db::{Db, DbTx, format_ms, now_ms, users};
use crate::server::recon::classify;
use crate::server::stripe::client::StripeClient;
use serde_json::json;

const PAGE_SIZE: i64 = 50;
/// The queue counts its selection up to here (see `recon_cases::count_up_to`).
const COUNTED_UP_TO: i64 = 1_000;

pub async fn page(db: &Db, filter: &CaseFilter, after: Option<String>) -> Result<CasePage, AppError> {
    let query = parse_filter(db, filter).await?;
    let after = match after {
        Some(cursor) => {
            let parsed = cursor.split_once(':').and_then(|(at, id)| at.parse::<i64>().ok().map(|at| (at, id.to_string())));
            Some(parsed.ok_or_else(|| AppError::validation("after", say!("is not a page cursor", "ページの指定が正しくありません")))?)
        }
        None => None,
    };
    let mut tx = db.begin_snapshot().await?;
    let cases = recon_cases::page(&mut tx, &query, after, PAGE_SIZE + 1).await?;
    let counted = recon_cases::count_up_to(&mut tx, &query, COUNTED_UP_TO).await?;
    tx.commit().await?;
    let more = cases.len() as i64 > PAGE_SIZE;
    let shown = &cases[..cases.len().min(PAGE_SIZE as usize)];
    let exponents = exponents(db).await?;
    let now = now_ms();
    Ok(CasePage {
        rows: shown.iter().map(|c| row_of(c, &exponents, now)).collect(),
        next_cursor: if more { shown.last().map(|c| format!("{}:{}", c.first_seen, c.id)) } else { None },
        total: counted.min(COUNTED_UP_TO),
        more_than_total: counted > COUNTED_UP_TO,
    })
}

fn field(label: &str, ledger: Option<String>, stripe: Option<String>, differs: bool) -> FieldDiff {
    FieldDiff { label: label.into(), ledger, stripe, differs }
}

/// The compared fields of a transaction and its record (either may be absent).
fn fields_of(pair: Option<&Pair>, record: Option<&StoredRecord>) -> Vec<FieldDiff> {
    let ledger = pair.map(|p| &p.ledger);
    let stripe = record.map(|r| &r.record);
    let fiat_currency = ledger.map(|l| l.fiat_currency.clone()).or_else(|| stripe.map(|s| s.currency.clone())).unwrap_or_default();
    let money = |v: i64| format_fiat(v, &fiat_currency);
    let expected = ledger.map(|l| l.expected_requested());
    // What differs is what classification found, so the page and the queue always agree.
    let found: Vec<BreakClass> = pair.map(|p| classify::breaks_of_pair(p).into_iter().map(|(class, _)| class).collect()).unwrap_or_default();
    let differs = |class: BreakClass| found.contains(&class);
    let orphan = ledger.is_none() && stripe.is_some();
    vec![
        field("Transaction", ledger.map(|l| l.transaction_id.clone()), record.and_then(|r| r.transaction_id.clone()), false),
        field("Payment Record", record.map(|r| r.record.id.clone()), stripe.map(|s| s.id.clone()), false),
        field("Currency", ledger.map(|l| l.fiat_currency.to_uppercase()), stripe.map(|s| s.currency.to_uppercase()), differs(BreakClass::CurrencyMismatch)),
        field(
            "Amount",
            expected.map(money),
            stripe.map(|s| money(s.amount_requested)),
            differs(BreakClass::AmountMismatch) || differs(BreakClass::MissingInStripe) || orphan,
        ),
        field("Refunded", ledger.map(|l| money(l.refunded)), stripe.map(|s| money(s.amount_refunded)), differs(BreakClass::RefundMismatch)),
        field("Status", ledger.map(|_| "settled".to_string()), stripe.map(|s| s.status.to_string()), differs(BreakClass::StatusMismatch)),
        field(
            "Customer",
            ledger.map(|l| l.account_customer.clone().unwrap_or_else(|| "—".into())),
            stripe.map(|s| s.customer.clone().unwrap_or_else(|| "—".into())),
            differs(BreakClass::CustomerMismatch),
        ),
        field("Payment reference", ledger.map(|l| l.transaction_id.clone()), stripe.map(|s| s.payment_reference.clone().unwrap_or_else(|| "—".into())), false),
        field("Matched by", None, record.map(|r| r.match_source.clone().unwrap_or_else(|| "nothing".into())), false),
    ]
}

/// The invoice an invoice payment paid: the ledger says paid by its record; Stripe says what it
/// has.
fn invoice_field((invoice, status, paid_by): (String, Option<String>, Vec<String>), record: Option<&str>) -> FieldDiff {
    let ours = record.map_or(format!("{invoice}, paid"), |r| format!("{invoice}, paid by {r}"));
    let theirs = match &status {
        None => "not in Stripe".to_string(),
        Some(s) if paid_by.is_empty() => s.clone(),
        Some(s) => format!("{s}, paid by {}", paid_by.join(", ")),
    };
    let agrees = status.as_deref() == Some("paid") && record.is_some_and(|r| paid_by.iter().any(|p| p == r));
    field("Invoice", Some(ours), Some(theirs), !agrees)
}

/// Payments that could be what an orphan record mirrors: same fiat amount and currency,
/// within a week of the record, with no record of their own; scored by closeness.
async fn candidates(tx: &mut DbTx, record: &StoredRecord) -> Result<Vec<Candidate>, AppError> {
    let r = &record.record;
    let rows = recon_compare::payment_candidates(tx, &r.currency, r.amount_requested, r.created * 1000, 7 * 86_400_000).await?;
    let mut out: Vec<Candidate> = rows
        .into_iter()
        .map(|c| {
            let days = (c.occurred_at - r.created * 1000).abs() / 86_400_000;
            let mut score = 60 - (days * 5).min(40);
            let mut reasons = vec![CandidateReason::SameAmount, CandidateReason::DaysApart { days }];
            if c.account_customer.is_some() && c.account_customer == r.customer {
                score += 30;
                reasons.push(CandidateReason::SameCustomer);
            }
            if r.description.as_deref().is_some_and(|d| !d.is_empty() && d == c.description) {
                score += 10;
                reasons.push(CandidateReason::SameDescription);
            }
            Candidate {
                transaction_id: c.id,
                occurred_at: format_ms(c.occurred_at),
                amount: format!("{} {}", format_amount(c.amount, c.exponent), c.currency),
                fiat_amount: format_fiat(c.fiat_amount, &r.currency),
                account_name: c.account_name,
                score: score.clamp(0, 100),
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.transaction_id.cmp(&b.transaction_id)));
    out.truncate(10);
    Ok(out)
}

/// A case with both sides, what differs, candidates and history; `stripe` links the record to
/// the Dashboard.
pub async fn detail(db: &Db, stripe: Option<&StripeClient>, id: &str) -> Result<CaseDetail, AppError> {
    let mut tx = db.begin_snapshot().await?;
    let (case, pair, record) = load(&mut tx, id).await?;
    let pair = pair.as_ref();
    let candidates = match (&case.class, &record) {
        (BreakClass::OrphanInStripe, Some(r)) if case.state != CaseState::Closed => candidates(&mut tx, r).await?,
        _ => Vec::new(),
    };
    let invoice = match &case.transaction_id {
        Some(t) => stripe_invoices::of_transaction(&mut tx, t).await?,
        None => None,
    };
    let history = recon_cases::events(&mut tx, id).await?;
    tx.commit().await?;
    let fixes = applicable(&case, pair, record.as_ref());
    let assignable =
        users::list(db).await?.into_iter().filter(|u| !u.disabled && u.role.includes(Role::Support)).map(|u| UserChoice { id: u.id, name: u.name }).collect();
    let exponents = exponents(db).await?;
    Ok(CaseDetail {
        explanation: case.class.explanation().to_string(),
        fields: {
            let mut fields = fields_of(pair, record.as_ref());
            fields.extend(invoice.map(|i| invoice_field(i, record.as_ref().map(|r| r.record.id.as_str()))));
            fields
        },
        history: history.into_iter().map(|e| CaseEventView { at: format_ms(e.at), actor: e.actor, what: e.what, detail: e.detail }).collect(),
        fixes,
        candidates,
        assignee_id: case.assignee_id.clone(),
        assignable,
        dashboard_url: record.as_ref().and_then(|r| crate::server::stripe::dashboard_url(stripe, &r.record.id)),
        case: row_of(&case, &exponents, now_ms()),
    })
}

pub async fn assign(db: &Db, actor: &Actor, id: &str, user_id: Option<String>) -> Result<(), AppError> {
    let assignee = match &user_id {
        Some(u) => {
            let user =
                users::find_by_id(db, u).await?.ok_or_else(|| AppError::validation("user_id", say!("no such user", "該当するユーザーが存在しません")))?;
            if user.disabled || !user.role.includes(Role::Support) {
                return Err(AppError::validation(
                    "user_id",
                    say!("cases go to active support staff or admins", "ケースを割り当てられるのは、有効なサポート担当者または管理者のみです"),
                ));
            }
            Some(user)
        }
        None => None,
    };
    let detail = assignee.as_ref().map_or_else(|| say!("Unassigned", "割り当てを外しました"), |u| say!("Assigned to {}", "{}に割り当てました", u.name));
    let (mut tx, case) = begin_change(db, id).await?;
    recon_cases::set_assignee(&mut tx.tx, &case.id, user_id.as_deref(), now_ms()).await?;
    finish_change(tx, actor, &case, "assigned", detail, json!({ "assignee_id": case.assignee_id }), json!({ "assignee_id": user_id })).await
}

pub async fn remark(db: &Db, actor: &Actor, id: &str, remark: &str) -> Result<(), AppError> {
    if remark.chars().count() > 2000 {
        return Err(AppError::validation("remark", say!("keep it under 2,000 characters", "2,000文字以内で入力してください")));
    }
    let (tx, case) = begin_change(db, id).await?;
    finish_change(tx, actor, &case, "remark", Message::from(remark), json!(null), json!({ "remark": remark })).await
}
