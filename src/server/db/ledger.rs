//! Ledger transactions and their entries.

use super::{Db, DbTx, Param, SqlFilter, format_ms, insert_rows, select_in};
use crate::domain::ledger::{EntryView, MirrorState, TransactionView};
use crate::domain::ledger::{Source, TransactionKind};
use crate::domain::money::{Money, format_amount};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTransaction {
    pub id: String,
    pub kind: TransactionKind,
    /// In the local currency.
    pub amount: Money,
    pub from_account: String,
    pub to_account: String,
    /// What the mirrored kinds are worth in the peg's fiat currency, fixed at posting.
    pub fiat: Option<Money>,
    pub peg_rate: Option<String>,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub description: String,
    pub source: Source,
    pub external_ref: String,
    pub corrects_id: Option<String>,
    /// The Stripe invoice an invoice payment paid.
    pub stripe_invoice: Option<String>,
    /// The currency's exponent when posted.
    pub exponent: Option<i64>,
}

pub const COLUMNS: &str = "id, kind, currency, amount, from_account, to_account, fiat_amount, peg_rate, occurred_at, \
                           recorded_at, description, source, external_ref, corrects_id, stripe_invoice, fiat_currency, exponent";

pub const ENTRY_COLUMNS: [&str; 6] = ["transaction_id", "leg", "account_id", "currency", "amount", "occurred_at"];

pub fn from_row(row: &AnyRow) -> Result<LedgerTransaction, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let fiat = match (row.try_get::<Option<i64>, _>("fiat_amount")?, row.try_get::<Option<String>, _>("fiat_currency")?) {
        (Some(minor), Some(currency)) => Some(Money::new(minor, currency)),
        _ => None,
    };
    Ok(LedgerTransaction {
        id: row.try_get("id")?,
        kind: kind.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        amount: Money::new(row.try_get("amount")?, row.try_get::<String, _>("currency")?),
        from_account: row.try_get("from_account")?,
        to_account: row.try_get("to_account")?,
        fiat,
        peg_rate: row.try_get("peg_rate")?,
        occurred_at: row.try_get("occurred_at")?,
        recorded_at: row.try_get("recorded_at")?,
        description: row.try_get("description")?,
        source: super::parse_text(row, "source")?,
        external_ref: row.try_get("external_ref")?,
        corrects_id: row.try_get("corrects_id")?,
        stripe_invoice: row.try_get("stripe_invoice")?,
        exponent: row.try_get("exponent")?,
    })
}

/// Writes transactions with their two entries each: the amount leaves `from_account` (leg 0)
/// and enters `to_account` (leg 1), so every transaction sums to zero.
pub async fn insert(tx: &mut DbTx, transactions: &[LedgerTransaction]) -> Result<(), sqlx::Error> {
    let rows = transactions
        .iter()
        .map(|t| {
            vec![
                Param::Text(t.id.clone()),
                Param::Text(t.kind.as_str().into()),
                Param::Text(t.amount.currency.clone()),
                Param::Int(t.amount.minor),
                Param::Text(t.from_account.clone()),
                Param::Text(t.to_account.clone()),
                Param::OptInt(t.fiat.as_ref().map(|f| f.minor)),
                Param::OptText(t.peg_rate.clone()),
                Param::Int(t.occurred_at),
                Param::Int(t.recorded_at),
                Param::Text(t.description.clone()),
                Param::Text(t.source.as_str().into()),
                Param::Text(t.external_ref.clone()),
                Param::OptText(t.corrects_id.clone()),
                Param::OptText(t.stripe_invoice.clone()),
                Param::OptText(t.fiat.as_ref().map(|f| f.currency.clone())),
                Param::OptInt(t.exponent),
            ]
        })
        .collect();
    let columns: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
    insert_rows(tx, "transactions", &columns, rows).await?;
    let entries = transactions
        .iter()
        .flat_map(|t| {
            [(0, &t.from_account, -t.amount.minor), (1, &t.to_account, t.amount.minor)].map(|(leg, account, amount)| {
                vec![
                    Param::Text(t.id.clone()),
                    Param::Int(leg),
                    Param::Text(account.clone()),
                    Param::Text(t.amount.currency.clone()),
                    Param::Int(amount),
                    Param::Int(t.occurred_at),
                ]
            })
        })
        .collect();
    insert_rows(tx, "entries", &ENTRY_COLUMNS, entries).await
}

