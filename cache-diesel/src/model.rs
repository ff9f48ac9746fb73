//! What `#[derive(Cached)]` implements for a model: its static facts
//! ([`CachedModel`]) and, per connection type, its queries.

use crate::form::CacheForm;
use diesel::QueryResult;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

mod queries;
mod where_query;
#[cfg(feature = "async")]
pub use queries::AsyncModelQueries;
pub use queries::ModelQueries;
#[cfg(feature = "async")]
pub use where_query::{AsyncWhereLoader, AsyncWhereQuery, async_where_loader};
pub use where_query::{WhereLoader, WhereQuery};

/// Static facts about a cached model, written by the derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    /// The Rust type's name (`Product`), for messages and logs.
    pub name: &'static str,
    /// The cache key (`#[cache(key = ..)]`, default the type name in snake case).
    pub key: &'static str,
    /// The primary key column.
    pub primary_key: &'static str,
    /// Every unique column, the primary key first (what `Unique` values name).
    pub unique_columns: &'static [&'static str],
    /// Every column the model maps (what its writes can name the values of).
    pub columns: &'static [&'static str],
    /// The `filter(..)` columns, in order (lists depend on the value tags
    /// of the first one a filter sets).
    pub filter_columns: &'static [&'static str],
    /// The `order_by(..)` columns besides the primary key (what a list's
    /// order can follow).
    pub order_columns: &'static [&'static str],
    /// Hash of the struct's field names and types and `version`: a deploy
    /// that changes the struct never reads entries written by the old one.
    /// (Keys use [`CachedModel::record_schema_hash`], which folds in the
    /// relations of a model that has them.)
    pub schema_hash: &'static str,
    /// How long lists live.
    pub list_timeout: Duration,
    /// How long found rows live.
    pub detail_timeout: Duration,
    /// How long "no such row" lives (negative caching).
    pub not_found_timeout: Duration,
    /// Whether lists load the prefetched relations (qscache's
    /// `use_prefetch_related_for_list`).
    pub prefetch_for_list: bool,
    /// Past this age an entry is refreshed by one caller while the others
    /// are served the old value (serve-stale); `None`: never.
    pub soft_timeout: Option<Duration>,
    /// Whether that refresh runs on a background thread (every caller is
    /// served the old value) instead of inline.
    pub background_refresh: bool,
    /// Whether lists and counts hold the ids of their rows, the rows read
    /// from their own entries (`#[cache(id_lists)]`): a write that changes
    /// no column a list filters or orders by leaves the lists valid.
    pub id_lists: bool,
    /// The table whose rows the model's table, an updatable view, shows
    /// with their columns under their own names (`#[cache(view_of = ..)]`):
    /// its writes invalidate that table's entries precisely.
    pub view_of: Option<&'static str>,
}

/// A value of one of a model's unique columns (its primary key included):
/// something a single row can be looked up by.
pub trait UniqueKey: Clone + fmt::Debug + Send + Sync + 'static {
    /// The column's name.
    fn column(&self) -> &'static str;
    /// The value, as the last part of a cache key.
    fn value_key(&self) -> String {
        let mut key = String::new();
        self.value_key_into(&mut key);
        key
    }
    /// [`value_key`](Self::value_key) written at the end of `out`.
    fn value_key_into(&self, out: &mut String);
}

/// A typed list filter, generated per model from `#[cache(filter(..))]`.
pub trait ListFilter: Clone + Default + fmt::Debug + Send + Sync + 'static {
    /// A canonical rendering of the filter: equal filters, equal keys;
    /// different filters, different keys (the order and window included).
    fn cache_key(&self) -> String;
    /// The key of the conditions alone (what `count` is keyed by: every
    /// page of one list shares its count).
    fn conditions_key(&self) -> String;
    /// Whether the filter selects a window of the matching rows (`limit`,
    /// `offset` or `after` set): bulk writes refuse such a filter.
    fn is_window(&self) -> bool {
        false
    }
    /// The column of the filter's first condition (in the model's
    /// `filter(..)` order) and the keys of the values it selects (one per
    /// value of an `IN`): the value tags a list, page or count of this
    /// filter depends on. `None`: no condition (the list depends on the
    /// table-wide tag).
    fn value_condition(&self) -> Option<(&'static str, Vec<String>)> {
        None
    }
}

