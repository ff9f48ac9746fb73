//! [`Manager`]: cached reads and invalidating writes for one model.
//!
//! Here the manager itself and what an entry of a read is; in `reads`,
//! the reads (lists, counts, lookups) and the entries they name; in
//! `read_path`, one read's way through the cache (its plan, the read-through,
//! a refresh in the background, its report). The write hooks are in
//! `writes/`, the async reads in `manager_async.rs`, reads through a pool
//! in `source.rs`.

pub(crate) mod background;
#[cfg(feature = "async")]
pub(crate) mod background_async;
pub(crate) mod batch_reads;
#[cfg(feature = "async")]
pub(crate) mod batch_reads_async;
pub(crate) mod coarse_share;
pub(crate) mod id_lists;
#[cfg(feature = "async")]
pub(crate) mod id_lists_async;
mod read_path;
mod reads;
#[cfg(feature = "async")]
pub(crate) mod reads_async;
pub(crate) mod replicas;
#[cfg(feature = "async")]
pub(crate) mod replicas_async;
pub(crate) mod source;
#[cfg(feature = "async")]
pub(crate) mod source_async;
pub(crate) mod verify;
pub(crate) mod verify_entries;

use crate::keys::{Dependencies, DependsOn, ModelKeys};
use crate::manager::coarse_share::CoarseShare;
use crate::manager::id_lists::LastIds;
pub(crate) use crate::metrics::reads::Started;
use crate::metrics::reads::{Kind, ReadMetrics};
use crate::model::{CachedModel, UniqueKey};
use crate::registry;
use cache_core::__engine::{Counter, Shape, Stats};
use cache_core::{Cache, StatsSnapshot};
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
    /// Its reads in the `metrics` facade (see `read_metrics`).
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

impl<M: CachedModel> Manager<M> {
    /// A manager over `cache`.
    pub fn new(cache: Cache) -> Self {
        let info = M::INFO;
        registry::register(M::table(), &cache);
        Manager {
            keys: ModelKeys::of::<M>(&cache),
            cache,
            stats: {
                let stats = Stats::default();
                stats.report_as("model", info.name);
                Arc::new(stats)
            },
            reads: ReadMetrics::of_model(info.name),
            coarse_share: Arc::default(),
            last_ids: Arc::default(),
            _model: PhantomData,
        }
    }

    /// A manager over the same cache, counting into the same stats: what a
    /// hook run on another thread owns (see `writes::sqlite::writes_async`).
    #[cfg(feature = "async-sqlite")]
    pub(crate) fn handle(&self) -> Self {
        Manager {
            keys: ModelKeys::of::<M>(&self.cache),
            cache: self.cache.clone(),
            stats: self.stats.clone(),
            reads: ReadMetrics::of_model(M::INFO.name),
            coarse_share: self.coarse_share.clone(),
            last_ids: self.last_ids.clone(),
            _model: PhantomData,
        }
    }

    /// A manager over the process's default cache (`CACHE_URL`, or
    /// in-process memory). With a `CACHE_URL` that does not parse, reads
    /// still work, from the database: the cache fails every call, and each
    /// read is logged and counted (`errors`, `uncached` in [`Manager::stats`]).
    pub fn from_default_cache() -> Self {
        let cache = cache_core::caches().default_cache().unwrap_or_else(|e| {
            tracing::error!(model = M::INFO.name, error = %e, "default cache unusable: every read goes to the database and counts as an error");
            Cache::unusable(&e)
        });
        Self::new(cache)
    }

    /// What this manager did: hits, misses, fills, invalidations, stale
    /// serves, lease waits (the cache's own counters cover every user).
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Counts a hook write, `coarse` or not (see `coarse_share`).
    pub(crate) fn count_write(&self, coarse: bool) {
        if coarse {
            self.tally(Counter::CoarseInvalidation);
        }
        self.coarse_share.count(M::INFO.name, coarse);
    }

    pub(crate) fn tally(&self, counter: Counter) {
        self.stats.add(counter, 1);
    }

    /// This manager's counters, shared.
    pub(crate) fn stats_handle(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// The cache this manager uses.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The ids its id lists held when last read.
    pub(crate) fn last_ids(&self) -> &LastIds {
        &self.last_ids
    }

    /// Its keys and tag keys.
    pub(crate) fn model_keys(&self) -> &ModelKeys {
        &self.keys
    }

    /// The backend key of the detail entry for a unique value.
    pub fn detail_key(&self, key: &M::Unique) -> String {
        self.keys.detail_key(key.column(), &key.value_key())
    }

    /// The backend key of a list: the suffix is a readable label, the filter
    /// (or query) key is what separates lists.
    pub fn list_key(&self, suffix: Option<&str>, filter_key: &str) -> String {
        self.keys.list_key(suffix, filter_key)
    }
}
