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
    Product::cache().invalidate_id(id); // other tests' databases may share ids
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
            "second_process",
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

/// Runs each check on the sync and the async API over SQLite + memory.
macro_rules! both_apis {
    ($($check:ident),* $(,)?) => {
        mod sync_sqlite_memory { $(
            #[test]
            fn $check() {
                let open = cache_tests::api::sync_sqlite_memory;
                let mut t = cache_tests::api::Products::open(open, stringify!($check)).unwrap();
                super::$check(&mut t)
            }
        )* }
        mod async_sqlite_memory { $(
            #[test]
            fn $check() {
                let open = cache_tests::api::async_sqlite_memory;
                let mut t = cache_tests::api::Products::open(open, stringify!($check)).unwrap();
                super::$check(&mut t)
            }
        )* }
    };
}

both_apis!(
    key_and_version_options_separate_entries_but_share_invalidation,
    tracing_reports_hit_miss_fill_and_invalidate,
    a_long_list_suffix_is_hashed_into_a_short_key_that_still_separates_lists,
    stats_count_an_outage_and_serialize,
);
