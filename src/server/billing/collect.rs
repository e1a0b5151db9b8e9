//! "Collect from wallet": the member pays what the invoice has left to pay from their coins, in
//! one ledger transaction (`invoice_payment` to the operator, naming the invoice) whose delivery
//! reports the Payment Record and attaches it to the invoice. The transaction's reference names
//! the invoice and the amount left, so collecting twice, even at once, posts one payment.

use crate::domain::AppError;
use crate::domain::billing::{CollectionPreview, InvoiceOrigin, InvoiceStatus};
use crate::domain::ledger::{AccountStatus, Source, TransactionKind};
use crate::domain::locale::Locale;
use crate::domain::money::{Money, format_amount};
use crate::i18n::TextGroup;
use crate::i18n::billing::{Billing, status_label};
use crate::say;
use crate::server::db::accounts::{self, Account};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::currencies::{self, Currency};
use crate::server::db::invoices::{self as store, Billable, Invoice};
use crate::server::db::{Db, DbTx};
use crate::server::ledger::TransferInput;
use crate::server::ledger::posting::post_in;
use serde_json::json;

/// What collecting the invoice now would move.
struct Plan {
    invoice: Invoice,
    stripe_id: String,
    currency: Currency,
    member: Billable,
    operator: Account,
    /// Local minor units debited, and the fiat they settle (what Stripe says is left to pay).
    amount: i64,
    fiat: i64,
    balance: i64,
}

impl Plan {
    fn local(&self, minor: i64) -> String {
        Money::new(minor, self.currency.code.clone()).format(self.currency.exponent)
    }

    fn shortfall(&self) -> Option<i64> {
        Some(self.amount - self.balance).filter(|s| *s > 0)
    }

    fn label(&self) -> String {
        self.invoice.number.clone().unwrap_or_else(|| self.stripe_id.clone())
    }
}

async fn plan(tx: &mut DbTx, id: &str, lock: &str) -> Result<Plan, AppError> {
    let invoice = store::find(tx, id, lock).await?.ok_or_else(|| AppError::not_found(format!("invoice {id}")))?;
    if invoice.status != InvoiceStatus::Open {
        return Err(AppError::conflict(say!(
            "The invoice is {}: only an open invoice can be collected",
            "請求書の状態は「{}」です。回収できるのは未払いの請求書だけです";
            invoice.status => status_label(Billing::of(Locale::Ja), invoice.status.as_str())
        )));
    }
    let Some(stripe_id) = invoice.stripe_id.clone() else {
        return Err(AppError::conflict(say!("Stripe does not have the invoice yet", "この請求書はまだ Stripe に登録されていません")));
    };
    if invoice.fiat_remaining <= 0 {
        return Err(AppError::conflict(say!("Nothing is left to pay on this invoice", "この請求書に未払いの残額はありません")));
    }
    if store::payments(tx, &stripe_id).await?.iter().any(|p| p.mirror.as_deref() != Some("delivered")) {
        return Err(AppError::conflict(say!(
            "A collection of this invoice is still on its way to Stripe; wait for it to land",
            "この請求書の回収を Stripe に送信中です。反映されるまでお待ちください"
        )));
    }
    let currency = currencies::find_tx(tx, &invoice.currency).await?.ok_or_else(|| AppError::not_found(format!("currency {}", invoice.currency)))?;
    let member = store::billable_account(tx, &invoice.account_id, lock).await?.ok_or_else(|| AppError::not_found("the invoice's member account"))?;
    if member.status != AccountStatus::Active {
        return Err(AppError::conflict(say!(
            "{} is {}: their wallet cannot be debited",
            "{}の口座は {} です。ウォレットから引き落とせません",
            member.display_name,
            member.status
        )));
    }
    let operator = accounts::operator_tx(tx).await?.ok_or_else(|| {
        AppError::conflict(say!("There is no active operator account to receive the payment", "支払いを受け取る有効な運営者口座がありません"))
    })?;
    // A Regio invoice not yet part-paid costs what its lines were priced at; anything else is
    // what Stripe says is left, converted back at the peg.
    let amount = match invoice.origin {
        InvoiceOrigin::Regio if invoice.fiat_remaining == invoice.fiat_total => invoice.local_total,
        _ => currency
            .peg()
            .to_local(invoice.fiat_remaining)
            .ok_or_else(|| AppError::conflict(say!("The amount left is too large to convert", "残額が大きすぎて換算できません")))?,
    };
    if amount <= 0 {
        return Err(AppError::conflict(say!(
            "What is left is worth nothing in local currency at the peg",
            "残額をペッグレートで換算すると地域通貨で0になります"
        )));
    }
    let balance = accounts::balances(tx, std::slice::from_ref(&member.id)).await?.get(&(member.id.clone(), currency.code.clone())).copied().unwrap_or(0);
    Ok(Plan { fiat: invoice.fiat_remaining, invoice, stripe_id, currency, member, operator, amount, balance })
}

