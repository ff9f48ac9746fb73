//! [`Manager`]: cached reads and invalidating writes for one model.

use crate::error::{Error, Result};
use crate::model::{
    CachedModel, InsertQuery, ListFilter, ModelQueries, UniqueKey, UpdateQuery, WhereQuery,
};
use crate::tags::{TableTag, Tags};
use cache_core::{Cache, Lookup, Namespace};
use diesel::QueryResult;
use std::marker::PhantomData;
use std::time::Duration;

/// The cache manager of model `M`: `all`, `get`, `find` and the write hooks.
///
/// Reads go to the cache first and to the database on a miss; a cache that
/// fails is logged and bypassed (reads never fail because of the cache).
/// Writes run the statement, then invalidate exactly the tags it touched.
pub struct Manager<M> {
    cache: Cache,
    _model: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Manager<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("cache", &self.cache)
            .finish()
    }
}

/// Which kind of entry a log line is about.
#[derive(Debug, Clone, Copy)]
enum Kind {
    List,
    Detail,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Detail => "detail",
        }
    }
}

/// How a read-through entry is keyed, tagged and timed.
struct Entry<T> {
    kind: Kind,
    key: String,
    tags: Vec<String>,
    /// How many of `tags` a loaded value depends on.
    depends_on: fn(&T) -> usize,
    /// How long a loaded value lives.
    timeout: fn(&T) -> Duration,
}

impl<M: CachedModel> Manager<M> {
    /// A manager over `cache`.
    pub fn new(cache: Cache) -> Self {
        Manager {
            cache,
            _model: PhantomData,
        }
    }

    /// A manager over the process's default cache (`CACHE_URL`, or
    /// in-process memory). A `CACHE_URL` that does not parse is logged and
    /// replaced by a cache that stores nothing, so reads still work.
    pub fn from_default_cache() -> Self {
        let cache = cache_core::caches().default_cache().unwrap_or_else(|e| {
            tracing::error!(model = M::INFO.name, error = %e, "default cache unusable; caching disabled");
            Cache::from_url("dummy://").expect("dummy:// always parses")
        });
        Self::new(cache)
    }

