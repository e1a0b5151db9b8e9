//! `GET /reconciliation/export`: the filtered cases as a CSV file, for spreadsheets and auditors.
//! A plain route (not a server function) so the browser downloads it as a file.

use super::caller::Caller;
use crate::domain::recon::CaseFilter;
use crate::domain::{AppError, Role};
use crate::server::AppState;
use crate::server::db::now_ms;
use crate::server::db::recon_cases;
use crate::server::recon::cases::{exponents, parse_filter, row_of};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/reconciliation/export", get(export))
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(filter): Query<CaseFilter>) -> Response {
    match csv(&state, &caller, &filter).await {
        Ok(body) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"regio-cases.csv\"")], body)
            .into_response(),
        Err(e) => (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()).into_response(),
    }
}

/// Quotes a field when it holds a separator, a quote or a line break; a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so a spreadsheet shows it instead of running it as a formula.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

async fn csv(state: &AppState, caller: &Caller, filter: &CaseFilter) -> Result<String, AppError> {
    let user = caller.user.as_ref().ok_or(AppError::Unauthenticated)?;
    if !user.role.includes(Role::Viewer) {
        return Err(AppError::Forbidden);
    }
    let query = parse_filter(&state.db, filter).await?;
    let mut tx = state.db.begin_snapshot().await?;
    let cases = recon_cases::all(&mut tx, &query).await?;
    tx.commit().await?;
    let exponents = exponents(&state.db).await?;
    let now = now_ms();
    let mut out = String::from("case_id,class,state,age,first_seen,last_seen,transaction_id,record_id,account_id,account,amount,currency,summary,assignee\n");
    for case in &cases {
        let r = row_of(case, &exponents, now);
        let fields = [
            r.id,
            r.class.as_str().into(),
            r.state.as_str().into(),
            r.age.as_str().into(),
            r.first_seen,
            r.last_seen,
            r.transaction_id.unwrap_or_default(),
            r.record_id.unwrap_or_default(),
            r.account_id.unwrap_or_default(),
            r.account_name.unwrap_or_default(),
            r.amount,
            r.currency,
            r.summary,
            r.assignee.unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
