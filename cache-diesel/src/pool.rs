//! r2d2 pools (feature `r2d2`): pooled connections used directly, and a
//! customizer that makes every connection of a pool cache-aware.
//!
//! A `diesel::r2d2::PooledConnection<ConnectionManager<C>>` is a Diesel
//! connection of its own type. The queries `#[derive(Cached)]` generates
//! are implemented per concrete connection type (`SqliteConnection`,
//! `PgConnection`); the impls here forward them from the pooled type to the
//! connection inside, so `Product::cache().get(&mut pooled, 1)` and the
//! write hooks take `&mut pooled` whichever backends are enabled:
//!
//! ```
//! # use cache_diesel::Cached;
//! # use diesel::prelude::*;
//! # use serde::{Deserialize, Serialize};
//! # diesel::table! { products (id) { id -> Integer, title -> Text } }
//! # #[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
//! # #[diesel(table_name = products)]
//! # pub struct Product { pub id: i32, pub title: String }
//! use diesel::r2d2::{ConnectionManager, Pool};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = std::env::temp_dir().join(format!("pool_doc_{}.sqlite", std::process::id()));
//! # let url = path.to_string_lossy().into_owned();
//! let pool = Pool::builder()
//!     .connection_customizer(Box::new(cache_diesel::TrackConnections::new()))
//!     .build(ConnectionManager::<SqliteConnection>::new(&url))?;
//! let mut conn = pool.get()?;
//! # diesel::sql_query("CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn)?;
//! Product::cache().insert(&mut conn, products::title.eq("Tea"))?;
//! assert_eq!(Product::cache().get(&mut conn, 1)?.title, "Tea");
//! diesel::update(products::table).set(products::title.eq("Green tea")).execute(&mut conn)?; // tracked
//! assert_eq!(Product::cache().get(&mut conn, 1)?.title, "Green tea");
//! # drop(conn); drop(pool); let _ = std::fs::remove_file(&path);
//! # Ok(()) }
//! ```

use crate::connections::Pooled;
use crate::model::{InsertQuery, ModelQueries, UpdateQuery, Updated, WhereLoader, WhereQuery};
use crate::tracking::CacheTracking;
use cache_core::Cache;
use diesel::connection::Instrumentation;
use diesel::r2d2::{CustomizeConnection, NopConnectionCustomizer, R2D2Connection};
use diesel::{Connection, QueryResult};
use std::sync::Arc;

impl<M, C> ModelQueries<Pooled<C>> for M
where
    M: ModelQueries<C>,
    C: R2D2Connection + Send + 'static,
{
    fn load_unique(conn: &mut Pooled<C>, key: &Self::Unique) -> QueryResult<Option<Self>> {
        <M as ModelQueries<C>>::load_unique(conn, key)
    }
    fn load_list(conn: &mut Pooled<C>, filter: &Self::Filter) -> QueryResult<Vec<Self>> {
        <M as ModelQueries<C>>::load_list(conn, filter)
    }
    fn load_record(conn: &mut Pooled<C>, key: &Self::Unique) -> QueryResult<Option<Self::Record>> {
        <M as ModelQueries<C>>::load_record(conn, key)
    }
    fn load_records(
        conn: &mut Pooled<C>,
        filter: &Self::Filter,
        prefetch: bool,
    ) -> QueryResult<Vec<Self::Record>> {
        <M as ModelQueries<C>>::load_records(conn, filter, prefetch)
    }
    fn load_many(conn: &mut Pooled<C>, keys: &[Self::Unique]) -> QueryResult<Vec<Self::Record>> {
        <M as ModelQueries<C>>::load_many(conn, keys)
    }
    fn count_list(conn: &mut Pooled<C>, filter: &Self::Filter) -> QueryResult<i64> {
        <M as ModelQueries<C>>::count_list(conn, filter)
    }
    fn related_tables() -> &'static [String] {
        <M as ModelQueries<C>>::related_tables()
    }
    fn delete_by_id(conn: &mut Pooled<C>, id: &Self::Id) -> QueryResult<Option<Self>> {
        <M as ModelQueries<C>>::delete_by_id(conn, id)
    }
}

impl<M, C, V> InsertQuery<Pooled<C>, V> for M
where
    M: InsertQuery<C, V>,
    C: R2D2Connection + Send + 'static,
{
    fn insert_returning(conn: &mut Pooled<C>, values: V) -> QueryResult<Vec<Self>> {
        <M as InsertQuery<C, V>>::insert_returning(conn, values)
    }
    fn insert_execute(conn: &mut Pooled<C>, values: V) -> QueryResult<usize> {
        <M as InsertQuery<C, V>>::insert_execute(conn, values)
    }
}

