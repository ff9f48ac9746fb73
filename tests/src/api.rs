//! One test body, both APIs: a driver over the managers' sync API
//! ([`SyncApi`]: `get`, `all`, `update`, ... on a Diesel connection) and
//! one over their async API ([`AsyncApi`]: `get_async`, `all_async`,
//! `update_async`, ... on a diesel-async connection, each call run to
//! completion on a tokio runtime the driver owns). A suite writes its
//! bodies generic over [`Api`] and instantiates them once per (API ×
//! environment); the driver counts the queries of the connection under
//! test, so "a miss runs one query, a hit none" reads the same for both.
//!
//! Each operation is a trait on the model, implemented once per driver
//! ([`Reads`], [`Inserts`], [`Updates`], [`Saves`], [`Deletes`]): a body
//! states what it does with which model (`where Product: Reads<D>`) and
//! calls it on the driver (`api.get(&products, id)`).

use crate::db::{self, TestDb, query_counter};
use crate::env::{self, Opener};
use crate::models::{NewProduct, Product, ProductCache, products};
use crate::services;
use cache_diesel::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncModelQueries, AsyncUpdateQuery, Cache, CachedModel,
    InsertQuery, Manager, ModelQueries, Result, Rows, UpdateQuery,
};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a shared test body does besides the managers' calls.
pub trait Api: Sized {
    /// The environment's sync connection type (seeding, raw SQL).
    type Sync: Connection + 'static;

    /// `"sync"` or `"async"`, for messages.
    const NAME: &'static str;

    /// Queries the connection under test ran since the last call (and
    /// resets the count).
    fn take_queries(&mut self) -> usize;

    /// A sync connection to the test's tables: for the sync API the
    /// connection under test itself; for the async API another one (async
    /// connections are not tracked: see the README), uncounted.
    fn sync_conn(&mut self) -> &mut Self::Sync;

    /// Makes [`Api::sync_conn`] cache-aware (`cache_diesel::track`) for
    /// `cache`, so that its raw SQL invalidates.
    fn track(&mut self, cache: &Cache);

    /// Makes the connection under test cache-aware (`cache_diesel::track`
    /// or `track_async`) for `cache`, still counted.
    fn track_under_test(&mut self, cache: &Cache);

