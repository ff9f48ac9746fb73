//! What only the async API has to show, on diesel-async connections, run
//! unchanged on SQLite (`SyncConnectionWrapper`) + the in-process cache
//! and on PostgreSQL (`AsyncPgConnection`) + Redis: the generated
//! `*_async` lookups, entries shared with the sync API and invalidation
//! by the sync hooks of another connection, diesel-async transactions,
//! single-flight across tasks; and a stopped Redis that must not stall the
//! runtime, authentication of the hit path's connection, borrowed values
//! and `Send` futures, cancellation, leases, deadpool. Misses, hits, lists,
//! negative caching, the hooks and relations through the async API are
//! the shared bodies of the manager and relations suites
//! (`tests/src/api.rs`), run on both APIs.

use cache_diesel::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncModelQueries, AsyncWhereQuery, BoxedCondition,
    CachedModel, Error, WhereQuery,
};
use cache_tests::async_env::{self, AsyncEnv};
use cache_tests::models::{
    NewProduct, Product, ProductFilter, ProductQueries, ProductUnique, products,
};
use diesel::prelude::*;
use diesel_async::AsyncConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Inserts `(slug, category)` rows through the sync hooks; their ids.
fn seed<S, A>(env: &mut AsyncEnv<S, A>, rows: &[(&str, i32)]) -> Vec<i32>
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S>,
{
    let new: Vec<_> = rows.iter().map(|(s, c)| NewProduct::new(s, *c)).collect();
    let ids = env
        .sync
        .products
        .insert_many(&mut env.sync.db.conn, new)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    env.take_queries();
    ids
}

fn slugs(rows: &[Product]) -> Vec<&str> {
    rows.iter().map(|p| p.slug.as_str()).collect()
}

/// The generated `get_by_<unique>_async` / `find_by_<unique>_async` (the
/// shared manager suite calls what they call, `get_unique_async`), and
/// one cache for both APIs: what the async API filled is a sync hit.
async fn generated_lookups_and_the_sync_api_share_entries<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + AsyncModelQueries<A>,
{
    let id = seed(&mut env, &[("apple", 1), ("pear", 2)])[0];
    let p = &env.sync.products;
    let first = p.get_async(&mut env.conn, id).await.unwrap();
    assert_eq!((first.slug.as_str(), env.take_queries()), ("apple", 1));
    let generated = p
        .get_by_slug_async(&mut env.conn, "pear".into())
        .await
        .unwrap();
    let absent = p
        .find_by_slug_async(&mut env.conn, "plum".into())
        .await
        .unwrap();
    assert_eq!(
        (generated.category_id, absent, env.take_queries()),
        (2, None, 2),
        "two misses"
    );
    let again = p
        .get_unique_async(&mut env.conn, ProductUnique::Slug("pear".into()))
        .await
        .unwrap();
    let still = p
        .find_by_slug_async(&mut env.conn, "plum".into())
        .await
        .unwrap();
    assert_eq!(
        (again, still, env.take_queries()),
        (generated, None, 0),
        "two hits"
    );
    // The sync and the async API share entries: the sync read is a hit.
    let (sync_read, q) = env.sync.db.counted(|c| p.get(c, id));
    assert_eq!((sync_read.unwrap(), q), (first, 0));
}

/// A sync hook write on another connection invalidates what the async
/// API cached (the shared suites write through the API they read with).
async fn lists_and_counts_are_cached_and_invalidated<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + AsyncModelQueries<A>,
{
    let ids = seed(&mut env, &[("a", 1), ("b", 1), ("c", 2)]);
    let p = &env.sync.products;
    let ones = ProductFilter::default().category_id(1);
    for expected_queries in [1, 0] {
        let rows = p
            .all_async(&mut env.conn, None, ones.clone())
            .await
            .unwrap();
        let n = p
            .count_async(&mut env.conn, None, ones.clone())
            .await
            .unwrap();
        assert_eq!(
            (slugs(&rows), n, env.take_queries()),
            (vec!["a", "b"], 2, 2 * expected_queries)
        );
    }
    // A sync hook write on another connection invalidates the async reads.
    p.update(&mut env.sync.db.conn, ids[2], products::category_id.eq(1))
        .unwrap();
    let rows = p
        .all_async(&mut env.conn, None, ones.clone())
        .await
        .unwrap();
    let n = p.count_async(&mut env.conn, None, ones).await.unwrap();
    assert_eq!(
        (slugs(&rows), n, env.take_queries()),
        (vec!["a", "b", "c"], 3, 2)
    );
    let moved = p.get_async(&mut env.conn, ids[2]).await.unwrap();
    assert_eq!(moved.category_id, 1);
}

