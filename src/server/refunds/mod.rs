//! Refunds issued from the console. Each is checked and posted (or filed for approval when it is
//! above its currency's threshold) in one write transaction that first locks the payment, so
//! concurrent refunds of one payment are counted one after another and never exceed it. A
//! pending refund reserves its amount; only approval by another admin moves money.

mod search;

pub use search::search;

use crate::domain::ledger::{AccountStatus, TransactionKind};
use crate::domain::locale::Locale;
use crate::domain::money::{Money, Peg, format_amount, format_fiat, parse_amount};
use crate::domain::refunds::{
    RefundFilter, RefundPage, RefundPayer, RefundPreview, RefundReason, RefundStage, RefundState, RefundStripeLine, RefundView, Refundable,
};
use crate::domain::{AppError, Role};
use crate::i18n::TextGroup;
use crate::i18n::money::{Money as MoneyTexts, kind_text, stage_name};
use crate::say;
use crate::server::db::accounts::{self, Account};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::currencies::{self, Currency};
use crate::server::db::ledger::{self, LedgerTransaction};
use crate::server::db::refunds::{self as store, Decision, RefundQuery, RefundRequest, RefundRow};
use crate::server::db::{Db, DbTx, format_ms, new_id, now_ms, outbox};
use crate::server::ledger::TransferInput;
use crate::server::ledger::posting::post_console_refund;
use crate::server::ledger::queries::{amount_range, day_start_ms, parse_cursor};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;
use std::time::Duration;

const PAGE_SIZE: i64 = 50;
const NOTE_LIMIT: usize = 1_000;

/// A refund as the dialog sends it, before it is parsed.
pub struct RefundInput {
    pub payment_id: String,
    pub amount: String,
    pub reason: String,
    pub note: Option<String>,
    pub payer: Option<String>,
}

/// The dialog's choices, parsed; the amount needs the payment's currency and is read later.
struct Choices {
    reason: RefundReason,
    note: Option<String>,
    payer: RefundPayer,
}

fn choices(input: &RefundInput, role: Role) -> Result<Choices, AppError> {
    let reason: RefundReason = input.reason.trim().parse().map_err(|e: String| AppError::validation("reason", e))?;
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    if reason == RefundReason::Other && note.is_none() {
        return Err(AppError::validation("note", say!("say why: the reason is “Other”", "理由が「その他」の場合は、理由を入力してください")));
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_LIMIT) {
        return Err(AppError::validation("note", say!("keep it under 1,000 characters", "1,000文字以内で入力してください")));
    }
    let payer = match input.payer.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => RefundPayer::Merchant,
        Some(p) => p.parse().map_err(|e: String| AppError::validation("payer", e))?,
    };
    if payer == RefundPayer::Operator && !role.includes(Role::Admin) {
        return Err(AppError::validation(
            "payer",
            say!("only admins give goodwill refunds from the operator", "運営者負担の特別対応の返金は、管理者のみが行えます"),
        ));
    }
    Ok(Choices { reason, note, payer })
}

/// A refund checked against the ledger as it stands: what it would move.
struct Plan {
    payment: LedgerTransaction,
    currency: Currency,
    amount: i64,
    fiat: i64,
    from: Account,
    to: Account,
    from_balance: i64,
    to_balance: i64,
    needs_approval: bool,
    record: Option<String>,
}

impl Plan {
    fn money(&self, minor: i64) -> String {
        Money::new(minor, self.currency.code.clone()).format(self.currency.exponent)
    }

    fn fiat_currency(&self) -> String {
        self.payment.fiat.as_ref().map_or_else(|| self.currency.fiat_currency.clone(), |f| f.currency.clone())
    }

