//! CSV import: upload, a check of every row (a dry run of posting that writes nothing), then a commit
//! of the whole file in one database transaction. Work runs in the background with progress.

use super::input::{ItemError, TransferInput};
use super::posting::{Pending, check_in, post_in};
use crate::domain::AppError;
use crate::domain::ledger::{ImportRowError, ImportStatus, Source};
use crate::domain::locale::Locale;
use crate::i18n::TextGroup;
use crate::i18n::admin::{Admin, import_status_name};
use crate::say;
use crate::server::db::audit::{self, Actor, AuditEvent};
use crate::server::db::imports::{self, NewImport};
use crate::server::db::{Db, new_id};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

pub const MAX_ROWS: usize = 200_000;
const CHUNK: usize = 1_000;
/// Errors kept for the preview; the count covers all of them.
const ERRORS_SHOWN: usize = 1_000;
const COLUMNS: [&str; 11] = ["external_ref", "kind", "currency", "amount", "from", "to", "occurred_at", "description", "refund_of", "corrects", "invoice"];
const REQUIRED: [&str; 4] = ["external_ref", "kind", "currency", "amount"];

/// Progress of running imports, per import id (this instance's work only).
#[derive(Debug, Default, Clone)]
pub struct ImportJobs(Arc<Mutex<HashMap<String, (usize, usize)>>>);

impl ImportJobs {
    fn set(&self, id: &str, done: usize, total: usize) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(id.to_string(), (done, total));
    }

    fn finish(&self, id: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
    }

    pub fn progress(&self, id: &str) -> Option<(usize, usize)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(id).copied()
    }
}

/// Reads a CSV whose header names the columns (any order; `external_ref, kind, currency, amount`
/// required). Empty cells are absent values.
pub fn parse_csv(text: &str) -> Result<Vec<TransferInput>, AppError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| AppError::validation("file", unreadable("the header row", "ヘッダー行", e)))?.clone();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let column = COLUMNS.iter().find(|c| **c == name.trim_start_matches('\u{feff}')).ok_or_else(|| {
            AppError::validation("file", say!("unknown column '{name}' (expected: {})", "不明な列「{name}」です（使用できる列：{}）", COLUMNS.join(", ")))
        })?;
        position.insert(column, i);
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !position.contains_key(**c)) {
        return Err(AppError::validation("file", say!("the header has no '{missing}' column", "ヘッダーに「{missing}」列がありません")));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| AppError::validation("file", unreadable(&format!("row {}", n + 1), &format!("{}行目", n + 1), e)))?;
        if rows.len() == MAX_ROWS {
            return Err(AppError::validation("file", say!("import at most {MAX_ROWS} rows per file", "1ファイルにつき{MAX_ROWS}行までインポートできます")));
        }
        let cell = |name: &str| position.get(name).and_then(|i| record.get(*i)).map(str::to_string).filter(|v| !v.is_empty());
        rows.push(TransferInput {
            external_ref: cell("external_ref").unwrap_or_default(),
            kind: cell("kind").unwrap_or_default(),
            currency: cell("currency").unwrap_or_default(),
            amount: cell("amount").unwrap_or_default(),
            from: cell("from"),
            to: cell("to"),
            occurred_at: cell("occurred_at"),
            description: cell("description"),
            refund_of: cell("refund_of"),
            corrects: cell("corrects"),
            invoice: cell("invoice"),
            settles_fiat: None,
        });
    }
    if rows.is_empty() {
        return Err(AppError::validation("file", say!("the file has a header but no rows", "ヘッダー行のみで、データ行がありません")));
    }
    Ok(rows)
}

/// Why the CSV reader refused `what` (named in each language): a row whose cells do not line up
/// with the header is the refusal a person meets, so it is said in their language; the reader's
/// other refusals (text it cannot decode) pass on its own words.
fn unreadable(what: &str, what_ja: &str, error: csv::Error) -> crate::domain::Message {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            say!("{what} has {len} cells where the header has {expected_len}", "{what_ja}のセルは{len}個ですが、ヘッダーは{expected_len}列です")
        }
        _ => say!("{what} cannot be read: {error}", "{what_ja}を読み取れません：{error}"),
    }
}

