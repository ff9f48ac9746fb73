//! What reaches the Redis server: one command per hit, and never KEYS,
//! FLUSHDB or FLUSHALL. Each test that reads the server's command counters
//! starts a server of its own: the shared one serves the suite's other
//! tests (and other programs) meanwhile.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{Namespace, Outcome, Plan, Shape};
use cache_core::{Cache, CacheConfig, Timeout};
use cache_tests::proxy::Proxy;
use cache_tests::unique;
use std::collections::HashMap;

fn command_counts(url: &str) -> HashMap<String, u64> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_connection().unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.split(',').find_map(|f| f.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// Commands run between two readings, leaving out the INFO that read them.
fn delta(before: &HashMap<String, u64>, after: &HashMap<String, u64>) -> HashMap<String, u64> {
    after
        .iter()
        .filter(|(name, _)| name.as_str() != "info")
        .map(|(name, n)| (name.clone(), n - before.get(name).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn a_hit_is_one_command_and_nothing_scans_or_flushes() {
    // Its counters are this test's alone (a test reading the shared
    // server's counted another test's 79 GETs among its 100).
    let Some(server) = cache_tests::redis_server::RedisServer::for_test(&[]) else {
        return;
    };
    let url = server.url();
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = unique::prefix("wire");
    let cache = Cache::new(cfg).unwrap();
    cache
        .set("hot", &vec!["row"; 10], Timeout::Default)
        .unwrap();
    cache.get::<Vec<String>>("hot").unwrap(); // the pool's connection is open now

    let before = command_counts(&url);
    for _ in 0..100 {
        assert_eq!(
            cache.get::<Vec<String>>("hot").unwrap().map(|v| v.len()),
            Some(10)
        );
    }
    let hits = delta(&before, &command_counts(&url));
    assert_eq!(hits, HashMap::from([("get".to_owned(), 100)]), "100 hits");

    let before = command_counts(&url);
    cache
        .get_many::<Vec<String>, _>(["hot", "cold", "hot"])
        .unwrap();
    let many = delta(&before, &command_counts(&url));
    assert_eq!(
        many,
        HashMap::from([("mget".to_owned(), 1)]),
        "get_many is one MGET"
    );

    let before = command_counts(&url);
    cache.set("n", &1, Timeout::Default).unwrap();
    cache.incr("n", 1).unwrap();
    cache
        .set_many([("a", 1), ("b", 2)], Timeout::Default)
        .unwrap();
    cache.delete_many(["a", "b"]).unwrap();
    cache.clear().unwrap();
    let used = delta(&before, &command_counts(&url));
    for forbidden in ["keys", "flushdb", "flushall"] {
        assert!(
            !used.contains_key(forbidden),
            "{forbidden} was sent: {used:?}"
        );
    }
    assert!(
        used.contains_key("scan"),
        "clear scans its namespace: {used:?}"
    );
    assert!(!cache.has_key("hot").unwrap());
}

#[test]
fn no_source_file_names_a_forbidden_command() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut offenders = Vec::new();
    for dir in ["cache-core/src", "cache-diesel/src", "cache-derive/src"] {
        visit(&root.join(dir), &mut offenders);
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

fn visit(dir: &std::path::Path, offenders: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, offenders);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap().to_ascii_uppercase();
            for forbidden in ["\"KEYS\"", "\"FLUSHDB\"", "\"FLUSHALL\""] {
                if text.contains(forbidden) {
                    offenders.push(format!("{} names {forbidden}", path.display()));
                }
            }
        }
    }
}

/// A miss with no contention, on a server of its own (its counters are
/// this test's alone), through a proxy that counts round trips: the read
/// that missed (`MGET` and the hit's guard, a `DEL` of a key nothing
/// writes: see `guard.rs`); one pipeline that creates the absent tag, takes
/// the lease and reads again (`SET NX`, `SET NX PX`, `MGET`); the fill and
/// the lease's release (`SET`, `DEL`), sent without waiting (the build
/// before waited for a tag creation of its own: 5 requests). A read after
/// an invalidation has no tag to create.
#[test]
fn a_miss_is_a_read_a_claim_and_a_fill() {
    let Some(server) = cache_tests::redis_server::RedisServer::for_test(&[]) else {
        return;
    };
    let url = server.url();
    let proxy = Proxy::start(&format!("127.0.0.1:{}", server.port()));
    let mut cfg = CacheConfig::from_url(&format!("redis://127.0.0.1:{}/", proxy.port())).unwrap();
    cfg.key_prefix = unique::prefix("wire_miss");
    let cache = Cache::new(cfg).unwrap();
    let key = cache.engine().keys().build(Namespace::Query, &[], "q");
    let tag = cache.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let plan = Plan::new(&key, &tags);
    let shape = |_: &String| Shape {
        depends_on: 1,
        ttl: None,
    };
    let read = |value: &str| {
        cache
            .engine()
            .read_through(&plan, shape, || Ok::<_, String>(value.to_owned()))
            .unwrap()
    };
    // The fill is sent without waiting for its reply: the connection's
    // next request (this `get`, one `GET`) reads it first.
    let settle = || cache.get::<String>("settle").unwrap();
    settle();

    let (before, trips) = (command_counts(&url), proxy.requests());
    assert_eq!(read("first"), ("first".to_owned(), Outcome::Loaded));
    settle();
    let first = delta(&before, &command_counts(&url));
    // The fill and the GET sent right behind it may arrive as one.
    let requests = proxy.requests() - trips;
    assert!(
        (3..=4).contains(&requests),
        "read, claim, then the fill and the settling GET: {requests} requests"
    );
    let expected = |set| {
        HashMap::from([
            ("mget".to_owned(), 2),
            ("set".to_owned(), set),
            ("del".to_owned(), 2),
            ("get".to_owned(), 1),
        ])
    };
    assert_eq!(first, expected(3), "a first read");
    let (before, trips) = (command_counts(&url), proxy.requests());
    assert_eq!(read("again"), ("first".to_owned(), Outcome::Hit));
    assert_eq!(proxy.requests() - trips, 1, "a hit is one round trip");
    assert_eq!(
        delta(&before, &command_counts(&url)),
        HashMap::from([("mget".to_owned(), 1), ("del".to_owned(), 1)]),
        "a hit: the MGET of the entry and its tag, and its guard"
    );

    cache
        .engine()
        .bump_tags(std::slice::from_ref(&tag), None)
        .unwrap();
    let (before, trips) = (command_counts(&url), proxy.requests());
    assert_eq!(read("second"), ("second".to_owned(), Outcome::Loaded));
    settle();
    let requests = proxy.requests() - trips;
    assert!((3..=4).contains(&requests), "{requests} requests");
    assert_eq!(
        delta(&before, &command_counts(&url)),
        expected(2),
        "a read after an invalidation"
    );
    assert_eq!(read("third"), ("second".to_owned(), Outcome::Hit));
}
