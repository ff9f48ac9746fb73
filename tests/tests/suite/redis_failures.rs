//! An unreachable or silent Redis gives a typed error within the configured
//! timeouts, never a hang; calls fail fast while it is down (a circuit
//! breaker: open after a connection failure or a timeout, one probe at a
//! time after `retry_after`), and the cache recovers when it returns. A
//! connection refused at once fails at once; a reply is bounded by the
//! response timeout as a whole.

use cache_core::__engine::WithEngine;
use cache_core::{Cache, CacheConfig, Error, Timeout};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::RedisServer;
use cache_tests::{services, unique};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How long a call may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(10);

fn cache_at(port: u16, options: &str) -> Cache {
    let url = format!(
        "redis://127.0.0.1:{port}/0?connect_timeout=200ms&response_timeout=200ms&{options}"
    );
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = unique::prefix("fail");
    Cache::new(cfg).unwrap()
}

/// Runs `f` on another thread; panics if it does not finish within `HANG`.
fn without_hanging<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).expect("the cache call hung")
}

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn closed_port_is_a_typed_error_and_then_fails_fast() {
    let cache = cache_at(closed_port(), "retry_after=30s");
    let c = cache.clone();
    let first = without_hanging(move || c.get::<i32>("k"));
    assert!(matches!(first, Err(Error::Unavailable { .. })), "{first:?}");
    let started = Instant::now();
    let second = cache.set("k", &1, Timeout::Default);
    assert!(
        matches!(&second, Err(Error::Unavailable { reason }) if reason.contains("moments ago")),
        "{second:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert_eq!(cache.stats().errors, 2);
}

/// A hook write whose invalidation cannot be delivered (its announcement
/// and its bumps refused) counts as an error at once: a process that
/// cannot invalidate shows it in its stats before any read.
#[test]
fn a_write_whose_invalidation_fails_counts_as_an_error() {
    use cache_tests::models::{NewProduct, ProductCache, products};
    use diesel::prelude::*;
    let cache = cache_at(closed_port(), "retry_after=30s");
    let manager = ProductCache::new(cache.clone());
    let mut db = cache_tests::db::sqlite();
    let row = without_hanging(move || {
        let row = manager.insert(&mut db.conn, NewProduct::new("w", 1));
        let row = row.expect("the write succeeds");
        manager
            .update(&mut db.conn, row.id, products::title.eq("new"))
            .expect("the write succeeds")
    });
    assert_eq!(row.map(|r| r.title).as_deref(), Some("new"));
    let errors = cache.stats().errors;
    assert!(errors >= 2, "two writes, none invalidated: {errors}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // accept, read nothing, answer nothing
        }
    });
    let cache = cache_at(port, "");
    let result = without_hanging(move || cache.get::<i32>("k"));
    let err = result.expect_err("a silent server cannot produce a value");
    assert!(err.is_backend_failure(), "{err:?}");
}

#[test]
fn recovers_when_the_server_returns() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let port = closed_port();
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let cache = cache_at(port, "retry_after=50ms");
    metrics::with_local_recorder(&recorder, || {
        assert!(cache.get::<i32>("k").is_err(), "nothing listens yet");
    });
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let _proxy = Proxy::on(listener, &services::redis_address(&url), None);
    thread::sleep(Duration::from_millis(80)); // past retry_after
    metrics::with_local_recorder(&recorder, || {
        cache
            .set("k", &5, Timeout::Default)
            .expect("the server is back");
    });
    assert_eq!(cache.get::<i32>("k").unwrap(), Some(5));
    cache.clear().unwrap();
    // The breaker's state and its two transitions, in the metrics.
    let recorded = snapshotter.snapshot().into_vec();
    let value = |name: &str, to: Option<&str>| {
        let found = recorded.iter().find(|(key, ..)| {
            let key = key.key();
            key.name() == name
                && to.is_none_or(|to| key.labels().any(|l| l.key() == "to" && l.value() == to))
        });
        found.map(|(.., value)| format!("{value:?}"))
    };
    assert_eq!(
        value("cache_breaker_open", None).as_deref(),
        Some("Gauge(0.0)")
    );
    for to in ["open", "closed"] {
        let transitions = value("cache_breaker_transitions_total", Some(to));
        assert_eq!(transitions.as_deref(), Some("Counter(1)"), "{to}");
    }
}