/// Stores an uploaded file and starts checking it; returns the import's id.
pub async fn upload(db: &Db, jobs: &ImportJobs, actor: &Actor, filename: &str, text: String) -> Result<String, AppError> {
    let rows = parse_csv(&text)?;
    let id = new_id();
    let name: String = filename.chars().filter(|c| !c.is_control()).take(200).collect();
    imports::insert(db, &NewImport { id: &id, filename: &name, created_by: &actor.label, row_count: rows.len() as i64, content: &text }).await?;
    jobs.set(&id, 0, rows.len());
    tokio::spawn(run(db.clone(), jobs.clone(), actor.clone(), id.clone(), rows, false));
    Ok(id)
}

/// Commits a checked import with no errors, or retries one that failed (stopped by an error or
/// a restart): the whole file or nothing. Every row is checked again inside the commit.
pub async fn commit(db: &Db, jobs: &ImportJobs, actor: &Actor, id: &str) -> Result<(), AppError> {
    let import = imports::find(db, id).await?.ok_or_else(|| AppError::not_found("import"))?;
    if import.status == ImportStatus::Checked && import.error_count > 0 {
        return Err(AppError::conflict(say!(
            "Fix the rows with errors and upload the file again: an import is committed whole.",
            "エラーのある行を修正して、ファイルをアップロードし直してください。インポートはファイル全体を一括で確定します。"
        )));
    }
    let committable = matches!(import.status, ImportStatus::Checked | ImportStatus::Failed);
    if !committable || !imports::transition(db, id, import.status, ImportStatus::Committing).await? {
        return Err(AppError::conflict(say!(
            "This import is {} and cannot be committed.",
            "このインポートは状態が「{}」のため確定できません。";
            import.status => import_status_name(Admin::of(Locale::Ja), import.status)
        )));
    }
    let text = imports::content(db, id).await?.unwrap_or_default();
    let rows = parse_csv(&text)?;
    jobs.set(id, 0, rows.len());
    tokio::spawn(run(db.clone(), jobs.clone(), actor.clone(), id.to_string(), rows, true));
    Ok(())
}

/// At start-up: an import left `checking` or `committing` lost its work with the process that
/// ran it (a commit is one database transaction, so nothing of it was recorded). Marks each
/// failed, saying so, so that it can be committed again; returns how many.
pub async fn fail_interrupted(db: &Db) -> Result<usize, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut failed = 0;
    for (id, status) in imports::running(&mut tx.tx).await? {
        let error = ImportRowError {
            row: 0,
            field: "file".into(),
            message: say!(
                "Regio restarted while this import was {}; nothing was recorded. Commit it to check and record it again.",
                "インポートが「{}」の間に Regio が再起動したため、何も記録されていません。確定し直すと、もう一度確認して記録します。";
                status => import_status_name(Admin::of(Locale::Ja), status)
            ),
        };
        if imports::fail(&mut tx.tx, &id, status, &error).await? {
            let event = AuditEvent {
                action: "import.interrupted",
                target: &format!("import:{id}"),
                before: Some(json!({ "status": status })),
                after: Some(json!({ "status": ImportStatus::Failed })),
            };
            audit::record(&mut tx.tx, &Actor::system(), event).await?;
            failed += 1;
        }
    }
    tx.commit().await?;
    Ok(failed)
}

async fn run(db: Db, jobs: ImportJobs, actor: Actor, id: String, rows: Vec<TransferInput>, commit: bool) {
    let result = post_all(&db, &jobs, &actor, &id, rows, commit).await;
    jobs.finish(&id);
    if let Err(e) = result {
        tracing::error!(error = %e, import = %id, "CSV import failed");
        let failed = [ImportRowError {
            row: 0,
            field: "file".into(),
            message: say!("the import stopped on a server error; it has been logged", "サーバーのエラーでインポートが止まりました。記録済みです"),
        }];
        let _ = imports::record_check(&db, &id, ImportStatus::Failed, 0, &failed, 1, "[]").await;
    }
}

