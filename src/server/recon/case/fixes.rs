//! Fixes: each is planned from the case's current state, shown as a preview, and applied in one
//! database transaction (re-planned there, so what runs is what the state allows), audited.
//! Whatever must reach Stripe goes through the outbox.

use super::{begin_change, finish_change, linkable, load, parse_filter};
use crate::domain::AppError;
use crate::domain::Message;
use crate::domain::ledger::MirrorState;
use crate::domain::locale::Locale;
use crate::domain::money::{Money, Peg, format_amount, format_fiat};
use crate::domain::recon::{BreakClass, BulkPreview, CaseFilter, CaseState, FixKind, FixPreview, PreviewLine};
use crate::i18n::TextGroup;
use crate::i18n::recon::{Recon, case_state_name, fix_name};
use crate::say;
use crate::server::db::audit::Actor;
use crate::server::db::outbox::{self, FixRefund, Operation};
use crate::server::db::recon_cases::{self, CaseRecord};
use crate::server::db::recon_compare::{self, Pair};
use crate::server::db::stripe_records::{self, StoredRecord};
use crate::server::db::{Db, DbTx, Param, accounts, currencies, insert_rows, ledger, now_ms};
use crate::server::ledger::TransferInput;
use crate::server::ledger::posting::post_in;
use crate::server::mirror;
use crate::server::recon::classify;
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

pub struct FixRequest {
    pub kind: FixKind,
    pub transaction_id: Option<String>,
    pub reason: Option<String>,
}

/// What a fix will do, decided from the current state.
enum Action {
    /// Put failed deliveries back in the queue (same keys).
    Requeue(Vec<String>),
    /// Send a delivered payment again under a new key.
    Resend {
        outbox_id: String,
        key: String,
    },
    Refunds(Vec<FixRefund>),
    Adjust(Adjustment),
    Link {
        record_id: String,
        transaction_id: String,
    },
    Unlink {
        record_id: String,
        reopen: Option<String>,
    },
    SetState(CaseState),
}

struct Adjustment {
    payment_id: String,
    purpose: &'static str,
    /// Fiat, positive when the money goes the payment's way (payer to payee).
    fiat: i64,
    local: i64,
}

struct Plan {
    preview: FixPreview,
    action: Action,
}

/// The fixes a case offers, by class and state.
pub fn applicable(case: &CaseRecord, pair: Option<&Pair>, record: Option<&StoredRecord>) -> Vec<FixKind> {
    let manual = record.is_some_and(|r| r.match_source.as_deref() == Some("manual"));
    let mut fixes = match case.state {
        CaseState::Closed => vec![],
        CaseState::Ignored => vec![FixKind::Reopen],
        CaseState::Open => {
            let mut f = match case.class {
                BreakClass::MissingInStripe => vec![FixKind::ReportPayment, FixKind::Adjust],
                BreakClass::OrphanInStripe => vec![FixKind::Link],
                BreakClass::AmountMismatch | BreakClass::StatusMismatch => vec![FixKind::Adjust],
                BreakClass::RefundMismatch => {
                    let stripe_short = pair.and_then(|p| p.stripe.as_ref().map(|s| s.amount_refunded < p.ledger.refunded));
                    if stripe_short == Some(true) { vec![FixKind::ReportRefund, FixKind::Adjust] } else { vec![FixKind::Adjust] }
                }
                BreakClass::DuplicateInStripe => vec![FixKind::RefundDuplicate],
                BreakClass::CurrencyMismatch | BreakClass::CustomerMismatch | BreakClass::InvoiceMismatch => vec![],
            };
            f.push(FixKind::Ignore);
            f
        }
    };
    if manual {
        fixes.push(FixKind::Unlink);
    }
    fixes
}

fn lines(kind: FixKind, ledger: Vec<PreviewLine>, stripe: Vec<PreviewLine>, case: Vec<PreviewLine>) -> FixPreview {
    FixPreview { kind, ledger, stripe, case }
}

