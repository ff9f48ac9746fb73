//! Batch reads (`find_many`, `get_many`, `find_many_unique`):
//! answers in the order asked, absent rows as `None` (or `NotFound`
//! naming them), one query for the misses, one `MGET` for the entries and
//! their tags, fills that raced a commit never served, writes and
//! transactions seen as by single reads. On SQLite + memory, PostgreSQL +
//! Redis, the tiered store and a Redis Cluster, MariaDB + Redis; sync,
//! async and through a pool.

use cache_diesel::{Error, transaction};
use cache_tests::async_env;
use cache_tests::db;
use cache_tests::env::{Env, cache_with_prefix};
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductQueries, ProductUnique, products,
};
use cache_tests::redis_server::RedisServer;
use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use std::sync::{Arc, Mutex};

/// Inserts products named `b0`, `b1`, .. (category 1); their ids.
fn seed<C: Connection + 'static>(env: &mut Env<C>, n: usize) -> Vec<i32>
where
    Product: ProductQueries<C>,
{
    let rows: Vec<NewProduct> = (0..n)
        .map(|i| NewProduct::new(&format!("b{i}"), 1))
        .collect();
    env.products.insert_many(&mut env.db.conn, rows).unwrap();
    let ids = (0..n)
        .map(|i| {
            env.uncached
                .get_by_slug(&mut env.db.conn, format!("b{i}"))
                .unwrap()
                .id
        })
        .collect();
    env.db.take_queries();
    ids
}

fn slugs(found: &[Option<Product>]) -> Vec<Option<&str>> {
    found
        .iter()
        .map(|p| p.as_ref().map(|p| p.slug.as_str()))
        .collect()
}

fn answers_in_order_with_one_query_for_the_misses<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let ids = seed(env, 10);
    let p = &env.products;
    // Half cached.
    for id in ids.iter().step_by(2) {
        p.get(&mut env.db.conn, *id).unwrap();
    }
    // Cached rows before one that is not: each one hit, counted once (an
    // in-process store answers them from what it keeps decoded, once a
    // hit has checked it, the batch reads only the rest), one query for
    // the miss.
    for id in [ids[0], ids[2]] {
        p.get(&mut env.db.conn, id).unwrap();
    }
    let hits = p.stats().hits;
    let asked = [ids[0], ids[2], ids[1]];
    let (found, queries) = env.db.counted(|c| p.find_many(c, asked).unwrap());
    assert_eq!(slugs(&found), [Some("b0"), Some("b2"), Some("b1")]);
    assert_eq!(queries, 1, "one query for the miss");
    assert_eq!(p.stats().hits, hits + 2, "each cached row one hit");
    let absent = ids.iter().max().unwrap() + 1000;
    let asked = [ids[9], ids[0], absent, ids[3], ids[0], ids[4], ids[1]];
    let expected = [
        Some("b9"),
        Some("b0"),
        None,
        Some("b3"),
        Some("b0"),
        Some("b4"),
        Some("b1"),
    ];
    let (found, queries) = env.db.counted(|c| p.find_many(c, asked).unwrap());
    assert_eq!(slugs(&found), expected);
    assert_eq!(queries, 1, "one query for the misses");
    let hits = p.stats().hits;
    let (found, queries) = env.db.counted(|c| p.find_many(c, asked).unwrap());
    assert_eq!(slugs(&found), expected);
    assert_eq!(queries, 0, "all cached now, the absent row too");
    assert_eq!(p.stats().hits, hits + 6, "each distinct key a hit");
    // get_many: all there, or NotFound naming those that are not.
    let got = p.get_many(&mut env.db.conn, [ids[2], ids[1]]).unwrap();
    assert_eq!((got[0].slug.as_str(), got[1].slug.as_str()), ("b2", "b1"));
    match p.get_many(&mut env.db.conn, [ids[2], absent, absent + 1, absent]) {
        Err(Error::NotFound { id, .. }) => {
            assert_eq!(id, format!("id={absent}, id={}", absent + 1))
        }
        other => panic!("{other:?}"),
    }
    assert!(p.find_many(&mut env.db.conn, []).unwrap().is_empty());
    // By unique values of two kinds: one query per kind that missed; a row
    // asked for by both its id and its slug answers both.
    let asked = [
        ProductUnique::Slug("b7".into()),
        ProductUnique::Id(ids[8]),
        ProductUnique::Slug("nope".into()),
        ProductUnique::Id(ids[7]),
    ];
    let (found, queries) = env.db.counted(|c| p.find_many_unique(c, asked).unwrap());
    assert_eq!(slugs(&found), [Some("b7"), Some("b8"), None, Some("b7")]);
    // One per kind of key, and one for the text value no row matched to
    // the letter (a collation might have matched it otherwise).
    assert_eq!(queries, 3);
    // get_many_unique: all of them, or NotFound naming the values with no
    // row, each once.
    let got = p
        .get_many_unique(
            &mut env.db.conn,
            [ProductUnique::Slug("b7".into()), ProductUnique::Id(ids[8])],
        )
        .unwrap();
    assert_eq!((got[0].slug.as_str(), got[1].slug.as_str()), ("b7", "b8"));
    let asked = [
        ProductUnique::Slug("nope".into()),
        ProductUnique::Id(ids[8]),
        ProductUnique::Slug("nope".into()),
    ];
    match p.get_many_unique(&mut env.db.conn, asked) {
        Err(Error::NotFound { id, .. }) => assert_eq!(id, r#"slug="nope""#),
        other => panic!("{other:?}"),
    }
}

