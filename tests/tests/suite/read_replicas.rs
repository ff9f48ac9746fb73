//! Reads from a read replica: a replica that has not replayed a
//! write the cache's tags already reflect must not fill the cache with the
//! old row. PostgreSQL: a streaming replica of the test server, this
//! process's own (`cache_tests::pg_replica`), replaying 3 s behind it;
//! MariaDB: a primary and a replica 3 s behind it, both the process's own
//! (`cache_tests::mariadb_replica`). Writes go to the primary through the
//! hooks, reads through `Replicated` sources (and, to show the failure the
//! check prevents, through the replica alone).

use cache_diesel::__private::ListFilter;
use cache_diesel::{Checkout, ConnectionSource, Replicated};
use cache_tests::db;
use cache_tests::env::cache_with_prefix;
use cache_tests::mariadb_replica::MariaDbPair;
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductQueries, ProductUnique, products,
};
use cache_tests::pg_replica::PgReplica;
use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How far the tests' replica lags: long enough that a read right after a
/// write finds it not replayed, even on a loaded machine.
const LAG: Duration = Duration::from_secs(3);

/// How far the MariaDB replica lags (`MASTER_DELAY`: whole seconds).
const MARIADB_LAG: u32 = 3;

/// How long a test waits for the replica to catch up.
const CATCH_UP: Duration = Duration::from_secs(60);

/// `url` with every connection's `search_path` set to `schema`.
fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// A source opening a connection to `url` per checkout, counted.
fn counted<C: Connection + 'static>(
    url: String,
    count: &AtomicUsize,
) -> impl ConnectionSource<Connection = C> {
    Checkout(move || {
        count.fetch_add(1, Ordering::Relaxed);
        C::establish(&url).map(Box::new)
    })
}

#[test]
fn a_lagging_replica_never_fills_the_cache_with_what_it_has_not_replayed() {
    let (Some(redis), Some(mut db)) = (services::redis_url(), db::postgres("replica_sync")) else {
        return;
    };
    let Some(replica) = PgReplica::shared(LAG) else {
        return;
    };
    let schema = db.schema().unwrap().to_owned();
    let urls = (
        in_schema(&replica.url(), &schema),
        in_schema(replica.primary_url(), &schema),
    );
    lagging_replica(&redis, "replica_sync", &mut db.conn, urls, || {
        replica.catch_up(CATCH_UP)
    });
}

#[test]
fn a_lagging_mariadb_replica_never_fills_what_it_has_not_applied() {
    let (Some(redis), Some(pair)) = (services::redis_url(), MariaDbPair::shared(MARIADB_LAG))
    else {
        return;
    };
    let mut primary = mariadb_database(pair, "replica_mariadb");
    let name: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("DATABASE()"))
        .get_result(&mut primary)
        .unwrap();
    let urls = (pair.replica_url(&name), pair.primary_url(&name));
    lagging_replica(&redis, "replica_mariadb", &mut primary, urls, || {
        pair.catch_up(CATCH_UP)
    });
}

/// A database of the test's own on the pair's primary, with the test
/// tables, once the replica has it too; its connection.
fn mariadb_database(pair: &MariaDbPair, test: &str) -> MysqlConnection {
    let name = db::mysql_database_name(test);
    let mut admin = MysqlConnection::establish(&pair.primary_url("")).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE `{name}`"))
        .unwrap();
    let mut conn = MysqlConnection::establish(&pair.primary_url(&name)).unwrap();
    for ddl in cache_tests::models::MYSQL_DDL {
        diesel::sql_query(*ddl).execute(&mut conn).unwrap();
    }
    // The replica's connections open this database.
    assert!(pair.catch_up(CATCH_UP), "the replica did not catch up");
    conn
}

