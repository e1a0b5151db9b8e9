//! Posting a batch of transfers: all of them or none, each checked against the ledger's rules,
//! each payment and refund queued for Stripe in the same database transaction.

use super::input::{ItemError, TransferInput};
use crate::domain::Message;
use crate::domain::ledger::{AccountKind, AccountStatus, Source, TransactionKind};
use crate::domain::locale::Locale;
use crate::domain::money::Peg;
use crate::domain::money::{Money, format_fiat, parse_amount};
use crate::i18n::money::{Money as MoneyTexts, account_kind_name, account_status_name};
use crate::i18n::{TextGroup, Texts, kind_name};
use crate::say;
use crate::server::db::accounts::{self, Account};
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::currencies::{self, Currency};
use crate::server::db::ledger::{self, LedgerTransaction};
use crate::server::db::outbox::{self, NewDelivery, Operation};
use crate::server::db::{Db, DbKind, DbTx, new_id, now_ms};
use crate::server::mirror;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

pub const MAX_BATCH: usize = 1_000;
/// PostgreSQL's SQLSTATE for a transaction it ended to break a deadlock.
const DEADLOCK: &str = "40P01";
const MAX_REF_LEN: usize = 128;
const MAX_DESCRIPTION_LEN: usize = 500;
/// How far in the future `occurred_at` may be (clock skew between systems).
const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub index: usize,
    pub id: String,
    pub external_ref: String,
    /// False when the transaction existed already (the batch was sent before).
    pub created: bool,
}

#[derive(Debug)]
pub enum BatchError {
    /// Nothing was written; every bad item is listed.
    Invalid(Vec<ItemError>),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for BatchError {
    fn from(e: sqlx::Error) -> Self {
        BatchError::Database(e)
    }
}

/// Posts `inputs` from `source` atomically. Sending the same batch again creates nothing and
/// answers with the same ids.
pub async fn post_batch(db: &Db, source: Source, inputs: Vec<TransferInput>, actor: &Actor) -> Result<Vec<Posted>, BatchError> {
    if inputs.len() > MAX_BATCH {
        return Err(BatchError::Invalid(vec![ItemError::new(
            0,
            "transactions",
            say!("send at most {MAX_BATCH} per batch", "1バッチにつき{MAX_BATCH}件までにしてください"),
        )]));
    }
    // Refunds are checked against what their payment has had refunded, which only holding its
    // accounts exclusively keeps still.
    if db.kind == DbKind::Postgres
        && inputs.iter().all(|i| trimmed(&i.refund_of).is_none())
        && let Some(posted) = post_sharing_accounts(db, source, &inputs, actor).await?
    {
        return Ok(posted);
    }
    let mut tx = db.begin_write().await?;
    let (posted, errors) = post_in(&mut tx.tx, db, source, inputs, actor, 0).await?;
    if !errors.is_empty() {
        return Err(BatchError::Invalid(errors));
    }
    tx.commit().await?;
    Ok(posted)
}

/// PostgreSQL: posts a batch while holding its accounts shared instead of exclusively, so that
/// concurrent batches through the same accounts (every batch of a busy payment system touches
/// most members) are checked and written side by side instead of taking turns. Statuses cannot
/// change under a shared lock, but balances can: other batches posted this way may debit the
/// same accounts (every other writer holds them exclusively and waits). So once its own changes
/// are in, the batch checks that each balance it debits still covered it at its lowest point.
///
/// Answers `None`, having written nothing, when that check fails, when an item is refused, or
/// when a concurrent batch recorded one of its references first: the caller then posts it
/// holding the accounts exclusively, and that answer is the one given.
async fn post_sharing_accounts(db: &Db, source: Source, inputs: &[TransferInput], actor: &Actor) -> Result<Option<Vec<Posted>>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match write_sharing_accounts(&mut tx.tx, db, source, inputs, actor).await? {
        Some(posted) => {
            tx.commit().await?;
            Ok(Some(posted))
        }
        // The exclusive way waits for the shared locks this held: they go before it starts.
        None => {
            tx.rollback().await?;
            Ok(None)
        }
    }
}

