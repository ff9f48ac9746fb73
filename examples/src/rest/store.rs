//! [`Store`]: what the handlers ask of the database and the cache, behind
//! one object whichever database and API serve it; [`open`] builds it over
//! an r2d2 pool of tracked connections that count the statements they run,
//! the sync API's calls made on tokio's blocking threads
//! ([`BlockingStore`]); `async_store::open_async` over diesel-async.

use super::error::ApiError;
use super::models::*;
use cache_core::StatsSnapshot;
use cache_diesel::Pooled;
use cache_diesel::{Cache, InsertQuery, ModelQueries, Rows, TrackConnections, UpdateQuery};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, R2D2Connection};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a [`Store`] call answers: a future that can move between threads.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// The operations behind the endpoints.
pub trait Store: Send + Sync + 'static {
    /// Every author.
    fn authors(&self) -> Answer<'_, Rows<Author>>;
    /// Inserts an author.
    fn create_author(&self, new: NewAuthor) -> Answer<'_, Author>;
    /// The page of books `page` selects, and how many books its conditions
    /// select in all (order and window ignored).
    fn books(&self, page: BookFilter) -> Answer<'_, (Rows<BookRecord>, i64)>;
    /// The book with this id and its author, if any.
    fn book(&self, id: i32) -> Answer<'_, Option<BookRecord>>;
    /// Inserts a book (422 if its author does not exist).
    fn create_book(&self, new: NewBook) -> Answer<'_, Book>;
    /// Changes a book (`None`: no such book; 422 if the change is empty or
    /// names an author that does not exist).
    fn update_book(&self, id: i32, changes: BookChanges) -> Answer<'_, Option<Book>>;
    /// Deletes a book (`None`: no such book).
    fn delete_book(&self, id: i32) -> Answer<'_, Option<Book>>;
    /// What `/stats` shows.
    fn stats(&self) -> Stats;
}

/// The same operations on the sync API: blocking calls, which
/// `OnBlockingThreads` runs on tokio's blocking threads.
pub trait BlockingStore: Send + Sync + 'static {
    /// Every author.
    fn authors(&self) -> Result<Rows<Author>, ApiError>;
    /// Inserts an author.
    fn create_author(&self, new: NewAuthor) -> Result<Author, ApiError>;
    /// The page of books `page` selects, and how many books its conditions
    /// select in all (order and window ignored).
    fn books(&self, page: BookFilter) -> Result<(Rows<BookRecord>, i64), ApiError>;
    /// The book with this id and its author, if any.
    fn book(&self, id: i32) -> Result<Option<BookRecord>, ApiError>;
    /// Inserts a book (422 if its author does not exist).
    fn create_book(&self, new: NewBook) -> Result<Book, ApiError>;
    /// Changes a book (`None`: no such book; 422 if the change is empty or
    /// names an author that does not exist).
    fn update_book(&self, id: i32, changes: BookChanges) -> Result<Option<Book>, ApiError>;
    /// Deletes a book (`None`: no such book).
    fn delete_book(&self, id: i32) -> Result<Option<Book>, ApiError>;
    /// What `/stats` shows.
    fn stats(&self) -> Stats;
}

/// The body of `/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// SQL statements the pool's connections ran since startup (a cached
    /// read runs none).
    pub queries: u64,
    /// The book manager's counters.
    pub books: StatsSnapshot,
    /// The author manager's counters.
    pub authors: StatsSnapshot,
}

/// A [`BlockingStore`] as a [`Store`]: each call on a blocking thread.
struct OnBlockingThreads(Arc<dyn BlockingStore>);

impl OnBlockingThreads {
    fn run<T, F>(&self, work: F) -> Answer<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn BlockingStore) -> Result<T, ApiError> + Send + 'static,
    {
        let store = self.0.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&*store))
                .await
                .map_err(ApiError::internal)?
        })
    }
}

