use crate::domain::{AppError, AuditPage};
use leptos::prelude::*;

/// One page of the audit log, newest first. Dates are `YYYY-MM-DD` (UTC, `to` inclusive).
#[server(prefix = "/rpc", endpoint = "list_audit", output = crate::api::codec::Json)]
pub async fn list_audit(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::domain::Role;
    use crate::server::db::audit;
    use crate::server::ledger::queries::AuditQuery;
    super::guard::guarded(Role::Admin, |ctx| async move {
        let filter = AuditQuery { actor, action, from, to }.filter(before, 50)?;
        Ok(audit::list(&ctx.state.db, &filter).await?)
    })
    .await
}
