//! Cached query functions: what `#[cached_query]` expands to, and the
//! registry that finds one by its label (django-cache's `get_cache`).
//!
//! An entry's key is the label, a hash of the result type as the
//! signature spells it (so a build whose result type has another name or
//! shape never reads this one's entries), and the function's arguments (as
//! JSON, so distinct argument lists never share a key); it depends on the
//! `epoch` and `list` tags of every table in `depends_on`, which every
//! write through the managers or a tracked connection bumps, and on the
//! query's own tag, bumped by [`CachedQuery::invalidate`].
//!
//! Results are cached through their own serde impls (structs inside them
//! by field name: a build that reorders a result struct's fields reads the
//! same values, one that renames a field misses) and are `Clone`: the
//! in-process cache keeps a hit's decoded value and hands out copies.

use crate::keys::{QueryTags, query_key, query_tag};
use crate::metrics::reads::{Kind, ReadMetrics, Started};
use crate::model::CachedModel;
use crate::tracking::{self, ReadPolicy};
use cache_core::__engine::WithEngine;
use cache_core::__engine::{Counter, Plan, Shape, Stats};
use cache_core::{Cache, StatsSnapshot, Ttl};
use diesel::{Connection, QueryResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::Duration;

/// One cached query function (a `static` made by `#[cached_query]`).
pub struct CachedQuery {
    label: &'static str,
    result_type: &'static str,
    timeout: Duration,
    soft_timeout: Option<Duration>,
    tables: &'static [fn() -> &'static str],
    cache: RwLock<Option<Cache>>,
    stats: Stats,
    /// Its reads in the `metrics` facade, from its first call.
    reads: std::sync::OnceLock<ReadMetrics>,
}

/// Every `#[cached_query]` function of the program, gathered by the linker
/// (each expansion adds an entry): a query is found by its label before
/// its first call, so `use_cache` can point it elsewhere first.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static CACHED_QUERIES: [fn() -> &'static CachedQuery];

/// The queries by label, built from [`CACHED_QUERIES`] on first lookup.
static BY_LABEL: LazyLock<HashMap<&'static str, &'static CachedQuery>> = LazyLock::new(|| {
    let mut by_label = HashMap::new();
    for entry in CACHED_QUERIES {
        let query = entry();
        if let Some(first) = by_label.insert(query.label, query)
            && !std::ptr::eq(first, query)
        {
            tracing::error!(
                label = query.label,
                "two cached query functions share a label (and so their cache keys): \
                 give one another `key`; query(label) finds one of them"
            );
        }
    }
    by_label
});

/// The cached query function labelled `label` (`#[cached_query(key = ..)]`,
/// default the function's name), whether or not it has been called yet.
pub fn query(label: &str) -> Option<&'static CachedQuery> {
    BY_LABEL.get(label).copied()
}

/// The table of a model (its SQL name), for `depends_on(..)`.
pub fn table_of<M: CachedModel>() -> &'static str {
    M::table()
}

