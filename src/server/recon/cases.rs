use crate::domain::recon::{CaseDetail, CaseFilter, CasePage};
use crate::domain::AppError;
use crate::server::db::audit::Actor;
use crate::server::db::Db;
use crate::server::AppState;

pub async fn page(_db: &Db, _filter: &CaseFilter, _after: Option<String>) -> Result<CasePage, AppError> {
    Ok(CasePage { rows: vec![], next_cursor: None, total: 0 })
}

pub async fn detail(_state: &AppState, _id: &str) -> Result<CaseDetail, AppError> {
    Err(AppError::not_found("case"))
}

pub async fn assign(_db: &Db, _actor: &Actor, _id: &str, _user: Option<String>) -> Result<(), AppError> {
    Ok(())
}

pub async fn remark(_db: &Db, _actor: &Actor, _id: &str, _remark: &str) -> Result<(), AppError> {
    Ok(())
}
