//! The in-process backend keeps decoded values: hits skip decoding, and
//! (while no tag was written) the tag lookups, yet never serve a value that
//! a bump invalidated.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{Outcome, Plan, Shape};
use cache_core::backend::{Backend, MemoryBackend};
use cache_core::{Cache, CacheConfig};
use serde::{Deserialize, Deserializer, Serialize};
use std::cell::Cell;
use std::convert::Infallible;
use std::sync::Arc;

/// Counts how often it is decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Counted(String);

thread_local! {
    /// Decodes on this test's thread (tests run in parallel).
    static DECODED: Cell<usize> = const { Cell::new(0) };
}

fn decoded() -> usize {
    DECODED.with(Cell::get)
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DECODED.with(|n| n.set(n.get() + 1));
        String::deserialize(d).map(Counted)
    }
}

fn shape(_: &Counted) -> Shape {
    Shape {
        depends_on: 1,
        ttl: None,
    }
}

fn read(cache: &Cache, tags: &[&str], source: &str) -> (Counted, Outcome) {
    cache
        .engine()
        .read_through(&Plan::new("entry", tags), shape, || {
            Ok::<_, Infallible>(Counted(source.to_owned()))
        })
        .unwrap()
}

#[test]
fn hits_decode_once_and_never_outlive_a_bump() {
    let cache = Cache::from_url("memory://").unwrap();
    let tags = ["tag:row", "tag:other"];
    assert_eq!(read(&cache, &tags, "v1").1, Outcome::Loaded);
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.hits), (1, 0), "one miss, counted once");
    let before = decoded();
    for _ in 0..5 {
        assert_eq!(
            read(&cache, &tags, "unused"),
            (Counted("v1".into()), Outcome::Hit)
        );
    }
    assert_eq!(decoded() - before, 1, "five hits, one decode");
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.hits), (1, 5));

    cache
        .engine()
        .bump_tags(&["tag:row".to_owned()], None)
        .unwrap();
    assert_eq!(
        read(&cache, &tags, "v2"),
        (Counted("v2".into()), Outcome::Loaded)
    );
    assert_eq!(read(&cache, &tags, "unused").0, Counted("v2".into()));

    // A tag the entry does not depend on moves: still a hit.
    cache
        .engine()
        .bump_tags(&["tag:other".to_owned()], None)
        .unwrap();
    assert_eq!(
        read(&cache, &tags, "v3"),
        (Counted("v2".into()), Outcome::Hit)
    );
}

#[test]
fn a_bump_through_another_cache_over_the_same_backend_is_seen() {
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new(None, None));
    let config = CacheConfig::from_url("memory://").unwrap();
    let (a, b) = (
        Cache::with_backend(config.clone(), backend.clone()),
        Cache::with_backend(config, backend),
    );
    let tags = ["tag:shared"];
    read(&a, &tags, "old");
    assert_eq!(read(&a, &tags, "unused").1, Outcome::Hit);
    assert_eq!(read(&a, &tags, "unused").1, Outcome::Hit);
    b.engine()
        .bump_tags(&["tag:shared".to_owned()], None)
        .unwrap();
    assert_eq!(
        read(&a, &tags, "new"),
        (Counted("new".into()), Outcome::Loaded)
    );
}

#[test]
fn the_same_entry_read_with_other_tags_is_checked_again() {
    let cache = Cache::from_url("memory://").unwrap();
    read(&cache, &["tag:a"], "v1");
    assert_eq!(read(&cache, &["tag:a"], "unused").1, Outcome::Hit);
    // Another caller names another tag for the same key: its versions
    // (created now) do not match the entry's stamp.
    assert_eq!(read(&cache, &["tag:b"], "v2").1, Outcome::Loaded);
}

/// A value whose `Clone` and `Drop` are the application's: they take a
/// lock of the application's and call the cache itself.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Busy(String);

/// The cache `Busy` calls, and the application's lock it takes.
static BUSY_CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
static APP_LOCK: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

impl Clone for Busy {
    fn clone(&self) -> Self {
        *APP_LOCK.lock().unwrap() += 1;
        if let Some(cache) = BUSY_CACHE.get() {
            cache
                .set("clones", &1u8, cache_core::Timeout::Default)
                .unwrap();
            cache.get::<u8>("clones").unwrap();
        }
        Busy(self.0.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(cache) = BUSY_CACHE.get() {
            cache.get::<u8>("drops").unwrap();
        }
    }
}

/// Runs `f` on a thread of its own; fails if it has not returned after
/// 60 s (it takes milliseconds unless it deadlocks).
fn within_a_minute(what: &str, f: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    assert!(
        finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_ok(),
        "{what}: deadlocked"
    );
}

#[test]
fn a_value_whose_clone_and_drop_call_the_cache_or_lock_does_not_deadlock() {
    // Deadlocked when hits cloned the value under the shard's read lock
    // and writes dropped the values they replaced under its write lock.
    let cache = BUSY_CACHE.get_or_init(|| Cache::from_url("memory://?max_entries=100").unwrap());
    let read = |id: u32, source: &str| {
        let key = format!("busy:{id}");
        let tags = ["tag:busy"];
        cache
            .engine()
            .read_through(
                &Plan::new(&key, &tags),
                |_: &Busy| Shape {
                    depends_on: 1,
                    ttl: None,
                },
                || Ok::<_, Infallible>(Busy(source.to_owned())),
            )
            .unwrap()
    };
    // One thread: hits clone (and call the cache), a bump replaces the
    // kept values (dropped: they call the cache), evictions drop others.
    within_a_minute("one thread", move || {
        for round in 0..3 {
            for id in 0..150 {
                let (value, _) = read(id, &format!("v{round}"));
                assert_eq!(value.0, format!("v{round}"));
                assert_eq!(read(id, "unused").0.0, format!("v{round}"));
            }
            cache
                .engine()
                .bump_tags(&["tag:busy".to_owned()], None)
                .unwrap();
        }
    });
    // Readers whose clones take the application's lock, beside a writer
    // that holds that lock while it writes to the cache.
    within_a_minute("readers and a writer", move || {
        std::thread::scope(|s| {
            for t in 0..3 {
                s.spawn(move || {
                    for i in 0..2_000u32 {
                        read(i % 32, "v");
                        if t == 0 && i % 100 == 0 {
                            cache
                                .engine()
                                .bump_tags(&["tag:busy".to_owned()], None)
                                .unwrap();
                        }
                    }
                });
            }
            s.spawn(|| {
                for i in 0..2_000u32 {
                    let _held = APP_LOCK.lock().unwrap();
                    cache
                        .set(format!("k{}", i % 64), &i, cache_core::Timeout::Default)
                        .unwrap();
                }
            });
        });
    });
}
