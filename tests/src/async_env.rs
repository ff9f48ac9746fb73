//! A test's environment for the async API: the sync [`Env`] (its tables,
//! its cache, its manager; its sync connection seeds and writes) plus async
//! connections to the same tables, counted like the sync one.

use crate::db::query_counter;
use crate::env::{self, Env};
use crate::services;
use diesel::prelude::*;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Opens one more async connection to the test's tables.
type Opener<A> = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = A> + Send>> + Send + Sync>;

/// The async API's environment: `sync` for seeding and writes, `conn` for
/// the reads under test.
pub struct AsyncEnv<S: Connection + 'static, A> {
    /// The sync environment over the same tables and cache.
    pub sync: Env<S>,
    /// The async connection under test (counted).
    pub conn: A,
    queries: Arc<AtomicUsize>,
    open: Opener<A>,
}

impl<S: Connection + 'static, A: AsyncConnection + 'static> AsyncEnv<S, A> {
    async fn new(sync: Env<S>, open: Opener<A>) -> Self {
        let queries = Arc::new(AtomicUsize::new(0));
        let mut conn = open().await;
        conn.set_instrumentation(query_counter(queries.clone()));
        AsyncEnv {
            sync,
            conn,
            queries,
            open,
        }
    }

    /// Queries the async connections counted since the last call (and
    /// resets the count).
    pub fn take_queries(&self) -> usize {
        self.queries.swap(0, Ordering::SeqCst)
    }

    /// The counter of the async connections' queries.
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.queries.clone()
    }

    /// Another async connection to the same tables, counted with `conn`.
    pub async fn another(&self) -> A {
        let mut conn = (self.open)().await;
        conn.set_instrumentation(query_counter(self.queries.clone()));
        conn
    }
}

/// PostgreSQL (diesel-async's `AsyncPgConnection`) and Redis; `None` when
/// either is unreachable outside CI.
pub async fn postgres_redis(test: &str) -> Option<AsyncEnv<PgConnection, AsyncPgConnection>> {
    let sync = env::postgres_redis(test)?;
    postgres_over(sync).await
}

/// PostgreSQL (`AsyncPgConnection`) over the tables of `sync`.
pub async fn postgres_over(
    sync: Env<PgConnection>,
) -> Option<AsyncEnv<PgConnection, AsyncPgConnection>> {
    let url = services::database_url()?;
    let search_path = format!(
        "SET search_path TO \"{}\"",
        sync.db.schema().expect("a PostgreSQL schema")
    );
    let open: Opener<AsyncPgConnection> = Arc::new(move || {
        let (url, search_path) = (url.clone(), search_path.clone());
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(&url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
            conn.batch_execute(&search_path).await.expect("search_path");
            conn
        })
    });
    Some(AsyncEnv::new(sync, open).await)
}

/// PostgreSQL (`AsyncPgConnection`) and Redis with a local tier; `None`
/// when either is unreachable outside CI.
pub async fn postgres_tiered(test: &str) -> Option<AsyncEnv<PgConnection, AsyncPgConnection>> {
    let sync = env::postgres_tiered(test)?;
    postgres_over(sync).await
}

/// PostgreSQL (`AsyncPgConnection`) and a Redis Cluster (this process's
/// own); `None` when either is unavailable outside CI.
pub async fn postgres_cluster(test: &str) -> Option<AsyncEnv<PgConnection, AsyncPgConnection>> {
    let sync = env::postgres_cluster(test)?;
    postgres_over(sync).await
}

/// MySQL/MariaDB (diesel-async's `AsyncMysqlConnection`) and Redis;
/// `None` when either is unreachable outside CI.
pub async fn mysql_redis(test: &str) -> Option<AsyncEnv<MysqlConnection, AsyncMysqlConnection>> {
    let sync = env::mysql_redis(test)?;
    let server = services::mysql_url()?;
    let url = services::mysql_database_url(&server, sync.db.database().expect("a MySQL database"));
    let open: Opener<AsyncMysqlConnection> = Arc::new(move || {
        let url = url.clone();
        Box::pin(async move {
            AsyncMysqlConnection::establish(&url)
                .await
                .unwrap_or_else(|e| panic!("MySQL at {url}: {e}"))
        })
    });
    Some(AsyncEnv::new(sync, open).await)
}

/// PostgreSQL (`AsyncPgConnection`) over a Redis the test started (its
/// `url`, options included), with a cache prefix of the test's own.
pub async fn postgres_over_redis_at(
    test: &str,
    url: &str,
) -> Option<AsyncEnv<PgConnection, AsyncPgConnection>> {
    let db = crate::db::postgres(test)?;
    let cache = env::cache_with_prefix(url, test);
    postgres_over(Env::new(db, cache)).await
}

/// SQLite in a file (diesel-async's `SyncConnectionWrapper`) and the
/// in-process cache: the embedded default.
pub async fn sqlite_memory(
    test: &str,
) -> Option<AsyncEnv<SqliteConnection, SyncConnectionWrapper<SqliteConnection>>> {
    sqlite_over(env::sqlite_file_memory(test)?).await
}

/// SQLite in a file (`SyncConnectionWrapper`) and Redis; `None` when
/// Redis is unreachable outside CI.
pub async fn sqlite_redis(
    test: &str,
) -> Option<AsyncEnv<SqliteConnection, SyncConnectionWrapper<SqliteConnection>>> {
    sqlite_over(env::sqlite_redis(test)?).await
}

/// SQLite (`SyncConnectionWrapper`) over the file of `sync`.
async fn sqlite_over(
    sync: Env<SqliteConnection>,
) -> Option<AsyncEnv<SqliteConnection, SyncConnectionWrapper<SqliteConnection>>> {
    let path = sync.db.file().expect("a SQLite file").to_owned();
    let open: Opener<SyncConnectionWrapper<SqliteConnection>> = Arc::new(move || {
        let path = path.clone();
        Box::pin(async move { SyncConnectionWrapper::new(crate::db::open_sqlite_file(&path)) })
    });
    Some(AsyncEnv::new(sync, open).await)
}