    /// Runs `f` and returns its result with the number of queries the
    /// connection under test ran meanwhile.
    fn counted<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, usize) {
        self.take_queries();
        let out = f(self);
        (out, self.take_queries())
    }

    /// Runs `sql` (a write the hooks never see) on [`Api::sync_conn`].
    fn raw_sql(&mut self, sql: &str) {
        self.sync_conn()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `get` / `get_async`.
    fn get<M: Reads<Self>>(&mut self, m: &Manager<M>, id: M::Id) -> Result<M::Record> {
        M::get(self, m, id)
    }
    /// `find` / `find_async`.
    fn find<M: Reads<Self>>(&mut self, m: &Manager<M>, id: M::Id) -> Result<Option<M::Record>> {
        M::find(self, m, id)
    }
    /// `find_many` / `find_many_async`.
    fn find_many<M: Reads<Self>>(
        &mut self,
        m: &Manager<M>,
        ids: Vec<M::Id>,
    ) -> Result<Vec<Option<M::Record>>> {
        M::find_many(self, m, ids)
    }
    /// `get_unique` / `get_unique_async` (what `get_by_<unique>` calls).
    fn get_unique<M: Reads<Self>>(&mut self, m: &Manager<M>, key: M::Unique) -> Result<M::Record> {
        M::get_unique(self, m, key)
    }
    /// `find_unique` / `find_unique_async` (what `find_by_<unique>` calls).
    fn find_unique<M: Reads<Self>>(
        &mut self,
        m: &Manager<M>,
        key: M::Unique,
    ) -> Result<Option<M::Record>> {
        M::find_unique(self, m, key)
    }
    /// `all` / `all_async`.
    fn all<M: Reads<Self>>(
        &mut self,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>> {
        M::all(self, m, suffix, filter)
    }
    /// `count` / `count_async`.
    fn count<M: Reads<Self>>(
        &mut self,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64> {
        M::count(self, m, suffix, filter)
    }
    /// `invalidate_all` / `invalidate_all_async`.
    fn invalidate_all<M: Reads<Self>>(&mut self, m: &Manager<M>) -> Result<()> {
        M::invalidate_all(self, m)
    }
    /// `invalidate_id` / `invalidate_id_async`.
    fn invalidate_id<M: Reads<Self>>(&mut self, m: &Manager<M>, id: M::Id) -> Result<()> {
        M::invalidate_id(self, m, id)
    }
    /// `insert` / `insert_async`.
    fn insert<M: Inserts<Self, V>, V>(&mut self, m: &Manager<M>, values: V) -> Result<M> {
        M::insert(self, m, values)
    }
    /// `insert_many` / `insert_many_async`.
    fn insert_many<M: Inserts<Self, V>, V>(&mut self, m: &Manager<M>, values: V) -> Result<Vec<M>> {
        M::insert_many(self, m, values)
    }
    /// `update` / `update_async`.
    fn update<M: Updates<Self, V>, V>(
        &mut self,
        m: &Manager<M>,
        id: M::Id,
        changes: V,
    ) -> Result<Option<M>> {
        M::update(self, m, id, changes)
    }
    /// `update_where` / `update_where_async`.
    fn update_where<M: Updates<Self, V>, V>(
        &mut self,
        m: &Manager<M>,
        filter: M::Filter,
        changes: V,
    ) -> Result<usize> {
        M::update_where(self, m, filter, changes)
    }
    /// `save` / `save_async`.
    fn save<M: Saves<Self>>(&mut self, m: &Manager<M>, row: &M) -> Result<Option<M>> {
        M::save(self, m, row)
    }
    /// `delete` / `delete_async`.
    fn delete<M: Deletes<Self>>(&mut self, m: &Manager<M>, id: M::Id) -> Result<Option<M>> {
        M::delete(self, m, id)
    }
}

/// The reads (and explicit invalidations) of model `Self` through driver `D`.
pub trait Reads<D>: CachedModel {
    /// See [`Api::get`].
    fn get(d: &mut D, m: &Manager<Self>, id: Self::Id) -> Result<Self::Record>;
    /// See [`Api::find`].
    fn find(d: &mut D, m: &Manager<Self>, id: Self::Id) -> Result<Option<Self::Record>>;
    /// See [`Api::find_many`].
    fn find_many(
        d: &mut D,
        m: &Manager<Self>,
        ids: Vec<Self::Id>,
    ) -> Result<Vec<Option<Self::Record>>>;
    /// See [`Api::get_unique`].
    fn get_unique(d: &mut D, m: &Manager<Self>, key: Self::Unique) -> Result<Self::Record>;
    /// See [`Api::find_unique`].
    fn find_unique(d: &mut D, m: &Manager<Self>, key: Self::Unique)
    -> Result<Option<Self::Record>>;
    /// See [`Api::all`].
    fn all(
        d: &mut D,
        m: &Manager<Self>,
        suffix: Option<&str>,
        filter: Self::Filter,
    ) -> Result<Rows<Self::Record>>;
    /// See [`Api::count`].
    fn count(
        d: &mut D,
        m: &Manager<Self>,
        suffix: Option<&str>,
        filter: Self::Filter,
    ) -> Result<i64>;
    /// See [`Api::invalidate_all`].
    fn invalidate_all(d: &mut D, m: &Manager<Self>) -> Result<()>;
    /// See [`Api::invalidate_id`].
    fn invalidate_id(d: &mut D, m: &Manager<Self>, id: Self::Id) -> Result<()>;
}

/// Inserts of values `V` into model `Self`'s table through driver `D`.
pub trait Inserts<D, V>: CachedModel {
    /// See [`Api::insert`].
    fn insert(d: &mut D, m: &Manager<Self>, values: V) -> Result<Self>;
    /// See [`Api::insert_many`].
    fn insert_many(d: &mut D, m: &Manager<Self>, values: V) -> Result<Vec<Self>>;
}

/// Updates of model `Self` with changes `V` through driver `D`.
pub trait Updates<D, V>: CachedModel {
    /// See [`Api::update`].
    fn update(d: &mut D, m: &Manager<Self>, id: Self::Id, changes: V) -> Result<Option<Self>>;
    /// See [`Api::update_where`].
    fn update_where(
        d: &mut D,
        m: &Manager<Self>,
        filter: Self::Filter,
        changes: V,
    ) -> Result<usize>;
}

/// Saves of a whole row of model `Self` through driver `D`.
pub trait Saves<D>: CachedModel {
    /// See [`Api::save`].
    fn save(d: &mut D, m: &Manager<Self>, row: &Self) -> Result<Option<Self>>;
}

/// Deletes of model `Self` through driver `D`.
pub trait Deletes<D>: CachedModel {
    /// See [`Api::delete`].
    fn delete(d: &mut D, m: &Manager<Self>, id: Self::Id) -> Result<Option<Self>>;
}

// ---------------------------------------------------------------- sync

/// The sync API on a counted Diesel connection.
pub struct SyncApi<C: Connection + 'static> {
    /// The connection under test (counted).
    pub db: TestDb<C>,
}

impl<C: Connection + 'static> Api for SyncApi<C> {
    type Sync = C;
    const NAME: &'static str = "sync";

    fn take_queries(&mut self) -> usize {
        self.db.take_queries()
    }

    fn sync_conn(&mut self) -> &mut C {
        &mut self.db.conn
    }

    fn track(&mut self, cache: &Cache) {
        self.db.track(cache);
    }

    fn track_under_test(&mut self, cache: &Cache) {
        self.db.track(cache);
    }
}