/// `all_where_async` on a raw condition naming a second table: a hit on
/// the second call, the entry the sync `all_where` reads too (one key,
/// the query's SQL), invalidated by raw SQL to the table only the
/// condition names (on a tracked sync connection) and by a hook write to
/// the model's own table.
async fn where_lists_are_shared_with_the_sync_api_and_invalidated<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection<Backend: diesel::backend::DieselReserveSpecialization> + 'static,
    A: AsyncConnection<Backend = S::Backend> + 'static,
    Product: ProductQueries<S>
        + AsyncModelQueries<A>
        + WhereQuery<S, Expr = BoxedCondition<products::table, S::Backend>>
        + AsyncWhereQuery<A, Expr = BoxedCondition<products::table, S::Backend>>,
{
    fn featured<DB>() -> BoxedCondition<products::table, DB>
    where
        DB: diesel::backend::Backend + diesel::backend::DieselReserveSpecialization,
    {
        Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "category_id IN (SELECT category_id FROM featured)",
        ))
    }
    let ids = seed(&mut env, &[("a", 1), ("b", 2), ("c", 3)]);
    let cache = env.sync.cache.clone();
    env.sync.db.track(&cache);
    for sql in [
        "CREATE TABLE featured (category_id INTEGER NOT NULL)",
        "INSERT INTO featured (category_id) VALUES (1)",
    ] {
        env.sync.db.conn.batch_execute(sql).unwrap();
    }
    env.take_queries();
    let p = &env.sync.products;
    for expected_queries in [1, 0] {
        let rows = p
            .all_where_async(&mut env.conn, None, featured())
            .await
            .unwrap();
        assert_eq!(
            (slugs(&rows), env.take_queries()),
            (vec!["a"], expected_queries)
        );
    }
    let (rows, queries) = env
        .sync
        .db
        .counted(|c| p.all_where(c, None, featured()).unwrap());
    assert_eq!(
        (slugs(&rows), queries),
        (vec!["a"], 0),
        "one entry for both APIs"
    );

    env.sync
        .db
        .conn
        .batch_execute("INSERT INTO featured (category_id) VALUES (2)")
        .unwrap();
    let rows = p
        .all_where_async(&mut env.conn, None, featured())
        .await
        .unwrap();
    assert_eq!((slugs(&rows), env.take_queries()), (vec!["a", "b"], 1));

    p.update(&mut env.sync.db.conn, ids[2], products::category_id.eq(1))
        .unwrap();
    let rows = p
        .all_where_async(&mut env.conn, None, featured())
        .await
        .unwrap();
    assert_eq!((slugs(&rows), env.take_queries()), (vec!["a", "b", "c"], 1));
}

async fn a_transaction_reads_the_database_and_fills_nothing<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + AsyncModelQueries<A>,
{
    let id = seed(&mut env, &[("a", 1)])[0];
    let p = &env.sync.products;
    let read = env
        .conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            let first = p.get_async(conn, id).await.unwrap();
            let again = p.get_async(conn, id).await.unwrap();
            Ok((first, again))
        })
        .await
        .unwrap();
    assert_eq!(read.0, read.1);
    // Two reads plus BEGIN and COMMIT, and nothing was filled.
    assert_eq!(env.take_queries(), 4);
    let p = &env.sync.products;
    p.get_async(&mut env.conn, id).await.unwrap();
    assert_eq!(env.take_queries(), 1, "the transaction filled nothing");
}

