//! Stripe lists (`{"object":"list","data":[...],"has_more":...}`) and auto-pagination.

use futures_util::Stream;
use std::collections::VecDeque;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::StripeClient;
use super::common::StripeObject;
use super::error::StripeError;
use super::form::{Encode, Params, Scope};

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub url: Option<String>,
}

/// The pagination parameters every list endpoint takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Page size, 1..=100 (Stripe's default is 10).
    pub limit: Option<u32>,
    pub starting_after: Option<String>,
    /// Pages towards newer objects instead of older ones.
    pub ending_before: Option<String>,
    /// Fields to expand on each element, e.g. `data.customer`.
    pub expand: Vec<String>,
}

impl ListOptions {
    pub fn limit(limit: u32) -> Self {
        Self { limit: Some(limit), ..Self::default() }
    }
}

impl Encode for ListOptions {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt("limit", self.limit)
            .opt("starting_after", self.starting_after.as_ref())
            .opt("ending_before", self.ending_before.as_ref())
            .expand(&self.expand);
    }
}

/// Walks a list page by page (or element by element), following `has_more` with the id of the
/// last element seen. No request is made until the first call.
#[derive(Debug)]
pub struct Pager<T> {
    client: StripeClient,
    path: Vec<String>,
    params: Params,
    cursor: Cursor,
    finished: bool,
    buffer: VecDeque<T>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    StartingAfter,
    EndingBefore,
}

impl<T: DeserializeOwned + StripeObject> Pager<T> {
    pub(crate) fn new(client: &StripeClient, path: &[&str], mut filters: Params, options: &ListOptions) -> Self {
        let cursor = if options.ending_before.is_some() { Cursor::EndingBefore } else { Cursor::StartingAfter };
        filters.extend(Params::of(options));
        Self { client: client.clone(), path: path.iter().map(|s| (*s).to_owned()).collect(), params: filters, cursor, finished: false, buffer: VecDeque::new() }
    }

    /// The next page in Stripe's order (newest first), or `None` once the list is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, StripeError> {
        if !self.buffer.is_empty() {
            return Ok(Some(self.buffer.drain(..).collect()));
        }
        if self.finished {
            return Ok(None);
        }
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let page: List<T> = self.client.get(&path, &self.params).await?;
        let next = match self.cursor {
            Cursor::StartingAfter => page.data.last(),
            Cursor::EndingBefore => page.data.first(),
        };
        match next {
            Some(object) if page.has_more => {
                let key = match self.cursor {
                    Cursor::StartingAfter => "starting_after",
                    Cursor::EndingBefore => "ending_before",
                };
                self.params.replace(key, object.id());
            }
            _ => self.finished = true,
        }
        Ok(if page.data.is_empty() { None } else { Some(page.data) })
    }

    /// The next element, fetching another page when needed.
    pub async fn next_item(&mut self) -> Result<Option<T>, StripeError> {
        if self.buffer.is_empty() {
            match self.next_page().await? {
                Some(page) => self.buffer.extend(page),
                None => return Ok(None),
            }
        }
        Ok(self.buffer.pop_front())
    }

    /// The remaining elements as a stream, fetching pages as it is polled; it ends after the
    /// last element or the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<T, StripeError>> {
        futures_util::stream::unfold(Some(self), |pager| async move {
            let mut pager = pager?;
            match pager.next_item().await {
                Ok(Some(item)) => Some((Ok(item), Some(pager))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// Every remaining element; mind the size of what you ask for.
    pub async fn collect_all(mut self) -> Result<Vec<T>, StripeError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Item {
        id: String,
    }

    #[test]
    fn a_list_page_decodes_ignoring_extra_fields() {
        let page: List<Item> =
            serde_json::from_str(r#"{"object":"list","url":"/v1/customers","has_more":true,"data":[{"id":"cus_2"},{"id":"cus_1"}],"next_page":null}"#).unwrap();
        assert!(page.has_more);
        assert_eq!(page.url.as_deref(), Some("/v1/customers"));
        assert_eq!(page.data.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["cus_2", "cus_1"]);
    }

    #[test]
    fn list_options_encode_cursor_limit_and_expand() {
        let options = ListOptions {
            limit: Some(3),
            starting_after: Some("pr_9".to_owned()),
            ending_before: None,
            expand: vec!["data.latest_payment_attempt_record".to_owned()],
        };
        assert_eq!(Params::of(&options).to_form(), "limit=3&starting_after=pr_9&expand%5B%5D=data.latest_payment_attempt_record");
        assert!(Params::of(&ListOptions::default()).is_empty());
    }
}