impl CachedQuery {
    /// A cached query; `tables` name the tables its result depends on
    /// (SQL names, as [`CachedModel::table`] gives them).
    pub const fn new(
        label: &'static str,
        timeout: Duration,
        soft_timeout: Option<Duration>,
        tables: &'static [fn() -> &'static str],
    ) -> Self {
        CachedQuery {
            label,
            result_type: "",
            timeout,
            soft_timeout,
            tables,
            cache: RwLock::new(None),
            stats: Stats::new(),
            reads: std::sync::OnceLock::new(),
        }
    }

    /// The same query whose keys carry `result_type`, a fingerprint of the
    /// result's type (`#[cached_query]` passes a hash of the return type as
    /// spelled): queries of one label but other result types never share
    /// an entry.
    pub const fn result_type(mut self, result_type: &'static str) -> Self {
        self.result_type = result_type;
        self
    }

    /// The label (`#[cached_query(key = "..")]`, default the function's name).
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// Uses `cache` from now on instead of the default cache.
    pub fn use_cache(&self, cache: Cache) {
        // Recorded as holding entries of the tables the results depend on,
        // before any is read: a hook write of a manager on another cache
        // reaches it, as a write the hooks never saw does.
        for table in self.tables {
            crate::registry::register(table(), &cache);
        }
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Some(cache);
    }

    /// The cache in use.
    pub fn cache(&self) -> Cache {
        if let Some(cache) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return cache.clone();
        }
        let cache = cache_core::caches().default_cache().unwrap_or_else(|e| {
            tracing::error!(query = self.label, error = %e, "default cache unusable; caching disabled");
            Cache::from_url("dummy://").expect("dummy:// always parses")
        });
        self.use_cache(cache.clone());
        cache
    }

    /// What this query's cache did.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    fn tags(&self, cache: &Cache) -> QueryTags {
        QueryTags::new(cache, self.label, self.tables.iter().map(|table| table()))
    }

    fn tag_ttl(&self) -> Ttl {
        Some(
            self.timeout
                .saturating_mul(2)
                .max(Duration::from_secs(2 * 86_400)),
        )
    }

    /// Invalidates every cached result of this query (every argument list).
    /// An error ([`Error::Invalidation`](crate::Error::Invalidation)) says
    /// the cache could not be told yet; the invalidation is owed and retried.
    pub fn invalidate(&self) -> crate::Result<()> {
        let cache = self.cache();
        self.stats.add(Counter::Invalidation, 1);
        crate::keys::tag_bumps::bump(
            &cache,
            &[query_tag(&cache, self.label)],
            None,
            self.tag_ttl(),
            self.label,
            "invalidate",
        )
    }

    /// The cached result for these arguments, if there is a valid one
    /// (never runs the query).
    pub fn peek<A, T>(&self, args: &A) -> Option<T>
    where
        A: Serialize,
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let cache = self.cache();
        let key = query_key(&cache, self.label, self.result_type, &args_key(args));
        let tags = self.tags(&cache);
        match cache.engine().read_tagged_shared::<T>(
            &key,
            tags.dependencies().tags(),
            self.tag_ttl(),
        ) {
            Ok(cache_core::__engine::Lookup::Hit { value, .. }) => Some(value),
            _ => None,
        }
    }

    /// Runs the query through the cache (what the generated function calls).
    pub fn call<C, T>(
        &'static self,
        conn: &mut C,
        args: String,
        load: impl FnOnce(&mut C) -> QueryResult<T>,
    ) -> QueryResult<T>
    where
        C: Connection,
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let policy = tracking::read_policy(conn, self.tables.iter().map(|table| table()));
        if policy == ReadPolicy::Bypass {
            return load(conn);
        }
        let cache = self.cache();
        let key = query_key(&cache, self.label, self.result_type, &args);
        let tags = self.tags(&cache);
        let deps = tags.dependencies();
        let plan = Plan {
            key: &key,
            tags: deps.tags(),
            tag_ttl: self.tag_ttl(),
            own_tag: None,
            fill: policy == ReadPolicy::Normal,
            soft_timeout: self.soft_timeout,
            stats: Some(&self.stats),
            background: None,
            source: (self.label, "query"),
        };
        let shape = |_: &T| Shape {
            depends_on: deps.depends_on().found,
            ttl: Some(self.timeout),
        };
        let reads = self.reads.get_or_init(|| {
            self.stats.report_as("query", self.label);
            ReadMetrics::of_query(self.label)
        });
        let started = Started::now();
        let query = || {
            let _query = tracing::debug_span!("cache.query").entered();
            load(conn)
        };
        let (value, outcome) = cache.engine().read_through(&plan, shape, query)?;
        reads.record(Kind::Query, outcome, started);
        tracing::debug!(query = self.label, key = %key, outcome = ?outcome, "cached query");
        Ok(value)
    }
}

/// A function's arguments as the last part of its key (JSON).
pub fn args_key<A: Serialize + ?Sized>(args: &A) -> String {
    serde_json::to_string(args).unwrap_or_else(|e| format!("!{e}"))
}
