//! Stripe list pagination: newest first, `limit` 1..100 (default 10), `starting_after` (older
//! than the cursor) or `ending_before` (newer than the cursor, still returned newest first).

use super::errors::ApiError;
use super::params::Fields;
use super::store::{Row, Table};
use serde_json::{Value, json};
use std::ops::Range;

/// The pagination parameters every list endpoint accepts.
pub const PAGINATION: [&str; 3] = ["limit", "starting_after", "ending_before"];

pub struct ListQuery {
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

pub enum Cursor {
    StartingAfter(String),
    EndingBefore(String),
}

impl Cursor {
    pub fn id(&self) -> &str {
        match self {
            Cursor::StartingAfter(id) | Cursor::EndingBefore(id) => id,
        }
    }

    pub fn param(&self) -> &'static str {
        match self {
            Cursor::StartingAfter(_) => "starting_after",
            Cursor::EndingBefore(_) => "ending_before",
        }
    }
}

impl ListQuery {
    pub fn parse(p: &Fields<'_>) -> Result<Self, ApiError> {
        let limit = p.bounded("limit", 1, 100)?.map_or(10, |n| n as usize);
        let after = p.text("starting_after")?;
        let before = p.text("ending_before")?;
        let cursor = match (after, before) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_value("ending_before", "You may only specify one of these parameters: ending_before, starting_after."));
            }
            (Some(id), None) => Some(Cursor::StartingAfter(id)),
            (None, Some(id)) => Some(Cursor::EndingBefore(id)),
            (None, None) => None,
        };
        Ok(ListQuery { limit, cursor })
    }

    /// The error for a cursor naming no object of this list's type.
    pub fn missing_cursor(&self, object: &str) -> ApiError {
        match &self.cursor {
            Some(c) => ApiError::no_such_param(object, c.id(), c.param()),
            None => ApiError::internal(),
        }
    }
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// One page of `view` (oldest first). `cursor_at` gives the cursor's position in `view`'s
/// coordinates, which may lie outside it when `view` is a window of a larger table.
pub fn paginate<'a, T>(
    view: &'a [T],
    query: &ListQuery,
    cursor_at: impl Fn(&str) -> Option<i64>,
    keep: impl Fn(&T) -> bool,
    object: &str,
) -> Result<Page<&'a T>, ApiError> {
    let len = view.len() as i64;
    let take = query.limit + 1;
    let mut items = Vec::with_capacity(take.min(view.len()));
    match &query.cursor {
        Some(Cursor::EndingBefore(id)) => {
            let at = cursor_at(id).ok_or_else(|| query.missing_cursor(object))?;
            let from = (at + 1).clamp(0, len) as usize;
            items.extend(view[from..].iter().filter(|t| keep(t)).take(take));
            let has_more = items.len() > query.limit;
            items.truncate(query.limit);
            items.reverse();
            Ok(Page { items, has_more })
        }
        cursor => {
            let end = match cursor {
                Some(c) => cursor_at(c.id()).ok_or_else(|| query.missing_cursor(object))?.clamp(0, len),
                None => len,
            } as usize;
            items.extend(view[..end].iter().rev().filter(|t| keep(t)).take(take));
            let has_more = items.len() > query.limit;
            items.truncate(query.limit);
            Ok(Page { items, has_more })
        }
    }
}

/// One page of a whole table.
pub fn paginate_table<'a, T: Row>(table: &'a Table<T>, query: &ListQuery, keep: impl Fn(&T) -> bool, object: &str) -> Result<Page<&'a T>, ApiError> {
    paginate(table.rows(), query, |id| table.position(id).map(|p| p as i64), keep, object)
}

/// One page of the rows `ids` (oldest first) name, such as an invoice's payments.
pub fn paginate_ids<'a, T: Row>(
    table: &'a Table<T>,
    ids: &[String],
    query: &ListQuery,
    keep: impl Fn(&T) -> bool,
    object: &str,
) -> Result<Page<&'a T>, ApiError> {
    let rows: Vec<&T> = ids.iter().filter_map(|id| table.get(id)).collect();
    let at = |id: &str| rows.iter().position(|r| r.id() == id).map(|p| p as i64);
    let page = paginate(&rows, query, at, |r| keep(r), object)?;
    Ok(Page { items: page.items.into_iter().copied().collect(), has_more: page.has_more })
}

