//! The [`Store`] on diesel-async (`rest_service --async`): a deadpool of
//! tracked `AsyncPgConnection`s (PostgreSQL) or `SyncConnectionWrapper`s
//! (SQLite), read and written through the managers' async API. Nothing
//! runs on a blocking thread but SQLite's own statements (the wrapper's).
//!
//! Every connection is tracked from the moment the pool opens it (as
//! `cache_diesel::tracked_pool_config` does; here with a query counter
//! beside the tracker). Untracked, a PostgreSQL hook over a shared store
//! (Redis) cannot write in a transaction of its own, so it invalidates
//! every list of its table with conditions, counted as
//! `coarse_invalidations` in `/stats`.

use super::error::ApiError;
use super::models::*;
use super::store::{Answer, OpenError, Stats, Store, query_counter};
use cache_diesel::{Cache, CacheTracking, Rows};
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Runs `$body` with `$conn` a connection checked out of `$store`'s pool
/// (the same code for either connection type).
macro_rules! with_conn {
    ($store:expr, $conn:ident => $body:expr) => {
        match &$store.pools {
            Pools::Postgres(pool) => {
                let $conn = &mut *pool.get().await.map_err(ApiError::internal)?;
                $body
            }
            Pools::Sqlite(pool) => {
                let $conn = &mut *pool.get().await.map_err(ApiError::internal)?;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` the store's pool (the same code for either
/// connection type): reads go through it, a connection checked out only
/// on a miss.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            Pools::Postgres($pool) => $body,
            Pools::Sqlite($pool) => $body,
        }
    };
}

/// Opens the database as [`open`](super::store::open) does, on diesel-async.
pub async fn open_async(
    database_url: Option<&str>,
    cache: Cache,
) -> Result<Arc<dyn Store>, OpenError> {
    let queries = Arc::new(AtomicU64::new(0));
    let (pools, database, serial) = match database_url {
        Some(url) if url.starts_with("postgres") => {
            let size = super::store::pool_size(8)?;
            let pool = pool::<AsyncPgConnection>(url, &cache, &queries, size as usize, "")?;
            (Pools::Postgres(pool), "postgres", "SERIAL")
        }
        path => {
            // One in-memory database per connection: a pool of one.
            let size = if path.is_none() { 1 } else { 4 };
            let url = path.unwrap_or(":memory:");
            let setup = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";
            let pool = pool::<SyncConnectionWrapper<SqliteConnection>>(
                url, &cache, &queries, size, setup,
            )?;
            (Pools::Sqlite(pool), "sqlite", "INTEGER")
        }
    };
    let store = AsyncPoolStore {
        pools,
        books: BookCache::new(cache.clone()),
        authors: AuthorCache::new(cache),
        queries,
        database,
    };
    let ddl = create_tables_sql(serial);
    let created: Result<(), ApiError> = async {
        with_conn!(store, conn => conn.batch_execute(&ddl).await.map_err(ApiError::internal))
    }
    .await;
    created.map_err(|e| format!("creating the tables: {e:?}"))?;
    Ok(Arc::new(store))
}

/// A deadpool of `size` connections to `url`, each tracked (invalidating
/// `cache`), counting its statements into `queries`, and set up with the
/// statements `setup`. Connections are recycled without a test query (it
/// would be counted).
fn pool<C>(
    url: &str,
    cache: &Cache,
    queries: &Arc<AtomicU64>,
    size: usize,
    setup: &'static str,
) -> Result<Pool<C>, OpenError>
where
    C: PoolableConnection + SimpleAsyncConnection + Send + 'static,
    for<'a> diesel::dsl::select<diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>>:
        diesel_async::methods::LoadQuery<'a, C, i32>,
    diesel::query_builder::SqlQuery: diesel::query_builder::QueryFragment<C::Backend>,
{
    let (counted, cache) = (queries.clone(), cache.clone());
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let (url, counted, cache) = (url.to_owned(), counted.clone(), cache.clone());
        Box::pin(async move {
            let mut conn = C::establish(&url).await?;
            if !setup.is_empty() {
                conn.batch_execute(setup)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            }
            // The tracker, with the counter beside it
            // (`cache_diesel::tracked_pool_config` installs the tracker alone).
            conn.set_instrumentation(
                CacheTracking::for_async_connection::<C>()
                    .for_caches([cache])
                    .with(query_counter(counted)),
            );
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<C>::new_with_config(url, config);
    let pool = Pool::builder(manager).max_size(size).build()?;
    // Background refreshes and sampled verification (`verify=` in the cache
    // URL) read on connections of this pool: without a source registered,
    // every sampled hit is dropped unverified.
    let refresh = pool.clone();
    cache_diesel::refresh_connections_async(move || {
        let pool = refresh.clone();
        async move { pool.get().await }
    });
    Ok(pool)
}

/// The pool, of whichever connection type serves the database.
enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SyncConnectionWrapper<SqliteConnection>>),
}

/// The store over a deadpool.
struct AsyncPoolStore {
    pools: Pools,
    books: BookCache,
    authors: AuthorCache,
    queries: Arc<AtomicU64>,
    database: &'static str,
}

impl AsyncPoolStore {
    /// 422 unless author `id` exists (read through the cache).
    async fn check_author<C>(&self, conn: &mut C, id: i32) -> Result<(), ApiError>
    where
        C: AsyncConnection + 'static,
        Author: cache_diesel::AsyncModelQueries<C>,
    {
        match self.authors.find_async(conn, id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::unprocessable(format!("no author {id}"))),
        }
    }
}

impl Store for AsyncPoolStore {
    fn authors(&self) -> Answer<'_, Rows<Author>> {
        Box::pin(async move {
            with_pool!(self, pool => {
                let authors = self.authors.from_pool(pool);
                Ok(authors.all_async(None, AuthorFilter::default()).await?)
            })
        })
    }

    fn create_author(&self, new: NewAuthor) -> Answer<'_, Author> {
        Box::pin(async move {
            with_conn!(self, conn => Ok(self.authors.insert_async(conn, new).await?))
        })
    }

    fn books(&self, page: BookFilter) -> Answer<'_, (Rows<BookRecord>, i64)> {
        Box::pin(async move {
            with_pool!(self, pool => {
                let books = self.books.from_pool(pool);
                let rows = books.all_async(None, page.clone()).await?;
                Ok((rows, books.count_async(None, page).await?))
            })
        })
    }

    fn book(&self, id: i32) -> Answer<'_, Option<BookRecord>> {
        Box::pin(async move {
            with_pool!(self, pool => Ok(self.books.from_pool(pool).find_async(id).await?))
        })
    }

    fn create_book(&self, new: NewBook) -> Answer<'_, Book> {
        Box::pin(async move {
            with_conn!(self, conn => {
                self.check_author(conn, new.author_id).await?;
                Ok(self.books.insert_async(conn, new).await?)
            })
        })
    }

    fn update_book(&self, id: i32, changes: BookChanges) -> Answer<'_, Option<Book>> {
        Box::pin(async move {
            if changes.is_empty() {
                return Err(ApiError::nothing_to_change());
            }
            with_conn!(self, conn => {
                if let Some(author) = changes.author_id {
                    self.check_author(conn, author).await?;
                }
                Ok(self.books.update_async(conn, id, changes).await?)
            })
        })
    }

    fn delete_book(&self, id: i32) -> Answer<'_, Option<Book>> {
        Box::pin(
            async move { with_conn!(self, conn => Ok(self.books.delete_async(conn, id).await?)) },
        )
    }

    fn stats(&self) -> Stats {
        Stats::of(self.database, &self.queries, &self.books, &self.authors)
    }
}
