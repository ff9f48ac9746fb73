//! An async PostgreSQL hook's transaction of its own, ended even when the
//! hook's future is dropped.
//!
//! Over a shared store, a hook in autocommit must announce the value tags
//! it learns from its statement (the old and new row) before they commit
//! (see `cache_core::__engine::Engine::announce_bumps`): so on a tracked connection it
//! writes in a transaction of its own, `BEGIN`, the statement, the
//! announcement, `COMMIT`. On the async API the hook's future may be
//! dropped anywhere in between (a `tokio::time::timeout`, a client that
//! went away): the transaction would stay open on the connection, the row
//! locked, and the connection's next statements would run inside it and
//! never commit (an outside probe lost ~27,500 acknowledged writes that
//! way on a connection reused after a cancelled hook).
//!
//! So the hook holds its connection through [`OnCancel`]: dropped while
//! the transaction may be open, it queues a `ROLLBACK` on the connection
//! before it lets the connection go. tokio-postgres sends a request when
//! its future is first polled (into the connection task's queue, without
//! waiting), and runs a request whose caller went away as any other, in
//! order: one poll with a waker that does nothing queues the `ROLLBACK`
//! behind whatever the hook had sent, ahead of anything sent later. The
//! connection's next statement then runs in autocommit, after the hook's
//! statement was rolled back (or, where its `COMMIT` was already sent,
//! committed: the `ROLLBACK` then only draws a warning). Only
//! `AsyncPgConnection` is known to send on the first poll: other
//! connection types keep the coarse autocommit write.
//!
//! PostgreSQL's `idle_in_transaction_session_timeout`, set for the
//! transaction, is the second line: a hook stalled inside it (a runtime
//! that stopped polling it) has its session ended, the write rolled back,
//! the row released, and its `COMMIT` fails.

use diesel::QueryResult;
use diesel::connection::{TransactionDepthChange, TransactionManagerStatus};
#[cfg(feature = "async-postgres")]
use diesel_async::AsyncPgConnection;
use diesel_async::{AsyncConnection, TransactionManager};
use std::ops::{Deref, DerefMut};

/// How the hook's transaction opens (one round trip): long beside the
/// announcement sent while it waits (a Redis round trip, under its
/// `response_timeout`), as long as the announcement lives
/// (`ANNOUNCE_HOLD`).
const BEGIN_OWN: &str = "BEGIN; SET LOCAL idle_in_transaction_session_timeout = '5s'";

/// A hook's connection that ends the hook's own transaction if the hook's
/// future is dropped while it may be open (see the module docs). Derefs
/// to the connection.
pub(crate) struct OnCancel<'c, C: AsyncConnection + 'static> {
    conn: &'c mut C,
    /// Whether a `BEGIN` of the hook's may have been sent and its end not
    /// returned.
    open: bool,
}

impl<'c, C: AsyncConnection + 'static> OnCancel<'c, C> {
    pub(crate) fn new(conn: &'c mut C) -> Self {
        OnCancel { conn, open: false }
    }

    /// Whether the connection can hold a transaction of the hook's own
    /// safely (an `AsyncPgConnection`: see the module docs).
    pub(crate) fn can_hold(&mut self) -> bool {
        #[cfg(feature = "async-postgres")]
        return (self.conn as &mut dyn std::any::Any).is::<AsyncPgConnection>();
        #[cfg(not(feature = "async-postgres"))]
        false
    }

    /// Opens the hook's transaction, in Diesel's transaction manager too
    /// (for it to commit or roll back). On an error none is left open.
    pub(crate) async fn begin(&mut self) -> QueryResult<()> {
        self.open = true; // (before it is sent: a drop from now on ends it)
        if let Err(e) = self.conn.batch_execute(BEGIN_OWN).await {
            // (Whichever of the two failed, none is left open.)
            let _ = self.conn.batch_execute("ROLLBACK").await;
            self.open = false;
            return Err(e);
        }
        let counted = match C::TransactionManager::transaction_manager_status_mut(self.conn) {
            TransactionManagerStatus::Valid(valid) => {
                valid.change_transaction_depth(TransactionDepthChange::IncreaseDepth)
            }
            TransactionManagerStatus::InError => {
                Err(diesel::result::Error::BrokenTransactionManager)
            }
        };
        if counted.is_err() {
            let _ = self.conn.batch_execute("ROLLBACK").await;
            self.open = false;
        }
        counted
    }

    /// Commits the hook's transaction (`commit`), or rolls it back.
    pub(crate) async fn end(&mut self, commit: bool) -> QueryResult<()> {
        let ended = match commit {
            true => C::TransactionManager::commit_transaction(self.conn).await,
            false => C::TransactionManager::rollback_transaction(self.conn).await,
        };
        // (Diesel's manager rolls back a failed COMMIT itself.)
        self.open = false;
        ended
    }
}

impl<C: AsyncConnection + 'static> Deref for OnCancel<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn
    }
}

impl<C: AsyncConnection + 'static> DerefMut for OnCancel<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
    }
}

impl<C: AsyncConnection + 'static> Drop for OnCancel<'_, C> {
    fn drop(&mut self) {
        #[cfg(feature = "async-postgres")]
        if self.open {
            queue_rollback(self.conn);
        }
    }
}

/// Queues a `ROLLBACK` on `conn` if it is an `AsyncPgConnection`, without
/// waiting (see the module docs).
#[cfg(feature = "async-postgres")]
fn queue_rollback<C: AsyncConnection + 'static>(conn: &mut C) {
    let Some(pg) = (conn as &mut dyn std::any::Any).downcast_mut::<AsyncPgConnection>() else {
        return;
    };
    tracing::warn!(
        "async hook write cancelled inside its own transaction: a ROLLBACK is queued \
         on its connection"
    );
    // Diesel's manager counted the transaction: it is gone.
    *<AsyncPgConnection as AsyncConnection>::TransactionManager::transaction_manager_status_mut(
        pg,
    ) = TransactionManagerStatus::default();
    let rollback = std::pin::pin!(diesel_async::SimpleAsyncConnection::batch_execute(
        pg, "ROLLBACK"
    ));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    // (Sent on this poll; its reply is read and dropped by the
    // connection's task.)
    let _ = rollback.poll(&mut cx);
}
