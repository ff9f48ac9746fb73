//! Asking a MariaDB server where a tracked connection's session stands,
//! once the tracker lost track of it (a `CALL`, a `SET` it cannot read, a
//! statement that failed inside a transaction). Before, such a
//! connection's reads filled nothing for the rest of its life.
//!
//! The tracker does not ask before the first read: a session that starts
//! in `autocommit = 0` or `completion_type = CHAIN` (the server's defaults,
//! or statements run before the connection was tracked) is seen only when
//! a hook finds a transaction open that the tracker does not (hooks ask the
//! server before every write): that hook is refused, and asks on the
//! tracker's behalf; the guide says so.
//!
//! One query, `SELECT @@autocommit, @@in_transaction, @@completion_type`,
//! on the connection itself (sync, pooled by r2d2, or async), before the
//! read that needs it. MySQL has no
//! `@@in_transaction`: there the tracker keeps guessing (safely: reads
//! that fill nothing).

use super::mysql_session_state::SessionState;
use crate::tracking::CacheTracking;
#[cfg(feature = "mysql")]
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
#[cfg(feature = "async-mysql")]
use diesel_async::AsyncMysqlConnection;

/// The session's modes, as the server reports them.
#[derive(QueryableByName)]
struct Modes {
    #[diesel(sql_type = BigInt)]
    autocommit: i64,
    #[diesel(sql_type = BigInt)]
    in_transaction: i64,
    #[diesel(sql_type = BigInt)]
    chain: i64,
}

const MODES: &str = "SELECT CAST(@@autocommit AS SIGNED) AS autocommit, \
     CAST(@@in_transaction AS SIGNED) AS in_transaction, \
     CAST(@@completion_type = 'CHAIN' AS SIGNED) AS chain";

/// Tells `tracker` what the server answered, if it answered.
fn tell(tracker: Option<&mut CacheTracking>, answer: QueryResult<Modes>) {
    match answer {
        Ok(modes) => {
            if let Some(tracker) = tracker {
                tracker.resync(
                    modes.in_transaction != 0,
                    modes.autocommit != 0,
                    modes.chain != 0,
                );
            }
        }
        // MySQL (remembered: not asked again), or a connection that is
        // failing: the tracker keeps its guess.
        Err(e) if SessionState::no_in_transaction(&e) => {}
        Err(e) => tracing::debug!(error = %e, "could not ask MySQL for the session's modes"),
    }
}

/// [`resync`] when `conn` is a `MysqlConnection` (or, with `r2d2`, a
/// pooled one); nothing for another connection.
#[cfg(feature = "mysql")]
pub(crate) fn resync_any(conn: &mut dyn std::any::Any) {
    if let Some(mysql) = crate::connections::as_connection::<MysqlConnection>(conn) {
        resync(mysql);
    }
}

/// Asks the server, when `conn`'s tracker needs it (see
/// `CacheTracking::wants_resync`), and tells the tracker.
#[cfg(feature = "mysql")]
fn resync(conn: &mut MysqlConnection) {
    if crate::tracking::tracker(conn).is_some_and(|t| t.wants_resync()) {
        ask(conn);
    }
}

/// Asks the server where `conn`'s session stands and tells its tracker
/// (MariaDB only: on MySQL, nothing).
#[cfg(feature = "mysql")]
pub(crate) fn ask(conn: &mut MysqlConnection) {
    if SessionState::has_in_transaction() {
        let answer = diesel::sql_query(MODES).get_result::<Modes>(conn);
        tell(crate::tracking::tracker(conn), answer);
    }
}

/// [`resync`] on an async connection. Never after a statement was given
/// up there: its answer could be read for this one's (see
/// `CacheTracking::replies_unreliable`).
#[cfg(feature = "async-mysql")]
pub(crate) async fn resync_async(conn: &mut AsyncMysqlConnection) {
    use crate::tracking::tracking_async::async_tracker;
    let wanted = async_tracker(conn).is_some_and(|t| t.wants_resync());
    if wanted && SessionState::has_in_transaction() {
        let answer =
            diesel_async::RunQueryDsl::get_result::<Modes>(diesel::sql_query(MODES), conn).await;
        tell(async_tracker(conn), answer);
    }
}
