//! SQLite only.

#[cfg(feature = "async-sqlite")]
mod writes_async;
