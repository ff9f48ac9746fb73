//! A hook write's commit held open for its announcement (MySQL, SQLite).
//!
//! On MySQL a hook writes in a short transaction of its own
//! (`mysql_atomic`): its old row, its write and its new row. The value tags
//! it touched (the old and new rows' values) are learned inside that
//! transaction, and on a shared store they must be announced before its
//! `COMMIT` (see `cache_core::__engine::Engine::announce_bumps`): a writer that dies
//! after the commit and before its bumps must not leave the lists it
//! changed valid. So a hook in autocommit asks ([`ask`]) that the
//! transaction `mysql_atomic` opens be left open; `mysql_atomic` says it
//! did ([`mark_held`]); the hook, which holds the typed outcome, names its
//! tags, announces them and commits ([`held`] tells it to).
//!
//! A thread-local flag: the hook and `mysql_atomic` run on one thread, one
//! inside the other. On the async API the flag is set only while the
//! hook's own statement future is polled ([`poll_asked`]), and saved
//! between polls: a task that moves between threads carries it, and no
//! other task ever sees it.
//!
//! On SQLite the hook opens the transaction itself ([`begin_immediate`]):
//! `BEGIN IMMEDIATE`, which takes the write lock before the hook's first
//! statement (a read of the old row, for some), so that no other writer
//! comes between (a deferred transaction would fail with `SQLITE_BUSY`).

use diesel::Connection;
use diesel::connection::{TransactionDepthChange, TransactionManager, TransactionManagerStatus};
use std::cell::Cell;

/// Where the current thread's hook write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No hook asked.
    Idle,
    /// A hook asked; the transaction is not open yet.
    Asked,
    /// `mysql_atomic` left its transaction open for the hook.
    Held,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State::Idle) };
}

/// A hook's request; dropped, it is withdrawn (whatever happened).
#[must_use]
pub(crate) struct Asked(());

impl Drop for Asked {
    fn drop(&mut self) {
        STATE.with(|s| s.set(State::Idle));
    }
}

/// Asks that the next own transaction `mysql_atomic` opens on this thread
/// be left open for the caller to commit.
pub(crate) fn ask() -> Asked {
    STATE.with(|s| s.set(State::Asked));
    Asked(())
}

/// Whether a hook asked (and no transaction was held for it yet); the
/// request is taken: nested calls see none.
#[cfg_attr(not(any(feature = "mysql", feature = "async-mysql")), allow(dead_code))]
pub(crate) fn take_request() -> bool {
    STATE.with(|s| {
        let asked = s.get() == State::Asked;
        if asked {
            s.set(State::Idle);
        }
        asked
    })
}

/// Says the transaction was left open, its write done.
#[cfg_attr(not(any(feature = "mysql", feature = "async-mysql")), allow(dead_code))]
pub(crate) fn mark_held() {
    STATE.with(|s| s.set(State::Held));
}

/// Whether a transaction was left open for the caller (which must now
/// commit or roll it back).
pub(crate) fn held() -> bool {
    STATE.with(|s| {
        let held = s.get() == State::Held;
        s.set(State::Idle);
        held
    })
}

/// Polls `statement` (an async hook's write) with a request that the
/// transaction `mysql_atomic_begin` opens be left open, set only while it
/// is polled; returns its output and whether it was ([`held`]).
#[cfg(feature = "async-mysql")]
pub(crate) async fn poll_asked<F: std::future::Future>(statement: F) -> (F::Output, bool) {
    /// Puts the thread's state back when a poll ends, even by a panic.
    struct Restore<'s> {
        saved: &'s mut State,
        outer: State,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            *self.saved = STATE.with(|s| s.replace(self.outer));
        }
    }
    let mut statement = std::pin::pin!(statement);
    let mut state = State::Asked;
    let out = std::future::poll_fn(|cx| {
        let outer = STATE.with(|s| s.replace(state));
        let _restore = Restore {
            saved: &mut state,
            outer,
        };
        statement.as_mut().poll(cx)
    })
    .await;
    (out, state == State::Held)
}

/// How a hook ends a MySQL transaction of its own: never opening another
/// (`AND NO CHAIN`) nor closing the session (`NO RELEASE`), whatever the
/// session's `completion_type` says (under `CHAIN` a plain `COMMIT` opens
/// a transaction the caller never asked for, whose old snapshot later
/// reads would see and fill the cache with).
#[cfg_attr(not(any(feature = "mysql", feature = "async-mysql")), allow(dead_code))]
fn end_sql(commit: bool) -> &'static str {
    match commit {
        true => "COMMIT AND NO CHAIN NO RELEASE",
        false => "ROLLBACK AND NO CHAIN NO RELEASE",
    }
}

