//! Counters of what a cache (or a model manager, or a cached query) did,
//! readable in code beside the tracing events.

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
    /// A backend failure (unreachable, timeout, server error).
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
}

const COUNTERS: usize = 14;

/// Live counters (relaxed atomics: cheap on the hot path).
#[derive(Debug, Default)]
pub struct Stats {
    cells: [AtomicU64; COUNTERS],
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
    /// Backend failures.
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
}

impl Stats {
    /// All counters at zero (usable in a `static`).
    pub const fn new() -> Self {
        Stats {
            cells: [const { AtomicU64::new(0) }; COUNTERS],
        }
    }

    /// Counts `n` events of one kind.
    pub fn add(&self, counter: Counter, n: u64) {
        self.cells[counter as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: Counter| self.cells[c as usize].load(Ordering::Relaxed);
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
        }
    }
}