impl<C: Connection + 'static, M: ModelQueries<C>> Reads<SyncApi<C>> for M {
    fn get(d: &mut SyncApi<C>, m: &Manager<M>, id: M::Id) -> Result<M::Record> {
        m.get(&mut d.db.conn, id)
    }
    fn find(d: &mut SyncApi<C>, m: &Manager<M>, id: M::Id) -> Result<Option<M::Record>> {
        m.find(&mut d.db.conn, id)
    }
    fn find_many(
        d: &mut SyncApi<C>,
        m: &Manager<M>,
        ids: Vec<M::Id>,
    ) -> Result<Vec<Option<M::Record>>> {
        m.find_many(&mut d.db.conn, ids)
    }
    fn get_unique(d: &mut SyncApi<C>, m: &Manager<M>, key: M::Unique) -> Result<M::Record> {
        m.get_unique(&mut d.db.conn, key)
    }
    fn find_unique(
        d: &mut SyncApi<C>,
        m: &Manager<M>,
        key: M::Unique,
    ) -> Result<Option<M::Record>> {
        m.find_unique(&mut d.db.conn, key)
    }
    fn all(
        d: &mut SyncApi<C>,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>> {
        m.all(&mut d.db.conn, suffix, filter)
    }
    fn count(
        d: &mut SyncApi<C>,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64> {
        m.count(&mut d.db.conn, suffix, filter)
    }
    fn invalidate_all(_: &mut SyncApi<C>, m: &Manager<M>) -> Result<()> {
        m.invalidate_all()
    }
    fn invalidate_id(_: &mut SyncApi<C>, m: &Manager<M>, id: M::Id) -> Result<()> {
        m.invalidate_id(id)
    }
}

impl<C: Connection + 'static, M: InsertQuery<C, V>, V> Inserts<SyncApi<C>, V> for M {
    fn insert(d: &mut SyncApi<C>, m: &Manager<M>, values: V) -> Result<M> {
        m.insert(&mut d.db.conn, values)
    }
    fn insert_many(d: &mut SyncApi<C>, m: &Manager<M>, values: V) -> Result<Vec<M>> {
        m.insert_many(&mut d.db.conn, values)
    }
}

