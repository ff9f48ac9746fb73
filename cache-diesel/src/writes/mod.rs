//! The write hooks of [`Manager`]: run the statement, then invalidate
//! exactly what it touched (at the commit, inside a tracked transaction).
//!
//! In `hooks`, the hooks themselves; in `touched`, the tags each kind of write
//! touches; in `delivery`, how and when they reach the cache (announced
//! before the statement, bumped at the commit, written through). Beside
//! them:
//!
//! - `writes_async`: the async hooks (feature `async`).
//! - `write_shape`: how a hook write names the lists it touched.
//! - `write_through`: a written row put into its detail entry.
//! - `announced_commit`: a hook write's commit held open until what it
//!   touched is announced (MySQL, SQLite).
//! - What only one database needs, a folder per database, each file under
//!   the feature it needs: `pg`, PostgreSQL's one-statement update that
//!   also returns the row's old values (`update`) and an async hook's
//!   transaction of its own, ended even when the hook's future is dropped
//!   (`own_transaction`); `mysql`, MySQL's and MariaDB's hook writes,
//!   which have no `RETURNING` and read what they write in a short
//!   transaction (`writes`, `writes_async`); `sqlite`, SQLite's async
//!   writes, run on diesel-async's blocking thread (`writes_async`). (The
//!   MySQL session settings the tracker reads are `sql_tables::mysql_session`;
//!   a resync of a tracker that lost track, `tracking::resync`.)

pub(crate) mod announced_commit;
mod delivery;
mod hooks;
pub(crate) mod mysql;
pub(crate) mod pg;
pub(crate) mod sqlite;
mod touched;
pub(crate) mod write_shape;
pub(crate) mod write_through;

pub use touched::MAX_PRECISE_BULK_ROWS;
pub(crate) use touched::with_all;

#[cfg(feature = "sqlite")]
use diesel::Connection;

/// Whether `conn` is inside a transaction (by its tracker's reading of the
/// SQL when tracked, else by Diesel's transaction manager).
#[cfg(feature = "sqlite")]
fn in_transaction<C: Connection>(conn: &mut C) -> bool {
    use crate::tracking::{ReadPolicy, read_policy};
    read_policy(conn, std::iter::empty()) != ReadPolicy::Normal
}

/// Runs `f`, a read of a row and a write of it that no other write may come
/// between, in a transaction unless one is open: `BEGIN IMMEDIATE`, which
/// takes SQLite's write lock before the read (a deferred transaction would
/// fail with `SQLITE_BUSY` if another connection wrote after its read).
/// Generated code calls it.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
pub fn sqlite_atomic<T>(
    conn: &mut diesel::SqliteConnection,
    f: impl FnOnce(&mut diesel::SqliteConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    if in_transaction(conn) {
        return f(conn);
    }
    crate::writes::announced_commit::begin_immediate(conn)?;
    let out = f(conn);
    crate::writes::announced_commit::end(conn, out)
}

// After the sync hooks (`hooks`), so that the manager's rustdoc page lists
// the async hooks after them (the order of these declarations).
#[cfg(feature = "async")]
pub(crate) mod writes_async;
