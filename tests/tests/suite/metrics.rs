//! With the `metrics` feature, every counter of a manager (and of its
//! cache, and of a cached query) reaches the `metrics` facade, reads are
//! counted by kind and outcome in `cache_reads_total`, and timed, hits
//! apart from misses, in `cache_read_seconds`; each hit's entry's age in
//! `cache_served_age_seconds`.

use cache_diesel::cached_query;
use cache_tests::env;
use cache_tests::models::{NewProduct, Product, ProductCache, ProductFilter, products};
use diesel::prelude::*;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

/// A recorded metric: its name, its labels, its value.
type Recorded = (String, Vec<(String, String)>, DebugValue);

/// The value of metric `name` with every label of `labels`, if recorded.
fn find<'r>(
    recorded: &'r [Recorded],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'r DebugValue> {
    recorded
        .iter()
        .find(|(n, have, _)| {
            n == name
                && labels
                    .iter()
                    .all(|want| have.iter().any(|(k, v)| (k.as_str(), v.as_str()) == *want))
        })
        .map(|(_, _, value)| value)
}

/// The count of reads of `kind` by `model` that ended with `outcome`.
fn reads(recorded: &[Recorded], label: (&str, &str), kind: &str, outcome: &str) -> u64 {
    let labels = [label, ("kind", kind), ("outcome", outcome)];
    match find(recorded, "cache_reads_total", &labels) {
        Some(DebugValue::Counter(n)) => *n,
        None => 0,
        other => panic!("cache_reads_total{labels:?} is {other:?}"),
    }
}

/// The ages, in seconds, the served-age histogram of `kind` holds.
fn ages(recorded: &[Recorded], label: (&str, &str), kind: &str) -> Vec<f64> {
    let labels = [label, ("kind", kind)];
    match find(recorded, "cache_served_age_seconds", &labels) {
        Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.0).collect(),
        None => vec![],
        other => panic!("cache_served_age_seconds{labels:?} is {other:?}"),
    }
}

/// Every metric `recorder` holds.
fn recorded_by(snapshotter: &metrics_util::debugging::Snapshotter) -> Vec<Recorded> {
    snapshotter
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
        .collect()
}

/// How many reads the latency histogram of `kind` and `result` holds.
fn timed(recorded: &[Recorded], label: (&str, &str), kind: &str, result: &str) -> usize {
    let labels = [label, ("kind", kind), ("result", result)];
    match find(recorded, "cache_read_seconds", &labels) {
        Some(DebugValue::Histogram(values)) => values.len(),
        None => 0,
        other => panic!("cache_read_seconds{labels:?} is {other:?}"),
    }
}

#[cached_query(key = "metrics_titles", timeout = 60, depends_on(Product))]
fn titles(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    products::table.select(products::title).load(conn)
}

#[test]
fn a_managers_counters_and_read_latency_reach_the_recorder() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let mut env = env::sqlite_memory("metrics").unwrap();
        cache_diesel::query("metrics_titles")
            .unwrap()
            .use_cache(env.cache.clone());
        let p = ProductCache::new(env.cache.clone());
        let conn = &mut env.db.conn;
        p.insert(conn, NewProduct::new("m", 1)).unwrap();
        for _ in 0..3 {
            p.get(conn, 1).unwrap();
        }
        let in_one = || ProductFilter::default().category_id(1);
        for _ in 0..2 {
            assert_eq!(p.all(conn, None, in_one()).unwrap().len(), 1);
            assert_eq!(p.count(conn, None, in_one()).unwrap(), 1);
            assert_eq!(titles(conn).unwrap(), ["Title of m"]);
        }
        p.invalidate_all().unwrap();
    });
    let recorded = recorded_by(&snapshotter);
    let model = ("model", "Product");
    let counter = |name: &str| match find(&recorded, name, &[model]) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name}{{model=Product}} is {other:?}"),
    };
    // The manager's counters: the detail's 2 hits, the list's and the
    // count's one each; a miss and a fill each.
    assert_eq!(counter("cache_hits_total"), 4);
    assert_eq!(counter("cache_misses_total"), 3);
    assert_eq!(counter("cache_fills_total"), 3);
    // Split by kind and outcome, and timed.
    for (kind, hits) in [("detail", 2), ("list", 1), ("count", 1)] {
        assert_eq!(reads(&recorded, model, kind, "hit"), hits, "{kind} hits");
        assert_eq!(reads(&recorded, model, kind, "miss"), 1, "{kind} misses");
        assert_eq!(
            timed(&recorded, model, kind, "hit"),
            hits as usize,
            "{kind}"
        );
        assert_eq!(timed(&recorded, model, kind, "miss"), 1, "{kind}");
        // An age for each hit, none for a miss.
        assert_eq!(ages(&recorded, model, kind).len(), hits as usize, "{kind}");
    }
    // Sampled verification's counters, there from the start.
    assert_eq!(counter("cache_verified_total"), 0);
    assert_eq!(counter("cache_verified_stale_total"), 0);
    // Invalidations by table and cause: the insert's hook, the operator's
    // `invalidate_all`.
    for cause in ["hook", "operator"] {
        let labels = [("table", "products"), ("cause", cause)];
        assert_eq!(
            find(&recorded, "cache_table_invalidations_total", &labels),
            Some(&DebugValue::Counter(1)),
            "{cause}"
        );
    }
    let query = ("query", "metrics_titles");
    assert_eq!(reads(&recorded, query, "query", "miss"), 1);
    assert_eq!(reads(&recorded, query, "query", "hit"), 1);
    assert_eq!(timed(&recorded, query, "query", "hit"), 1);
    assert_eq!(ages(&recorded, query, "query").len(), 1);
    assert_eq!(
        find(&recorded, "cache_fills_total", &[query]),
        Some(&DebugValue::Counter(1)),
        "a cached query's own counters are reported"
    );
    assert!(
        recorded
            .iter()
            .any(|(n, labels, _)| n == "cache_hits_total"
                && labels.iter().any(|(k, _)| k == "cache")),
        "the cache's own counters are reported too"
    );
}

/// A hit's served age is the time since its entry was filled, read from
/// the entry (a value kept decoded in this process, and bytes from Redis):
/// at least the time slept between the fill and the hit.
#[test]
fn a_hit_reports_how_long_ago_its_entry_was_filled() {
    let slept = std::time::Duration::from_millis(1_100);
    let mut envs = vec![("memory", env::sqlite_memory("metrics_age"))];
    envs.push(("redis", env::sqlite_redis("metrics_age")));
    for (store, env) in envs {
        // (`None`: Redis unreachable outside CI, said already.)
        let Some(mut env) = env else { continue };
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let p = ProductCache::new(env.cache.clone());
            let conn = &mut env.db.conn;
            p.insert(conn, NewProduct::new("age", 1)).unwrap();
            p.get(conn, 1).unwrap();
            std::thread::sleep(slept);
            p.get(conn, 1).unwrap();
            // A miss after it reports no age.
            p.invalidate_all().unwrap();
            p.get(conn, 1).unwrap();
        });
        let recorded = recorded_by(&snapshotter);
        let ages = ages(&recorded, ("model", "Product"), "detail");
        assert_eq!(ages.len(), 1, "{store}: {ages:?}");
        assert!(
            ages[0] >= slept.as_secs_f64() - 0.001 && ages[0] < 600.0,
            "{store}: {ages:?}"
        );
    }
}
