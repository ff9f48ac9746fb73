//! What only one database needs, a folder per database. The code every
//! database shares, with its per-database branches, stays at the crate's
//! root (`writes`, `writes_async`, `held_commit`, `tracking`, ..).
//!
//! - `pg`: PostgreSQL's one-statement update that also returns the row's
//!   old values (`update`), an async hook's transaction of its own,
//!   ended even when the hook's future is dropped (`own_transaction`),
//!   and asking the server whether a transaction is open once the tracker
//!   lost track (`resync`).
//! - `mysql`: MySQL's and MariaDB's hook writes, which have no
//!   `RETURNING` and read what they write in a short transaction
//!   (`writes`, and `writes_async` on diesel-async), and the session
//!   settings that open transactions no `BEGIN` shows, as the tracker
//!   reads them (`session`).
//! - `sqlite`: SQLite's async writes, the sync ones run on diesel-async's
//!   blocking thread (`writes_async`).
//!
//! Each file is compiled under the feature it needs; a folder of none is
//! empty.

pub(crate) mod mysql;
pub(crate) mod pg;
pub(crate) mod sqlite;

/// `conn` as a `C`, itself or pooled by r2d2 (a `Pooled<C>`): what a read
/// given a generic connection asks the server through (the resyncs, the
/// catalogue's text columns).
#[cfg(all(
    feature = "r2d2",
    any(
        feature = "mysql",
        feature = "postgres-system-libpq",
        feature = "sqlite"
    )
))]
pub(crate) fn as_connection<C>(conn: &mut dyn std::any::Any) -> Option<&mut C>
where
    C: diesel::r2d2::R2D2Connection + Send + 'static,
{
    if conn.is::<crate::pool::Pooled<C>>() {
        return conn
            .downcast_mut::<crate::pool::Pooled<C>>()
            .map(|pooled| &mut **pooled);
    }
    conn.downcast_mut::<C>()
}

/// `conn` as a `C` (without `r2d2`, nothing is pooled).
#[cfg(all(
    not(feature = "r2d2"),
    any(
        feature = "mysql",
        feature = "postgres-system-libpq",
        feature = "sqlite"
    )
))]
pub(crate) fn as_connection<C: 'static>(conn: &mut dyn std::any::Any) -> Option<&mut C> {
    conn.downcast_mut::<C>()
}
