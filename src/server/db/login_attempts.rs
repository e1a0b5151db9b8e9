use super::{Db, DbTx, new_id, now_ms};
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

pub async fn record(tx: &mut DbTx, email: &str, ip: &str, outcome: Outcome) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_attempts (id, at, email, ip, outcome) VALUES ($1, $2, $3, $4, $5)")
        .bind(new_id())
        .bind(now_ms())
        .bind(email)
        .bind(ip)
        .bind(outcome.as_str())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Times (ms, ascending) of failed attempts since `since_ms` for this email or from this IP,
/// each series on its own.
pub async fn failures_since(db: &Db, email: &str, ip: &str, since_ms: i64) -> Result<[Vec<i64>; 2], sqlx::Error> {
    let by = |column: &'static str, value: String| {
        let sql = format!("SELECT at FROM login_attempts WHERE {column} = $1 AND outcome = 'failure' AND at >= $2 ORDER BY at");
        async move {
            sqlx::query(&sql).bind(value).bind(since_ms).fetch_all(&db.pool).await?.iter().map(|r| r.try_get::<i64, _>("at")).collect::<Result<Vec<_>, _>>()
        }
    };
    Ok([by("email", email.to_string()).await?, by("ip", ip.to_string()).await?])
}
