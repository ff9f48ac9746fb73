//! The in-process backend keeps decoded values: hits skip decoding, and
//! (while no tag was written) the tag lookups, yet never serve a value that
//! a bump invalidated.

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

    cache.bump_tags(&["tag:row".to_owned()], None).unwrap();
    assert_eq!(
        read(&cache, &tags, "v2"),
        (Counted("v2".into()), Outcome::Loaded)
    );
    assert_eq!(read(&cache, &tags, "unused").0, Counted("v2".into()));

    // A tag the entry does not depend on moves: still a hit.
    cache.bump_tags(&["tag:other".to_owned()], None).unwrap();
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
    b.bump_tags(&["tag:shared".to_owned()], None).unwrap();
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
