//! Background refreshes on the async API: tasks, not threads.
//!
//! A model with `refresh = "background"` read through an async connection
//! hands an entry past its soft timeout to a tokio task, and every caller
//! (the one that took the refresh lease included) is served the old value.
//! The task needs a connection of its own: register how to get one, once
//! per connection type, with [`refresh_connections_async`] (a deadpool or
//! bb8 pool's `get`). At most `MAX_REFRESH_TASKS` (16) refreshes run at once;
//! past that, or with no opener registered, or on a store without an async
//! client, the caller that took the lease refreshes inline, as the sync API
//! does when its queue is full. The value keeps the guarantees of an inline
//! refresh: stamped with the tag versions read before the entry went
//! stale, so a write meanwhile wins.

use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::ops::DerefMut;
use std::sync::{Arc, LazyLock, RwLock};
use tokio::sync::Semaphore;

use crate::form::{CacheForm, FormRef};
use cache_core::__engine::{BoxFuture, Refresh, Shape};

/// How many background refreshes may run at once (each holds a connection).
pub const MAX_REFRESH_TASKS: usize = 16;

/// A loader a refresh task can own.
pub(crate) type OwnedLoad<C, T> =
    Box<dyn for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, QueryResult<T>> + Send>;

/// `load` as an [`OwnedLoad`] (a function, so the closure's signature is
/// inferred higher-ranked).
pub(crate) fn owned<C, T, F>(load: F) -> OwnedLoad<C, T>
where
    F: for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, QueryResult<T>> + Send + 'static,
{
    Box::new(load)
}

/// A connection a task can own and use as a `C`.
pub(crate) type Handle<C> = Box<dyn DerefMut<Target = C> + Send>;

/// Opens a connection for a refresh task: `Err` when none could be opened.
pub(crate) type Opener<C> =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Handle<C>, String>> + Send + Sync>;

static OPENERS: LazyLock<RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>> =
    LazyLock::new(Default::default);

static TASKS: Semaphore = Semaphore::const_new(MAX_REFRESH_TASKS);

/// A connection handle of type `R` as a `C`.
struct Owned<R>(R);

impl<R: DerefMut> std::ops::Deref for Owned<R> {
    type Target = R::Target;
    fn deref(&self) -> &R::Target {
        &self.0
    }
}

impl<R: DerefMut> DerefMut for Owned<R> {
    fn deref_mut(&mut self) -> &mut R::Target {
        &mut self.0
    }
}

/// Registers how background refresh tasks get async connections: `open`
/// returns a pooled connection (anything that derefs to one: deadpool's
/// and bb8's do), or an error of any kind (logged; the entry is refreshed
/// later). It serves reads made on the connection type (and on
/// `&mut *pooled`, which is that type). A later call for the same type
/// replaces it.
///
/// ```text
/// cache_diesel::refresh_connections_async(move || {
///     let pool = pool.clone();
///     async move { pool.get().await }
/// });
/// ```
pub fn refresh_connections_async<R, E, F, Fut>(open: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: DerefMut + Send + 'static,
    R::Target: AsyncConnection + Sized + 'static,
    E: Display,
{
    let opener: Opener<R::Target> = Arc::new(move || {
        let opened = open();
        Box::pin(async move {
            match opened.await {
                Ok(handle) => Ok(Box::new(Owned(handle)) as Handle<R::Target>),
                Err(e) => Err(e.to_string()),
            }
        })
    });
    OPENERS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(TypeId::of::<R::Target>(), Box::new(opener));
}

/// The registered opener of `C`s, if any.
pub(crate) fn opener<C: 'static>() -> Option<Opener<C>> {
    let openers = OPENERS.read().unwrap_or_else(|p| p.into_inner());
    openers
        .get(&TypeId::of::<C>())?
        .downcast_ref::<Opener<C>>()
        .cloned()
}

/// A background refresh's work: open a connection, load, store.
pub(crate) struct Job<C, T> {
    pub(crate) load: OwnedLoad<C, T>,
    pub(crate) refresh: Refresh,
    /// What the loaded value depends on, and how long it lives.
    pub(crate) shape: Box<dyn Fn(&T) -> Shape + Send>,
    pub(crate) model: &'static str,
}

/// Starts `job` on a task, if an opener for `C` is registered, a runtime
/// is at hand, the store has an async client and fewer than
/// `MAX_REFRESH_TASKS` run; gives its refresh back otherwise (the caller
/// refreshes inline).
pub(crate) fn spawn<C, T>(job: Job<C, T>) -> Option<Refresh>
where
    C: AsyncConnection + 'static,
    T: CacheForm + Send + Sync + 'static,
{
    let (Some(open), Ok(runtime)) = (opener::<C>(), tokio::runtime::Handle::try_current()) else {
        return Some(job.refresh);
    };
    if !job.refresh.completes_async() {
        return Some(job.refresh);
    }
    let Ok(permit) = TASKS.try_acquire() else {
        return Some(job.refresh);
    };
    crate::manager::background::REFRESH_TASKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    runtime.spawn(async move {
        let _permit = permit; // given back when the task ends, however
        let Job {
            load,
            refresh,
            shape,
            model,
        } = job;
        let key = refresh.key().to_owned();
        let loaded = match open().await {
            Ok(mut conn) => load(&mut conn).await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("no connection: {e}")),
        };
        let outcome = match loaded {
            Ok(value) => {
                let shape = shape(&value);
                refresh
                    .complete_async(&FormRef(&value), shape)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => {
                refresh.release_async().await;
                Err(e)
            }
        };
        match outcome {
            Ok(()) => tracing::debug!(model, key, "cache refreshed in a background task"),
            Err(e) => {
                tracing::error!(model, key, error = %e, "background refresh failed; serving the old value until its hard timeout")
            }
        }
    });
    None
}
