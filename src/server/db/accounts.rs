use super::{Db, DbTx, Param, SqlFilter, format_ms, insert_rows_then, now_ms, select_in};
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView, StatementLine, StatementTotals, TransactionKind};
use crate::domain::money::format_amount;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub kind: AccountKind,
    pub display_name: String,
    pub external_ref: String,
    pub status: AccountStatus,
    pub stripe_customer_id: Option<String>,
}

impl Account {
    pub fn view(&self, balances: Vec<(String, i64)>) -> AccountView {
        AccountView {
            id: self.id.clone(),
            kind: self.kind,
            display_name: self.display_name.clone(),
            external_ref: self.external_ref.clone(),
            status: self.status,
            stripe_customer_id: self.stripe_customer_id.clone(),
            balances,
        }
    }
}

const COLUMNS: &str = "id, kind, display_name, external_ref, status, stripe_customer_id";

fn decode<T: std::str::FromStr<Err = String>>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        kind: decode(row, "kind")?,
        display_name: row.try_get("display_name")?,
        external_ref: row.try_get("external_ref")?,
        status: decode(row, "status")?,
        stripe_customer_id: row.try_get("stripe_customer_id")?,
    })
}

pub async fn insert(tx: &mut DbTx, a: &Account) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO accounts (id, kind, display_name, external_ref, status, stripe_customer_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&a.id)
    .bind(a.kind.as_str())
    .bind(&a.display_name)
    .bind(&a.external_ref)
    .bind(a.status.as_str())
    .bind(a.stripe_customer_id.clone())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn update(tx: &mut DbTx, a: &Account) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET display_name = $2, status = $3, stripe_customer_id = $4, updated_at = $5 WHERE id = $1")
        .bind(&a.id)
        .bind(&a.display_name)
        .bind(a.status.as_str())
        .bind(a.stripe_customer_id.clone())
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

pub async fn find_by_external_ref(db: &Db, external_ref: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE external_ref = $1");
    sqlx::query(&sql).bind(external_ref).fetch_optional(&db.pool).await?.as_ref().map(from_row).transpose()
}

/// The account with its balances, by currency.
pub async fn view(db: &Db, id: &str) -> Result<Option<AccountView>, sqlx::Error> {
    let mut tx = db.begin_snapshot().await?;
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    let Some(account) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await?.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    let mut own: Vec<(String, i64)> = own_balances(&mut tx, id).await?.into_iter().collect();
    tx.commit().await?;
    own.sort();
    Ok(Some(account.view(own)))
}

async fn own_balances(tx: &mut DbTx, id: &str) -> Result<HashMap<String, i64>, sqlx::Error> {
    Ok(balances(tx, &[id.to_string()]).await?.into_iter().map(|((_, currency), balance)| (currency, balance)).collect())
}

/// Loads accounts by id inside `tx`, locking them on PostgreSQL with `lock` (`Db::for_update`
/// or `Db::for_share`, in id order) so that balance checks and the writes that follow them
/// cannot interleave with another writer's.
pub async fn lock_by_ids(tx: &mut DbTx, ids: &[String], lock: &str) -> Result<HashMap<String, Account>, sqlx::Error> {
    let select = format!("SELECT {COLUMNS} FROM accounts WHERE id IN ({{in}}) ORDER BY id{lock}");
    let rows = select_in(tx, &select, ids).await?;
    rows.iter().map(|r| from_row(r).map(|a| (a.id.clone(), a))).collect()
}

pub async fn by_external_refs(tx: &mut DbTx, refs: &[String]) -> Result<HashMap<String, Account>, sqlx::Error> {
    let select = format!("SELECT {COLUMNS} FROM accounts WHERE external_ref IN ({{in}})");
    let rows = select_in(tx, &select, refs).await?;
    rows.iter().map(|r| from_row(r).map(|a| (a.external_ref.clone(), a))).collect()
}

