//! What the failover tests of the Redis Cluster and of Sentinel share:
//! entries that depend on one tag, filled before the failover, and how
//! many of them a reader still serves after it.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{FillOptions, Lookup, Namespace};
use cache_core::Cache;
use std::time::{Duration, Instant};

/// Fills `n` entries that depend on one tag through `cache` (which must
/// have none yet); returns the tag and the entries' keys.
pub fn fill_entries_of_one_tag(cache: &Cache, n: usize) -> (String, Vec<String>) {
    let keys = cache.engine().keys();
    let tag = keys.build(Namespace::Tag, &[], "t");
    let entries: Vec<String> = (0..n)
        .map(|i| keys.build(Namespace::Detail, &[], &format!("e{i}")))
        .collect();
    let fill = FillOptions {
        depends_on: 1,
        ttl: None,
        soft: None,
    };
    for entry in &entries {
        match cache
            .engine()
            .read_tagged::<String>(entry, &[&tag], None)
            .unwrap()
        {
            Lookup::Miss(stamp) => cache
                .engine()
                .fill_tagged(entry, &stamp, fill, "old")
                .unwrap(),
            Lookup::Hit { .. } => panic!("a new deployment has no entries"),
        };
    }
    (tag, entries)
}

/// How many of `entries` `reader` serves as hits once the writer has had
/// up to 10 s to deliver the bump of `tag` it owes (it retries every
/// `retry_after`; `nudge` runs between the polls: a call of the writer's,
/// say). Counted only when every read answers: right after a failover, a
/// loaded machine's reader may still fail (a timeout opens its breaker),
/// and a read that fails serves nothing, stale or not (CI runs counted 0
/// served where the lost bump should have shown).
pub fn still_served(reader: &Cache, tag: &str, entries: &[String], nudge: impl Fn()) -> usize {
    let served = || {
        let mut hits = 0;
        for entry in entries {
            match reader.engine().read_tagged::<String>(entry, &[tag], None) {
                Ok(Lookup::Hit { .. }) => hits += 1,
                Ok(Lookup::Miss(_)) => {}
                Err(_) => return None,
            }
        }
        Some(hits)
    };
    let answered = || {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(hits) = served() {
                return hits;
            }
            assert!(
                Instant::now() < deadline,
                "the reader's reads still fail 20 s after the failover"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while answered() > 0 && Instant::now() < deadline {
        nudge();
        std::thread::sleep(Duration::from_millis(100));
    }
    answered()
}
