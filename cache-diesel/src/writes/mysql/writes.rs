//! MySQL's hook writes. MySQL (and MariaDB's `UPDATE`) has no `RETURNING`,
//! so a hook reads what it writes in a short transaction (a savepoint when
//! one is open), and an `INSERT` finds its rows by `LAST_INSERT_ID()`.
//! Generated code calls these.
//!
//! Why `LAST_INSERT_ID()` and not a read by the inserted values: the values
//! are any `Insertable`, whose columns the hook cannot read back. An
//! `INSERT` of `n` rows that generates its keys takes `n` consecutive
//! `AUTO_INCREMENT` values, `@@auto_increment_increment` apart (InnoDB,
//! every `innodb_autoinc_lock_mode`, for an `INSERT .. VALUES` whose row
//! count is known), and `LAST_INSERT_ID()` is the first. The hook resets
//! `LAST_INSERT_ID()` to 0 first, so that an insert that generated no key
//! cannot be mistaken for one that did, and in the same statement checks
//! that the primary key is the table's `AUTO_INCREMENT` column; then it
//! reads the rows in that range and requires exactly `n`. Anything else is an error, and the
//! insert is rolled back. One case it cannot tell: a batch that gives some
//! keys and leaves others to be generated reserves `n` values but uses
//! fewer, and a row another session inserts with one of the unused values
//! is read back as the batch's. Give every key or none.

use crate::tracking::resync::mysql_session_state::{SESSION_STATE_MYSQL, SessionState};
#[cfg(feature = "mysql")]
use diesel::connection::SimpleConnection;
#[cfg(feature = "mysql")]
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::result::Error;
use diesel::sql_types::Bool;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the savepoints hooks take, so that none replaces a user's.
static SAVEPOINTS: AtomicU64 = AtomicU64::new(0);

/// A new name for a hook's savepoint.
pub(crate) fn savepoint_name() -> String {
    format!(
        "cache_diesel_hook_{}",
        SAVEPOINTS.fetch_add(1, Ordering::Relaxed)
    )
}

/// What the server answers `SET TRANSACTION` with inside a transaction
/// (error 1568, MySQL and MariaDB).
pub(crate) const IN_PROGRESS: &str = "transaction is in progress";

/// The error of a hook write inside a Diesel transaction that SQL text
/// ended.
pub(crate) const ENDED_UNDER_DIESEL: &str = "cache-diesel: a MySQL hook write inside a Diesel \
     transaction that SQL text already ended (a COMMIT or ROLLBACK sent by batch_execute or \
     sql_query): Diesel's savepoint would be a no-op and the write commit at once, \
     so nothing was written. End Diesel's transactions through Diesel";

/// The error of a hook write inside a transaction the tracker does not
/// follow.
pub(crate) const UNFOLLOWED: &str = "cache-diesel: a MySQL hook write inside a transaction cache-diesel cannot \
     follow (an untracked connection in a transaction opened by SQL text, or \
     SET autocommit = 0): its invalidation could not wait for the commit, so \
     nothing was written. Track the connection (cache_diesel::track, or \
     track_async) and open transactions with BEGIN or Diesel's transaction()";