/// A `created` window, inclusive at both ends.
#[derive(Default)]
pub struct CreatedRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl CreatedRange {
    /// `created=<t>` or `created[gt|gte|lt|lte]=<t>`.
    pub fn parse(p: &Fields<'_>, key: &str) -> Result<Self, ApiError> {
        if p.str(key).is_ok_and(|s| s.is_some()) {
            let exact = p.timestamp(key)?;
            return Ok(CreatedRange { min: exact, max: exact });
        }
        let Some(bounds) = p.object(key, &["gt", "gte", "lt", "lte"])? else { return Ok(Self::default()) };
        let min = [bounds.timestamp("gt")?.map(|t| t + 1), bounds.timestamp("gte")?].into_iter().flatten().max();
        let max = [bounds.timestamp("lt")?.map(|t| t - 1), bounds.timestamp("lte")?].into_iter().flatten().min();
        Ok(CreatedRange { min, max })
    }

    /// The rows inside the window, for rows sorted by `created`.
    pub fn window<T>(&self, rows: &[T], created: impl Fn(&T) -> i64) -> Range<usize> {
        let lo = self.min.map_or(0, |min| rows.partition_point(|r| created(r) < min));
        let hi = self.max.map_or(rows.len(), |max| rows.partition_point(|r| created(r) <= max));
        lo..hi.max(lo)
    }
}

pub fn list_json(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// A list embedded in another object (invoice lines, subscription items), complete in one page.
pub fn embedded_list(url: &str, data: Vec<Value>) -> Value {
    json!({ "object": "list", "data": data, "has_more": false, "total_count": data.len(), "url": url })
}

#[cfg(test)]
mod tests {
    use super::super::form::decode;
    use super::*;

    fn query(body: &str) -> ListQuery {
        let form = decode(body.as_bytes()).unwrap();
        ListQuery::parse(&Fields::root(&form, &PAGINATION).unwrap()).unwrap()
    }

    fn page(view: &[i64], body: &str) -> (Vec<i64>, bool) {
        let q = query(body);
        let at = |id: &str| id.parse::<i64>().ok().and_then(|n| view.iter().position(|v| *v == n)).map(|p| p as i64);
        let p = paginate(view, &q, at, |v| v % 7 != 0, "thing").unwrap();
        (p.items.into_iter().copied().collect(), p.has_more)
    }

    #[test]
    fn pages_walk_newest_first_and_skip_filtered_items() {
        let view: Vec<i64> = (1..=10).collect();
        assert_eq!(page(&view, "limit=3"), (vec![10, 9, 8], true));
        assert_eq!(page(&view, "limit=3&starting_after=8"), (vec![6, 5, 4], true));
        assert_eq!(page(&view, "limit=3&starting_after=4"), (vec![3, 2, 1], false));
        assert_eq!(page(&view, "limit=3&ending_before=3"), (vec![6, 5, 4], true));
        assert_eq!(page(&view, "limit=3&ending_before=6"), (vec![10, 9, 8], false));
    }

    #[test]
    fn limit_is_bounded_and_cursors_are_exclusive() {
        let form = decode(b"limit=101").unwrap();
        assert!(ListQuery::parse(&Fields::root(&form, &PAGINATION).unwrap()).is_err());
        let form = decode(b"starting_after=a&ending_before=b").unwrap();
        assert!(ListQuery::parse(&Fields::root(&form, &PAGINATION).unwrap()).is_err());
        assert_eq!(query("").limit, 10);
    }

    #[test]
    fn created_windows_are_found_by_binary_search() {
        let rows = [10, 20, 20, 30, 40];
        let range = |body: &str| {
            let form = decode(body.as_bytes()).unwrap();
            CreatedRange::parse(&Fields::root(&form, &["created"]).unwrap(), "created").unwrap().window(&rows, |r| *r)
        };
        assert_eq!(range("created[gte]=20"), 1..5);
        assert_eq!(range("created[gt]=20&created[lt]=40"), 3..4);
        assert_eq!(range("created=20"), 1..3);
        assert_eq!(range("created[lte]=5"), 0..0);
        assert_eq!(range(""), 0..5);
    }

    #[test]
    fn an_unknown_cursor_is_resource_missing() {
        let q = query("starting_after=nope");
        let err = paginate(&[1, 2], &q, |_| None, |_| true, "thing").err().unwrap();
        assert_eq!(err.code, Some("resource_missing"));
        assert_eq!(err.param.as_deref(), Some("starting_after"));
    }
}