/// The lagging replica's story on `db` (the primary's connection), reads
/// through a `Replicated` source over `urls` (the replica's, the
/// primary's); `catch_up` waits until the replica has applied everything
/// committed so far.
fn lagging_replica<C>(
    redis: &str,
    test: &str,
    db: &mut C,
    urls: (String, String),
    catch_up: impl Fn() -> bool,
) where
    C: cache_diesel::ReplicaPosition + 'static,
    Product: ProductQueries<C>,
{
    let cache = cache_with_prefix(redis, test);
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(db, NewProduct::new("replicated", 3))
        .unwrap()
        .id;
    let (replica_checkouts, primary_checkouts) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let source = Replicated::new(
        counted::<C>(urls.0, &replica_checkouts),
        counted::<C>(urls.1, &primary_checkouts),
    );
    let reads = products.from_pool(&source);
    let in_three = || ProductFilter::default().category_id(3);
    let entries = [
        products.detail_key(&ProductUnique::Id(id)),
        products.list_key(None, &in_three().cache_key()),
    ];
    let forget = || {
        for key in &entries {
            cache.backend().delete(key).unwrap();
        }
    };

    // Tag versions new to the source: the primary's position now, which
    // the replica (seconds behind the insert) has not replayed.
    assert_eq!(reads.get(id).unwrap().slug, "replicated");
    assert_eq!(reads.all(None, in_three()).unwrap().len(), 1);
    let stats = source.stats();
    assert_eq!(
        (stats.replica_reads, stats.replica_behind),
        (0, 2),
        "{stats:?}"
    );
    // Hits: no connection at all.
    let checkouts = (
        replica_checkouts.load(Ordering::Relaxed),
        primary_checkouts.load(Ordering::Relaxed),
    );
    assert_eq!(reads.get(id).unwrap().slug, "replicated");
    assert_eq!(reads.all(None, in_three()).unwrap().len(), 1);
    let now = (
        replica_checkouts.load(Ordering::Relaxed),
        primary_checkouts.load(Ordering::Relaxed),
    );
    assert_eq!(now, checkouts);

    // Once the replica has replayed those positions, misses on the same
    // tag versions (entries gone, no write since) are the replica's, and
    // the primary is not asked.
    assert!(catch_up(), "the replica did not catch up");
    forget();
    let primary_before = primary_checkouts.load(Ordering::Relaxed);
    assert_eq!(reads.get(id).unwrap().slug, "replicated");
    assert_eq!(reads.all(None, in_three()).unwrap().len(), 1);
    let stats = source.stats();
    assert_eq!(
        (stats.replica_reads, stats.replica_behind),
        (2, 2),
        "{stats:?}"
    );
    assert_eq!(primary_checkouts.load(Ordering::Relaxed), primary_before);

    // A write on the primary the replica replays seconds later: the reads
    // right after it miss (its bumps), find the replica behind, and read
    // the primary.
    products
        .update(db, id, products::title.eq("renamed".to_owned()))
        .unwrap();
    products.insert(db, NewProduct::new("second", 3)).unwrap();
    assert_eq!(reads.get(id).unwrap().title, "renamed");
    assert_eq!(reads.all(None, in_three()).unwrap().len(), 2);
    assert_eq!(reads.count(None, in_three()).unwrap(), 2);
    let stats = source.stats();
    assert_eq!(
        (stats.replica_reads, stats.replica_behind),
        (2, 5),
        "{stats:?}"
    );
    // What they filled is the primary's: hits now, the same rows.
    let hits = products.stats().hits;
    assert_eq!(reads.get(id).unwrap().title, "renamed");
    assert_eq!(reads.count(None, in_three()).unwrap(), 2);
    assert_eq!(products.stats().hits, hits + 2);
    cache.clear().unwrap();
}

/// Without the check, the same sequence fills the cache with the row the
/// replica had: the failure `Replicated` exists for (and the reason the
/// test above must read the primary).
#[test]
fn without_the_check_a_lagging_replica_fills_the_old_row() {
    let (Some(redis), Some(mut db)) = (services::redis_url(), db::postgres("replica_bare")) else {
        return;
    };
    let Some(replica) = PgReplica::shared(LAG) else {
        return;
    };
    let cache = cache_with_prefix(&redis, "replica_bare");
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(&mut db.conn, NewProduct::new("old", 2))
        .unwrap()
        .id;
    assert!(replica.catch_up(CATCH_UP), "the replica did not catch up");
    let url = in_schema(&replica.url(), db.schema().unwrap());
    let unused = AtomicUsize::new(0);
    let bare = counted::<PgConnection>(url, &unused);
    let reads = products.from_pool(&bare);
    products
        .update(&mut db.conn, id, products::title.eq("new"))
        .unwrap();
    let read = reads.get(id).unwrap().title;
    if read == "new" {
        // The machine stalled past the lag between the write and the read.
        println!("skipped: the replica replayed the write before the read");
        return;
    }
    assert_eq!(read, "Title of old");
    assert!(replica.catch_up(CATCH_UP), "the replica did not catch up");
    // Replayed everywhere now, but the cache keeps serving the old row.
    assert_eq!(reads.get(id).unwrap().title, "Title of old");
    cache.clear().unwrap();
}