fn writes_and_transactions_are_seen_as_by_single_reads<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    env.track();
    let ids = seed(env, 4);
    let p = &env.products;
    p.find_many(&mut env.db.conn, ids.clone()).unwrap();
    p.update(
        &mut env.db.conn,
        ids[2],
        products::title.eq("changed".to_string()),
    )
    .unwrap();
    let (found, queries) = env.db.counted(|c| p.find_many(c, ids.clone()).unwrap());
    assert_eq!(found[2].as_ref().unwrap().title, "changed");
    // (Not even it where the write put it in place: every store but a
    // cluster, write_through.rs.)
    let cluster = env.cache.backend().kind() == "cluster";
    assert_eq!(
        queries,
        usize::from(cluster),
        "the written row put in place, or read again"
    );
    p.delete(&mut env.db.conn, ids[3]).unwrap();
    assert!(p.find_many(&mut env.db.conn, ids.clone()).unwrap()[3].is_none());
    // Inside a transaction that wrote the table: its own writes, from the
    // database; nothing filled from it.
    let fills = p.stats().fills;
    transaction(&mut env.db.conn, |conn| {
        p.update(conn, ids[0], products::title.eq("in txn".to_string()))?;
        let found = p.find_many(conn, ids.clone())?;
        assert_eq!(found[0].as_ref().unwrap().title, "in txn");
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(
        p.stats().fills,
        fills,
        "nothing filled inside the transaction"
    );
    let found = p.find_many(&mut env.db.conn, ids.clone()).unwrap();
    assert_eq!(found[0].as_ref().unwrap().title, "in txn");
}

/// A write that commits (and bumps) between the batch's query and its
/// fills: the batch answers what it read, and the fill it stamped before
/// its query is never served.
fn a_batch_fill_that_raced_a_commit_is_never_served<C>(env: &mut Env<C>)
where
    C: Connection + Send + 'static,
    Product: ProductQueries<C>,
{
    let ids = seed(env, 3);
    type Pending = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;
    let pending: Pending = Arc::new(Mutex::new(None));
    let slot = pending.clone();
    env.db
        .conn
        .set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery { .. } = event
                && let Some(f) = slot.lock().unwrap().take()
            {
                f();
            }
        });
    let (mut writer_conn, writer) = (env.db.another(), ProductCache::new(env.cache.clone()));
    let id = ids[1];
    *pending.lock().unwrap() = Some(Box::new(move || {
        writer
            .update(&mut writer_conn, id, products::title.eq("new".to_string()))
            .unwrap();
    }));
    let p = &env.products;
    let raced = p.find_many(&mut env.db.conn, ids.clone()).unwrap();
    assert!(
        pending.lock().unwrap().is_none(),
        "the write ran inside the race"
    );
    assert_ne!(
        raced[1].as_ref().unwrap().title,
        "new",
        "read before the write"
    );
    let after = p.find_many(&mut env.db.conn, ids.clone()).unwrap();
    assert_eq!(after[1].as_ref().unwrap().title, "new");
    assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, "new");
}

