//! Whether a model's hook writes are mostly coarse: said once in the log.
//!
//! A coarse write invalidates every list with conditions of its table
//! (counted: `coarse_invalidations`). A service set up so that most of its
//! writes are coarse (an untracked PostgreSQL pool over a shared store, a
//! model that does not map another model's filter columns) loses the
//! precision it was promised without any error; a counter nobody reads
//! does not tell it. So after a model's first [`SAMPLE`] hook writes, a
//! manager whose writes were mostly coarse logs one warning.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The hook writes after which the share is judged.
const SAMPLE: u64 = 100;

/// A manager's hook writes and how many of them were coarse.
#[derive(Debug, Default)]
pub(crate) struct CoarseShare {
    writes: AtomicU64,
    coarse: AtomicU64,
}

impl CoarseShare {
    /// Counts a hook write of `model`; warns once if most of the first
    /// [`SAMPLE`] were `coarse`.
    pub(crate) fn count(&self, model: &str, coarse: bool) {
        if coarse {
            self.coarse.fetch_add(1, Relaxed);
        }
        if self.writes.fetch_add(1, Relaxed) + 1 == SAMPLE {
            let coarse = self.coarse.load(Relaxed);
            if mostly(coarse) {
                tracing::warn!(
                    model,
                    coarse,
                    writes = SAMPLE,
                    "cache_diesel: most hook writes of this model invalidated every list with \
                     conditions of its table (coarse); a connection that is not tracked \
                     (PostgreSQL over a shared store) or a model that does not map another \
                     model's filter columns does this: see the guide's \"Precise invalidation\""
                );
            }
        }
    }
}

/// Whether `coarse` of [`SAMPLE`] writes is most of them.
fn mostly(coarse: u64) -> bool {
    coarse * 2 > SAMPLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_judged_once_on_the_sample() {
        assert!(mostly(51) && !mostly(50));
        let share = CoarseShare::default();
        for i in 0..2 * SAMPLE {
            share.count("m", i % 3 != 0);
        }
        assert_eq!(share.writes.load(Relaxed), 2 * SAMPLE);
        assert_eq!(share.coarse.load(Relaxed), 2 * SAMPLE - 67);
    }
}