/// A model that `#[derive(Cached)]` manages.
///
/// Models are `Clone`: the in-process cache keeps decoded rows and hands out
/// copies. They are cached in their `CacheForm` (a field tuple), not through their own
/// `Serialize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a cached model",
    label = "not a cached model",
    note = "derive `Cached` on `{Self}`: the models named in `select_related(..)`, `prefetch(..)` and `depends_on(..)` must be cached models too"
)]
pub trait CachedModel:
    CacheForm + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The primary key's type.
    type Id: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync;
    /// The generated enum of unique column values (`ProductUnique`).
    type Unique: UniqueKey;
    /// The generated list filter (`ProductFilter`).
    type Filter: ListFilter;
    /// What `get` and `all` return: the model itself, or (with relations)
    /// the generated record holding the model and its related rows.
    type Record: CacheForm + Clone + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Static facts.
    #[doc(hidden)]
    const INFO: ModelInfo;
    /// The table's SQL name, from Diesel's own rendering of the table
    /// (`#[sql_name]` and schema applied; the last part, lower-cased, as
    /// the write tracker names the tables a statement writes): invalidation
    /// tags are per table, and keys name it.
    fn table() -> &'static str;
    /// The schema hash of what `get` and `all` cache: [`ModelInfo::schema_hash`],
    /// folded, for a model with relations, with each relation's name and
    /// kind and its model's own schema hash, in the record's order.
    #[doc(hidden)]
    fn record_schema_hash() -> &'static str {
        Self::INFO.schema_hash
    }
    /// This row's primary key.
    fn id(&self) -> Self::Id;
    /// A primary key as a unique lookup.
    fn unique_of_id(id: Self::Id) -> Self::Unique;
    /// Every unique value of this row, primary key first.
    #[doc(hidden)]
    fn unique_keys(&self) -> Vec<Self::Unique>;
    /// The model inside a record.
    fn record_model(record: &Self::Record) -> &Self;
    /// Whether a row is all a record holds (a model without relations):
    /// a written row may then be put in place ([`CachedModel::record_of_row`]).
    #[doc(hidden)]
    const ROW_IS_RECORD: bool = false;
    /// A row as what `get` caches, where the row is all of it (see
    /// [`CachedModel::ROW_IS_RECORD`]); `None` otherwise (a written row is
    /// then not put in place: its related rows are not known).
    #[doc(hidden)]
    fn record_of_row(row: Self) -> Option<Self::Record> {
        let _ = row;
        None
    }
    /// The SQL name and value key of every column the model maps, as the
    /// value tags of a write name them.
    /// (The columns of [`ModelInfo::columns`], each read by
    /// [`CachedModel::column_value_into`]: the derive writes that one
    /// alone.)
    #[doc(hidden)]
    fn column_values(&self) -> Vec<ColumnValue> {
        let info = &Self::INFO;
        let mut values = Vec::with_capacity(info.columns.len());
        for &column in info.columns {
            let mut value = String::new();
            if self.column_value_into(column, &mut value) {
                values.push((column, value));
            }
        }
        values
    }
    /// The value key of one column of [`CachedModel::column_values`],
    /// without the others', written at the end of `out`; `false`: the
    /// model does not map the column.
    #[doc(hidden)]
    fn column_value_into(&self, column: &str, out: &mut String) -> bool {
        let _ = (column, out);
        false
    }
}