impl<C: Connection + 'static, M: UpdateQuery<C, V>, V> Updates<SyncApi<C>, V> for M {
    fn update(d: &mut SyncApi<C>, m: &Manager<M>, id: M::Id, changes: V) -> Result<Option<M>> {
        m.update(&mut d.db.conn, id, changes)
    }
    fn update_where(
        d: &mut SyncApi<C>,
        m: &Manager<M>,
        filter: M::Filter,
        changes: V,
    ) -> Result<usize> {
        m.update_where(&mut d.db.conn, filter, changes)
    }
}

impl<C: Connection + 'static, M> Saves<SyncApi<C>> for M
where
    M: for<'a> UpdateQuery<C, &'a M>,
{
    fn save(d: &mut SyncApi<C>, m: &Manager<M>, row: &M) -> Result<Option<M>> {
        m.save(&mut d.db.conn, row)
    }
}

impl<C: Connection + 'static, M: ModelQueries<C>> Deletes<SyncApi<C>> for M {
    fn delete(d: &mut SyncApi<C>, m: &Manager<M>, id: M::Id) -> Result<Option<M>> {
        m.delete(&mut d.db.conn, id)
    }
}

// ---------------------------------------------------------------- async

/// The async API on a counted diesel-async connection `A`, each call run
/// to completion on the driver's runtime; `S`, a sync connection to the
/// same tables (seeding, raw SQL; it owns the test's schema or file).
pub struct AsyncApi<S: Connection + 'static, A> {
    /// The async connection under test (counted). Dropped before the runtime.
    pub conn: A,
    /// The runtime the calls run on (two worker threads).
    pub runtime: tokio::runtime::Runtime,
    /// The other connection to the same tables (uncounted).
    pub side: TestDb<S>,
    queries: Arc<AtomicUsize>,
}

impl<S: Connection + 'static, A: AsyncConnection + 'static> AsyncApi<S, A> {
    /// The driver of `conn` (opened on `runtime`) next to `side`.
    pub fn new(side: TestDb<S>, runtime: tokio::runtime::Runtime, mut conn: A) -> Self {
        let queries = Arc::new(AtomicUsize::new(0));
        conn.set_instrumentation(query_counter(queries.clone()));
        AsyncApi {
            conn,
            runtime,
            side,
            queries,
        }
    }

    /// Runs `f` on the runtime with the connection under test.
    pub fn run<'a, F: Future>(&'a mut self, f: impl FnOnce(&'a mut A) -> F) -> F::Output {
        let AsyncApi { conn, runtime, .. } = self;
        runtime.block_on(f(conn))
    }
}

/// A runtime for an [`AsyncApi`].
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

impl<S: Connection + 'static, A: AsyncConnection + 'static> Api for AsyncApi<S, A> {
    type Sync = S;
    const NAME: &'static str = "async";

    fn take_queries(&mut self) -> usize {
        self.queries.swap(0, Ordering::SeqCst)
    }

    fn sync_conn(&mut self) -> &mut S {
        &mut self.side.conn
    }

    fn track(&mut self, cache: &Cache) {
        self.side.track(cache);
    }

    fn track_under_test(&mut self, cache: &Cache) {
        let tracking =
            cache_diesel::CacheTracking::for_async_connection::<A>().for_caches([cache.clone()]);
        let counter = query_counter(self.queries.clone());
        self.conn.set_instrumentation(tracking.with(counter));
    }
}

