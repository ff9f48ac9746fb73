//! A test's whole environment: a counted database connection and a model
//! manager over a cache with the test's own prefix (cleared afterwards).

use crate::db::{self, TestDb};
use crate::models::ProductCache;
use crate::{services, unique};
use cache_diesel::{Cache, CacheConfig};
use diesel::prelude::*;

/// A database and a cache for one test.
pub struct Env<C: Connection + 'static> {
    /// The counted connection.
    pub db: TestDb<C>,
    /// The cache the managers use (own prefix).
    pub cache: Cache,
    /// The `Product` manager over `cache`.
    pub products: ProductCache,
    /// A `Product` manager that caches nothing: reads straight from the database.
    pub uncached: ProductCache,
}

/// A cache at `url` with a prefix of its own, for this program alone: every
/// model over its tables is linked into it (`schema_settle=0`; the
/// `rolling_deploys` tests share one with another program).
pub fn cache_with_prefix(url: &str, test: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).expect("cache URL");
    cfg.key_prefix = unique::prefix(test);
    cfg.schema_settle = std::time::Duration::ZERO;
    Cache::new(cfg).expect("cache")
}

impl<C: Connection + 'static> Env<C> {
    /// Makes the test's connection cache-aware, invalidating its own cache.
    pub fn track(&mut self) {
        self.db.track(&self.cache);
    }

    /// The environment of `db` and `cache`.
    pub fn new(db: TestDb<C>, cache: Cache) -> Self {
        Env {
            db,
            products: ProductCache::new(cache.clone()),
            uncached: ProductCache::new(Cache::from_url("dummy://").expect("dummy")),
            cache,
        }
    }
}

/// SQLite in memory and the in-process cache: the embedded default.
pub fn sqlite_memory(test: &str) -> Option<Env<SqliteConnection>> {
    Some(Env::new(db::sqlite(), cache_with_prefix("memory://", test)))
}

/// SQLite in a file (several connections can share it) and the in-process cache.
pub fn sqlite_file_memory(test: &str) -> Option<Env<SqliteConnection>> {
    Some(Env::new(
        db::sqlite_file(test),
        cache_with_prefix("memory://", test),
    ))
}

/// A SQLite file of the test's own and Redis (a shared store over an
/// embedded database); `None` when Redis is unreachable outside CI.
pub fn sqlite_redis(test: &str) -> Option<Env<SqliteConnection>> {
    let (db, cache) = sqlite_and_redis(test)?;
    Some(Env::new(db, cache))
}

/// PostgreSQL and Redis; `None` when either is unreachable outside CI.
pub fn postgres_redis(test: &str) -> Option<Env<PgConnection>> {
    let (db, cache) = postgres_and_redis(test)?;
    Some(Env::new(db, cache))
}

/// PostgreSQL and Redis with a local tier in front (the tiered store);
/// `None` when either is unreachable outside CI.
pub fn postgres_tiered(test: &str) -> Option<Env<PgConnection>> {
    let redis = services::tiered_url()?;
    let db = db::postgres(test)?;
    Some(Env::new(db, cache_with_prefix(&redis, test)))
}

/// A PostgreSQL schema and Redis with a local tier of [`postgres_tiered`],
/// for suites with models of their own.
pub fn postgres_and_tiered(test: &str) -> Option<(TestDb<PgConnection>, Cache)> {
    let redis = services::tiered_url()?;
    let db = db::postgres(test)?;
    Some((db, cache_with_prefix(&redis, test)))
}

/// PostgreSQL and a Redis Cluster (this process's own, see
/// [`RedisCluster::shared`](crate::redis_cluster::RedisCluster::shared));
/// `None` when either is unavailable outside CI.
pub fn postgres_cluster(test: &str) -> Option<Env<PgConnection>> {
    let (db, cache) = postgres_and_cluster(test)?;
    Some(Env::new(db, cache))
}