/// [`ModelQueries::delete_by_id`] on an async connection type `C`.
#[cfg(feature = "async")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no async cached delete on `{C}`",
    label = "cache-diesel generated no async writes for this connection type",
    note = "cache-diesel's async writes exist for `diesel_async::AsyncPgConnection` (feature `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`) and `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`)"
)]
pub trait AsyncDeleteQuery<C>: CachedModel {
    /// Deletes the row with this primary key and returns it.
    fn delete_by_id(
        conn: &mut C,
        id: &Self::Id,
    ) -> impl std::future::Future<Output = QueryResult<Option<Self>>> + Send;
    /// The whole sync hook, where the connection runs its statements (see
    /// [`AsyncUpdateQuery::update_whole`]).
    #[doc(hidden)]
    fn delete_whole<'c>(
        _conn: &'c mut C,
        _manager: &crate::Manager<Self>,
        id: Self::Id,
    ) -> Whole<'c, Option<Self>, Self::Id> {
        Err(id)
    }
}

/// [`InsertQuery`] on an async connection type `C`; `'q` is the lifetime
/// of what the values borrow (the statement's future holds them).
#[cfg(feature = "async")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no async cached insert of `{V}` on `{C}`",
    label = "no async insert of these values on this connection type",
    note = "either `{V}` is not `Insertable` into the model's table (or not `Send`), or cache-diesel generated no async writes for `{C}`: they exist for `diesel_async::AsyncPgConnection` (feature `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`) and `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`, with `'static` values)"
)]
pub trait AsyncInsertQuery<'q, C, V>: CachedModel {
    /// [`InsertQuery::insert_returning`].
    fn insert_returning<'c>(conn: &'c mut C, values: V) -> BoxFuture<'c, QueryResult<Vec<Self>>>
    where
        'q: 'c;
    /// [`InsertQuery::insert_execute`].
    fn insert_execute<'c>(conn: &'c mut C, values: V) -> BoxFuture<'c, QueryResult<usize>>
    where
        'q: 'c;
    /// The whole sync hook `insert_many`, where the connection runs its
    /// statements (see [`AsyncUpdateQuery::update_whole`]).
    #[doc(hidden)]
    fn insert_whole<'c>(
        _conn: &'c mut C,
        _manager: &crate::Manager<Self>,
        values: V,
    ) -> Whole<'c, Vec<Self>, V>
    where
        'q: 'c,
    {
        Err(values)
    }
}

/// [`UpdateQuery`] on an async connection type `C`; `'q` as for
/// [`AsyncInsertQuery`].
#[cfg(feature = "async")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no async cached update with `{V}` on `{C}`",
    label = "no async update with these changes on this connection type",
    note = "either `{V}` is not `AsChangeset` for the model's table (or not `Send`), or cache-diesel generated no async writes for `{C}`: they exist for `diesel_async::AsyncPgConnection` (feature `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`) and `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`, with `'static` changes)"
)]
pub trait AsyncUpdateQuery<'q, C, V>: CachedModel {
    /// [`UpdateQuery::update_by_id`].
    fn update_by_id<'c>(
        conn: &'c mut C,
        id: Self::Id,
        changes: V,
    ) -> BoxFuture<'c, QueryResult<Option<Updated<Self>>>>
    where
        'q: 'c;
    /// [`UpdateQuery::update_filtered`].
    fn update_filtered<'c>(
        conn: &'c mut C,
        filter: Self::Filter,
        changes: V,
    ) -> BoxFuture<'c, QueryResult<UpdatedRows<Self>>>
    where
        'q: 'c;
    /// The whole sync hook `update`, run where the connection runs its
    /// statements, for a connection that runs each as a blocking task
    /// (SQLite's wrapper): its `BEGIN IMMEDIATE`, statement, announcement
    /// and `COMMIT` then run in one task, which a dropped future cannot
    /// part. `Err` gives the values back: the async hook runs instead
    /// (the default).
    #[doc(hidden)]
    fn update_whole<'c>(
        _conn: &'c mut C,
        _manager: &crate::Manager<Self>,
        id: Self::Id,
        changes: V,
    ) -> Whole<'c, Option<Self>, (Self::Id, V)>
    where
        'q: 'c,
    {
        Err((id, changes))
    }
    /// The whole sync hook `update_where` (see
    /// [`update_whole`](Self::update_whole)).
    #[doc(hidden)]
    fn update_where_whole<'c>(
        _conn: &'c mut C,
        _manager: &crate::Manager<Self>,
        filter: Self::Filter,
        changes: V,
    ) -> Whole<'c, usize, (Self::Filter, V)>
    where
        'q: 'c,
    {
        Err((filter, changes))
    }
}