pub async fn preview_collection(db: &Db, id: &str) -> Result<CollectionPreview, AppError> {
    let mut tx = db.begin().await?;
    let p = plan(&mut tx, id, "").await?;
    let fiat = Money::new(p.fiat, p.invoice.fiat_currency.clone()).format_fiat();
    Ok(CollectionPreview {
        invoice_id: p.invoice.id.clone(),
        member: format!("{} ({})", p.member.display_name, p.member.external_ref),
        balance: p.local(p.balance),
        amount: p.local(p.amount),
        fiat: fiat.clone(),
        balance_after: p.local(p.balance - p.amount),
        shortfall: p.shortfall().map(|s| p.local(s)),
        ledger: vec![
            format!("Debit {} from {}'s wallet", p.local(p.amount), p.member.display_name),
            format!("Credit it to the operator account {}", p.operator.display_name),
        ],
        stripe: vec![
            format!("Report a Payment Record of {fiat} paid in {}", p.currency.payment_method_name),
            format!("Attach it to invoice {}, which turns paid", p.label()),
        ],
    })
}

/// What a collection may take when the wallet is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Refuse, stating the shortfall (the console; currencies collecting whole amounts only).
    Refuse,
    /// Take what the wallet holds and leave the rest due (Lago's prepaid-credit behaviour).
    TakeWhatIsThere,
}

/// What a collection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub transaction_id: String,
    /// Local minor units taken, and whether that was all the invoice needed.
    pub amount: i64,
    pub whole: bool,
}

/// Posts the collection; answers the ledger transaction's id.
pub async fn collect(db: &Db, actor: &Actor, id: &str) -> Result<String, AppError> {
    collect_with(db, actor, id, Shortfall::Refuse).await.map(|c| c.transaction_id)
}

/// Posts the collection, or with `TakeWhatIsThere` and a short wallet, a part of it.
pub async fn collect_with(db: &Db, actor: &Actor, id: &str, short: Shortfall) -> Result<Collected, AppError> {
    let mut wtx = db.begin_write().await?;
    let mut p = plan(&mut wtx.tx, id, db.for_update()).await?;
    let remaining = p.fiat;
    let whole = p.shortfall().is_none();
    match (p.shortfall(), short) {
        (None, _) => {}
        (Some(_), Shortfall::TakeWhatIsThere) if p.balance > 0 => {
            // A part: the wallet's whole balance, worth less than what is left.
            let fiat = p.currency.peg().to_fiat(p.balance).unwrap_or(0);
            if fiat <= 0 || fiat >= remaining {
                return Err(short_wallet(&p));
            }
            (p.amount, p.fiat) = (p.balance, fiat);
        }
        (Some(_), _) => return Err(short_wallet(&p)),
    }
    let input = TransferInput {
        // What is being done: this invoice, paid while it had `remaining` left.
        external_ref: format!("collect/{}/{remaining}", p.stripe_id),
        kind: TransactionKind::InvoicePayment.as_str().into(),
        currency: p.currency.code.clone(),
        amount: format_amount(p.amount, p.currency.exponent),
        from: Some(p.member.external_ref.clone()),
        to: Some(p.operator.external_ref.clone()),
        occurred_at: None,
        description: Some(format!("Invoice {}", p.label())),
        refund_of: None,
        corrects: None,
        invoice: Some(p.stripe_id.clone()),
        settles_fiat: Some(p.fiat),
    };
    let (posted, errors) = post_in(&mut wtx.tx, db, Source::Console, vec![input], actor, 0).await?;
    if let Some(e) = errors.first() {
        let refused = say!("the ledger refused the collection: {}", "台帳が回収を受け付けませんでした：{}"; &e.message.en => e.message.in_locale(Locale::Ja));
        return Err(AppError::validation(e.field.clone(), refused));
    }
    let posted = posted.first().ok_or(AppError::Internal)?;
    if !posted.created {
        return Err(AppError::conflict(say!("This invoice was already collected for this amount", "この請求書はこの金額ですでに回収済みです")));
    }
    let event = AuditEvent {
        action: "billing.invoice_collect",
        target: &format!("invoice:{}", p.invoice.id),
        before: Some(json!({ "balance": p.balance, "fiat_remaining": p.fiat })),
        after: Some(json!({ "transaction": posted.id, "amount": p.amount, "fiat": p.fiat })),
    };
    audit::record(&mut wtx.tx, actor, event).await?;
    wtx.commit().await?;
    Ok(Collected { transaction_id: posted.id.clone(), amount: p.amount, whole })
}

fn short_wallet(p: &Plan) -> AppError {
    let short = p.shortfall().unwrap_or_default();
    AppError::validation(
        "amount",
        say!(
            "{} holds {}: {} short of the {} this invoice needs",
            "{0}の残高は {1} で、この請求書に必要な {3} に {2} 不足しています",
            p.member.display_name,
            p.local(p.balance),
            p.local(short),
            p.local(p.amount)
        ),
    )
}