    fn preview(&self) -> RefundPreview {
        let line = |a: &Account, before: i64, after: i64| format!("{} ({}): {} → {}", a.display_name, a.external_ref, self.money(before), self.money(after));
        let fiat = format_fiat(self.fiat, &self.fiat_currency());
        let mut stripe = vec![match (&self.record, self.fiat) {
            (_, 0) => RefundStripeLine::NotTold { amount: self.money(self.amount), fiat_currency: self.fiat_currency().to_uppercase() },
            (Some(record), _) => RefundStripeLine::Reported { fiat: fiat.clone(), record: record.clone() },
            (None, _) => RefundStripeLine::ReportedOnceRecorded { fiat: fiat.clone() },
        }];
        if let Some(invoice) = &self.payment.stripe_invoice {
            stripe.push(RefundStripeLine::CreditNote { invoice: invoice.clone() });
        }
        RefundPreview {
            amount: self.money(self.amount),
            fiat,
            needs_approval: self.needs_approval,
            ledger: vec![
                line(&self.from, self.from_balance, self.from_balance - self.amount),
                line(&self.to, self.to_balance, self.to_balance.saturating_add(self.amount)),
            ],
            stripe,
        }
    }
}

async fn payment(tx: &mut DbTx, id: &str) -> Result<LedgerTransaction, AppError> {
    let payment = ledger::find_tx(tx, id.trim())
        .await?
        .ok_or_else(|| AppError::validation("payment_id", say!("there is no such transaction", "該当する取引が存在しません")))?;
    if !matches!(payment.kind, TransactionKind::Payment | TransactionKind::InvoicePayment) {
        return Err(AppError::validation(
            "payment_id",
            say!("a {} is not refunded; only payments are", "種類が「{}」の取引は返金できません。返金できるのは支払いのみです"; payment.kind => kind_text(Locale::Ja, payment.kind)),
        ));
    }
    Ok(payment)
}

async fn currency_of(tx: &mut DbTx, payment: &LedgerTransaction) -> Result<Currency, AppError> {
    currencies::find_tx(tx, &payment.amount.currency)
        .await?
        .ok_or_else(|| AppError::conflict(say!("The currency {} is not set up.", "通貨 {} は登録されていません。", payment.amount.currency)))
}

async fn account(tx: &mut DbTx, id: &str) -> Result<Account, AppError> {
    accounts::find_tx(tx, id).await?.ok_or_else(|| AppError::conflict(say!("An account of the payment is missing.", "支払いの口座が見つかりません。")))
}

fn unusable(a: &Account) -> String {
    format!("{} ({}) is {}", a.display_name, a.external_ref, a.status)
}

/// Checks a refund of `amount` (as typed) against the payment, what is refunded and reserved
/// (leaving out the request `except`), the accounts and the payer's balance.
async fn plan(tx: &mut DbTx, payment: LedgerTransaction, amount: &str, choices: &Choices, except: Option<&str>, now: i64) -> Result<Plan, AppError> {
    let currency = currency_of(tx, &payment).await?;
    let amount = parse_amount(amount, currency.exponent).map_err(|e| AppError::validation("amount", e))?;
    let refunded = ledger::refunded_totals(tx, std::slice::from_ref(&payment.id)).await?.get(&payment.id).map_or(0, |(local, _)| *local);
    let reserved = store::reserved(tx, &payment.id, except, now).await?;
    let remainder = payment.amount.minor - refunded - reserved;
    let money = |minor: i64| Money::new(minor, currency.code.clone()).format(currency.exponent);
    if amount > remainder {
        return Err(AppError::validation(
            "amount",
            say!(
                "only {} is left to refund ({} refunded, {} awaiting approval)",
                "返金できる残額は {} です（返金済み {}、承認待ち {}）",
                money(remainder.max(0)),
                money(refunded),
                money(reserved)
            ),
        ));
    }
    let to = account(tx, &payment.from_account).await?;
    let from = match choices.payer {
        RefundPayer::Merchant => account(tx, &payment.to_account).await?,
        RefundPayer::Operator => accounts::operator_tx(tx).await?.ok_or_else(|| {
            AppError::conflict(say!("There is no active operator account to pay a goodwill refund.", "特別対応の返金を支払う有効な運営者口座がありません。"))
        })?,
    };
    if from.status != AccountStatus::Active {
        return Err(AppError::validation("payer", say!("{}: it cannot pay a refund", "{}：この口座からは返金を支払えません", unusable(&from))));
    }
    if to.status != AccountStatus::Active {
        return Err(AppError::validation("payment_id", say!("{}: unfreeze it before refunding it", "{}：返金する前に凍結を解除してください", unusable(&to))));
    }
    let balances = accounts::balances(tx, &[from.id.clone(), to.id.clone()]).await?;
    let balance = |a: &Account| balances.get(&(a.id.clone(), currency.code.clone())).copied().unwrap_or(0);
    let (from_balance, to_balance) = (balance(&from), balance(&to));
    if !from.kind.may_go_negative() && from_balance < amount {
        return Err(AppError::validation(
            "amount",
            say!(
                "{} ({}) holds {}: {} short of this refund",
                "{}（{}）の残高は {} で、この返金には {} 不足しています",
                from.display_name,
                from.external_ref,
                money(from_balance),
                money(amount - from_balance)
            ),
        ));
    }
    // The payment's own rate, and the posting rule: the fiat of the refunded total after, less before.
    let rate = payment.peg_rate.as_deref().and_then(|r| Decimal::from_str(r).ok()).unwrap_or(currency.peg_rate);
    let peg = Peg { rate, ..currency.peg() };
    let fiat =
        peg.refund_to_fiat(refunded, amount).ok_or_else(|| AppError::validation("amount", say!("is too large to convert", "大きすぎて換算できません")))?;
    let needs_approval = currency.refund_approval_threshold.is_some_and(|threshold| amount > threshold);
    let record = outbox::payment_record_of_tx(tx, &payment.id).await?;
    Ok(Plan { payment, currency, amount, fiat, from, to, from_balance, to_balance, needs_approval, record })
}