async fn tasks_missing_one_key_run_one_query<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + Send + 'static,
    Product: ProductQueries<S> + AsyncModelQueries<A>,
{
    let id = seed(&mut env, &[("hot", 1)])[0];
    const TASKS: usize = 32;
    let mut conns = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        conns.push(env.another().await);
    }
    env.take_queries();
    let p = Arc::new(cache_tests::models::ProductCache::new(
        env.sync.cache.clone(),
    ));
    let start = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (p, start) = (p.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                p.get_async(&mut conn, id).await.unwrap().slug
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "hot");
    }
    assert_eq!(env.take_queries(), 1, "{TASKS} tasks on one cold key");
}

/// Inside a diesel-async transaction a hook refuses: its bump could not
/// wait for the commit on an untracked connection, so nothing is written
/// (the shared manager suite runs the hooks outside transactions). And an
/// async hook's invalidation reaches what the sync API cached.
async fn a_hook_inside_a_transaction_is_refused<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S>
        + AsyncModelQueries<A>
        + for<'q> AsyncInsertQuery<'q, A, NewProduct>
        + AsyncDeleteQuery<A>,
{
    let id = seed(&mut env, &[("tea", 1)])[0];
    let p = &env.sync.products;
    assert!(p.find(&mut env.sync.db.conn, id).unwrap().is_some());
    let gone = p.delete_async(&mut env.conn, id).await.unwrap();
    assert_eq!(gone.map(|r| r.id), Some(id));
    let (sync_read, _) = env.sync.db.counted(|conn| p.find(conn, id));
    assert!(sync_read.unwrap().is_none(), "one cache for both APIs");

    let refused = env
        .conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            Ok(p.insert_async(conn, NewProduct::new("inside", 1)).await)
        })
        .await
        .unwrap();
    assert!(
        matches!(refused, Err(Error::UntrackedTransaction)),
        "{refused:?}"
    );
    let none = p
        .find_unique_async(&mut env.conn, ProductUnique::Slug("inside".into()))
        .await;
    assert!(none.unwrap().is_none());
    let (sync_read, _) = env
        .sync
        .db
        .counted(|conn| p.find_unique(conn, ProductUnique::Slug("inside".into())));
    assert!(sync_read.unwrap().is_none(), "nothing was written");
}

cache_tests::matrix!(
    async_env; stores;
    generated_lookups_and_the_sync_api_share_entries,
    lists_and_counts_are_cached_and_invalidated,
    where_lists_are_shared_with_the_sync_api_and_invalidated,
    a_transaction_reads_the_database_and_fills_nothing,
    tasks_missing_one_key_run_one_query,
    a_hook_inside_a_transaction_is_refused,
);

/// On a current-thread runtime, a read while Redis is stopped (SIGSTOP: it
/// accepts connections and never answers) is answered from the database
/// within the timeouts, and another task of the same runtime keeps
/// running meanwhile: no cache call blocks the runtime's one thread.
#[test]
fn a_stopped_redis_stalls_no_task_of_the_runtime() {
    let Some(server) = cache_tests::redis_server::RedisServer::for_test(&[]) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let test = "a_stopped_redis_stalls_no_task_of_the_runtime";
        let url = format!(
            "{}?response_timeout=300ms&connect_timeout=300ms",
            server.url()
        );
        let Some(mut env) = async_env::postgres_over_redis_at(test, &url).await else {
            return;
        };
        let id = seed(&mut env, &[("a", 1)])[0];
        let p = cache_tests::models::ProductCache::new(env.sync.cache.clone());
        // A miss, then a hit from Redis; a call that outlives its 300 ms
        // on a loaded machine opens the breaker and reads go to the
        // database until its window passes: reads, 100 ms apart, until
        // one hits (at most 20 s).
        let mut queries = Vec::new();
        while queries.last() != Some(&0) && queries.len() < 200 {
            if !queries.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(p.get_async(&mut env.conn, id).await.unwrap().slug, "a");
            queries.push(env.take_queries());
        }
        assert!(
            queries[0] == 1 && queries.last() == Some(&0),
            "a miss, then a hit from Redis: {queries:?}"
        );

        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        server.stop();
        let started = Instant::now();
        let before = ticks.load(Ordering::SeqCst);
        let row = p.get_async(&mut env.conn, id).await.unwrap();
        let (took, ticked) = (started.elapsed(), ticks.load(Ordering::SeqCst) - before);
        server.cont();
        ticker.abort();
        assert_eq!(
            (row.slug.as_str(), env.take_queries()),
            ("a", 1),
            "from the database"
        );
        println!("a read while Redis is stopped took {took:?} (response_timeout 300ms)");
        assert!(
            took >= Duration::from_millis(250),
            "the read waited for the stopped Redis ({took:?})"
        );
        assert!(
            ticked >= 10,
            "another task ran {ticked} times in the {took:?} the read waited for Redis"
        );
        // The breaker is open: the next read goes to the database at once.
        let started = Instant::now();
        p.get_async(&mut env.conn, id).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(250));
    });
}