/// Balances of `ids`, keyed by `(account id, currency)`.
pub async fn balances(tx: &mut DbTx, ids: &[String]) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
    let rows = select_in(tx, "SELECT account_id, currency, balance FROM account_balances WHERE account_id IN ({in})", ids).await?;
    rows.iter().map(|r| Ok(((r.try_get("account_id")?, r.try_get("currency")?), r.try_get("balance")?))).collect()
}

/// Adds each `(account, currency, delta)` to its balance, creating missing balances at `delta`.
/// The triples must name each balance once.
pub async fn add_to_balances(tx: &mut DbTx, deltas: &[(String, String, i64)]) -> Result<(), sqlx::Error> {
    let rows = deltas.iter().map(|(a, c, d)| vec![Param::Text(a.clone()), Param::Text(c.clone()), Param::Int(*d)]).collect();
    insert_rows_then(
        tx,
        "account_balances",
        &["account_id", "currency", "balance"],
        rows,
        "ON CONFLICT (account_id, currency) DO UPDATE SET balance = account_balances.balance + excluded.balance",
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    /// Matches the start of the display name or the external reference.
    pub search: Option<String>,
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    /// Keyset cursor: accounts whose `(display_name, id)` sorts after this one.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

pub struct AccountListing {
    pub accounts: Vec<AccountView>,
    pub next: Option<(String, String)>,
}

pub async fn list(db: &Db, filter: &AccountFilter) -> Result<AccountListing, sqlx::Error> {
    let mut query = SqlFilter::new(&format!("SELECT {COLUMNS} FROM accounts WHERE 1 = 1"));
    if let Some(search) = &filter.search {
        // PostgreSQL's LIKE minds case and SQLite's does not: compare lower case on both.
        let pattern = format!("{}%", search.replace(['%', '_'], "").to_lowercase());
        query.and("(LOWER(display_name) LIKE", Param::Text(pattern.clone()));
        query.push(&format!(" OR LOWER(external_ref) LIKE ${})", query.param_count() + 1));
        query.bind(Param::Text(pattern));
    }
    if let Some(kind) = filter.kind {
        query.and("kind =", Param::Text(kind.as_str().into()));
    }
    if let Some(status) = filter.status {
        query.and("status =", Param::Text(status.as_str().into()));
    }
    if let Some((name, id)) = &filter.after {
        query.and("(display_name >", Param::Text(name.clone()));
        let n = query.param_count();
        query.push(&format!(" OR (display_name = ${} AND id > ${}))", n + 1, n + 2));
        query.bind(Param::Text(name.clone()));
        query.bind(Param::Text(id.clone()));
    }
    let limit = filter.limit.clamp(1, 500);
    query.push(&format!(" ORDER BY display_name, id LIMIT {}", limit + 1));
    let mut accounts: Vec<Account> = query.fetch_all(db).await?.iter().map(from_row).collect::<Result<_, _>>()?;
    let next = if accounts.len() as i64 > limit {
        accounts.truncate(limit as usize);
        accounts.last().map(|a| (a.display_name.clone(), a.id.clone()))
    } else {
        None
    };
    let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let mut tx = db.pool.begin().await?;
    let balances = balances(&mut tx, &ids).await?;
    tx.commit().await?;
    let views = accounts
        .iter()
        .map(|a| {
            let mut own: Vec<(String, i64)> = balances.iter().filter(|((id, _), _)| id == &a.id).map(|((_, c), b)| (c.clone(), *b)).collect();
            own.sort();
            a.view(own)
        })
        .collect();
    Ok(AccountListing { accounts: views, next })
}

/// A statement's window: `[from_ms, to_ms)`, and where the page starts.
pub struct StatementWindow<'a> {
    pub from_ms: i64,
    pub to_ms: i64,
    /// `(occurred_at, transaction_id)` of the last line of the page before.
    pub after: Option<(i64, &'a str)>,
    pub limit: i64,
}

/// Lines of a statement, and `(occurred_at, transaction_id)` of the last when more follow.
pub struct StatementChunk {
    pub lines: Vec<StatementLine>,
    pub next: Option<(i64, String)>,
}

/// A recorded time at least this far from the occurred time is shown beside it.
const RECORDED_LATER_MS: i64 = 60_000;

/// Per currency, the sum of the account's entries that `condition` keeps (with `$1` the account).
async fn sums(tx: &mut DbTx, condition: &str, account_id: &str, bounds: &[Param]) -> Result<HashMap<String, (i64, i64)>, sqlx::Error> {
    let mut query = SqlFilter::new(&format!(
        "SELECT currency, CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT) AS money_in, \
         CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT) AS money_out \
         FROM entries WHERE account_id = $1 AND {condition} GROUP BY currency"
    ));
    query.bind(Param::Text(account_id.to_string()));
    for bound in bounds {
        query.bind(bound.clone());
    }
    query.fetch_all_tx(tx).await?.iter().map(|row| Ok((row.try_get("currency")?, (row.try_get("money_in")?, row.try_get("money_out")?)))).collect()
}

fn net((money_in, money_out): (i64, i64)) -> Result<i64, sqlx::Error> {
    checked(money_in.checked_sub(money_out))
}

async fn exponents(tx: &mut DbTx) -> Result<HashMap<String, u32>, sqlx::Error> {
    sqlx::query("SELECT code, exponent FROM currencies")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("code")?, u32::try_from(row.try_get::<i64, _>("exponent")?).unwrap_or(0))))
        .collect()
}

