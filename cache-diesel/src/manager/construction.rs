//! Making a [`Manager`], its counters and its keys.

use super::Manager;
use crate::keys::ModelKeys;
use crate::manager::id_lists::LastIds;
use crate::metrics::reads::ReadMetrics;
use crate::model::{CachedModel, UniqueKey};
use crate::registry;
use cache_core::__engine::{Counter, Stats};
use cache_core::{Cache, StatsSnapshot};
use std::marker::PhantomData;
use std::sync::Arc;

/// Making a manager, its counters and its keys: [`new`](Self::new),
/// [`from_default_cache`](Self::from_default_cache), [`stats`](Self::stats),
/// [`cache`](Self::cache), [`detail_key`](Self::detail_key).
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
            cache_core::__engine::unusable_cache(&e)
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
    #[doc(hidden)]
    pub fn list_key(&self, suffix: Option<&str>, filter_key: &str) -> String {
        self.keys.list_key(suffix, filter_key)
    }
}