/// A PostgreSQL schema and a Redis Cluster of [`postgres_cluster`], for
/// suites with models of their own.
pub fn postgres_and_cluster(test: &str) -> Option<(TestDb<PgConnection>, Cache)> {
    let cluster = crate::redis_cluster::RedisCluster::shared()?;
    let db = db::postgres(test)?;
    Some((db, cache_with_prefix(&cluster, test)))
}

/// MySQL/MariaDB and Redis; `None` when either is unreachable outside CI.
pub fn mysql_redis(test: &str) -> Option<Env<MysqlConnection>> {
    let (db, cache) = mysql_and_redis(test)?;
    Some(Env::new(db, cache))
}

/// Opens a database and a cache for the named test (`None`: skipped).
pub type Opener<C> = fn(&str) -> Option<(TestDb<C>, Cache)>;

/// A fresh in-memory SQLite database and an in-process cache with the
/// test's own prefix, for suites with models of their own.
pub fn sqlite_and_memory(test: &str) -> Option<(TestDb<SqliteConnection>, Cache)> {
    Some((db::sqlite(), cache_with_prefix("memory://", test)))
}

/// A SQLite file of the test's own and Redis with the test's own prefix
/// (a shared store over an embedded database); `None` when Redis is
/// unreachable outside CI.
pub fn sqlite_and_redis(test: &str) -> Option<(TestDb<SqliteConnection>, Cache)> {
    let redis = services::redis_url()?;
    Some((db::sqlite_file(test), cache_with_prefix(&redis, test)))
}

/// A PostgreSQL schema of the test's own and Redis with the test's own
/// prefix, for suites with models of their own; `None` when either is
/// unreachable outside CI.
pub fn postgres_and_redis(test: &str) -> Option<(TestDb<PgConnection>, Cache)> {
    let redis = services::redis_url()?;
    let db = db::postgres(test)?;
    Some((db, cache_with_prefix(&redis, test)))
}

/// A MySQL/MariaDB database of the test's own and Redis with the test's
/// own prefix, for suites with models of their own; `None` when either is
/// unreachable outside CI.
pub fn mysql_and_redis(test: &str) -> Option<(TestDb<MysqlConnection>, Cache)> {
    let redis = services::redis_url()?;
    let db = db::mysql(test)?;
    Some((db, cache_with_prefix(&redis, test)))
}

/// The matrix's environments ([`crate::matrix`](mod@crate::matrix)) as an [`Env`], by the
/// matrix's names.
pub mod matrix {
    pub use super::{
        mysql_redis, postgres_cluster, postgres_redis, postgres_tiered,
        sqlite_file_memory as sqlite_memory, sqlite_redis,
    };
}

/// The connection type of each of the matrix's environments, by its name.
#[allow(non_camel_case_types)]
pub mod connection {
    use diesel::{MysqlConnection, PgConnection, SqliteConnection};

    /// SQLite.
    pub type sqlite_memory = SqliteConnection;
    /// SQLite.
    pub type sqlite_redis = SqliteConnection;
    /// PostgreSQL.
    pub type postgres_redis = PgConnection;
    /// PostgreSQL.
    pub type postgres_tiered = PgConnection;
    /// PostgreSQL.
    pub type postgres_cluster = PgConnection;
    /// MySQL/MariaDB.
    pub type mysql_redis = MysqlConnection;
}

/// The matrix's environments ([`crate::matrix`](mod@crate::matrix)) as a database and a
/// cache, for suites with models of their own, by the matrix's names.
pub mod parts {
    pub use super::{
        mysql_and_redis as mysql_redis, postgres_and_cluster as postgres_cluster,
        postgres_and_redis as postgres_redis, postgres_and_tiered as postgres_tiered,
        sqlite_and_memory as sqlite_memory, sqlite_and_redis as sqlite_redis,
    };
}

impl<C: Connection + 'static> Drop for Env<C> {
    fn drop(&mut self) {
        let _ = self.cache.clear();
    }
}
