//! Bumping tags (new versions invalidate every entry stamped with the old
//! ones), and the bumps a failed write still owes: settled before a read,
//! retried in the background.

use crate::driver::cache::Cache;
use crate::driver::cache::engine::Engine;
use crate::driver::io::{Blocking, Io, block_now};
use crate::driver::owed::Debt;
use crate::error::{Error, Result};
use crate::log_limit::Cause;
use crate::protocol::stamp::{IF_PRESENT, new_version};
use crate::stats::Counter;
use crate::timeout::Ttl;
use std::time::Duration;

impl Cache {
    /// [`Engine::bump_tag_groups`] over `io`.
    pub(crate) async fn bump_tag_groups_with(
        &self,
        io: &impl Io,
        groups: &[(&[String], Option<&str>)],
        tag_ttl: Ttl,
    ) -> Result<()> {
        // Once each, in order (a transaction may bump thousands).
        let mut seen = std::collections::HashSet::new();
        let tags: Vec<String> = groups
            .iter()
            .flat_map(|(group, _)| group.iter())
            .filter(|tag| seen.insert(tag.as_str()))
            .cloned()
            .collect();
        if let Err(e) = self.deliver(io, &tags, tag_ttl, Debt::none()).await {
            // (Counted: a process that cannot invalidate shows it.)
            self.count(Counter::Error, 1);
            // O(tags): what is owed already is not looked at.
            for (group, cover) in groups {
                self.owed().add(group.iter(), *cover, tag_ttl);
            }
            if let Some(more) = self.log_limit(Cause::BumpsOwed) {
                tracing::warn!(
                    tags = ?tags,
                    error = %e,
                    "tag bumps owed: retried before reads that depend on them, and every {:?}{more}",
                    self.config().retry_after
                );
            }
            self.retry_owed_in_background();
            return Err(e);
        }
        if io.settles_inline() && !self.owed().is_clear() {
            // The backend answers again: pay what was owed now (the async
            // driver leaves it to the retry thread, which is running).
            self.owed().deliver_once(|| self.settle_owed());
        }
        Ok(())
    }

    /// Writes a new version of `tags` and of the tags of `owed`, in one
    /// round trip; on success, `owed` is paid.
    pub(crate) async fn deliver(
        &self,
        io: &impl Io,
        tags: &[String],
        tag_ttl: Ttl,
        owed: Debt,
    ) -> Result<()> {
        let versions = self.versions_to_write(tags.iter().chain(owed.tags()));
        io.write_versions(&versions, owed.ttl_along(tag_ttl))
            .await?;
        self.owed().paid(&owed);
        self.count(Counter::Invalidation, 1);
        Ok(())
    }

    /// A new version for each of `tags`, as a bump writes it: a sparse
    /// tag's only where it exists.
    pub(crate) fn versions_to_write<'t>(
        &self,
        tags: impl Iterator<Item = &'t String>,
    ) -> Vec<(&'t str, u64)> {
        tags.map(|t| match self.keys().is_sparse_tag(t) {
            true => (t.as_str(), new_version() | IF_PRESENT),
            false => (t.as_str(), new_version()),
        })
        .collect()
    }

    /// Delivers the owed bumps; true when nothing is owed any more.
    pub(crate) fn settle_owed(&self) -> bool {
        let owed = self.owed().snapshot();
        if owed.is_empty() {
            return true;
        }
        let delivered: Vec<String> = owed.tags().cloned().collect();
        let io = Blocking(&**self.backend());
        match block_now(self.deliver(&io, &[], Debt::NO_TTL, owed)) {
            Ok(()) => {
                tracing::info!(tags = ?delivered, "owed tag bumps delivered");
                self.owed().is_clear()
            }
            Err(e) => {
                tracing::debug!(error = %e, "owed tag bumps still undeliverable");
                false
            }
        }
    }

    /// Before a read while bumps are owed: deliver them (where the caller
    /// may block: `inline`), or refuse the read if it depends on one (its
    /// entry may be one the bump invalidates).
    pub(super) fn settle_before_reading(
        &self,
        tags: &[impl AsRef<str>],
        inline: bool,
    ) -> Result<()> {
        if inline
            && self.owed().read_attempt_due()
            && self.owed().deliver_once(|| self.settle_owed()) == Some(true)
        {
            return Ok(());
        }
        let tags: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
        if self.owed().owes_any(&tags) {
            return Err(Error::Owed);
        }
        Ok(())
    }

    /// Starts the thread that delivers owed bumps, unless one runs. It
    /// holds the cache weakly and ends when nothing is owed (or the cache
    /// is dropped).
    pub(super) fn retry_owed_in_background(&self) {
        if !self.owed().start_retrying() {
            return;
        }
        let weak = self.downgrade();
        let every = self.config().retry_after.max(Duration::from_millis(10));
        let spawned = std::thread::Builder::new()
            .name("cache-owed-bumps".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Some(cache) = weak.upgrade() else { return };
                    if cache.settle_owed() && !cache.owed().stop_retrying() {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            self.owed().abandon_retrying();
            tracing::error!(error = %e, "cannot start the owed tag bump retry thread");
        }
    }
}

impl Engine<'_> {
    /// Gives every tag a new version, in one round trip: every entry stamped
    /// with an old version is invalid from now on.
    ///
    /// When the backend fails, the bumps are owed: kept, and delivered
    /// before this cache reads anything that depends on them, and by a
    /// thread that retries every `retry_after` (see `owed.rs`). The error is
    /// still returned, for the caller to log.
    pub fn bump_tags(&self, tags: &[String], tag_ttl: Ttl) -> Result<()> {
        self.bump_tags_within(tags, None, tag_ttl)
    }

    /// [`Engine::bump_tags`] for tags that `cover` covers: a bump of `cover`
    /// invalidates every entry that a bump of any of `tags` would (a table's
    /// epoch covers its rows' tags). If they must be owed, the debt stays
    /// bounded: past a limit, owed tags collapse into their covers.
    pub fn bump_tags_within(
        &self,
        tags: &[String],
        cover: Option<&str>,
        tag_ttl: Ttl,
    ) -> Result<()> {
        self.bump_tag_groups(&[(tags, cover)], tag_ttl)
    }

    /// Bumps several groups of tags, each with the cover it is owed under
    /// should the bump fail (see [`Engine::bump_tags_within`]), in one round
    /// trip: a transaction's writes to several tables, at its commit.
    pub fn bump_tag_groups(
        &self,
        groups: &[(&[String], Option<&str>)],
        tag_ttl: Ttl,
    ) -> Result<()> {
        let io = Blocking(&**self.backend());
        block_now(self.bump_tag_groups_with(&io, groups, tag_ttl))
    }

    /// Owes the bumps of `groups` (see [`Engine::bump_tags_within`]) without
    /// any I/O: from now on this process's reads that depend on them
    /// deliver them first (sync reads) or read the source (async reads),
    /// and the retry thread delivers them within `retry_after`. For callers
    /// that must not wait for the backend (a commit seen inside an async
    /// connection's instrumentation); deliver at once with
    /// `Engine::settle_owed_async`.
    pub fn owe_tag_groups(&self, groups: &[(&[String], Option<&str>)], tag_ttl: Ttl) {
        for (group, cover) in groups {
            self.owed().add(group.iter(), *cover, tag_ttl);
        }
        self.retry_owed_in_background();
    }
}