/// The async hit path's own connection authenticates and selects the
/// database of the URL: a hit on a server with a password, in database 3,
/// is a hit (and a wrong password fails every read over to the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_authenticate_and_select_the_database() {
    let Some(server) =
        cache_tests::redis_server::RedisServer::for_test(&["--requirepass", "s3cret"])
    else {
        return;
    };
    let test = "hits_authenticate_and_select_the_database";
    let Some(db) = cache_tests::db::postgres(test) else {
        return;
    };
    let url = format!("redis://:s3cret@127.0.0.1:{}/3", server.port());
    let sync = cache_tests::env::Env::new(db, cache_tests::env::cache_with_prefix(&url, test));
    let mut env = async_env::postgres_over(sync).await.expect("PostgreSQL");
    let id = seed(&mut env, &[("locked", 1)])[0];
    let p = &env.sync.products;
    for _ in 0..3 {
        assert_eq!(p.get_async(&mut env.conn, id).await.unwrap().slug, "locked");
    }
    assert_eq!(env.take_queries(), 1, "a miss, then hits");
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut raw).unwrap();
    assert!(!keys.is_empty(), "the entries are in database 3");

    let wrong = format!("redis://:nope@127.0.0.1:{}/3", server.port());
    let cache = cache_tests::env::cache_with_prefix(&wrong, test);
    let refused = cache_tests::models::ProductCache::new(cache);
    for _ in 0..2 {
        assert_eq!(
            refused.get_async(&mut env.conn, id).await.unwrap().slug,
            "locked"
        );
    }
    assert_eq!(env.take_queries(), 2, "read from the database");
    assert!(refused.stats().errors >= 1);
}

/// Async hooks take borrowed values on `AsyncPgConnection` and
/// `AsyncMysqlConnection` (as diesel-async does), and their futures are
/// `Send` (a handler's, a spawned task's), `&'static str` values included.
/// Not on SQLite: `SyncConnectionWrapper` runs the write on a blocking
/// thread, so its values must be `'static` (a borrowed one does not
/// compile).
macro_rules! borrowed_values {
    (sqlite_memory) => {};
    (sqlite_redis) => {};
    ($env:ident) => {
        use super::*;

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn hooks_take_borrowed_values_and_their_futures_are_send() {
            let test = "hooks_take_borrowed_values";
            let Some(mut env) = cache_tests::async_env::$env(test).await else {
                return;
            };
            let id = seed(&mut env, &[("owned", 1)])[0];
            let p = Arc::new(cache_tests::models::ProductCache::new(
                env.sync.cache.clone(),
            ));
            let title = String::from("borrowed title");
            let updated = p
                .update_async(&mut env.conn, id, products::title.eq(title.as_str()))
                .await;
            assert_eq!(updated.unwrap().unwrap().title, title);
            let slug = String::from("borrowed-slug");
            let new = (
                products::slug.eq(slug.as_str()),
                products::title.eq("t"),
                products::is_active.eq(true),
                products::category_id.eq(4),
            );
            let inserted = p.insert_async(&mut env.conn, new).await.unwrap();
            assert_eq!(inserted.slug, slug);
            let mut row = p.get_async(&mut env.conn, id).await.unwrap();
            row.title = "saved".into();
            let saved = p.save_async(&mut env.conn, &row).await.unwrap();
            assert_eq!(saved.map(|r| r.title), Some("saved".into()));
            assert_eq!(p.get_async(&mut env.conn, id).await.unwrap().title, "saved");
            let mut conn = env.another().await;
            let spawned = tokio::spawn({
                let p = p.clone();
                async move {
                    p.update_async(&mut conn, id, products::title.eq("from a task"))
                        .await?;
                    p.update_where_async(
                        &mut conn,
                        ProductFilter::default().category_id(4),
                        products::is_active.eq(false),
                    )
                    .await?;
                    p.get_async(&mut conn, id).await
                }
            });
            assert_eq!(spawned.await.unwrap().unwrap().title, "from a task");
            let gone = p
                .find_unique_async(&mut env.conn, ProductUnique::Slug(slug))
                .await
                .unwrap();
            assert_eq!(gone.map(|r| r.is_active), Some(false));
        }
    };
}

