//! The async API over the stores whose non-blocking twins are not plain
//! Redis: the tiered store (`redis://..?local=`, on a Redis of the test's
//! own, so that its commands can be counted and the server stopped) and
//! a Redis Cluster. For each: misses then hits (a hit runs no query), not
//! `uncached`; a write by the sync hooks of another connection (and, for
//! the tiered store, of another process's cache) is seen by async reads;
//! 64 tasks on one cold key run one query. For the tiered store also: a
//! warm async read makes no Redis command, and once a stopped Redis lets
//! the tier's proof of coherence expire, reads stop answering locally and
//! still answer (from the database) without stalling a current-thread
//! runtime.

use cache_diesel::{Cache, CacheConfig};
use cache_tests::async_env::{self, AsyncEnv};
use cache_tests::models::{NewProduct, Product, ProductCache, ProductFilter, products};
use cache_tests::redis_server::RedisServer;
use cache_tests::{db, env, unique};
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Pg = AsyncEnv<PgConnection, AsyncPgConnection>;

/// Longer than the freshness window (10 ms): a read begun this long after a
/// write returned must see it.
const PAST_WINDOW: Duration = Duration::from_millis(30);

/// A tiered cache over `server` with the prefix `prefix`.
fn tiered(server: &RedisServer, prefix: &str) -> Cache {
    let url = format!(
        "{}?local=4m&response_timeout=200ms&connect_timeout=200ms&retry_after=100ms",
        server.url()
    );
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).unwrap()
}

/// Waits until the local tier answers (its tracking connection is up).
async fn wait_ready(cache: &Cache) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.local_tier_ready() != Some(true) {
        assert!(Instant::now() < deadline, "the local tier never got ready");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Commands the server ran, other than the tracking connections' own
/// (`PING`, `HELLO`, `CLIENT`) and this function's `INFO`.
fn commands(server: &RedisServer) -> u64 {
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    info.lines()
        .filter_map(|line| line.strip_prefix("cmdstat_"))
        .filter(|line| {
            // The tracking connection's own: its PING, and the guard (a
            // `DEL` of a key nothing writes) sent before each PING.
            !["ping:", "hello:", "client|", "info:", "del:"]
                .iter()
                .any(|p| line.starts_with(p))
        })
        .filter_map(|line| {
            let calls = line.split("calls=").nth(1)?.split(',').next()?;
            calls.parse::<u64>().ok()
        })
        .sum()
}

/// PostgreSQL and a tiered cache on a Redis of the test's own.
/// (The prefix, for another process's cache.)
async fn tiered_env(test: &str) -> Option<(RedisServer, Pg, String)> {
    let server = RedisServer::for_test(&[])?;
    let db = db::postgres(test)?;
    let prefix = unique::prefix(test);
    let cache = tiered(&server, &prefix);
    wait_ready(&cache).await;
    let env = async_env::postgres_over(env::Env::new(db, cache))
        .await
        .expect("PostgreSQL");
    Some((server, env, prefix))
}

/// PostgreSQL and this process's Redis Cluster.
async fn cluster_env(test: &str) -> Option<Pg> {
    let sync = env::postgres_cluster(test)?;
    Some(async_env::postgres_over(sync).await.expect("PostgreSQL"))
}

/// Inserts `(slug, category)` rows through the sync hooks; their ids.
fn seed(env: &mut Pg, rows: &[(&str, i32)]) -> Vec<i32> {
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

/// Misses then hits (details and lists), none `uncached`; then a write by
/// the sync hooks of another connection is seen by the async reads, and a
/// write by the async hooks by the writer's next read.
async fn misses_hits_and_invalidations(mut env: Pg) {
    let ids = seed(&mut env, &[("apple", 1), ("pear", 1)]);
    let p = ProductCache::new(env.sync.cache.clone());
    let all = ProductFilter::default().category_id(1);
    for expected in [1, 0, 0] {
        let row = p.get_async(&mut env.conn, ids[0]).await.unwrap();
        let rows = p.all_async(&mut env.conn, None, all.clone()).await.unwrap();
        assert_eq!(
            (row.slug.as_str(), slugs(&rows), env.take_queries()),
            ("apple", vec!["apple", "pear"], 2 * expected),
            "a miss runs one query, a hit none"
        );
    }
    let stats = p.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.uncached),
        (4, 2, 0),
        "cached, not uncached: {stats:?}"
    );

    // Another connection's sync hook.
    env.sync
        .products
        .update(
            &mut env.sync.db.conn,
            ids[0],
            products::title.eq("renamed by sync"),
        )
        .unwrap();
    env.take_queries();
    tokio::time::sleep(PAST_WINDOW).await;
    let row = p.get_async(&mut env.conn, ids[0]).await.unwrap();
    assert_eq!(
        (row.title.as_str(), env.take_queries()),
        ("renamed by sync", 1),
        "the sync write is seen"
    );
    let rows = p.all_async(&mut env.conn, None, all.clone()).await.unwrap();
    assert_eq!(
        (rows[0].title.as_str(), env.take_queries()),
        ("renamed by sync", 1)
    );

    // The async hook: the writer reads its own write at once.
    for round in 0..5 {
        let title = format!("async {round}");
        p.update_async(&mut env.conn, ids[1], products::title.eq(title.clone()))
            .await
            .unwrap();
        env.take_queries();
        let row = p.get_async(&mut env.conn, ids[1]).await.unwrap();
        assert_eq!((row.title, env.take_queries()), (title.clone(), 1));
        let row = p.get_async(&mut env.conn, ids[1]).await.unwrap();
        assert_eq!((row.title, env.take_queries()), (title, 0), "then a hit");
    }
    assert_eq!(p.stats().uncached, 0);
}

