use crate::domain::AppError;
use crate::domain::ledger::ImportView;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "list_imports", output = crate::api::codec::Json)]
pub async fn list_imports() -> Result<Vec<ImportView>, AppError> {
    use crate::domain::Role;
    super::guard::guarded(Role::Admin, |ctx| async move { Ok(crate::server::db::imports::recent(&ctx.state.db, 20).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "import_status", output = crate::api::codec::Json)]
pub async fn import_status(id: String) -> Result<ImportView, AppError> {
    use crate::domain::Role;
    super::guard::guarded(Role::Admin, |ctx| async move {
        let mut view = crate::server::db::imports::find(&ctx.state.db, &id).await?.ok_or_else(|| AppError::not_found("import"))?;
        view.progress = ctx.state.imports.progress(&id);
        Ok(view)
    })
    .await
}

/// Records every row of a checked import in one database transaction (admin; audited).
#[server(prefix = "/rpc", endpoint = "commit_import", output = crate::api::codec::Json)]
pub async fn commit_import(id: String, confirm: Option<String>) -> Result<(), AppError> {
    use crate::domain::Role;
    use crate::say;
    super::guard::guarded(Role::Admin, |ctx| async move {
        if confirm.as_deref() != Some("yes") {
            return Err(AppError::validation(
                "confirm",
                say!("tick the box to confirm the import", "チェックボックスをオンにして、インポートを確認してください"),
            ));
        }
        crate::server::ledger::import::commit(&ctx.state.db, &ctx.state.imports, &ctx.actor(), &id).await
    })
    .await
}