mod borrowed_values {
    use super::*;

    cache_tests::matrix!(items borrowed_values; stores;);
}

/// Makes every query on `conn` take `delay` more (the sleep is on the
/// thread that runs the query), still counted into `queries`.
fn slow(conn: &mut impl AsyncConnection, delay: Duration, queries: Arc<AtomicUsize>) {
    conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            queries.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
        }
    });
}

/// A leader dropped while it loads (a client gone, a timeout around the
/// read) hands its flight over: its followers fly again, one loads, the
/// others wait for it, instead of each loading.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_of_a_cancelled_read_load_once() {
    let test = "followers_of_a_cancelled_read_load_once";
    let Some(mut env) = async_env::sqlite_memory(test).await else {
        return;
    };
    let id = seed(&mut env, &[("slow", 1)])[0];
    let p = Arc::new(cache_tests::models::ProductCache::new(
        env.sync.cache.clone(),
    ));
    let mut leader = env.another().await;
    slow(&mut leader, Duration::from_millis(300), env.counter());
    let mut conns = Vec::new();
    for _ in 0..8 {
        let mut conn = env.another().await;
        slow(&mut conn, Duration::from_millis(50), env.counter());
        conns.push(conn);
    }
    let followers: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let p = p.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                p.get_async(&mut conn, id).await.unwrap().slug
            })
        })
        .collect();
    let gone = tokio::time::timeout(Duration::from_millis(100), p.get_async(&mut leader, id)).await;
    assert!(gone.is_err(), "the leader was cancelled");
    for follower in followers {
        assert_eq!(follower.await.unwrap(), "slow");
    }
    let queries = env.take_queries();
    assert!(
        queries <= 2,
        "the cancelled load and one more, not one per follower: {queries}"
    );
}

/// A lease taken by a read dropped while it loads is let go at once (not
/// held until it expires, which would make other processes wait for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_read_lets_its_lease_go() {
    let test = "a_cancelled_read_lets_its_lease_go";
    let Some(mut env) = async_env::postgres_redis(test).await else {
        return;
    };
    let id = seed(&mut env, &[("leased", 1)])[0];
    let p = &env.sync.products;
    let counter = env.counter();
    slow(&mut env.conn, Duration::from_millis(300), counter);
    let gone =
        tokio::time::timeout(Duration::from_millis(100), p.get_async(&mut env.conn, id)).await;
    assert!(gone.is_err(), "cancelled while it loads");
    let prefix = env.sync.cache.config().key_prefix.clone();
    let mut raw = redis::Client::open(cache_tests::services::redis_url().unwrap())
        .unwrap()
        .get_connection()
        .unwrap();
    // Polled for 1.5 s at most: well before the lease (2 s) would expire
    // by itself, with room for a loaded machine to run the release.
    let mut leases = Vec::<String>::new();
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        leases = redis::cmd("KEYS")
            .arg(format!("{prefix}:x:*"))
            .query(&mut raw)
            .unwrap();
        if leases.is_empty() {
            break;
        }
    }
    assert!(leases.is_empty(), "the lease is let go: {leases:?}");
}

