//! The models the integration tests, checkers and benchmarks share, and the
//! DDL that creates their tables on SQLite, PostgreSQL and MySQL.

use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    products (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        is_active -> Bool,
        category_id -> Integer,
    }
}

/// A product: unique slug, lists filtered by activity and category.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    AsChangeset,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = products)]
#[cache(
    unique(slug),
    filter(is_active, category_id),
    order_by(title, category_id),
    list_timeout = 3600,
    detail_timeout = 60
)]
pub struct Product {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}

/// A product to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
    pub slug: String,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}

impl NewProduct {
    /// An active product in `category_id` named after `slug`.
    pub fn new(slug: &str, category_id: i32) -> Self {
        NewProduct {
            slug: slug.to_owned(),
            title: format!("Title of {slug}"),
            is_active: true,
            category_id,
        }
    }
}

/// `CREATE TABLE` statements for SQLite.
pub const SQLITE_DDL: &[&str] = &["CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    category_id INTEGER NOT NULL)"];

/// `CREATE TABLE` statements for PostgreSQL.
pub const POSTGRES_DDL: &[&str] = &["CREATE TABLE products (
    id SERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    category_id INTEGER NOT NULL)"];

/// `CREATE TABLE` statements for MySQL/MariaDB.
pub const MYSQL_DDL: &[&str] = &["CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTO_INCREMENT,
    slug VARCHAR(255) NOT NULL UNIQUE,
    title TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    category_id INTEGER NOT NULL)"];

/// Everything the suites do with [`Product`] on connection type `C`, as one
/// bound (`where Product: ProductQueries<C>`).
pub trait ProductQueries<C>:
    cache_diesel::ModelQueries<C>
    + cache_diesel::InsertQuery<C, NewProduct>
    + cache_diesel::InsertQuery<C, Vec<NewProduct>>
    + for<'a> cache_diesel::UpdateQuery<C, &'a Product>
    + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::category_id, i32>>
    + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::slug, String>>
    + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::is_active, bool>>
    + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::title, String>>
{
}

impl<C, M> ProductQueries<C> for M where
    M: cache_diesel::ModelQueries<C>
        + cache_diesel::InsertQuery<C, NewProduct>
        + cache_diesel::InsertQuery<C, Vec<NewProduct>>
        + for<'a> cache_diesel::UpdateQuery<C, &'a Product>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::category_id, i32>>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::slug, String>>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::is_active, bool>>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<products::title, String>>
{
}

/// The products table read through a changed struct (`version = 2`) under
/// `Product`'s cache key: its entries never mix with `Product`'s, while
/// writes to the table invalidate both.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(
    key = "product",
    version = 2,
    list_timeout = 120,
    detail_timeout = 5,
    not_found_timeout = 1
)]
pub struct ProductV2 {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}
