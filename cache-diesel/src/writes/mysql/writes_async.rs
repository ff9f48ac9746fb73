//! MySQL's hook writes on diesel-async's `AsyncMysqlConnection` (feature
//! `async-mysql`): the same statements and rules as the sync ones
//! (`writes.rs`), with the transaction run through diesel-async's
//! `TransactionManager`. Generated code calls these, around the body of a
//! write:
//!
//! ```text
//! let atomic = mysql_atomic_begin(conn).await?;   // BEGIN, or a savepoint
//! let out = mysql_body(async { .. }).await;        // the write and its reads
//! mysql_atomic_end(conn, atomic, out).await         // COMMIT / ROLLBACK
//! ```
//!
//! (Two calls around an inline block rather than one taking a closure: the
//! closure would return a future borrowing both the connection and the
//! write's values, which a callback bound cannot say without `'static`
//! values.) A hook future dropped between the two leaves the transaction
//! open, as diesel-async's own `transaction` does: its pools discard such
//! a connection.

use crate::tracking::resync::mysql_session_state::{SESSION_STATE_MYSQL, SessionState};
use crate::tracking::tracking_async::{async_tracker, diesel_in_transaction};
use crate::writes::mysql::writes::{
    ENDED_UNDER_DIESEL, IN_PROGRESS, RESET_INSERT_ID, ResetInsertId, UNFOLLOWED, savepoint_name,
};
use diesel::QueryResult;
use diesel::result::Error;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl, SimpleAsyncConnection, TransactionManager,
};
use std::future::Future;

type Manager = <AsyncMysqlConnection as AsyncConnection>::TransactionManager;

/// [`crate::writes::mysql::writes`]'s probe on an async connection:
/// whether the server has a transaction open on `conn` (diesel-async's
/// transaction manager cannot know of one opened by SQL text or `SET
/// autocommit = 0`).
async fn server_in_transaction(conn: &mut AsyncMysqlConnection) -> QueryResult<bool> {
    let state: SessionState = match diesel::sql_query(SessionState::query())
        .get_result(conn)
        .await
    {
        Ok(state) => state,
        Err(e) if SessionState::no_in_transaction(&e) => {
            diesel::sql_query(SESSION_STATE_MYSQL)
                .get_result(conn)
                .await?
        }
        Err(e) => return Err(e),
    };
    if let Some(open) = state.open() {
        return Ok(open);
    }
    match conn.batch_execute("SET TRANSACTION READ WRITE").await {
        Ok(()) => Ok(false),
        Err(Error::DatabaseError(_, info)) if info.message().contains(IN_PROGRESS) => Ok(true),
        Err(e) => Err(e),
    }
}

/// How a hook's write was made atomic: what [`mysql_atomic_end`] ends.
#[doc(hidden)]
#[derive(Debug)]
pub enum MysqlAtomic {
    /// A savepoint of diesel-async's transaction manager, inside a
    /// transaction it opened.
    Managed,
    /// A transaction of its own (through diesel-async's transaction
    /// manager), ended `AND NO CHAIN` (see `writes::announced_commit::end_own`).
    Own,
    /// A transaction of its own that the hook asked to be left open for it
    /// to commit (see `writes::announced_commit`).
    Held,
    /// A savepoint of the hook's own, inside a transaction opened by SQL
    /// text on a tracked connection.
    Savepoint(String),
}

/// Starts the atomic part of a hook write, as `mysql_atomic` does on a
/// sync connection: a transaction of its own (a savepoint inside one
/// diesel-async opened), or a savepoint inside one opened by SQL text that
/// the tracker follows. Inside one it does not follow (an untracked
/// connection, `SET autocommit = 0`), refused: nothing is written.
pub async fn mysql_atomic_begin(conn: &mut AsyncMysqlConnection) -> QueryResult<MysqlAtomic> {
    if diesel_in_transaction(conn) {
        if async_tracker(conn).is_some_and(|t| !t.in_transaction()) {
            return Err(Error::QueryBuilderError(ENDED_UNDER_DIESEL.into()));
        }
        Manager::begin_transaction(conn).await?;
        return Ok(MysqlAtomic::Managed);
    }
    if !server_in_transaction(conn).await? {
        let hold = crate::writes::announced_commit::take_request();
        Manager::begin_transaction(conn).await?;
        return Ok(match hold {
            true => MysqlAtomic::Held,
            false => MysqlAtomic::Own,
        });
    }
    if !async_tracker(conn).is_some_and(|t| t.in_transaction()) {
        return Err(Error::QueryBuilderError(UNFOLLOWED.into()));
    }
    let savepoint = savepoint_name();
    conn.batch_execute(&format!("SAVEPOINT {savepoint}"))
        .await?;
    Ok(MysqlAtomic::Savepoint(savepoint))
}

/// Ends what [`mysql_atomic_begin`] started with the body's result: commits
/// (or releases the savepoint) on success, or leaves a transaction the hook
/// asked for open; rolls back on an error, which it returns.
pub async fn mysql_atomic_end<T>(
    conn: &mut AsyncMysqlConnection,
    atomic: MysqlAtomic,
    out: QueryResult<T>,
) -> QueryResult<T> {
    match (atomic, out) {
        (MysqlAtomic::Managed, Ok(value)) => {
            Manager::commit_transaction(conn).await.map(|()| value)
        }
        (MysqlAtomic::Held, Ok(value)) => {
            // Left open for the hook, which announces what it learned and
            // commits (see `writes::announced_commit`).
            crate::writes::announced_commit::mark_held();
            Ok(value)
        }
        (MysqlAtomic::Own, Ok(value)) => crate::writes::announced_commit::end_own_async(conn, true)
            .await
            .map(|()| value),
        (MysqlAtomic::Own | MysqlAtomic::Held, Err(e)) => {
            if let Err(undo) = crate::writes::announced_commit::end_own_async(conn, false).await {
                tracing::error!(error = %undo, "cache_diesel: rolling back a failed MySQL hook write failed");
            }
            Err(e)
        }
        (MysqlAtomic::Managed, Err(e)) => match Manager::rollback_transaction(conn).await {
            Ok(()) | Err(Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback),
        },
        (MysqlAtomic::Savepoint(savepoint), Ok(value)) => {
            conn.batch_execute(&format!("RELEASE SAVEPOINT {savepoint}"))
                .await?;
            Ok(value)
        }
        (MysqlAtomic::Savepoint(savepoint), Err(e)) => {
            let undo = format!("ROLLBACK TO SAVEPOINT {savepoint}");
            if let Err(undo) = conn.batch_execute(&undo).await {
                tracing::error!(error = %undo, "cache_diesel: rolling back a failed MySQL hook write failed");
            }
            Err(e)
        }
    }
}

/// The body of a hook write, as it is (names the output type, so that the
/// `?` inside the body's `async` block knows its error type).
pub fn mysql_body<T, F: Future<Output = QueryResult<T>>>(body: F) -> F {
    body
}

/// `mysql_reset_insert_id` on an async connection.
pub async fn mysql_reset_insert_id_async(
    conn: &mut AsyncMysqlConnection,
    table: &str,
    pk: &str,
) -> QueryResult<bool> {
    type Text = diesel::sql_types::Text;
    let found: ResetInsertId = diesel::sql_query(RESET_INSERT_ID)
        .bind::<Text, _>(table)
        .bind::<Text, _>(pk)
        .get_result(conn)
        .await?;
    Ok(found.generated())
}
