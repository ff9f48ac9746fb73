//! [`Manager`]: cached reads and invalidating writes for one model.
//!
//! Here the manager itself and what an entry of a read is; beside it, by
//! concern, each async twin beside its sync file (`_async`, feature
//! `async`):
//!
//! - `construction`: making a manager, its counters and its keys.
//! - `reads`, `reads_async`: the reads (lists, counts, lookups) and the
//!   entries they name; `read_path`, one read's way through the cache (its
//!   plan, the read-through, a refresh in the background, its report).
//! - `batch_reads`(`_async`): `find_many`, `get_many`, in one round trip.
//! - `id_lists`(`_async`): lists that hold ids, their rows read from the
//!   detail entries (`#[cache(id_lists)]`).
//! - `source`(`_async`): reads through a pool that check a connection out
//!   only on a miss ([`Manager::from_pool`]); `replicas`(`_async`), from a
//!   read replica that fill only what it has replayed.
//! - `background`(`_async`): the connections and workers of background
//!   refreshes.
//! - `verify`: a sample of hits read again from the database;
//!   `verify_entries`: an operator's check of a model's entries.
//! - `coarse_share`: whether a model's hook writes are mostly coarse.
//!
//! The write hooks, also `impl Manager` blocks, are a layer above, in
//! `writes/`.

// What the manager's tasks use (none has a public `impl` block); the
// tasks themselves are declared at the end of this file.
pub(crate) mod background;
#[cfg(feature = "async")]
pub(crate) mod background_async;
pub(crate) mod coarse_share;
pub(crate) mod id_lists;
#[cfg(feature = "async")]
pub(crate) mod id_lists_async;
mod read_path;
pub(crate) mod replicas;
#[cfg(feature = "async")]
pub(crate) mod replicas_async;
pub(crate) mod verify;

use crate::keys::{Dependencies, DependsOn, ModelKeys};
use crate::manager::coarse_share::CoarseShare;
use crate::manager::id_lists::LastIds;
pub(crate) use crate::metrics::reads::Started;
use crate::metrics::reads::{Kind, ReadMetrics};
use cache_core::__engine::{Shape, Stats};
use cache_core::Cache;
use diesel::QueryResult;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// The cache manager of model `M`: `all`, `get`, `find` and the write hooks.
///
/// Reads go to the cache first and to the database on a miss; a cache that
/// fails is logged and bypassed (reads never fail because of the cache).
/// Writes run the statement, then invalidate exactly the tags it touched.
pub struct Manager<M> {
    cache: Cache,
    stats: Arc<Stats>,
    /// Its keys and tag keys (what is fixed built once).
    keys: ModelKeys,
    /// Its reads in the `metrics` facade (see `metrics::reads`).
    reads: ReadMetrics,
    /// Its hook writes and how many were coarse (see `coarse_share`).
    coarse_share: Arc<CoarseShare>,
    /// The ids its id lists held when last read (see `id_lists`).
    last_ids: Arc<LastIds>,
    _model: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Manager<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("cache", &self.cache)
            .finish()
    }
}

#[cfg(feature = "async")]
impl<T, S: ShapeFn<T>> Entry<'_, T, S> {
    /// The entry's backend key (for the async reads' log lines).
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The tags the entry depends on.
    pub(crate) fn deps_tags(&self) -> &[&str] {
        self.deps.tags()
    }
}

/// How many of an entry's tags a loaded value depends on (as its
/// dependencies count them for a found and an absent value), and how long
/// it lives.
/// (A closure, not boxed: it is built on every read, hits included, and
/// cloned only for a background refresh.)
pub(crate) trait ShapeFn<T>:
    Fn(&T, DependsOn) -> (usize, Duration) + Clone + Send + Sync + 'static
{
}

impl<T, F> ShapeFn<T> for F where
    F: Fn(&T, DependsOn) -> (usize, Duration) + Clone + Send + Sync + 'static
{
}

/// How a read-through entry is keyed, tagged and timed.
pub(crate) struct Entry<'t, T, S: ShapeFn<T>> {
    pub(crate) kind: Kind,
    pub(crate) key: String,
    pub(crate) deps: Dependencies<'t>,
    /// The SQL names of the other tables the value depends on.
    pub(crate) related: &'t [String],
    pub(crate) shape: S,
    pub(crate) value: PhantomData<fn(&T)>,
}

impl<T, S: ShapeFn<T>> Entry<'_, T, S> {
    /// What a refreshed value depends on and how long it lives, as a
    /// function a background refresh can own.
    pub(crate) fn refresh_shape(&self) -> impl Fn(&T) -> Shape + Send + 'static
    where
        T: 'static,
    {
        let (shape, counts) = (self.shape.clone(), self.deps.depends_on());
        move |value: &T| {
            let (depends_on, ttl) = shape(value, counts);
            Shape {
                depends_on,
                ttl: Some(ttl),
            }
        }
    }
}

/// A loader a background refresh can own.
pub(crate) type OwnedLoad<C, T> = Box<dyn FnOnce(&mut C) -> QueryResult<T> + Send>;

// The manager's tasks that have a public `impl` block, declared in the
// order its rustdoc page lists those blocks (that of the declarations):
// making a manager, reading, in batches, through a pool (each async twin
// after it), then verifying. (The writes come after, in `writes`.)
mod construction;

mod reads;
#[cfg(feature = "async")]
pub(crate) mod reads_async;

pub(crate) mod batch_reads;
#[cfg(feature = "async")]
pub(crate) mod batch_reads_async;

pub(crate) mod source;
#[cfg(feature = "async")]
pub(crate) mod source_async;

pub(crate) mod verify_entries;
