//! Write-through: a hook write that returned its row puts it into the
//! row's entry, so that the next read of it is a hit (DESIGN section 13).
//!
//! The entry must be valid only while nothing later than the write has
//! been committed to what it holds. Its stamp:
//!
//! - the versions its tags held *before* the write's statement
//!   ([`Cache::note_versions`]; on a shared store after the write's
//!   announcement, so the row's own tag then reads [`PENDING`]): any
//!   bump that lands after the note (of another writer whose commit
//!   followed this one) makes the stamp fail for good;
//! - for the row's own tag, the version the writer's bump writes: a
//!   *swap* ([`TagStore::swap_version`](crate::backend::TagStore::swap_version))
//!   that returns what the tag held just before. If that is not what was
//!   noted, another bump came between (a writer of the same row that
//!   committed after this one, or a follower delivering a foreign one):
//!   nothing is put, the swap was the bump.
//!
//! A later writer of the row bumps its tag after its commit: the entry
//! stops validating then, as every entry does. What this adds to the
//! protocol is nothing a reader's fill could not do: a fill stamped with
//! versions that held while its value was the committed one. One window
//! it shares with the bump it replaces: a second hook writer of the same
//! row that announced after this one's announcement and committed before
//! its swap has its pending version replaced (as any bump replaces it);
//! killed before its own bump, it leaves this writer's row served until
//! the entry's timeout, where a reader's fill would have read its row.

use crate::driver::cache::Cache;
use crate::driver::tagged::{FillOptions, Stamp};
use crate::protocol::stamp::{PENDING, new_version};
use crate::stats::Counter;
use serde::Serialize;
use std::time::Duration;

/// The versions an entry's tags held before a write (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct Noted {
    versions: Vec<u64>,
}

impl Cache {
    /// The versions `tags` (those of the entry under `key`) hold now, in
    /// one round trip; `None` when one is absent (an absent tag cannot
    /// tell whether another writer's bump, written only where a tag
    /// exists, came between), one is owed by this process, the store is in
    /// its grace after trouble (bumps may not have landed) or fails: no
    /// write-through then.
    #[doc(hidden)]
    pub fn note_versions(&self, key: &str, tags: &[&str]) -> Option<Noted> {
        if !self.config().write_through
            || !self.backend().serves_entries()
            || self.owed().owes_any(tags)
        {
            return None;
        }
        let read = self.backend().read_versions(key, tags).ok()?;
        let versions = read.into_iter().collect::<Option<Vec<u64>>>()?;
        Some(Noted { versions })
    }

    /// After the write's commit: bumps `tags[own.0]` (the written row's
    /// own tag, to live `own.1`) and, if no other bump of it came after
    /// `noted` and no other tag was pending then, puts `value` under `key`
    /// stamped with `noted` and the new version. Returns whether the own
    /// tag was bumped (`Some(put)`); `None`: it was not (a store that
    /// cannot swap, or one that failed), and the caller bumps it as usual.
    #[doc(hidden)]
    pub fn write_through<T: Serialize + ?Sized>(
        &self,
        key: &str,
        tags: &[&str],
        (own, own_ttl): (usize, Duration),
        noted: Noted,
        options: FillOptions,
        value: &T,
    ) -> Option<bool> {
        let mut versions = noted.versions;
        if !self.config().write_through || versions.len() != tags.len() || own >= tags.len() {
            return None;
        }
        let fresh = new_version();
        let before = match self.backend().swap_version(tags[own], fresh, Some(own_ttl)) {
            Ok(Some(before)) => before,
            Ok(None) => return None,
            Err(e) => {
                tracing::debug!(error = %e, "write-through: the swap failed; bumped as usual");
                return None;
            }
        };
        let others_settled = versions
            .iter()
            .enumerate()
            .all(|(i, v)| i == own || *v != PENDING);
        if before != Some(versions[own]) || !others_settled || !self.owed().is_clear() {
            return Some(false);
        }
        versions[own] = fresh;
        let Ok(bytes) = self.encode_fill(key, &Stamp { versions }, options, value) else {
            return Some(false);
        };
        // Answered before the write returns (a reader's fill on Redis is
        // not waited for): the writer's next read finds it.
        let backend = self.backend();
        let put = match backend.capabilities().shared {
            true => backend.set(key, bytes, options.ttl),
            false => backend.fill(key, bytes, options.ttl, None),
        };
        if put.is_ok() {
            self.count(Counter::Fill, 1);
        }
        Some(put.is_ok())
    }
}