/// Runs `f` without hanging; returns its result and how long it took.
fn timed<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    without_hanging(move || {
        let started = Instant::now();
        let result = f();
        (result, started.elapsed())
    })
}

/// A bound on a call that must not wait for any timeout: generous, it
/// guards against waiting out a timeout (or hanging), not for speed.
const AT_ONCE: Duration = Duration::from_millis(100);

/// [`AT_ONCE`] where the timeout to tell apart is the default connect
/// timeout (1 s): room for a loaded machine's new connection and resolver.
const BEFORE_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// A cache at `url` with the default timeouts (1 s connect, 500 ms
/// response) and `retry_after=30s`.
fn cache_with_defaults(url: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(&format!("{url}?retry_after=30s")).unwrap();
    cfg.key_prefix = unique::prefix("fail");
    Cache::new(cfg).unwrap()
}

/// The first call to a cache whose connections cannot be made fails at
/// once with `Unavailable` (not after the 1 s connect timeout), and opens
/// the breaker: the next call fails fast without trying.
fn fails_at_once_and_opens_the_breaker(url: &str) {
    let cache = cache_with_defaults(url);
    let c = cache.clone();
    let (first, took) = timed(move || c.get::<i32>("k"));
    assert!(matches!(first, Err(Error::Unavailable { .. })), "{first:?}");
    assert!(
        took < BEFORE_CONNECT_TIMEOUT,
        "{url}: the first call took {took:?}"
    );
    let c = cache.clone();
    let (second, took) = timed(move || c.set("k", &1, Timeout::Default));
    assert!(
        matches!(&second, Err(Error::Unavailable { reason }) if reason.contains("moments ago")),
        "{second:?}"
    );
    assert!(
        took < BEFORE_CONNECT_TIMEOUT,
        "{url}: the second call took {took:?}"
    );
}

#[test]
fn a_refused_connection_fails_at_once_and_opens_the_breaker() {
    fails_at_once_and_opens_the_breaker(&format!("redis://127.0.0.1:{}/0", closed_port()));
}

#[test]
fn a_wrong_password_fails_at_once_and_opens_the_breaker() {
    let Some(server) = RedisServer::for_test(&["--requirepass", "right"]) else {
        return;
    };
    let port = server.port();
    fails_at_once_and_opens_the_breaker(&format!("redis://user:wrong@127.0.0.1:{port}/0"));
    fails_at_once_and_opens_the_breaker(&format!("redis://:wrong@127.0.0.1:{port}/0"));
    // The right password works (the failures above were the password's).
    let cache = cache_with_defaults(&format!("redis://:right@127.0.0.1:{port}/0"));
    cache.set("k", &1, Timeout::Default).unwrap();
    assert_eq!(cache.get::<i32>("k").unwrap(), Some(1));
}

#[test]
fn a_database_number_out_of_range_fails_at_once() {
    let Some(server) = RedisServer::for_test(&["--databases", "4"]) else {
        return;
    };
    fails_at_once_and_opens_the_breaker(&format!("redis://127.0.0.1:{}/9", server.port()));
}

#[test]
fn an_unknown_host_fails_at_once() {
    // `.invalid` never resolves (RFC 2606); how long the resolver takes
    // to say so is the system's, here a few milliseconds.
    fails_at_once_and_opens_the_breaker("redis://no-such-host.invalid:6379/0");
}

