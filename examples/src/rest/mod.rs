//! The `rest_service` example: an HTTP API over cached authors and books.
//!
//! - [`models`]: the tables and models, and the JSON bodies.
//! - [`store`]: the database and cache work behind one object; over an
//!   r2d2 pool of tracked connections (SQLite or PostgreSQL) on the sync
//!   API, run on tokio's blocking threads.
//! - [`async_store`]: the same over diesel-async's deadpool, on the async
//!   API (`rest_service --async`).
//! - [`list`]: the query string of `GET /books` (filter, order, page) and
//!   its keyset cursors.
//! - [`routes`]: the axum router and handlers.
//! - [`error`]: errors as status codes with JSON bodies.

pub mod async_store;
pub mod error;
pub mod list;
pub mod models;
pub mod routes;
pub mod store;
