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
//! count is known), and `LAST_INSERT_ID()` is the first. The hook resets it
//! to 0 first, so an insert that generated no key (a key given explicitly,
//! a key that is not `AUTO_INCREMENT`) cannot be mistaken for one that did;
//! then it reads the rows in that range and requires exactly `n`. Anything
//! else is an error, and the insert is rolled back: never a wrong row.

use crate::writes::in_transaction;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::result::Error;
use diesel::sql_types::Bool;

/// The savepoint a hook takes inside an open transaction.
const SAVEPOINT: &str = "cache_diesel_hook";

/// Runs `f`, a write and the reads that return what it wrote, atomically:
/// in a transaction, or under a savepoint when one is open (whether Diesel
/// opened it or SQL text did), so that an error after the write undoes it.
pub fn mysql_atomic<T>(
    conn: &mut MysqlConnection,
    f: impl FnOnce(&mut MysqlConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    if !in_transaction(conn) {
        return conn.transaction(f);
    }
    conn.batch_execute(&format!("SAVEPOINT {SAVEPOINT}"))?;
    match f(conn) {
        Ok(out) => {
            conn.batch_execute(&format!("RELEASE SAVEPOINT {SAVEPOINT}"))?;
            Ok(out)
        }
        Err(e) => {
            if let Err(undo) = conn.batch_execute(&format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")) {
                tracing::error!(error = %undo, "cache_diesel: rolling back a failed MySQL hook write failed");
            }
            Err(e)
        }
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
/// values after it. False when that insert generated none.
pub fn mysql_inserted_ids(pk: &str, n: usize) -> diesel::expression::SqlLiteral<Bool> {
    let pk = format!("`{}`", pk.replace('`', "``"));
    let last = n.saturating_sub(1);
    diesel::dsl::sql::<Bool>(&format!(
        "LAST_INSERT_ID() <> 0 AND {pk} BETWEEN LAST_INSERT_ID() \
         AND LAST_INSERT_ID() + {last} * @@auto_increment_increment"
    ))
}

/// The rows an `INSERT` of `n` rows wrote, if `found` (read with
/// [`mysql_inserted_ids`]) is exactly them; an error otherwise.
pub fn mysql_inserted<M>(model: &str, n: usize, found: Vec<M>) -> QueryResult<Vec<M>> {
    if found.len() == n {
        return Ok(found);
    }
    Err(Error::QueryBuilderError(
        format!(
            "{model}: cache-diesel's insert on MySQL returns the rows it wrote by \
             LAST_INSERT_ID(), so it needs the primary key to be generated \
             (AUTO_INCREMENT, not given in the values); {n} row(s) inserted, {} \
             found by their generated keys. Nothing was written. For other keys, \
             insert with Diesel on a tracked connection (cache_diesel::track) or \
             call the manager's invalidate_all() after the insert",
            found.len()
        )
        .into(),
    ))
}