#[test]
fn a_stopped_server_opens_the_breaker_one_probe_at_a_time_until_it_answers() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    // A window of 1.5 s: the ten timed calls below must all fall in it on
    // a loaded machine.
    let retry_after = Duration::from_millis(1500);
    let cache = cache_at(server.port(), "retry_after=1500ms");
    cache.set("k", &7, Timeout::Default).unwrap();
    assert_eq!(cache.get::<i32>("k").unwrap(), Some(7));

    server.stop();
    // The first call waits out the response timeout: that is how a hung
    // server is found out.
    let c = cache.clone();
    let (first, _) = timed(move || c.get::<i32>("k"));
    assert!(matches!(first, Err(Error::Timeout { .. })), "{first:?}");
    // Within `retry_after`, calls fail at once without asking the server.
    let opened = Instant::now();
    for _ in 0..10 {
        let c = cache.clone();
        let (next, took) = timed(move || c.get::<i32>("k"));
        assert!(
            matches!(&next, Err(Error::Unavailable { reason }) if reason.contains("moments ago")),
            "{next:?}"
        );
        assert!(
            took < AT_ONCE,
            "a call while the breaker is open took {took:?}"
        );
    }
    assert!(opened.elapsed() < retry_after, "the window was still open");

    // After the window, one caller probes (and waits out the timeout); the
    // others keep failing fast meanwhile.
    thread::sleep(retry_after + Duration::from_millis(100));
    let start = Arc::new(Barrier::new(4));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (c, start) = (cache.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                c.get::<i32>("k")
            })
        })
        .collect();
    let outcomes: Vec<_> = callers.into_iter().map(|t| t.join().unwrap()).collect();
    let probes = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Timeout { .. })))
        .count();
    let fast = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Unavailable { .. })))
        .count();
    assert_eq!((probes, fast), (1, 3), "{outcomes:?}");

    // Resumed: once the window the failed probe reopened has passed, the
    // next call's probe succeeds and closes the breaker.
    server.cont();
    thread::sleep(retry_after + Duration::from_millis(100));
    let c = cache.clone();
    let (back, _) = timed(move || c.get::<i32>("k"));
    assert_eq!(back.unwrap(), Some(7));
    for i in 0..10 {
        cache.set("k", &i, Timeout::Default).unwrap();
        assert_eq!(cache.get::<i32>("k").unwrap(), Some(i));
    }
}

#[test]
fn a_server_error_leaves_the_breaker_closed() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let cache = cache_at(server.port(), "retry_after=30s");
    cache.set("k", &1, Timeout::Default).unwrap();
    // The server holds only this test's key: make it a list.
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN").arg(0).query(&mut admin).unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    redis::pipe()
        .del(&keys[0])
        .rpush(&keys[0], "x")
        .query::<()>(&mut admin)
        .unwrap();

    for _ in 0..3 {
        let err = cache.get::<i32>("k").unwrap_err();
        assert!(
            matches!(&err, Error::Backend { reason } if reason.contains("WRONGTYPE")),
            "{err:?}"
        );
        cache.set("other", &2, Timeout::Default).unwrap();
        assert_eq!(cache.get::<i32>("other").unwrap(), Some(2));
    }
}

#[test]
fn a_reply_that_never_ends_is_cut_off_by_the_response_timeout() {
    // A server that answers every request with a bulk string of a million
    // bytes, one byte every 50 ms: each read gets a byte well within the
    // 300 ms timeout, the reply as a whole would take 14 hours.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || dribble_forever(stream));
        }
    });
    let url = format!("redis://127.0.0.1:{port}/0?response_timeout=300ms");
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = unique::prefix("dribble");
    let cache = Cache::new(cfg).unwrap();
    let (result, took) = timed(move || cache.get::<String>("k"));
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