fn refused(kind: FixKind, case: &CaseRecord) -> AppError {
    AppError::conflict(say!(
        "“{}” does not apply to a {} case in state {}.",
        "「{0}」は、状態が「{2}」の「{1}」ケースには適用できません。";
        kind.label() => fix_name(Recon::of(Locale::Ja), kind),
        case.class.label().to_lowercase() => case.class.label_in(Locale::Ja),
        case.state => case_state_name(Recon::of(Locale::Ja), case.state)
    ))
}

async fn plan(tx: &mut DbTx, id: &str, kind: FixKind, transaction_id: Option<&str>) -> Result<Plan, AppError> {
    let (case, pair, record) = load(tx, id).await?;
    if !applicable(&case, pair.as_ref(), record.as_ref()).contains(&kind) {
        return Err(refused(kind, &case));
    }
    let fiat_currency = pair.as_ref().map(|p| p.ledger.fiat_currency.clone()).unwrap_or_default();
    let money = |v: i64| format_fiat(v, &fiat_currency);
    Ok(match kind {
        FixKind::Ignore => Plan { preview: lines(kind, vec![], vec![], vec![PreviewLine::CaseIgnored]), action: Action::SetState(CaseState::Ignored) },
        FixKind::Reopen => Plan { preview: lines(kind, vec![], vec![], vec![PreviewLine::CaseOpen]), action: Action::SetState(CaseState::Open) },
        FixKind::ReportPayment => {
            let pair = pair.ok_or_else(|| refused(kind, &case))?;
            let t = &pair.ledger.transaction_id;
            let deliveries = outbox::of_transactions(tx, std::slice::from_ref(t)).await?;
            let payment = deliveries.iter().find(|d| d.operation == Operation::ReportPayment);
            let amount = money(pair.ledger.expected_requested());
            match payment {
                Some(d) if d.state == MirrorState::Failed => Plan {
                    preview: lines(kind, vec![], vec![PreviewLine::PaymentRetried { amount, transaction: t.clone() }], vec![]),
                    action: Action::Requeue(vec![d.id.clone()]),
                },
                Some(d) if d.state == MirrorState::Delivered => {
                    let key = mirror::idempotency_key(&format!("{t}/{}", case.id), Operation::ReportPayment);
                    let again = PreviewLine::PaymentReportedAgain { amount, transaction: t.clone(), key: key.to_string() };
                    Plan { preview: lines(kind, vec![], vec![again], vec![]), action: Action::Resend { outbox_id: d.id.clone(), key } }
                }
                _ => {
                    return Err(AppError::conflict(say!(
                        "The payment is already queued for Stripe; wait for the delivery.",
                        "この支払いは既に Stripe への送信待ちです。送信が終わるまでお待ちください。"
                    )));
                }
            }
        }
        FixKind::ReportRefund => {
            let pair = pair.ok_or_else(|| refused(kind, &case))?;
            let stripe = pair.stripe.as_ref().ok_or_else(|| refused(kind, &case))?;
            let t = &pair.ledger.transaction_id;
            let refunds = recon_compare::refunds_of(tx, t).await?;
            let deliveries = outbox::of_transactions(tx, &refunds).await?;
            // Every refund of the payment on its way counts, the ledger's and earlier fixes'.
            let fix_refunds = outbox::fix_refunds_of_payment(tx, t).await?;
            if deliveries.iter().chain(&fix_refunds).any(|d| d.state == MirrorState::Pending) {
                return Err(AppError::conflict(say!(
                    "A refund of this payment is still on its way to Stripe; wait for it, then run again.",
                    "この支払いの返金はまだ Stripe に送信中です。送信が終わってから、もう一度照合を実行してください。"
                )));
            }
            let failed: Vec<String> = deliveries.into_iter().chain(fix_refunds).filter(|d| d.state == MirrorState::Failed).map(|d| d.id).collect();
            if !failed.is_empty() {
                let stripe_lines = vec![PreviewLine::RefundsRetried { count: i64::try_from(failed.len()).unwrap_or(i64::MAX) }];
                Plan { preview: lines(kind, vec![], stripe_lines, vec![]), action: Action::Requeue(failed) }
            } else {
                let missing = pair.ledger.refunded - stripe.amount_refunded;
                // Derived from the total Stripe should reach, not counted: applying the fix
                // again before the next run names the same refund, which is queued once.
                let reference = format!("recon-refund/{t}/{}", pair.ledger.refunded);
                let stripe_lines = vec![PreviewLine::RefundReported { amount: money(missing), record: stripe.record_id.clone(), reference: reference.clone() }];
                let idempotency_key = mirror::idempotency_key(&reference, Operation::ReportRefund);
                let refund = FixRefund {
                    case_id: case.id.clone(),
                    transaction_id: t.clone(),
                    record_id: stripe.record_id.clone(),
                    amount: missing,
                    reference,
                    idempotency_key,
                };
                Plan { preview: lines(kind, vec![], stripe_lines, vec![]), action: Action::Refunds(vec![refund]) }
            }
        }
        FixKind::RefundDuplicate => {
            let t = case.transaction_id.clone().ok_or_else(|| refused(kind, &case))?;
            let records = stripe_records::matched_to(tx, std::slice::from_ref(&t)).await?;
            let live: Vec<&StoredRecord> = records.iter().filter(|r| classify::carries_money(r)).collect();
            let keep = classify::primary(&live).unwrap_or_default();
            let refunds: Vec<FixRefund> = live
                .iter()
                .filter(|r| r.record.id != keep)
                .map(|r| {
                    let reference = format!("duplicate-{}", r.record.id);
                    FixRefund {
                        case_id: case.id.clone(),
                        transaction_id: t.clone(),
                        record_id: r.record.id.clone(),
                        amount: r.record.amount_guaranteed - r.record.amount_refunded,
                        idempotency_key: mirror::idempotency_key(&reference, Operation::ReportRefund),
                        reference,
                    }
                })
                .collect();
            let stripe_lines = refunds
                .iter()
                .map(|r| PreviewLine::DuplicateRefunded { amount: format_fiat(r.amount, &fiat_currency), record: r.record_id.clone(), keep: keep.clone() })
                .collect();
            Plan { preview: lines(kind, vec![], stripe_lines, vec![]), action: Action::Refunds(refunds) }
        }
        FixKind::Adjust => {
            let pair = pair.ok_or_else(|| refused(kind, &case))?;
            let l = &pair.ledger;
            let (purpose, fiat) = match (case.class, &pair.stripe) {
                (BreakClass::AmountMismatch, Some(s)) => ("amount", s.amount_requested - l.expected_requested()),
                (BreakClass::RefundMismatch, Some(s)) => ("refund", l.refunded - s.amount_refunded),
                (BreakClass::StatusMismatch | BreakClass::MissingInStripe, _) => ("amount", -l.expected_requested()),
                _ => return Err(refused(kind, &case)),
            };
            let payment = ledger::find_tx(tx, &l.transaction_id).await?.ok_or_else(|| AppError::not_found("transaction"))?;
            let currency = currencies::find_tx(tx, &payment.amount.currency).await?.ok_or_else(|| AppError::not_found("currency"))?;
            let rate = payment.peg_rate.as_deref().and_then(|r| Decimal::from_str(r).ok()).unwrap_or(currency.peg_rate);
            let peg = Peg { local_exponent: currency.exponent, fiat_exponent: currency.fiat_exponent, rate };
            let local = peg.to_local(fiat.abs()).filter(|v| *v > 0).ok_or_else(|| {
                AppError::conflict(say!(
                    "{} is too small to post in {}; ignore the case instead.",
                    "{} は {} では小さすぎて計上できません。代わりにケースを無視してください。",
                    money(fiat.abs()),
                    currency.code
                ))
            })?;
            let toward_payee = fiat > 0;
            let line = PreviewLine::Adjustment {
                amount: format!("{} {}", format_amount(local, currency.exponent), currency.code),
                fiat: money(fiat.abs()),
                toward_payee,
                payment: payment.id.clone(),
                of_refund: case.class == BreakClass::RefundMismatch,
            };
            Plan {
                preview: lines(kind, vec![line], vec![], vec![PreviewLine::NextRunCloses]),
                action: Action::Adjust(Adjustment { payment_id: payment.id, purpose, fiat, local }),
            }
        }
        FixKind::Link => {
            let record = record.ok_or_else(|| refused(kind, &case))?;
            let t = transaction_id
                .ok_or_else(|| AppError::validation("transaction_id", say!("name the ledger transaction to link", "紐付ける台帳の取引を指定してください")))?;
            let target = ledger::find_tx(tx, t)
                .await?
                .ok_or_else(|| AppError::validation("transaction_id", say!("no such transaction", "該当する取引が存在しません")))?;
            if !linkable(target.kind) {
                return Err(AppError::validation(
                    "transaction_id",
                    say!("only payments and invoice payments have Payment Records", "Payment Record があるのは支払いと請求書の支払いのみです"),
                ));
            }
            let line = PreviewLine::Linked { record: record.record.id.clone(), transaction: t.to_string() };
            Plan {
                preview: lines(kind, vec![line], vec![], vec![PreviewLine::CaseClosedByLink]),
                action: Action::Link { record_id: record.record.id.clone(), transaction_id: t.to_string() },
            }
        }
        FixKind::Unlink => {
            let record = record.ok_or_else(|| refused(kind, &case))?;
            let reopen = recon_cases::latest_closed(tx, BreakClass::OrphanInStripe, &record.record.id).await?;
            let case_lines = match reopen {
                Some(_) => vec![PreviewLine::OrphanReopens],
                None => vec![PreviewLine::NextRunFindsUnmatched],
            };
            Plan {
                preview: lines(kind, vec![PreviewLine::Unlinked { record: record.record.id.clone() }], vec![], case_lines),
                action: Action::Unlink { record_id: record.record.id.clone(), reopen },
            }
        }
    })
}

