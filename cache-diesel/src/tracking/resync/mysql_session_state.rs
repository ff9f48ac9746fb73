//! What a MySQL or MariaDB server says of a session's transaction
//! (`@@autocommit`, MariaDB's `@@in_transaction`): the query, its row, and
//! whether this server has `@@in_transaction`.

use diesel::prelude::*;
use diesel::result::Error;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a transaction is open, as far as the session's variables say:
/// `autocommit` off means every statement is in one; MariaDB (10.3+) says
/// it outright in `@@in_transaction`; MySQL has no such variable
/// (`in_transaction` is then -1, and [`SessionState::open`] `None`).
#[derive(QueryableByName)]
pub(crate) struct SessionState {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    autocommit: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    in_transaction: i64,
}

/// [`SessionState`] on MariaDB.
const SESSION_STATE_MARIADB: &str = "SELECT CAST(@@autocommit AS SIGNED) AS autocommit, \
     CAST(@@in_transaction AS SIGNED) AS in_transaction";
/// [`SessionState`] on MySQL.
pub(crate) const SESSION_STATE_MYSQL: &str =
    "SELECT CAST(@@autocommit AS SIGNED) AS autocommit, CAST(-1 AS SIGNED) AS in_transaction";

/// Set once a server said it has no `@@in_transaction` (MySQL): later
/// probes ask [`SESSION_STATE_MYSQL`] at once.
static NO_IN_TRANSACTION: AtomicBool = AtomicBool::new(false);

impl SessionState {
    /// The query to ask first.
    pub(crate) fn query() -> &'static str {
        if NO_IN_TRANSACTION.load(Ordering::Relaxed) {
            SESSION_STATE_MYSQL
        } else {
            SESSION_STATE_MARIADB
        }
    }

    /// Whether the server may have `@@in_transaction` (MariaDB), as far as
    /// this process has seen.
    pub(crate) fn has_in_transaction() -> bool {
        !NO_IN_TRANSACTION.load(Ordering::Relaxed)
    }

    /// Whether `e`, the error of [`query`](Self::query), says the server
    /// has no `@@in_transaction` (error 1193); remembered when so.
    pub(crate) fn no_in_transaction(e: &Error) -> bool {
        let unknown = matches!(e, Error::DatabaseError(_, info)
            if info.message().contains("Unknown system variable"));
        if unknown {
            NO_IN_TRANSACTION.store(true, Ordering::Relaxed);
        }
        unknown
    }

    /// Whether a transaction is open, when the variables say.
    pub(crate) fn open(&self) -> Option<bool> {
        match (self.autocommit, self.in_transaction) {
            (0, _) => Some(true),
            (_, -1) => None,
            (_, open) => Some(open != 0),
        }
    }
}