/// 64 tasks on one cold key: one query.
async fn tasks_on_one_cold_key_run_one_query(mut env: Pg) {
    let id = seed(&mut env, &[("hot", 1)])[0];
    const TASKS: usize = 64;
    let mut conns = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        conns.push(env.another().await);
    }
    env.take_queries();
    let p = Arc::new(ProductCache::new(env.sync.cache.clone()));
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
    let stats = p.stats();
    assert_eq!(stats.uncached, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tiered_misses_hits_and_invalidations() {
    let Some((_server, env, _)) = tiered_env("async_tiered_hits").await else {
        return;
    };
    misses_hits_and_invalidations(env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tiered_tasks_on_one_cold_key_run_one_query() {
    let Some((_server, env, _)) = tiered_env("async_tiered_flight").await else {
        return;
    };
    tasks_on_one_cold_key_run_one_query(env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_misses_hits_and_invalidations() {
    let Some(env) = cluster_env("async_cluster_hits").await else {
        return;
    };
    assert_eq!(env.sync.cache.backend().kind(), "cluster");
    misses_hits_and_invalidations(env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_tasks_on_one_cold_key_run_one_query() {
    let Some(env) = cluster_env("async_cluster_flight").await else {
        return;
    };
    tasks_on_one_cold_key_run_one_query(env).await;
}

/// Warm async reads over the tiered store are answered by the local tier:
/// no Redis command, no query. A write by another process (its own cache,
/// tier and tracking connection; sync hooks) is seen within the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_local_hits_make_no_redis_command() {
    let Some((server, mut env, prefix)) = tiered_env("async_tiered_local").await else {
        return;
    };
    assert_eq!(env.sync.cache.backend().kind(), "tiered");
    let id = seed(&mut env, &[("apple", 1)])[0];
    let p = ProductCache::new(env.sync.cache.clone());
    let all = ProductFilter::default();
    // A miss fills; the next read learns the tags; then all is local.
    for _ in 0..2 {
        p.get_async(&mut env.conn, id).await.unwrap();
        p.all_async(&mut env.conn, None, all.clone()).await.unwrap();
    }
    env.take_queries();
    // A read answers locally only while the tracking connection's last
    // ping came back within the freshness window (10 ms): a scheduling gap
    // that long sends a read to Redis, as it should. One run of at most
    // ten without a command shows that warm reads are local.
    let mut counted = Vec::new();
    while counted.last() != Some(&0) && counted.len() < 10 {
        let before = commands(&server);
        for _ in 0..100 {
            let row = p.get_async(&mut env.conn, id).await.unwrap();
            let rows = p.all_async(&mut env.conn, None, all.clone()).await.unwrap();
            assert_eq!((row.slug.as_str(), rows.len()), ("apple", 1));
        }
        counted.push(commands(&server) - before);
    }
    assert_eq!(
        (counted.last(), env.take_queries()),
        (Some(&0), 0),
        "200 warm async reads: no Redis command, no query: {counted:?}"
    );

    // Another process: a cache of its own over the same Redis and prefix.
    let other = tiered(&server, &prefix);
    wait_ready(&other).await;
    let b = ProductCache::new(other.clone());
    for round in 0..10 {
        let title = format!("by b {round}");
        b.update(&mut env.sync.db.conn, id, products::title.eq(&title))
            .unwrap();
        tokio::time::sleep(PAST_WINDOW).await;
        assert_eq!(
            p.get_async(&mut env.conn, id).await.unwrap().title,
            title,
            "round {round}"
        );
        b.insert(
            &mut env.sync.db.conn,
            NewProduct::new(&format!("p{round}"), 2),
        )
        .unwrap();
        tokio::time::sleep(PAST_WINDOW).await;
        let rows = p.all_async(&mut env.conn, None, all.clone()).await.unwrap();
        assert_eq!(rows.len(), round + 2, "round {round}");
    }
    let _ = other.clear();
}

/// On a current-thread runtime: after a warm-up, Redis is stopped
/// (SIGSTOP: it accepts connections and never answers). Once the tier's
/// proof of coherence is older than the window, reads must not answer
/// locally: they go past the tier, wait for Redis at most its timeout (while
/// another task of the runtime keeps running), and answer from the
/// database.
#[test]
fn tiered_stopped_redis_expires_the_tier_and_stalls_no_task() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let Some((server, mut env, _)) = tiered_env("async_tiered_stop").await else {
            return;
        };
        let id = seed(&mut env, &[("apple", 1)])[0];
        let p = ProductCache::new(env.sync.cache.clone());
        for _ in 0..3 {
            assert_eq!(p.get_async(&mut env.conn, id).await.unwrap().slug, "apple");
        }
        assert_eq!(env.take_queries(), 1, "a miss, then hits");

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
        tokio::time::sleep(PAST_WINDOW).await;
        assert_eq!(
            env.sync.cache.local_tier_ready(),
            Some(false),
            "no proof of coherence within the window"
        );
        let errors = env.sync.cache.stats().errors;
        let started = Instant::now();
        let before = ticks.load(Ordering::SeqCst);
        let row = p.get_async(&mut env.conn, id).await.unwrap();
        let (took, ticked) = (started.elapsed(), ticks.load(Ordering::SeqCst) - before);
        assert_eq!(
            (row.slug.as_str(), env.take_queries()),
            ("apple", 1),
            "not a local answer: from the database"
        );
        println!("a read while Redis is stopped took {took:?} (response_timeout 200ms)");
        assert!(
            took >= Duration::from_millis(150),
            "the read went to the stopped Redis ({took:?})"
        );
        assert!(
            ticked >= 10,
            "another task ran {ticked} times in the {took:?} the read waited for Redis"
        );
        assert!(
            env.sync.cache.stats().errors > errors,
            "the timeout is counted as an error"
        );
        // The breaker is open: reads go to the database without waiting
        // for Redis, but for one probe each `retry_after` (100 ms). Were
        // every read to try, 20 would wait 20 timeouts (4 s); counted by
        // the time they take in all against half of that, which a loaded
        // machine does not reach with 20 primary-key queries (a failed
        // fast read also counts as an error, so errors cannot tell).
        let started = Instant::now();
        for _ in 0..20 {
            assert_eq!(p.get_async(&mut env.conn, id).await.unwrap().slug, "apple");
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "20 reads took {took:?}: most of them waited for the stopped Redis"
        );
        assert_eq!(env.take_queries(), 20);
        server.cont();
        ticker.abort();
        // Back: the tier gets ready again and answers locally.
        wait_ready(&env.sync.cache).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            p.get_async(&mut env.conn, id).await.unwrap();
            let before = commands(&server);
            env.take_queries();
            p.get_async(&mut env.conn, id).await.unwrap();
            if (commands(&server) - before, env.take_queries()) == (0, 0) {
                break;
            }
            assert!(Instant::now() < deadline, "never local again");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

/// The `MGET`s and the other key commands (`GET`, `SET`) the cluster node
/// at `address` ran; with `reset`, resets its counts first.
fn node_calls(address: &str, reset: Option<&str>) -> (u64, u64) {
    let mut conn = redis::Client::open(format!("redis://{address}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    if let Some(reset) = reset {
        redis::cmd("CONFIG").arg(reset).exec(&mut conn).unwrap();
    }
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    let calls = |name: &str| {
        let head = format!("cmdstat_{name}:calls=");
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&head))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |n| n.parse::<u64>().unwrap())
    };
    (calls("mget"), calls("get") + calls("set"))
}

/// On a cluster of the test's own: an async hit is one `MGET` on one node.
/// Then, on a current-thread runtime, a master hangs (SIGSTOP): an async
/// hook write, whose bump writes every master's copies, returns within a
/// few response timeouts while another task of the runtime keeps running;
/// the bump is owed, so the next async read is not the stale entry.
#[test]
fn cluster_async_write_returns_while_a_master_hangs() {
    let Some(cluster) = cache_tests::redis_cluster::RedisCluster::for_test() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let test = "async_cluster_hang";
        let Some(db) = db::postgres(test) else {
            return;
        };
        // The miss, the hit and the hits counted per node run on the
        // default deadlines (a 300 ms one, on a loaded machine, once timed
        // the fill out); the write while a master hangs, on 300 ms ones,
        // through a second cache over the same prefix (the same entries).
        let prefix = cache_tests::unique::prefix(test);
        let over = |url: &str| {
            let mut cfg = CacheConfig::from_url(url).unwrap();
            cfg.key_prefix = prefix.clone();
            Cache::new(cfg).unwrap()
        };
        let cache = over(&cluster.url());
        let mut env = async_env::postgres_over(env::Env::new(db, cache))
            .await
            .expect("PostgreSQL");
        let id = seed(&mut env, &[("apple", 1)])[0];
        let warm = ProductCache::new(env.sync.cache.clone());
        let url = format!(
            "{}?response_timeout=300ms&connect_timeout=300ms",
            cluster.url()
        );
        let p = ProductCache::new(over(&url));
        // A miss, then a hit; on a loaded machine a call that outlives
        // its deadline right after the cluster formed opens the breaker,
        // and reads go to the database (as they should) until its window
        // passes: reads, 100 ms apart, until one hits (at most 20 s).
        let mut queries = Vec::new();
        while queries.last() != Some(&0) && queries.len() < 200 {
            if !queries.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(
                warm.get_async(&mut env.conn, id).await.unwrap().slug,
                "apple"
            );
            queries.push(env.take_queries());
        }
        assert!(
            queries[0] == 1 && queries.last() == Some(&0),
            "a miss, then a hit: {queries:?}"
        );
        // A hit is one MGET on one node, as the sync store's.
        let addresses = cluster.addresses();
        for address in &addresses {
            node_calls(address, Some("RESETSTAT"));
        }
        for _ in 0..50 {
            assert_eq!(
                warm.get_async(&mut env.conn, id).await.unwrap().slug,
                "apple"
            );
        }
        let per_node: Vec<(u64, u64)> = addresses.iter().map(|a| node_calls(a, None)).collect();
        assert_eq!(
            (
                env.take_queries(),
                per_node.iter().filter(|(mget, _)| *mget > 0).count()
            ),
            (0, 1),
            "one node served every hit: {per_node:?}"
        );
        assert_eq!(
            per_node.iter().map(|(m, o)| m + o).sum::<u64>(),
            50,
            "one MGET per hit and nothing else: {per_node:?}"
        );

        // `p` learns the slots and connects while every node answers.
        p.get_async(&mut env.conn, id).await.unwrap();
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
        cluster.stop_a_master();
        let started = Instant::now();
        let before = ticks.load(Ordering::SeqCst);
        let written = p
            .update_async(&mut env.conn, id, products::title.eq("while hung"))
            .await;
        let (took, ticked) = (started.elapsed(), ticks.load(Ordering::SeqCst) - before);
        let row = p.get_async(&mut env.conn, id).await.unwrap();
        cluster.cont_all();
        ticker.abort();
        println!("an async write while a master hung took {took:?}: {written:?}");
        assert!(
            took < Duration::from_secs(3),
            "returned after {took:?}, while the master hung"
        );
        assert!(
            ticked >= 10,
            "another task ran {ticked} times in the {took:?} the write waited"
        );
        assert_eq!(row.title, "while hung", "not the stale entry");
    });
}