impl<M, C, V> UpdateQuery<Pooled<C>, V> for M
where
    M: UpdateQuery<C, V>,
    C: R2D2Connection + Send + 'static,
{
    fn update_by_id(
        conn: &mut Pooled<C>,
        id: &Self::Id,
        changes: V,
    ) -> QueryResult<Option<Updated<Self>>> {
        <M as UpdateQuery<C, V>>::update_by_id(conn, id, changes)
    }
    fn update_filtered(
        conn: &mut Pooled<C>,
        filter: &Self::Filter,
        changes: V,
    ) -> QueryResult<crate::model::UpdatedRows<Self>> {
        <M as UpdateQuery<C, V>>::update_filtered(conn, filter, changes)
    }
}

impl<M, C> WhereQuery<Pooled<C>> for M
where
    M: WhereQuery<C>,
    C: R2D2Connection + Send + 'static,
{
    type Expr = <M as WhereQuery<C>>::Expr;
    fn prepare_where(expr: Self::Expr, prefetch: bool) -> (String, WhereLoader<Pooled<C>, Self>) {
        let (sql, load) = <M as WhereQuery<C>>::prepare_where(expr, prefetch);
        (sql, Box::new(move |conn: &mut Pooled<C>| load(conn)))
    }
}

/// Makes an extra instrumentation for each connection.
type MakeInstrumentation = Arc<dyn Fn() -> Box<dyn Instrumentation> + Send + Sync>;

/// An r2d2 connection customizer that makes every connection of the pool
/// cache-aware as it is opened: it installs
/// [`CacheTracking::for_connection::<C>()`](CacheTracking::for_connection),
/// as [`track`](crate::track) does for one connection.
///
/// ```text
/// Pool::builder()
///     .connection_customizer(Box::new(cache_diesel::TrackConnections::new()))
///     .build(ConnectionManager::<PgConnection>::new(url))?
/// ```
///
/// A pool has one customizer: [`TrackConnections::then`] runs yours after
/// the tracker is installed, and [`TrackConnections::with`] keeps an
/// instrumentation of your own (a logger, a query counter) beside it.
pub struct TrackConnections<S = NopConnectionCustomizer> {
    caches: Option<Vec<Cache>>,
    with: Option<MakeInstrumentation>,
    then: S,
}

impl TrackConnections {
    /// Tracks every connection of the pool.
    pub fn new() -> Self {
        TrackConnections {
            caches: None,
            with: None,
            then: NopConnectionCustomizer,
        }
    }
}

impl Default for TrackConnections {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> TrackConnections<S> {
    /// Invalidates the tables the connections write behind the hooks in
    /// these caches only ([`CacheTracking::for_caches`]).
    pub fn for_caches(mut self, caches: impl IntoIterator<Item = Cache>) -> Self {
        self.caches = Some(caches.into_iter().collect());
        self
    }

    /// Also passes every event of each connection to an instrumentation
    /// that `make` builds for it ([`CacheTracking::with`]).
    pub fn with<I: Instrumentation>(
        mut self,
        make: impl Fn() -> I + Send + Sync + 'static,
    ) -> Self {
        self.with = Some(Arc::new(move || Box::new(make())));
        self
    }

    /// Runs `customizer` on each connection after the tracker is installed
    /// (a pool takes one customizer: yours goes here).
    pub fn then<T>(self, customizer: T) -> TrackConnections<T> {
        TrackConnections {
            caches: self.caches,
            with: self.with,
            then: customizer,
        }
    }

    fn tracking<C: Connection>(&self) -> CacheTracking {
        let mut tracking = CacheTracking::for_connection::<C>();
        if let Some(caches) = &self.caches {
            tracking = tracking.for_caches(caches.iter().cloned());
        }
        if let Some(make) = &self.with {
            tracking = tracking.with(make());
        }
        tracking
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for TrackConnections<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackConnections")
            .field("caches", &self.caches)
            .field("with", &self.with.is_some())
            .field("then", &self.then)
            .finish()
    }
}

impl<C, E, S> CustomizeConnection<C, E> for TrackConnections<S>
where
    C: Connection + 'static,
    S: CustomizeConnection<C, E>,
{
    fn on_acquire(&self, conn: &mut C) -> Result<(), E> {
        conn.set_instrumentation(self.tracking::<C>());
        self.then.on_acquire(conn)
    }

    fn on_release(&self, conn: C) {
        self.then.on_release(conn);
    }
}