fn dribble_forever(mut stream: TcpStream) {
    let mut request = [0u8; 4096];
    if matches!(stream.read(&mut request), Ok(0) | Err(_)) {
        return;
    }
    let reply = b"$1000000\r\n".iter().chain(std::iter::repeat(&b'x'));
    for byte in reply {
        if stream.write_all(&[*byte]).is_err() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_killed_server_restarted_empty_is_used_again_after_one_window() {
    let Some(mut server) = RedisServer::for_test(&[]) else {
        return;
    };
    let retry_after = Duration::from_millis(300);
    // Deadlines of 2 s: the 800 reads below must not time out on a loaded
    // machine (the server is killed, not hung: its calls fail at once).
    let cache = own_server_cache(
        server.port(),
        "fail",
        "retry_after=300ms&pool_size=4&connect_timeout=2s&response_timeout=2s",
    );
    cache.set("k", &1, Timeout::Default).unwrap();
    // Four connections in the pool.
    let start = Arc::new(Barrier::new(4));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (c, start) = (cache.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for _ in 0..200 {
                    c.get::<i32>("k").unwrap();
                }
            })
        })
        .collect();
    callers.into_iter().for_each(|t| t.join().unwrap());

    server.kill();
    let c = cache.clone();
    let (down, took) = timed(move || c.get::<i32>("k"));
    assert!(matches!(down, Err(Error::Unavailable { .. })), "{down:?}");
    assert!(took < AT_ONCE, "took {took:?}");

    server.restart();
    thread::sleep(retry_after + Duration::from_millis(100));
    // One probe, on a new connection: the pooled ones all died with the
    // old server and were closed when the breaker opened.
    assert_eq!(
        cache.get::<i32>("k").unwrap(),
        None,
        "the new server is empty"
    );
    cache.set("k", &2, Timeout::Default).unwrap();
    assert_eq!(cache.get::<i32>("k").unwrap(), Some(2));
}

/// `CONFIG SET name value` on `server`.
fn config_set(server: &RedisServer, name: &str, value: &str) {
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query::<()>(&mut admin)
        .unwrap();
}

/// A cache on the test's own server at `port`, with the default timeouts
/// and breaker (`retry_after` 1 s, 3 s of grace after it) and `options`.
fn own_server_cache(port: u16, name: &str, options: &str) -> Cache {
    let url = format!("redis://127.0.0.1:{port}/0?{options}");
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = unique::prefix(name);
    Cache::new(cfg).unwrap()
}

/// Read-through keys of one tag, each loaded as its own name (counting
/// the loads: the database reads).
struct Reads {
    cache: Cache,
    keys: Vec<String>,
    tag: String,
    loads: std::sync::atomic::AtomicU64,
    hits: std::sync::atomic::AtomicU64,
}

impl Reads {
    fn new(cache: Cache, n: usize) -> Reads {
        use cache_core::__engine::Namespace;
        let keys = (0..n)
            .map(|i| {
                cache
                    .engine()
                    .keys()
                    .build(Namespace::Query, &[], &format!("q{i}"))
            })
            .collect();
        let tag = cache.engine().keys().build(Namespace::Tag, &[], "t");
        Reads {
            cache,
            keys,
            tag,
            loads: Default::default(),
            hits: Default::default(),
        }
    }

    fn plan<'a>(&'a self, key: &'a str, tags: &'a [&'a str]) -> cache_core::__engine::Plan<'a> {
        cache_core::__engine::Plan::new(key, tags)
    }

    fn shape(_: &String) -> cache_core::__engine::Shape {
        cache_core::__engine::Shape {
            depends_on: 1,
            ttl: Some(Duration::from_secs(600)),
        }
    }

    fn counted(&self, outcome: cache_core::__engine::Outcome) {
        if outcome == cache_core::__engine::Outcome::Hit {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Reads `key` (sync API); its value is always its key.
    fn read(&self, key: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let tags = [self.tag.as_str()];
        let (value, outcome) = self
            .cache
            .engine()
            .read_through(&self.plan(key, &tags), Reads::shape, || {
                self.loads.fetch_add(1, Relaxed);
                Ok::<_, String>(key.to_owned())
            })
            .unwrap();
        assert_eq!(value, key);
        self.counted(outcome);
    }

    /// Reads `key` (async API).
    async fn read_async(&self, key: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let tags = [self.tag.as_str()];
        let (value, outcome) = self
            .cache
            .engine()
            .read_through_async(&self.plan(key, &tags), Reads::shape, || async {
                self.loads.fetch_add(1, Relaxed);
                Ok::<_, String>(key.to_owned())
            })
            .await
            .unwrap();
        assert_eq!(value, key);
        self.counted(outcome);
    }

    /// (hits, loads) so far, and zeroes them.
    fn take(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.swap(0, Relaxed), self.loads.swap(0, Relaxed))
    }
}

/// Reads every key `rounds` times on each of `threads` threads.
fn burst(reads: &Reads, threads: usize, rounds: usize) {
    let start = Barrier::new(threads);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for _ in 0..rounds {
                    for key in &reads.keys {
                        reads.read(key);
                    }
                }
            });
        }
    });
}

