//! More of the model manager: the escape hatch, the process-wide manager,
//! the key and version options, tracing events, long suffixes, stats of
//! an outage, and two processes sharing one Redis. The key and version
//! options, tracing, long suffixes and the outage's stats are one body
//! each, run on the sync API (SQLite + memory) and the async API (SQLite
//! behind `SyncConnectionWrapper` + memory); `all_where` has no async
//! form, the process-wide manager's cache is shared by the whole process
//! (two variants would meet under one id), and the second process reads
//! through the sync API: those stay sync-only.

use cache_diesel::{BoxedCondition, CachedModel};
use cache_tests::api::{Api, ProductOps, Products, Reads};
use cache_tests::env::{self, Env};
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductUnique, ProductV2, ProductV2Cache,
    products,
};
use cache_tests::{db, logs, services};
use diesel::prelude::*;
use std::time::{Duration, Instant};

fn seed_sqlite(env: &mut Env<SqliteConnection>, slugs: &[&str]) {
    let rows: Vec<NewProduct> = slugs.iter().map(|s| NewProduct::new(s, 1)).collect();
    env.products.insert_many(&mut env.db.conn, rows).unwrap();
    env.db.take_queries();
}

#[test]
fn all_where_is_keyed_by_sql_and_binds_on_sqlite() {
    let mut env = env::sqlite_memory("where_sqlite").unwrap();
    seed_sqlite(&mut env, &["apple", "apricot", "banana"]);
    let like = |pattern: &str| -> BoxedCondition<products::table, diesel::sqlite::Sqlite> {
        Box::new(products::slug.like(pattern.to_owned()))
    };
    let p = &env.products;
    let (ap, q1) = env
        .db
        .counted(|c| p.all_where(c, Some("ap"), like("ap%")).unwrap());
    let (b, q2) = env
        .db
        .counted(|c| p.all_where(c, Some("ap"), like("b%")).unwrap());
    let (again, q3) = env
        .db
        .counted(|c| p.all_where(c, Some("ap"), like("ap%")).unwrap());
    assert_eq!(
        ap.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
        ["apple", "apricot"]
    );
    assert_eq!(b.len(), 1, "same suffix, other binds: another list");
    assert_eq!((q1, q2, q3), (1, 1, 0));
    assert_eq!(again, ap);
    p.insert(&mut env.db.conn, NewProduct::new("apex", 2))
        .unwrap();
    assert_eq!(
        p.all_where(&mut env.db.conn, Some("ap"), like("ap%"))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn all_where_on_postgres() {
    let Some(mut env) = env::postgres_redis("where_pg") else {
        return;
    };
    env.products
        .insert(
            &mut env.db.conn,
            vec![NewProduct::new("a1", 1), NewProduct::new("b1", 1)],
        )
        .unwrap();
    let cond: BoxedCondition<products::table, diesel::pg::Pg> = Box::new(products::slug.eq("b1"));
    let p = &env.products;
    let (rows, q1) = env.db.counted(|c| p.all_where(c, None, cond).unwrap());
    let cond: BoxedCondition<products::table, diesel::pg::Pg> = Box::new(products::slug.eq("b1"));
    let (_, q2) = env.db.counted(|c| p.all_where(c, None, cond).unwrap());
    assert_eq!((rows.len(), q1, q2), (1, 1, 0));
}

#[test]
fn the_process_wide_manager_uses_the_default_cache() {
    let mut db = db::sqlite();
    Product::cache()
        .insert(&mut db.conn, NewProduct::new("global-only", 7))
        .unwrap();
    let id = Product::cache()
        .get_by_slug(&mut db.conn, "global-only".into())
        .unwrap()
        .id;
    Product::cache().invalidate_id(id).unwrap(); // other tests' databases may share ids
    let (_, q1) = db.counted(|c| Product::cache().get(c, id).unwrap());
    let (row, q2) = db.counted(|c| Product::cache().get(c, id).unwrap());
    assert_eq!((row.slug.as_str(), q1, q2), ("global-only", 1, 0));
    assert!(std::ptr::eq(Product::cache(), Product::cache()));
}

/// Environment variables handing the shared state to the second process.
const CHILD_PREFIX: &str = "CACHE_TESTS_CHILD_PREFIX";
const CHILD_SCHEMA: &str = "CACHE_TESTS_CHILD_SCHEMA";

#[test]
fn a_second_process_hits_what_the_first_filled() {
    let Some(mut env) = env::postgres_redis("two_processes") else {
        return;
    };
    env.products
        .insert(&mut env.db.conn, NewProduct::new("shared", 1))
        .unwrap();
    let id = env
        .uncached
        .get_by_slug(&mut env.db.conn, "shared".into())
        .unwrap()
        .id;
    env.products.get(&mut env.db.conn, id).unwrap();
    let schema: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_schema()",
    ))
    .get_result(&mut env.db.conn)
    .unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            cache_tests::unique::test_path(module_path!(), "second_process").as_str(),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PREFIX, &env.cache.config().key_prefix)
        .env(CHILD_SCHEMA, &schema)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("second process: slug=shared queries=0"),
        "{stdout}"
    );
}