/// Checks every row (a dry run) or posts the whole file in one transaction (a commit, when
/// nothing is refused; otherwise it is rolled back and recorded as checked with its errors).
async fn post_all(db: &Db, jobs: &ImportJobs, actor: &Actor, id: &str, rows: Vec<TransferInput>, commit: bool) -> Result<(), sqlx::Error> {
    let total = rows.len();
    let mut summary: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    for row in &rows {
        let entry = summary.entry(row.kind.trim().to_string()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(Decimal::from_str(row.amount.trim()).unwrap_or_default());
    }
    let summary: Vec<(String, i64, String)> = summary.into_iter().map(|(k, (c, a))| (k, c, a.normalize().to_string())).collect();
    let summary = serde_json::to_string(&summary).unwrap_or_else(|_| "[]".into());
    let shown = |errors: Vec<ItemError>| -> Vec<ImportRowError> {
        errors.into_iter().take(ERRORS_SHOWN).map(|e| ImportRowError { row: e.index + 1, field: e.field, message: e.message }).collect()
    };
    if !commit {
        let (valid, errors) = check_file(db, jobs, id, &rows).await?;
        let error_count = errors.len() as i64;
        return imports::record_check(db, id, ImportStatus::Checked, valid as i64, &shown(errors), error_count, &summary).await;
    }
    // One transaction, so later rows see earlier ones and the file is recorded whole or not at all.
    let mut tx = db.begin_write().await?;
    let (mut valid, mut errors): (usize, Vec<ItemError>) = (0, Vec::new());
    for (n, chunk) in rows.chunks(CHUNK).enumerate() {
        let (posted, refused) = post_in(&mut tx.tx, db, Source::Csv, chunk.to_vec(), actor, n * CHUNK).await?;
        valid += posted.len();
        errors.extend(refused);
        jobs.set(id, (n * CHUNK + chunk.len()).min(total), total);
    }
    let error_count = errors.len() as i64;
    if error_count == 0 {
        let event = AuditEvent {
            action: "import.commit",
            target: &format!("import:{id}"),
            before: Some(json!({ "status": ImportStatus::Committing })),
            after: Some(json!({ "status": ImportStatus::Committed, "rows": valid })),
        };
        audit::record(&mut tx.tx, actor, event).await?;
        tx.commit().await?;
        imports::record_check(db, id, ImportStatus::Committed, valid as i64, &[], 0, &summary).await
    } else {
        drop(tx);
        imports::record_check(db, id, ImportStatus::Checked, valid as i64, &shown(errors), error_count, &summary).await
    }
}

/// The dry run: each chunk is checked in a short read transaction against the ledger plus the
/// rows accepted before it, writing nothing, so API batches and sign-ins go on meanwhile.
async fn check_file(db: &Db, jobs: &ImportJobs, id: &str, rows: &[TransferInput]) -> Result<(usize, Vec<ItemError>), sqlx::Error> {
    let mut pending = Pending::default();
    let (mut valid, mut errors): (usize, Vec<ItemError>) = (0, Vec::new());
    for (n, chunk) in rows.chunks(CHUNK).enumerate() {
        let mut tx = db.begin().await?;
        let (posted, refused) = check_in(&mut tx, db, Source::Csv, chunk.to_vec(), n * CHUNK, &mut pending).await?;
        tx.rollback().await?;
        valid += posted.len();
        errors.extend(refused);
        jobs.set(id, (n * CHUNK + chunk.len()).min(rows.len()), rows.len());
    }
    Ok((valid, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_header_in_any_order() {
        let rows = parse_csv("amount,kind,external_ref,currency,from,to\n1500,payment,p-1,SRB,m-1,shop-1\n20,top_up,t-1,SRB,op,m-1\n").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].external_ref.as_str(), rows[0].amount.as_str(), rows[0].to.as_deref()), ("p-1", "1500", Some("shop-1")));
        assert_eq!(rows[1].description, None);
    }

    #[test]
    fn refuses_unknown_and_missing_columns_naming_the_file() {
        for bad in [
            "external_ref,kind,currency,amount,colour\nx,payment,SRB,1,red\n",
            "external_ref,kind,currency\nx,payment,SRB\n",
            "external_ref,kind,currency,amount\n",
        ] {
            match parse_csv(bad) {
                Err(AppError::Validation { field, .. }) => assert_eq!(field, "file"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_ragged_row_is_named_in_both_languages() {
        match parse_csv("external_ref,kind,currency,amount\nx,payment,SRB,1\ny,payment,SRB\n") {
            Err(AppError::Validation { message, .. }) => assert_eq!(
                (message.in_locale(Locale::En), message.in_locale(Locale::Ja)),
                ("row 2 has 3 cells where the header has 4", "2行目のセルは3個ですが、ヘッダーは4列です")
            ),
            other => panic!("{other:?}"),
        }
    }
}