/// Redis's `timeout` (common in production) closes connections idle that
/// long. A pooled connection it closed is replaced without a word: the
/// first burst after an idle spell is all hits, no error, no breaker (it
/// opened on the connection's end-of-file, and then 1 s of fail-fast and
/// 3 s of grace sent every read to the database).
#[test]
fn connections_the_server_closed_while_idle_are_replaced_quietly() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    config_set(&server, "timeout", "1");
    let reads = Reads::new(own_server_cache(server.port(), "idle", "pool_size=4"), 50);
    // Warm, on four connections.
    burst(&reads, 4, 2);
    let (_, loads) = reads.take();
    assert_eq!(loads, 50, "each key loaded once");

    for spell in 0..2 {
        thread::sleep(Duration::from_millis(2500)); // past the server's timeout
        let before = reads.cache.stats();
        burst(&reads, 4, 5);
        let (hits, loads) = reads.take();
        let after = reads.cache.stats();
        println!("after idle spell {spell}: {hits} hits, {loads} database reads");
        assert_eq!((hits, loads), (1000, 0), "spell {spell}: all hits");
        assert_eq!(after.errors - before.errors, 0, "no error");
        assert_eq!(after.uncached - before.uncached, 0, "no read uncached");
    }
}

/// [`connections_the_server_closed_while_idle_are_replaced_quietly`] for
/// the async API (its hits over connections of its own, everything else
/// over redis-rs's multiplexed connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_connections_the_server_closed_while_idle_are_replaced_quietly() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    config_set(&server, "timeout", "1");
    let reads = Arc::new(Reads::new(
        own_server_cache(server.port(), "idle_async", "pool_size=4"),
        50,
    ));
    let burst = |rounds: usize| {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let reads = reads.clone();
                tokio::spawn(async move {
                    for _ in 0..rounds {
                        for key in &reads.keys {
                            reads.read_async(key).await;
                        }
                    }
                })
            })
            .collect();
        async move {
            for task in tasks {
                task.await.unwrap();
            }
        }
    };
    burst(2).await;
    let (_, loads) = reads.take();
    assert_eq!(loads, 50, "each key loaded once");

    for spell in 0..2 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let before = reads.cache.stats();
        burst(5).await;
        let (hits, loads) = reads.take();
        let after = reads.cache.stats();
        println!("async, after idle spell {spell}: {hits} hits, {loads} database reads");
        assert_eq!((hits, loads), (1000, 0), "spell {spell}: all hits");
        assert_eq!(after.errors - before.errors, 0, "no error");
        assert_eq!(after.uncached - before.uncached, 0, "no read uncached");
        // A write over the multiplexed connection, idle as long.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let before = reads.cache.stats();
        reads
            .cache
            .engine()
            .bump_tag_groups_async(&[(std::slice::from_ref(&reads.tag), None)], None)
            .await
            .expect("a bump after an idle spell");
        burst(1).await;
        let (_, loads) = reads.take();
        assert_eq!(loads, 50, "spell {spell}: the bump invalidated every key");
        let after = reads.cache.stats();
        assert_eq!(after.errors - before.errors, 0, "no error");
    }
}

