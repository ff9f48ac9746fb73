//! Large values: a 25,000-row list (1.4 MB as MessagePack, over the
//! default 1 MiB `max_value_size`) is compressed and cached, on the
//! in-process cache and on Redis; a value that still does not fit is
//! counted in the manager's `refused` on every read and logged once.

use cache_diesel::__private::ListFilter;
use cache_tests::env::{self, Env};
use cache_tests::logs;
use cache_tests::models::{ProductFilter, ProductOrder};
use diesel::prelude::*;

const ROWS: usize = 25_000;

/// `ROWS` products in one statement (SQLite and PostgreSQL alike).
fn seed<C: Connection + 'static>(env: &mut Env<C>) {
    env.db
        .conn
        .batch_execute(&format!(
            "INSERT INTO products (slug, title, is_active, category_id)
             WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {ROWS})
             SELECT 'p' || x, 'Title of product number ' || x, x % 3 <> 0, x % 4 FROM n"
        ))
        .expect("seed");
    env.db.take_queries();
}

fn a_large_list_is_cached<C: Connection + 'static>(mut env: Env<C>)
where
    cache_tests::models::Product: cache_diesel::ModelQueries<C>,
{
    seed(&mut env);
    let p = &env.products;
    let all = ProductFilter::default();
    let (rows, q1) = env.db.counted(|c| p.all(c, None, all.clone()).unwrap());
    // What is stored is compressed (format 8 of the envelope), and smaller
    // than the limit it would have exceeded (read before a hit: the
    // in-process store drops the bytes once it holds them decoded).
    let key = p.list_key(None, &all.cache_key());
    let bytes = env.cache.backend().get(&key).unwrap().expect("stored");
    assert_eq!(bytes[1], 8, "the compressed envelope");
    assert!(bytes.len() < 1024 * 1024 / 2, "{} bytes", bytes.len());
    let (again, q2) = env.db.counted(|c| p.all(c, None, all.clone()).unwrap());
    assert_eq!((rows.len(), q1, q2), (ROWS, 1, 0), "a miss, then a hit");
    assert_eq!(again, rows);
    let stats = p.stats();
    assert_eq!((stats.refused, stats.fills), (0, 1));
    // Small lists stay uncompressed (format 7).
    let small = ProductFilter::default()
        .order_by(ProductOrder::TitleDesc)
        .limit(10);
    p.all(&mut env.db.conn, None, small.clone()).unwrap();
    let bytes = env
        .cache
        .backend()
        .get(&p.list_key(None, &small.cache_key()))
        .unwrap()
        .expect("stored");
    assert_eq!(bytes[1], 7);
    let _ = env.cache.clear();
}

#[test]
fn a_large_list_is_cached_in_process() {
    a_large_list_is_cached(env::sqlite_memory("large_memory").unwrap());
}

#[test]
fn a_large_list_is_cached_on_redis() {
    let Some(env) = env::postgres_redis("large_redis") else {
        return;
    };
    a_large_list_is_cached(env);
}

#[test]
fn a_value_too_large_even_compressed_is_counted_each_time_and_logged_once() {
    let mut env = env::sqlite_memory("large_refused").unwrap();
    let cache = env::cache_with_prefix("memory://?max_value_size=2000", "large_refused");
    let products = cache_tests::models::ProductCache::new(cache);
    seed(&mut env);
    let list = ProductFilter::default().limit(500);
    let ((), lines) = logs::capture(|| {
        for _ in 0..3 {
            let (rows, q) = env
                .db
                .counted(|c| products.all(c, None, list.clone()).unwrap());
            assert_eq!(
                (rows.len(), q),
                (500, 1),
                "read from the database each time"
            );
        }
    });
    assert_eq!(products.stats().refused, 3);
    let warned = lines
        .iter()
        .filter(|l| l.contains("over the maximum size"))
        .count();
    assert_eq!(warned, 1, "{lines:#?}");
}
