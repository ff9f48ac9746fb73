//! Asking a PostgreSQL server whether a tracked connection's session is in
//! a transaction, once the tracker lost track of it (a batch with
//! transaction statements that failed, text that reads two ways once
//! `standard_conforming_strings` may be off, a `RELEASE` of a savepoint
//! it never saw). Before, such a connection's reads filled nothing until
//! the next `COMMIT` or `ROLLBACK`, which a connection in autocommit never
//! sends: for the rest of its life. As MariaDB's (`tracking::resync::mysql`).
//!
//! The question: the session's virtual transaction id, read twice
//! (`pg_locks`, the row of a lock this backend holds: every transaction
//! holds one on its own id). Each transaction of a backend has an id of its
//! own, numbered on: in autocommit each query is a transaction, and the
//! two answers differ; inside a transaction both queries see its id. That
//! is exact, where the alternatives are not: libpq's transaction status
//! (`PQtransactionStatus`) is not reachable through Diesel (its raw
//! connection is private; Diesel only folds it into its own transaction
//! manager, which does not follow a text `BEGIN`) nor through
//! tokio-postgres; `pg_current_xact_id_if_assigned()` is null in a
//! transaction that wrote nothing yet; `now() = statement_timestamp()`
//! would tell the first statement of a transaction apart, but Diesel's
//! queries are prepared, and the server stamps a statement again at its
//! `Bind` and at its `Execute` (the transaction starts at the first): in
//! autocommit they differed for 200 queries of 200, and where they agree
//! it is by the clock's resolution, not by the session's state.
//!
//! A transaction in error (a failed statement inside it) refuses the
//! question: the tracker keeps its guess (its reads fill nothing, and each
//! asks again, one refused query) until the `ROLLBACK` it must see anyway.
//! Two queries, on the connection
//! itself (sync, pooled by r2d2, or async), before the read that needs
//! them; both read only. Inside a transaction whose snapshot was not taken
//! yet (`REPEATABLE READ`, `SERIALIZABLE`) the first takes it, as the read
//! that follows would have.

use crate::tracking::CacheTracking;
#[cfg(feature = "postgres-system-libpq")]
use diesel::PgConnection;
use diesel::QueryableByName;
use diesel::result::QueryResult;
use diesel::sql_types::Text;
#[cfg(feature = "async-postgres")]
use diesel_async::AsyncPgConnection;

/// The session's virtual transaction id.
#[derive(QueryableByName)]
struct Vxid {
    #[diesel(sql_type = Text)]
    vxid: String,
}

const VXID: &str = "SELECT virtualtransaction AS vxid FROM pg_locks \
     WHERE pid = pg_backend_pid() LIMIT 1";

/// Tells `tracker` what the two answers say, if both came.
fn tell(tracker: Option<&mut CacheTracking>, answers: QueryResult<(Vxid, Vxid)>) {
    match answers {
        Ok((first, second)) => {
            if let Some(tracker) = tracker {
                tracker.resync(first.vxid == second.vxid, true, false);
            }
        }
        // In a failed transaction, or a connection that is failing: the
        // tracker keeps its guess.
        Err(e) => {
            tracing::debug!(error = %e, "could not ask PostgreSQL whether a transaction is open");
        }
    }
}

/// [`resync`] when `conn` is a `PgConnection` (or, with `r2d2`, a pooled
/// one); nothing for another connection.
#[cfg(feature = "postgres-system-libpq")]
pub(crate) fn resync_any(conn: &mut dyn std::any::Any) {
    if let Some(pg) = crate::connections::as_connection::<PgConnection>(conn) {
        resync(pg);
    }
}

/// Asks the server, when `conn`'s tracker needs it (see
/// `CacheTracking::wants_resync`), and tells the tracker.
#[cfg(feature = "postgres-system-libpq")]
fn resync(conn: &mut PgConnection) {
    let ask =
        |conn: &mut PgConnection| diesel::RunQueryDsl::get_result(diesel::sql_query(VXID), conn);
    if crate::tracking::tracker(conn).is_some_and(|t| t.wants_resync()) {
        let answers = ask(conn).and_then(|first| Ok((first, ask(conn)?)));
        tell(crate::tracking::tracker(conn), answers);
    }
}

/// [`resync`] on an async connection.
#[cfg(feature = "async-postgres")]
pub(crate) async fn resync_async(conn: &mut AsyncPgConnection) {
    use crate::tracking::tracking_async::async_tracker;
    if async_tracker(conn).is_some_and(|t| t.wants_resync()) {
        let answers = match ask_async(conn).await {
            Ok(first) => ask_async(conn).await.map(|second| (first, second)),
            Err(e) => Err(e),
        };
        tell(async_tracker(conn), answers);
    }
}

/// The question, on an async connection.
#[cfg(feature = "async-postgres")]
async fn ask_async(conn: &mut AsyncPgConnection) -> QueryResult<Vxid> {
    diesel_async::RunQueryDsl::get_result(diesel::sql_query(VXID), conn).await
}