/// More ids than one query's chunk (`__private::MANY_CHUNK`): one query
/// per chunk, and a cached absence for each.
fn a_batch_past_a_chunk_is_a_query_per_chunk<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let ids = seed(env, 2);
    let mut asked: Vec<i32> = (0..5_100).map(|i| 100_000 + i).collect();
    asked[4_000] = ids[1];
    let p = &env.products;
    let (found, queries) = env.db.counted(|c| p.find_many(c, asked.clone()).unwrap());
    assert_eq!(queries, 2);
    assert_eq!(found.iter().flatten().count(), 1);
    assert_eq!(found[4_000].as_ref().unwrap().slug, "b1");
    // (Read again until served: on a loaded machine the read of 5,100
    // entries may outlast a shared store's response timeout, and a store
    // in its grace after a timeout sends reads to the database; seen once
    // in CI on the tiered store beside two builds.)
    let served = (0..3).any(|_| env.db.counted(|c| p.find_many(c, asked.clone()).unwrap()).1 == 0);
    assert!(served, "the absences are not served from the cache");
}

cache_tests::matrix!(
    env; stores;
    answers_in_order_with_one_query_for_the_misses,
    writes_and_transactions_are_seen_as_by_single_reads,
    a_batch_fill_that_raced_a_commit_is_never_served,
    a_batch_past_a_chunk_is_a_query_per_chunk,
);

/// MariaDB's default collation finds `B1` for `b1`: a batch answers what
/// `find_unique` does (the row), and stores it under neither spelling.
#[test]
fn a_value_the_collation_matches_differently_is_found_as_by_find_unique() {
    let Some(mut env) = cache_tests::env::mysql_redis("batch_collation") else {
        return;
    };
    seed(&mut env, 2);
    let p = &env.products;
    let asked = [
        ProductUnique::Slug("B1".into()),
        ProductUnique::Slug("b0".into()),
    ];
    let single = p.find_unique(&mut env.db.conn, asked[0].clone()).unwrap();
    let found = p.find_many_unique(&mut env.db.conn, asked.clone()).unwrap();
    assert_eq!(single.as_ref().map(|p| p.slug.as_str()), Some("b1"));
    assert_eq!(slugs(&found), [Some("b1"), Some("b0")]);
    let (_, queries) = env
        .db
        .counted(|c| p.find_many_unique(c, asked.clone()).unwrap());
    assert_eq!(
        queries, 2,
        "B1 is not cached: the batch query and its own lookup"
    );
    // Asked for beside a key that matches the same row to the letter (its
    // own spelling, or its id): still found, and no absence cached for it
    // (an outside probe got `None`, then `NotFound` from single reads).
    let b1 = single.unwrap().id;
    for other in [ProductUnique::Slug("b1".into()), ProductUnique::Id(b1)] {
        let asked = [other, ProductUnique::Slug("B1".into())];
        let found = p.find_many_unique(&mut env.db.conn, asked).unwrap();
        assert_eq!(slugs(&found), [Some("b1"), Some("b1")]);
        let again = p.get_by_slug(&mut env.db.conn, "B1".into()).unwrap();
        assert_eq!(again.id, b1);
    }
}

