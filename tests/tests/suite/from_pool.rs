//! Reads through a connection source (`Manager::from_pool`): a
//! hit needs no connection (the pool's only one is held
//! meanwhile, and a checkout would fail at once), a miss checks one out,
//! a miss with none to be had fails with `Error::Checkout`, and writes
//! invalidate as for reads given a connection. r2d2 over PostgreSQL +
//! Redis, a `Checkout` closure over SQLite + the in-process store,
//! diesel-async's deadpool and bb8 over PostgreSQL + Redis.

use cache_diesel::{Checkout, Error};
use cache_tests::db;
use cache_tests::env::cache_with_prefix;
use cache_tests::models::{NewProduct, ProductCache, ProductFilter, ProductUnique, products};
use cache_tests::services;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use std::time::Duration;

/// `url` with every connection's `search_path` set to `schema`.
fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// A pool of one connection whose checkout fails after 100 ms, once its
/// connection is open (`build` would open it under those 100 ms too, which
/// a loaded machine can take).
fn pool_of_one<C: diesel::r2d2::R2D2Connection + Send + 'static>(
    url: &str,
) -> Pool<ConnectionManager<C>> {
    let pool = Pool::builder()
        .max_size(1)
        .connection_timeout(Duration::from_millis(100))
        .test_on_check_out(false)
        .connection_customizer(Box::new(cache_diesel::TrackConnections::new()))
        .build_unchecked(ConnectionManager::<C>::new(url));
    drop(pool.get_timeout(Duration::from_secs(10)).expect("pool"));
    pool
}

#[test]
fn an_r2d2_pool_is_asked_for_a_connection_only_on_a_miss() {
    let (Some(redis), Some(mut db)) = (services::redis_url(), db::postgres("from_pool")) else {
        return;
    };
    let cache = cache_with_prefix(&redis, "from_pool");
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(&mut db.conn, NewProduct::new("pooled", 4))
        .unwrap()
        .id;
    let url = in_schema(&services::database_url().unwrap(), db.schema().unwrap());
    let pool = pool_of_one::<PgConnection>(&url);
    let reads = products.from_pool(&pool);
    let in_four = || ProductFilter::default().category_id(4);
    // Misses: a connection each.
    assert_eq!(reads.get(id).unwrap().slug, "pooled");
    assert_eq!(reads.all(None, in_four()).unwrap().len(), 1);
    assert_eq!(reads.count(None, in_four()).unwrap(), 1);
    let held = pool.get().unwrap();
    // Hits: no connection needed.
    let hits = products.stats().hits;
    assert_eq!(reads.get(id).unwrap().slug, "pooled");
    assert_eq!(reads.find(id).unwrap().unwrap().slug, "pooled");
    assert_eq!(reads.all(None, in_four()).unwrap().len(), 1);
    assert_eq!(reads.count(None, in_four()).unwrap(), 1);
    let batch = reads.get_many_unique([ProductUnique::Id(id)]).unwrap();
    assert_eq!(batch[0].slug, "pooled");
    assert_eq!(products.stats().hits, hits + 5);
    // A miss with no connection to be had.
    let missed = reads.get(id + 1000);
    assert!(matches!(missed, Err(Error::Checkout(_))), "{missed:?}");
    drop(held);
    // A write (on another connection) invalidates what the pool reads.
    products
        .update(&mut db.conn, id, products::title.eq("renamed"))
        .unwrap();
    assert_eq!(reads.get(id).unwrap().title, "renamed");
    assert!(reads.find(id + 1000).unwrap().is_none());
    cache.clear().unwrap();
}

