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
//! count is known), and `LAST_INSERT_ID()` is the first. The hook checks
//! once per table that the primary key is the `AUTO_INCREMENT` column, and
//! resets `LAST_INSERT_ID()` to 0 first, so that an insert that generated
//! no key cannot be mistaken for one that did; then it reads the rows in
//! that range and requires exactly `n`. Anything else is an error, and the
//! insert is rolled back. One case it cannot tell: a batch that gives some
//! keys and leaves others to be generated reserves `n` values but uses
//! fewer, and a row another session inserts with one of the unused values
//! is read back as the batch's. Give every key or none.

use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::result::Error;
use diesel::sql_types::Bool;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the savepoints hooks take, so that none replaces a user's.
static SAVEPOINTS: AtomicU64 = AtomicU64::new(0);

/// Whether the server has a transaction open on `conn`, asked of the
/// server itself: `SET TRANSACTION` is refused inside one (error 1568), on
/// MySQL and MariaDB. Neither Diesel nor the tracker can know of a
/// transaction opened by SQL text on an untracked connection or by
/// `SET autocommit = 0`, and a `BEGIN` inside one would commit it.
fn server_in_transaction(conn: &mut MysqlConnection) -> QueryResult<bool> {
    match conn.batch_execute("SET TRANSACTION READ WRITE") {
        Ok(()) => Ok(false),
        Err(Error::DatabaseError(_, info))
            if info.message().contains("transaction is in progress") =>
        {
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

/// Runs `f`, a write and the reads that return what it wrote, atomically:
/// in a transaction of its own, or under a savepoint inside one already
/// open (whoever opened it), so that an error after the write undoes it.
pub fn mysql_atomic<T>(
    conn: &mut MysqlConnection,
    f: impl FnOnce(&mut MysqlConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    // A transaction Diesel opened: Diesel's own savepoint.
    if diesel_in_transaction(conn) || !server_in_transaction(conn)? {
        return conn.transaction(f);
    }
    let savepoint = format!(
        "cache_diesel_hook_{}",
        SAVEPOINTS.fetch_add(1, Ordering::Relaxed)
    );
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

/// Whether Diesel's transaction manager has a transaction open.
fn diesel_in_transaction(conn: &mut MysqlConnection) -> bool {
    use diesel::connection::{TransactionManager, TransactionManagerStatus};
    match <MysqlConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
    {
        TransactionManagerStatus::Valid(status) => status.transaction_depth().is_some(),
        TransactionManagerStatus::InError => true,
    }
}

/// Sets the connection's `LAST_INSERT_ID()` to 0, so that after an
/// `INSERT` it is non-zero only if that insert generated a key.
pub fn mysql_forget_insert_id(conn: &mut MysqlConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT LAST_INSERT_ID(0)").execute(conn)?;
    Ok(())
}

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

/// Whether column `pk` of `table` (in the connection's database) is its
/// `AUTO_INCREMENT` column, asked once per table and column in the
/// process: the rows of an insert can be read back by
/// `LAST_INSERT_ID()` only then (another column's counter would be read as
/// primary keys).
pub fn mysql_key_is_generated(
    conn: &mut MysqlConnection,
    table: &str,
    pk: &str,
) -> QueryResult<bool> {
    static KNOWN: Mutex<Vec<(String, String, bool)>> = Mutex::new(Vec::new());
    let known = |t: &str, c: &str| {
        let list = KNOWN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        list.iter()
            .find(|(kt, kc, _)| kt == t && kc == c)
            .map(|(_, _, generated)| *generated)
    };
    if let Some(generated) = known(table, pk) {
        return Ok(generated);
    }
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found: Found = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND LOWER(TABLE_NAME) = LOWER(?) \
         AND LOWER(COLUMN_NAME) = LOWER(?) AND EXTRA LIKE '%auto_increment%'",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .bind::<diesel::sql_types::Text, _>(pk)
    .get_result(conn)?;
    let generated = found.n > 0;
    KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((table.to_owned(), pk.to_owned(), generated));
    Ok(generated)
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

/// The error of an update that changed the row's primary key, which MySQL
/// cannot return (it was rolled back).
pub fn mysql_key_changed(model: &str) -> Error {
    Error::QueryBuilderError(
        format!(
            "{model}: the update changed the row's primary key, which cache-diesel \
             cannot read back on MySQL (no RETURNING); nothing was written. Change \
             keys with update_where() or with Diesel on a tracked connection"
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