/// The second process of `a_second_process_hits_what_the_first_filled`.
#[test]
#[ignore = "run by a_second_process_hits_what_the_first_filled as its second process"]
fn second_process() {
    let (prefix, schema) = (
        std::env::var(CHILD_PREFIX).unwrap(),
        std::env::var(CHILD_SCHEMA).unwrap(),
    );
    let mut cfg = cache_diesel::CacheConfig::from_url(&services::redis_url().unwrap()).unwrap();
    cfg.key_prefix = prefix;
    let products: ProductCache = ProductCache::new(cache_diesel::Cache::new(cfg).unwrap());
    let mut conn = PgConnection::establish(&services::database_url().unwrap()).unwrap();
    diesel::sql_query(format!("SET search_path TO \"{schema}\""))
        .execute(&mut conn)
        .unwrap();
    let queries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    conn.set_instrumentation(db::query_counter(queries.clone()));
    let row = products
        .get_by_slug(&mut conn, "shared".into())
        .map(|r| r.id);
    queries.store(0, std::sync::atomic::Ordering::SeqCst);
    let row = products.get(&mut conn, row.unwrap()).unwrap();
    println!(
        "second process: slug={} queries={}",
        row.slug,
        queries.load(std::sync::atomic::Ordering::SeqCst)
    );
}

/// Inserts products with these slugs (category 1) through the API under test.
fn seed<D: Api>(t: &mut Products<D>, slugs: &[&str])
where
    Product: ProductOps<D>,
{
    let rows: Vec<NewProduct> = slugs.iter().map(|s| NewProduct::new(s, 1)).collect();
    t.api.insert_many(&t.products, rows).unwrap();
    t.api.take_queries();
}

fn key_and_version_options_separate_entries_but_share_invalidation<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
    ProductV2: Reads<D>,
{
    seed(t, &["a"]);
    let v2 = ProductV2Cache::new(t.cache.clone());
    assert_eq!(
        (Product::INFO.key, ProductV2::INFO.key),
        ("product", "product")
    );
    assert_ne!(Product::INFO.schema_hash, ProductV2::INFO.schema_hash);
    assert_eq!(ProductV2::INFO.detail_timeout.as_secs(), 5);
    assert_ne!(
        t.products.detail_key(&ProductUnique::Id(1)),
        v2.detail_key(&cache_tests::models::ProductV2Unique::Id(1))
    );
    let (a, p) = (&mut t.api, &t.products);
    a.get(p, 1).unwrap();
    let (_, q) = a.counted(|a| a.get(&v2, 1).unwrap());
    assert_eq!(q, 1, "a changed struct never reads the old struct's entry");
    a.all(&v2, None, Default::default()).unwrap();
    a.update(p, 1, products::slug.eq("b".to_string())).unwrap();
    assert_eq!(a.get(&v2, 1).unwrap().slug, "b", "tags are per table");
    assert_eq!(a.all(&v2, None, Default::default()).unwrap()[0].slug, "b");
}