/// Posts the planned refund through the ledger's own rules (source `console`); returns the
/// refund transaction's id. The ledger queues its `report_refund` in the same transaction.
async fn post(tx: &mut DbTx, db: &Db, actor: &Actor, plan: &Plan, request_id: &str, choices: &Choices) -> Result<String, AppError> {
    let description = match &choices.note {
        Some(note) => format!("Refund: {} ({note})", choices.reason.label()),
        None => format!("Refund: {}", choices.reason.label()),
    };
    let input = TransferInput {
        external_ref: format!("console-refund/{request_id}"),
        kind: TransactionKind::Refund.as_str().into(),
        currency: plan.currency.code.clone(),
        amount: format_amount(plan.amount, plan.currency.exponent),
        from: Some(plan.from.external_ref.clone()),
        to: Some(plan.to.external_ref.clone()),
        occurred_at: None,
        description: Some(description),
        refund_of: Some(plan.payment.external_ref.clone()),
        corrects: None,
        invoice: None,
        settles_fiat: None,
    };
    let (posted, errors) = post_console_refund(tx, db, plan.payment.source, input, actor).await?;
    if let Some(e) = errors.first() {
        return Err(AppError::conflict(e.refusal_of("refund", "返金")));
    }
    Ok(posted.first().ok_or(AppError::Internal)?.id.clone())
}

/// Pending requests whose time ran out are marked expired (and audited) before anything else.
async fn expire(tx: &mut DbTx, now: i64) -> Result<(), AppError> {
    for r in store::expire_due(tx, now).await? {
        let event = AuditEvent {
            action: "refund.expired",
            target: &format!("refund:{}", r.id),
            before: Some(json!({ "state": RefundState::PendingApproval })),
            after: Some(json!({ "state": RefundState::Expired })),
        };
        audit::record(tx, &Actor::system(), event).await?;
    }
    Ok(())
}