/// Transactions of `source` whose external references are in `refs`, keyed by reference.
pub async fn by_external_refs(tx: &mut DbTx, source: Source, refs: &[String]) -> Result<HashMap<String, LedgerTransaction>, sqlx::Error> {
    // One lookup of the whole unique key per reference. PostgreSQL without fresh statistics
    // takes `source = …` for selective and answers `external_ref IN (…)` by reading every
    // transaction of the source, so each batch got slower as the ledger grew.
    // `Source` is a closed set of words, so it can stand in the SQL text.
    let select = format!("SELECT (SELECT id FROM transactions WHERE source = '{source}' AND external_ref = v.column1) AS id FROM (VALUES {{rows}}) AS v");
    let ids: Vec<String> =
        select_in(tx, &select, refs).await?.iter().filter_map(|r| r.try_get::<Option<String>, _>("id").transpose()).collect::<Result<_, _>>()?;
    let rows = select_in(tx, &format!("SELECT {COLUMNS} FROM transactions WHERE id IN ({{in}})"), &ids).await?;
    rows.iter().map(|r| from_row(r).map(|t| (t.external_ref.clone(), t))).collect()
}

/// Local and fiat amounts already refunded, per refunded transaction id. A payment's refunds
/// never add up to more than the payment (at most `MAX_AMOUNT`), so the sums fit `BIGINT`.
pub async fn refunded_totals(tx: &mut DbTx, ids: &[String]) -> Result<HashMap<String, (i64, i64)>, sqlx::Error> {
    let select = "SELECT corrects_id, CAST(SUM(amount) AS BIGINT) AS local_total, CAST(SUM(fiat_amount) AS BIGINT) AS fiat_total \
                  FROM transactions WHERE kind = 'refund' AND corrects_id IN ({in}) GROUP BY corrects_id";
    let rows = select_in(tx, select, ids).await?;
    rows.iter()
        .map(|r| {
            let fiat: Option<i64> = r.try_get("fiat_total")?;
            Ok((r.try_get("corrects_id")?, (r.try_get("local_total")?, fiat.unwrap_or(0))))
        })
        .collect()
}

pub async fn find(db: &Db, id: &str) -> Result<Option<LedgerTransaction>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM transactions WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

pub async fn find_tx(tx: &mut DbTx, id: &str) -> Result<Option<LedgerTransaction>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM transactions WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// Filters of the transactions list; every one is optional.
#[derive(Debug, Default, Clone)]
pub struct TransactionFilter {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub kind: Option<TransactionKind>,
    pub account_id: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    pub mirror_state: Option<MirrorState>,
    /// Keyset cursor (`next_cursor` of the previous page): only older transactions.
    pub before: Option<String>,
    pub limit: i64,
}

/// The list's columns of the transactions `t` in `from`. Currencies and accounts always exist
/// (foreign keys); joining them `LEFT` keeps SQLite from putting the one-row currencies table
/// first.
fn view_select(from: &str) -> String {
    format!(
        "SELECT t.id, t.external_ref, t.source, t.kind, t.currency, t.amount, t.occurred_at, t.description, \
         t.corrects_id, t.fiat_amount, c.exponent, c.fiat_currency, fa.external_ref AS from_ref, ta.external_ref AS to_ref, \
         o.state AS mirror_state, o.last_error, sr.amount_guaranteed, sr.amount_refunded, \
         COALESCE(o.stripe_id, (SELECT po.stripe_id FROM outbox po WHERE po.transaction_id = t.corrects_id AND po.operation = 'report_payment' AND po.case_id IS NULL)) AS stripe_id \
         FROM {from} LEFT JOIN currencies c ON c.code = t.currency \
         LEFT JOIN accounts fa ON fa.id = t.from_account LEFT JOIN accounts ta ON ta.id = t.to_account \
         LEFT JOIN outbox o ON o.transaction_id = t.id AND o.case_id IS NULL \
         LEFT JOIN stripe_records sr ON sr.id = o.stripe_id AND o.operation = 'report_payment' WHERE 1 = 1"
    )
}

const ALL_TRANSACTIONS: &str = "transactions t";

