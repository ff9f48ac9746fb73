//! [`Cache`]: Django's low-level cache API, typed through serde.
//!
//! Here the cache handle and what it holds; in `construction`, how one is
//! made (from a configuration, a URL, the environment, a store); in
//! `low_level`, Django's low-level API on it (`get`, `set`, `incr`, the
//! `_many` forms, versions); in `follower_gate`, entries served only while
//! the change-stream follower keeps up; in `engine`, what the managers
//! call of the driver (`Engine`), apart from the cache's own API.

mod construction;
pub(crate) mod engine;
mod follower_gate;
mod low_level;

use crate::backend::Backend;
use crate::config::CacheConfig;
use crate::driver::cache::engine::WithEngine;
use crate::driver::flight::Flights;
use crate::driver::owed::OwedBumps;
use crate::error::Result;
use crate::key::KeyBuilder;
use crate::log_limit::{Cause, LogLimits, Suppressed};
use crate::stats::{Counter, Stats, StatsSnapshot};
use std::sync::{Arc, OnceLock};

/// A cache: a backend, a key prefix, a default timeout and version.
///
/// Cheap to clone (an `Arc`); clones share the backend and the counters.
///
/// ```
/// use cache_core::{Cache, Timeout};
/// use std::time::Duration;
///
/// let cache = Cache::from_url("memory://?prefix=demo").unwrap();
/// cache.set("greeting", "hello", Timeout::Default).unwrap();
/// assert_eq!(cache.get::<String>("greeting").unwrap().as_deref(), Some("hello"));
/// assert!(!cache.add("greeting", "again", Duration::from_secs(5)).unwrap());
/// assert_eq!(cache.get_or_set("n", || 41, Timeout::Never).unwrap(), 41);
/// assert_eq!(cache.incr("n", 1).unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
    /// A tenant's keys ([`Cache::tenant`]), else the cache's own.
    tenant: Option<Arc<KeyBuilder>>,
}

struct Inner {
    backend: Arc<dyn Backend>,
    keys: KeyBuilder,
    config: CacheConfig,
    stats: Stats,
    flights: Flights,
    owed: OwedBumps,
    /// When each refused key was last logged (see [`Cache::check_size`]).
    refusals: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// One log line per cause per period (see `log_limit.rs`).
    logs: LogLimits,
    /// The backend's non-blocking twin, asked for once (see
    /// [`Backend::async_store`]).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    async_store: OnceLock<Option<Arc<dyn crate::backend::AsyncStore>>>,
    /// Whether entries are served (see `follower_gate`).
    gate: follower_gate::Gate,
}

/// A [`Cache`] handle that does not keep it alive (for registries).
#[derive(Clone, Debug)]
pub struct WeakCache(std::sync::Weak<Inner>);

impl WeakCache {
    /// The cache, if it is still alive.
    pub fn upgrade(&self) -> Option<Cache> {
        self.0.upgrade().map(|inner| Cache {
            inner,
            tenant: None,
        })
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("prefix", &self.config.key_prefix)
            .finish()
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("backend", &self.inner.backend)
            .field("prefix", &self.inner.config.key_prefix)
            .finish()
    }
}

impl Cache {
    /// Whether this cache serves entries (see `follower_gate`).
    pub(crate) fn gate(&self) -> &follower_gate::Gate {
        &self.inner.gate
    }

    /// A handle that does not keep the cache alive.
    pub fn downgrade(&self) -> WeakCache {
        WeakCache(Arc::downgrade(&self.inner))
    }

    /// Whether two handles are the same cache (tenants' views of one
    /// cache are: they share its store, its tags and its counters).
    pub fn same(&self, other: &Cache) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Tenant `tenant`'s view of this cache: the same store, tags and
    /// counters, and keys of its own, so that no entry (nor low-level
    /// key) of one tenant is read by another; writes through any view
    /// invalidate every tenant's entries, as they share the tags. Every
    /// entry a manager or a cached query keeps through the view also
    /// depends on the tenant's tag, which [`Cache::invalidate_tenant`]
    /// bumps. Cheap (one key builder): make one per tenant, or per
    /// request.
    pub fn tenant(&self, tenant: &str) -> Cache {
        Cache {
            inner: self.inner.clone(),
            tenant: Some(Arc::new(self.inner.keys.for_tenant(tenant))),
        }
    }

    /// Invalidates every entry managers and cached queries keep through
    /// tenant `tenant`'s view ([`Cache::tenant`]), in every process that
    /// shares the cache, in one bump (no scan). Low-level keys are not
    /// entries: they stay. An error says the cache could not be told yet;
    /// the bump is owed and retried.
    pub fn invalidate_tenant(&self, tenant: &str) -> Result<()> {
        let keys = self.inner.keys.for_tenant(tenant);
        let tag: Vec<String> = keys.tenant_tag().map(str::to_owned).into_iter().collect();
        self.engine().bump_tags(&tag, None)
    }

    /// This cache's configuration.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// The backend, for layers that build their own keys (the model managers).
    #[inline]
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// With a local tier in front of Redis (`?local=`): whether it answers
    /// now, its tracking connection up and fresh. `None` without one.
    pub fn local_tier_ready(&self) -> Option<bool> {
        self.inner.backend.local_tier_ready()
    }

    /// The key builder, carrying this cache's prefix.
    pub(crate) fn keys(&self) -> &KeyBuilder {
        self.tenant.as_deref().unwrap_or(&self.inner.keys)
    }

    /// What this cache has done so far (`undecodable` counts the entries
    /// its store deleted because it could not return them, too).
    pub fn stats(&self) -> StatsSnapshot {
        let mut stats = self.inner.stats.snapshot();
        stats.undecodable += self.inner.backend.dropped_entries();
        stats.refused += self.inner.backend.refused_entries();
        stats
    }

    /// The backend's non-blocking twin, if it has one.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn async_store(&self) -> Option<&Arc<dyn crate::backend::AsyncStore>> {
        self.inner
            .async_store
            .get_or_init(|| self.inner.backend.clone().async_store())
            .as_ref()
    }

    pub(crate) fn flights(&self) -> &Flights {
        &self.inner.flights
    }

    #[inline]
    pub(crate) fn owed(&self) -> &OwedBumps {
        &self.inner.owed
    }

    #[inline]
    pub(crate) fn count(&self, counter: Counter, n: u64) {
        self.inner.stats.add(counter, n);
    }

    /// Whether a log line of `cause` goes out now (see
    /// `Engine::log_limit`).
    pub(crate) fn log_limit(&self, cause: Cause) -> Option<Suppressed> {
        self.inner.logs.check(cause)
    }
}
