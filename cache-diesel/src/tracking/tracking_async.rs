//! Write tracking on diesel-async connections (feature `async`): the same
//! tracker as the sync connections' ([`CacheTracking`]), installed with
//! [`track_async`].
//!
//! diesel-async's connections report every statement to their
//! instrumentation as Diesel's do, SQL text included, so the tracker
//! follows transactions (Diesel's API or `batch_execute("BEGIN")`), defers
//! the hooks' invalidations to the commit, drops them on rollback, and
//! catches writes the hooks never saw, exactly as on a sync connection.
//!
//! One difference: the instrumentation is called on the runtime's thread,
//! where waiting for the cache is not allowed. So what a commit (or a write
//! outside a transaction that no hook made) invalidates is *owed* at once,
//! in memory: from that moment every read of this process that depends on
//! it goes to the database (or, on the sync API, delivers it first). A task
//! delivers it to the cache right away, for the other processes: they see
//! the commit once that task's round trip lands, where a sync connection's
//! commit returns only after it landed. [`transaction_async`] and
//! [`landed_async`] wait for it; the manager's async hooks never defer
//! outside a transaction, so they wait for their own invalidation.

use crate::error::{Error, Result};
use crate::model::CachedModel;
use crate::tracking::{CacheTracking, HookMark, Tracked, defer_unseen};
use cache_core::__engine::WithEngine;
use cache_core::{Cache, Ttl};
use diesel_async::{AsyncConnection, TransactionManager};
use std::collections::BTreeSet;
use std::future::Future;

/// Makes the async connection `conn` cache-aware (replacing its
/// instrumentation; use [`CacheTracking::with`] to keep another, and
/// [`CacheTracking::for_async_connection`] where a pool sets connections
/// up, such as deadpool's `ManagerConfig::custom_setup`).
pub fn track_async<C: AsyncConnection>(conn: &mut C) {
    conn.set_instrumentation(CacheTracking::for_async_connection::<C>());
}

impl CacheTracking {
    /// A tracker for async connections of type `C` (see [`track_async`]).
    pub fn for_async_connection<C: AsyncConnection>() -> Self {
        CacheTracking::for_backend::<C::Backend>().for_async(true)
    }
}

/// The async connection's tracker, if [`track_async`] installed one.
pub(crate) fn async_tracker<C: AsyncConnection>(conn: &mut C) -> Option<&mut CacheTracking> {
    conn.instrumentation().downcast_mut::<CacheTracking>()
}

/// Whether diesel-async's transaction manager has a transaction open on
/// `conn` (or cannot tell: then as if it had).
pub(crate) fn diesel_in_transaction<C: AsyncConnection>(conn: &mut C) -> bool {
    !matches!(
        C::TransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(None)
    )
}

/// An async connection as the tracking rules see it.
pub(crate) struct AsyncConn<'a, C>(pub(crate) &'a mut C);

impl<C: AsyncConnection> Tracked for AsyncConn<'_, C> {
    fn tracker(&mut self) -> Option<&mut CacheTracking> {
        async_tracker(self.0)
    }
    fn diesel_in_transaction(&mut self) -> bool {
        diesel_in_transaction(self.0)
    }
}

/// A manager hook's statement on an async connection, from before it is
/// sent until [`Hook::done`]: the tracker counts its write as the hook's.
/// Dropped before `done` (the hook's future was cancelled, maybe after the
/// statement reached the database), it owes a bump of the model's whole
/// table, now and again while the statement may still run
/// (after each of `tracking::while_it_may_land`'s waits): the hook can no longer say
/// which rows it touched, nor when the statement runs. (On a tracked connection the
/// tracker also counts the statement as run once the connection's next
/// statement finishes.)
pub(crate) struct Hook {
    _mark: Option<HookMark>,
    cancelled: Option<(Cache, String, Ttl)>,
}

impl Hook {
    /// Starts a hook write of model `M` on `conn`. Refuses
    /// ([`Error::UntrackedTransaction`]) inside a transaction on an
    /// untracked connection: the invalidation could not wait for the commit.
    pub(crate) fn enter<M: CachedModel, C: AsyncConnection>(
        conn: &mut C,
        cache: &Cache,
        epoch: &str,
        ttl: Ttl,
    ) -> Result<Hook> {
        let mark = async_tracker(conn).map(|t| t.enter_hook());
        if mark.is_none() && diesel_in_transaction(conn) {
            tracing::warn!(
                model = M::INFO.name,
                "hook write refused: a transaction is open on this async connection, \
                 which cache_diesel::track_async did not make cache-aware"
            );
            return Err(Error::UntrackedTransaction);
        }
        Ok(Hook {
            _mark: mark,
            cancelled: Some((cache.clone(), epoch.to_owned(), ttl)),
        })
    }

    /// The statement returned (whatever its result).
    pub(crate) fn done(mut self) {
        self.cancelled = None;
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let Some((cache, epoch, ttl)) = self.cancelled.take() else {
            return;
        };
        tracing::warn!(
            tag = epoch,
            "async hook write cancelled after its statement may have run: the table is invalidated"
        );
        let tags = [epoch];
        cache.engine().owe_tag_groups(&[(&tags[..], None)], ttl);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Now, and again while the statement may still run (it may be
            // waiting for a lock): a read in between may refill.
            runtime.spawn(async move {
                cache.engine().settle_owed_async().await;
                for gap in crate::tracking::while_it_may_land() {
                    tokio::time::sleep(gap).await;
                    cache.engine().owe_tag_groups(&[(&tags[..], None)], ttl);
                    cache.engine().settle_owed_async().await;
                }
            });
        }
    }
}