fn view_from_row(row: &AnyRow) -> Result<TransactionView, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let kind: TransactionKind = kind.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?;
    let exponent = row.try_get::<i64, _>("exponent")? as u32;
    let amount: i64 = row.try_get("amount")?;
    let state: Option<String> = row.try_get("mirror_state")?;
    let mirror_state = match state.as_deref() {
        None => MirrorState::NotMirrored,
        Some(s) => s.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
    };
    let fiat_amount: Option<i64> = row.try_get("fiat_amount")?;
    Ok(TransactionView {
        id: row.try_get("id")?,
        external_ref: row.try_get("external_ref")?,
        source: super::parse_text(row, "source")?,
        kind,
        currency: row.try_get("currency")?,
        amount_minor: amount,
        amount: format_amount(amount, exponent),
        from_account: row.try_get("from_ref")?,
        to_account: row.try_get("to_ref")?,
        occurred_at: format_ms(row.try_get("occurred_at")?),
        description: row.try_get("description")?,
        corrects_id: row.try_get("corrects_id")?,
        fiat_currency: fiat_amount.map(|_| row.try_get("fiat_currency")).transpose()?,
        fiat_amount_minor: fiat_amount,
        mirror_state,
        stripe_payment_record: row.try_get("stripe_id")?,
        stripe_guaranteed: row.try_get("amount_guaranteed")?,
        stripe_refunded: row.try_get("amount_refunded")?,
        mirror_error: row.try_get("last_error")?,
    })
}

/// A page cursor: `<occurred_at ms>_<id>` of the last row shown.
fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once('_')?;
    Some((at.parse().ok()?, id))
}

/// One page of transactions, most recent first (by when they occurred), and the cursor of the
/// next page. Keyset paging on `(occurred_at, id)` stays fast however deep one pages.
pub async fn list_views(db: &Db, filter: &TransactionFilter) -> Result<(Vec<TransactionView>, Option<String>), sqlx::Error> {
    let limit = filter.limit.clamp(1, 1000);
    let rows = list_query(filter, amount_walk(db, filter).await?).fetch_all(db).await?;
    let mut views: Vec<TransactionView> = rows.iter().map(view_from_row).collect::<Result<_, _>>()?;
    let next = if views.len() as i64 > limit {
        views.truncate(limit as usize);
        let last = &rows[views.len() - 1];
        Some(format!("{}_{}", last.try_get::<i64, _>("occurred_at")?, last.try_get::<String, _>("id")?))
    } else {
        None
    };
    Ok((views, next))
}

/// How a page finds the transactions an amount filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountWalk {
    /// Through the amount index: an exact amount in time order, a range's every match sorted.
    ByAmount,
    /// A narrow range one amount at a time, each an ordered walk of the amount index, the page
    /// the newest of their first rows: a few hundred index entries, whatever the ledger's size.
    EachAmount,
    /// Newest first through the time index, checking each amount: for a range matching many.
    ByTime,
}

/// A range of at most this many amounts (in minor units) is walked `EachAmount`.
const EACH_AMOUNT_UP_TO: i64 = 32;

/// A wider range matching at least this many transactions is walked `ByTime`: a page of 50 then
/// turns up within a few thousand rows of a million, while sorting the matches would cost them all.
const BROAD_RANGE: i64 = 20_000;

/// How `filter`'s amounts are best found: within an account by its own entries in time order;
/// an exact amount by amount; a narrow range amount by amount; a wider one by amount, or by
/// time when it matches many (counted through the amount index, up to `BROAD_RANGE`).
pub async fn amount_walk(db: &Db, filter: &TransactionFilter) -> Result<AmountWalk, sqlx::Error> {
    if filter.account_id.is_some() {
        return Ok(AmountWalk::ByTime);
    }
    let (Some(currency), true) = (&filter.currency, filter.min_amount != filter.max_amount) else { return Ok(AmountWalk::ByAmount) };
    if let (Some(min), Some(max)) = (filter.min_amount, filter.max_amount)
        && max.saturating_sub(min) < EACH_AMOUNT_UP_TO
    {
        return Ok(AmountWalk::EachAmount);
    }
    let sql =
        format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM transactions WHERE currency = $1 AND amount >= $2 AND amount <= $3 LIMIT {BROAD_RANGE}) AS matching");
    let row =
        sqlx::query(&sql).bind(currency).bind(filter.min_amount.unwrap_or(i64::MIN)).bind(filter.max_amount.unwrap_or(i64::MAX)).fetch_one(&db.pool).await?;
    Ok(if row.try_get::<i64, _>("n")? < BROAD_RANGE { AmountWalk::ByAmount } else { AmountWalk::ByTime })
}

