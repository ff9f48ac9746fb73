//! Benchmarks against the floor and against a peer, in one run.
//!
//! ```text
//! cargo run --release -p cache-programs --bin compare -- [--quick] [--memory-only] [--verify F]
//! ```
//!
//! `--verify F` gives every cache `verify=F` (sampled verification): with
//! a tiny F (`1e-12`), what drawing the sample costs a hit.
//!
//! On SQLite + the in-process cache, and on PostgreSQL + Redis when both
//! answer, with the same data (10,000 products, a timestamp, a text, a bool
//! and a category): medians and p99s of a detail hit and list hits of 100
//! and 1,000 rows; the floors (the same Diesel query without a cache; a raw
//! redis-rs GET plus decode of the same bytes); the `cached` crate's
//! `RedisCache` holding the same value; Redis commands per hit from
//! `INFO commandstats`. Prints a table and writes every figure and the
//! ratios to `target/compare.json`.

use cache_diesel::{Cache, CacheConfig, Form, ModelQueries};
use cache_programs::bench::{
    self, BenchProduct, BenchProductCache, BenchProductFilter, BenchProductFull,
    BenchProductFullCache, BenchProductFullUnique, BenchProductUnique, Summary, bench_products,
};
use cache_tests::services;
use cached::prelude::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::BTreeMap;
use std::hint::black_box;