/// An account's statement over a window, as a bank prints one: per currency the opening
/// balance, money in and out and the closing balance, and a page of lines in the order money
/// moved (by when it occurred, then by id), each with the balance it left in that order. One
/// snapshot, so the figures agree with each other; each sum is one range of
/// `entries_account_time`.
pub async fn statement(db: &Db, account_id: &str, window: &StatementWindow<'_>) -> Result<(Vec<StatementTotals>, StatementChunk), sqlx::Error> {
    let from = Param::Int(window.from_ms);
    let mut tx = db.begin_snapshot().await?;
    let exponents = exponents(&mut tx).await?;
    let opening = sums(&mut tx, "occurred_at < $2", account_id, std::slice::from_ref(&from)).await?;
    let moved = sums(&mut tx, "occurred_at >= $2 AND occurred_at < $3", account_id, &[from.clone(), Param::Int(window.to_ms)]).await?;
    let mut running = HashMap::new();
    for (currency, sum) in &opening {
        running.insert(currency.clone(), net(*sum)?);
    }
    if let Some((at, id)) = window.after {
        let condition = "occurred_at >= $2 AND (occurred_at < $3 OR (occurred_at = $3 AND transaction_id <= $4))";
        for (currency, sum) in sums(&mut tx, condition, account_id, &[from, Param::Int(at), Param::Text(id.to_string())]).await? {
            let balance = running.entry(currency).or_default();
            *balance = checked(balance.checked_add(net(sum)?))?;
        }
    }
    let chunk = statement_lines(&mut tx, account_id, window, &exponents, &mut running).await?;
    tx.commit().await?;
    let mut currencies: Vec<&String> = opening.keys().chain(moved.keys()).collect();
    currencies.sort();
    currencies.dedup();
    let mut totals = Vec::with_capacity(currencies.len());
    for currency in currencies {
        let opening = opening.get(currency).copied().map(net).transpose()?.unwrap_or(0);
        let (money_in, money_out) = moved.get(currency).copied().unwrap_or((0, 0));
        let closing = checked(opening.checked_add(net((money_in, money_out))?))?;
        let e = exponents.get(currency).copied().unwrap_or(0);
        totals.push(StatementTotals {
            currency: currency.clone(),
            opening_minor: opening,
            opening: format_amount(opening, e),
            money_in_minor: money_in,
            money_in: format_amount(money_in, e),
            money_out_minor: money_out,
            money_out: format_amount(money_out, e),
            closing_minor: closing,
            closing: format_amount(closing, e),
        });
    }
    Ok((totals, chunk))
}