/// The query behind a page: one row more than the page, to know whether another follows. The
/// page's keys are found first, from the narrowest index and sorted alone, and only those
/// rows are then read with their columns.
pub fn list_query(filter: &TransactionFilter, amounts: AmountWalk) -> SqlFilter {
    let limit = filter.limit.clamp(1, 1000) + 1;
    let mut query = SqlFilter::new("");
    match (amounts, filter.min_amount, filter.max_amount) {
        (AmountWalk::EachAmount, Some(min), Some(max)) if min < max && max - min < EACH_AMOUNT_UP_TO => {
            query.push("SELECT id, page_at FROM (");
            for (n, amount) in (min..=max).enumerate() {
                query.push(if n == 0 { "SELECT * FROM (" } else { " UNION ALL SELECT * FROM (" });
                push_keys(&mut query, filter, AmountWalk::ByAmount, (Some(amount), Some(amount)), limit);
                query.push(&format!(") AS amount_{n}"));
            }
            query.push(&format!(") AS heads ORDER BY page_at DESC, id DESC LIMIT {limit}"));
        }
        (walk, min, max) => push_keys(&mut query, filter, walk, (min, max), limit),
    }
    // The keys' query goes where the marker stands in the page's own.
    const KEYS: &str = "(page keys)";
    let page = view_select(&format!("{KEYS} page JOIN transactions t ON t.id = page.id"));
    let (head, tail) = page.split_once(KEYS).unwrap_or_default();
    query.wrap(&format!("{head}("), &format!("){tail} ORDER BY t.occurred_at DESC, t.id DESC"))
}

/// The newest `limit` keys (`id`, `page_at`) `filter` keeps with amounts `min..=max`. Kinds and
/// mirror states, closed sets, are written into the text, so that each has its own plan: a
/// rare one must not walk the ledger.
fn push_keys(query: &mut SqlFilter, filter: &TransactionFilter, walk: AmountWalk, (min, max): (Option<i64>, Option<i64>), limit: i64) {
    // The columns the order and the cursor read: an account's own entries carry both, and so
    // do the ledger's deliveries to Stripe, for a walk of one mirror state.
    let delivered_as = filter.mirror_state.filter(|state| *state != MirrorState::NotMirrored);
    let (from, at, id) = match (&filter.account_id, delivered_as) {
        (Some(_), _) => ("entries e JOIN transactions t ON t.id = e.transaction_id", "e.occurred_at", "e.transaction_id"),
        (None, Some(_)) => ("outbox o JOIN transactions t ON t.id = o.transaction_id", "o.occurred_at", "o.transaction_id"),
        (None, None) => ("transactions t", "t.occurred_at", "t.id"),
    };
    let mirror = match (filter.mirror_state, &filter.account_id) {
        (None, _) => " WHERE 1 = 1".to_string(),
        (Some(MirrorState::NotMirrored), _) => format!(" LEFT JOIN outbox o ON o.transaction_id = {id} AND o.case_id IS NULL WHERE o.id IS NULL"),
        (Some(state), None) => format!(" WHERE o.case_id IS NULL AND o.state = '{}'", state.as_str()),
        (Some(state), Some(_)) => format!(" JOIN outbox o ON o.transaction_id = {id} AND o.case_id IS NULL WHERE o.state = '{}'", state.as_str()),
    };
    query.push(&format!("SELECT {id} AS id, {at} AS page_at FROM {from}{mirror}"));
    if let Some(account) = &filter.account_id {
        query.and("e.account_id =", Param::Text(account.clone()));
    }
    if let Some(from) = filter.from_ms {
        query.and(&format!("{at} >="), Param::Int(from));
    }
    if let Some(to) = filter.to_ms {
        query.and(&format!("{at} <"), Param::Int(to));
    }
    if let Some(kind) = filter.kind {
        query.push(&format!(" AND t.kind = '{}'", kind.as_str()));
    }
    // An expression keeps both planners off the amount index.
    let (currency, amount) = match walk {
        AmountWalk::ByTime => ("t.currency || ''", "+t.amount"),
        AmountWalk::ByAmount | AmountWalk::EachAmount => ("t.currency", "t.amount"),
    };
    if let Some(code) = &filter.currency {
        query.and(&format!("{currency} ="), Param::Text(code.clone()));
    }
    match (min, max) {
        (Some(min), Some(max)) if min == max => query.and(&format!("{amount} ="), Param::Int(min)),
        (min, max) => {
            if let Some(min) = min {
                query.and(&format!("{amount} >="), Param::Int(min));
            }
            if let Some(max) = max {
                query.and(&format!("{amount} <="), Param::Int(max));
            }
        }
    }
    if let Some((cursor_at, cursor_id)) = filter.before.as_deref().and_then(parse_cursor) {
        query.and(&format!("({at} <"), Param::Int(cursor_at));
        let n = query.param_count();
        query.push(&format!(" OR ({at} = ${} AND {id} < ${}))", n + 1, n + 2));
        query.bind(Param::Int(cursor_at));
        query.bind(Param::Text(cursor_id.to_string()));
    }
    query.push(&format!(" ORDER BY {at} DESC, {id} DESC LIMIT {limit}"));
}

