//! Asking the server whether a transaction is open, once the tracker lost
//! track of it (a statement it could not read): a file per database, and
//! MySQL's session state that both a resync and a hook write read.

#[cfg(any(feature = "mysql", feature = "async-mysql"))]
pub(crate) mod mysql;
#[cfg(any(feature = "mysql", feature = "async-mysql"))]
pub(crate) mod mysql_session_state;
#[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
pub(crate) mod pg;
