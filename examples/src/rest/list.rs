//! The query string of `GET /books`, checked and turned into a
//! [`BookFilter`].

use super::error::ApiError;
use super::models::BookFilter;
use serde::Deserialize;

/// `GET /books?author_id=`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this author's books.
    pub author_id: Option<i32>,
}

impl ListParams {
    /// The filter these parameters select.
    pub fn filter(&self) -> Result<BookFilter, ApiError> {
        let mut filter = BookFilter::default();
        if let Some(author) = self.author_id {
            filter = filter.author_id(author);
        }
        Ok(filter)
    }
}