#[test]
fn a_checkout_closure_is_a_source_too() {
    let mut db = db::sqlite_file("from_closure");
    let cache = cache_with_prefix("memory://", "from_closure");
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(&mut db.conn, NewProduct::new("closure", 1))
        .unwrap()
        .id;
    let pool = pool_of_one::<SqliteConnection>(db.file().unwrap());
    let source = Checkout(|| pool.get());
    let reads = products.from_pool(&source);
    assert_eq!(reads.get(id).unwrap().slug, "closure");
    let _held = pool.get().unwrap();
    assert_eq!(reads.get(id).unwrap().slug, "closure");
    let missed = reads.count(None, ProductFilter::default().category_id(9));
    assert!(matches!(missed, Err(Error::Checkout(_))), "{missed:?}");
}

/// An async pool of one PostgreSQL connection (`search_path` set to the
/// test's schema): deadpool's, or bb8's.
macro_rules! async_pool_test {
    ($name:ident, $test:literal, $pool:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            use diesel_async::pooled_connection::AsyncDieselConnectionManager;
            let (Some(redis), Some(mut db)) = (services::redis_url(), db::postgres($test)) else {
                return;
            };
            let cache = cache_with_prefix(&redis, $test);
            let products = ProductCache::new(cache.clone());
            let id = products
                .insert(&mut db.conn, NewProduct::new("async", 5))
                .unwrap()
                .id;
            let url = in_schema(&services::database_url().unwrap(), db.schema().unwrap());
            let manager = AsyncDieselConnectionManager::<diesel_async::AsyncPgConnection>::new(url);
            let pool = ($pool)(manager).await;
            // Its one connection opened first (under a 10 s deadline): the
            // pool's own 100 ms bound only the checkouts the test counts.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                match pool.get().await {
                    Ok(conn) => break drop(conn),
                    Err(e) => assert!(std::time::Instant::now() < deadline, "pool: {e}"),
                }
            }
            let reads = products.from_pool(&pool);
            let in_five = || ProductFilter::default().category_id(5);
            assert_eq!(reads.get_async(id).await.unwrap().slug, "async");
            assert_eq!(reads.all_async(None, in_five()).await.unwrap().len(), 1);
            assert_eq!(reads.count_async(None, in_five()).await.unwrap(), 1);
            let held = pool.get().await.unwrap();
            let hits = products.stats().hits;
            assert_eq!(reads.get_async(id).await.unwrap().slug, "async");
            assert_eq!(reads.all_async(None, in_five()).await.unwrap().len(), 1);
            assert_eq!(reads.count_async(None, in_five()).await.unwrap(), 1);
            assert_eq!(products.stats().hits, hits + 3);
            // A miss waits for a connection (deadpool's pool has no
            // timeout here; bb8's gives up after 100 ms).
            let missed = tokio::time::timeout(Duration::from_secs(1), reads.find_async(id + 1000));
            match missed.await {
                Err(_waited) => {}
                Ok(Err(Error::Checkout(_))) => {}
                Ok(other) => panic!("a miss with no connection to be had: {other:?}"),
            }
            drop(held);
            products
                .update(&mut db.conn, id, products::title.eq("renamed"))
                .unwrap();
            assert_eq!(reads.get_async(id).await.unwrap().title, "renamed");
            // Served from a handler of a multi-threaded runtime: the read's
            // future is `Send`.
            let shared = std::sync::Arc::new((products, pool));
            let task = tokio::spawn(async move {
                let (products, pool) = &*shared;
                products
                    .from_pool(pool)
                    .get_async(id)
                    .await
                    .map(|p| p.title)
            });
            assert_eq!(task.await.unwrap().unwrap(), "renamed");
            cache.clear().unwrap();
        }
    };
}

async_pool_test!(
    a_deadpool_pool_is_asked_only_on_a_miss,
    "from_deadpool",
    |manager| async move {
        diesel_async::pooled_connection::deadpool::Pool::builder(manager)
            .max_size(1)
            .build()
            .unwrap()
    }
);

async_pool_test!(
    a_bb8_pool_is_asked_only_on_a_miss,
    "from_bb8",
    |manager| async move {
        diesel_async::pooled_connection::bb8::Pool::builder()
            .max_size(1)
            .connection_timeout(Duration::from_millis(100))
            .build(manager)
            .await
            .unwrap()
    }
);
