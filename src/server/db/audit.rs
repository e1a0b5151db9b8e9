use super::{Db, DbTx, Param, SqlFilter, format_ms, new_id, now_ms};
use crate::domain::{AuditEventView, AuditPage};
use serde_json::Value;
use sqlx::Row;

/// Who did something: a signed-in person, the command line, or the system itself.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn cli() -> Self {
        Self { user_id: None, label: "cli".into(), ip: None }
    }

    pub fn system() -> Self {
        Self { user_id: None, label: "system".into(), ip: None }
    }
}

pub struct AuditEvent<'a> {
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends one audit row inside the caller's transaction, so the record and the change it
/// describes commit (or roll back) together.
pub async fn record(tx: &mut DbTx, actor: &Actor, event: AuditEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_id, actor, action, target, before_json, after_json, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(now_ms())
    .bind(actor.user_id.clone())
    .bind(&actor.label)
    .bind(event.action)
    .bind(event.target)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(actor.ip.clone())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Keyset cursor: only events older than this id (ids are time-ordered).
    pub before: Option<String>,
    pub limit: i64,
}

pub async fn list(db: &Db, filter: &AuditFilter) -> Result<AuditPage, sqlx::Error> {
    let mut query = SqlFilter::new("SELECT id, at, actor, action, target, before_json, after_json, ip FROM audit_events WHERE 1 = 1");
    if let Some(actor) = &filter.actor {
        query.and("actor =", Param::Text(actor.clone()));
    }
    if let Some(action) = &filter.action {
        query.and("action LIKE", Param::Text(format!("{action}%")));
    }
    if let Some(from) = filter.from_ms {
        query.and("at >=", Param::Int(from));
    }
    if let Some(to) = filter.to_ms {
        query.and("at <", Param::Int(to));
    }
    if let Some(before) = &filter.before {
        query.and("id <", Param::Text(before.clone()));
    }
    let limit = filter.limit.clamp(1, 500);
    query.push(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));

    let rows = query.fetch_all(db).await?;
    let mut events = rows
        .iter()
        .map(|row| {
            Ok(AuditEventView {
                id: row.try_get("id")?,
                at: format_ms(row.try_get("at")?),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                before: row.try_get("before_json")?,
                after: row.try_get("after_json")?,
                ip: row.try_get("ip")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next_cursor = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(AuditPage { events, next_cursor })
}