fn tracing_reports_hit_miss_fill_and_invalidate<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    seed(t, &["a"]);
    let (a, p) = (&mut t.api, &t.products);
    let (_, lines) = logs::capture(|| {
        a.get(p, 1).unwrap();
        a.get(p, 1).unwrap();
        a.all(p, Some("all"), ProductFilter::default()).unwrap();
        a.update(p, 1, products::is_active.eq(false)).unwrap();
    });
    let find = |needle: &str, kind: &str| {
        lines.iter().any(|l| {
            l.contains(needle)
                && l.contains("model=\"Product\"")
                && l.contains(kind)
                && l.contains("key=")
        })
    };
    assert!(find("cache miss", "kind=\"detail\""), "{lines:#?}");
    assert!(find("cache fill", "kind=\"detail\""), "{lines:#?}");
    assert!(find("cache hit", "kind=\"detail\""), "{lines:#?}");
    assert!(find("cache miss", "kind=\"list\""), "{lines:#?}");
    // An async SQLite hook over a shared store runs whole on diesel-async's
    // blocking thread (the `*_whole` methods), and `logs::capture` sees the
    // events of its own thread only.
    let sqlite = std::any::type_name::<<D::Sync as Connection>::Backend>().ends_with("::Sqlite");
    let on_another_thread = D::NAME == "async" && sqlite && t.cache.backend().capabilities().shared;
    if on_another_thread {
        return;
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("cache invalidate") && l.contains("why=\"update\"")),
        "{lines:#?}"
    );
}

fn a_long_list_suffix_is_hashed_into_a_short_key_that_still_separates_lists<D: Api>(
    t: &mut Products<D>,
) where
    Product: ProductOps<D>,
{
    seed(t, &["a", "b"]);
    let long = "s".repeat(10_000);
    let key = t.products.list_key(Some(&long), "");
    assert!(
        key.len() <= cache_core::__engine::MAX_KEY_LEN,
        "{} bytes",
        key.len()
    );
    assert_ne!(key, t.products.list_key(Some(&long[1..]), ""));
    let (a, p) = (&mut t.api, &t.products);
    assert_eq!(
        a.all(p, Some(&long), ProductFilter::default())
            .unwrap()
            .len(),
        2
    );
    let (rows, q) = a.counted(|a| a.all(p, Some(&long), ProductFilter::default()).unwrap());
    assert_eq!((rows.len(), q), (2, 0), "the second read is a hit");
}

fn stats_count_an_outage_and_serialize<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    seed(t, &["a"]);
    let down = cache_diesel::Cache::from_url(&format!(
        "redis://127.0.0.1:{port}?connect_timeout=200ms&retry_after=30s"
    ))
    .unwrap();
    let p = ProductCache::new(down.clone());
    for _ in 0..3 {
        assert_eq!(
            t.api.get(&p, 1).unwrap().slug,
            "a",
            "served from the database"
        );
    }
    let stats = p.stats();
    assert_eq!((stats.errors, stats.uncached, stats.hits), (3, 3, 0));
    assert!(down.stats().errors >= 3);
    let json = serde_json::to_value(stats).unwrap();
    assert_eq!(json["uncached"], 3);
    assert_eq!(json["errors"], 3);
}

cache_tests::matrix!(
    api Products; both_apis;
    key_and_version_options_separate_entries_but_share_invalidation,
    tracing_reports_hit_miss_fill_and_invalidate,
    a_long_list_suffix_is_hashed_into_a_short_key_that_still_separates_lists,
    stats_count_an_outage_and_serialize,
);

/// How many keys of the Redis at `url` start with `prefix` (by SCAN).
fn keys_under(url: &str, prefix: &str) -> usize {
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let (mut cursor, mut found) = (0u64, 0);
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query(&mut conn)
            .unwrap();
        found += keys.len();
        if next == 0 {
            return found;
        }
        cursor = next;
    }
}