pub async fn refundable(db: &Db, role: Role, payment_id: &str) -> Result<Refundable, AppError> {
    let now = now_ms();
    let mut tx = db.begin_snapshot().await?;
    let payment = payment(&mut tx, payment_id).await?;
    let currency = currency_of(&mut tx, &payment).await?;
    let refunded = ledger::refunded_totals(&mut tx, std::slice::from_ref(&payment.id)).await?.get(&payment.id).map_or(0, |(local, _)| *local);
    let reserved = store::reserved(&mut tx, &payment.id, None, now).await?;
    let threshold = currency.refund_approval_threshold;
    let payer = account(&mut tx, &payment.from_account).await?;
    let merchant = account(&mut tx, &payment.to_account).await?;
    let record = outbox::payment_record_of_tx(&mut tx, &payment.id).await?;
    tx.commit().await?;
    let money = |minor: i64| Money::new(minor, currency.code.clone()).format(currency.exponent);
    let remainder = (payment.amount.minor - refunded - reserved).max(0);
    Ok(Refundable {
        payment_ref: payment.external_ref.clone(),
        currency: currency.code.clone(),
        exponent: currency.exponent,
        amount: money(payment.amount.minor),
        refunded: money(refunded),
        reserved: money(reserved),
        remainder_minor: remainder,
        remainder: format_amount(remainder, currency.exponent),
        refunded_minor: refunded,
        fiat_currency: payment.fiat.as_ref().map_or_else(|| currency.fiat_currency.clone(), |f| f.currency.clone()),
        fiat_exponent: currency.fiat_exponent,
        peg_rate: payment.peg_rate.clone().unwrap_or_else(|| currency.peg_rate.to_string()),
        approval_threshold: threshold.map(money),
        approval_threshold_minor: threshold,
        payer_name: format!("{} ({})", payer.display_name, payer.external_ref),
        merchant_name: format!("{} ({})", merchant.display_name, merchant.external_ref),
        record,
        invoice: payment.stripe_invoice.clone(),
        can_refund: role.includes(Role::Support) && remainder > 0,
        can_goodwill: role.includes(Role::Admin),
        payment_id: payment.id,
    })
}

/// What the refund would move; nothing moves.
pub async fn preview(db: &Db, role: Role, input: &RefundInput) -> Result<RefundPreview, AppError> {
    let choices = choices(input, role)?;
    let mut tx = db.begin_snapshot().await?;
    let payment = payment(&mut tx, &input.payment_id).await?;
    let plan = plan(&mut tx, payment, &input.amount, &choices, None, now_ms()).await?;
    tx.commit().await?;
    Ok(plan.preview())
}

