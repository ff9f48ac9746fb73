//! The query string of `GET /books` (filter, order and page), checked and
//! turned into a [`BookFilter`]; and the keyset cursors between pages.

use super::error::ApiError;
use super::models::{Book, BookFilter, BookOrder, BookSortKey};
use serde::Deserialize;

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest `limit` accepted.
pub const MAX_LIMIT: u32 = 100;

/// `GET /books?author_id=&order=&limit=&offset=&after=`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this author's books.
    pub author_id: Option<i32>,
    /// `id` (the default), `title`, `published_year`; `-` before one
    /// for descending.
    pub order: Option<String>,
    /// Rows per page: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] if absent.
    pub limit: Option<u32>,
    /// Rows to skip first.
    pub offset: Option<u64>,
    /// Only the rows after this cursor (a previous page's `next`) in
    /// `order`.
    pub after: Option<String>,
}

impl ListParams {
    /// The filter these parameters select (400 for a bad order, limit or
    /// cursor).
    pub fn filter(&self) -> Result<BookFilter, ApiError> {
        let mut filter = BookFilter::default().limit(i64::from(self.limit()?));
        if let Some(author) = self.author_id {
            filter = filter.author_id(author);
        }
        if let Some(order) = &self.order {
            let order: BookOrder = order
                .parse()
                .map_err(|e| ApiError::bad_request(format!("order: {e}")))?;
            filter = filter.order_by(order);
        }
        if let Some(offset) = self.offset {
            let offset = i64::try_from(offset)
                .map_err(|_| ApiError::bad_request(format!("offset: {offset} is too large")))?;
            filter = filter.offset(offset);
        }
        if let Some(cursor) = &self.after {
            filter = filter.after(parse_cursor(cursor)?);
        }
        Ok(filter)
    }

    /// The page size, checked.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            limit @ 1..=MAX_LIMIT => Ok(limit),
            limit => Err(ApiError::bad_request(format!(
                "limit: {limit} is not between 1 and {MAX_LIMIT}"
            ))),
        }
    }
}

/// The cursor of the rows after `row`: its sort key as hex-encoded JSON
/// (opaque to clients, and valid in any order).
pub fn cursor(row: &Book) -> String {
    let json = serde_json::to_vec(&BookSortKey::of(row)).expect("a sort key serializes");
    json.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The sort key in a cursor made by [`cursor`] (400 if it is not one).
pub fn parse_cursor(text: &str) -> Result<BookSortKey, ApiError> {
    let malformed = || ApiError::bad_request("after: malformed cursor");
    if !text.is_ascii() || !text.len().is_multiple_of(2) {
        return Err(malformed());
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| malformed())?;
    serde_json::from_slice(&bytes).map_err(|_| malformed())
}