    /// The cache this manager uses.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    fn tags(&self) -> Tags<'_, M> {
        Tags::new(&self.cache)
    }

    /// The backend key of the detail entry for a unique value.
    pub fn detail_key(&self, key: &M::Unique) -> String {
        let info = M::INFO;
        self.cache.keys().build(
            Namespace::Detail,
            &[info.key, info.schema_hash, key.column()],
            &key.value_key(),
        )
    }

    /// The backend key of a list: the suffix is a readable label, the filter
    /// (or query) key is what separates lists.
    pub fn list_key(&self, suffix: Option<&str>, filter_key: &str) -> String {
        let info = M::INFO;
        let label = suffix.map_or_else(String::new, |s| format!("={s}"));
        self.cache.keys().build(
            Namespace::List,
            &[info.key, info.schema_hash, &label],
            filter_key,
        )
    }

    /// The rows matching `filter`, from the cache when there, else from the
    /// database (then stored for `list_timeout`).
    pub fn all<C>(&self, conn: &mut C, suffix: Option<&str>, filter: M::Filter) -> Result<Vec<M>>
    where
        M: ModelQueries<C>,
    {
        let entry = self.list_entry(suffix, &filter.cache_key());
        self.read_through(entry, || M::load_list(conn, &filter))
    }

    /// The rows matching an arbitrary Diesel filter expression, keyed by the
    /// query's SQL and binds.
    pub fn all_where<C>(&self, conn: &mut C, suffix: Option<&str>, expr: M::Expr) -> Result<Vec<M>>
    where
        M: WhereQuery<C>,
    {
        let (sql, load) = M::prepare_where(expr);
        let entry = self.list_entry(suffix, &format!("sql:{sql}"));
        self.read_through(entry, || load(conn))
    }

    fn list_entry(&self, suffix: Option<&str>, filter_key: &str) -> Entry<Vec<M>> {
        let tags = self.tags();
        Entry {
            kind: Kind::List,
            key: self.list_key(suffix, filter_key),
            tags: vec![tags.table(TableTag::Epoch), tags.table(TableTag::List)],
            depends_on: |_| 2,
            timeout: |_| M::INFO.list_timeout,
        }
    }

    /// The row with primary key `id`, or [`Error::NotFound`].
    pub fn get<C>(&self, conn: &mut C, id: M::Id) -> Result<M>
    where
        M: ModelQueries<C>,
    {
        self.get_unique(conn, M::unique_of_id(id))
    }

    /// The row with primary key `id`, if any.
    pub fn find<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M>>
    where
        M: ModelQueries<C>,
    {
        self.find_unique(conn, M::unique_of_id(id))
    }

    /// The row with this unique value, or [`Error::NotFound`].
    pub fn get_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<M>
    where
        M: ModelQueries<C>,
    {
        let shown = format!("{}={}", key.column(), key.value_key());
        self.find_unique(conn, key)?.ok_or(Error::NotFound {
            model: M::INFO.name,
            id: shown,
        })
    }

    /// The row with this unique value, if any. "No such row" is cached too,
    /// for `not_found_timeout`, until a row is inserted.
    pub fn find_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<Option<M>>
    where
        M: ModelQueries<C>,
    {
        let tags = self.tags();
        let entry = Entry {
            kind: Kind::Detail,
            key: self.detail_key(&key),
            tags: vec![
                tags.table(TableTag::Epoch),
                tags.unique(&key),
                tags.table(TableTag::Absent),
            ],
            depends_on: |row: &Option<M>| if row.is_some() { 2 } else { 3 },
            timeout: |row: &Option<M>| {
                if row.is_some() {
                    M::INFO.detail_timeout
                } else {
                    M::INFO.not_found_timeout
                }
            },
        };
        self.read_through(entry, || M::load_unique(conn, &key))
    }

    /// Cache first; on a miss, the database, then a fill stamped with the tag
    /// versions read before the query. Cache failures are logged and skipped.
    fn read_through<T>(&self, entry: Entry<T>, load: impl FnOnce() -> QueryResult<T>) -> Result<T>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let (model, kind, key) = (M::INFO.name, entry.kind.as_str(), entry.key.as_str());
        let stamp = match self
            .cache
            .read_tagged::<T>(key, &entry.tags, Tags::<M>::ttl())
        {
            Ok(Lookup::Hit(value)) => {
                tracing::debug!(model, kind, key, "cache hit");
                return Ok(value);
            }
            Ok(Lookup::Miss(stamp)) => {
                tracing::debug!(model, kind, key, "cache miss");
                Some(stamp)
            }
            Err(e) => {
                tracing::warn!(model, kind, key, error = %e, "cache unavailable, reading from the database");
                None
            }
        };
        let value = load()?;
        if let Some(stamp) = stamp {
            let ttl = Some((entry.timeout)(&value));
            match self
                .cache
                .fill_tagged(key, &stamp, (entry.depends_on)(&value), &value, ttl)
            {
                Ok(()) => tracing::debug!(model, kind, key, "cache fill"),
                Err(e) => tracing::warn!(model, kind, key, error = %e, "cache fill failed"),
            }
        }
        Ok(value)
    }

    /// Inserts `values` (anything `Insertable` into the table, one row or
    /// many), then invalidates the lists and cached "not found" answers.
    pub fn insert<C, V>(&self, conn: &mut C, values: V) -> Result<usize>
    where
        M: InsertQuery<C, V>,
    {
        let n = M::insert(conn, values)?;
        let tags = self.tags();
        self.invalidate(
            "insert",
            vec![tags.table(TableTag::List), tags.table(TableTag::Absent)],
        );
        Ok(n)
    }

    /// Applies `changes` (anything `AsChangeset` for the table) to the row
    /// with primary key `id`, then invalidates its detail entries under the
    /// old and the new values of every unique column, and the lists.
    pub fn update<C, V>(&self, conn: &mut C, id: M::Id, changes: V) -> Result<usize>
    where
        M: UpdateQuery<C, V> + ModelQueries<C>,
    {
        let key = M::unique_of_id(id.clone());
        let before = M::load_unique(conn, &key)?;
        let n = M::update_by_id(conn, &id, changes)?;
        let after = M::load_unique(conn, &key)?;
        self.invalidate_rows("update", &key, [before, after].iter().flatten());
        Ok(n)
    }

    /// Writes every field of `row` to its row (the model must derive
    /// `AsChangeset`), then invalidates as [`Manager::update`].
    pub fn save<'r, C>(&self, conn: &mut C, row: &'r M) -> Result<usize>
    where
        M: UpdateQuery<C, &'r M> + ModelQueries<C>,
    {
        self.update(conn, row.id(), row)
    }

    /// Deletes the row with primary key `id`, then invalidates its detail
    /// entries and the lists.
    pub fn delete<C>(&self, conn: &mut C, id: M::Id) -> Result<usize>
    where
        M: ModelQueries<C>,
    {
        let key = M::unique_of_id(id.clone());
        let before = M::load_unique(conn, &key)?;
        let n = M::delete_by_id(conn, &id)?;
        self.invalidate_rows("delete", &key, before.iter());
        Ok(n)
    }

    /// Applies `changes` to every row matching `filter` (a bulk update), then
    /// invalidates every entry of the model: one tag, however many rows.
    pub fn update_where<C, V>(&self, conn: &mut C, filter: M::Filter, changes: V) -> Result<usize>
    where
        M: UpdateQuery<C, V>,
    {
        let n = M::update_filtered(conn, &filter, changes)?;
        self.invalidate_all();
        Ok(n)
    }

    /// Invalidates every entry of the model (for writes made behind the
    /// managers' back: another program, a trigger, raw SQL).
    pub fn invalidate_all(&self) {
        self.invalidate("invalidate_all", vec![self.tags().table(TableTag::Epoch)]);
    }

    /// Invalidates the entries of the row with primary key `id` and the lists.
    pub fn invalidate_id(&self, id: M::Id) {
        let key = M::unique_of_id(id);
        self.invalidate_rows("invalidate", &key, std::iter::empty());
    }

    fn invalidate_rows<'r>(
        &self,
        why: &'static str,
        key: &M::Unique,
        rows: impl Iterator<Item = &'r M>,
    ) {
        let tags = self.tags();
        let mut bump = vec![tags.table(TableTag::List), tags.unique(key)];
        for row in rows {
            bump.extend(row.unique_keys().iter().map(|k| tags.unique(k)));
        }
        bump.sort();
        bump.dedup();
        self.invalidate(why, bump);
    }

    fn invalidate(&self, why: &'static str, tags: Vec<String>) {
        let model = M::INFO.name;
        match self.cache.bump_tags(&tags, Tags::<M>::ttl()) {
            Ok(()) => tracing::debug!(model, why, tags = ?tags, "cache invalidate"),
            Err(e) => {
                tracing::error!(model, why, tags = ?tags, error = %e, "cache invalidation failed")
            }
        }
    }
}
