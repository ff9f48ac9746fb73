//! PostgreSQL only.

#[cfg(feature = "async")]
pub(crate) mod own_transaction;
#[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
pub(crate) mod update;