/// Polls until at most `bound` keys start with `prefix`, for at most
/// `patience`; returns the last count.
fn keys_settle(url: &str, prefix: &str, bound: usize, patience: Duration) -> usize {
    let deadline = Instant::now() + patience;
    loop {
        let now = keys_under(url, prefix);
        if now <= bound || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `INFO memory`'s `used_memory` of the Redis at `url`.
fn used_memory(url: &str) -> u64 {
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let info: String = redis::cmd("INFO").arg("memory").query(&mut conn).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// `n` lookups of ids no row has, through `ProductV2` (`detail_timeout`
/// 5 s, `not_found_timeout` 1 s) over `cache` and an empty SQLite table.
fn absent_lookups(cache: &cache_diesel::Cache, n: i32) {
    let v2 = ProductV2Cache::new(cache.clone());
    let mut db = db::sqlite();
    for id in 0..n {
        let found = v2.find(&mut db.conn, 1_000_000 + id).unwrap();
        assert!(found.is_none());
    }
}

/// Lookups of values that do not exist leave nothing behind for long:
/// each creates the tag of the value it looked up, which only detail
/// entries depend on, with the detail entries' lifetime (twice the longer
/// of `detail_timeout` and `not_found_timeout`, plus 5 s: 15 s for
/// `ProductV2`), not the two days of the shared tags. Before, every
/// distinct value looked up left a tag for two days (Redis grew without
/// bound under a scan of absent slugs or ids).
#[test]
fn absent_lookups_leave_no_tags_behind_on_redis() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let cache = env::cache_with_prefix(&url, "absent_tags");
    let prefix = format!("{}:", cache.config().key_prefix);
    // The shared tags (`all`, the table's `epoch` and `absent`) exist
    // before: they are created once and live for days, rightly.
    absent_lookups(&cache, 1);
    let start = keys_under(&url, &prefix);
    // 2,000 (not 10,000) lookups: all of them must end within the tags'
    // 15 s on a loaded machine, or the first have expired when counted.
    absent_lookups(&cache, 2_000);
    let grown = keys_under(&url, &prefix);
    assert!(grown >= start + 2_000, "{start} keys, then {grown}");
    // The tags live 15 s; on a loaded machine, give Redis's expiry up to
    // two minutes to get there.
    let bound = start + 10;
    let left = keys_settle(&url, &prefix, bound, Duration::from_secs(120));
    assert!(
        left <= bound,
        "{start} keys before 2,000 absent lookups, {grown} after, still {left} (at most {bound} expected)"
    );
    cache.clear().unwrap();
}

/// Writes of ever-new values leave no lasting tag per value:
/// a value tag is bumped only where it exists, keeping its lifetime, so
/// 200 updates moving a row through 200 new categories leave only what
/// their announcements created, for the announcement's few seconds (the
/// tag of category 1, which a list created, was announced too: its
/// lifetime is the announcement's now, and a list read after it expires
/// creates it again). Before, each left a tag for two days.
#[test]
fn writes_of_new_values_leave_no_lasting_value_tags_on_redis() {
    let Some((mut pg, cache)) = env::postgres_and_redis("value_tags") else {
        return;
    };
    let url = services::redis_url().unwrap();
    pg.track(&cache);
    let products = ProductCache::new(cache.clone());
    let id = products
        .insert(&mut pg.conn, NewProduct::new("wanderer", 1))
        .unwrap()
        .id;
    let in_one = ProductFilter::default().category_id(1);
    assert_eq!(products.all(&mut pg.conn, None, in_one).unwrap().len(), 1);
    for category in 1_000..1_200 {
        products
            .update(&mut pg.conn, id, products::category_id.eq(category))
            .unwrap();
    }
    let sparse = format!("{}:t:~:", cache.config().key_prefix);
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let lasting: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{sparse}*"))
        .query::<Vec<String>>(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|key| {
            let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut conn).unwrap();
            ttl < 0 || ttl > cache_core::__engine::ANNOUNCE_HOLD.as_millis() as i64
        })
        .collect();
    assert_eq!(
        lasting,
        Vec::<String>::new(),
        "value tags that outlast the writes"
    );
    cache.clear().unwrap();
}

/// A row's tag created by a found lookup (through a model whose detail
/// entries live 60 s) is left alone by lookups of the same value that
/// find nothing (through `ProductV2`, over a database without the row,
/// sharing the cache and so the tag): `SET NX` never shortens it, and the
/// found row stays a hit while they run.
#[test]
fn absent_lookups_racing_a_cached_row_leave_its_tag_alone() {
    let Some((mut pg, cache)) = env::postgres_and_redis("absent_race") else {
        return;
    };
    let url = services::redis_url().unwrap();
    let products = ProductCache::new(cache.clone());
    products
        .insert(&mut pg.conn, NewProduct::new("kept", 1))
        .unwrap();
    let id = ProductCache::new(cache_diesel::Cache::from_url("dummy://").unwrap())
        .get_by_slug(&mut pg.conn, "kept".into())
        .unwrap()
        .id;
    // Evict the tag the insert wrote, so that the found lookup creates it.
    let tag = format!("{}:t:products:u:id:{id}", cache.config().key_prefix);
    let mut admin = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: i64 = redis::cmd("DEL").arg(&tag).query(&mut admin).unwrap();
    let (row, queries) = pg.counted(|c| products.get(c, id).unwrap());
    assert_eq!((row.slug.as_str(), queries), ("kept", 1));
    let pttl = |admin: &mut redis::Connection| -> i64 {
        redis::cmd("PTTL").arg(&tag).query(admin).unwrap()
    };
    let created = pttl(&mut admin);
    // Product's row tag: twice its 60 s detail entries, plus 5 s.
    assert!(
        (60_000..=125_000).contains(&created),
        "the row's tag lives {created} ms"
    );
    let racing = {
        let cache = cache.clone();
        std::thread::spawn(move || {
            let v2 = ProductV2Cache::new(cache);
            let mut db = db::sqlite();
            for _ in 0..200 {
                assert!(v2.find(&mut db.conn, id).unwrap().is_none());
            }
        })
    };
    let mut hits = 0;
    while !racing.is_finished() {
        let (row, queries) = pg.counted(|c| products.get(c, id).unwrap());
        assert_eq!((row.slug.as_str(), queries), ("kept", 0), "a hit");
        hits += 1;
    }
    racing.join().unwrap();
    let (_, queries) = pg.counted(|c| products.get(c, id).unwrap());
    assert_eq!(queries, 0, "still a hit after {hits} hits");
    let after = pttl(&mut admin);
    assert!(
        after > 15_000 && after <= created,
        "the row's tag lived {created} ms, then {after} ms: shortened to ProductV2's?"
    );
    cache.clear().unwrap();
}

/// The figures of the README: 100,000 lookups of absent ids on a Redis of
/// the test's own, keys and `used_memory` at once and after the tags'
/// lifetime. `cargo test -p cache-tests --test suite --
/// --ignored --nocapture absent_lookup_figures`
#[test]
#[ignore = "a measurement: prints figures"]
fn absent_lookup_figures() {
    let Some(server) = cache_tests::redis_server::RedisServer::for_test(&[]) else {
        return;
    };
    let url = server.url();
    let cache = env::cache_with_prefix(&url, "absent_figures");
    let prefix = format!("{}:", cache.config().key_prefix);
    absent_lookups(&cache, 1);
    let (keys, memory) = (keys_under(&url, &prefix), used_memory(&url));
    println!("before: {keys} keys, used_memory {memory}");
    absent_lookups(&cache, 100_000);
    let (keys, memory) = (keys_under(&url, &prefix), used_memory(&url));
    println!("after 100,000 absent lookups: {keys} keys, used_memory {memory}");
    std::thread::sleep(Duration::from_secs(20));
    let (keys, memory) = (keys_under(&url, &prefix), used_memory(&url));
    println!("20 s later: {keys} keys, used_memory {memory}");
}

/// Bytes that do not decode under a model's detail and list keys (written
/// straight into the store, as a foreign writer or a damaged disk would)
/// are misses read from the database, and counted: `undecodable` in the
/// manager's stats and in the cache's, once per read that found them. One
/// body, run on the sync and the async API, over the in-process store and
/// over Redis.
mod damaged_entries {
    use cache_core::Bytes;
    use cache_diesel::__private::ListFilter;
    use cache_tests::api::{Api, ProductOps, Products};
    use cache_tests::models::{NewProduct, Product, ProductFilter, ProductUnique};

    /// Bytes no entry is made of: not the envelope, a wrong digest, a
    /// right-looking header with nothing after it.
    const GARBAGE: [&[u8]; 3] = [
        b"\xff\xfe garbage",
        b"\xc1\x03\0\0\0\0\0\0\0\0\x93",
        b"\xc1",
    ];

    fn damaged_entries_are_counted_as_undecodable<D: Api>(t: &mut Products<D>)
    where
        Product: ProductOps<D>,
    {
        t.api
            .insert_many(&t.products, vec![NewProduct::new("a", 1)])
            .unwrap();
        let p = &t.products;
        let detail = p.detail_key(&ProductUnique::Id(1));
        let list = p.list_key(Some("all"), &ProductFilter::default().cache_key());
        // Filled once: the keys are the ones the reads use.
        t.api.get(p, 1).unwrap();
        t.api.all(p, Some("all"), ProductFilter::default()).unwrap();
        let (manager, cache) = (p.stats(), t.cache.stats());
        assert_eq!((manager.undecodable, cache.undecodable), (0, 0));
        let mut reads = 0;
        for garbage in GARBAGE {
            let bytes = Bytes::from_static(garbage);
            t.cache.backend().set(&detail, bytes.clone(), None).unwrap();
            let (row, q) = t.api.counted(|a| a.get(p, 1).unwrap());
            assert_eq!((row.slug.as_str(), q), ("a", 1), "{garbage:?}: a miss");
            t.cache.backend().set(&list, bytes, None).unwrap();
            let (rows, q) = t
                .api
                .counted(|a| a.all(p, Some("all"), ProductFilter::default()).unwrap());
            assert_eq!((rows.len(), q), (1, 1), "{garbage:?}: a miss");
            reads += 2;
        }
        let (manager, cache) = (p.stats(), t.cache.stats());
        assert_eq!(
            manager.undecodable, reads,
            "every read that found damage, once: {manager:?}"
        );
        assert_eq!(cache.undecodable, reads, "{cache:?}");
        assert_eq!(manager.errors, 0, "damage is not a failure of the store");
        // The misses filled again: hits from now on, nothing more counted.
        let (_, q) = t.api.counted(|a| a.get(p, 1).unwrap());
        assert_eq!(q, 0);
        assert_eq!(p.stats().undecodable, reads);
    }

    cache_tests::matrix!(
        api Products; both_apis;
        damaged_entries_are_counted_as_undecodable,
    );

    /// A value whose encoding fails.
    #[derive(Clone, Debug, serde::Deserialize)]
    struct Unencodable;

    impl serde::Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("this value does not encode"))
        }
    }

    /// A fill whose value does not encode is not stored, and counted as an
    /// error in the caller's counters (a manager's) and in the cache's.
    #[test]
    fn a_fill_that_does_not_encode_is_counted() {
        use cache_core::__engine::{Namespace, Outcome, Plan, Shape, Stats, WithEngine};
        let cache = cache_tests::env::cache_with_prefix("memory://", "unencodable");
        let key = cache.engine().keys().build(Namespace::Query, &[], "q");
        let tag = cache.engine().keys().build(Namespace::Tag, &[], "t");
        let tags = [tag.as_str()];
        let stats = Stats::default();
        let plan = Plan {
            key: &key,
            tags: &tags,
            tag_ttl: None,
            own_tag: None,
            fill: true,
            soft_timeout: None,
            stats: Some(&stats),
            background: None,
            source: ("", ""),
        };
        let shape = |_: &Unencodable| Shape {
            depends_on: 1,
            ttl: Some(std::time::Duration::from_secs(60)),
        };
        for _ in 0..2 {
            let (_, outcome) = cache
                .engine()
                .read_through(&plan, shape, || Ok::<_, String>(Unencodable))
                .unwrap();
            assert_eq!(outcome, Outcome::Loaded, "never stored: loaded each time");
        }
        let (mine, all) = (stats.snapshot(), cache.stats());
        assert_eq!((mine.errors, mine.fills), (2, 0), "{mine:?}");
        assert_eq!((all.errors, all.fills), (2, 0), "{all:?}");
    }
}
