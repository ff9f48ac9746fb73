//! [`Manager`]: cached reads and invalidating writes for one model.

use crate::catalogue;
use crate::coarse_share::CoarseShare;
use crate::error::{Error, Result};
use crate::form::{CacheForm, Form, FormRef};
use crate::id_lists::LastIds;
use crate::keys::{Dependencies, DependsOn, ModelKeys};
use crate::model::{CachedModel, ListFilter, ModelQueries, UniqueKey, WhereQuery};
pub(crate) use crate::read_metrics::Started;
use crate::read_metrics::{Kind, ReadMetrics};
use crate::registry;
use crate::rows::Rows;
use crate::source::{Missed, Reader};
use crate::tags::Tags;
use crate::tracking::{self, ReadPolicy};
use cache_core::__engine::{Counter, Outcome, Plan, Refresh, Shape, Stats};
use cache_core::{Cache, StatsSnapshot};
use diesel::{Connection, QueryResult};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
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
    /// hook run on another thread owns (see `backends::sqlite::writes_async`).
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

    /// The records matching `filter` (the rows, or with relations the
    /// generated records), from the cache when there, else from the database
    /// (then stored for `list_timeout`).
    pub fn all<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.all_via(conn, suffix, filter)
    }

    /// [`Manager::all`] through `reader`.
    pub(crate) fn all_via<C>(
        &self,
        mut reader: impl Reader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        if M::INFO.id_lists {
            return self.id_list_via(reader, suffix, filter);
        }
        let values = self
            .keys
            .filter_value_tags(catalogue::db::<C::Backend>(), &filter);
        let related = <M as ModelQueries<C>>::related_tables();
        let entry = self.all_entry(suffix, &filter, &values, related);
        let prefetch = M::INFO.prefetch_for_list;
        let background = || -> OwnedLoad<C, Rows<M::Record>> {
            let owned = filter.clone();
            Box::new(move |conn| M::load_records(conn, &owned, prefetch).map(Rows::from))
        };
        let learn = self
            .keys
            .needs_catalogue(catalogue::db::<C::Backend>(), &filter);
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::load_records(conn, &filter, prefetch).map(Rows::from)
            },
            Some(&background),
        )
    }

    /// How many rows match `filter`'s conditions (its order and window
    /// ignored), from the cache when there, else from the database (one
    /// `COUNT(*)`, then stored for `list_timeout` and invalidated as the
    /// lists are).
    pub fn count<C>(&self, conn: &mut C, suffix: Option<&str>, filter: M::Filter) -> Result<i64>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.count_via(conn, suffix, filter)
    }

    /// [`Manager::count`] through `reader`.
    pub(crate) fn count_via<C>(
        &self,
        mut reader: impl Reader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let values = self
            .keys
            .filter_value_tags(catalogue::db::<C::Backend>(), &filter);
        let (members, changed) = match M::INFO.id_lists {
            true => self.id_list_tags(catalogue::db::<C::Backend>(), &filter),
            false => Default::default(),
        };
        let mut entry = self.count_entry(suffix, &filter, &values);
        if M::INFO.id_lists {
            self.count_as_id_list(&mut entry, suffix, &filter, &members, &changed);
        }
        let background = || -> OwnedLoad<C, i64> {
            let owned = filter.clone();
            Box::new(move |conn| M::count_list(conn, &owned))
        };
        let learn = self
            .keys
            .needs_catalogue(catalogue::db::<C::Backend>(), &filter);
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::count_list(conn, &filter)
            },
            Some(&background),
        )
    }

    /// Reads how the database compares the table's text columns (see
    /// `catalogue`) before a list's load, when the list's condition is
    /// on a text value the process has not read the column of (`learn`),
    /// and `conn` is outside any transaction.
    pub(crate) fn learn_catalogue<C: Connection + 'static>(&self, learn: bool, conn: &mut C) {
        if learn && tracking::read_policy(conn, std::iter::empty()) == ReadPolicy::Normal {
            let cache = self.cache.keys().namespace_prefix();
            crate::catalogue::learn(conn, cache, M::table());
        }
    }

    /// The records (as [`all`](Self::all) returns them, relations
    /// included) matching an arbitrary Diesel filter expression, in
    /// primary key order, keyed by the query's SQL and binds. For a model
    /// with `select_related`, the expression may name the related tables'
    /// columns too. Besides the model's own tables, the entry depends on
    /// every table the query names (a subquery's, say): a write to any of
    /// them invalidates it.
    pub fn all_where<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        expr: M::Expr,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: WhereQuery<C> + ModelQueries<C>,
    {
        let (sql, load) = M::prepare_where(expr, M::INFO.prefetch_for_list);
        let mut tables = <M as ModelQueries<C>>::related_tables().to_vec();
        // The connection's own dialect: one lexing pass on every call.
        for table in crate::sql_tables::tables_named(&sql, tracking::dialect_of::<C>()) {
            if table != M::table() && !tables.contains(&table) {
                tables.push(table);
            }
        }
        let tags = self.keys.dependency_tags(&tables);
        let entry = self.list_entry(self.keys.where_key(suffix, &sql), &[], &tags, &tables);
        self.read_through(
            &mut &mut *conn,
            entry,
            |conn| load(conn).map(Rows::from),
            None::<&(dyn Fn() -> OwnedLoad<C, _> + Sync)>,
        )
    }

    /// The entry of `all(suffix, filter)`, whose records embed rows of
    /// `related_tables`; `values`: the filter's value tags (from
    /// `ModelKeys::filter_value_tags`).
    pub(crate) fn all_entry<'t>(
        &'t self,
        suffix: Option<&str>,
        filter: &M::Filter,
        values: &'t [String],
        related_tables: &'t [String],
    ) -> Entry<'t, Rows<M::Record>, impl ShapeFn<Rows<M::Record>>> {
        self.list_entry(
            self.keys.list_key(suffix, &filter.cache_key()),
            values,
            self.related_tags(related_tables),
            related_tables,
        )
    }

    /// The entry of `count(suffix, filter)` (`values` as for
    /// [`all_entry`](Self::all_entry)).
    pub(crate) fn count_entry<'t>(
        &'t self,
        suffix: Option<&str>,
        filter: &M::Filter,
        values: &'t [String],
    ) -> Entry<'t, i64, impl ShapeFn<i64>> {
        // (A count depends on no related table but a view's.)
        let (tables, tags) = self.keys.viewed();
        let mut entry = self.list_entry(
            self.keys.count_key(suffix, &filter.conditions_key()),
            values,
            tags,
            tables,
        );
        entry.kind = Kind::Count;
        entry
    }

    /// A list entry under `key` that depends on the value tags `values`
    /// (none: on the table-wide `list` tag) and on the `related` tags of
    /// the `related_tables`.
    fn list_entry<'t, T>(
        &'t self,
        key: String,
        values: &'t [String],
        related: &'t [String],
        related_tables: &'t [String],
    ) -> Entry<'t, T, impl ShapeFn<T>> {
        Entry {
            kind: Kind::List,
            key,
            deps: self.keys.list_dependencies(values, related),
            related: related_tables,
            shape: |_: &T, depends_on: DependsOn| (depends_on.found, M::INFO.list_timeout),
            value: PhantomData,
        }
    }

    /// The row (or record) with primary key `id`, or [`Error::NotFound`].
    pub fn get<C>(&self, conn: &mut C, id: M::Id) -> Result<M::Record>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.get_unique(conn, M::unique_of_id(id))
    }

    /// The row (or record) with primary key `id`, if any.
    pub fn find<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_unique(conn, M::unique_of_id(id))
    }

    /// The row (or record) with this unique value, or [`Error::NotFound`].
    pub fn get_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<M::Record>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_by(conn, &key)?.ok_or_else(|| Error::NotFound {
            model: M::INFO.name,
            id: format!("{}={}", key.column(), key.value_key()),
        })
    }

    /// The row (or record) with this unique value, if any. "No such row" is
    /// cached too, for `not_found_timeout`, until a row is inserted.
    pub fn find_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_by(conn, &key)
    }

    fn find_by<C>(&self, conn: &mut C, key: &M::Unique) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_via(conn, key)
    }

    /// A lookup by `key` through `reader`.
    pub(crate) fn find_via<C>(
        &self,
        mut reader: impl Reader<C>,
        key: &M::Unique,
    ) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let related = <M as ModelQueries<C>>::related_tables();
        let bypass = || reader.policy(std::iter::once(M::table())) == ReadPolicy::Bypass;
        let kept = self.kept_detail(related, bypass, key);
        let background = || -> OwnedLoad<C, Option<M::Record>> {
            let owned = key.clone();
            Box::new(move |conn| M::load_record(conn, &owned))
        };
        if let Some(kept) = kept {
            if crate::verify::sampled(&self.cache) {
                let value_key = key.value_key();
                let unique_tag = self.keys.unique_tag(key.column(), &value_key);
                let entry = self.detail_entry(key, value_key, &unique_tag, related);
                self.verify_hit(&entry, &background, &kept);
            }
            return Ok(kept);
        }
        let value_key = key.value_key();
        let unique_tag = self.keys.unique_tag(key.column(), &value_key);
        let related = <M as ModelQueries<C>>::related_tables();
        let entry = self.detail_entry(key, value_key, &unique_tag, related);
        let learn = self.keys.lookup_needs_catalogue(key.column());
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::load_record(conn, key)
            },
            Some(&background),
        )
    }

    /// A hit on the decoded value an in-process store keeps for the lookup
    /// by `key` (see `cache_core::Cache::read_kept`), found with the value
    /// key written into this thread's buffer, and the entry's key and tag
    /// named by their parts (a value written verbatim in keys: neither is
    /// built) or written into its buffers: what `read_through` would
    /// answer, minus four allocations and the read's plan. `None`: go the
    /// whole way (a model with `related`
    /// tables, a transaction that wrote the table, `bypass` says, no kept
    /// value).
    pub(crate) fn kept_detail(
        &self,
        related: &[String],
        bypass: impl FnOnce() -> bool,
        key: &M::Unique,
    ) -> Option<Option<M::Record>> {
        thread_local! {
            static KEYS: std::cell::RefCell<[String; 3]> =
                const { std::cell::RefCell::new([String::new(), String::new(), String::new()]) };
        }
        let viewed = self.keys.base().is_some();
        if !related.is_empty()
            || viewed
            || !self.cache.backend().capabilities().keeps_decoded
            || bypass()
        {
            return None;
        }
        let started = Started::now();
        let Form(found) = KEYS.with(|keys| {
            let mut keys = keys.try_borrow_mut().ok()?;
            let [value_key, detail, tag] = &mut *keys;
            value_key.clear();
            key.value_key_into(value_key);
            let (parts, digest) =
                self.keys
                    .kept_detail_key(key.column(), value_key, detail, tag)?;
            let kept = match parts {
                Some(parts) => self.cache.read_kept_parts(parts, digest),
                None => self.cache.read_kept(detail, digest),
            };
            let kept: Form<Option<M::Record>> = kept?;
            self.stats.add(cache_core::__engine::Counter::Hit, 1);
            match parts {
                Some(parts) => self.report_hit(Kind::Detail, &parts, started),
                None => self.report_hit(Kind::Detail, detail, started),
            }
            Some(kept)
        })?;
        Some(found)
    }

    /// The dependency tags of the related tables; built once, and first
    /// this cache is recorded as holding entries of each of them, so that a
    /// write to one (a hook of another manager on another cache, or one
    /// the hooks never saw) reaches it (`registry`).
    pub(crate) fn related_tags<'a>(&'a self, related_tables: &[String]) -> &'a [String] {
        self.keys.related_tags(related_tables, || {
            let base = self.keys.base();
            for table in related_tables.iter().map(String::as_str).chain(base) {
                registry::register(table, &self.cache);
            }
        })
    }

    /// The entry of a lookup by `key` (whose [`UniqueKey::value_key`] is
    /// `value_key`), whose tag is `unique_tag`.
    pub(crate) fn detail_entry<'t>(
        &'t self,
        key: &M::Unique,
        value_key: String,
        unique_tag: &'t str,
        related_tables: &'t [String],
    ) -> Entry<'t, Option<M::Record>, impl ShapeFn<Option<M::Record>>> {
        let column = key.column();
        Entry {
            kind: Kind::Detail,
            key: self.keys.detail_key(column, &value_key),
            deps: self.keys.detail_dependencies(
                column,
                unique_tag,
                self.related_tags(related_tables),
            ),
            related: related_tables,
            value: PhantomData,
            shape: move |row: &Option<M::Record>, depends_on: DependsOn| match row {
                // A row found under another spelling of the value (a
                // case-insensitive or trailing-space-blind collation: `TEA`
                // finds `tea`) is not stored: a write invalidates the
                // spellings it wrote, not every one the database matches.
                Some(record) if !has_value::<M>(record, column, &value_key) => {
                    (depends_on.found, Duration::ZERO)
                }
                Some(_) => (depends_on.found, M::INFO.detail_timeout),
                None => (depends_on.absent, M::INFO.not_found_timeout),
            },
        }
    }

    /// The [`Plan`] of a read of `entry`, filled unless `fill` is false,
    /// refreshed past the soft timeout by `background` when given.
    pub(crate) fn plan<'a, T, S: ShapeFn<T>>(
        &'a self,
        entry: &'a Entry<'_, T, S>,
        fill: bool,
        background: Option<&'a (dyn Fn(Refresh) -> Option<Refresh> + Sync)>,
    ) -> Plan<'a> {
        Plan {
            key: &entry.key,
            tags: entry.deps.tags(),
            tag_ttl: Tags::<M>::ttl(),
            own_tag: entry.deps.own().map(|i| (i, Tags::<M>::own_ttl())),
            fill,
            soft_timeout: M::INFO.soft_timeout,
            stats: Some(&*self.stats),
            background,
            source: (M::INFO.name, entry.kind.as_str()),
        }
    }

    /// The [`Shape`] of a loaded value of `entry`.
    pub(crate) fn shape_of<T, S: ShapeFn<T>>(entry: &Entry<'_, T, S>, value: &T) -> Shape {
        let (depends_on, ttl) = (entry.shape)(value, entry.deps.depends_on());
        Shape {
            depends_on,
            ttl: Some(ttl),
        }
    }

    /// Logs where a read of `entry` was answered from (and times a hit).
    #[inline]
    pub(crate) fn report<T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        outcome: Outcome,
        filled: bool,
        started: Started,
    ) {
        let read = (M::INFO.name, entry.kind, entry.key.as_str());
        report(&self.reads, read, outcome, filled, started);
    }

    /// Records a hit of `kind` on `key` (in the metrics, a debug line).
    #[inline]
    fn report_hit(&self, kind: Kind, key: &(impl std::fmt::Display + ?Sized), started: Started) {
        report_hit(&self.reads, (M::INFO.name, kind, &key), started);
    }

    /// The tables a read of `entry` depends on: the model's and the related.
    pub(crate) fn tables_of<'e, T, S: ShapeFn<T>>(
        entry: &'e Entry<'_, T, S>,
    ) -> impl Iterator<Item = &'e str> {
        std::iter::once(M::table()).chain(entry.related.iter().map(String::as_str))
    }

    /// Cache first; on a miss, the database (once per key and process, and
    /// across processes under a lease), then a fill stamped with the tag
    /// versions read before the query. Cache failures are logged and skipped.
    ///
    /// Inside a transaction nothing is filled (the transaction may read an
    /// older snapshot, or its own uncommitted writes), and a model the
    /// transaction wrote is read from the database only.
    pub(crate) fn read_through<C, T, S: ShapeFn<T>>(
        &self,
        reader: &mut impl Reader<C>,
        entry: Entry<'_, T, S>,
        load: impl FnOnce(&mut C) -> QueryResult<T>,
        background: Option<&(dyn Fn() -> OwnedLoad<C, T> + Sync)>,
    ) -> Result<T>
    where
        C: Connection + 'static,
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        let (model, kind, key) = (M::INFO.name, entry.kind.as_str(), entry.key.as_str());
        let missed_entry = [(key, entry.deps.tags())];
        let missed = Missed::new(&self.cache, &missed_entry);
        let policy = reader.policy(Self::tables_of(&entry));
        if policy == ReadPolicy::Bypass {
            tracing::debug!(
                model,
                kind,
                key,
                "cache bypassed: this transaction wrote a table it depends on"
            );
            return reader.load(missed, load);
        }
        let make = background;
        // The owned loader is built only when a refresh is handed out, not
        // on every read.
        let spawn = |refresh: Refresh| match background {
            Some(make) => self.refresh_in_background(&entry, make, refresh),
            None => Some(refresh),
        };
        // (A constant branch: a model without background refresh does not
        // compile the refresh's code.)
        let background = if const { M::INFO.background_refresh } {
            Some(&spawn as &(dyn Fn(Refresh) -> Option<Refresh> + Sync))
        } else {
            None
        };
        let plan = self.plan(&entry, policy == ReadPolicy::Normal, background);
        let shape = |Form(value): &Form<T>| Self::shape_of(&entry, value);
        let started = Started::now();
        let query = || {
            let _query = tracing::debug_span!("cache.query").entered();
            reader.load(missed, load).map(Form)
        };
        let (Form(value), outcome) = self.cache.read_through(&plan, shape, query)?;
        self.report(&entry, outcome, plan.fill, started);
        if let (Outcome::Hit, Some(make)) = (outcome, make) {
            self.verify_hit(&entry, make, &value);
        }
        Ok(value)
    }

    /// Hands `refresh`, with an owned loader from `make`, to the refresh
    /// workers, if a connection source for `C` is registered
    /// ([`crate::refresh_connections`]) and their queue has room; gives it
    /// back otherwise, and the caller refreshes inline.
    fn refresh_in_background<C, T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        make: &(dyn Fn() -> OwnedLoad<C, T> + Sync),
        refresh: Refresh,
    ) -> Option<Refresh>
    where
        C: Connection + 'static,
        T: CacheForm + 'static,
    {
        let Some(run) = crate::background::runner::<C>() else {
            return Some(refresh);
        };
        let load = make();
        let shape = entry.refresh_shape();
        // The job owns the refresh; a full queue hands it back through here.
        let slot = Arc::new(Mutex::new(Some(refresh)));
        let taken = slot.clone();
        let job = Box::new(move || {
            let Some(refresh) = taken.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                return;
            };
            let key = refresh.key().to_owned();
            let mut load = Some(load);
            let mut loaded = None;
            let opened = run(&mut |conn: &mut C| {
                if let Some(load) = load.take() {
                    loaded = Some(load(conn).map_err(|e| e.to_string()));
                }
            });
            let outcome = opened
                .and_then(|()| loaded.unwrap_or_else(|| Err("the refresh did not run".into())))
                .and_then(|value| {
                    refresh
                        .complete(&FormRef(&value), shape(&value))
                        .map_err(|e| e.to_string())
                });
            match outcome {
                Ok(()) => {
                    tracing::debug!(model = M::INFO.name, key = %key, "cache refreshed in the background")
                }
                Err(e) => {
                    tracing::error!(model = M::INFO.name, key = %key, error = %e, "background refresh failed; serving the old value until its hard timeout")
                }
            }
        });
        match crate::background::submit(job) {
            Ok(()) => None,
            Err(_) => {
                tracing::debug!(
                    model = M::INFO.name,
                    key = %entry.key,
                    "background refresh queue full; refreshing inline"
                );
                slot.lock().unwrap_or_else(|p| p.into_inner()).take()
            }
        }
    }
}