impl Store for OnBlockingThreads {
    fn authors(&self) -> Answer<'_, Rows<Author>> {
        self.run(|s| s.authors())
    }
    fn create_author(&self, new: NewAuthor) -> Answer<'_, Author> {
        self.run(move |s| s.create_author(new))
    }
    fn books(&self, page: BookFilter) -> Answer<'_, (Rows<BookRecord>, i64)> {
        self.run(move |s| s.books(page))
    }
    fn book(&self, id: i32) -> Answer<'_, Option<BookRecord>> {
        self.run(move |s| s.book(id))
    }
    fn create_book(&self, new: NewBook) -> Answer<'_, Book> {
        self.run(move |s| s.create_book(new))
    }
    fn update_book(&self, id: i32, changes: BookChanges) -> Answer<'_, Option<Book>> {
        self.run(move |s| s.update_book(id, changes))
    }
    fn delete_book(&self, id: i32) -> Answer<'_, Option<Book>> {
        self.run(move |s| s.delete_book(id))
    }
    fn stats(&self) -> Stats {
        self.0.stats()
    }
}

impl Stats {
    /// What `/stats` shows of a store over `database`.
    pub(crate) fn of(
        database: &'static str,
        queries: &AtomicU64,
        books: &BookCache,
        authors: &AuthorCache,
    ) -> Stats {
        Stats {
            database,
            queries: queries.load(Ordering::Relaxed),
            books: books.stats(),
            authors: authors.stats(),
        }
    }
}

/// Opens the database (PostgreSQL for a `postgres://` URL; otherwise SQLite
/// at that path, or in memory without one), creates the tables if missing,
/// and returns the store over it with managers over `cache`.
pub fn open(database_url: Option<&str>, cache: Cache) -> Result<Arc<dyn Store>, OpenError> {
    let blocking = open_blocking(database_url, cache)?;
    Ok(Arc::new(OnBlockingThreads(blocking)))
}

fn open_blocking(
    database_url: Option<&str>,
    cache: Cache,
) -> Result<Arc<dyn BlockingStore>, OpenError> {
    let queries = Arc::new(AtomicU64::new(0));
    match database_url {
        Some(url) if url.starts_with("postgres") => {
            let size = pool_size(8)?;
            let pool = pool::<PgConnection, _>(url, &cache, &queries, size, false, NoSetup)?;
            PoolStore::open(pool, cache, queries, "postgres", "SERIAL")
        }
        path => {
            // One in-memory database per connection: a pool of one, kept forever.
            let memory = path.is_none();
            let size = if memory { 1 } else { 4 };
            let url = path.unwrap_or(":memory:");
            let pool =
                pool::<SqliteConnection, _>(url, &cache, &queries, size, memory, SqliteSetup)?;
            PoolStore::open(pool, cache, queries, "sqlite", "INTEGER")
        }
    }
}

/// Why the store could not be opened.
pub type OpenError = Box<dyn std::error::Error + Send + Sync>;

/// The size of a PostgreSQL pool: `POOL_SIZE`, else `default`.
pub(crate) fn pool_size(default: u32) -> Result<u32, OpenError> {
    match std::env::var("POOL_SIZE") {
        Ok(size) => Ok(size
            .parse()
            .map_err(|e| format!("POOL_SIZE {size:?}: {e}"))?),
        Err(_) => Ok(default),
    }
}

/// Counts every statement a connection starts into `queries`.
pub(crate) fn query_counter(
    queries: Arc<AtomicU64>,
) -> impl FnMut(InstrumentationEvent<'_>) + Send {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            queries.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A pool of `size` connections to `url`, each tracked (invalidating
/// `cache`), counting its statements into `queries`, then set up by
/// `setup`. `forever` keeps connections open for good (an in-memory SQLite
/// database lives as long as its one connection).
fn pool<C, S>(
    url: &str,
    cache: &Cache,
    queries: &Arc<AtomicU64>,
    size: u32,
    forever: bool,
    setup: S,
) -> Result<Pool<ConnectionManager<C>>, OpenError>
where
    C: R2D2Connection + Send + 'static,
    S: CustomizeConnection<C, diesel::r2d2::Error>,
{
    let mut builder = Pool::builder()
        .max_size(size)
        .min_idle(Some(1)) // open more connections on demand, not all at startup
        // No `SELECT 1` before every checkout: it would be counted as a
        // query, and a broken connection surfaces as an error anyway.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10));
    if forever {
        builder = builder.idle_timeout(None).max_lifetime(None);
    }
    let counted = queries.clone();
    let tracking = TrackConnections::new()
        .for_caches([cache.clone()])
        .with(move || query_counter(counted.clone()))
        .then(setup);
    Ok(builder
        .connection_customizer(Box::new(tracking))
        .build(ConnectionManager::<C>::new(url))?)
}

/// No setup beyond tracking.
#[derive(Debug)]
struct NoSetup;

impl<C> CustomizeConnection<C, diesel::r2d2::Error> for NoSetup {}

/// SQLite: enforce foreign keys (as PostgreSQL does), and wait for a
/// writer on another connection rather than fail with `database is locked`.
#[derive(Debug)]
struct SqliteSetup;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The store over an r2d2 pool of `C` connections.
struct PoolStore<C: R2D2Connection + 'static> {
    pool: Pool<ConnectionManager<C>>,
    books: BookCache,
    authors: AuthorCache,
    queries: Arc<AtomicU64>,
    database: &'static str,
}

