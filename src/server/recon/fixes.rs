use crate::domain::recon::{BulkPreview, CaseFilter, FixKind, FixPreview};
use crate::domain::AppError;
use crate::server::db::audit::Actor;
use crate::server::db::Db;

pub struct FixRequest {
    pub kind: FixKind,
    pub transaction_id: Option<String>,
    pub reason: Option<String>,
}

pub async fn preview(_db: &Db, _id: &str, kind: FixKind, _transaction_id: Option<&str>) -> Result<FixPreview, AppError> {
    Ok(FixPreview { kind, ledger: vec![], stripe: vec![], case: vec![] })
}

pub async fn apply(_db: &Db, _actor: &Actor, _id: &str, _request: FixRequest) -> Result<(), AppError> {
    Ok(())
}

pub async fn bulk_preview(_db: &Db, _filter: &CaseFilter, kind: FixKind) -> Result<BulkPreview, AppError> {
    Ok(BulkPreview { kind, count: 0, total: "0".into(), skipped: 0 })
}

pub async fn bulk_apply(_db: &Db, _actor: &Actor, _filter: &CaseFilter, _kind: FixKind, _reason: Option<String>, _expected: i64) -> Result<i64, AppError> {
    Ok(0)
}