/// Hits of `manager` from `threads` threads, each with its own connection
/// (`open`), over 100 warm ids, in one `window`.
fn hits_from_threads(
    manager: &BenchProductCache,
    threads: usize,
    window: std::time::Duration,
    open: &dyn Fn() -> SqliteConnection,
) -> u64 {
    let conns: Vec<SqliteConnection> = (0..threads).map(|_| open()).collect();
    let barrier = std::sync::Barrier::new(threads);
    // One deadline for all, set by the first thread past the barrier (a
    // thread scheduled late does not extend the window).
    let deadline = std::sync::OnceLock::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = conns
            .into_iter()
            .enumerate()
            .map(|(t, mut conn)| {
                let (barrier, deadline) = (&barrier, &deadline);
                s.spawn(move || {
                    barrier.wait();
                    let until = *deadline.get_or_init(|| std::time::Instant::now() + window);
                    let mut n = 0u64;
                    while std::time::Instant::now() < until {
                        for i in 0..64 {
                            let id = 1 + ((t * 31 + i + n as usize) % 100) as i32;
                            black_box(manager.get(&mut conn, id).expect("hit"));
                        }
                        n += 64;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    })
}

/// Iterations per measurement: (detail, list of 100, list of 1,000).
/// The hot in-process hits (`memory_hit_ns`, `tiered_hit_ns`, and what
/// they are read beside) are timed this many at a time
/// (`bench::measure_side_by_side_grouped`), four times as many as other
/// reads: a clock pair around each read added its own ~20 ns
/// (`timer_ns`, still timed alone) to figures of 120-200, and rounded
/// them to the clock's ~10 ns steps.
const GROUP: usize = 16;

fn iterations(quick: bool) -> (usize, usize, usize) {
    if quick {
        (2_000, 400, 60)
    } else {
        (20_000, 4_000, 600)
    }
}

struct Run {
    figures: BTreeMap<String, Summary>,
    quick: bool,
}

impl Run {
    fn record(&mut self, name: &str, summary: Summary) {
        println!(
            "{name:<34} median {:>12.0} ns   p99 {:>12.0} ns   ({} samples)",
            summary.median_ns, summary.p99_ns, summary.samples
        );
        self.figures.insert(name.to_owned(), summary);
    }

    fn median(&self, name: &str) -> Option<f64> {
        self.figures.get(name).map(|s| s.median_ns)
    }

    /// The model manager's hits and the same queries without a cache.
    fn manager_and_floor<C: Connection + 'static>(
        &mut self,
        conn: &mut C,
        cache: Cache,
        db: &str,
        store: &str,
    ) where
        BenchProduct: cache_diesel::ModelQueries<C>,
        BenchProductFull: cache_diesel::ModelQueries<C>,
    {
        let (n_detail, n_100, n_1000) = iterations(self.quick);
        let manager = BenchProductCache::new(cache);
        let ids = |i: usize| 1 + (i % 100) as i32;
        for i in 0..100 {
            manager.get(conn, ids(i)).expect("warm");
        }
        let (list100, list1000) = (
            BenchProductFilter::default().category_id(1),
            BenchProductFilter::default().category_id(2),
        );
        assert_eq!(
            manager
                .all(conn, None, list100.clone())
                .expect("warm")
                .len(),
            100
        );
        assert_eq!(
            manager
                .all(conn, None, list1000.clone())
                .expect("warm")
                .len(),
            1000
        );
        // In process, a hit is timed in groups (see `GROUP`).
        let (group, n) = match store {
            "memory" => (GROUP, n_detail * 4),
            _ => (1, n_detail),
        };
        let [query, hit] = bench::measure_side_by_side_grouped(n, group, |k, i| {
            let id = ids(i);
            if k == 0 {
                black_box(
                    BenchProduct::load_record(conn, &BenchProductUnique::Id(id)).expect("query"),
                );
            } else {
                black_box(manager.get(conn, id).expect("hit"));
            }
        });
        self.record(&format!("{db}.query.detail"), query);
        self.record(&format!("{store}.hit.detail"), hit);
        for (name, filter, n) in [
            ("list100", &list100, n_100),
            ("list1000", &list1000, n_1000),
        ] {
            let [query, hit] = bench::measure_side_by_side(n, |k, _| {
                if k == 0 {
                    black_box(BenchProduct::load_records(conn, filter, false).expect("query"));
                } else {
                    black_box(manager.all(conn, None, filter.clone()).expect("hit"));
                }
            });
            self.record(&format!("{db}.query.{name}"), query);
            self.record(&format!("{store}.hit.{name}"), hit);
        }
        let stats = manager.stats();
        assert_eq!(stats.fills, 102, "every measured read was a hit: {stats:?}");

        let full = BenchProductFullCache::new(manager.cache().clone());
        for i in 0..100 {
            let record = full.get(conn, ids(i)).expect("warm");
            assert_eq!(
                (
                    record.bench_category.id,
                    record.reviews.as_ref().map(Vec::len)
                ),
                (1, Some(3))
            );
        }
        let [query, hit] = bench::measure_side_by_side(n_detail / 4, |k, i| {
            let id = ids(i);
            if k == 0 {
                black_box(
                    BenchProductFull::load_record(conn, &BenchProductFullUnique::Id(id))
                        .expect("query"),
                );
            } else {
                black_box(full.get(conn, id).expect("hit"));
            }
        });
        self.record(&format!("{db}.query.detail_related"), query);
        self.record(&format!("{store}.hit.detail_related"), hit);
        assert_eq!(full.stats().fills, 100, "every measured read was a hit");
    }

    /// The manager's hits on MySQL (MariaDB) + Redis beside the same
    /// queries, in a database of the run's own.
    fn mysql(&mut self, server: &str, redis_url: &str, prefix: &str) {
        let database = prefix.to_ascii_lowercase();
        let mut admin = MysqlConnection::establish(server).expect("MySQL");
        admin
            .batch_execute(&format!("CREATE DATABASE `{database}`"))
            .expect("database");
        let url = services::mysql_database_url(server, &database);
        let mut my = MysqlConnection::establish(&url).expect("MySQL");
        seed(&mut my);
        let cache = cache_at(redis_url, &format!("{prefix}-mysql"));
        self.manager_and_floor(&mut my, cache.clone(), "mysql", "redis_mysql");
        let _ = cache.clear();
        let _ = admin.batch_execute(&format!("DROP DATABASE `{database}`"));
    }

    /// The first read of an id (a miss: its row tag does not exist yet)
    /// beside the bare primary-key query of a fresh id and a raw Redis
    /// `GET` of a detail entry's bytes (one round trip moving what a hit
    /// moves), side by side: what a miss costs, in round trips over the
    /// query.
    fn first_reads(&mut self, pg: &mut PgConnection, url: &str, cache: &Cache) {
        let (n, _, _) = iterations(self.quick);
        let n = n.min(3_000);
        let manager = BenchProductCache::new(cache.clone());
        let mut redis = redis::Client::open(url)
            .expect("redis")
            .get_connection()
            .expect("redis");
        let rtt_key = format!("{}:compare-rtt", cache.config().key_prefix);
        let entry: Vec<u8> = redis::cmd("GET")
            .arg(manager.detail_key(&BenchProductUnique::Id(1)))
            .query(&mut redis)
            .expect("GET");
        assert!(!entry.is_empty(), "the hits above filled id 1");
        let _: () = redis::cmd("SET")
            .arg(&rtt_key)
            .arg(entry)
            .query(&mut redis)
            .expect("SET");
        // Ids the manager never read (the hits above read 1..=100).
        let (mut next_manager, mut next_query) = (1_000..=bench::PRODUCTS, 1..=bench::PRODUCTS);
        let query = |pg: &mut PgConnection, id| {
            black_box(
                bench_products::table
                    .find(id)
                    .select(BenchProduct::as_select())
                    .first::<BenchProduct>(pg)
                    .expect("row"),
            );
        };
        let mut get = || {
            let _: Option<Vec<u8>> = redis::cmd("GET")
                .arg(&rtt_key)
                .query(&mut redis)
                .expect("GET");
        };
        let [bare, first, rtt, query_get] = bench::measure_side_by_side(n, |k, _| match k {
            0 => query(pg, next_query.next().expect("ids left")),
            1 => {
                let id = next_manager.next().expect("ids left");
                black_box(manager.get(pg, id).expect("row"));
            }
            2 => get(),
            // A round trip where a miss makes its own: right after a query
            // (on a virtual machine a server that idled during the query
            // answers slower than one kept busy by a loop of GETs).
            _ => {
                query(pg, next_query.next().expect("ids left"));
                get();
            }
        });
        self.figure(
            "redis.rtt_after_query",
            query_get.median_ns - bare.median_ns,
            n,
        );
        self.record("postgres.query.detail_fresh", bare);
        self.record("redis.first_read.detail", first);
        self.record("redis.rtt", rtt);
        self.record("postgres.query_then_get", query_get);
    }

    /// Raw GET + decode of the manager's own bytes, the `cached` crate, and
    /// commands per hit.
    fn redis_floor_and_peer(&mut self, url: &str, cache: &Cache) {
        let (n_detail, _, n_1000) = iterations(self.quick);
        let manager = BenchProductCache::new(cache.clone());
        let mut conn = redis::Client::open(url)
            .expect("redis")
            .get_connection()
            .expect("redis");
        // Hits need no table: a miss here fails the run.
        let mut sqlite = SqliteConnection::establish(":memory:").expect("sqlite");
        let ids = |i: usize| 1 + (i % 100) as i32;
        let keys: Vec<String> = (0..100)
            .map(|i| manager.detail_key(&BenchProductUnique::Id(ids(i))))
            .collect();
        let mut get =
            |key: &str| -> Vec<u8> { redis::cmd("GET").arg(key).query(&mut conn).expect("GET") };
        // The envelope: stamps, soft deadline, fill time, value.
        type Detail = (Vec<u64>, u64, u64, Form<Option<BenchProduct>>);
        type List = (Vec<u64>, u64, u64, Form<Vec<BenchProduct>>);
        let peer: cached::RedisCache<String, BenchProduct> =
            cached::RedisCache::builder(format!("{}-peer", cache.config().key_prefix))
                .connection_string(url)
                .ttl(std::time::Duration::from_secs(3600))
                .build()
                .expect("cached::RedisCache");
        for key in &keys {
            let (_, _, _, Form(row)) = open_entry::<Detail>(&get(key));
            peer.cache_set(key.clone(), row.expect("a row"))
                .expect("cached set");
        }
        let [hit, raw, peer_hit] = bench::measure_side_by_side(n_detail, |k, i| match k {
            0 => {
                black_box(manager.get(&mut sqlite, ids(i)).expect("hit"));
            }
            1 => {
                let bytes = get(&keys[i % 100]);
                black_box(open_entry::<Detail>(&bytes));
            }
            _ => {
                black_box(
                    peer.cache_get(&keys[i % 100])
                        .expect("cached get")
                        .expect("cached hit"),
                );
            }
        });
        self.record("redis.hit.detail_beside_floor", hit);
        self.record("redis.raw_get_decode.detail", raw);
        self.record("cached_crate.hit.detail", peer_hit);
        let _ = peer.cache_clear();

        let filter = BenchProductFilter::default().category_id(2);
        let list_key = manager.list_key(
            None,
            &cache_diesel::__private::ListFilter::cache_key(&filter),
        );
        let [hit, raw] = bench::measure_side_by_side(n_1000, |k, _| {
            if k == 0 {
                black_box(manager.all(&mut sqlite, None, filter.clone()).expect("hit"));
            } else {
                let bytes = get(&list_key);
                black_box(open_entry::<List>(&bytes));
            }
        });
        self.record("redis.hit.list1000_beside_floor", hit);
        self.record("redis.raw_get_decode.list1000", raw);

        let before = command_calls(&mut conn);
        let hits = 1_000;
        for i in 0..hits {
            black_box(
                manager
                    .get(&mut sqlite, 1 + (i % 100) as i32)
                    .expect("a hit needs no table"),
            );
        }
        let calls = command_calls(&mut conn) - before - 1; // the INFO that read them
        let per_hit = calls as f64 / hits as f64;
        println!("{:<34} {per_hit:.3}", "redis.commands_per_hit");
        self.figures.insert(
            "redis.commands_per_hit".into(),
            Summary {
                median_ns: per_hit,
                p99_ns: per_hit,
                samples: hits,
            },
        );
    }
}

impl Run {
    /// Redis commands per first read (a miss and its fill, no contention):
    /// `INFO commandstats` around a batch of fresh ids.
    fn commands_per_miss(&mut self, pg: &mut PgConnection, url: &str, cache: &Cache) {
        let manager = BenchProductCache::new(cache.clone());
        let mut conn = redis::Client::open(url)
            .expect("redis")
            .get_connection()
            .expect("redis");
        let misses = 200;
        // Ids no earlier measurement read (first_reads reads from 1,000 up).
        let first = bench::PRODUCTS - misses;
        let before = command_calls(&mut conn);
        for id in first..bench::PRODUCTS {
            black_box(manager.get(pg, id).expect("row"));
        }
        let calls = command_calls(&mut conn) - before - 1; // its own INFO
        self.figure(
            "redis.commands_per_miss",
            calls as f64 / f64::from(misses),
            misses as usize,
        );
    }

    /// A hook update beside the bare Diesel update of the same row, with
    /// `synchronous_commit = off` (what is left is the statements and the
    /// cache's round trips), and the statements a hook update runs.
    fn hook_updates(&mut self, pg: &mut PgConnection, cache: &Cache) {
        let (n, _, _) = iterations(self.quick);
        let n = n.min(3_000);
        let manager = BenchProductCache::new(cache.clone());
        pg.batch_execute("SET synchronous_commit = off")
            .expect("synchronous_commit");
        let id = |i: usize| 200 + (i % 100) as i32;
        let [bare, hook] = bench::measure_side_by_side(n, |k, i| {
            let title = format!("Retitled {i}");
            if k == 0 {
                black_box(
                    diesel::update(bench_products::table.find(id(i)))
                        .set(bench_products::title.eq(title))
                        .execute(pg)
                        .expect("update"),
                );
            } else {
                black_box(
                    manager
                        .update(pg, id(i), bench_products::title.eq(title))
                        .expect("hook update"),
                );
            }
        });
        self.record("postgres.update.bare", bare);
        self.record("redis.update.hook", hook);
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        pg.set_instrumentation(cache_tests::db::query_counter(statements.clone()));
        let updates = 100;
        for i in 0..updates {
            manager
                .update(pg, id(i), bench_products::title.eq("Counted"))
                .expect("hook update");
        }
        let ran = statements.load(std::sync::atomic::Ordering::SeqCst);
        self.figure(
            "postgres.statements_per_hook_update",
            ran as f64 / updates as f64,
            updates,
        );
        // Counting stops: the rest of the run measures without it.
        pg.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        pg.batch_execute("SET synchronous_commit = on")
            .expect("synchronous_commit");
    }

    /// A list of 25,000 rows: the query beside the Redis hit.
    fn list25000(&mut self, pg: &mut PgConnection, cache: &Cache) {
        let (_, _, n_1000) = iterations(self.quick);
        let n = (n_1000 / 4).max(20);
        pg.batch_execute(
            "INSERT INTO bench_categories (id, name) VALUES (100, 'large');
             INSERT INTO bench_products (id, title, created_at, is_active, category_id)
             SELECT 100000 + x, 'Product number ' || x || ' with a longer title', '2024-01-01 12:00:00', true, 100
             FROM generate_series(1, 25000) AS x",
        )
        .expect("25,000 rows");
        let manager = BenchProductCache::new(cache.clone());
        let filter = BenchProductFilter::default().category_id(100);
        let rows = manager.all(pg, None, filter.clone()).expect("fill");
        assert_eq!(rows.len(), 25_000);
        assert_eq!(manager.stats().refused, 0, "a 25,000-row list is cached");
        let [query, hit] = bench::measure_side_by_side(n, |k, _| {
            if k == 0 {
                black_box(BenchProduct::load_records(pg, &filter, false).expect("query"));
            } else {
                black_box(manager.all(pg, None, filter.clone()).expect("hit"));
            }
        });
        self.record("postgres.query.list25000", query);
        self.record("redis.hit.list25000", hit);
    }

    /// Hits through the async API (`get_async`) beside the same hits
    /// through the sync one, on one Redis: on a current-thread runtime
    /// (the future and the connection's I/O task on one thread) and on a
    /// multi-thread one (the caller's thread blocks on the future while a
    /// worker runs the connection's I/O: every hit crosses threads twice).
    fn asynchronous(&mut self, pg: &mut PgConnection, cache: &Cache) {
        let (n_detail, _, _) = iterations(self.quick);
        let manager = BenchProductCache::new(cache.clone());
        let ids = |i: usize| 1 + (i % 100) as i32;
        for i in 0..100 {
            manager.get(pg, ids(i)).expect("warm");
        }
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        // Hits need no table: a miss here fails the run.
        let mut sqlite = SqliteConnection::establish(":memory:").expect("sqlite");
        let mut wrapped = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::new(
            SqliteConnection::establish(":memory:").expect("sqlite"),
        );
        let [sync_hit, current_hit, multi_hit] = bench::measure_side_by_side(n_detail, |k, i| {
            let id = ids(i);
            match k {
                0 => black_box(manager.get(&mut sqlite, id).expect("hit")),
                1 => black_box(
                    current
                        .block_on(manager.get_async(&mut wrapped, id))
                        .expect("hit"),
                ),
                _ => black_box(
                    multi
                        .block_on(manager.get_async(&mut wrapped, id))
                        .expect("hit"),
                ),
            };
        });
        assert_eq!(manager.stats().misses, 0, "every timed read was a hit");
        self.record("redis.hit.detail_beside_async", sync_hit);
        self.record("async.hit.detail", current_hit);
        self.record("async_multi_thread.hit.detail", multi_hit);
    }

    /// Hits of the tiered store (Redis behind a warm local tier) beside the
    /// same hits on plain Redis, and Redis commands per tiered hit.
    fn tiered(&mut self, pg: &mut PgConnection, url: &str, prefix: &str, plain: &Cache) {
        let (n_detail, _, n_1000) = iterations(self.quick);
        let tiered = cache_at(&services::with_local_tier(url), prefix);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while tiered.local_tier_ready() != Some(true) {
            assert!(
                std::time::Instant::now() < deadline,
                "tracking never came up"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let (local, shared) = (
            BenchProductCache::new(tiered),
            BenchProductCache::new(plain.clone()),
        );
        let ids = |i: usize| 1 + (i % 100) as i32;
        let filter = BenchProductFilter::default().category_id(2);
        for _ in 0..2 {
            for i in 0..100 {
                local.get(pg, ids(i)).expect("warm");
            }
            local.all(pg, None, filter.clone()).expect("warm");
        }
        // Hits need no table: a miss here fails the run.
        let mut sqlite = SqliteConnection::establish(":memory:").expect("sqlite");
        let [hit, redis_hit] = bench::measure_side_by_side_grouped(n_detail * 4, GROUP, |k, i| {
            let m = if k == 0 { &local } else { &shared };
            black_box(m.get(&mut sqlite, ids(i)).expect("hit"));
        });
        self.record("tiered.hit.detail", hit);
        self.record("redis.hit.detail_beside_tiered", redis_hit);
        let [hit] = bench::measure_side_by_side(n_1000, |_, _| {
            black_box(local.all(&mut sqlite, None, filter.clone()).expect("hit"));
        });
        self.record("tiered.hit.list1000", hit);
        // The async API's hit on the same warm local tier (a current-thread
        // runtime, as `asynchronous`).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut wrapped = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::new(
            SqliteConnection::establish(":memory:").expect("sqlite"),
        );
        let misses = local.stats().misses;
        let [hit, sync_hit] = bench::measure_side_by_side(n_detail, |k, i| {
            let id = ids(i);
            match k {
                0 => black_box(
                    runtime
                        .block_on(local.get_async(&mut wrapped, id))
                        .expect("hit"),
                ),
                _ => black_box(local.get(&mut sqlite, id).expect("hit")),
            };
        });
        let stats = local.stats();
        assert_eq!(
            (stats.misses - misses, stats.uncached),
            (0, 0),
            "every timed async read was a hit"
        );
        self.record("async_tiered.hit.detail", hit);
        self.record("tiered.hit.detail_beside_async", sync_hit);
        let mut conn = redis::Client::open(url)
            .expect("redis")
            .get_connection()
            .expect("redis");
        let before = command_calls_but_pings(&mut conn);
        let hits = 1_000;
        for i in 0..hits {
            black_box(local.get(&mut sqlite, ids(i)).expect("hit"));
        }
        let calls = command_calls_but_pings(&mut conn) - before - 1; // its own INFO
        self.figure("tiered.commands_per_hit", calls as f64 / hits as f64, hits);
        let _ = local.cache().clear();
    }

    /// Hits on a Redis Cluster of our own (three masters, three replicas)
    /// beside the same hits on the one Redis, the cluster's commands per
    /// hit (all nodes), and a hook update on each.
    fn cluster(&mut self, pg: &mut PgConnection, prefix: &str, plain: &Cache) {
        let Ok(cluster) = cache_tests::redis_cluster::RedisCluster::start(false) else {
            println!("no Redis Cluster could be started: its figures are missing");
            return;
        };
        let (n_detail, _, _) = iterations(self.quick);
        let on_cluster = cache_at(&cluster.url(), prefix);
        let (sharded, single) = (
            BenchProductCache::new(on_cluster),
            BenchProductCache::new(plain.clone()),
        );
        let ids = |i: usize| 1 + (i % 100) as i32;
        for i in 0..100 {
            sharded.get(pg, ids(i)).expect("warm");
            single.get(pg, ids(i)).expect("warm");
        }
        // Hits need no table: a miss here fails the run.
        let mut sqlite = SqliteConnection::establish(":memory:").expect("sqlite");
        let [hit, redis_hit] = bench::measure_side_by_side(n_detail, |k, i| {
            let m = if k == 0 { &sharded } else { &single };
            black_box(m.get(&mut sqlite, ids(i)).expect("hit"));
        });
        self.record("cluster.hit.detail", hit);
        self.record("redis.hit.detail_beside_cluster", redis_hit);
        // The servers themselves, side by side: the same MGET of four keys
        // of one slot over a plain redis-rs connection, to the cluster node
        // that serves them and to the one Redis.
        let keys = ["{x}a", "{x}b", "{x}c", "{x}d"];
        let open = |url: String| redis::Client::open(url).and_then(|c| c.get_connection());
        let node = cluster.addresses().into_iter().find(|a| {
            open(format!("redis://{a}/"))
                .and_then(|mut n| {
                    redis::cmd("MGET")
                        .arg(&keys)
                        .query::<Vec<Option<Vec<u8>>>>(&mut n)
                })
                .is_ok()
        });
        if let (Some(node), Some(single)) = (node, plain.config().backend_url()) {
            let mut conns = [
                open(format!("redis://{node}/")).expect("cluster node"),
                open(single.clone()).expect("redis"),
            ];
            let [on_node, on_single] = bench::measure_side_by_side(n_detail, |k, _| {
                let reply: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                    .arg(&keys)
                    .query(&mut conns[k])
                    .expect("MGET");
                black_box(reply);
            });
            self.record("cluster.node_mget", on_node);
            self.record("redis.mget_beside_cluster_node", on_single);
        }
        let mut nodes: Vec<redis::Connection> = cluster
            .addresses()
            .iter()
            .map(|a| {
                redis::Client::open(format!("redis://{a}/"))
                    .and_then(|c| c.get_connection())
                    .expect("cluster node")
            })
            .collect();
        let before: Vec<u64> = nodes.iter_mut().map(command_calls_but_pings).collect();
        let hits = 1_000;
        for i in 0..hits {
            black_box(sharded.get(&mut sqlite, ids(i)).expect("hit"));
        }
        let calls: u64 = nodes
            .iter_mut()
            .zip(before)
            // The two INFOs of the reading before are counted too.
            .map(|(n, b)| command_calls_but_pings(n) - b - 2)
            .sum();
        self.figure("cluster.commands_per_hit", calls as f64 / hits as f64, hits);
        let [on_cluster, on_redis] = bench::measure_side_by_side(n_detail / 10, |k, i| {
            let m = if k == 0 { &sharded } else { &single };
            let title = format!("t{i}");
            black_box(
                m.update(pg, ids(i), bench_products::title.eq(title))
                    .expect("update"),
            );
        });
        self.record("cluster.update.hook", on_cluster);
        self.record("redis.update.hook_beside_cluster", on_redis);
        let _ = sharded.cache().clear();
    }

    /// In-process hits with 100,000 entries resident (10,000 details read
    /// at random, 90,000 other entries), and what a cached row costs in
    /// resident memory.
    fn memory_at_size<C: Connection + 'static>(&mut self, conn: &mut C, prefix: &str)
    where
        BenchProduct: cache_diesel::ModelQueries<C>,
    {
        let (n_detail, _, _) = iterations(self.quick);
        let mut cfg = CacheConfig::from_url("memory://").expect("memory URL");
        cfg.key_prefix = format!("{prefix}-size");
        cfg.max_entries = Some(200_000);
        let cache = Cache::new(cfg).expect("cache");
        let manager = BenchProductCache::new(cache.clone());
        let rss_before = resident_bytes();
        let mut raw = 0usize;
        for id in 1..=bench::PRODUCTS {
            let row = manager.get(conn, id).expect("fill");
            raw += std::mem::size_of::<BenchProduct>() + row.title.capacity();
            manager.get(conn, id).expect("hit"); // decoded and kept
        }
        let rss_after = resident_bytes();
        if let (Some(before), Some(after)) = (rss_before, rss_after) {
            let rows = bench::PRODUCTS as f64;
            let per_row = after.saturating_sub(before) as f64 / rows;
            self.figure("memory.bytes_per_row", per_row, bench::PRODUCTS as usize);
            self.figure(
                "memory.raw_bytes_per_row",
                raw as f64 / rows,
                bench::PRODUCTS as usize,
            );
        }
        // What an entry costs whatever it holds (a small integer under a
        // short key): the store's fixed overhead per entry.
        let rss_before = resident_bytes();
        let fillers = 90_000;
        for i in 0..fillers {
            cache
                .set(format!("filler-{i}"), &i, cache_diesel::Timeout::Never)
                .expect("filler");
        }
        if let (Some(before), Some(after)) = (rss_before, resident_bytes()) {
            let per_entry = after.saturating_sub(before) as f64 / f64::from(fillers);
            self.figure("memory.bytes_per_small_entry", per_entry, fillers as usize);
        }
        // A stride through all 10,000 ids: every hit is cold in the CPU caches.
        let id = |i: usize| 1 + ((i * 7_919) % bench::PRODUCTS as usize) as i32;
        // The floor, read side by side: the same rows in the plainest map
        // (integer keys, Fibonacci hashing, each row behind its own `Arc`
        // as a shared cache holds it, 100,000 entries), cloned as a hit
        // clones them: what the memory system charges for the lines a
        // hit must touch (the map's slot, the row, its text).
        let mut floor: std::collections::HashMap<i32, std::sync::Arc<BenchProduct>, Fib> =
            std::collections::HashMap::with_capacity_and_hasher(100_000, Fib::default());
        for n in 1..=bench::PRODUCTS {
            floor.insert(n, std::sync::Arc::new(manager.get(conn, n).expect("hit")));
        }
        let model = floor[&1].as_ref().clone();
        for n in 0..fillers {
            floor.insert(1_000_000 + n, std::sync::Arc::new(model.clone()));
        }
        let mut read = |k: usize, i: usize| {
            if k == 0 {
                black_box(manager.get(conn, id(i)).expect("hit"));
            } else {
                black_box(floor.get(&id(i)).map(|row| row.as_ref().clone()));
            }
        };
        // Warm: a pass over every id, alternating, leaves both in the same
        // state of the CPU caches (the floor was just built: hot; the
        // entries were written before the fillers: cold).
        for i in 0..bench::PRODUCTS as usize {
            read(0, i);
            read(1, i);
        }
        // Timed one read at a time, not in groups: the clock's reads
        // between them keep one read's cache misses from overlapping the
        // next's, which a group lets the floor's few instructions do and a
        // hit's ~1,100 cannot (grouped, 3 runs: 419-648 ns over floors of
        // 175-254, ratios 2.4-2.6, where they are ~2 timed alone).
        let [hit, plain] = bench::measure_side_by_side(n_detail, &mut read);
        self.record("memory.hit.detail_100k", hit);
        self.record("memory.floor.map_100k", plain);
        // Cold: the CPU caches flushed before every block of 100 reads of
        // each (what DRAM charges for the lines a hit touches). After the
        // warm figures: measured after the flushes, the warm map read
        // 180 ns where it reads 60 before them, and the hit 430-470 where
        // it reads 280-340 (a build of this same code, 4 runs each).
        let [hit, plain] = bench::measure_cold_side_by_side(n_detail, 100, &mut read);
        self.record("memory.hit.detail_100k_cold", hit);
        self.record("memory.floor.map_100k_cold", plain);
        let _ = cache.clear();
    }

    /// Hits per second on one in-process cache from 1, 2, 8 and 32
    /// threads, each with its own connection to the SQLite file at `path`
    /// (hot: 100 ids, warmed first).
    fn memory_threads(&mut self, path: &str, prefix: &str) {
        let cache = cache_at("memory://", &format!("{prefix}-threads"));
        let manager = BenchProductCache::new(cache.clone());
        let open = || SqliteConnection::establish(path).expect("SQLite file");
        let mut conn = open();
        for id in 1..=100 {
            manager.get(&mut conn, id).expect("warm");
        }
        // Rounds of every thread count in turn, each figure the median of
        // its rounds: a neighbour that takes a core for a moment slows one
        // window of each, not every window of one count (which made the
        // ratios swing from 1.6 to 0.8 between runs a minute apart).
        let window = std::time::Duration::from_millis(if self.quick { 100 } else { 300 });
        let counts = [1usize, 2, 8, 32];
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); counts.len()];
        let mut total = vec![0usize; counts.len()];
        for _round in 0..5 {
            for (c, &threads) in counts.iter().enumerate() {
                let hits = hits_from_threads(&manager, threads, window, &open);
                rates[c].push(hits as f64 / window.as_secs_f64());
                total[c] += hits as usize;
            }
        }
        for (c, threads) in counts.iter().enumerate() {
            rates[c].sort_by(f64::total_cmp);
            self.figure(
                &format!("memory.hits_per_s.{threads}_threads"),
                rates[c][rates[c].len() / 2],
                total[c],
            );
        }
        let _ = cache.clear();
    }

    fn figure(&mut self, name: &str, value: f64, samples: usize) {
        println!("{name:<34} {value:.3}");
        self.figures.insert(
            name.into(),
            Summary {
                median_ns: value,
                p99_ns: value,
                samples,
            },
        );
    }
}

/// Fibonacci hashing of an integer key: the floor map's hasher.
#[derive(Default, Clone)]
struct Fib(u64);

impl std::hash::Hasher for Fib {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_i32(&mut self, n: i32) {
        self.0 = u64::from(n as u32).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl std::hash::BuildHasher for Fib {
    type Hasher = Fib;
    fn build_hasher(&self) -> Fib {
        Fib(0)
    }
}

/// The process's resident memory, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Calls of every command on the server but `PING` (tracking connections
/// ping while their tier is in use).
fn command_calls_but_pings(conn: &mut redis::Connection) -> u64 {
    let pings = calls(&commandstats(conn), "cmdstat_ping:");
    command_calls(conn) - 1 - pings // minus that second INFO
}

/// Total calls of every command on the server.
fn command_calls(conn: &mut redis::Connection) -> u64 {
    calls(&commandstats(conn), "cmdstat_")
}

fn commandstats(conn: &mut redis::Connection) -> String {
    redis::cmd("INFO")
        .arg("commandstats")
        .query(conn)
        .expect("INFO")
}

/// The calls of the commands on the lines of `INFO commandstats` that
/// start with `prefix`.
fn calls(info: &str, prefix: &str) -> u64 {
    info.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| {
            l.split_once("calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn seed<C: Connection + 'static>(conn: &mut C) {
    conn.batch_execute(&bench::ddl::<C>()).expect("DDL");
    for sql in bench::seed_sql() {
        conn.batch_execute(&sql).expect("seed");
    }
}

fn cache_at(url: &str, prefix: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    cfg.max_entries = Some(100_000);
    cfg.verify = verify_fraction();
    Cache::new(cfg).expect("cache")
}

/// `--verify F`: the caches' `verify` (what a sampled verification costs
/// a hit that is not sampled, with a tiny F).
fn verify_fraction() -> f64 {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--verify");
    let value = at.and_then(|i| args.get(i + 1));
    value.map_or(0.0, |v| v.parse().expect("--verify takes a fraction"))
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut run = Run {
        figures: BTreeMap::new(),
        quick,
    };
    let prefix = cache_tests::unique::prefix("compare");
    println!(
        "compare: {} run, {} products",
        if quick { "quick" } else { "full" },
        bench::PRODUCTS
    );

    let path = std::env::temp_dir().join(format!("{prefix}.sqlite"));
    let mut sqlite = SqliteConnection::establish(&path.to_string_lossy()).expect("SQLite file");
    seed(&mut sqlite);
    run.manager_and_floor(
        &mut sqlite,
        cache_at("memory://", &prefix),
        "sqlite",
        "memory",
    );
    // What the harness's two clock reads add to every per-read figure: an
    // empty operation timed the same way.
    let [empty] = bench::measure_side_by_side(iterations(quick).0, |_, i| {
        black_box(i);
    });
    run.record("timer.empty_op", empty);
    run.memory_at_size(&mut sqlite, &prefix);
    run.memory_threads(&path.to_string_lossy(), &prefix);
    drop(sqlite);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }

    let memory_only = std::env::args().any(|a| a == "--memory-only");
    match (services::database_url(), services::redis_url()) {
        _ if memory_only => println!("--memory-only: PostgreSQL and Redis skipped"),
        (Some(db_url), Some(redis_url)) => {
            let mut pg = PgConnection::establish(&db_url).expect("PostgreSQL");
            pg.batch_execute(&format!(
                "CREATE SCHEMA \"{prefix}\"; SET search_path TO \"{prefix}\""
            ))
            .expect("schema");
            seed(&mut pg);
            let cache = cache_at(&redis_url, &prefix);
            run.manager_and_floor(&mut pg, cache.clone(), "postgres", "redis");
            run.redis_floor_and_peer(&redis_url, &cache);
            run.first_reads(&mut pg, &redis_url, &cache);
            run.commands_per_miss(&mut pg, &redis_url, &cache);
            run.hook_updates(&mut pg, &cache);
            run.tiered(&mut pg, &redis_url, &format!("{prefix}-tiered"), &cache);
            run.asynchronous(&mut pg, &cache);
            run.cluster(&mut pg, &format!("{prefix}-cluster"), &cache);
            run.list25000(&mut pg, &cache);
            let _ = cache.clear();
            let _ = pg.batch_execute(&format!("DROP SCHEMA \"{prefix}\" CASCADE"));
        }
        _ => println!("PostgreSQL or Redis unreachable: their figures are missing"),
    }
    match (services::mysql_url(), services::redis_url()) {
        _ if memory_only => println!("--memory-only: MySQL skipped"),
        (Some(server), Some(redis_url)) => run.mysql(&server, &redis_url, &prefix),
        _ => println!("MySQL or Redis unreachable: its figures are missing"),
    }

    let ratio = |a: &str, b: &str| Some(run.median(a)? / run.median(b)?);
    // (a - b) / c: what `a` costs over `b`, in units of `c`.
    let excess =
        |a: &str, b: &str, c: &str| Some((run.median(a)? - run.median(b)?) / run.median(c)?);
    let ratios: BTreeMap<&str, Option<f64>> = BTreeMap::from([
        (
            "manager_hit_over_raw_get_decode",
            ratio(
                "redis.hit.detail_beside_floor",
                "redis.raw_get_decode.detail",
            ),
        ),
        (
            "db_query_over_manager_hit",
            ratio("postgres.query.detail", "redis.hit.detail"),
        ),
        (
            "cached_crate_hit_over_manager_hit",
            ratio("cached_crate.hit.detail", "redis.hit.detail_beside_floor"),
        ),
        ("commands_per_hit", run.median("redis.commands_per_hit")),
        ("memory_hit_ns", run.median("memory.hit.detail")),
        ("timer_ns", run.median("timer.empty_op")),
        (
            "list1000_db_over_hit",
            ratio("postgres.query.list1000", "redis.hit.list1000"),
        ),
        (
            "mysql_pk_query_over_manager_hit",
            ratio("mysql.query.detail", "redis_mysql.hit.detail"),
        ),
        (
            "mysql_list1000_db_over_hit",
            ratio("mysql.query.list1000", "redis_mysql.hit.list1000"),
        ),
        (
            "sqlite_list1000_db_over_memory_hit",
            ratio("sqlite.query.list1000", "memory.hit.list1000"),
        ),
        (
            "first_read_over_pk_query",
            ratio("redis.first_read.detail", "postgres.query.detail_fresh"),
        ),
        (
            "first_read_extra_in_redis_rtts",
            excess(
                "redis.first_read.detail",
                "postgres.query.detail_fresh",
                "redis.rtt",
            ),
        ),
        (
            // The first read of an id: a miss and its fill, no contention.
            "redis_miss_extra_rtts",
            excess(
                "redis.first_read.detail",
                "postgres.query.detail_fresh",
                "redis.rtt",
            ),
        ),
        (
            // The same, with the round trip measured as a GET right after
            // a query (where a miss makes its own), not in a loop of GETs.
            "redis_miss_extra_rtts_after_query",
            excess(
                "redis.first_read.detail",
                "postgres.query.detail_fresh",
                "redis.rtt_after_query",
            ),
        ),
        (
            "redis_commands_per_miss",
            run.median("redis.commands_per_miss"),
        ),
        (
            "hook_update_extra_rtts",
            excess("redis.update.hook", "postgres.update.bare", "redis.rtt"),
        ),
        (
            "statements_per_hook_update",
            run.median("postgres.statements_per_hook_update"),
        ),
        (
            "list25000_db_over_hit",
            ratio("postgres.query.list25000", "redis.hit.list25000"),
        ),
        ("tiered_hit_ns", run.median("tiered.hit.detail")),
        (
            "tiered_hit_over_redis_hit",
            ratio("tiered.hit.detail", "redis.hit.detail_beside_tiered"),
        ),
        (
            "tiered_commands_per_hit",
            run.median("tiered.commands_per_hit"),
        ),
        (
            "async_redis_hit_over_sync_redis_hit",
            ratio("async.hit.detail", "redis.hit.detail_beside_async"),
        ),
        (
            // The async API's hit on the tiered store's warm local tier.
            "async_tiered_hit_ns",
            run.median("async_tiered.hit.detail"),
        ),
        (
            // The same on a multi-thread runtime, called from outside it.
            "async_multi_thread_redis_hit_over_sync_redis_hit",
            ratio(
                "async_multi_thread.hit.detail",
                "redis.hit.detail_beside_async",
            ),
        ),
        (
            "cluster_hit_over_single_redis_hit",
            ratio("cluster.hit.detail", "redis.hit.detail_beside_cluster"),
        ),
        (
            // The floor of the ratio above: the servers' own round trips.
            "cluster_node_mget_over_single_redis_mget",
            ratio("cluster.node_mget", "redis.mget_beside_cluster_node"),
        ),
        (
            "cluster_commands_per_hit",
            run.median("cluster.commands_per_hit"),
        ),
        (
            "cluster_hook_update_over_single_redis",
            ratio("cluster.update.hook", "redis.update.hook_beside_cluster"),
        ),
        ("memory_hit_ns_100k", run.median("memory.hit.detail_100k")),
        (
            // The floor of the figure above on this machine (see
            // `memory_at_size`).
            "memory_map_floor_ns_100k",
            run.median("memory.floor.map_100k"),
        ),
        (
            "memory_hit_100k_over_map_floor",
            ratio("memory.hit.detail_100k", "memory.floor.map_100k"),
        ),
        (
            "memory_hit_ns_100k_cold",
            run.median("memory.hit.detail_100k_cold"),
        ),
        (
            "memory_map_floor_ns_100k_cold",
            run.median("memory.floor.map_100k_cold"),
        ),
        (
            "memory_hit_100k_cold_over_map_floor",
            ratio("memory.hit.detail_100k_cold", "memory.floor.map_100k_cold"),
        ),
        (
            "memory_hits_per_s_8_threads_over_1_thread",
            ratio("memory.hits_per_s.8_threads", "memory.hits_per_s.1_threads"),
        ),
        (
            "memory_hits_per_s_32_threads_over_1_thread",
            ratio(
                "memory.hits_per_s.32_threads",
                "memory.hits_per_s.1_threads",
            ),
        ),
        (
            "list1000_memory_hit_over_detail_hit",
            ratio("memory.hit.list1000", "memory.hit.detail"),
        ),
        (
            "memory_bytes_per_row_over_raw",
            ratio("memory.bytes_per_row", "memory.raw_bytes_per_row"),
        ),
        (
            "memory_bytes_per_row_over_raw_net_of_entry_overhead",
            excess(
                "memory.bytes_per_row",
                "memory.bytes_per_small_entry",
                "memory.raw_bytes_per_row",
            ),
        ),
        (
            "related_db_over_hit",
            ratio("postgres.query.detail_related", "redis.hit.detail_related"),
        ),
    ]);
    println!();
    for (name, value) in &ratios {
        match value {
            Some(v) => println!("{name:<40} {v:>10.3}"),
            None => println!("{name:<40} {:>10}", "n/a"),
        }
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/compare.json");
    let json = serde_json::json!({ "quick": quick, "figures": run.figures, "ratios": ratios });
    std::fs::write(&out, serde_json::to_string_pretty(&json).expect("json"))
        .expect("write target/compare.json");
    println!("wrote {}", out.display());
}

/// What a minimal client does with an entry's bytes: skip the envelope's
/// 10-byte head (magic, format, digest), decompress a compressed body
/// (format 8: LZ4 with its length first), and decode the MessagePack,
/// without checking the digest (the manager's hit does; the difference is
/// its cost).
fn open_entry<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    if bytes[1] == 8 {
        let body = lz4_flex::block::decompress_size_prepended(&bytes[10..]).expect("lz4");
        return rmp_serde::from_slice(&body).expect("decode");
    }
    rmp_serde::from_slice(&bytes[10..]).expect("decode")
}