/// `post_sharing_accounts` inside its transaction: `None` when the batch must go the exclusive way.
async fn write_sharing_accounts(tx: &mut DbTx, db: &Db, source: Source, inputs: &[TransferInput], actor: &Actor) -> Result<Option<Vec<Posted>>, sqlx::Error> {
    let checked = check_all(tx, db, Sources::one(source), inputs.to_vec(), 0, &Pending::default(), db.for_share()).await?;
    if !checked.errors.is_empty() {
        return Ok(None);
    }
    match write(tx, source, actor, &checked).await {
        // Two batches resending the same references in different orders can each wait for the
        // other's row: PostgreSQL ends one as a deadlock, which then goes the exclusive way.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() || e.code().as_deref() == Some(DEADLOCK) => return Ok(None),
        written => written?,
    }
    let debited: Vec<String> = checked.must_cover.keys().map(|(account, _)| account.clone()).collect();
    // This batch's balance updates hold those rows until it ends, so they read as they stay.
    let balances = accounts::balances(tx, &debited).await?;
    let still_covered = checked.must_cover.iter().all(|(key, need)| {
        let after = balances.get(key).copied().unwrap_or(0);
        after.saturating_sub(checked.deltas.get(key).copied().unwrap_or(0)) >= *need
    });
    Ok(still_covered.then_some(checked.posted))
}

/// An item whose fields parsed; what remains is checking it against the ledger.
struct Parsed {
    index: usize,
    input: TransferInput,
    kind: TransactionKind,
    currency: Currency,
    amount: i64,
    occurred_at: i64,
}

fn parse_item(index: usize, input: TransferInput, currencies: &HashMap<String, Currency>, now: i64) -> Result<Parsed, ItemError> {
    let err = |field: &str, message: Message| ItemError::new(index, field, message);
    let external_ref = input.external_ref.trim();
    if external_ref.is_empty() || external_ref.len() > MAX_REF_LEN || external_ref.chars().any(char::is_control) {
        return Err(err("external_ref", say!("must be 1 to {MAX_REF_LEN} printable characters", "印字可能な1〜{MAX_REF_LEN}文字にしてください")));
    }
    let kind: TransactionKind = input.kind.trim().parse().map_err(|_| {
        let known = TransactionKind::NAMES.join(", ");
        err("kind", say!("'{}' is not one of: {known}", "「{}」は使用できません（使用できる種類：{known}）", input.kind.trim()))
    })?;
    let currency = currencies
        .get(input.currency.trim())
        .cloned()
        .ok_or_else(|| err("currency", say!("'{}' is not a currency set up in Regio", "「{}」は Regio に設定された通貨ではありません", input.currency)))?;
    let amount = parse_amount(&input.amount, currency.exponent).map_err(|e| err("amount", e.into()))?;
    let occurred_at = match input.occurred_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => now,
        Some(text) => parse_time(text)
            .ok_or_else(|| err("occurred_at", say!("use RFC 3339, like 2026-11-26T09:30:00Z", "2026-11-26T09:30:00Z のような RFC 3339 形式にしてください")))?,
    };
    if occurred_at > now + MAX_FUTURE_MS {
        return Err(err("occurred_at", say!("is in the future", "未来の日時です")));
    }
    if input.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN) {
        return Err(err("description", say!("use at most {MAX_DESCRIPTION_LEN} characters", "{MAX_DESCRIPTION_LEN}文字以内にしてください")));
    }
    if kind == TransactionKind::Adjustment && input.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
        return Err(err("description", say!("an adjustment needs the reason for it", "調整には理由が必要です")));
    }
    if let Some(invoice) = trimmed(&input.invoice) {
        if kind != TransactionKind::InvoicePayment {
            return Err(err("invoice", say!("only an invoice payment names an invoice", "請求書を指定できるのは請求書の支払いだけです")));
        }
        if !invoice.starts_with("in_") || invoice.len() > MAX_REF_LEN || invoice.chars().any(|c| !c.is_ascii_alphanumeric() && c != '_') {
            return Err(err("invoice", say!("must be a Stripe invoice id such as in_1P…", "in_1P… のような Stripe の請求書 ID にしてください")));
        }
    }
    if kind == TransactionKind::Refund && input.refund_of.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(err("refund_of", say!("a refund names the payment it refunds", "返金には返金する支払いの指定が必要です")));
    }
    if kind != TransactionKind::Refund {
        for (field, value) in [("from", &input.from), ("to", &input.to)] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err(err(field, required()));
            }
        }
    }
    Ok(Parsed { index, input, kind, currency, amount, occurred_at })
}

