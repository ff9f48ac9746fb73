//! PostgreSQL only.

#[cfg(feature = "async")]
pub(crate) mod own_transaction;
#[cfg(feature = "postgres-system-libpq")]
pub(crate) mod update;