#[test]
fn an_unreachable_replica_sends_reads_to_the_primary() {
    let Some(mut db) = db::postgres("replica_down") else {
        return;
    };
    let cache = cache_with_prefix("memory://", "replica_down");
    let products = ProductCache::new(cache);
    let id = products
        .insert(&mut db.conn, NewProduct::new("primary", 1))
        .unwrap()
        .id;
    let schema = db.schema().unwrap().to_owned();
    let closed = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("postgres://postgres@127.0.0.1:{port}/test")
    };
    let (a, b) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let primary = in_schema(&services::database_url().unwrap(), &schema);
    let source = Replicated::new(
        counted::<PgConnection>(closed, &a),
        counted::<PgConnection>(primary, &b),
    );
    let reads = products.from_pool(&source);
    assert_eq!(reads.get(id).unwrap().slug, "primary");
    assert!(reads.find(id + 1).unwrap().is_none());
    let stats = source.stats();
    assert_eq!(
        (
            stats.replica_reads,
            stats.replica_behind,
            stats.replica_failed
        ),
        (0, 0, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_reads_check_the_replica_too() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let (Some(redis), Some(mut db)) = (services::redis_url(), db::postgres("replica_async")) else {
        return;
    };
    let Some(replica) = tokio::task::spawn_blocking(|| PgReplica::shared(LAG))
        .await
        .unwrap()
    else {
        return;
    };
    let cache = cache_with_prefix(&redis, "replica_async");
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(&mut db.conn, NewProduct::new("async", 6))
        .unwrap()
        .id;
    let schema = db.schema().unwrap().to_owned();
    let replica_url = in_schema(&replica.url(), &schema);
    let primary_url = in_schema(replica.primary_url(), &schema);
    let source = Replicated::new(
        Checkout(move || {
            let url = replica_url.clone();
            async move { AsyncPgConnection::establish(&url).await.map(Box::new) }
        }),
        Checkout(move || {
            let url = primary_url.clone();
            async move { AsyncPgConnection::establish(&url).await.map(Box::new) }
        }),
    );
    let reads = products.from_pool(&source);
    // New tag versions, the replica behind the primary's position: the
    // primary's row.
    assert_eq!(reads.get_async(id).await.unwrap().slug, "async");
    assert_eq!(source.stats().replica_behind, 1);
    // Replayed: a miss on the same versions is the replica's.
    let caught_up = tokio::task::spawn_blocking(|| replica.catch_up(CATCH_UP));
    assert!(caught_up.await.unwrap(), "the replica did not catch up");
    let detail = products.detail_key(&ProductUnique::Id(id));
    cache.backend().delete(&detail).unwrap();
    assert_eq!(reads.get_async(id).await.unwrap().slug, "async");
    assert_eq!(source.stats().replica_reads, 1);
    // A write: the replica is behind it, the primary answers.
    products
        .update(&mut db.conn, id, products::title.eq("async renamed"))
        .unwrap();
    assert_eq!(reads.get_async(id).await.unwrap().title, "async renamed");
    let in_six = || ProductFilter::default().category_id(6);
    assert_eq!(
        reads.all_async(None, in_six()).await.unwrap()[0].title,
        "async renamed"
    );
    let stats = source.stats();
    assert_eq!(
        (stats.replica_reads, stats.replica_behind),
        (1, 3),
        "{stats:?}"
    );
    cache.clear().unwrap();
}
