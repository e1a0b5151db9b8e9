use super::{Db, DbTx, Param, SqlFilter, format_ms, insert_rows_then, now_ms, select_in};
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView, StatementLine, StatementPage, TransactionKind};
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

/// Loads accounts by id inside `tx`, locking them on PostgreSQL so that balance checks and the
/// writes that follow them cannot interleave with another writer's.
pub async fn lock_by_ids(tx: &mut DbTx, db: &Db, ids: &[String]) -> Result<HashMap<String, Account>, sqlx::Error> {
    let select = format!("SELECT {COLUMNS} FROM accounts WHERE id IN ({{in}}) ORDER BY id{}", db.for_update());
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

/// One page of an account's statement, newest first, each line with the balance it left.
///
/// Lines are in recording order (transaction ids are time-ordered), the order in which the
/// ledger applied them and checked balances. The balance after a line is the current balance
/// minus everything recorded after it: one sum over the entries newer than the cursor, then a
/// walk down the page, all in one snapshot so the figures agree with each other.
pub async fn statement(db: &Db, account_id: &str, before: Option<&str>, limit: i64) -> Result<StatementPage, sqlx::Error> {
    let limit = limit.clamp(1, 500);
    let mut tx = db.begin_snapshot().await?;
    let mut running = own_balances(&mut tx, account_id).await?;
    if let Some(before) = before {
        let newer = sqlx::query(
            "SELECT currency, CAST(SUM(amount) AS BIGINT) AS total FROM entries \
             WHERE account_id = $1 AND transaction_id >= $2 GROUP BY currency",
        )
        .bind(account_id)
        .bind(before)
        .fetch_all(&mut *tx)
        .await?;
        for row in &newer {
            let balance = running.entry(row.try_get("currency")?).or_default();
            *balance = checked(balance.checked_sub(row.try_get("total")?))?;
        }
    }
    let mut query = SqlFilter::new(
        "SELECT e.transaction_id, e.currency, e.amount, t.kind, t.occurred_at, t.description, c.exponent, \
         cp.external_ref AS counterparty_ref, cp.display_name AS counterparty_name \
         FROM entries e JOIN transactions t ON t.id = e.transaction_id JOIN currencies c ON c.code = e.currency \
         JOIN accounts cp ON cp.id = CASE WHEN t.from_account = e.account_id THEN t.to_account ELSE t.from_account END \
         WHERE 1 = 1",
    );
    query.and("e.account_id =", Param::Text(account_id.to_string()));
    if let Some(before) = before {
        query.and("e.transaction_id <", Param::Text(before.to_string()));
    }
    query.push(&format!(" ORDER BY e.transaction_id DESC LIMIT {}", limit + 1));
    let mut rows = query.fetch_all_tx(&mut tx).await?;
    tx.commit().await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.try_get("transaction_id")).transpose()?
    } else {
        None
    };
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let currency: String = row.try_get("currency")?;
        let exponent = row.try_get::<i64, _>("exponent")? as u32;
        let amount: i64 = row.try_get("amount")?;
        let balance = running.entry(currency.clone()).or_default();
        let after = *balance;
        *balance = checked(after.checked_sub(amount))?;
        lines.push(StatementLine {
            transaction_id: row.try_get("transaction_id")?,
            occurred_at: format_ms(row.try_get("occurred_at")?),
            kind: decode::<TransactionKind>(row, "kind")?,
            counterparty_ref: row.try_get("counterparty_ref")?,
            counterparty_name: row.try_get("counterparty_name")?,
            description: row.try_get("description")?,
            currency,
            amount_minor: amount,
            amount: format_amount(amount, exponent),
            balance_minor: after,
            balance: format_amount(after, exponent),
        });
    }
    Ok(StatementPage { lines, next_cursor })
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