/// A pool manager configuration whose connections are tracked from the
/// moment they are opened ([`track_async`]), for diesel-async's deadpool
/// (and bb8) pools:
///
/// ```text
/// let config = cache_diesel::tracked_pool_config::<AsyncPgConnection>();
/// let manager = AsyncDieselConnectionManager::new_with_config(url, config);
/// let pool = Pool::builder(manager).build()?;
/// ```
#[cfg(any(feature = "deadpool", feature = "bb8"))]
pub fn tracked_pool_config<C: AsyncConnection + 'static>()
-> diesel_async::pooled_connection::ManagerConfig<C> {
    let mut config = diesel_async::pooled_connection::ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        Box::pin(async move {
            let mut conn = C::establish(url).await?;
            track_async(&mut conn);
            Ok(conn)
        })
    });
    config
}

/// Waits until the invalidations of what `conn` committed so far (and of
/// the writes outside transactions that no hook made) reached the cache,
/// so that other processes see them too. This process's reads see them
/// from the commit on, without waiting. (A sync connection has no twin:
/// it delivers them at the commit, before the commit call returns.)
pub async fn landed_async<C: AsyncConnection>(conn: &mut C) {
    let Some(tracker) = async_tracker(conn) else {
        return;
    };
    for task in tracker.take_landing() {
        if let Err(e) = task.await {
            tracing::error!(error = %e, "the task delivering invalidations failed");
        }
    }
}

/// What [`transaction_async`] runs: an async closure over the connection
/// (`async |conn| { .. }`), whose future is `Send`. Implemented for every
/// such closure; the same shape as diesel-async's own transaction callback.
pub trait TransactionFn<T, R>:
    AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as TransactionFn<T, R>>::Fut
{
    /// The closure's future.
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> TransactionFn<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// Runs `callback` in a transaction (diesel-async's transaction manager:
/// nested calls are savepoints), then waits until what it invalidates
/// reached the cache ([`landed_async`]), so that when it returns, every
/// process reads what it committed. The hooks' invalidations wait for the
/// commit and are dropped on rollback. Needs [`track_async`] on the
/// connection; without it the invalidations cannot wait for the commit
/// (hooks inside are refused), and a warning is logged once.
#[allow(clippy::manual_async_fn)] // the signature promises `Send`, as diesel-async's
pub fn transaction_async<'a, 'conn, C, R, E, F>(
    conn: &'conn mut C,
    callback: F,
) -> impl Future<Output = std::result::Result<R, E>> + Send + 'conn
where
    C: AsyncConnection,
    for<'r> F: AsyncFnOnce(&'r mut C) -> std::result::Result<R, E>
        + TransactionFn<&'r mut C, std::result::Result<R, E>, Fut: Send>
        + Send
        + 'a,
    E: From<diesel::result::Error> + Send + 'a,
    R: Send + 'a,
    'a: 'conn,
{
    async move {
        if async_tracker(conn).is_none() {
            crate::tracking::warn_untracked();
        }
        // diesel-async's `transaction`, whose callback bound names a trait
        // it does not export.
        C::TransactionManager::begin_transaction(conn).await?;
        let out = match callback(&mut *conn).await {
            Ok(value) => {
                announce_before_commit(conn).await;
                C::TransactionManager::commit_transaction(conn)
                    .await
                    .map(|()| value)
                    .map_err(E::from)
            }
            Err(user) => match C::TransactionManager::rollback_transaction(conn).await {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(user),
                Err(rollback) => Err(rollback.into()),
            },
        };
        landed_async(conn).await;
        out
    }
}

/// Before the outermost `COMMIT` of [`transaction_async`]: announces the
/// bumps the commit will make (`Engine::announce_bumps`), so that they
/// survive this process dying between the commit and the task delivering
/// them.
async fn announce_before_commit<C: AsyncConnection>(conn: &mut C) {
    let outermost = matches!(
        C::TransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(depth)) if depth.get() == 1
    );
    if !outermost {
        return;
    }
    if let Some(tracker) = async_tracker(conn) {
        tracker.announcement().announce_async().await;
    }
}

/// Invalidates every entry of `tables` (SQL names), as
/// [`invalidate_tables`](crate::invalidate_tables) does on a sync
/// connection: at the commit of the transaction open on a tracked `conn`,
/// else now.
pub async fn invalidate_tables_async<C: AsyncConnection>(conn: &mut C, tables: &[&str]) {
    let tables: BTreeSet<String> = tables.iter().map(|t| t.to_ascii_lowercase()).collect();
    if let Some(caches) = defer_unseen(&mut AsyncConn(conn), &tables) {
        crate::tracking::written_tables::Bumps::default()
            .tables(caches.as_deref(), &tables, false)
            .send_async("invalidate_tables")
            .await;
    }
}
