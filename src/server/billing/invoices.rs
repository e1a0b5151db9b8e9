//! Invoices administrators make: a draft priced in local currency (each line converted to fiat
//! at the peg with the one rounding rule), created, finalized, voided or marked uncollectible in
//! Stripe by queued steps; the billing page's list and the invoice page.

use super::step_view;
use crate::domain::billing::{
    BillableMember, BillingCurrency, BillingSetup, CreditNoteView, InvoiceAction, InvoiceDetail, InvoiceFilter, InvoiceLineView, InvoiceOrigin, InvoicePage,
    InvoicePaymentView, InvoiceRow, InvoiceStatus, LineInput, MAX_LINES, StepKind,
};
use crate::domain::locale::Locale;
use crate::domain::money::{MAX_AMOUNT, Money, parse_amount};
use crate::domain::{AppError, Role};
use crate::i18n::TextGroup;
use crate::i18n::billing::{Billing, action_name, status_label};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::invoices::{self as store, Invoice, Line, ListFilter, Listed};
use crate::server::db::{DAY_MS, Db, billing_steps, currencies, format_ms, new_id, now_ms};
use crate::server::ledger::queries::{day_start_ms, given, parse_cursor};
use crate::server::stripe::client::StripeClient;
use crate::server::stripe::client::credit_notes::ListCreditNotes;
use serde_json::json;

const PAGE_SIZE: usize = 50;
const MAX_DESCRIPTION_LEN: usize = 250;
const MAX_MEMO_LEN: usize = 500;
const MAX_QUANTITY: i64 = 100_000;
const DEFAULT_DUE_DAYS: i64 = 30;
/// Credit notes read for the invoice page.
const MAX_CREDIT_NOTES: usize = 100;

/// A new invoice as the form sends it.
pub struct NewInvoice {
    pub account_id: String,
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub due_date: String,
    pub memo: String,
}

pub async fn setup(db: &Db) -> Result<BillingSetup, AppError> {
    let currencies = currencies::list(db)
        .await?
        .into_iter()
        .map(|c| BillingCurrency {
            code: c.code,
            name: c.name,
            exponent: c.exponent,
            fiat_currency: c.fiat_currency,
            fiat_exponent: c.fiat_exponent,
            peg_rate: c.peg_rate.to_string(),
        })
        .collect();
    let members = store::linked_members(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let customer = m.customer?;
            Some(BillableMember { account_id: m.id, account_ref: m.external_ref, display_name: m.display_name, customer })
        })
        .collect();
    let due = time::OffsetDateTime::now_utc().date() + time::Duration::days(DEFAULT_DUE_DAYS);
    Ok(BillingSetup { currencies, members, default_due_date: due.to_string() })
}

/// Lines as typed, priced: rows left entirely empty are skipped; anything else must be whole.
fn price_lines(lines: &[LineInput], exponent: u32, peg: &crate::domain::money::Peg) -> Result<Vec<Line>, AppError> {
    let typed: Vec<(usize, &LineInput)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !(l.description.trim().is_empty() && l.unit_amount.trim().is_empty() && matches!(l.quantity.trim(), "" | "1")))
        .collect();
    if typed.is_empty() {
        return Err(AppError::validation("lines", say!("add at least one line", "明細を1行以上追加してください")));
    }
    if typed.len() > MAX_LINES {
        return Err(AppError::validation("lines", say!("use at most {MAX_LINES} lines", "明細は{MAX_LINES}行以内にしてください")));
    }
    let mut priced = Vec::with_capacity(typed.len());
    let mut total = 0i64;
    for (n, line) in typed {
        let field = |name: &str| format!("lines[{n}][{name}]");
        let description = line.description.trim();
        if description.is_empty() || description.chars().count() > MAX_DESCRIPTION_LEN || description.chars().any(char::is_control) {
            return Err(AppError::validation(
                field("description"),
                say!(
                    "line {}: say what it is for, in at most {MAX_DESCRIPTION_LEN} characters",
                    "{}行目：内容を{MAX_DESCRIPTION_LEN}文字以内で入力してください",
                    n + 1
                ),
            ));
        }
        let quantity: i64 = line.quantity.trim().parse().ok().filter(|q| (1..=MAX_QUANTITY).contains(q)).ok_or_else(|| {
            AppError::validation(
                field("quantity"),
                say!("line {}: a whole number from 1 to {MAX_QUANTITY}", "{}行目：1から{MAX_QUANTITY}までの整数で入力してください", n + 1),
            )
        })?;
        let unit_amount = parse_amount(&line.unit_amount, exponent).map_err(|e| AppError::validation(field("unit_amount"), format!("line {}: {e}", n + 1)))?;
        if unit_amount == 0 {
            return Err(AppError::validation(field("unit_amount"), say!("line {}: must be more than zero", "{}行目：0より大きい値を入力してください", n + 1)));
        }
        let local_amount = unit_amount.checked_mul(quantity).filter(|a| *a <= MAX_AMOUNT);
        let local_amount = local_amount
            .ok_or_else(|| AppError::validation(field("quantity"), say!("line {}: the line's total is too large", "{}行目：小計が大きすぎます", n + 1)))?;
        let fiat_amount = peg.to_fiat(local_amount).ok_or_else(|| {
            AppError::validation(field("unit_amount"), say!("line {}: too large to convert", "{}行目：金額が大きすぎて換算できません", n + 1))
        })?;
        if fiat_amount == 0 {
            return Err(AppError::validation(
                field("unit_amount"),
                say!("line {}: worth nothing in fiat at the peg", "{}行目：ペッグレートで換算すると法定通貨で0になります", n + 1),
            ));
        }
        total = total
            .checked_add(local_amount)
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| AppError::validation("lines", say!("the invoice's total is too large", "請求書の合計額が大きすぎます")))?;
        priced.push(Line { description: description.to_string(), quantity, unit_amount, local_amount, fiat_amount });
    }
    Ok(priced)
}

