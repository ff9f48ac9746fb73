//! The service's models: authors, and books that belong to them (a book
//! loads its author in the same query: `select_related(author)`).

use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    rest_authors (id) { id -> Integer, name -> Text, }
}
diesel::table! {
    rest_books (id) { id -> Integer, author_id -> Integer, title -> Text, published_year -> Integer, }
}
diesel::joinable!(rest_books -> rest_authors (author_id));
diesel::allow_tables_to_appear_in_same_query!(rest_authors, rest_books);

/// An author.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = rest_authors)]
pub struct Author {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// A book; lists filter by author and sort by title or year.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = rest_books, belongs_to(Author))]
#[cache(
    select_related(author),
    filter(author_id),
    order_by(title, published_year)
)]
pub struct Book {
    /// Primary key.
    pub id: i32,
    /// The author.
    pub author_id: i32,
    /// Title.
    pub title: String,
    /// Year of first publication.
    pub published_year: i32,
}

/// The body of `POST /authors`.
#[derive(Debug, Clone, Deserialize, Insertable)]
#[diesel(table_name = rest_authors)]
pub struct NewAuthor {
    /// Name.
    pub name: String,
}

/// The body of `POST /books`.
#[derive(Debug, Clone, Deserialize, Insertable)]
#[diesel(table_name = rest_books)]
#[serde(deny_unknown_fields)]
pub struct NewBook {
    /// The author (must exist).
    pub author_id: i32,
    /// Title.
    pub title: String,
    /// Year of first publication.
    pub published_year: i32,
}

/// The body of `PATCH /books/{id}`: the fields to change (at least one).
#[derive(Debug, Clone, Default, Deserialize, AsChangeset)]
#[diesel(table_name = rest_books)]
#[serde(deny_unknown_fields)]
pub struct BookChanges {
    /// A new author (must exist).
    pub author_id: Option<i32>,
    /// A new title.
    pub title: Option<String>,
    /// A new year.
    pub published_year: Option<i32>,
}

impl BookChanges {
    /// Whether no field is set (Diesel refuses an empty `SET`).
    pub fn is_empty(&self) -> bool {
        self.author_id.is_none() && self.title.is_none() && self.published_year.is_none()
    }
}

/// A book as the API returns it: its own fields, and its author when loaded.
#[derive(Debug, Clone, Serialize)]
pub struct BookOut {
    /// The row.
    #[serde(flatten)]
    pub book: Book,
    /// Its author (lists and details; not the rows a write returns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
}

impl From<BookRecord> for BookOut {
    fn from(record: BookRecord) -> Self {
        BookOut {
            book: record.book,
            author: Some(record.author),
        }
    }
}

impl From<Book> for BookOut {
    fn from(book: Book) -> Self {
        BookOut { book, author: None }
    }
}

/// Creates the tables if they are missing (`serial` is the primary key
/// type: `SERIAL` on PostgreSQL, `INTEGER` on SQLite).
pub fn create_tables_sql(serial: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS rest_authors (id {serial} PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS rest_books (id {serial} PRIMARY KEY,
             author_id INTEGER NOT NULL REFERENCES rest_authors (id),
             title TEXT NOT NULL, published_year INTEGER NOT NULL);"
    )
}