/// Calls of each command on `server` since its last `CONFIG RESETSTAT`.
fn calls(server: &RedisServer, command: &str) -> u64 {
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

fn reset_stats(server: &RedisServer) {
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(&mut conn)
        .unwrap();
}

/// The issue's figure: `get_many` of 100 ids, half cached, on a Redis of
/// the test's own (so that its command counts are this test's): one
/// `MGET`, no other read, one SQL query; then all 100 from one `MGET`.
#[test]
fn a_hundred_ids_half_cached_cost_one_mget_and_one_query() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let Some(db) = db::postgres("batch_hundred") else {
        return;
    };
    let mut env = Env::new(db, cache_with_prefix(&server.url(), "batch_hundred"));
    let ids = seed(&mut env, 100);
    let p = &env.products;
    for id in ids.iter().step_by(2) {
        p.get(&mut env.db.conn, *id).unwrap();
    }
    reset_stats(&server);
    let (got, queries) = env.db.counted(|c| p.get_many(c, ids.clone()).unwrap());
    let expected: Vec<String> = (0..100).map(|i| format!("b{i}")).collect();
    assert_eq!(
        got.iter().map(|p| &p.slug).collect::<Vec<_>>(),
        expected.iter().collect::<Vec<_>>()
    );
    let reads = (calls(&server, "mget"), calls(&server, "get"));
    println!(
        "get_many of 100, half cached: {reads:?} (MGET, GET), {queries} SQL queries, {} SETs",
        calls(&server, "set")
    );
    assert_eq!(reads, (1, 0), "one MGET for the entries and their tags");
    assert_eq!(queries, 1, "one SQL query for the 50 misses");
    reset_stats(&server);
    let (got, queries) = env.db.counted(|c| p.get_many(c, ids.clone()).unwrap());
    assert_eq!(got.len(), 100);
    assert_eq!(
        (calls(&server, "mget"), queries),
        (1, 0),
        "all hits: one MGET"
    );
}

/// The same through the async API, and through an async pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_batches_cost_one_mget_and_one_query() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let Some(mut env) = async_env::postgres_over_redis_at("batch_async", &server.url()).await
    else {
        return;
    };
    let ids = seed(&mut env.sync, 20);
    let p = ProductCache::new(env.sync.cache.clone());
    for id in ids.iter().step_by(2) {
        p.get_async(&mut env.conn, *id).await.unwrap();
    }
    env.take_queries();
    reset_stats(&server);
    let mut asked = ids.clone();
    asked.push(ids[19] + 1000);
    let found = p
        .find_many_async(&mut env.conn, asked.clone())
        .await
        .unwrap();
    assert_eq!(found.len(), 21);
    assert_eq!(found[5].as_ref().unwrap().slug, "b5");
    assert!(found[20].is_none());
    assert_eq!((calls(&server, "mget"), env.take_queries()), (1, 1));
    let got = p.get_many_async(&mut env.conn, ids.clone()).await.unwrap();
    assert_eq!(got[19].slug, "b19");
    assert_eq!((calls(&server, "mget"), env.take_queries()), (2, 0));
    let asked = [ProductUnique::Id(ids[4]), ProductUnique::Slug("b6".into())];
    let got = p
        .get_many_unique_async(&mut env.conn, asked.clone())
        .await
        .unwrap();
    assert_eq!((got[0].slug.as_str(), got[1].slug.as_str()), ("b4", "b6"));
    let absent = ProductUnique::Slug("absent".into());
    match p.get_many_unique_async(&mut env.conn, [absent]).await {
        Err(Error::NotFound { id, .. }) => assert_eq!(id, r#"slug="absent""#),
        other => panic!("{other:?}"),
    }
    // Through a pool, from a spawned task (the future is `Send`).
    let url = cache_tests::services::database_url().unwrap();
    let schema = env.sync.db.schema().unwrap().to_owned();
    let url = format!("{url}?options=-csearch_path%3D{schema}");
    let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
        diesel_async::AsyncPgConnection,
    >::new(url);
    let pool = diesel_async::pooled_connection::deadpool::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap();
    p.update(
        &mut env.sync.db.conn,
        ids[3],
        products::title.eq("pooled".to_string()),
    )
    .unwrap();
    let task = tokio::spawn(async move {
        let pooled = p.from_pool(&pool);
        let found = pooled.find_many_async(ids.clone()).await?;
        let unique = pooled
            .get_many_unique_async([ProductUnique::Id(ids[3])])
            .await?;
        Ok::<_, Error>((
            found[3].as_ref().unwrap().title.clone(),
            unique[0].title.clone(),
        ))
    });
    let (found, unique) = task.await.unwrap().unwrap();
    assert_eq!((found.as_str(), unique.as_str()), ("pooled", "pooled"));
}

