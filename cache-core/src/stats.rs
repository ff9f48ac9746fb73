//! Counters of what a cache (or a model manager, or a cached query) did,
//! readable in code beside the tracing events, and (feature `metrics`)
//! reported to the `metrics` facade.

use std::sync::atomic::{AtomicU64, Ordering};

/// One kind of event counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Counter {
    /// A read found a valid, decodable value.
    Hit,
    /// A read found nothing usable (absent, stale, undecodable).
    Miss,
    /// A value stored by `set`/`add`/`set_many`.
    Write,
    /// A key deleted.
    Delete,
    /// A backend failure (unreachable, timeout, server error), or a value
    /// that could not be encoded.
    Error,
    /// Stored bytes that did not decode as the requested type.
    Undecodable,
    /// A value not stored: over the maximum size.
    Refused,
    /// A read-through miss filled from the source of truth.
    Fill,
    /// A miss answered by another caller's fill in this process (single-flight).
    Shared,
    /// A miss that waited for another process's fill (a lease).
    LeaseWait,
    /// A lease wait that ran out; the caller read the source itself.
    LeaseTimeout,
    /// An entry past its soft timeout served while another caller refreshes.
    StaleServe,
    /// Tags bumped (invalidations).
    Invalidation,
    /// A read served from the source because the cache failed (fail-open).
    Uncached,
    /// A write that invalidated every filtered list of its table, because
    /// the values it wrote (or replaced) were not known (see cache-diesel's
    /// precise invalidation).
    CoarseInvalidation,
    /// A valid entry not served because the change-stream follower was
    /// behind its bound (the read went to the source).
    FollowerHeld,
    /// A sampled hit re-read from the source and found to be what it holds
    /// (`verify=` in the cache URL).
    Verified,
    /// A sampled hit that served what the source no longer held, and whose
    /// entry still did after the verification window: a stale read.
    VerifiedStale,
    /// A sampled hit that differed from the source, but the source or the
    /// entry changed before the re-check (a write racing the re-read): not
    /// counted either way.
    VerifyRaced,
    /// A sampled hit not verified: the verifier's queue was full, or no
    /// connection source is registered for its connection type.
    VerifyDropped,
}

const COUNTERS: usize = 20;

/// How many copies of the counters a [`Stats`] keeps: each thread adds to
/// the one of the core it runs on, so that hits on several cores do
/// not move one cache line back and forth on every count (two counts a hit:
/// the cache's and the model's); a snapshot sums them. Measured: without
/// stripes, two threads made fewer hits a second than one (`compare`).
const STRIPES: usize = 8;

/// One copy of the counters, on cache lines of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe([AtomicU64; COUNTERS]);

/// This thread's stripe: that of the core it runs on
/// ([`crate::per_cpu`]).
#[inline]
fn stripe() -> usize {
    crate::per_cpu::index() % STRIPES
}

/// Every counter, in the order of its discriminant.
#[cfg(feature = "metrics")]
const ALL: [Counter; COUNTERS] = [
    Counter::Hit,
    Counter::Miss,
    Counter::Write,
    Counter::Delete,
    Counter::Error,
    Counter::Undecodable,
    Counter::Refused,
    Counter::Fill,
    Counter::Shared,
    Counter::LeaseWait,
    Counter::LeaseTimeout,
    Counter::StaleServe,
    Counter::Invalidation,
    Counter::Uncached,
    Counter::CoarseInvalidation,
    Counter::FollowerHeld,
    Counter::Verified,
    Counter::VerifiedStale,
    Counter::VerifyRaced,
    Counter::VerifyDropped,
];

impl Counter {
    /// Its name in the `metrics` facade (`cache_hits_total`, ..).
    pub fn metric_name(self) -> &'static str {
        match self {
            Counter::Hit => "cache_hits_total",
            Counter::Miss => "cache_misses_total",
            Counter::Write => "cache_writes_total",
            Counter::Delete => "cache_deletes_total",
            Counter::Error => "cache_errors_total",
            Counter::Undecodable => "cache_undecodable_total",
            Counter::Refused => "cache_refused_total",
            Counter::Fill => "cache_fills_total",
            Counter::Shared => "cache_shared_total",
            Counter::LeaseWait => "cache_lease_waits_total",
            Counter::LeaseTimeout => "cache_lease_timeouts_total",
            Counter::StaleServe => "cache_stale_serves_total",
            Counter::Invalidation => "cache_invalidations_total",
            Counter::Uncached => "cache_uncached_total",
            Counter::CoarseInvalidation => "cache_coarse_invalidations_total",
            Counter::FollowerHeld => "cache_follower_held_total",
            Counter::Verified => "cache_verified_total",
            Counter::VerifiedStale => "cache_verified_stale_total",
            Counter::VerifyRaced => "cache_verify_raced_total",
            Counter::VerifyDropped => "cache_verify_dropped_total",
        }
    }
}

/// Live counters (relaxed atomics: cheap on the hot path).
#[derive(Debug, Default)]
pub struct Stats {
    /// The counts, striped by thread (see [`Stripe`]).
    cells: [Stripe; STRIPES],
    /// Handles of the same counters in the `metrics` facade, once labelled.
    #[cfg(feature = "metrics")]
    reported: std::sync::OnceLock<[metrics::Counter; COUNTERS]>,
}

