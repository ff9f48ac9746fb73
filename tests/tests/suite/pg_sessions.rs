//! What a tracked PostgreSQL connection's SQL text does to its session:
//! text the scanner must read as the server does (nested block comments,
//! dollar quotes), and what happens once the tracker lost track of the
//! transaction (it asks the server where the session stands, as on
//! MariaDB). Another connection's reads must never be served a row the
//! writer did not commit, nor miss one it did; the connection's own reads
//! fill again once the tracker knows where it stands.

use cache_tests::async_env::AsyncEnv;
use cache_tests::db::query_counter;
use cache_tests::env::Env;
use cache_tests::models::{NewProduct, Product};
use diesel::connection::SimpleConnection;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// A batch with nested block comments and a dollar-quoted literal, each
/// holding a quote (found by an outside check of the SQL scanner): the
/// write is invalidated, and the connection's reads fill again at once.
/// Once the connection's text mentioned `standard_conforming_strings`, the
/// tracker read it by every database's rules, MySQL's among them (no
/// nesting, no dollar quotes), found it unterminated and lost track: the
/// reads queried the database every time. Now it is read by PostgreSQL's
/// rules, with the setting on and off.
#[test]
fn pg_a_batch_of_nested_comments_and_dollar_quotes_leaves_reads_filling() {
    let Some((mut env, row)) = pg_row("pg_nested_batch", "nested") else {
        return;
    };
    let id = row.id;
    for (n, before) in ["SELECT 1", "SET standard_conforming_strings = on"]
        .into_iter()
        .enumerate()
    {
        env.db.conn.batch_execute(before).unwrap();
        env.products.get(&mut env.db.conn, id).unwrap();
        env.db
            .conn
            .batch_execute(&format!(
                "/* a /* b */ ' */  SELECT $$'$$ AS q;/* ' *//* a /* b */ ' */ \
                 UPDATE products SET title = 'batched {n}' WHERE id = {id}"
            ))
            .unwrap();
        let other = &mut env.db.another();
        let title = env.products.get(other, id).unwrap().title;
        assert_eq!(title, format!("batched {n}"), "{before:?}: invalidated");
        assert_eq!(
            reads_of_two(&mut env, id),
            (1, 0),
            "{before:?}: the first fills, the second is a hit"
        );
    }
}

/// Once the tracker lost track of the session (a failed batch with a
/// `BEGIN`; text that reads two ways once `standard_conforming_strings`
/// may be off), the next read asks the server whether a transaction is
/// open (two queries): in autocommit, the connection's reads fill again
/// (they filled nothing for the rest of its life before); in a
/// transaction, what it wrote meanwhile is its own until the `COMMIT`,
/// read from the database and never cached for others.
#[test]
fn pg_after_losing_track_a_read_asks_the_server() {
    let Some((mut env, row)) = pg_row("pg_resync", "resync") else {
        return;
    };
    let id = row.id;
    assert_eq!(
        reads_of_two(&mut env, id),
        (1, 0),
        "a tracked connection fills"
    );
    // The BEGIN did not run: the server says autocommit.
    let failed = env.db.conn.batch_execute("SELECT 1/0; BEGIN");
    assert!(failed.is_err());
    assert_eq!(
        reads_of_two(&mut env, id),
        (3, 0),
        "the server asked, then the row read and filled; a hit"
    );

    env.db
        .conn
        .batch_execute("SET standard_conforming_strings = on")
        .unwrap();
    let two_ways = |id: i32, title: &str| {
        format!(
            "UPDATE products SET title = '{title}' WHERE id = {id}; SELECT 'b\\'; SELECT 1; --'"
        )
    };
    env.db
        .conn
        .batch_execute(&two_ways(id, "autocommit"))
        .unwrap();
    let other = &mut env.db.another();
    assert_eq!(env.products.get(other, id).unwrap().title, "autocommit");
    assert_eq!(reads_of_two(&mut env, id), (3, 0), "read two ways");

    env.db.conn.batch_execute("BEGIN").unwrap();
    env.db.conn.batch_execute(&two_ways(id, "inside")).unwrap();
    env.db.take_queries();
    let own = env.products.get(&mut env.db.conn, id).unwrap().title;
    assert_eq!(own, "inside", "its own write");
    assert_eq!(env.db.take_queries(), 3, "the server asked: one is open");
    assert_eq!(env.products.get(other, id).unwrap().title, "autocommit");
    env.products.get(&mut env.db.conn, id).unwrap();
    assert_eq!(env.db.take_queries(), 1, "asked once; bypassed: it wrote");
    env.db.conn.batch_execute("COMMIT").unwrap();
    assert_eq!(env.products.get(other, id).unwrap().title, "inside");
    assert_eq!(reads_of_two(&mut env, id), (1, 0), "the COMMIT ended it");
}

/// The same on `AsyncPgConnection`: after a failed batch with a `BEGIN`
/// that did not run, the next read asks the server, then fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pg_after_losing_track_a_read_asks_the_server() {
    let Some(mut env) = cache_tests::async_env::postgres_redis("async_pg_resync").await else {
        return;
    };
    env.conn.set_instrumentation(
        cache_diesel::CacheTracking::for_async_connection::<AsyncPgConnection>()
            .for_caches([env.sync.cache.clone()])
            .with(query_counter(env.counter())),
    );
    let id = env
        .sync
        .products
        .insert(&mut env.sync.db.conn, NewProduct::new("async_resync", 1))
        .unwrap()
        .id;
    let fills = async_reads_of_two(&mut env, id).await;
    assert_eq!(fills, (1, 0), "a tracked connection fills");
    assert!(env.conn.batch_execute("SELECT 1/0; BEGIN").await.is_err());
    assert_eq!(
        async_reads_of_two(&mut env, id).await,
        (3, 0),
        "the server asked, then the row read and filled; a hit"
    );
}

/// [`reads_of_two`] on the async connection.
async fn async_reads_of_two(
    env: &mut AsyncEnv<diesel::PgConnection, AsyncPgConnection>,
    id: i32,
) -> (usize, usize) {
    let counter = env.counter();
    let take = || counter.swap(0, std::sync::atomic::Ordering::SeqCst);
    let (p, conn) = (&env.sync.products, &mut env.conn);
    p.invalidate_id(id).unwrap();
    take();
    p.get_async(conn, id).await.unwrap();
    let first = take();
    p.get_async(conn, id).await.unwrap();
    (first, take())
}

/// The queries each of two reads of row `id` through the tracked
/// connection ran (the entry evicted first, so the first read misses and
/// fills if it may).
fn reads_of_two(env: &mut Env<diesel::PgConnection>, id: i32) -> (usize, usize) {
    env.products.invalidate_id(id).unwrap();
    env.db.take_queries();
    let first = env.products.get(&mut env.db.conn, id).unwrap();
    let first_queries = env.db.take_queries();
    let second = env.products.get(&mut env.db.conn, id).unwrap();
    assert_eq!(first.title, second.title);
    (first_queries, env.db.take_queries())
}

/// PostgreSQL and Redis for `test`, with one product inserted and the
/// test's connection tracked (`None`: skipped).
fn pg_row(test: &str, slug: &str) -> Option<(Env<diesel::PgConnection>, Product)> {
    let mut env = cache_tests::env::postgres_redis(test)?;
    let row = env
        .products
        .insert(&mut env.db.conn, NewProduct::new(slug, 1))
        .unwrap();
    env.track();
    Some((env, row))
}