/// Posts the refund, or files it for approval (reserving its amount) when it is above the
/// currency's threshold; a pending request expires after `expiry`.
pub async fn request(db: &Db, actor: &Actor, role: Role, expiry: Duration, input: &RefundInput) -> Result<RefundView, AppError> {
    let choices = choices(input, role)?;
    let now = now_ms();
    let id = new_id();
    let mut tx = db.begin_write().await?;
    expire(&mut tx.tx, now).await?;
    store::lock_payment(&mut tx.tx, db, input.payment_id.trim()).await?;
    let payment = payment(&mut tx.tx, &input.payment_id).await?;
    let plan = plan(&mut tx.tx, payment, &input.amount, &choices, None, now).await?;
    let (state, transaction_id, expires_at) = match plan.needs_approval {
        true => (RefundState::PendingApproval, None, Some(now.saturating_add(expiry.as_millis() as i64))),
        false => (RefundState::Posted, Some(post(&mut tx.tx, db, actor, &plan, &id, &choices).await?), None),
    };
    let request = RefundRequest {
        id: id.clone(),
        payment_id: plan.payment.id.clone(),
        currency: plan.currency.code.clone(),
        amount: plan.amount,
        reason: choices.reason,
        note: choices.note.clone(),
        payer: choices.payer,
        state,
        requested_by_id: actor.user_id.clone(),
        requested_by: actor.label.clone(),
        requested_at: now,
        expires_at,
        transaction_id: transaction_id.clone(),
    };
    store::insert(&mut tx.tx, &request).await?;
    let event = AuditEvent {
        action: if plan.needs_approval { "refund.requested" } else { "refund.posted" },
        target: &format!("refund:{id}"),
        before: None,
        after: Some(json!({
            "payment": plan.payment.id, "amount": plan.amount, "currency": plan.currency.code, "fiat": plan.fiat,
            "reason": choices.reason, "payer": choices.payer, "state": state, "transaction": transaction_id,
        })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    view(db, &id).await
}

/// Approves (posting it) or rejects a pending refund. The requester cannot decide their own.
pub async fn decide(db: &Db, actor: &Actor, id: &str, approve: bool, note: Option<String>) -> Result<RefundView, AppError> {
    if !approve && note.is_none() {
        return Err(AppError::validation("note", say!("say why the refund is rejected", "却下の理由を入力してください")));
    }
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    expire(&mut tx.tx, now).await?;
    let request = pending(&mut tx.tx, db, id).await?;
    if request.requested_by_id.is_some() && request.requested_by_id == actor.user_id {
        return Err(AppError::conflict(say!(
            "A refund is approved or rejected by an admin other than the one who requested it.",
            "返金の承認・却下は、申請者とは別の管理者が行います。"
        )));
    }
    let transaction_id = match approve {
        true => {
            store::lock_payment(&mut tx.tx, db, &request.payment_id).await?;
            let payment = payment(&mut tx.tx, &request.payment_id).await?;
            let exponent = currency_of(&mut tx.tx, &payment).await?.exponent;
            let choices = Choices { reason: request.reason, note: request.note.clone(), payer: request.payer };
            let plan = plan(&mut tx.tx, payment, &format_amount(request.amount, exponent), &choices, Some(id), now).await?;
            Some(post(&mut tx.tx, db, actor, &plan, id, &choices).await?)
        }
        false => None,
    };
    let to = if approve { RefundState::Posted } else { RefundState::Rejected };
    let decision = Decision { by_id: actor.user_id.as_deref(), by: &actor.label, at: now, note: note.as_deref(), transaction_id: transaction_id.as_deref() };
    if !store::decide(&mut tx.tx, id, to, &decision).await? {
        return Err(AppError::conflict(say!("The refund changed meanwhile; look again.", "その間に返金が変更されました。もう一度確認してください。")));
    }
    let event = AuditEvent {
        action: if approve { "refund.approved" } else { "refund.rejected" },
        target: &format!("refund:{id}"),
        before: Some(json!({ "state": RefundState::PendingApproval })),
        after: Some(json!({ "state": to, "note": note, "transaction": transaction_id })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    view(db, id).await
}

/// The requester takes back a refund still awaiting approval.
pub async fn withdraw(db: &Db, actor: &Actor, id: &str) -> Result<RefundView, AppError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    expire(&mut tx.tx, now).await?;
    let request = pending(&mut tx.tx, db, id).await?;
    if request.requested_by_id.is_none() || request.requested_by_id != actor.user_id {
        return Err(AppError::conflict(say!("Only the person who requested a refund can withdraw it.", "返金申請を取り下げられるのは、申請者本人のみです。")));
    }
    let decision = Decision { by_id: actor.user_id.as_deref(), by: &actor.label, at: now, note: None, transaction_id: None };
    if !store::decide(&mut tx.tx, id, RefundState::Withdrawn, &decision).await? {
        return Err(AppError::conflict(say!("The refund changed meanwhile; look again.", "その間に返金が変更されました。もう一度確認してください。")));
    }
    let event = AuditEvent {
        action: "refund.withdrawn",
        target: &format!("refund:{id}"),
        before: Some(json!({ "state": RefundState::PendingApproval })),
        after: Some(json!({ "state": RefundState::Withdrawn })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    view(db, id).await
}

async fn pending(tx: &mut DbTx, db: &Db, id: &str) -> Result<RefundRequest, AppError> {
    let request = store::find_for_update(tx, db, id).await?.ok_or_else(|| AppError::not_found("refund"))?;
    if request.state != RefundState::PendingApproval {
        return Err(AppError::conflict(say!(
            "This refund is {}; only one awaiting approval can change.",
            "この返金の状態は「{}」です。変更できるのは承認待ちの返金のみです。";
            request.state => request.state.as_str().parse().map_or("", |stage| stage_name(MoneyTexts::of(Locale::Ja), stage))
        )));
    }
    Ok(request)
}

fn view_of(r: RefundRow) -> RefundView {
    let fiat = match (r.fiat_amount, &r.fiat_currency) {
        (Some(minor), Some(currency)) => format_fiat(minor, currency),
        _ => "at approval".to_string(),
    };
    RefundView {
        amount: format_amount(r.amount, r.exponent),
        id: r.id,
        payment_id: r.payment_id,
        payment_ref: r.payment_ref,
        transaction_id: r.transaction_id,
        account: r.account,
        merchant: r.merchant,
        currency: r.currency,
        amount_minor: r.amount,
        fiat,
        reason: r.reason,
        note: r.note,
        payer: r.payer,
        stage: r.stage,
        stripe_error: r.stripe_error.filter(|_| r.stage == RefundStage::StripeFailed),
        source: r.source,
        requested_by: r.requested_by,
        requested_at: format_ms(r.requested_at),
        decided_by: r.decided_by,
        decided_at: r.decided_at.map(format_ms),
        decision_note: r.decision_note,
        expires_at: r.expires_at.map(format_ms),
    }
}

async fn view(db: &Db, id: &str) -> Result<RefundView, AppError> {
    let query = RefundQuery { id: Some(id.to_string()), now: now_ms(), ..RefundQuery::default() };
    let row = store::page(db, &query, None, 1).await?.into_iter().next().ok_or_else(|| AppError::not_found("refund"))?;
    Ok(view_of(row))
}

fn choice<T: FromStr<Err = String>>(field: &str, value: Option<String>) -> Result<Option<T>, AppError> {
    value.map(|v| v.parse().map_err(|e: String| AppError::validation(field, e))).transpose()
}

/// Reads the Refunds page's filter as people fill it in; errors name the field.
pub async fn parse_filter(db: &Db, filter: &RefundFilter) -> Result<RefundQuery, AppError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let amounts = amount_range(&currencies::list(db).await?, filter.currency.clone(), filter.min_amount.clone(), filter.max_amount.clone())?;
    Ok(RefundQuery {
        id: None,
        stage: choice("stage", text(&filter.stage))?,
        reason: choice("reason", text(&filter.reason))?,
        from_ms: text(&filter.from).map(|d| day_start_ms("from", &d)).transpose()?,
        to_ms: text(&filter.to).map(|d| day_start_ms("to", &d).map(|ms| ms + 86_400_000)).transpose()?,
        account_ref: text(&filter.account),
        currency: amounts.currency,
        min_amount: amounts.min,
        max_amount: amounts.max,
        now: now_ms(),
    })
}

/// A page of refunds, newest first, with the count and totals of everything the filter matches.
pub async fn page(db: &Db, filter: &RefundFilter, after: Option<String>) -> Result<RefundPage, AppError> {
    let query = parse_filter(db, filter).await?;
    let before = after.map(|cursor| parse_cursor("after", &cursor)).transpose()?;
    let rows = store::page(db, &query, before, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let next_cursor = if more { rows.get(PAGE_SIZE as usize - 1).map(|r| format!("{}_{}", r.requested_at, r.id)) } else { None };
    let totals = store::totals(db, &query).await?;
    Ok(RefundPage {
        rows: rows.into_iter().take(PAGE_SIZE as usize).map(view_of).collect(),
        next_cursor,
        count: totals.iter().map(|(_, _, n, _)| n).sum(),
        totals: totals.iter().map(|(currency, exponent, _, sum)| Money::new(*sum, currency.clone()).format(*exponent)).collect(),
    })
}

/// Up to `limit` refunds after `before` (newest first) and the cursor of the last, for exports.
pub async fn chunk(db: &Db, query: &RefundQuery, before: Option<(i64, String)>, limit: i64) -> Result<(Vec<RefundView>, Option<(i64, String)>), AppError> {
    let rows = store::page(db, query, before, limit).await?;
    let last = rows.last().map(|r| (r.requested_at, r.id.clone())).filter(|_| rows.len() as i64 == limit);
    Ok((rows.into_iter().map(view_of).collect(), last))
}

pub async fn pending_count(db: &Db) -> Result<i64, AppError> {
    Ok(store::pending_count(db, now_ms()).await?)
}

/// Sets (or with `None` clears) the amount above which a currency's refunds need approval.
pub async fn set_approval_threshold(db: &Db, actor: &Actor, currency: &str, threshold: Option<&str>) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let found = currencies::find_tx(&mut tx.tx, currency)
        .await?
        .ok_or_else(|| AppError::validation("currency", say!("there is no such currency", "該当する通貨が存在しません")))?;
    let minor = threshold.map(|t| parse_amount(t, found.exponent).map_err(|e| AppError::validation("threshold", e))).transpose()?;
    let before = found.refund_approval_threshold;
    store::set_approval_threshold(&mut tx.tx, currency, minor).await?;
    let event = AuditEvent {
        action: "currency.refund_threshold",
        target: &format!("currency:{currency}"),
        before: Some(json!({ "refund_approval_threshold": before })),
        after: Some(json!({ "refund_approval_threshold": minor })),
    };
    audit::record(&mut tx.tx, actor, event).await?;
    tx.commit().await?;
    Ok(())
}
