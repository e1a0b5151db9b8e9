//! The top bar's search: a payment found in seconds by whatever the person at the counter has.

use crate::domain::AppError;
use crate::domain::money::parse_amount;
use crate::domain::refunds::SearchHit;
use crate::say;
use crate::server::db::{Db, currencies, ledger};

const LIMIT: i64 = 20;
/// Longer than any id, reference or name worth typing.
const QUERY_LIMIT: usize = 200;

/// Transactions whose id, external reference, Payment Record, account (reference or name) or
/// exact amount match `q`; at most 20.
pub async fn search(db: &Db, q: &str) -> Result<Vec<SearchHit>, AppError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    if q.chars().count() > QUERY_LIMIT {
        return Err(AppError::validation("q", say!("search for at most 200 characters", "検索語は200文字以内で入力してください")));
    }
    // An amount is read in each currency whose decimals it fits.
    let amounts: Vec<(String, i64)> =
        currencies::list(db).await?.into_iter().filter_map(|c| parse_amount(q, c.exponent).ok().map(|minor| (c.code, minor))).collect();
    let mut hits = Vec::new();
    for (id, matched) in ledger::search_ids(db, q, &amounts, LIMIT).await? {
        if let Some(t) = ledger::view(db, &id).await? {
            hits.push(SearchHit {
                transaction_id: t.id,
                kind: t.kind,
                external_ref: t.external_ref,
                amount: format!("{} {}", t.amount, t.currency),
                from_account: t.from_account,
                to_account: t.to_account,
                occurred_at: t.occurred_at,
                matched: matched.to_string(),
            });
        }
    }
    Ok(hits)
}