/// On the tiered store: the local tier answers what it holds, and what it
/// lacks costs one `MGET` (with a `PTTL` per entry) for the whole batch.
#[test]
fn a_tiered_batch_reads_what_its_local_tier_lacks_in_one_mget() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let Some(db) = db::postgres("batch_tiered") else {
        return;
    };
    // A window of 2 s, not 10 ms: the counts below are of what the local
    // tier lacks, not of reads a scheduling gap sent past a fresh tier.
    let url = cache_tests::services::with_local_tier(&server.url()) + "&local_window=2s";
    let cache = cache_with_prefix(&url, "batch_tiered");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cache.local_tier_ready() != Some(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the local tier never got ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let mut env = Env::new(db, cache);
    let ids = seed(&mut env, 20);
    let p = &env.products;
    for id in ids.iter().step_by(2) {
        p.get(&mut env.db.conn, *id).unwrap();
    }
    reset_stats(&server);
    let (found, queries) = env.db.counted(|c| p.find_many(c, ids.clone()).unwrap());
    assert_eq!(found.iter().flatten().count(), 20);
    // The local tier keeps what it read from Redis (not what this process
    // filled): all 20 in one round trip, the 10 misses in one query.
    assert_eq!(
        (calls(&server, "mget"), calls(&server, "pttl"), queries),
        (1, 20, 1)
    );
    // The ten it filled, read once from Redis; then nothing.
    for mgets in [1, 0] {
        reset_stats(&server);
        let (found, queries) = env.db.counted(|c| p.find_many(c, ids.clone()).unwrap());
        assert_eq!(found[7].as_ref().unwrap().slug, "b7");
        assert_eq!(
            (calls(&server, "mget"), calls(&server, "pttl"), queries),
            (mgets, 10 * mgets, 0)
        );
    }
}

/// The same through the async API (the tiered store's async twin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_tiered_batch_reads_what_its_local_tier_lacks_in_one_mget() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let Some(db) = db::postgres("batch_tiered_async") else {
        return;
    };
    // A window of 2 s, not 10 ms: the counts below are of what the local
    // tier lacks, not of reads a scheduling gap sent past a fresh tier.
    let url = cache_tests::services::with_local_tier(&server.url()) + "&local_window=2s";
    let cache = cache_with_prefix(&url, "batch_tiered_async");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cache.local_tier_ready() != Some(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the local tier never got ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut env = async_env::postgres_over(Env::new(db, cache)).await.unwrap();
    let ids = seed(&mut env.sync, 20);
    let p = ProductCache::new(env.sync.cache.clone());
    for id in ids.iter().step_by(2) {
        p.get_async(&mut env.conn, *id).await.unwrap();
    }
    env.take_queries();
    for (mgets, pttls, queries) in [(1, 20, 1), (1, 10, 0), (0, 0, 0)] {
        reset_stats(&server);
        let found = p.find_many_async(&mut env.conn, ids.clone()).await.unwrap();
        assert_eq!(found[7].as_ref().unwrap().slug, "b7");
        let counted = (
            calls(&server, "mget"),
            calls(&server, "pttl"),
            env.take_queries(),
        );
        assert_eq!(counted, (mgets, pttls, queries));
    }
}