/// Whether the server has a transaction open on `conn`, asked of the
/// server itself: with `autocommit` off every statement is in one;
/// MariaDB says so in `@@in_transaction`; on MySQL, `SET TRANSACTION` is
/// refused inside one (error 1568), and otherwise sets the next
/// transaction read-write (so, on MySQL only, a hook's transaction in a
/// `SET SESSION TRANSACTION READ ONLY` session is read-write). Diesel
/// cannot know of a transaction opened by SQL text, nor the tracker of one
/// opened by `SET autocommit = 0`, and a `BEGIN` inside one would commit
/// it.
#[cfg(feature = "mysql")]
fn server_in_transaction(conn: &mut MysqlConnection) -> QueryResult<bool> {
    let state: SessionState = match diesel::sql_query(SessionState::query()).get_result(conn) {
        Ok(state) => state,
        Err(e) if SessionState::no_in_transaction(&e) => {
            diesel::sql_query(SESSION_STATE_MYSQL).get_result(conn)?
        }
        Err(e) => return Err(e),
    };
    if let Some(open) = state.open() {
        return Ok(open);
    }
    match conn.batch_execute("SET TRANSACTION READ WRITE") {
        Ok(()) => Ok(false),
        Err(Error::DatabaseError(_, info)) if info.message().contains(IN_PROGRESS) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Runs `f`, a write and the reads that return what it wrote, atomically:
/// in a transaction of its own, or under a savepoint inside one already
/// open, so that an error after the write undoes it. Inside a transaction
/// the tracker does not follow (an untracked connection, `SET autocommit =
/// 0`), the write's invalidation could not wait for the commit: refused,
/// nothing written.
#[cfg(feature = "mysql")]
pub fn mysql_atomic<T>(
    conn: &mut MysqlConnection,
    f: impl FnOnce(&mut MysqlConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    // A transaction Diesel opened: Diesel's own savepoint; unless SQL text
    // ended it behind Diesel's back (a `COMMIT` in a `batch_execute`), where
    // the savepoint would be a no-op and the write commit at once.
    if crate::tracking::diesel_in_transaction(conn) {
        if crate::tracking::tracker(conn).is_some_and(|t| !t.in_transaction()) {
            return Err(Error::QueryBuilderError(ENDED_UNDER_DIESEL.into()));
        }
        return conn.transaction(f);
    }
    if !server_in_transaction(conn)? {
        // A transaction of its own, ended `AND NO CHAIN` (see
        // `writes::announced_commit::end_own`), or left open for the hook, which
        // announces what it learned and commits (see `writes::announced_commit`).
        let hold = crate::writes::announced_commit::take_request();
        type Manager = diesel::connection::AnsiTransactionManager;
        use diesel::connection::TransactionManager;
        Manager::begin_transaction(conn)?;
        return match f(conn) {
            Ok(out) if hold => {
                crate::writes::announced_commit::mark_held();
                Ok(out)
            }
            Ok(out) => crate::writes::announced_commit::end_own(conn, true).map(|()| out),
            Err(e) => {
                if let Err(undo) = crate::writes::announced_commit::end_own(conn, false) {
                    tracing::error!(error = %undo, "cache_diesel: rolling back a failed MySQL hook write failed");
                }
                Err(e)
            }
        };
    }
    if !crate::tracking::tracker(conn).is_some_and(|t| t.in_transaction()) {
        // Refused: the hook planned its invalidation for a write outside a
        // transaction. On a tracked connection the transaction was open
        // since before the tracker knew the session (the server's
        // `autocommit = 0`, a `SET` before tracking): it asks where the
        // session stands, and follows it from the next statement on.
        #[cfg(feature = "mysql")]
        if crate::tracking::tracker(conn).is_some() {
            crate::tracking::resync::mysql::ask(conn);
        }
        return Err(Error::QueryBuilderError(UNFOLLOWED.into()));
    }
    let savepoint = savepoint_name();
    conn.batch_execute(&format!("SAVEPOINT {savepoint}"))?;
    match f(conn) {
        Ok(out) => {
            conn.batch_execute(&format!("RELEASE SAVEPOINT {savepoint}"))?;
            Ok(out)
        }
        Err(e) => {
            if let Err(undo) = conn.batch_execute(&format!("ROLLBACK TO SAVEPOINT {savepoint}")) {
                tracing::error!(error = %undo, "cache_diesel: rolling back a failed MySQL hook write failed");
            }
            Err(e)
        }
    }
}

/// Sets the connection's `LAST_INSERT_ID()` to 0, so that after an
/// `INSERT` it is non-zero only if that insert generated a key, and says,
/// in the same statement, whether column `pk` of `table` (in the
/// connection's database) is the table's `AUTO_INCREMENT` column: the rows
/// of an insert can be read back by `LAST_INSERT_ID()` only then (another
/// column's counter would be read as primary keys).
#[cfg(feature = "mysql")]
pub fn mysql_reset_insert_id(
    conn: &mut MysqlConnection,
    table: &str,
    pk: &str,
) -> QueryResult<bool> {
    type Text = diesel::sql_types::Text;
    let found: ResetInsertId = diesel::sql_query(RESET_INSERT_ID)
        .bind::<Text, _>(table)
        .bind::<Text, _>(pk)
        .get_result(conn)?;
    Ok(found.generated())
}

/// What [`RESET_INSERT_ID`] reads.
#[derive(QueryableByName)]
pub(crate) struct ResetInsertId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    reset: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    generated: i64,
}

impl ResetInsertId {
    /// Whether the column is the table's `AUTO_INCREMENT` one.
    pub(crate) fn generated(&self) -> bool {
        debug_assert_eq!(self.reset, 0);
        self.generated > 0
    }
}

/// The statement of [`mysql_reset_insert_id`] (for both APIs), with two
/// `Text` binds: the table and the column.
pub(crate) const RESET_INSERT_ID: &str = "SELECT LAST_INSERT_ID(0) AS reset, \
     (SELECT COUNT(*) FROM information_schema.COLUMNS \
     WHERE TABLE_SCHEMA = DATABASE() AND LOWER(TABLE_NAME) = LOWER(?) \
     AND LOWER(COLUMN_NAME) = LOWER(?) AND EXTRA LIKE '%auto_increment%') AS generated";

/// The condition that selects the `n` rows the last `INSERT` generated
/// keys for (primary key column `pk`): `LAST_INSERT_ID()` and the `n - 1`
/// values after it, `@@auto_increment_increment` apart. False when that
/// insert generated none.
pub fn mysql_inserted_ids(pk: &str, n: usize) -> diesel::expression::SqlLiteral<Bool> {
    let pk = format!("`{}`", pk.replace('`', "``"));
    let last = n.saturating_sub(1);
    diesel::dsl::sql::<Bool>(&format!(
        "LAST_INSERT_ID() <> 0 AND {pk} BETWEEN LAST_INSERT_ID() \
         AND LAST_INSERT_ID() + {last} * @@auto_increment_increment \
         AND MOD({pk} - LAST_INSERT_ID(), @@auto_increment_increment) = 0"
    ))
}

/// The error of an insert whose rows cannot be read back on MySQL (a
/// primary key that is not `AUTO_INCREMENT`, or composite): nothing was
/// written.
pub fn mysql_not_returnable(model: &str) -> Error {
    Error::QueryBuilderError(
        format!(
            "{model}: MySQL has no INSERT .. RETURNING, and cache-diesel reads an insert's \
             rows back by LAST_INSERT_ID(), which needs the primary key to be the \
             table's AUTO_INCREMENT column; nothing was written. Insert with the \
             manager's insert_execute(), which returns the number of rows and \
             invalidates as insert() does"
        )
        .into(),
    )
}

/// The error of an update whose row could not be read back by its primary
/// key, which MySQL cannot return (it was rolled back): the update changed
/// the key, or, for a model over a view, moved the row out of the view.
pub fn mysql_key_changed(model: &str) -> Error {
    Error::QueryBuilderError(
        format!(
            "{model}: the updated row could not be read back by its primary key (the \
             update changed the key, or moved the row out of the view the model reads), \
             which cache-diesel cannot follow on MySQL (no RETURNING); nothing was \
             written. Make such updates with update_where(), or with Diesel on a \
             tracked connection"
        )
        .into(),
    )
}

/// The rows an `INSERT` of `n` rows wrote, if `found` (read with
/// [`mysql_inserted_ids`]) is exactly them; an error otherwise.
pub fn mysql_inserted<M>(model: &str, n: usize, found: Vec<M>) -> QueryResult<Vec<M>> {
    if found.len() == n {
        return Ok(found);
    }
    Err(Error::QueryBuilderError(
        format!(
            "{model}: {n} row(s) inserted, {} found by the keys the insert generated \
             (LAST_INSERT_ID()): some keys were given in the values. Nothing was \
             written. Insert rows with given keys with the manager's insert_execute()",
            found.len()
        )
        .into(),
    ))
}