pub async fn view(db: &Db, id: &str) -> Result<Option<TransactionView>, sqlx::Error> {
    let mut query = SqlFilter::new(&view_select(ALL_TRANSACTIONS));
    query.and("t.id =", Param::Text(id.to_string()));
    query.fetch_all(db).await?.first().map(view_from_row).transpose()
}

pub async fn entries(db: &Db, transaction_id: &str) -> Result<Vec<EntryView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.account_id, a.external_ref, a.display_name, e.amount, c.exponent FROM entries e \
         JOIN accounts a ON a.id = e.account_id JOIN currencies c ON c.code = e.currency \
         WHERE e.transaction_id = $1 ORDER BY e.leg",
    )
    .bind(transaction_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let amount: i64 = r.try_get("amount")?;
            Ok(EntryView {
                account_id: r.try_get("account_id")?,
                account_ref: r.try_get("external_ref")?,
                account_name: r.try_get("display_name")?,
                amount_minor: amount,
                amount: format_amount(amount, r.try_get::<i64, _>("exponent")? as u32),
            })
        })
        .collect()
}

/// Refunds (and corrections) that reference `transaction_id`, oldest first.
pub async fn corrections_of(db: &Db, transaction_id: &str) -> Result<Vec<TransactionView>, sqlx::Error> {
    let mut query = SqlFilter::new(&view_select(ALL_TRANSACTIONS));
    query.and("t.corrects_id =", Param::Text(transaction_id.to_string()));
    query.push(" ORDER BY t.id");
    query.fetch_all(db).await?.iter().map(view_from_row).collect()
}

/// Ids of transactions matching `q` as the top bar's search reads it, newest first, each with
/// what matched: its id, its external reference, a Payment Record that mirrors it, an account
/// (reference, or name starting with `q`), or one of `amounts` (`(currency, minor units)`).
pub async fn search_ids(db: &Db, q: &str, amounts: &[(String, i64)], limit: i64) -> Result<Vec<(String, &'static str)>, sqlx::Error> {
    let name_prefix = format!("{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let by_text: [(&'static str, String); 4] = [
        ("id", "SELECT id FROM transactions WHERE id = $1".into()),
        ("external reference", format!("SELECT id FROM transactions WHERE external_ref = $1 ORDER BY occurred_at DESC LIMIT {limit}")),
        (
            "Payment Record",
            "SELECT transaction_id AS id FROM outbox WHERE stripe_id = $1 UNION SELECT transaction_id AS id FROM stripe_records WHERE id = $1 AND transaction_id IS NOT NULL"
                .into(),
        ),
        (
            "account",
            format!(
                "SELECT t.id FROM transactions t WHERE t.from_account IN (SELECT id FROM accounts WHERE external_ref = $1 OR LOWER(display_name) LIKE $2 ESCAPE '\\') \
                 OR t.to_account IN (SELECT id FROM accounts WHERE external_ref = $1 OR LOWER(display_name) LIKE $2 ESCAPE '\\') \
                 ORDER BY t.occurred_at DESC LIMIT {limit}"
            ),
        ),
    ];
    let mut found: Vec<(String, &'static str)> = Vec::new();
    for (matched, sql) in by_text {
        let mut query = sqlx::query(&sql).bind(q);
        if matched == "account" {
            query = query.bind(name_prefix.clone());
        }
        for row in query.fetch_all(&db.pool).await? {
            found.push((row.try_get("id")?, matched));
        }
    }
    for (currency, minor) in amounts {
        let sql = format!("SELECT id FROM transactions WHERE currency = $1 AND amount = $2 ORDER BY occurred_at DESC LIMIT {limit}");
        for row in sqlx::query(&sql).bind(currency).bind(*minor).fetch_all(&db.pool).await? {
            found.push((row.try_get("id")?, "amount"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|(id, _)| seen.insert(id.clone()));
    found.truncate(limit as usize);
    Ok(found)
}
