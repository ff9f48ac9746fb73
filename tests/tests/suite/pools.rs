//! r2d2 pools with both backend features enabled: the
//! managers take `&mut pooled` for reads and write hooks, and
//! `TrackConnections` makes every connection of the pool cache-aware, so a
//! raw write through any pooled connection invalidates.

use cache_diesel::Pooled;
use cache_diesel::{Cache, TrackConnections};
use cache_tests::db::{self, query_counter};
use cache_tests::env::cache_with_prefix;
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductQueries, products,
};
use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, R2D2Connection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const POOL_SIZE: u32 = 3;

/// A pool whose every connection is tracked (invalidating `cache`) and
/// counts its queries into `queries`; `setup` runs on each after that.
fn pool<C, S>(
    url: &str,
    cache: &Cache,
    queries: &Arc<AtomicUsize>,
    setup: S,
) -> Pool<ConnectionManager<C>>
where
    C: R2D2Connection + Send + 'static,
    S: CustomizeConnection<C, diesel::r2d2::Error>,
{
    let counter = queries.clone();
    Pool::builder()
        .max_size(POOL_SIZE)
        .test_on_check_out(false)
        .connection_customizer(Box::new(
            TrackConnections::new()
                .for_caches([cache.clone()])
                .with(move || query_counter(counter.clone()))
                .then(setup),
        ))
        .build(ConnectionManager::<C>::new(url))
        .expect("pool")
}