/// Whether `record`'s row has `value_key` in unique column `column`, to
/// the letter.
fn has_value<M: CachedModel>(record: &M::Record, column: &str, value_key: &str) -> bool {
    M::record_model(record)
        .unique_keys()
        .iter()
        .any(|k| k.column() == column && k.value_key() == value_key)
}

/// [`Manager::report`], compiled once: the model, kind and key of a
/// read.
fn report(
    reads: &ReadMetrics,
    read: (&str, Kind, &str),
    outcome: Outcome,
    filled: bool,
    started: Started,
) {
    let (model, kind, key) = read;
    match outcome {
        Outcome::Hit => return report_hit(reads, (model, kind, &key), started),
        Outcome::Loaded if filled => {
            let kind = kind.as_str();
            tracing::debug!(model, kind, key, "cache miss");
            tracing::debug!(model, kind, key, "cache fill");
        }
        other => tracing::debug!(model, kind = kind.as_str(), key, outcome = ?other, "cache miss"),
    }
    reads.record(kind, outcome, started);
}

/// [`Manager::report_hit`], compiled once.
fn report_hit(reads: &ReadMetrics, read: (&str, Kind, &dyn std::fmt::Display), started: Started) {
    let (model, kind, key) = read;
    reads.record(kind, Outcome::Hit, started);
    tracing::debug!(model, kind = kind.as_str(), %key, "cache hit")
}