/// An entry larger than the server's `client-output-buffer-limit normal`
/// kills its connection on every read (the server closes it instead of
/// answering). That is not the server failing: the entry is deleted and
/// counted (`undecodable`), and hits on other keys go on.
#[test]
fn an_entry_the_server_cannot_send_is_dropped_not_the_cache() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    config_set(&server, "client-output-buffer-limit", "normal 1mb 1mb 0");
    let reads = Reads::new(
        own_server_cache(server.port(), "oversized", "pool_size=4"),
        20,
    );
    burst(&reads, 2, 1);
    reads.take();
    // 4 MB under a key the cache reads, written by someone else.
    let bad = reads.keys[0].clone();
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SET")
        .arg(&bad)
        .arg(vec![b'x'; 4 << 20])
        .query::<()>(&mut admin)
        .unwrap();

    let before = reads.cache.stats();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut rounds = 0;
    while Instant::now() < deadline {
        for key in &reads.keys {
            reads.read(key);
        }
        rounds += 1;
    }
    let (hits, loads) = reads.take();
    let after = reads.cache.stats();
    println!("oversized entry: {rounds} rounds of 20 keys, {hits} hits, {loads} database reads");
    // The bad key is loaded once (its entry dropped, then filled with a
    // value of its own); every other read is a hit.
    assert_eq!(loads, 1, "{hits} hits, {loads} loads");
    assert_eq!(hits, 20 * rounds - 1);
    assert_eq!(after.undecodable - before.undecodable, 1, "counted");
    assert_eq!(after.errors - before.errors, 0);
    let len: u64 = redis::cmd("STRLEN").arg(&bad).query(&mut admin).unwrap();
    assert!(len < 1 << 20, "the 4 MB entry is gone: {len} bytes");
}

/// [`an_entry_the_server_cannot_send_is_dropped_not_the_cache`] for the
/// async API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_an_entry_the_server_cannot_send_is_dropped_not_the_cache() {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    config_set(&server, "client-output-buffer-limit", "normal 1mb 1mb 0");
    let reads = Reads::new(
        own_server_cache(server.port(), "oversized_async", "pool_size=4"),
        20,
    );
    for key in &reads.keys {
        reads.read_async(key).await;
    }
    reads.take();
    let bad = reads.keys[0].clone();
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SET")
        .arg(&bad)
        .arg(vec![b'x'; 4 << 20])
        .query::<()>(&mut admin)
        .unwrap();

    let before = reads.cache.stats();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut rounds = 0;
    while Instant::now() < deadline {
        for key in &reads.keys {
            reads.read_async(key).await;
        }
        rounds += 1;
    }
    let (hits, loads) = reads.take();
    let after = reads.cache.stats();
    println!(
        "async, oversized entry: {rounds} rounds of 20 keys, {hits} hits, {loads} database reads"
    );
    assert_eq!(loads, 1, "{hits} hits, {loads} loads");
    assert_eq!(hits, 20 * rounds - 1);
    assert_eq!(after.undecodable - before.undecodable, 1, "counted");
    assert_eq!(after.errors - before.errors, 0);
    let len: u64 = redis::cmd("STRLEN").arg(&bad).query(&mut admin).unwrap();
    assert!(len < 1 << 20, "the 4 MB entry is gone: {len} bytes");
}

/// A bump sent on a pooled connection that is closed before its answer
/// (`CLIENT KILL`, a proxy, a server's idle `timeout`) while the server
/// answers a new one is delivered anyway (its tags deleted on the new
/// connection), not owed: an owed bump leaves another process validating
/// the old entry until it lands.
#[test]
fn a_bump_whose_connection_is_closed_is_delivered_anyway() {
    bump_through_closed_connections(Closed::Bump);
}

