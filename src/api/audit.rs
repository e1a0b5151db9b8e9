use crate::domain::{AppError, AuditPage};
use leptos::prelude::*;

/// One page of the audit log, newest first. Dates are `YYYY-MM-DD` (UTC, `to` inclusive).
#[server(prefix = "/rpc", endpoint = "list_audit")]
pub async fn list_audit(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditPage, AppError> {
    use super::form::non_empty;
    use crate::domain::Role;
    use crate::server::db::audit::{self, AuditFilter};
    use crate::server::ledger::queries::day_start_ms;
    super::guard::guarded(Role::Admin, |ctx| async move {
        let filter = AuditFilter {
            actor: non_empty(actor).map(|a| a.to_lowercase()),
            action: non_empty(action),
            from_ms: non_empty(from).map(|d| day_start_ms("from", &d)).transpose()?,
            to_ms: non_empty(to).map(|d| day_start_ms("to", &d).map(|ms| ms + 86_400_000)).transpose()?,
            before: non_empty(before),
            limit: 50,
        };
        Ok(audit::list(&ctx.state.db, &filter).await?)
    })
    .await
}