pub async fn preview(db: &Db, id: &str, kind: FixKind, transaction_id: Option<&str>) -> Result<FixPreview, AppError> {
    let mut tx = db.begin_snapshot().await?;
    let plan = plan(&mut tx, id, kind, transaction_id).await?;
    tx.commit().await?;
    Ok(plan.preview)
}

/// Posts the adjustment through the ledger's own rules, and notes what it corrects.
async fn post_adjustment(tx: &mut DbTx, db: &Db, actor: &Actor, case_id: &str, a: &Adjustment, reason: &str) -> Result<(), AppError> {
    let payment = ledger::find_tx(tx, &a.payment_id).await?.ok_or_else(|| AppError::not_found("transaction"))?;
    let payer = accounts::find_tx(tx, &payment.from_account).await?.ok_or_else(|| AppError::not_found("account"))?;
    let payee = accounts::find_tx(tx, &payment.to_account).await?.ok_or_else(|| AppError::not_found("account"))?;
    let (from, to) = if a.fiat > 0 { (payer, payee) } else { (payee, payer) };
    let exponent = currencies::find_tx(tx, &payment.amount.currency).await?.map_or(0, |c| c.exponent);
    let source = payment.source;
    let input = TransferInput {
        external_ref: format!("recon/{case_id}/{}", crate::server::db::new_id()),
        kind: "adjustment".into(),
        currency: payment.amount.currency.clone(),
        amount: format_amount(a.local, exponent),
        from: Some(from.external_ref),
        to: Some(to.external_ref),
        occurred_at: None,
        description: Some(format!("Reconciliation: {reason}")),
        refund_of: None,
        corrects: Some(payment.external_ref.clone()),
        invoice: None,
        settles_fiat: None,
    };
    let (posted, errors) = post_in(tx, db, source, vec![input], actor, 0).await?;
    if let Some(error) = errors.first() {
        return Err(AppError::conflict(error.refusal_of("adjustment", "調整")));
    }
    let adjustment = posted.first().ok_or(AppError::Internal)?;
    let row = vec![
        Param::Text(adjustment.id.clone()),
        Param::Text(a.payment_id.clone()),
        Param::Text(a.purpose.into()),
        Param::Int(a.fiat.abs()),
        Param::Text(case_id.into()),
    ];
    insert_rows(tx, "recon_adjustments", &["transaction_id", "payment_id", "purpose", "fiat_amount", "case_id"], vec![row]).await?;
    Ok(())
}