/// Saves the draft and queues its creation in Stripe (with its lines, under keys named after
/// the invoice); answers the invoice's id.
pub async fn create_invoice(db: &Db, actor: &Actor, input: &NewInvoice) -> Result<String, AppError> {
    let memo = input.memo.trim();
    if memo.chars().count() > MAX_MEMO_LEN {
        return Err(AppError::validation("memo", say!("use at most {MAX_MEMO_LEN} characters", "{MAX_MEMO_LEN}文字以内で入力してください")));
    }
    let due_at = day_start_ms("due_date", input.due_date.trim())?;
    let today = day_start_ms("due_date", &time::OffsetDateTime::now_utc().date().to_string())?;
    if due_at < today {
        return Err(AppError::validation("due_date", say!("is in the past", "過去の日付です")));
    }
    let mut wtx = db.begin_write().await?;
    let currency = currencies::find_tx(&mut wtx.tx, input.currency.trim()).await?.ok_or_else(|| {
        AppError::validation("currency", say!("'{}' is not a currency set up in Regio", "「{}」は Regio に登録された通貨ではありません", input.currency))
    })?;
    let lines = price_lines(&input.lines, currency.exponent, &currency.peg())?;
    let account = store::billable_account(&mut wtx.tx, &input.account_id, db.for_update())
        .await?
        .ok_or_else(|| AppError::validation("account_id", say!("choose a member", "会員を選んでください")))?;
    let Some(customer) = account.customer.clone() else {
        return Err(AppError::validation(
            "account_id",
            say!("{} is not linked to a Stripe customer", "{}は Stripe の顧客と紐付いていません", account.display_name),
        ));
    };
    let id = new_id();
    let invoice = Invoice {
        id: id.clone(),
        stripe_id: None,
        account_id: account.id.clone(),
        customer,
        currency: currency.code.clone(),
        local_total: lines.iter().map(|l| l.local_amount).sum(),
        fiat_currency: currency.fiat_currency.clone(),
        fiat_total: lines.iter().map(|l| l.fiat_amount).sum(),
        fiat_remaining: lines.iter().map(|l| l.fiat_amount).sum(),
        status: InvoiceStatus::Draft,
        origin: InvoiceOrigin::Regio,
        number: None,
        // Due at the end of the chosen day.
        due_at: Some(due_at + DAY_MS - 1000),
        memo: memo.to_string(),
        hosted_url: None,
        created_by: actor.label.clone(),
        created_at: now_ms(),
        subscription: None,
    };
    store::insert(&mut wtx.tx, &invoice).await?;
    store::insert_lines(&mut wtx.tx, &id, &lines).await?;
    billing_steps::enqueue(&mut wtx.tx, &new_id(), &id, StepKind::CreateInvoice, &format!("invoice/{id}/create"), &actor.label).await?;
    let event = AuditEvent {
        action: "billing.invoice_create",
        target: &format!("invoice:{id}"),
        before: None,
        after: Some(json!({
            "account": account.external_ref, "currency": currency.code, "local_total": invoice.local_total,
            "fiat_total": invoice.fiat_total, "lines": lines.len(), "due_at": invoice.due_at,
        })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(id)
}

fn step_of(action: InvoiceAction) -> StepKind {
    match action {
        InvoiceAction::Finalize => StepKind::FinalizeInvoice,
        InvoiceAction::Void => StepKind::VoidInvoice,
        InvoiceAction::MarkUncollectible => StepKind::MarkUncollectible,
    }
}

/// Which actions an invoice in `status` allows (as Stripe does: finalize a draft; void or mark
/// uncollectible an open invoice; void an uncollectible one).
fn allowed(status: InvoiceStatus, action: InvoiceAction) -> bool {
    matches!(
        (status, action),
        (InvoiceStatus::Draft, InvoiceAction::Finalize)
            | (InvoiceStatus::Open, InvoiceAction::Void | InvoiceAction::MarkUncollectible)
            | (InvoiceStatus::Uncollectible, InvoiceAction::Void)
    )
}

/// Queues `action` for Stripe; asking twice queues one call (the key names the invoice and the
/// action).
pub async fn invoice_action(db: &Db, actor: &Actor, id: &str, action: InvoiceAction) -> Result<(), AppError> {
    let mut wtx = db.begin_write().await?;
    let invoice = store::find(&mut wtx.tx, id, db.for_update()).await?.ok_or_else(|| AppError::not_found(format!("invoice {id}")))?;
    if !allowed(invoice.status, action) {
        return Err(AppError::conflict(say!(
            "The invoice is {}: it cannot be {}",
            "請求書の状態は「{}」です。「{}」はできません";
            invoice.status => status_label(Billing::of(Locale::Ja), invoice.status.as_str()),
            action.as_str().replace('_', " ") => action_name(Billing::of(Locale::Ja), action)
        )));
    }
    if action == InvoiceAction::Void
        && invoice.status == InvoiceStatus::Open
        && !store::payments(&mut wtx.tx, invoice.stripe_id.as_deref().unwrap_or_default()).await?.is_empty()
    {
        return Err(AppError::conflict(say!(
            "The invoice has a payment from the member's wallet: refund it instead of voiding the invoice",
            "この請求書には会員のウォレットからの支払いがあります。請求書を無効にする代わりに、支払いを返金してください"
        )));
    }
    let step = step_of(action);
    let queued = billing_steps::enqueue(&mut wtx.tx, &new_id(), id, step, &format!("invoice/{id}/{}", action.as_str()), &actor.label).await?;
    if !queued {
        return Err(AppError::conflict(say!("{} was already asked for this invoice", "この請求書にはすでに「{}」を依頼済みです", step.label())));
    }
    let event = AuditEvent {
        action: "billing.invoice_action",
        target: &format!("invoice:{id}"),
        before: Some(json!({ "status": invoice.status })),
        after: Some(json!({ "queued": action })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(())
}

fn parse_filter(filter: &InvoiceFilter) -> Result<ListFilter, AppError> {
    Ok(ListFilter {
        status: given(filter.status.clone()).map(|s| s.parse().map_err(|e: String| AppError::validation("status", e))).transpose()?,
        account_ref: given(filter.account.clone()),
        origin: given(filter.origin.clone()).map(|s| s.parse().map_err(|e: String| AppError::validation("origin", e))).transpose()?,
        due_before: given(filter.due_to.clone()).map(|d| day_start_ms("due_to", &d).map(|ms| ms + DAY_MS - 1)).transpose()?,
    })
}

pub fn row_of(l: Listed) -> InvoiceRow {
    let exponent = u32::try_from(l.exponent).unwrap_or(0);
    let i = l.invoice;
    let fiat = |minor: i64| Money::new(minor, i.fiat_currency.clone()).format_fiat();
    InvoiceRow {
        local_total: Money::new(i.local_total, i.currency.clone()).format(exponent),
        fiat_total: fiat(i.fiat_total),
        fiat_remaining: fiat(i.fiat_remaining),
        id: i.id,
        stripe_id: i.stripe_id,
        number: i.number,
        account_id: i.account_id,
        account_ref: l.account_ref,
        member: l.member,
        status: i.status,
        origin: i.origin,
        due_date: i.due_at.map(|d| format_ms(d).get(..10).unwrap_or_default().to_string()),
        created_at: format_ms(i.created_at),
        step_pending: l.step_pending,
        step_failed: l.step_failed,
    }
}

pub async fn invoice_page(db: &Db, filter: &InvoiceFilter, after: Option<String>) -> Result<InvoicePage, AppError> {
    let query = parse_filter(filter)?;
    let cursor = after.map(|c| parse_cursor("after", &c)).transpose()?;
    let mut rows = store::page(db, &query, cursor, PAGE_SIZE).await?;
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    let next_cursor = if more { rows.last().map(|r| format!("{}_{}", r.invoice.created_at, r.invoice.id)) } else { None };
    let count = store::count(db, &query).await?;
    Ok(InvoicePage { rows: rows.into_iter().map(row_of).collect(), next_cursor, count })
}

/// The filter's rows for the CSV export, in pages of the list's own query.
pub async fn export_page(db: &Db, filter: &InvoiceFilter, cursor: Option<(i64, String)>, limit: usize) -> Result<Vec<Listed>, AppError> {
    Ok(store::page(db, &parse_filter(filter)?, cursor, limit).await?)
}

pub async fn invoice_detail(db: &Db, stripe: Option<&StripeClient>, role: Role, id: &str) -> Result<InvoiceDetail, AppError> {
    let mut tx = db.begin().await?;
    let invoice = store::find(&mut tx, id, "").await?.ok_or_else(|| AppError::not_found(format!("invoice {id}")))?;
    let lines = store::lines(&mut tx, id).await?;
    let steps: Vec<_> = billing_steps::of_subject(&mut tx, id).await?;
    let payments = match &invoice.stripe_id {
        Some(stripe_id) => store::payments(&mut tx, stripe_id).await?,
        None => Vec::new(),
    };
    let currency = currencies::find_tx(&mut tx, &invoice.currency).await?.ok_or_else(|| AppError::not_found(format!("currency {}", invoice.currency)))?;
    let member = store::billable_account(&mut tx, &invoice.account_id, "").await?;
    drop(tx);
    let exponent = currency.exponent;
    let local = |minor: i64| Money::new(minor, invoice.currency.clone()).format(exponent);
    let fiat = |minor: i64| Money::new(minor, invoice.fiat_currency.clone()).format_fiat();
    let busy = steps.iter().any(|s| s.state == crate::domain::billing::StepState::Pending);
    let in_flight = payments.iter().any(|p| p.mirror.as_deref() != Some("delivered"));
    let admin = role.includes(Role::Admin);
    let collect_blocked = if invoice.status != InvoiceStatus::Open {
        Some(format!("Only an open invoice can be collected; this one is {}.", invoice.status))
    } else if in_flight {
        Some("A collection from the wallet is on its way to Stripe.".to_string())
    } else if invoice.fiat_remaining <= 0 {
        Some("Nothing is left to pay.".to_string())
    } else {
        None
    };
    let can = |action: InvoiceAction| admin && !busy && allowed(invoice.status, action);
    let credit_notes = match (&invoice.stripe_id, stripe) {
        (Some(stripe_id), Some(client)) => credit_notes(client, stripe_id, &fiat).await,
        (None, _) => Some(Vec::new()),
        (Some(_), None) => None,
    };
    let row = Listed {
        account_ref: member.as_ref().map(|m| m.external_ref.clone()).unwrap_or_default(),
        member: member.map(|m| m.display_name).unwrap_or_default(),
        exponent: i64::from(exponent),
        step_pending: busy,
        step_failed: steps.iter().any(|s| s.state == crate::domain::billing::StepState::Failed),
        invoice: invoice.clone(),
    };
    Ok(InvoiceDetail {
        invoice: row_of(row),
        memo: invoice.memo.clone(),
        currency: invoice.currency.clone(),
        lines: lines
            .iter()
            .map(|l| InvoiceLineView {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_amount: local(l.unit_amount),
                local_amount: local(l.local_amount),
                fiat_amount: fiat(l.fiat_amount),
            })
            .collect(),
        steps: steps.into_iter().map(step_view).collect(),
        payments: payments
            .into_iter()
            .map(|p| InvoicePaymentView {
                amount: local(p.amount),
                fiat: p.fiat_amount.map(fiat).unwrap_or_default(),
                occurred_at: format_ms(p.occurred_at),
                mirror: p.mirror.unwrap_or_else(|| "none".into()),
                record_id: p.record_id,
                transaction_id: p.transaction_id,
            })
            .collect(),
        credit_notes,
        hosted_invoice_url: invoice.hosted_url.clone(),
        can_finalize: can(InvoiceAction::Finalize),
        can_void: can(InvoiceAction::Void),
        can_mark_uncollectible: can(InvoiceAction::MarkUncollectible),
        can_collect: admin && collect_blocked.is_none(),
        collect_blocked,
    })
}

/// The invoice's credit notes as Stripe has them now; `None` when Stripe could not be asked.
async fn credit_notes(client: &StripeClient, stripe_id: &str, fiat: &impl Fn(i64) -> String) -> Option<Vec<CreditNoteView>> {
    let request = ListCreditNotes { invoice: Some(stripe_id.to_string()), ..ListCreditNotes::default() };
    let mut pages = client.credit_notes().list(&request);
    let mut notes = Vec::new();
    while notes.len() < MAX_CREDIT_NOTES {
        match pages.next_item().await {
            Ok(Some(note)) => notes.push(CreditNoteView {
                refund_transaction: note.metadata.get("regio_transaction_id").cloned(),
                amount: fiat(note.amount),
                created_at: format_ms(note.created.saturating_mul(1000)),
                number: note.number,
                id: note.id,
            }),
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, invoice = stripe_id, "billing: listing credit notes");
                return None;
            }
        }
    }
    Some(notes)
}