/// A copy of the counters at one moment (serializes as a JSON object of
/// its fields, for a `/stats` endpoint).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Reads that found a valid, decodable value.
    pub hits: u64,
    /// Reads that found nothing usable.
    pub misses: u64,
    /// Values stored by the low-level API.
    pub writes: u64,
    /// Keys deleted.
    pub deletes: u64,
    /// Backend failures (a read, a write, or an invalidation not
    /// delivered: its tag bumps owed, or its announcement refused), and
    /// values that could not be encoded.
    pub errors: u64,
    /// Stored bytes that did not decode as the requested type.
    pub undecodable: u64,
    /// Values not stored because they were over the maximum size.
    pub refused: u64,
    /// Read-through misses filled from the source of truth.
    pub fills: u64,
    /// Misses answered by another caller's fill in this process.
    pub shared: u64,
    /// Misses that waited for another process's fill.
    pub lease_waits: u64,
    /// Lease waits that ran out.
    pub lease_timeouts: u64,
    /// Entries served past their soft timeout while a refresh ran.
    pub stale_serves: u64,
    /// Invalidations (tag bumps).
    pub invalidations: u64,
    /// Reads served from the source because the cache failed.
    pub uncached: u64,
    /// Writes that invalidated every filtered list of their table, not
    /// only the lists of the values they wrote and replaced: the values
    /// were not known (a bulk write, a model that does not map every
    /// column of its table, an `insert_execute`).
    pub coarse_invalidations: u64,
    /// Valid entries not served because the change-stream follower was
    /// behind its bound (`follower_bound`): read from the source instead.
    pub follower_held: u64,
    /// Sampled hits re-read from the source and found right (`verify=`).
    pub verified: u64,
    /// Sampled hits that served what the source no longer held, confirmed
    /// after the verification window (stale reads: see the guide's
    /// observability page).
    pub verified_stale: u64,
    /// Sampled hits that differed from a source being written meanwhile
    /// (neither right nor stale).
    pub verify_raced: u64,
    /// Sampled hits not verified (the verifier's queue full, or no
    /// connection source).
    pub verify_dropped: u64,
}

impl Stats {
    /// All counters at zero (usable in a `static`).
    pub const fn new() -> Self {
        Stats {
            cells: [const { Stripe([const { AtomicU64::new(0) }; COUNTERS]) }; STRIPES],
            #[cfg(feature = "metrics")]
            reported: std::sync::OnceLock::new(),
        }
    }

    /// From now on also reports every count to the `metrics` facade's
    /// recorder (installed before this call) as `cache_<counter>_total`
    /// with the label `key="value"` (`cache="app"`, `model="Product"`).
    /// Once: later calls are ignored. Without the `metrics` feature it
    /// does nothing.
    pub fn report_as(&self, key: &'static str, value: &str) {
        #[cfg(feature = "metrics")]
        {
            let value = value.to_owned();
            self.reported.get_or_init(|| {
                ALL.map(|c| metrics::counter!(c.metric_name(), key => value.clone()))
            });
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (key, value);
    }

    /// Counts `n` events of one kind.
    #[inline]
    pub fn add(&self, counter: Counter, n: u64) {
        self.cells[stripe()].0[counter as usize].fetch_add(n, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        if let Some(reported) = self.reported.get() {
            reported[counter as usize].increment(n);
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: Counter| {
            let counts = self
                .cells
                .iter()
                .map(|s| s.0[c as usize].load(Ordering::Relaxed));
            counts.fold(0u64, u64::wrapping_add)
        };
        StatsSnapshot {
            hits: get(Counter::Hit),
            misses: get(Counter::Miss),
            writes: get(Counter::Write),
            deletes: get(Counter::Delete),
            errors: get(Counter::Error),
            undecodable: get(Counter::Undecodable),
            refused: get(Counter::Refused),
            fills: get(Counter::Fill),
            shared: get(Counter::Shared),
            lease_waits: get(Counter::LeaseWait),
            lease_timeouts: get(Counter::LeaseTimeout),
            stale_serves: get(Counter::StaleServe),
            invalidations: get(Counter::Invalidation),
            uncached: get(Counter::Uncached),
            coarse_invalidations: get(Counter::CoarseInvalidation),
            follower_held: get(Counter::FollowerHeld),
            verified: get(Counter::Verified),
            verified_stale: get(Counter::VerifiedStale),
            verify_raced: get(Counter::VerifyRaced),
            verify_dropped: get(Counter::VerifyDropped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let stats = Stats::new();
        std::thread::scope(|s| {
            for _ in 0..(2 * STRIPES + 3) {
                s.spawn(|| {
                    for _ in 0..1_000 {
                        stats.add(Counter::Hit, 1);
                    }
                    stats.add(Counter::Fill, 2);
                });
            }
        });
        let snapshot = stats.snapshot();
        let threads = (2 * STRIPES + 3) as u64;
        assert_eq!(snapshot.hits, 1_000 * threads);
        assert_eq!(snapshot.fills, 2 * threads);
        assert_eq!(snapshot.misses, 0);
    }
}
