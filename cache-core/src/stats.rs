//! Counters of what a cache did, readable in code.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one cache (all relaxed atomics: cheap on the hot path).
#[derive(Debug, Default)]
pub struct Stats {
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    deletes: AtomicU64,
    errors: AtomicU64,
    undecodable: AtomicU64,
    refused: AtomicU64,
}

/// A copy of a cache's counters at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Reads that found a decodable value.
    pub hits: u64,
    /// Reads that found nothing (including undecodable bytes).
    pub misses: u64,
    /// Values stored.
    pub writes: u64,
    /// Keys deleted.
    pub deletes: u64,
    /// Backend failures (unreachable, timeout, server error).
    pub errors: u64,
    /// Stored bytes that did not decode as the requested type.
    pub undecodable: u64,
    /// Values not stored because they were over the maximum size.
    pub refused: u64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Hit,
    Miss,
    Write,
    Delete,
    Error,
    Undecodable,
    Refused,
}

impl Stats {
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        let cell = match counter {
            Counter::Hit => &self.hits,
            Counter::Miss => &self.misses,
            Counter::Write => &self.writes,
            Counter::Delete => &self.deletes,
            Counter::Error => &self.errors,
            Counter::Undecodable => &self.undecodable,
            Counter::Refused => &self.refused,
        };
        cell.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            hits: get(&self.hits),
            misses: get(&self.misses),
            writes: get(&self.writes),
            deletes: get(&self.deletes),
            errors: get(&self.errors),
            undecodable: get(&self.undecodable),
            refused: get(&self.refused),
        }
    }
}
