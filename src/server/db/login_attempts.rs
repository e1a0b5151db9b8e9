use super::{DbKind, DbTx, new_id};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Throttled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Throttled => "throttled",
        }
    }
}

/// Arbitrary key of the PostgreSQL advisory lock that serialises sign-in verdicts across
/// instances (on SQLite the single writer already does).
const VERDICT_LOCK: i64 = 0x7265_6769_6f5f_6c67;

/// Waits until no other instance is judging a sign-in, for the rest of the transaction, so that
/// concurrent wrong guesses are counted one after another.
pub async fn serialize_verdicts(kind: DbKind, tx: &mut DbTx) -> Result<(), sqlx::Error> {
    if kind == DbKind::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(VERDICT_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records an attempt made at `at_ms` and returns its id.
pub async fn record(tx: &mut DbTx, email: &str, ip: &str, at_ms: i64, outcome: Outcome) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query("INSERT INTO login_attempts (id, at, email, ip, outcome) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(at_ms)
        .bind(email)
        .bind(ip)
        .bind(outcome.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Turns an attempt recorded as a failure (while its password was being checked) into a success.
pub async fn mark_success(tx: &mut DbTx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_attempts SET outcome = 'success' WHERE id = $1").bind(id).execute(&mut **tx).await.map(|_| ())
}

/// Times (ms, ascending) of failed attempts since `since_ms` for this email or from this IP,
/// each series on its own.
pub async fn failures_since(tx: &mut DbTx, email: &str, ip: &str, since_ms: i64) -> Result<[Vec<i64>; 2], sqlx::Error> {
    let mut series = [Vec::new(), Vec::new()];
    for (times, (column, value)) in series.iter_mut().zip([("email", email), ("ip", ip)]) {
        let sql = format!("SELECT at FROM login_attempts WHERE {column} = $1 AND outcome = 'failure' AND at >= $2 ORDER BY at");
        for row in sqlx::query(&sql).bind(value).bind(since_ms).fetch_all(&mut **tx).await? {
            times.push(row.try_get::<i64, _>("at")?);
        }
    }
    Ok(series)
}
