//! Invalidations that survive their writer: tags announced before a commit.
//!
//! A write's bumps follow its commit (docs/ARCHITECTURE.md). A writer killed
//! between its `COMMIT` and its bump (or one that exits while its bumps
//! are owed) would leave every entry the bump was for valid until its
//! timeout: a day for a list. So before the commit, the writer *announces*
//! the tags it will bump: it writes the [`PENDING`] version under each (or,
//! under a written row's own tag, a pending token of its own: see
//! `write_through.rs`), with a short lifetime ([`ANNOUNCE_HOLD`]). While a tag is pending, no
//! entry that depends on it is served or filled: every read of it goes to
//! the database (an entry stamped before the announcement no longer
//! matches, and a read that finds the tag pending bypasses the cache; see
//! `read_through/`). After the commit the bump replaces the pending
//! version with a new one, as before. If the writer dies first, the pending
//! version expires after the hold; the next read creates the tag afresh,
//! with a version no entry holds. Either way no entry written before the
//! commit is served after it: the cost of a dead writer is that the reads
//! depending on its tags go to the database for at most the hold.
//!
//! Not covered yet: a bump replaces whatever its tag holds, so a second
//! writer's announcement made before the first writer's bump is lost with
//! it; if that second writer then dies between its commit and its bump,
//! entries filled meanwhile stay valid. (A write-through's swap keeps
//! another writer's token or [`PENDING`]; plain bumps would need every
//! announcement to carry its writer's token to do the same.)
//!
//! Only shared stores are told (an in-process store dies with its writer),
//! and an announcement that fails is not retried: the bump after the
//! commit is owed as usual when the store is in trouble.

use crate::driver::cache::Cache;
use crate::driver::cache::engine::Engine;
use crate::protocol::stamp::PENDING;
use crate::stats::Counter;
use std::time::Duration;

/// How long an announced tag stays pending unless the bump after the
/// commit replaces it first: the longest a dead writer's tags keep their
/// readers on the database, and the longest a commit may take after its
/// announcement for the announcement to cover it (a commit slower than
/// this, whose writer then dies before its bump, leaves entries filled
/// after the hold stale as before).
pub const ANNOUNCE_HOLD: Duration = Duration::from_secs(5);

/// How the pending version is stored (decimal text, as every version): for tests
/// that watch the wire.
pub const PENDING_TEXT: &str = "9223372036854775807";

impl Cache {
    /// Writes [`PENDING`] under `tags` for [`ANNOUNCE_HOLD`]; a failure is
    /// counted and logged as `failed`.
    fn write_pending(&self, tags: &[&str], failed: &str) {
        if tags.is_empty() {
            return;
        }
        let pending: Vec<(&str, u64)> = tags.iter().map(|t| (*t, PENDING)).collect();
        if let Err(e) = self.backend().write_versions(&pending, Some(ANNOUNCE_HOLD)) {
            self.count(Counter::Error, 1);
            tracing::debug!(error = %e, "{failed}");
        }
    }

    /// [`Cache::write_pending`] through the store's non-blocking twin
    /// (nothing where it has none).
    #[cfg(feature = "tokio")]
    async fn write_pending_async(&self, tags: &[&str], failed: &str) {
        if tags.is_empty() {
            return;
        }
        let Some(store) = self.async_store() else {
            return;
        };
        let pending: Vec<(&str, u64)> = tags.iter().map(|t| (*t, PENDING)).collect();
        if let Err(e) = store.write_versions(&pending, Some(ANNOUNCE_HOLD)).await {
            self.count(Counter::Error, 1);
            tracing::debug!(error = %e, "{failed}");
        }
    }
}

impl Engine<'_> {
    /// Announces that `tags` are about to be bumped (see the module
    /// documentation): one round trip on a shared store, nothing on an
    /// in-process one. Failures are logged, not returned: the bump after
    /// the commit still runs (and is owed if the store fails).
    pub fn announce_bumps(&self, tags: &[&str]) {
        if self.backend().capabilities().shared {
            self.write_pending(tags, "could not announce tag bumps before a commit");
        }
    }

    /// [`Engine::announce_bumps`] without blocking the runtime's thread.
    #[cfg(feature = "tokio")]
    pub async fn announce_bumps_async(&self, tags: &[&str]) {
        if self.backend().capabilities().shared {
            self.write_pending_async(tags, "could not announce tag bumps before a commit")
                .await;
        }
    }

    /// Holds `tags` pending for [`ANNOUNCE_HOLD`] on every store, after a
    /// write whose outcome is unknown (its connection lost after the
    /// statement or its `COMMIT` was sent, the reply never read): the
    /// server may still commit it after the writer gave up (a killed
    /// session finishing the `COMMIT` it was running), and an entry
    /// filled from the old row after the writer's bump would then be
    /// served until its timeout. While the tags are pending every read
    /// that depends on them goes to the database; afterwards the tags are
    /// created afresh. Best effort, after the caller's bump (which is owed
    /// when the store fails); failures are logged.
    pub fn hold_doubtful(&self, tags: &[&str]) {
        self.write_pending(tags, "could not hold the tags of a doubtful write pending");
    }

    /// [`Engine::hold_doubtful`] without blocking the runtime's thread.
    #[cfg(feature = "tokio")]
    pub async fn hold_doubtful_async(&self, tags: &[&str]) {
        if self.async_store().is_none() {
            // (An in-process store: nothing to wait for.)
            return self.hold_doubtful(tags);
        }
        self.write_pending_async(tags, "could not hold the tags of a doubtful write pending")
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pending_text_is_the_pending_version() {
        assert_eq!(PENDING_TEXT, PENDING.to_string());
    }
}
