//! Reads reported to the `metrics` facade (feature `metrics`), by kind
//! and outcome, with their latency:
//!
//! | metric | labels |
//! |---|---|
//! | `cache_reads_total` (counter) | `model` (or `query`), `kind` = `detail`, `list`, `count`, `query`; `outcome` = `hit`, `miss`, `shared`, `after_lease`, `stale_served`, `uncached` |
//! | `cache_read_seconds` (histogram) | `model` (or `query`), `kind`; `result` = `hit` (a hit, or a stale value served) or `miss` (the database was read, here or by the caller whose load this one shared): with `miss`, the fill latency |
//! | `cache_served_age_seconds` (histogram) | `model` (or `query`), `kind`: how long before a hit its entry was filled (by any process; a page of an id list: its last row read) |
//!
//! Beside them, each manager's and cached query's counters
//! (`cache_hits_total`, `cache_coarse_invalidations_total`, ..: see
//! `cache_core::StatsSnapshot`) with the same `model` or `query` label.
//! The handles are made once per manager, when it is built: install the
//! exporter's recorder before the first `Model::cache()`.

use cache_core::__engine::Outcome;

/// Which kind of read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// By a unique value (`get`, `find`, `get_by_..`).
    Detail,
    /// `all`, `all_where`.
    List,
    /// `count`.
    Count,
    /// A `#[cached_query]` function.
    Query,
}

impl Kind {
    /// Its label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Detail => "detail",
            Kind::List => "list",
            Kind::Count => "count",
            Kind::Query => "query",
        }
    }
}

/// Every outcome, in the order [`outcome_index`] numbers them.
#[cfg(feature = "metrics")]
const OUTCOMES: [&str; 6] = [
    "hit",
    "miss",
    "shared",
    "after_lease",
    "stale_served",
    "uncached",
];

/// `outcome`'s index in [`OUTCOMES`].
#[cfg(feature = "metrics")]
fn outcome_index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Hit => 0,
        Outcome::Loaded => 1,
        Outcome::Shared => 2,
        Outcome::AfterLease => 3,
        Outcome::StaleServed => 4,
        Outcome::Uncached => 5,
    }
}

/// The kinds a model reads.
#[cfg(feature = "metrics")]
const MODEL_KINDS: [Kind; 3] = [Kind::Detail, Kind::List, Kind::Count];

/// One kind's handles.
#[cfg(feature = "metrics")]
struct KindMetrics {
    kind: Kind,
    reads: [metrics::Counter; OUTCOMES.len()],
    hit_seconds: metrics::Histogram,
    miss_seconds: metrics::Histogram,
    served_age: metrics::Histogram,
}

#[cfg(feature = "metrics")]
impl KindMetrics {
    fn new(label: &'static str, name: &str, kind: Kind) -> Self {
        let (name, k) = (name.to_owned(), kind.as_str());
        let seconds = |result: &'static str| metrics::histogram!("cache_read_seconds", label => name.clone(), "kind" => k, "result" => result);
        KindMetrics {
            kind,
            reads: OUTCOMES.map(|outcome| {
                metrics::counter!("cache_reads_total", label => name.clone(), "kind" => k, "outcome" => outcome)
            }),
            hit_seconds: seconds("hit"),
            miss_seconds: seconds("miss"),
            served_age: metrics::histogram!("cache_served_age_seconds", label => name.clone(), "kind" => k),
        }
    }
}

/// The read metrics of one manager or cached query (nothing without the
/// `metrics` feature).
pub(crate) struct ReadMetrics {
    #[cfg(feature = "metrics")]
    kinds: Vec<KindMetrics>,
}

impl ReadMetrics {
    /// A model's (`model="<name>"`): detail, list and count reads.
    pub(crate) fn of_model(name: &'static str) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = name;
        ReadMetrics {
            #[cfg(feature = "metrics")]
            kinds: MODEL_KINDS
                .iter()
                .map(|&k| KindMetrics::new("model", name, k))
                .collect(),
        }
    }

    /// A cached query's (`query="<label>"`).
    pub(crate) fn of_query(label: &'static str) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = label;
        ReadMetrics {
            #[cfg(feature = "metrics")]
            kinds: vec![KindMetrics::new("query", label, Kind::Query)],
        }
    }

    /// A read of `kind` ended with `outcome`, begun at `started`.
    pub(crate) fn record(&self, kind: Kind, outcome: Outcome, started: Started) {
        #[cfg(feature = "metrics")]
        {
            // Taken whatever the outcome: a miss forgets what an earlier
            // read's hit noted.
            let served_age = cache_core::__engine::take_served_age();
            if let Some(m) = self.kinds.iter().find(|m| m.kind == kind) {
                m.reads[outcome_index(outcome)].increment(1);
                let seconds = match outcome {
                    Outcome::Hit | Outcome::StaleServed => {
                        if let Some(age) = served_age {
                            m.served_age.record(age);
                        }
                        &m.hit_seconds
                    }
                    _ => &m.miss_seconds,
                };
                seconds.record(started.at.elapsed());
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (kind, outcome, started);
    }
}

/// When a read began, for the latency histograms: the clock is read only
/// with the `metrics` feature (BENCHMARKS.md, `design.metrics_clock`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started {
    #[cfg(feature = "metrics")]
    at: std::time::Instant,
}

impl Started {
    /// Now.
    pub(crate) fn now() -> Self {
        Started {
            #[cfg(feature = "metrics")]
            at: std::time::Instant::now(),
        }
    }
}
