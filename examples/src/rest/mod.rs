//! The `rest_service` example: an HTTP API over cached authors and books.
//!
//! - [`models`]: the tables and models, and the JSON bodies.
//! - [`store`]: the blocking database and cache work behind one object,
//!   over an r2d2 pool of tracked connections (SQLite or PostgreSQL).
//! - [`list`]: the query string of `GET /books` (filter, order, page) and
//!   its keyset cursors.
//! - [`routes`]: the axum router and handlers.
//! - [`error`]: errors as status codes with JSON bodies.

pub mod error;
pub mod list;
pub mod models;
pub mod routes;
pub mod store;