/// Diesel's view of `status` after a hook ended its own transaction with
/// `ended`: out of it if it is `closed` (committed, or rolled back), else
/// broken (whether one is still open is unknown).
#[cfg_attr(not(any(feature = "mysql", feature = "async-mysql")), allow(dead_code))]
fn left_own(
    status: &mut TransactionManagerStatus,
    ended: diesel::QueryResult<()>,
    closed: bool,
) -> diesel::QueryResult<()> {
    if !closed {
        status.set_in_error();
        return ended;
    }
    let left = match status {
        TransactionManagerStatus::Valid(valid) => {
            valid.change_transaction_depth(TransactionDepthChange::DecreaseDepth)
        }
        TransactionManagerStatus::InError => Err(diesel::result::Error::BrokenTransactionManager),
    };
    ended.and(left)
}

/// Commits (`commit`) or rolls back a MySQL transaction a hook opened of
/// its own through Diesel's transaction manager (see [`end_sql`]); a
/// failed `COMMIT` is followed by a `ROLLBACK`.
#[cfg(feature = "mysql")]
pub(crate) fn end_own<C: Connection>(conn: &mut C, commit: bool) -> diesel::QueryResult<()> {
    let ended = conn.batch_execute(end_sql(commit));
    let closed = match (&ended, commit) {
        (Ok(()), _) => true,
        (Err(_), true) => conn.batch_execute(end_sql(false)).is_ok(),
        (Err(_), false) => false,
    };
    let status = C::TransactionManager::transaction_manager_status_mut(conn);
    left_own(status, ended, closed)
}

/// [`end_own`] on an async connection.
#[cfg(feature = "async-mysql")]
pub(crate) async fn end_own_async<C: diesel_async::AsyncConnection>(
    conn: &mut C,
    commit: bool,
) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    let ended = conn.batch_execute(end_sql(commit)).await;
    let closed = match (&ended, commit) {
        (Ok(()), _) => true,
        (Err(_), true) => conn.batch_execute(end_sql(false)).await.is_ok(),
        (Err(_), false) => false,
    };
    let status = C::TransactionManager::transaction_manager_status_mut(conn);
    left_own(status, ended, closed)
}

/// What SQLite answers a `BEGIN` inside a transaction.
const NESTED_BEGIN: &str = "cannot start a transaction within a transaction";

/// Why a SQLite hook wrote nothing: see [`begin_immediate`].
const SQLITE_UNFOLLOWED: &str = "cache-diesel: a SQLite hook write inside a transaction cache-diesel \
     cannot follow (an untracked connection in a transaction opened by SQL text): its \
     invalidation could not wait for the commit, so nothing was written. Track the \
     connection (cache_diesel::track) or open transactions with Diesel's transaction()";

/// Opens `BEGIN IMMEDIATE` on `conn` (SQLite, with no transaction open as
/// Diesel knows it), for Diesel's transaction manager to commit or roll
/// back. Where SQLite refuses it because a transaction opened by SQL text,
/// unknown to Diesel (an untracked connection), is open, the hook is
/// refused and writes nothing (as on MySQL): written inside that
/// transaction, its invalidation could not wait for the commit, and a
/// reader between the two would fill the old row (or, after a
/// `ROLLBACK`, the row that never committed).
///
/// (Generic over the connection type, which Diesel's own
/// `immediate_transaction` is not: the hooks are.)
pub(crate) fn begin_immediate<C: Connection>(conn: &mut C) -> diesel::QueryResult<()> {
    match conn.batch_execute("BEGIN IMMEDIATE") {
        Ok(()) => {}
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains(NESTED_BEGIN) =>
        {
            return Err(diesel::result::Error::QueryBuilderError(
                SQLITE_UNFOLLOWED.into(),
            ));
        }
        Err(e) => return Err(e),
    }
    let status = C::TransactionManager::transaction_manager_status_mut(conn);
    let counted = match status {
        TransactionManagerStatus::Valid(valid) => {
            valid.change_transaction_depth(TransactionDepthChange::IncreaseDepth)
        }
        TransactionManagerStatus::InError => Err(diesel::result::Error::BrokenTransactionManager),
    };
    if counted.is_err() {
        // (Not left open behind Diesel's back.)
        let _ = conn.batch_execute("ROLLBACK");
    }
    counted
}

/// Ends the transaction [`begin_immediate`] opened with the write's
/// outcome: commits on success, rolls back on an error (which it returns).
pub(crate) fn end<C: Connection, T>(
    conn: &mut C,
    out: diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    match out {
        Ok(value) => C::TransactionManager::commit_transaction(conn).map(|()| value),
        Err(e) => match C::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_taken_once_and_withdrawn_when_dropped() {
        assert!(!take_request());
        let asked = ask();
        assert!(take_request());
        assert!(!take_request(), "nested calls see no request");
        mark_held();
        assert!(held());
        assert!(!held());
        drop(asked);
        let asked = ask();
        drop(asked);
        assert!(!take_request(), "a dropped request is withdrawn");
    }
}