/// The URL of `db`'s PostgreSQL database, its connections' `search_path`
/// its schema.
fn postgres_url(db: &db::TestDb<PgConnection>) -> String {
    let url = services::database_url().unwrap();
    let schema = db.schema().unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// Queries run by `f`.
fn counted<T>(queries: &AtomicUsize, f: impl FnOnce() -> T) -> (T, usize) {
    let before = queries.load(Ordering::SeqCst);
    let out = f();
    (out, queries.load(Ordering::SeqCst) - before)
}

fn titles(rows: &[Product]) -> Vec<&str> {
    rows.iter().map(|p| p.title.as_str()).collect()
}

/// Reads, hooks and raw writes through pooled connections.
fn through_the_pool<C>(pool: &Pool<ConnectionManager<C>>, cache: Cache, queries: &AtomicUsize)
where
    C: R2D2Connection + Send + 'static,
    Product: ProductQueries<Pooled<C>>,
{
    let products = ProductCache::new(cache);
    let mut conn = pool.get().unwrap();
    let rows = vec![
        NewProduct::new("a", 1),
        NewProduct::new("b", 1),
        NewProduct::new("c", 2),
    ];
    products.insert(&mut conn, rows).unwrap();

    let id = products.get_by_slug(&mut conn, "a".into()).unwrap().id;
    let (first, q) = counted(queries, || products.get(&mut conn, id).unwrap());
    assert_eq!((first.slug.as_str(), q), ("a", 1), "a miss");
    let (again, q) = counted(queries, || products.get(&mut conn, id).unwrap());
    assert_eq!((again, q), (first, 0), "a hit");
    let one = ProductFilter::default().category_id(1);
    let (list, q) = counted(queries, || {
        products.all(&mut conn, None, one.clone()).unwrap()
    });
    assert_eq!((titles(&list), q), (vec!["Title of a", "Title of b"], 1));
    let (_, q) = counted(queries, || {
        products.all(&mut conn, None, one.clone()).unwrap()
    });
    assert_eq!(q, 0, "a list hit");

    // A hook through one pooled connection, read through another.
    let mut other = pool.get().unwrap();
    products
        .update(&mut conn, id, products::title.eq("hook".to_string()))
        .unwrap();
    assert_eq!(products.get(&mut other, id).unwrap().title, "hook");
    let list = products.all(&mut other, None, one.clone()).unwrap();
    assert_eq!(titles(&list), ["hook", "Title of b"]);

    // Raw writes, seen because the pool tracks every connection it opens.
    other
        .batch_execute(&format!(
            "UPDATE products SET title = 'raw' WHERE id = {id}"
        ))
        .unwrap();
    assert_eq!(products.get(&mut conn, id).unwrap().title, "raw");
    conn.batch_execute(&format!(
        "UPDATE products SET title = 'raw again' WHERE id = {id}"
    ))
    .unwrap();
    assert_eq!(products.get(&mut other, id).unwrap().title, "raw again");
    assert_eq!(
        titles(&products.all(&mut other, None, one.clone()).unwrap())[0],
        "raw again"
    );

    // Inside a transaction on a pooled connection: invalidated at the commit.
    cache_diesel::transaction(&mut conn, |c| {
        products.update(c, id, products::title.eq("in a transaction".to_string()))?;
        assert_eq!(products.get(c, id)?.title, "in a transaction");
        Ok::<_, cache_diesel::Error>(())
    })
    .unwrap();
    assert_eq!(
        products.get(&mut other, id).unwrap().title,
        "in a transaction"
    );

    let mut row = products.get(&mut conn, id).unwrap();
    row.is_active = false;
    products.save(&mut other, &row).unwrap();
    assert!(!products.get(&mut conn, id).unwrap().is_active);
    products
        .update_where(
            &mut other,
            ProductFilter::default().category_id(2),
            products::is_active.eq(false),
        )
        .unwrap();
    let inactive = products
        .all(&mut conn, None, ProductFilter::default().is_active(false))
        .unwrap();
    assert_eq!(inactive.len(), 2);
    products.delete(&mut conn, id).unwrap();
    assert!(products.find(&mut other, id).unwrap().is_none());
    assert!(
        products
            .find_by_slug(&mut other, "a".into())
            .unwrap()
            .is_none()
    );
    drop((conn, other));

    // Every connection the pool holds is tracked.
    let all: Vec<_> = (0..POOL_SIZE).map(|_| pool.get().unwrap()).collect();
    for mut conn in all {
        assert!(cache_diesel::tracker(&mut conn).is_some());
    }
}

/// SQLite connections of a shared file wait for each other's locks.
#[derive(Debug)]
struct BusyTimeout;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for BusyTimeout {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("PRAGMA busy_timeout = 30000")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

#[test]
fn an_r2d2_pool_over_sqlite() {
    let db = db::sqlite_file("pool_sqlite");
    let url = db.file().expect("a SQLite file").to_owned();
    let cache = cache_with_prefix("memory://", "pool_sqlite");
    let queries = Arc::new(AtomicUsize::new(0));
    let pool = pool::<SqliteConnection, _>(&url, &cache, &queries, BusyTimeout);
    through_the_pool(&pool, cache.clone(), &queries);

    // The escape hatch too: `all_where` through a pooled connection.
    let products = ProductCache::new(cache.clone());
    let mut conn = pool.get().unwrap();
    let like = || Box::new(products::slug.like("b%"));
    let (rows, q) = counted(&queries, || {
        products.all_where(&mut conn, None, like()).unwrap()
    });
    assert_eq!((rows.len(), q), (1, 1));
    let (_, q) = counted(&queries, || {
        products.all_where(&mut conn, None, like()).unwrap()
    });
    assert_eq!(q, 0);
    // A write through Diesel's DSL on a pooled connection is seen too.
    let mut other = pool.get().unwrap();
    diesel::update(products::table.filter(products::slug.eq("b")))
        .set(products::slug.eq("bb"))
        .execute(&mut other)
        .unwrap();
    let (rows, q) = counted(&queries, || {
        products.all_where(&mut conn, None, like()).unwrap()
    });
    assert_eq!((rows[0].slug.as_str(), q), ("bb", 1));
    cache.clear().unwrap();
}

/// [`through_the_pool`] on a tracked pool (no other setup) of connections
/// to `url`, over Redis with the test's own prefix.
fn a_plain_pool<C>(url: &str, redis: &str, test: &str)
where
    C: R2D2Connection + Send + 'static,
    Product: ProductQueries<Pooled<C>>,
{
    let cache = cache_with_prefix(redis, test);
    let queries = Arc::new(AtomicUsize::new(0));
    let pool = pool::<C, _>(url, &cache, &queries, diesel::r2d2::NopConnectionCustomizer);
    through_the_pool(&pool, cache.clone(), &queries);
    drop(pool);
    cache.clear().unwrap();
}

#[test]
fn an_r2d2_pool_over_postgres() {
    let (Some(redis), Some(db)) = (services::redis_url(), db::postgres("pool_pg")) else {
        return;
    };
    let url = postgres_url(&db);
    a_plain_pool::<PgConnection>(&url, &redis, "pool_pg");
}

#[test]
fn an_r2d2_pool_over_mysql() {
    let (Some(redis), Some(db)) = (services::redis_url(), db::mysql("pool_my")) else {
        return;
    };
    let url = services::mysql_database_url(&services::mysql_url().unwrap(), db.database().unwrap());
    a_plain_pool::<diesel::MysqlConnection>(&url, &redis, "pool_my");
}

/// A pooled MariaDB connection whose tracker lost track (a statement it
/// cannot read) asks the server where its session stands at its next
/// read, as a bare connection does: in autocommit, its reads fill again.
#[test]
fn a_pooled_mysql_connection_that_lost_track_asks_the_server() {
    let (Some(redis), Some(db)) = (services::redis_url(), db::mysql("pool_my_lost")) else {
        return;
    };
    let url = services::mysql_database_url(&services::mysql_url().unwrap(), db.database().unwrap());
    let lose = "EXECUTE IMMEDIATE 'DO 1'";
    lost_track_then_asked::<diesel::MysqlConnection>(&url, &redis, "pool_my_lost", lose, 1);
}

/// The same on PostgreSQL (a failed batch whose `BEGIN` did not run; two
/// questions).
#[test]
fn a_pooled_postgres_connection_that_lost_track_asks_the_server() {
    let (Some(redis), Some(db)) = (services::redis_url(), db::postgres("pool_pg_lost")) else {
        return;
    };
    let url = postgres_url(&db);
    lost_track_then_asked::<PgConnection>(&url, &redis, "pool_pg_lost", "SELECT 1/0; BEGIN", 2);
}

/// A pooled connection to `url` runs `lose` (its tracker loses track;
/// it may fail), then reads a row twice: `asked` questions to the server
/// and the row's query, then a hit.
fn lost_track_then_asked<C>(url: &str, redis: &str, test: &str, lose: &str, asked: usize)
where
    C: R2D2Connection + Send + 'static,
    Product: ProductQueries<Pooled<C>>,
{
    let cache = cache_with_prefix(redis, test);
    let queries = Arc::new(AtomicUsize::new(0));
    let pool = pool::<C, _>(url, &cache, &queries, diesel::r2d2::NopConnectionCustomizer);
    let products = ProductCache::new(cache.clone());
    let mut conn = pool.get().unwrap();
    let id = products
        .insert(&mut conn, NewProduct::new("lost", 1))
        .unwrap()
        .id;
    let _ = conn.batch_execute(lose);
    let (_, q) = counted(&queries, || products.get(&mut conn, id).unwrap());
    assert_eq!(q, asked + 1, "the server asked, then the row read");
    let (_, q) = counted(&queries, || products.get(&mut conn, id).unwrap());
    assert_eq!(q, 0, "filled: a hit");
    drop(conn);
    drop(pool);
    cache.clear().unwrap();
}