/// The next lines of a statement after `window.after`, carrying `running` (the balances left by
/// the lines before) forward: how an export streams a long period without summing again.
pub async fn statement_chunk(
    db: &Db,
    account_id: &str,
    window: &StatementWindow<'_>,
    running: &mut HashMap<String, i64>,
) -> Result<StatementChunk, sqlx::Error> {
    let mut tx = db.begin_snapshot().await?;
    let exponents = exponents(&mut tx).await?;
    let chunk = statement_lines(&mut tx, account_id, window, &exponents, running).await?;
    tx.commit().await?;
    Ok(chunk)
}

async fn statement_lines(
    tx: &mut DbTx,
    account_id: &str,
    window: &StatementWindow<'_>,
    exponents: &HashMap<String, u32>,
    running: &mut HashMap<String, i64>,
) -> Result<StatementChunk, sqlx::Error> {
    let limit = window.limit.clamp(1, 1000);
    let mut query = SqlFilter::new(
        "SELECT e.transaction_id, e.currency, e.amount, e.occurred_at, t.recorded_at, t.kind, t.description, \
         cp.external_ref AS counterparty_ref, cp.display_name AS counterparty_name \
         FROM entries e JOIN transactions t ON t.id = e.transaction_id \
         JOIN accounts cp ON cp.id = CASE WHEN t.from_account = e.account_id THEN t.to_account ELSE t.from_account END \
         WHERE 1 = 1",
    );
    query.and("e.account_id =", Param::Text(account_id.to_string()));
    query.and("e.occurred_at >=", Param::Int(window.from_ms));
    query.and("e.occurred_at <", Param::Int(window.to_ms));
    if let Some((at, id)) = window.after {
        query.and("(e.occurred_at >", Param::Int(at));
        let n = query.param_count();
        query.push(&format!(" OR (e.occurred_at = ${n} AND e.transaction_id > ${}))", n + 1));
        query.bind(Param::Text(id.to_string()));
    }
    query.push(&format!(" ORDER BY e.occurred_at, e.transaction_id LIMIT {}", limit + 1));
    let mut rows = query.fetch_all_tx(tx).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let mut lines = Vec::with_capacity(rows.len());
    let mut next = None;
    for row in &rows {
        let currency: String = row.try_get("currency")?;
        let exponent = exponents.get(&currency).copied().unwrap_or(0);
        let amount: i64 = row.try_get("amount")?;
        let (occurred, recorded): (i64, i64) = (row.try_get("occurred_at")?, row.try_get("recorded_at")?);
        let balance = running.entry(currency.clone()).or_default();
        *balance = checked(balance.checked_add(amount))?;
        lines.push(StatementLine {
            transaction_id: row.try_get("transaction_id")?,
            occurred_at: format_ms(occurred),
            recorded_at: ((recorded - occurred).abs() >= RECORDED_LATER_MS).then(|| format_ms(recorded)),
            kind: decode::<TransactionKind>(row, "kind")?,
            counterparty_ref: row.try_get("counterparty_ref")?,
            counterparty_name: row.try_get("counterparty_name")?,
            description: row.try_get("description")?,
            amount: format_amount(amount, exponent),
            balance: format_amount(*balance, exponent),
            balance_minor: *balance,
            amount_minor: amount,
            currency,
        });
        next = more.then(|| (occurred, lines.last().map(|l| l.transaction_id.clone()).unwrap_or_default()));
    }
    Ok(StatementChunk { lines, next })
}

/// Every balance the walk produces was once a stored `BIGINT`, so overflow means a corrupt ledger.
fn checked(value: Option<i64>) -> Result<i64, sqlx::Error> {
    value.ok_or_else(|| sqlx::Error::Protocol("account balance out of range: the ledger is inconsistent".into()))
}

pub async fn find_tx(tx: &mut DbTx, id: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// The operator's account that pays goodwill refunds: the first active one by reference.
pub async fn operator_tx(tx: &mut DbTx) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE kind = 'operator' AND status = 'active' ORDER BY external_ref LIMIT 1");
    sqlx::query(&sql).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}
