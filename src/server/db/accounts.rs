use super::{insert_rows_then, now_ms, select_in, Db, DbTx, Param, SqlFilter};
use crate::domain::ledger::{AccountKind, AccountStatus, AccountView};
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
    rows.iter()
        .map(|r| Ok(((r.try_get("account_id")?, r.try_get("currency")?), r.try_get("balance")?)))
        .collect()
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
        let pattern = format!("{}%", search.replace(['%', '_'], ""));
        query.and("(display_name LIKE", Param::Text(pattern.clone()));
        query.push(&format!(" OR external_ref LIKE ${})", query.param_count() + 1));
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
            let mut own: Vec<(String, i64)> =
                balances.iter().filter(|((id, _), _)| id == &a.id).map(|((_, c), b)| (c.clone(), *b)).collect();
            own.sort();
            a.view(own)
        })
        .collect();
    Ok(AccountListing { accounts: views, next })
}
