//! Which caches hold entries of which tables, so that a write the hooks
//! never saw (found by [`crate::tracking`]) can invalidate them all.

use cache_core::{Cache, WeakCache};
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

static TABLES: LazyLock<RwLock<HashMap<String, Vec<WeakCache>>>> = LazyLock::new(Default::default);

/// Records that `cache` holds entries of `table`.
pub(crate) fn register(table: &str, cache: &Cache) {
    let mut map = TABLES.write().unwrap_or_else(|p| p.into_inner());
    let caches = map.entry(table.to_ascii_lowercase()).or_default();
    caches.retain(|weak| weak.upgrade().is_some());
    if !caches
        .iter()
        .filter_map(WeakCache::upgrade)
        .any(|c| c.same(cache))
    {
        caches.push(cache.downgrade());
    }
}

/// The live caches holding entries of `table`.
pub(crate) fn caches_for(table: &str) -> Vec<Cache> {
    let map = TABLES.read().unwrap_or_else(|p| p.into_inner());
    map.get(&table.to_ascii_lowercase())
        .map(|caches| caches.iter().filter_map(WeakCache::upgrade).collect())
        .unwrap_or_default()
}

/// Every live cache some manager uses, once each.
pub(crate) fn caches() -> Vec<Cache> {
    let map = TABLES.read().unwrap_or_else(|p| p.into_inner());
    let mut out: Vec<Cache> = Vec::new();
    for cache in map.values().flatten().filter_map(WeakCache::upgrade) {
        if !out.iter().any(|c| c.same(&cache)) {
            out.push(cache);
        }
    }
    out
}
