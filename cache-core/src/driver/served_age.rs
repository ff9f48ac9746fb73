//! The age of what a hit served, for its reader's histogram
//! (`cache_served_age_seconds`, in cache-diesel's read metrics): a hit
//! notes the fill time its entry holds in this thread, and the reader's
//! report of that hit takes it. Kept only with the `metrics` feature;
//! without it both calls do nothing.
//!
//! A thread-local rather than a field of every hit's return: a hit and
//! its report run on one thread without a wait between (an async read's
//! hit completes in the poll that reports it), and what a read reports is
//! what its last hit noted (a page of an id list: its last row's).

#[cfg(feature = "metrics")]
thread_local! {
    /// The fill time (ms since the epoch) the last hit noted, 0 for none.
    static FILLED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A hit served an entry filled at `filled` (ms since the epoch; 0 for
/// unknown).
#[inline]
pub(crate) fn note(filled: u64) {
    #[cfg(feature = "metrics")]
    FILLED.set(filled);
    #[cfg(not(feature = "metrics"))]
    let _ = filled;
}

/// The age of the entry the last hit on this thread served, if one was
/// noted since the last call (which forgets it); 0 where the entry's
/// writer's clock was ahead. Always `None` without the `metrics` feature.
#[doc(hidden)]
pub fn take() -> Option<std::time::Duration> {
    #[cfg(feature = "metrics")]
    {
        let filled = FILLED.replace(0);
        (filled != 0).then(|| {
            let now = crate::protocol::envelope::now_ms();
            std::time::Duration::from_millis(now.saturating_sub(filled))
        })
    }
    #[cfg(not(feature = "metrics"))]
    None
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    #[test]
    fn a_noted_fill_is_taken_once_as_an_age() {
        let filled = crate::protocol::envelope::now_ms() - 1_500;
        super::note(filled);
        let age = super::take().expect("noted");
        assert!((1_500..60_000).contains(&age.as_millis()), "{age:?}");
        assert_eq!(super::take(), None);
        // A writer's clock ahead of this one's: no negative age.
        super::note(crate::protocol::envelope::now_ms() + 60_000);
        assert_eq!(super::take(), Some(std::time::Duration::ZERO));
    }
}