/// The same when the connection its deletions then take is closed too
/// (`CLIENT KILL` closes every connection at once, the idle ones in the
/// pool included): the deletions are sent again on a new connection. They
/// used to be owed (the `faults` program's `client-kill` served a stale
/// read within the 4 ms before the writer delivered them).
#[test]
fn a_bump_whose_deletions_connection_is_closed_too_is_delivered_anyway() {
    bump_through_closed_connections(Closed::Deletions);
}

/// A bump whose connection is closed, and then the connection of the
/// `PING` that asks whether the server is in trouble (`CLIENT KILL`, every
/// 100 ms, killed both once in the `faults` program): the server is asked
/// again on one more connection and the bump is delivered (as deletions).
/// The first check's loss opened the breaker, so the bump was owed for
/// `retry_after` while the reader went on hitting the old entry (7,558
/// stale reads of 7,588 in one second of `client-kill`).
#[test]
fn a_bump_whose_check_connection_is_closed_too_is_delivered_anyway() {
    bump_through_closed_connections(Closed::Check);
}

fn bump_through_closed_connections(closed: Closed) {
    use cache_core::__engine::{FillOptions, Lookup, Namespace};
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(url) = services::redis_url() else {
        return;
    };
    let address = services::redis_address(&url);
    let (set_armed, then_armed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (set_armed_, then_armed_) = (set_armed.clone(), then_armed.clone());
    // Closes the connection a tag's `SET` comes on, then the one of a tag's
    // `DEL` or of the check's `PING`, once each when armed.
    let proxy = Proxy::intercepting(&address, move |bytes| {
        let text = String::from_utf8_lossy(bytes);
        let tag = text.contains(":t:");
        let then = match closed {
            Closed::Bump => false,
            Closed::Deletions => tag && text.contains("DEL\r\n"),
            Closed::Check => text.contains("$4\r\nPING\r\n"),
        };
        (tag && text.contains("SET\r\n") && set_armed_.swap(false, Ordering::SeqCst))
            || (then && then_armed_.swap(false, Ordering::SeqCst))
    });
    let prefix = unique::prefix("closedbump");
    let cache = |url: &str| {
        let mut cfg = CacheConfig::from_url(url).unwrap();
        cfg.key_prefix = prefix.clone();
        Cache::new(cfg).unwrap()
    };
    let writer = cache(&url.replace(&address, &format!("127.0.0.1:{}", proxy.port())));
    let reader = cache(&url);
    let tag = writer.engine().keys().build(Namespace::Tag, &[], "row");
    writer
        .engine()
        .bump_tags(std::slice::from_ref(&tag), None)
        .unwrap(); // a pooled connection
    let entry = reader.engine().keys().build(Namespace::Detail, &[], "e");
    let read = || {
        reader
            .engine()
            .read_tagged::<String>(&entry, &[&tag], None)
            .unwrap()
    };
    let Lookup::Miss(stamp) = read() else {
        panic!("a new entry");
    };
    let fill = FillOptions {
        depends_on: 1,
        ttl: None,
        soft: None,
    };
    reader
        .engine()
        .fill_tagged(&entry, &stamp, fill, "old")
        .unwrap();
    assert!(matches!(read(), Lookup::Hit { .. }));

    set_armed.store(true, Ordering::SeqCst);
    then_armed.store(!matches!(closed, Closed::Bump), Ordering::SeqCst);
    let bumped = writer.engine().bump_tags(std::slice::from_ref(&tag), None);
    assert!(
        !set_armed.load(Ordering::SeqCst),
        "the proxy closed the bump's connection"
    );
    assert!(!then_armed.load(Ordering::SeqCst), "and the {closed:?} one");
    assert!(bumped.is_ok(), "delivered on a new connection: {bumped:?}");
    assert!(
        matches!(read(), Lookup::Miss(_)),
        "another process no longer validates the old entry"
    );
    let _ = reader.clear();
}

/// Which connections [`bump_through_closed_connections`] closes after the
/// bump's own.
#[derive(Debug, Clone, Copy)]
enum Closed {
    Bump,
    Deletions,
    Check,
}
