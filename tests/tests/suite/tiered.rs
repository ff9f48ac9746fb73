//! The tiered store (`redis://...?local=<size>`), on a Redis of the test's
//! own so that its commands can be counted and its connections killed:
//! warm reads make no Redis command; a write by another process (another
//! `Cache`, with its own tier and tracking connection) is seen within the
//! freshness window, and by the writer at once; a killed tracking
//! connection or a stopped server means reads go past the local tier, never
//! a stale local answer, and the tier comes back by itself.

use cache_core::__engine::WithEngine;
use cache_diesel::{Cache, CacheConfig};
use cache_tests::db::{self, TestDb};
use cache_tests::models::{NewProduct, ProductCache, ProductFilter, products};
use cache_tests::redis_server::RedisServer;
use cache_tests::unique;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// Longer than the freshness window (10 ms): a read begun this long after a
/// write returned must see it.
const PAST_WINDOW: Duration = Duration::from_millis(30);

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
fn wait_ready(cache: &Cache) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.local_tier_ready() != Some(true) {
        assert!(Instant::now() < deadline, "the local tier never got ready");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The commands the server ran during `reads`, run again (at most ten
/// times) until a run makes none. A read answers locally only while the
/// tracking connection's last ping came back within the freshness window
/// (10 ms): a scheduling gap that long on a loaded machine sends a read to
/// Redis, as it should; one run of the ten without a command shows that
/// warm reads are local.
fn until_no_command(server: &RedisServer, mut reads: impl FnMut()) -> Vec<u64> {
    let mut counted = Vec::new();
    while counted.last() != Some(&0) && counted.len() < 10 {
        let before = commands(server);
        reads();
        counted.push(commands(server) - before);
    }
    counted
}

/// Commands the server ran, other than the tracking connections' own
/// (`PING`, `HELLO`, `CLIENT`) and the test's `INFO`.
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
        // The tracking connection's own: its PING, and the guard (a `DEL`
        // of a key nothing writes) sent before each PING.
        .filter(|line| {
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

fn kill_tracking(server: &RedisServer) -> usize {
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut conn).unwrap();
    let name = format!("name={}", cache_core::backend::TRACKING_CONNECTION_NAME);
    let ids: Vec<String> = list
        .lines()
        .filter(|line| line.split(' ').any(|field| field == name))
        .filter_map(|line| {
            line.strip_prefix("id=")?
                .split(' ')
                .next()
                .map(str::to_owned)
        })
        .collect();
    for id in &ids {
        let _: () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query(&mut conn)
            .unwrap();
    }
    ids.len()
}

struct Setup {
    server: RedisServer,
    db: TestDb<SqliteConnection>,
    /// This process's manager.
    a: ProductCache,
    /// Another process's (its own tier and tracking connection).
    b: ProductCache,
    id: i32,
}

fn setup(test: &str) -> Option<Setup> {
    let server = RedisServer::for_test(&[])?;
    let prefix = unique::prefix(test);
    let (ca, cb) = (tiered(&server, &prefix), tiered(&server, &prefix));
    let mut db = db::sqlite();
    let a = ProductCache::new(ca.clone());
    let b = ProductCache::new(cb.clone());
    let row = a.insert(&mut db.conn, NewProduct::new("apple", 1)).unwrap();
    wait_ready(&ca);
    wait_ready(&cb);
    Some(Setup {
        server,
        db,
        a,
        b,
        id: row.id,
    })
}

fn title(m: &ProductCache, db: &mut TestDb<SqliteConnection>, id: i32) -> String {
    m.get(&mut db.conn, id).unwrap().title
}

#[test]
fn warm_reads_make_no_redis_command() {
    let Some(mut s) = setup("tiered_warm") else {
        return;
    };
    // A miss fills; the next read learns the tags; then all is local.
    for _ in 0..2 {
        title(&s.a, &mut s.db, s.id);
        s.a.all(&mut s.db.conn, None, ProductFilter::default())
            .unwrap();
    }
    s.db.take_queries();
    let counted = until_no_command(&s.server, || {
        for _ in 0..100 {
            assert_eq!(title(&s.a, &mut s.db, s.id), "Title of apple");
            let all =
                s.a.all(&mut s.db.conn, None, ProductFilter::default())
                    .unwrap();
            assert_eq!(all.len(), 1);
        }
    });
    assert_eq!(counted.last(), Some(&0), "200 warm reads, no command");
    assert_eq!(s.db.take_queries(), 0, "and no query");
}

#[test]
fn another_processs_write_is_seen_within_the_window_and_the_writers_at_once() {
    let Some(mut s) = setup("tiered_write") else {
        return;
    };
    for _ in 0..3 {
        title(&s.a, &mut s.db, s.id);
        title(&s.b, &mut s.db, s.id);
        s.a.all(&mut s.db.conn, None, ProductFilter::default())
            .unwrap();
    }
    for round in 0..20 {
        let new = format!("title {round}");
        s.b.update(&mut s.db.conn, s.id, products::title.eq(&new))
            .unwrap();
        assert_eq!(
            title(&s.b, &mut s.db, s.id),
            new,
            "the writer reads its write"
        );
        std::thread::sleep(PAST_WINDOW);
        assert_eq!(title(&s.a, &mut s.db, s.id), new, "round {round}");
        // A list too, after an insert by the other process.
        s.b.insert(&mut s.db.conn, NewProduct::new(&format!("p{round}"), 2))
            .unwrap();
        std::thread::sleep(PAST_WINDOW);
        let all =
            s.a.all(&mut s.db.conn, None, ProductFilter::default())
                .unwrap();
        assert_eq!(all.len(), round + 2, "round {round}");
    }
}

#[test]
fn a_killed_tracking_connection_is_never_a_stale_read_and_comes_back() {
    let Some(mut s) = setup("tiered_kill") else {
        return;
    };
    for _ in 0..3 {
        title(&s.a, &mut s.db, s.id);
    }
    let a_cache = s.a.cache().clone();
    for round in 0..5 {
        assert!(kill_tracking(&s.server) >= 2, "both tracking connections");
        let new = format!("after kill {round}");
        s.b.update(&mut s.db.conn, s.id, products::title.eq(&new))
            .unwrap();
        std::thread::sleep(PAST_WINDOW);
        assert_eq!(title(&s.a, &mut s.db, s.id), new, "round {round}");
        wait_ready(&a_cache);
        wait_ready(s.b.cache());
    }
    // Back to local reads.
    title(&s.a, &mut s.db, s.id);
    title(&s.a, &mut s.db, s.id);
    let counted = until_no_command(&s.server, || {
        for _ in 0..20 {
            title(&s.a, &mut s.db, s.id);
        }
    });
    assert_eq!(
        counted.last(),
        Some(&0),
        "local again after reconnecting: {counted:?}"
    );
}

#[test]
fn a_stopped_server_closes_the_local_tier_and_reads_still_answer() {
    let Some(mut s) = setup("tiered_stop") else {
        return;
    };
    for _ in 0..3 {
        title(&s.a, &mut s.db, s.id);
    }
    s.server.stop();
    std::thread::sleep(PAST_WINDOW);
    assert_eq!(
        s.a.cache().local_tier_ready(),
        Some(false),
        "no proof of coherence within the window"
    );
    // Past the local tier, Redis times out, the database answers.
    assert_eq!(title(&s.a, &mut s.db, s.id), "Title of apple");
    s.server.cont();
    wait_ready(s.a.cache());
    assert_eq!(title(&s.a, &mut s.db, s.id), "Title of apple");
}

#[test]
fn the_local_tier_is_refused_where_it_cannot_be_coherent() {
    for url in [
        "memory://?local=1m",
        "dummy://?local=1m",
        "rediss://127.0.0.1:6379/?local=1m",
        "redis://127.0.0.1:6379/?local=0",
        "redis://127.0.0.1:6379/?local=lots",
        "redis://127.0.0.1:6379/?local=1m&local_window=0",
        "redis://127.0.0.1:6379/?local_window=5ms",
        "redis://127.0.0.1:6379/?local=1m&local_window=1h",
        "redis://127.0.0.1:6379/?local=1m&local=2m",
    ] {
        let e = CacheConfig::from_url(url).expect_err(url);
        assert!(e.to_string().contains("local"), "{url}: {e}");
    }
    let cfg = CacheConfig::from_url("redis://127.0.0.1:6379/?local=64m&local_window=5ms").unwrap();
    assert_eq!(cfg.local_tier, Some(64 << 20));
    assert_eq!(cfg.local_window, Duration::from_millis(5));
}

/// Past the soft timeout, one process in the fleet refreshes: another whose
/// local copy is due too finds the refreshed entry in Redis instead of
/// refreshing again.
#[test]
fn a_soft_timed_out_entry_is_refreshed_once_across_processes() {
    use cache_core::__engine::{Plan, Shape};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let prefix = unique::prefix("tiered_soft");
    let (a, b) = (tiered(&server, &prefix), tiered(&server, &prefix));
    wait_ready(&a);
    wait_ready(&b);
    let tags = [a
        .engine()
        .keys()
        .build(cache_core::__engine::Namespace::Tag, &[], "t")];
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let key = a
        .engine()
        .keys()
        .build(cache_core::__engine::Namespace::Query, &[], "soft");
    const SOFT: Duration = Duration::from_millis(1000);
    let plan = Plan {
        key: &key,
        tags: &tags,
        tag_ttl: None,
        own_tag: None,
        fill: true,
        // Long enough for the local reads below to come before it on a
        // loaded machine; waited out after them.
        soft_timeout: Some(SOFT),
        stats: None,
        background: None,
        source: ("", ""),
    };
    let shape = |_: &String| Shape {
        depends_on: 1,
        ttl: Some(Duration::from_secs(60)),
    };
    let loads = AtomicUsize::new(0);
    let read = |cache: &Cache| {
        cache
            .engine()
            .read_through(&plan, shape, || {
                let n = loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::convert::Infallible>(format!("v{n}"))
            })
            .unwrap()
            .0
    };
    assert_eq!(read(&a), "v0");
    for _ in 0..3 {
        assert_eq!(
            (read(&a), read(&b)),
            ("v0".into(), "v0".into()),
            "local copies"
        );
    }
    std::thread::sleep(SOFT + Duration::from_millis(50)); // past the soft timeout
    assert_eq!(read(&a), "v1", "one process refreshes");
    assert_eq!(read(&b), "v1", "the other finds its refresh");
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "one refresh, not one per process"
    );
    let _ = a.clear();
}