/// A connection of diesel-async's deadpool pool is passed as `&mut *pooled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadpool_connections_are_passed_as_they_deref() {
    use diesel_async::pooled_connection::AsyncDieselConnectionManager;
    use diesel_async::pooled_connection::deadpool::Pool;
    let test = "deadpool_connections_are_passed_as_they_deref";
    let Some(mut env) = async_env::postgres_redis(test).await else {
        return;
    };
    let id = seed(&mut env, &[("pooled", 3)])[0];
    let schema = env.sync.db.schema().unwrap().to_owned();
    let url = cache_tests::services::database_url().unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let manager = AsyncDieselConnectionManager::<diesel_async::AsyncPgConnection>::new(url);
    let pool = Pool::builder(manager).max_size(2).build().unwrap();
    let p = &env.sync.products;
    let mut conn = pool.get().await.unwrap();
    assert_eq!(p.get_async(&mut *conn, id).await.unwrap().slug, "pooled");
    let renamed = p.update_async(&mut *conn, id, products::slug.eq("moved".to_string()));
    assert_eq!(renamed.await.unwrap().unwrap().slug, "moved");
    let mut other = pool.get().await.unwrap();
    assert_eq!(p.get_async(&mut *other, id).await.unwrap().slug, "moved");
}

/// A connection of diesel-async's bb8 pool is passed as `&mut *pooled`
/// (here `AsyncMysqlConnection`s, each tracked by the pool's setup: a hook
/// inside a transaction invalidates at its commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bb8_connections_are_passed_as_they_deref() {
    use diesel_async::pooled_connection::bb8::Pool;
    use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
    let test = "bb8_connections_are_passed_as_they_deref";
    let Some(mut env) = async_env::mysql_redis(test).await else {
        return;
    };
    let id = seed(&mut env, &[("pooled", 3)])[0];
    let server = cache_tests::services::mysql_url().unwrap();
    let url = cache_tests::services::mysql_database_url(&server, env.sync.db.database().unwrap());
    let mut config = ManagerConfig::default();
    let cache = env.sync.cache.clone();
    config.custom_setup = Box::new(move |url| {
        let cache = cache.clone();
        Box::pin(async move {
            let mut conn = diesel_async::AsyncMysqlConnection::establish(url).await?;
            let tracking = cache_diesel::CacheTracking::for_async_connection::<
                diesel_async::AsyncMysqlConnection,
            >();
            conn.set_instrumentation(tracking.for_caches([cache]));
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    let pool = Pool::builder().max_size(2).build(manager).await.unwrap();
    let p = &env.sync.products;
    let mut conn = pool.get().await.unwrap();
    assert_eq!(p.get_async(&mut *conn, id).await.unwrap().slug, "pooled");
    let renamed = p.update_async(&mut *conn, id, products::slug.eq("moved".to_string()));
    assert_eq!(renamed.await.unwrap().unwrap().slug, "moved");
    let mut other = pool.get().await.unwrap();
    assert_eq!(p.get_async(&mut *other, id).await.unwrap().slug, "moved");
    cache_diesel::transaction_async(&mut *conn, async |c| {
        p.update_async(c, id, products::title.eq("committed"))
            .await?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(
        p.get_async(&mut *other, id).await.unwrap().title,
        "committed"
    );
}

#[test]
fn model_info_is_the_same_for_both_apis() {
    // A compile-time check as much as a test: the async trait is
    // implemented for the connection types of the enabled features.
    fn queries<C, M: AsyncModelQueries<C>>() -> &'static [String] {
        M::related_tables()
    }
    assert!(
        queries::<diesel_async::AsyncPgConnection, Product>().is_empty()
            && Product::INFO.name == "Product"
    );
}

/// MariaDB's async hooks write as the sync ones do (no `RETURNING`): in a
/// transaction of their own (the probe, `BEGIN`, the reads `FOR UPDATE`,
/// `COMMIT`), an update of the primary key and an insert that generated no
/// key refused and rolled back, under a savepoint inside a transaction,
/// and refused inside one opened by SQL text the tracker does not follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_hooks_write_as_the_sync_ones() {
    use diesel_async::SimpleAsyncConnection;
    let Some(mut env) = async_env::mysql_redis("mysql_async_hooks").await else {
        return;
    };
    let id = seed(&mut env, &[("kept", 1)])[0];
    let counter = env.counter();
    let counted = move || counter.swap(0, Ordering::SeqCst);
    let p = &env.sync.products;
    let c = &mut env.conn;

    // The statements of each hook, as on a sync connection.
    let row = p.update_async(c, id, products::title.eq("new")).await;
    assert_eq!((row.unwrap().unwrap().title, counted()), ("new".into(), 6));
    let none = p.update_async(c, 999, products::title.eq("x")).await;
    assert_eq!((none.unwrap(), counted()), (None, 4));
    let added = p.insert_async(c, NewProduct::new("added", 2)).await;
    assert_eq!((added.unwrap().slug, counted()), ("added".into(), 6));
    let added = p.find_unique_async(c, ProductUnique::Slug("added".into()));
    let added = added.await.unwrap().unwrap().id;
    counted();
    let gone = p.delete_async(c, added).await.unwrap().map(|r| r.slug);
    assert_eq!((gone.as_deref(), counted()), (Some("added"), 5));

    // A changed primary key, a given key: refused, nothing written.
    let moved = p.update_async(c, id, products::id.eq(id + 100)).await;
    let err = moved.unwrap_err().to_string();
    assert!(err.contains("primary key"), "{err}");
    let explicit = (
        products::id.eq(id + 50),
        products::slug.eq("given"),
        products::title.eq("t"),
        products::is_active.eq(true),
        products::category_id.eq(1),
    );
    let err = p.insert_async(c, explicit).await.unwrap_err().to_string();
    assert!(err.contains("LAST_INSERT_ID"), "{err}");
    let rows = |c: &mut diesel::MysqlConnection| -> Vec<(i32, String)> {
        products::table
            .select((products::id, products::title))
            .order(products::id)
            .load(c)
            .unwrap()
    };
    assert_eq!(rows(&mut env.sync.db.conn), [(id, "new".to_string())]);

    // Untracked, inside BEGIN sent as text: refused, and BEGIN not committed.
    let raw =
        "INSERT INTO products (slug, title, is_active, category_id) VALUES ('raw', 't', true, 1)";
    let c = &mut env.conn;
    c.batch_execute("BEGIN").await.unwrap();
    c.batch_execute(raw).await.unwrap();
    let err = p.update_async(c, id, products::title.eq("in txn")).await;
    assert!(err.unwrap_err().to_string().contains("cannot follow"));
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&mut env.sync.db.conn), [(id, "new".to_string())]);

    // Tracked: under a savepoint; the text ROLLBACK undoes everything.
    cache_diesel::track_async(c);
    c.batch_execute("BEGIN").await.unwrap();
    c.batch_execute(raw).await.unwrap();
    p.update_async(c, id, products::title.eq("in txn"))
        .await
        .unwrap();
    p.insert_async(c, NewProduct::new("hooked", 1))
        .await
        .unwrap();
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&mut env.sync.db.conn), [(id, "new".to_string())]);
    assert_eq!(p.get_async(c, id).await.unwrap().title, "new");

    // Inside a diesel-async transaction: a refused insert is undone alone.
    let kept = cache_diesel::transaction_async(c, async |c| {
        assert!(
            p.insert_async(
                c,
                (
                    products::id.eq(77),
                    products::slug.eq("no"),
                    products::title.eq("t"),
                    products::is_active.eq(true),
                    products::category_id.eq(1)
                )
            )
            .await
            .is_err()
        );
        p.insert_async(c, NewProduct::new("in diesel txn", 1)).await
    })
    .await
    .unwrap();
    let titles: Vec<String> = rows(&mut env.sync.db.conn)
        .into_iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(titles, ["new", "Title of in diesel txn"]);
    assert_eq!(
        p.get_async(&mut env.conn, kept.id).await.unwrap().slug,
        "in diesel txn"
    );
}