async fn execute(tx: &mut DbTx, db: &Db, actor: &Actor, case: &CaseRecord, action: &Action, reason: &str) -> Result<serde_json::Value, AppError> {
    let now = now_ms();
    Ok(match action {
        Action::Requeue(ids) => {
            for id in ids {
                outbox::requeue_failed(tx, id).await?;
            }
            json!({ "requeued": ids })
        }
        Action::Resend { outbox_id, key } => {
            if !outbox::resend_with_key(tx, outbox_id, key).await? {
                return Err(AppError::conflict(say!(
                    "The delivery changed meanwhile; look again.",
                    "その間に送信の状態が変わりました。もう一度確認してください。"
                )));
            }
            json!({ "resent": outbox_id, "idempotency_key": key })
        }
        Action::Refunds(refunds) => {
            for r in refunds {
                outbox::enqueue_fix_refund(tx, r).await?;
            }
            json!({ "refunds": refunds.iter().map(|r| json!({ "record": r.record_id, "amount": r.amount, "reference": r.reference })).collect::<Vec<_>>() })
        }
        Action::Adjust(a) => {
            post_adjustment(tx, db, actor, &case.id, a, reason).await?;
            json!({ "adjusted": a.payment_id, "purpose": a.purpose, "fiat": a.fiat, "local": a.local })
        }
        Action::Link { record_id, transaction_id } => {
            stripe_records::set_match(tx, record_id, Some(transaction_id)).await?;
            recon_cases::set_state(tx, &case.id, &[CaseState::Open], CaseState::Closed, now).await?;
            json!({ "record": record_id, "transaction": transaction_id })
        }
        Action::Unlink { record_id, reopen } => {
            stripe_records::set_match(tx, record_id, None).await?;
            if let Some(orphan_case) = reopen {
                recon_cases::set_state(tx, orphan_case, &[CaseState::Closed], CaseState::Open, now).await?;
                recon_cases::add_events(
                    tx,
                    &[(orphan_case.clone(), say!("The link was undone.", "紐付けが取り消されました。"))],
                    now,
                    actor.user_id.as_deref(),
                    &actor.label,
                    "reopened",
                )
                .await?;
            }
            json!({ "record": record_id, "reopened": reopen })
        }
        Action::SetState(to) => {
            let from = if *to == CaseState::Ignored { CaseState::Open } else { CaseState::Ignored };
            if !recon_cases::set_state(tx, &case.id, &[from], *to, now).await? {
                return Err(AppError::conflict(say!("The case changed meanwhile; look again.", "その間にケースが変更されました。もう一度確認してください。")));
            }
            json!({ "state": to })
        }
    })
}

