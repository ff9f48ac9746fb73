//! At most one log line per cause per period.
//!
//! A failing cache fails every call: without a limit, an unreachable Redis
//! logs one WARN per read and a WARN plus an ERROR per write, thousands a
//! second. A [`LogLimit`] lets the first line of a period through and
//! counts the others; the next line that goes through says how many were
//! left out (`... (1,234 more since last report)`). The counters
//! ([`crate::StatsSnapshot`]) still count every event.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The period of the limits the driver and the managers use.
pub(crate) const LOG_PERIOD: Duration = Duration::from_secs(10);

/// Milliseconds since the first call in this process, plus one (so that 0
/// means "never").
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

/// One cause's limit: when the next line may go, and how many were left
/// out since the last one. Lock-free; usable in a `static`.
#[derive(Debug, Default)]
pub struct LogLimit {
    /// `now_ms()` from which the next line may go (0: at once).
    next: AtomicU64,
    /// Lines left out since the last one that went.
    suppressed: AtomicU64,
}

impl LogLimit {
    /// A limit that lets its first line through.
    pub const fn new() -> Self {
        LogLimit {
            next: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Whether to log now, at most once per `period`: `Some` with the
    /// number of lines left out since the last one (to show with
    /// [`Suppressed`]'s `Display`), or `None`, counted as left out.
    pub fn check(&self, period: Duration) -> Option<Suppressed> {
        let now = now_ms();
        let next = self.next.load(Ordering::Relaxed);
        let period_ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
        if now >= next
            && self
                .next
                .compare_exchange(
                    next,
                    now.saturating_add(period_ms),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return Some(Suppressed(self.suppressed.swap(0, Ordering::Relaxed)));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// How many lines of a cause were left out since its last line: displays
/// as `""` for none, else as ` (1,234 more since last report)`, to end a
/// message with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed(pub u64);

impl fmt::Display for Suppressed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return Ok(());
        }
        let digits = self.0.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, " ({grouped} more since last report)")
    }
}

/// The causes a cache limits its log lines by (one [`LogLimit`] each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// A read that went to the source because the cache failed.
    ReadFailed,
    /// A read that went to the source because it depends on an owed bump.
    ReadOwed,
    /// A fill that was not stored (the cache failed, or the value did not
    /// encode).
    FillFailed,
    /// Stored bytes that did not decode.
    Undecodable,
    /// Bumps owed after a failed write of tag versions.
    BumpsOwed,
    /// An invalidation that failed (the managers' and the tracker's line).
    InvalidationFailed,
    /// A sampled hit found stale (the managers' verification).
    StaleServed,
}

const CAUSES: usize = 7;

/// One [`LogLimit`] per [`Cause`] (a cache's).
#[derive(Debug, Default)]
pub(crate) struct LogLimits([LogLimit; CAUSES]);

impl LogLimits {
    /// Whether to log a line of `cause` now (see [`LogLimit::check`]).
    pub(crate) fn check(&self, cause: Cause) -> Option<Suppressed> {
        self.0[cause as usize].check(LOG_PERIOD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_period_then_the_count_of_the_others() {
        let limit = LogLimit::new();
        assert_eq!(limit.check(Duration::from_secs(3600)), Some(Suppressed(0)));
        for _ in 0..1234 {
            assert_eq!(limit.check(Duration::from_secs(3600)), None);
        }
        // A period of zero: the next line goes, with the count.
        assert_eq!(limit.check(Duration::ZERO), None, "still in the hour");
        limit.next.store(0, Ordering::Relaxed);
        assert_eq!(limit.check(Duration::ZERO), Some(Suppressed(1235)));
        assert_eq!(limit.check(Duration::ZERO), Some(Suppressed(0)));
    }

    #[test]
    fn threads_let_one_line_through() {
        let limit = LogLimit::new();
        let through = AtomicU64::new(0);
        let reported = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        if let Some(Suppressed(n)) = limit.check(Duration::from_secs(3600)) {
                            through.fetch_add(1, Ordering::Relaxed);
                            reported.fetch_add(n, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(through.load(Ordering::Relaxed), 1);
        // A line left out by another thread between the winner's claim and
        // its read of the count is reported by the winner (CI saw 3998 left
        // + 1 reported): every left-out line is counted once, in one place.
        let left = limit.suppressed.load(Ordering::Relaxed);
        assert_eq!(left + reported.load(Ordering::Relaxed), 3999);
    }

    #[test]
    fn the_count_reads_with_thousands_separators() {
        assert_eq!(Suppressed(0).to_string(), "");
        assert_eq!(Suppressed(7).to_string(), " (7 more since last report)");
        assert_eq!(
            Suppressed(1234).to_string(),
            " (1,234 more since last report)"
        );
        assert_eq!(
            Suppressed(1_234_567).to_string(),
            " (1,234,567 more since last report)"
        );
        assert_eq!(
            Suppressed(100_000).to_string(),
            " (100,000 more since last report)"
        );
    }
}