fn required() -> Message {
    say!("is required", "必須です")
}

fn too_large_to_convert() -> Message {
    say!("is too large to convert", "大きすぎて換算できません")
}

fn no_transaction(reference: &str) -> Message {
    say!("no transaction '{reference}' from this source", "この送信元に取引「{reference}」はありません")
}

fn kind_ja(kind: TransactionKind) -> &'static str {
    kind_name(Texts::of(Locale::Ja), kind)
}

fn account_kind_ja(kind: AccountKind) -> &'static str {
    account_kind_name(MoneyTexts::of(Locale::Ja), kind)
}

pub fn parse_time(text: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// Everything about the ledger the batch touches, read once (and locked on PostgreSQL).
struct Snapshot {
    existing: HashMap<String, LedgerTransaction>,
    accounts_by_ref: HashMap<String, Account>,
    balances: HashMap<(String, String), i64>,
    /// Already refunded (local, fiat) per original transaction id.
    refunded: HashMap<String, (i64, i64)>,
}

/// What a dry run accepted in its earlier chunks without writing it: later chunks are checked
/// as if it were recorded, so the check needs no write transaction that spans the whole file.
#[derive(Debug, Default)]
pub struct Pending {
    by_ref: HashMap<String, LedgerTransaction>,
    balance_changes: HashMap<(String, String), i64>,
    refunded: HashMap<String, (i64, i64)>,
}

impl Pending {
    fn absorb(&mut self, checked: &Checked) {
        for t in &checked.new_transactions {
            self.by_ref.insert(t.external_ref.clone(), t.clone());
            if t.kind == TransactionKind::Refund
                && let Some(original) = &t.corrects_id
            {
                let total = self.refunded.entry(original.clone()).or_default();
                *total = (total.0 + t.amount.minor, total.1 + t.fiat.as_ref().map_or(0, |f| f.minor));
            }
        }
        for (key, delta) in &checked.deltas {
            // Saturating: only a file moving more than `i64` through one account gets near the
            // bound, and its rows beyond it are then refused by `check` rather than wrapped.
            let change = self.balance_changes.entry(key.clone()).or_default();
            *change = change.saturating_add(*delta);
        }
    }

    fn transactions(&self, refs: &[String]) -> impl Iterator<Item = (String, LedgerTransaction)> {
        refs.iter().filter_map(|r| self.by_ref.get(r).map(|t| (r.clone(), t.clone())))
    }
}

async fn snapshot(tx: &mut DbTx, db: &Db, sources: Sources, parsed: &[Parsed], pending: &Pending, lock: &str) -> Result<Snapshot, sqlx::Error> {
    let source = sources.posting;
    let account_refs: Vec<String> =
        parsed.iter().flat_map(|p| [trimmed(&p.input.from), trimmed(&p.input.to)]).flatten().collect::<HashSet<_>>().into_iter().collect();
    let mut accounts_by_ref = accounts::by_external_refs(tx, &account_refs).await?;
    let tx_refs: Vec<String> = parsed
        .iter()
        .flat_map(|p| [Some(p.input.external_ref.trim().to_string()), trimmed(&p.input.corrects)])
        .flatten()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Refunds may leave out their accounts: they are the refunded payment's, so lock those too.
    let refunded_refs: Vec<String> = parsed.iter().filter_map(|p| trimmed(&p.input.refund_of)).collect::<HashSet<_>>().into_iter().collect();
    let mut refunded = ledger::by_external_refs(tx, sources.refunded, &refunded_refs).await?;
    refunded.extend(pending.transactions(&refunded_refs));
    let mut account_ids: Vec<String> = accounts_by_ref.values().map(|a| a.id.clone()).collect();
    account_ids.extend(refunded.values().flat_map(|t| [t.from_account.clone(), t.to_account.clone()]));
    account_ids.sort();
    account_ids.dedup();
    // On PostgreSQL: lock, then read again what a concurrent writer may have changed before we
    // held the lock. SQLite's writers are serialised already, so only the refunded payments'
    // accounts, not read yet, are read.
    let to_read: Vec<String> = match db.kind {
        DbKind::Postgres => account_ids.clone(),
        DbKind::Sqlite => {
            let known: HashSet<&String> = accounts_by_ref.values().map(|a| &a.id).collect();
            account_ids.iter().filter(|id| !known.contains(id)).cloned().collect()
        }
    };
    for account in accounts::lock_by_ids(tx, &to_read, lock).await?.into_values() {
        accounts_by_ref.insert(account.external_ref.clone(), account);
    }
    let mut existing = ledger::by_external_refs(tx, source, &tx_refs).await?;
    existing.extend(pending.transactions(&tx_refs));
    existing.extend(refunded.iter().map(|(r, t)| (r.clone(), t.clone())));
    let mut balances = accounts::balances(tx, &account_ids).await?;
    for id in &account_ids {
        for ((account, currency), change) in pending.balance_changes.iter().filter(|((account, _), _)| account == id) {
            // Saturating: a balance out of range is refused by `check`, never stored.
            let balance = balances.entry((account.clone(), currency.clone())).or_default();
            *balance = balance.saturating_add(*change);
        }
    }
    let original_ids: Vec<String> = existing.values().map(|t| t.id.clone()).collect();
    let mut refunded = ledger::refunded_totals(tx, &original_ids).await?;
    for id in &original_ids {
        if let Some((local, fiat)) = pending.refunded.get(id) {
            let total = refunded.entry(id.clone()).or_default();
            *total = (total.0 + local, total.1 + fiat);
        }
    }
    Ok(Snapshot { existing, accounts_by_ref, balances, refunded })
}

/// Checks `inputs` and writes the ones that pass, inside the caller's transaction, returning
/// what was posted and what was refused (indexes counted from `first_index`). Callers that
/// need all-or-nothing roll back when anything was refused.
pub async fn post_in(
    tx: &mut DbTx,
    db: &Db,
    source: Source,
    inputs: Vec<TransferInput>,
    actor: &Actor,
    first_index: usize,
) -> Result<(Vec<Posted>, Vec<ItemError>), sqlx::Error> {
    let checked = check_all(tx, db, Sources::one(source), inputs, first_index, &Pending::default(), db.for_update()).await?;
    write(tx, source, actor, &checked).await?;
    Ok((checked.posted, checked.errors))
}

/// Posts a refund made in the console (source `console`) of a payment that came from
/// `payment_source`, whose `refund_of` names the payment by its external reference there.
pub async fn post_console_refund(
    tx: &mut DbTx,
    db: &Db,
    payment_source: Source,
    input: TransferInput,
    actor: &Actor,
) -> Result<(Vec<Posted>, Vec<ItemError>), sqlx::Error> {
    let sources = Sources { posting: Source::Console, refunded: payment_source };
    let checked = check_all(tx, db, sources, vec![input], 0, &Pending::default(), db.for_update()).await?;
    write(tx, Source::Console, actor, &checked).await?;
    Ok((checked.posted, checked.errors))
}

/// Where new transactions are recorded, and where the payments their refunds name are looked
/// up (the same source, except for console refunds).
#[derive(Clone, Copy)]
struct Sources {
    posting: Source,
    refunded: Source,
}

impl Sources {
    fn one(source: Source) -> Self {
        Sources { posting: source, refunded: source }
    }
}

/// Checks `inputs` as if `pending` were recorded, writing nothing, and adds what passes to
/// `pending`. A dry run: `tx` only reads (and, on PostgreSQL, locks the accounts it reads).
pub async fn check_in(
    tx: &mut DbTx,
    db: &Db,
    source: Source,
    inputs: Vec<TransferInput>,
    first_index: usize,
    pending: &mut Pending,
) -> Result<(Vec<Posted>, Vec<ItemError>), sqlx::Error> {
    let checked = check_all(tx, db, Sources::one(source), inputs, first_index, pending, db.for_update()).await?;
    pending.absorb(&checked);
    Ok((checked.posted, checked.errors))
}

/// The outcome of checking a batch against the ledger, before anything is written.
struct Checked {
    posted: Vec<Posted>,
    errors: Vec<ItemError>,
    new_transactions: Vec<LedgerTransaction>,
    deltas: HashMap<(String, String), i64>,
    /// For each balance that may not go negative and that the batch debits: the most the batch
    /// has taken from it at any point (its lowest running change, negated).
    must_cover: HashMap<(String, String), i64>,
}

async fn check_all(
    tx: &mut DbTx,
    db: &Db,
    sources: Sources,
    inputs: Vec<TransferInput>,
    first_index: usize,
    pending: &Pending,
    lock: &str,
) -> Result<Checked, sqlx::Error> {
    let source = sources.posting;
    let now = now_ms();
    let currencies: HashMap<String, Currency> = currencies::list_tx(tx).await?.into_iter().map(|c| (c.code.clone(), c)).collect();
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(inputs.len());
    let mut seen = HashSet::new();
    for (index, input) in (first_index..).zip(inputs) {
        if !seen.insert(input.external_ref.trim().to_string()) {
            errors.push(ItemError::new(index, "external_ref", say!("appears more than once in this batch", "このバッチ内で重複しています")));
            continue;
        }
        match parse_item(index, input, &currencies, now) {
            Ok(p) => parsed.push(p),
            Err(e) => errors.push(e),
        }
    }
    let mut snap = snapshot(tx, db, sources, &parsed, pending, lock).await?;
    let accounts_by_id: HashMap<String, Account> = snap.accounts_by_ref.values().map(|a| (a.id.clone(), a.clone())).collect();

    let mut posted = Vec::new();
    let mut new_transactions: Vec<LedgerTransaction> = Vec::new();
    let mut new_by_ref: HashMap<String, usize> = HashMap::new();
    let mut deltas: HashMap<(String, String), i64> = HashMap::new();
    let mut must_cover: HashMap<(String, String), i64> = HashMap::new();
    for item in &parsed {
        let external_ref = item.input.external_ref.trim().to_string();
        if let Some(existing) = snap.existing.get(&external_ref) {
            match same_transfer(existing, item, &snap.accounts_by_ref, &accounts_by_id) {
                true => posted.push(Posted { index: item.index, id: existing.id.clone(), external_ref, created: false }),
                false => errors.push(ItemError::new(
                    item.index,
                    "external_ref",
                    say!("was already used for a different transaction", "別の取引ですでに使われています"),
                )),
            }
            continue;
        }
        match check(item, source, now, &mut snap, &accounts_by_id, &new_transactions, &new_by_ref) {
            Err(e) => errors.push(e),
            Ok(transaction) => {
                // `check` made sure the new balances fit; a call's deltas are at most its items
                // (1,000 per batch or import chunk) × MAX_AMOUNT = 10^18 either way.
                let moved = &transaction.amount;
                for (account, delta) in [(&transaction.from_account, -moved.minor), (&transaction.to_account, moved.minor)] {
                    let key = (account.clone(), moved.currency.clone());
                    let change = deltas.entry(key.clone()).or_default();
                    *change += delta;
                    if *change < 0 && accounts_by_id.get(account).is_some_and(|a| !a.kind.may_go_negative()) {
                        let need = must_cover.entry(key.clone()).or_default();
                        *need = (*need).max(-*change);
                    }
                    *snap.balances.entry(key).or_default() += delta;
                }
                posted.push(Posted { index: item.index, id: transaction.id.clone(), external_ref: external_ref.clone(), created: true });
                new_by_ref.insert(external_ref, new_transactions.len());
                new_transactions.push(transaction);
            }
        }
    }
    errors.sort_by_key(|e| e.index);
    posted.sort_by_key(|p| p.index);
    Ok(Checked { posted, errors, new_transactions, deltas, must_cover })
}

/// Writes what `check_all` accepted: transactions, balances, the outbox, one audit row.
async fn write(tx: &mut DbTx, source: Source, actor: &Actor, checked: &Checked) -> Result<(), sqlx::Error> {
    let Checked { posted, new_transactions, deltas, .. } = checked;
    ledger::insert(tx, new_transactions).await?;
    let mut touched: Vec<(String, String, i64)> = deltas.iter().filter(|(_, d)| **d != 0).map(|((a, c), d)| (a.clone(), c.clone(), *d)).collect();
    // A fixed order keeps concurrent writers on PostgreSQL from deadlocking on balance rows.
    touched.sort();
    accounts::add_to_balances(tx, &touched).await?;
    let queued: Vec<NewDelivery> = new_transactions
        .iter()
        .filter_map(|t| {
            let operation = match t.kind {
                TransactionKind::Payment | TransactionKind::InvoicePayment => Operation::ReportPayment,
                TransactionKind::Refund => Operation::ReportRefund,
                _ => return None,
            };
            Some(NewDelivery {
                transaction_id: t.id.clone(),
                occurred_at: t.occurred_at,
                operation,
                idempotency_key: mirror::idempotency_key(&t.id, operation),
            })
        })
        .collect();
    outbox::enqueue(tx, &queued).await?;
    if !new_transactions.is_empty() {
        // One audit row per batch: the transactions themselves are the immutable record.
        let after = json!({ "created": new_transactions.len(), "already_recorded": posted.len() - new_transactions.len() });
        let event = AuditEvent { action: "ledger.post", target: &format!("source:{source}"), before: None, after: Some(after) };
        audit::record(tx, actor, event).await?;
    }
    Ok(())
}

/// Whether a resent item describes the transaction already recorded under its reference.
fn same_transfer(existing: &LedgerTransaction, item: &Parsed, by_ref: &HashMap<String, Account>, by_id: &HashMap<String, Account>) -> bool {
    let account_matches = |given: &Option<String>, recorded: &str| match trimmed(given) {
        None => true,
        Some(r) => by_ref.get(&r).map(|a| a.id.as_str()) == Some(recorded) || by_id.get(recorded).is_some_and(|a| a.external_ref == r),
    };
    existing.kind == item.kind
        && existing.amount == Money::new(item.amount, item.currency.code.clone())
        && account_matches(&item.input.from, &existing.from_account)
        && account_matches(&item.input.to, &existing.to_account)
}

/// Checks one new item against the ledger as it stands after the batch's earlier items.
fn check(
    item: &Parsed,
    source: Source,
    now: i64,
    snap: &mut Snapshot,
    accounts_by_id: &HashMap<String, Account>,
    batch: &[LedgerTransaction],
    batch_by_ref: &HashMap<String, usize>,
) -> Result<LedgerTransaction, ItemError> {
    let err = |field: &str, message: Message| ItemError::new(item.index, field, message);
    let find_transaction = |reference: &str| -> Option<LedgerTransaction> {
        batch_by_ref.get(reference).map(|i| batch[*i].clone()).or_else(|| snap.existing.get(reference).cloned())
    };
    let original = match trimmed(&item.input.refund_of) {
        Some(reference) if item.kind == TransactionKind::Refund => {
            let original = find_transaction(&reference).ok_or_else(|| err("refund_of", no_transaction(&reference)))?;
            if !matches!(original.kind, TransactionKind::Payment | TransactionKind::InvoicePayment) {
                return Err(err(
                    "refund_of",
                    say!("'{reference}' is a {}, not a payment", "「{reference}」は{}で、支払いではありません"; original.kind => kind_ja(original.kind)),
                ));
            }
            Some(original)
        }
        _ => None,
    };
    let account = |field: &str, given: &Option<String>, derived: Option<&String>| -> Result<Account, ItemError> {
        match (trimmed(given), derived) {
            (Some(reference), _) => {
                snap.accounts_by_ref.get(&reference).cloned().ok_or_else(|| err(field, say!("no account '{reference}'", "口座「{reference}」はありません")))
            }
            (None, Some(id)) => accounts_by_id
                .get(id)
                .cloned()
                .ok_or_else(|| err(field, say!("the refunded payment's account is missing", "返金する支払いの口座が見つかりません"))),
            (None, None) => Err(err(field, required())),
        }
    };
    let from = account("from", &item.input.from, original.as_ref().map(|o| &o.to_account))?;
    let to = account("to", &item.input.to, original.as_ref().map(|o| &o.from_account))?;
    if from.id == to.id {
        return Err(err("to", say!("must differ from 'from'", "「from」と別の口座にしてください")));
    }
    let (from_kinds, to_kinds) = item.kind.allowed_flow();
    if !from_kinds.contains(&from.kind) {
        return Err(err(
            "from",
            say!("a {} cannot come from a {} account", "{}は{}口座からは行えません"; item.kind => kind_ja(item.kind), from.kind => account_kind_ja(from.kind)),
        ));
    }
    if !to_kinds.contains(&to.kind) {
        return Err(err(
            "to",
            say!("a {} cannot go to a {} account", "{}は{}口座へは行えません"; item.kind => kind_ja(item.kind), to.kind => account_kind_ja(to.kind)),
        ));
    }
    if from.status != AccountStatus::Active {
        return Err(err(
            "from",
            say!("account '{}' is {} and cannot be debited", "口座「{}」は{}のため引き落とせません";
                &from.external_ref => &from.external_ref, from.status => account_status_name(MoneyTexts::of(Locale::Ja), from.status)),
        ));
    }
    if to.status == AccountStatus::Closed {
        return Err(err("to", say!("account '{}' is closed", "口座「{}」は解約済みです", to.external_ref)));
    }
    let currency = &item.currency.code;
    let mut refund_total = None;
    let mut fiat_currency = Some(item.currency.fiat_currency.clone());
    let (fiat_amount, peg_rate, corrects_id) = match item.kind {
        TransactionKind::Payment | TransactionKind::InvoicePayment => {
            let at_peg = item.currency.peg().to_fiat(item.amount).ok_or_else(|| err("amount", too_large_to_convert()))?;
            let fiat = match item.input.settles_fiat {
                Some(settled) if item.kind == TransactionKind::InvoicePayment => settled,
                _ => at_peg,
            };
            // Stripe records no payment of nothing, and the mirror would fail it forever.
            if fiat == 0 {
                let peg = format!("1 {currency} = {} {}", item.currency.peg_rate, item.currency.fiat_currency.to_uppercase());
                return Err(err(
                    "amount",
                    say!(
                        "is worth {} at the peg ({peg}): too small a payment to report to Stripe",
                        "固定レート（{peg}）で{}にしかならず、Stripe に報告するには小さすぎます",
                        format_fiat(0, &item.currency.fiat_currency)
                    ),
                ));
            }
            (Some(fiat), Some(item.currency.peg_rate.to_string()), None)
        }
        TransactionKind::Refund => {
            let original = original.ok_or_else(|| err("refund_of", required()))?;
            if original.amount.currency != *currency {
                return Err(err("currency", say!("the payment was in {}", "支払いの通貨は{}です", original.amount.currency)));
            }
            // The payee pays it back, or the operator as a goodwill gesture.
            let goodwill = from.kind == AccountKind::Operator;
            if (from.id != original.to_account && !goodwill) || to.id != original.from_account {
                return Err(err(
                    "from",
                    say!(
                        "a refund goes back to the payer of the payment, from its payee or (goodwill) the operator",
                        "返金は支払いの受取人（または好意として運営者）から支払った人へ戻します"
                    ),
                ));
            }
            let (refunded_local, refunded_fiat) = snap.refunded.get(&original.id).copied().unwrap_or((0, 0));
            let remaining = original.amount.minor - refunded_local;
            if item.amount > remaining {
                return Err(err("amount", say!("only {remaining} of the payment is left to refund", "この支払いで返金できる残りは{remaining}だけです")));
            }
            // Refunds convert at the payment's own rate, whatever the peg is today.
            let rate = original.peg_rate.as_deref().and_then(|r| Decimal::from_str(r).ok()).unwrap_or(item.currency.peg_rate);
            let peg = Peg { rate, ..item.currency.peg() };
            let fiat = peg.refund_to_fiat(refunded_local, item.amount).ok_or_else(|| err("amount", too_large_to_convert()))?;
            refund_total = Some((original.id.clone(), (refunded_local + item.amount, refunded_fiat + fiat)));
            // A refund goes back in the payment's own fiat currency.
            fiat_currency = original.fiat.as_ref().map(|f| f.currency.clone()).or(fiat_currency);
            (Some(fiat), Some(rate.to_string()), Some(original.id))
        }
        _ => {
            let corrects = match trimmed(&item.input.corrects) {
                None => None,
                Some(reference) => Some(find_transaction(&reference).ok_or_else(|| err("corrects", no_transaction(&reference)))?.id),
            };
            (None, None, corrects)
        }
    };
    let balance = |account: &Account| snap.balances.get(&(account.id.clone(), currency.clone())).copied().unwrap_or(0);
    let from_balance = balance(&from);
    if !from.kind.may_go_negative() && from_balance < item.amount {
        return Err(err(
            "amount",
            say!(
                "account '{}' holds {from_balance} and cannot pay {}",
                "口座「{}」の残高は{from_balance}のため、{}は支払えません",
                from.external_ref,
                item.amount
            ),
        ));
    }
    // Balances must stay `i64`: on SQLite an overflowing `balance + delta` is stored as a REAL,
    // and every later posting touching the account would fail.
    for (account, after) in [(&from, from_balance.checked_sub(item.amount)), (&to, balance(&to).checked_add(item.amount))] {
        if after.is_none() {
            return Err(err(
                "amount",
                say!(
                    "would take the balance of account '{}' beyond what the ledger can hold",
                    "口座「{}」の残高が台帳で扱える範囲を超えます",
                    account.external_ref
                ),
            ));
        }
    }
    if let Some((original_id, totals)) = refund_total {
        snap.refunded.insert(original_id, totals);
    }
    Ok(LedgerTransaction {
        id: new_id(),
        kind: item.kind,
        amount: Money::new(item.amount, currency.clone()),
        from_account: from.id,
        to_account: to.id,
        fiat: fiat_amount.zip(fiat_currency).map(|(minor, code)| Money::new(minor, code)),
        peg_rate,
        occurred_at: item.occurred_at,
        recorded_at: now,
        description: item.input.description.clone().unwrap_or_default().trim().to_string(),
        source,
        external_ref: item.input.external_ref.trim().to_string(),
        corrects_id,
        stripe_invoice: trimmed(&item.input.invoice),
        exponent: Some(i64::from(item.currency.exponent)),
    })
}
