//! `POST /imports`: a CSV file uploaded from the import page as a plain multipart form, so it
//! works before the page is interactive and is not limited by server functions' body size.

use super::caller::Caller;
use crate::domain::{AppError, Role};
use crate::say;
use crate::server::AppState;
use crate::server::ledger::import;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};

/// 100,000 rows of a typical export are about 10 MB.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/imports", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

async fn upload(State(state): State<AppState>, Extension(caller): Extension<Caller>, multipart: Multipart) -> Response {
    match receive(&state, &caller, multipart).await {
        Ok(id) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e) => {
            let message: String = url::form_urlencoded::byte_serialize(e.to_string().as_bytes()).collect();
            Redirect::to(&format!("/import?error={message}")).into_response()
        }
    }
}

async fn receive(state: &AppState, caller: &Caller, mut multipart: Multipart) -> Result<String, AppError> {
    let user = caller.authorize(Role::Admin)?;
    while let Some(field) = multipart.next_field().await.map_err(|e| AppError::validation("file", e.body_text()))? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("upload.csv").to_string();
        let bytes = field.bytes().await.map_err(|e| AppError::validation("file", e.body_text()))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::validation("file", say!("the file is not UTF-8 text", "UTF-8 のテキストファイルではありません")))?;
        return import::upload(&state.db, &state.imports, &caller.actor(user), &filename, text).await;
    }
    Err(AppError::validation("file", say!("choose a CSV file", "CSV ファイルを選択してください")))
}
