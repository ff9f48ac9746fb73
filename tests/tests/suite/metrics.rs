//! With the `metrics` feature, every counter of a manager (and of its
//! cache) reaches the `metrics` facade, and hits are timed in
//! `cache_hit_seconds` (issue 12 item 8).

use cache_tests::env;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

/// A recorded metric: its name, its labels, its value.
type Recorded = (String, Vec<(String, String)>, DebugValue);

/// The value of metric `name` with label `label`, if recorded.
fn find<'r>(recorded: &'r [Recorded], name: &str, label: (&str, &str)) -> Option<&'r DebugValue> {
    recorded
        .iter()
        .find(|(n, labels, _)| {
            n == name
                && labels
                    .iter()
                    .any(|(k, v)| (k.as_str(), v.as_str()) == label)
        })
        .map(|(_, _, value)| value)
}

#[test]
fn a_managers_counters_and_hit_latency_reach_the_recorder() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let mut env = env::sqlite_memory("metrics").unwrap();
        let p = cache_tests::models::ProductCache::new(env.cache.clone());
        p.insert(
            &mut env.db.conn,
            cache_tests::models::NewProduct::new("m", 1),
        )
        .unwrap();
        for _ in 0..3 {
            p.get(&mut env.db.conn, 1).unwrap();
        }
    });
    let recorded: Vec<Recorded> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    let model = ("model", "Product");
    assert_eq!(
        find(&recorded, "cache_hits_total", model),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(
        find(&recorded, "cache_misses_total", model),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        find(&recorded, "cache_fills_total", model),
        Some(&DebugValue::Counter(1))
    );
    match find(&recorded, "cache_hit_seconds", model) {
        Some(DebugValue::Histogram(values)) => assert_eq!(values.len(), 2, "one per hit"),
        other => panic!("no hit latency histogram: {other:?}"),
    }
    assert!(
        recorded
            .iter()
            .any(|(n, labels, _)| n == "cache_hits_total"
                && labels.iter().any(|(k, _)| k == "cache")),
        "the cache's own counters are reported too"
    );
}