impl<S, A, M> Reads<AsyncApi<S, A>> for M
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    M: AsyncModelQueries<A>,
{
    fn get(d: &mut AsyncApi<S, A>, m: &Manager<M>, id: M::Id) -> Result<M::Record> {
        d.run(|c| m.get_async(c, id))
    }
    fn find(d: &mut AsyncApi<S, A>, m: &Manager<M>, id: M::Id) -> Result<Option<M::Record>> {
        d.run(|c| m.find_async(c, id))
    }
    fn find_many(
        d: &mut AsyncApi<S, A>,
        m: &Manager<M>,
        ids: Vec<M::Id>,
    ) -> Result<Vec<Option<M::Record>>> {
        d.run(|c| m.find_many_async(c, ids))
    }
    fn get_unique(d: &mut AsyncApi<S, A>, m: &Manager<M>, key: M::Unique) -> Result<M::Record> {
        d.run(|c| m.get_unique_async(c, key))
    }
    fn find_unique(
        d: &mut AsyncApi<S, A>,
        m: &Manager<M>,
        key: M::Unique,
    ) -> Result<Option<M::Record>> {
        d.run(|c| m.find_unique_async(c, key))
    }
    fn all(
        d: &mut AsyncApi<S, A>,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>> {
        d.run(|c| m.all_async(c, suffix, filter))
    }
    fn count(
        d: &mut AsyncApi<S, A>,
        m: &Manager<M>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64> {
        d.run(|c| m.count_async(c, suffix, filter))
    }
    fn invalidate_all(d: &mut AsyncApi<S, A>, m: &Manager<M>) -> Result<()> {
        d.runtime.block_on(m.invalidate_all_async())
    }
    fn invalidate_id(d: &mut AsyncApi<S, A>, m: &Manager<M>, id: M::Id) -> Result<()> {
        d.runtime.block_on(m.invalidate_id_async(id))
    }
}

impl<S, A, M, V> Inserts<AsyncApi<S, A>, V> for M
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    M: for<'q> AsyncInsertQuery<'q, A, V>,
{
    fn insert(d: &mut AsyncApi<S, A>, m: &Manager<M>, values: V) -> Result<M> {
        d.run(|c| m.insert_async(c, values))
    }
    fn insert_many(d: &mut AsyncApi<S, A>, m: &Manager<M>, values: V) -> Result<Vec<M>> {
        d.run(|c| m.insert_many_async(c, values))
    }
}

impl<S, A, M, V> Updates<AsyncApi<S, A>, V> for M
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    M: for<'q> AsyncUpdateQuery<'q, A, V>,
{
    fn update(d: &mut AsyncApi<S, A>, m: &Manager<M>, id: M::Id, changes: V) -> Result<Option<M>> {
        d.run(|c| m.update_async(c, id, changes))
    }
    fn update_where(
        d: &mut AsyncApi<S, A>,
        m: &Manager<M>,
        filter: M::Filter,
        changes: V,
    ) -> Result<usize> {
        d.run(|c| m.update_where_async(c, filter, changes))
    }
}

impl<S, A, M> Saves<AsyncApi<S, A>> for M
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    M: AsyncUpdateQuery<'static, A, M>,
{
    fn save(d: &mut AsyncApi<S, A>, m: &Manager<M>, row: &M) -> Result<Option<M>> {
        d.run(|c| m.save_async(c, row))
    }
}

impl<S, A, M> Deletes<AsyncApi<S, A>> for M
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    M: AsyncDeleteQuery<A>,
{
    fn delete(d: &mut AsyncApi<S, A>, m: &Manager<M>, id: M::Id) -> Result<Option<M>> {
        d.run(|c| m.delete_async(c, id))
    }
}

/// The async API on SQLite in a file (diesel-async's
/// `SyncConnectionWrapper`) next to the sync connection `side` to it.
pub type AsyncSqlite = AsyncApi<SqliteConnection, SyncConnectionWrapper<SqliteConnection>>;

/// The async API on PostgreSQL (`AsyncPgConnection`).
pub type AsyncPostgres = AsyncApi<PgConnection, AsyncPgConnection>;

/// The async API on MySQL/MariaDB (`AsyncMysqlConnection`).
pub type AsyncMysql = AsyncApi<MysqlConnection, AsyncMysqlConnection>;

/// [`AsyncSqlite`] over a fresh SQLite file with the test tables.
pub fn async_sqlite(test: &str) -> AsyncSqlite {
    let side = db::sqlite_file(test);
    let path = side.file().expect("a SQLite file").to_owned();
    let conn = SyncConnectionWrapper::new(db::open_sqlite_file(&path));
    AsyncApi::new(side, runtime(), conn)
}

/// [`AsyncPostgres`] over a fresh schema with the test tables; `None`
/// when PostgreSQL is unreachable outside CI.
pub fn async_postgres(test: &str) -> Option<AsyncPostgres> {
    let side = db::postgres(test)?;
    let url = services::database_url()?;
    let search_path = format!(
        "SET search_path TO \"{}\"",
        side.schema().expect("a PostgreSQL schema")
    );
    let runtime = runtime();
    let conn = runtime.block_on(async {
        let mut conn = AsyncPgConnection::establish(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        conn.batch_execute(&search_path).await.expect("search_path");
        conn
    });
    Some(AsyncApi::new(side, runtime, conn))
}

/// [`AsyncMysql`] over a fresh database of the test's own with the test
/// tables; `None` when MySQL is unreachable outside CI.
pub fn async_mysql(test: &str) -> Option<AsyncMysql> {
    let side = db::mysql(test)?;
    let server = services::mysql_url()?;
    let url = services::mysql_database_url(&server, side.database().expect("a MySQL database"));
    let runtime = runtime();
    let conn = runtime.block_on(async {
        AsyncMysqlConnection::establish(&url)
            .await
            .unwrap_or_else(|e| panic!("MySQL at {url}: {e}"))
    });
    Some(AsyncApi::new(side, runtime, conn))
}

// ------------------------------------------------- the environments

/// Opens a driver and a cache for the named test (`None`: skipped).
pub type ApiOpener<D> = fn(&str) -> Option<(D, Cache)>;

/// The sync API over an [`Opener`]'s database and cache.
pub fn sync_with<C: Connection + 'static>(
    open: Opener<C>,
    test: &str,
) -> Option<(SyncApi<C>, Cache)> {
    let (db, cache) = open(test)?;
    Some((SyncApi { db }, cache))
}

/// The sync API on SQLite in memory and the in-process cache.
pub fn sync_sqlite_memory(test: &str) -> Option<(SyncApi<SqliteConnection>, Cache)> {
    sync_with(env::sqlite_and_memory, test)
}

/// The sync API on a SQLite file and Redis.
pub fn sync_sqlite_redis(test: &str) -> Option<(SyncApi<SqliteConnection>, Cache)> {
    sync_with(env::sqlite_and_redis, test)
}

/// The sync API on PostgreSQL and Redis.
pub fn sync_postgres_redis(test: &str) -> Option<(SyncApi<PgConnection>, Cache)> {
    sync_with(env::postgres_and_redis, test)
}

/// The sync API on PostgreSQL and Redis with a local tier.
pub fn sync_postgres_tiered(test: &str) -> Option<(SyncApi<PgConnection>, Cache)> {
    sync_with(env::postgres_and_tiered, test)
}

/// The sync API on PostgreSQL and a Redis Cluster.
pub fn sync_postgres_cluster(test: &str) -> Option<(SyncApi<PgConnection>, Cache)> {
    sync_with(env::postgres_and_cluster, test)
}

/// The sync API on MySQL/MariaDB and Redis.
pub fn sync_mysql_redis(test: &str) -> Option<(SyncApi<MysqlConnection>, Cache)> {
    sync_with(env::mysql_and_redis, test)
}

/// The async API on SQLite (`SyncConnectionWrapper`) and the in-process cache.
pub fn async_sqlite_memory(test: &str) -> Option<(AsyncSqlite, Cache)> {
    Some((
        async_sqlite(test),
        env::cache_with_prefix("memory://", test),
    ))
}

/// The async API on a SQLite file (`SyncConnectionWrapper`) and Redis;
/// `None` when Redis is unreachable outside CI.
pub fn async_sqlite_redis(test: &str) -> Option<(AsyncSqlite, Cache)> {
    let redis = services::redis_url()?;
    Some((async_sqlite(test), env::cache_with_prefix(&redis, test)))
}

/// The async API on PostgreSQL (`AsyncPgConnection`) and Redis; `None`
/// when either is unreachable outside CI.
pub fn async_postgres_redis(test: &str) -> Option<(AsyncPostgres, Cache)> {
    let redis = services::redis_url()?;
    let api = async_postgres(test)?;
    Some((api, env::cache_with_prefix(&redis, test)))
}

/// The async API on PostgreSQL and Redis with a local tier.
pub fn async_postgres_tiered(test: &str) -> Option<(AsyncPostgres, Cache)> {
    let redis = services::tiered_url()?;
    let api = async_postgres(test)?;
    Some((api, env::cache_with_prefix(&redis, test)))
}

/// The async API on PostgreSQL and a Redis Cluster.
pub fn async_postgres_cluster(test: &str) -> Option<(AsyncPostgres, Cache)> {
    let cluster = crate::redis_cluster::RedisCluster::shared()?;
    let api = async_postgres(test)?;
    Some((api, env::cache_with_prefix(&cluster, test)))
}

/// The async API on MySQL/MariaDB (`AsyncMysqlConnection`) and Redis;
/// `None` when either is unreachable outside CI.
pub fn async_mysql_redis(test: &str) -> Option<(AsyncMysql, Cache)> {
    let redis = services::redis_url()?;
    let api = async_mysql(test)?;
    Some((api, env::cache_with_prefix(&redis, test)))
}

/// A test's `Product` environment for a shared body: the driver, the
/// cache (own prefix, cleared afterwards) and managers over it.
pub struct Products<D> {
    /// The API under test.
    pub api: D,
    /// The cache the managers use.
    pub cache: Cache,
    /// The `Product` manager over `cache`.
    pub products: ProductCache,
    /// A `Product` manager that caches nothing (`dummy://`).
    pub uncached: ProductCache,
}

impl<D> Products<D> {
    /// The environment of `open`'s driver and cache (`None`: skipped).
    pub fn open(open: ApiOpener<D>, test: &str) -> Option<Self> {
        let (api, cache) = open(test)?;
        Some(Products {
            api,
            products: ProductCache::new(cache.clone()),
            uncached: ProductCache::new(Cache::from_url("dummy://").expect("dummy")),
            cache,
        })
    }
}

impl<D> Drop for Products<D> {
    fn drop(&mut self) {
        let _ = self.cache.clear();
    }
}

/// Every `Product` operation the shared manager bodies use, through `D`.
pub trait ProductOps<D>:
    Reads<D>
    + Deletes<D>
    + Saves<D>
    + Inserts<D, NewProduct>
    + Inserts<D, Vec<NewProduct>>
    + Updates<D, diesel::dsl::Eq<products::category_id, i32>>
    + Updates<D, diesel::dsl::Eq<products::slug, String>>
    + Updates<D, diesel::dsl::Eq<products::is_active, bool>>
    + Updates<D, diesel::dsl::Eq<products::title, String>>
{
}

impl<D, M> ProductOps<D> for M where
    M: Reads<D>
        + Deletes<D>
        + Saves<D>
        + Inserts<D, NewProduct>
        + Inserts<D, Vec<NewProduct>>
        + Updates<D, diesel::dsl::Eq<products::category_id, i32>>
        + Updates<D, diesel::dsl::Eq<products::slug, String>>
        + Updates<D, diesel::dsl::Eq<products::is_active, bool>>
        + Updates<D, diesel::dsl::Eq<products::title, String>>
{
}

#[allow(dead_code)]
fn _product_ops_hold_for_every_driver() {
    fn holds<D: Api>()
    where
        Product: ProductOps<D>,
    {
    }
    holds::<SyncApi<SqliteConnection>>();
    holds::<SyncApi<PgConnection>>();
    holds::<SyncApi<MysqlConnection>>();
    holds::<AsyncSqlite>();
    holds::<AsyncPostgres>();
    holds::<AsyncMysql>();
}