/// What a `*_whole` hook method returns: the whole hook's future, or the
/// values given back (the async hook runs instead).
#[cfg(feature = "async")]
#[doc(hidden)]
pub type Whole<'c, T, Back> = std::result::Result<BoxFuture<'c, crate::Result<T>>, Back>;

/// A boxed future that can move between threads (what the async hooks
/// return: see [`AsyncInsertQuery`]).
#[cfg(feature = "async")]
pub use cache_core::__engine::BoxFuture;

/// Inserts of values `V` (anything `Insertable` into the model's table).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no cached insert of `{V}` on `{C}`",
    label = "no insert of these values on this connection type",
    note = "either `{V}` is not `Insertable` into the model's table, or cache-diesel generated no queries for `{C}`: it does for the connection types of its enabled features, `sqlite` (SqliteConnection), `postgres` (PgConnection), `mysql` (MysqlConnection), and with `r2d2` their pooled connections"
)]
pub trait InsertQuery<C, V>: CachedModel {
    /// Runs the insert and returns the inserted rows, as the database wrote
    /// them (generated keys, defaults): through `RETURNING`, or on MySQL
    /// read back by `LAST_INSERT_ID()` in the insert's transaction.
    fn insert_returning(conn: &mut C, values: V) -> QueryResult<Vec<Self>>;
    /// Runs the insert and returns the number of rows inserted: one
    /// statement on every database, nothing read back.
    fn insert_execute(conn: &mut C, values: V) -> QueryResult<usize>;
}

/// One column's value as a value tag names it: the column's SQL name and
/// the value's key (its JSON, as a filter's key writes it).
pub type ColumnValue = (&'static str, String);

/// A row an update wrote, and what it was looked up by before.
#[derive(Debug, Clone)]
pub struct Updated<M: CachedModel> {
    /// The row after the update.
    pub row: M,
    /// The unique values (primary key first) the row had before the update:
    /// the cached lookups by them are stale now.
    pub before: Vec<M::Unique>,
    /// Every column's value before the update (the SQL name and value key
    /// of each column the model maps), when the update read them: the
    /// lists that held the row are stale now. `None`: not read (every
    /// filtered list of the table is invalidated instead).
    pub old_values: Option<Vec<ColumnValue>>,
}

/// What a bulk update wrote: how many rows, or, where the database returns
/// them with their old values in the same statement (PostgreSQL), the rows.
#[derive(Debug, Clone)]
pub enum UpdatedRows<M: CachedModel> {
    /// This many rows; which ones is not known.
    Counted(usize),
    /// These rows, with their old values.
    Rows(Vec<Updated<M>>),
}

impl<M: CachedModel> UpdatedRows<M> {
    /// How many rows were updated.
    pub fn len(&self) -> usize {
        match self {
            UpdatedRows::Counted(n) => *n,
            UpdatedRows::Rows(rows) => rows.len(),
        }
    }

    /// Whether no row was updated.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Updates with changes `V` (anything `AsChangeset` for the model's table).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no cached update with `{V}` on `{C}`",
    label = "no update with these changes on this connection type",
    note = "either `{V}` is not `AsChangeset` for the model's table, or cache-diesel generated no queries for `{C}`: it does for the connection types of its enabled features, `sqlite` (SqliteConnection), `postgres` (PgConnection), `mysql` (MysqlConnection), and with `r2d2` their pooled connections"
)]
pub trait UpdateQuery<C, V>: CachedModel {
    /// Updates the row with this primary key and returns it with its unique
    /// values from before the update (`None`: there is no such row, and
    /// nothing was written). Atomic: no other write to the row can come
    /// between the old values and the update.
    fn update_by_id(conn: &mut C, id: &Self::Id, changes: V) -> QueryResult<Option<Updated<Self>>>;
    /// Updates every row matching `filter` (with their old values where
    /// the statement can return them).
    fn update_filtered(
        conn: &mut C,
        filter: &Self::Filter,
        changes: V,
    ) -> QueryResult<UpdatedRows<Self>>;
}