/// Applies one fix to one case; the case's history and the audit log both record it.
pub async fn apply(db: &Db, actor: &Actor, id: &str, request: FixRequest) -> Result<(), AppError> {
    let reason = request.reason.clone().unwrap_or_default();
    if request.kind.needs_reason() && reason.trim().is_empty() {
        return Err(AppError::validation("reason", say!("say why", "理由を入力してください")));
    }
    let kind = request.kind;
    // The history names the fix in the reader's language from the event's kind; the detail
    // is the person's reason, in their own words.
    let detail = Message::from(reason.trim());
    let (mut tx, case) = begin_change(db, id).await?;
    let plan = plan(&mut tx.tx, id, kind, request.transaction_id.as_deref()).await?;
    let done = execute(&mut tx.tx, db, actor, &case, &plan.action, &reason).await?;
    let before = json!({ "state": case.state, "class": case.class });
    let after = json!({ "fix": kind, "done": done, "preview": plan.preview });
    finish_change(tx, actor, &case, kind.as_str(), detail, before, after).await
}

/// Which filtered cases `kind` applies to, and their total.
async fn bulk_scope(tx: &mut DbTx, db: &Db, filter: &CaseFilter, kind: FixKind) -> Result<(Vec<CaseRecord>, i64), AppError> {
    if !kind.is_bulk() {
        return Err(AppError::validation("kind", say!("this fix is made one case at a time", "この修正はケースごとに1件ずつ行ってください")));
    }
    let query = parse_filter(db, filter).await?;
    let cases = recon_cases::all(tx, &query).await?;
    let total = cases.len() as i64;
    let mut fitting = Vec::new();
    for case in cases {
        let (_, pair, record) = load(tx, &case.id).await?;
        if applicable(&case, pair.as_ref(), record.as_ref()).contains(&kind) {
            fitting.push(case);
        }
    }
    let skipped = total - fitting.len() as i64;
    Ok((fitting, skipped))
}