impl<C> PoolStore<C>
where
    C: R2D2Connection + Send + 'static,
    Self: BlockingStore,
{
    /// Creates the tables (`serial`: the primary key's SQL type) and wraps the pool.
    fn open(
        pool: Pool<ConnectionManager<C>>,
        cache: Cache,
        queries: Arc<AtomicU64>,
        database: &'static str,
        serial: &str,
    ) -> Result<Arc<dyn BlockingStore>, OpenError> {
        pool.get()?.batch_execute(&create_tables_sql(serial))?;
        // Background refreshes and sampled verification (`verify=` in the
        // cache URL) read on connections of this pool: without a source
        // registered, every sampled hit is dropped unverified.
        let refresh = pool.clone();
        cache_diesel::refresh_connections(move || refresh.get());
        Ok(Arc::new(PoolStore {
            pool,
            books: BookCache::new(cache.clone()),
            authors: AuthorCache::new(cache),
            queries,
            database,
        }))
    }
}

impl<C> PoolStore<C>
where
    C: R2D2Connection + Send + 'static,
    Author: ModelQueries<Pooled<C>>,
{
    fn conn(&self) -> Result<Pooled<C>, ApiError> {
        Ok(self.pool.get()?)
    }

    /// 422 unless author `id` exists (read through the cache).
    fn check_author(&self, conn: &mut Pooled<C>, id: i32) -> Result<(), ApiError> {
        match self.authors.find(conn, id)? {
            Some(_) => Ok(()),
            None => Err(ApiError::unprocessable(format!("no author {id}"))),
        }
    }
}

impl<C> BlockingStore for PoolStore<C>
where
    C: R2D2Connection + Send + 'static,
    Author: ModelQueries<C> + ModelQueries<Pooled<C>> + InsertQuery<Pooled<C>, NewAuthor>,
    Book: ModelQueries<C>
        + ModelQueries<Pooled<C>>
        + InsertQuery<Pooled<C>, NewBook>
        + UpdateQuery<Pooled<C>, BookChanges>,
{
    fn authors(&self) -> Result<Rows<Author>, ApiError> {
        let authors = self.authors.from_pool(&self.pool);
        Ok(authors.all(None, AuthorFilter::default())?)
    }

    fn create_author(&self, new: NewAuthor) -> Result<Author, ApiError> {
        Ok(self.authors.insert(&mut self.conn()?, new)?)
    }

    // Reads go through the pool: a connection is checked out only on a
    // miss, so hits never wait for one.
    fn books(&self, page: BookFilter) -> Result<(Rows<BookRecord>, i64), ApiError> {
        let books = self.books.from_pool(&self.pool);
        let rows = books.all(None, page.clone())?;
        // Every page of the list shares one cached count (keyed by the conditions).
        Ok((rows, books.count(None, page)?))
    }

    fn book(&self, id: i32) -> Result<Option<BookRecord>, ApiError> {
        Ok(self.books.from_pool(&self.pool).find(id)?)
    }

    fn create_book(&self, new: NewBook) -> Result<Book, ApiError> {
        let conn = &mut self.conn()?;
        self.check_author(conn, new.author_id)?;
        Ok(self.books.insert(conn, new)?)
    }

    fn update_book(&self, id: i32, changes: BookChanges) -> Result<Option<Book>, ApiError> {
        if changes.is_empty() {
            return Err(ApiError::nothing_to_change());
        }
        let conn = &mut self.conn()?;
        if let Some(author) = changes.author_id {
            self.check_author(conn, author)?;
        }
        Ok(self.books.update(conn, id, changes)?)
    }

    fn delete_book(&self, id: i32) -> Result<Option<Book>, ApiError> {
        Ok(self.books.delete(&mut self.conn()?, id)?)
    }

    fn stats(&self) -> Stats {
        Stats::of(self.database, &self.queries, &self.books, &self.authors)
    }
}