/// No connection at all: every model's queries on it exist and can never
/// run. With a single backend enabled, a model would otherwise have one
/// query impl, from which the compiler takes the caller's connection type
/// (``expected `&mut SqliteConnection`, found `&mut MysqlConnection` ``);
/// with this second one it reads the caller's type and reports the missing
/// impl with [`ModelQueries`]' message, which names the feature.
#[doc(hidden)]
#[derive(Debug)]
pub enum NoConnection {}

impl<M: CachedModel> ModelQueries<NoConnection> for M {
    fn load_unique(conn: &mut NoConnection, _: &M::Unique) -> QueryResult<Option<M>> {
        match *conn {}
    }
    fn load_list(conn: &mut NoConnection, _: &M::Filter) -> QueryResult<Vec<M>> {
        match *conn {}
    }
    fn load_record(conn: &mut NoConnection, _: &M::Unique) -> QueryResult<Option<M::Record>> {
        match *conn {}
    }
    fn load_records(
        conn: &mut NoConnection,
        _: &M::Filter,
        _: bool,
    ) -> QueryResult<Vec<M::Record>> {
        match *conn {}
    }
    fn load_many(conn: &mut NoConnection, _: &[M::Unique]) -> QueryResult<Vec<M::Record>> {
        match *conn {}
    }
    fn count_list(conn: &mut NoConnection, _: &M::Filter) -> QueryResult<i64> {
        match *conn {}
    }
    fn related_tables() -> &'static [String] {
        &[]
    }
    fn delete_by_id(conn: &mut NoConnection, _: &M::Id) -> QueryResult<Option<M>> {
        match *conn {}
    }
}

impl<M: CachedModel, V> InsertQuery<NoConnection, V> for M {
    fn insert_returning(conn: &mut NoConnection, _: V) -> QueryResult<Vec<M>> {
        match *conn {}
    }
    fn insert_execute(conn: &mut NoConnection, _: V) -> QueryResult<usize> {
        match *conn {}
    }
}

impl<M: CachedModel, V> UpdateQuery<NoConnection, V> for M {
    fn update_by_id(conn: &mut NoConnection, _: &M::Id, _: V) -> QueryResult<Option<Updated<M>>> {
        match *conn {}
    }
    fn update_filtered(
        conn: &mut NoConnection,
        _: &M::Filter,
        _: V,
    ) -> QueryResult<UpdatedRows<M>> {
        match *conn {}
    }
}

/// How a related model sits in a record: one row (`select_related` on a
/// non-null foreign key), an optional row (a nullable one), or a set of
/// rows (`prefetch`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `Parent`
    One,
    /// `Option<Parent>`
    Optional,
    /// `Option<Vec<Child>>`
    Many,
}

/// A record's schema hash: the model's own `schema_hash`, then for each
/// relation in the record's order its name, its kind and its model's
/// schema hash (FNV-1a, 64 bits, as hex). Swapping two relations, or
/// changing a related model's fields, changes it.
#[doc(hidden)]
pub fn record_schema_hash(own: &str, relations: &[(&str, RelationKind, &str)]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff; // a separator no UTF-8 text contains
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    feed(b"record:1");
    feed(own.as_bytes());
    for (name, kind, hash) in relations {
        let kind: &[u8] = match kind {
            RelationKind::One => b"one",
            RelationKind::Optional => b"optional",
            RelationKind::Many => b"many",
        };
        feed(name.as_bytes());
        feed(kind);
        feed(hash.as_bytes());
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests;