pub async fn bulk_preview(db: &Db, filter: &CaseFilter, kind: FixKind) -> Result<BulkPreview, AppError> {
    let mut tx = db.begin_snapshot().await?;
    let (cases, skipped) = bulk_scope(&mut tx, db, filter, kind).await?;
    tx.commit().await?;
    Ok(BulkPreview { kind, count: cases.len() as i64, total: total_of(db, &cases).await?, skipped })
}

async fn total_of(db: &Db, cases: &[CaseRecord]) -> Result<String, AppError> {
    let exponents = super::exponents(db).await?;
    let mut sums: std::collections::BTreeMap<&str, Money> = std::collections::BTreeMap::new();
    for c in cases {
        let sum = sums.entry(c.amount.currency.as_str()).or_insert_with(|| c.amount.with_minor(0));
        *sum = sum.checked_add(&c.amount).ok_or_else(|| {
            AppError::conflict(say!(
                "The selection's total is too large to show; narrow it.",
                "選択したケースの合計が大きすぎて表示できません。条件を絞り込んでください。"
            ))
        })?;
    }
    let parts: Vec<String> = sums.into_values().map(|sum| sum.format(exponents.get(&sum.currency).copied().unwrap_or(0))).collect();
    Ok(if parts.is_empty() { "0".into() } else { parts.join(" + ") })
}

/// Applies `kind` to every case of the selection, all in one transaction: if any case refuses,
/// none is changed.
pub async fn bulk_apply(db: &Db, actor: &Actor, filter: &CaseFilter, kind: FixKind, reason: Option<String>, expected: i64) -> Result<i64, AppError> {
    let reason = reason.unwrap_or_default();
    if kind.needs_reason() && reason.trim().is_empty() {
        return Err(AppError::validation("reason", say!("say why", "理由を入力してください")));
    }
    let mut tx = db.begin_write().await?;
    let (cases, _) = bulk_scope(&mut tx.tx, db, filter, kind).await?;
    if cases.len() as i64 != expected {
        return Err(AppError::conflict(say!(
            "The selection changed: it now holds {} cases. Preview again.",
            "選択内容が変わり、現在の対象は {} 件です。もう一度プレビューしてください。",
            cases.len()
        )));
    }
    let now = now_ms();
    let detail = match reason.trim() {
        "" => say!("in a bulk fix", "一括修正で"),
        r => say!("in a bulk fix: {}", "一括修正で：{}", r),
    };
    for case in &cases {
        let plan = plan(&mut tx.tx, &case.id, kind, None).await?;
        execute(&mut tx.tx, db, actor, case, &plan.action, &reason).await?;
        recon_cases::add_events(&mut tx.tx, &[(case.id.clone(), detail.clone())], now, actor.user_id.as_deref(), &actor.label, kind.as_str()).await?;
    }
    let event = crate::server::db::audit::AuditEvent {
        action: &format!("recon.bulk_{}", kind.as_str()),
        target: "recon_cases",
        before: Some(json!({ "filter": filter, "count": cases.len() })),
        after: Some(json!({ "cases": cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), "reason": reason })),
    };
    crate::server::db::audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(cases.len() as i64)
}
