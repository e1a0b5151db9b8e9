//! CSV for spreadsheets: quoting, defusing cells a spreadsheet would run as a formula, and the
//! download every export answers with.

use crate::domain::AppError;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use std::future::Future;

/// A CSV file the browser saves as `name`, streamed from `parts` as they come. A stream that
/// stops part-way is logged with the file's name (the browser is left with a cut-off file).
pub fn download<S, T, E>(name: &str, parts: S) -> Response
where
    S: Stream<Item = Result<T, E>> + Send + 'static,
    T: Into<Bytes> + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let file = name.to_string();
    let body = Body::from_stream(parts.map_ok(Into::into).inspect_err(move |e: &E| tracing::error!(error = %e, file = %file, "a CSV export stopped part-way")));
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], body)
        .into_response()
}

/// A CSV file streamed from the database: `header`, then the lines `chunk` answers from each
/// cursor (`None`: the top of the list) until it answers no next one. Memory holds one chunk,
/// however many rows match.
pub fn paged_download<C, F, Fut>(name: &'static str, header: &'static str, chunk: F) -> Response
where
    C: Send + 'static,
    F: Fn(Option<C>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(String, Option<C>), AppError>> + Send + 'static,
{
    // The state is the next chunk's cursor, `None` once the last chunk is out.
    let chunks = stream::try_unfold(Some(None), move |cursor: Option<Option<C>>| {
        let next_chunk = cursor.map(&chunk);
        async move {
            let Some(next_chunk) = next_chunk else { return Ok::<_, AppError>(None) };
            let (text, next) = next_chunk.await?;
            Ok(if text.is_empty() { None } else { Some((Bytes::from(text), next.map(Some))) })
        }
    });
    let lines = stream::once(async move { Ok(Bytes::from_static(header.as_bytes())) }).chain(chunks);
    download(name, lines)
}

/// An export refused before its first line: the error's status and its message.
pub fn refusal(e: AppError) -> Response {
    (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()).into_response()
}

/// Quotes a field when it holds a separator, a quote or a line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return (spreadsheets skip the last two before looking for a formula) is
/// prefixed with `'` so a spreadsheet shows the cell instead of running it. A plain negative
/// number (`-2.25`) runs nothing and stays a number.
pub fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_negative_number(value) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

fn is_negative_number(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('-') else { return false };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    [whole, fraction].iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// One line of cells, each quoted or defused as needed, ending in a newline.
pub fn csv_line(fields: &[String]) -> String {
    let mut line = fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
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
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "-1");
        assert_eq!(cell("-2.25"), "-2.25");
        assert_eq!(cell("-1+1"), "'-1+1");
        assert_eq!(cell("-"), "'-");
        assert_eq!(cell("-.5"), "'-.5");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        // Spreadsheets skip leading whitespace before deciding a cell is a formula.
        assert_eq!(cell("\t=cmd|' /C calc'!A0"), "'\t=cmd|' /C calc'!A0");
        assert_eq!(cell("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(cell("a=b"), "a=b");
    }
}
