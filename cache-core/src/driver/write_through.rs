//! Write-through: a hook write that returned its row puts it into the
//! row's entry, so that the next read of it is a hit (DESIGN section 13).
//!
//! The entry must be valid only while nothing later than the write has
//! been committed to what it holds. Its stamp:
//!
//! - the versions its tags held *before* the write's statement
//!   ([`Cache::announce_noting`]; on a shared store with the write's
//!   announcement, so the row's own tag then reads [`PENDING`]): any
//!   bump that lands after the note (of another writer whose commit
//!   followed this one) makes the stamp fail for good;
//! - for the row's own tag, the version the writer's bump writes: a
//!   *swap* ([`TagStore::swap_and_fill`](crate::backend::TagStore::swap_and_fill))
//!   that writes the entry only if the tag held what was noted just
//!   before. If not, another bump came between (a writer of the same row
//!   that committed after this one, or a follower delivering a foreign
//!   one): nothing is put, the swap was the bump.
//!
//! A later writer of the row bumps its tag after its commit: the entry
//! stops validating then, as every entry does. What this adds to the
//! protocol is nothing a reader's fill could not do: a fill stamped with
//! versions that held while its value was the committed one, but for one
//! case on a shared store: every writer announces the same [`PENDING`]
//! version, so a second writer of the row that committed after this one
//! and was killed before its bump (its announcement still in the tag) is
//! not told from this writer's own announcement, and this writer's older
//! row is put and served until the entry's timeout. cache-diesel's hooks
//! therefore write through on in-process stores only, until announcements
//! carry their writer's token.

use crate::backend::Swap;
use crate::driver::cache::Cache;
use crate::driver::intent::ANNOUNCE_HOLD;
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
    /// Before a write that may put its row: announces `announce` (see
    /// [`Cache::announce_bumps`]) and then notes the
    /// versions `tags` (those of the entry under `key`) hold; on an
    /// in-process store only the note. `None` (nothing to put later) when
    /// write-through is off, a tag is absent (an absent tag cannot tell
    /// whether another writer's bump, written only where a tag exists,
    /// came between) or owed by this process, the store is in its grace
    /// after trouble (bumps may not have landed) or fails.
    #[doc(hidden)]
    pub fn announce_noting(&self, announce: &[&str], key: &str, tags: &[&str]) -> Option<Noted> {
        let backend = self.backend();
        let shared = backend.capabilities().shared;
        if !self.config().write_through || !backend.serves_entries() || self.owed().owes_any(tags) {
            self.announce_bumps(announce);
            return None;
        }
        // (Two round trips on a shared store, whose hooks do not write
        // through yet: see cache-diesel's write_through.rs.)
        let pending: Vec<(&str, u64)> = announce.iter().map(|t| (*t, PENDING)).collect();
        let announced = match shared {
            true => backend.write_versions(&pending, Some(ANNOUNCE_HOLD)),
            false => Ok(()),
        };
        match announced.and_then(|()| backend.read_versions(key, tags)) {
            Ok(read) => read
                .into_iter()
                .collect::<Option<Vec<u64>>>()
                .map(|versions| Noted { versions }),
            Err(e) => {
                // (Announced again the usual way, which on a refusal, OOM
                // under `noeviction`, deletes the tags instead.)
                tracing::debug!(error = %e, "could not announce and note; announcing alone");
                self.announce_bumps(announce);
                None
            }
        }
    }

    /// After the write's commit: bumps `tags[own.0]` (the written row's
    /// own tag, to live `own.1`) and, if no other bump of it came after
    /// `noted` and no other tag was pending then, puts `value` under `key`
    /// stamped with `noted` and the new version, in one round trip.
    /// Returns whether the own tag was bumped (`Some(put)`); `None`: it
    /// was not (write-through off, a store that cannot, one that failed,
    /// another tag pending or owed), and the caller bumps it as usual.
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
        let settled = versions
            .iter()
            .enumerate()
            .all(|(i, v)| i == own || *v != PENDING);
        if !self.config().write_through
            || versions.len() != tags.len()
            || own >= tags.len()
            || !settled
            || !self.owed().is_clear()
        {
            return None;
        }
        let expected = versions[own];
        let fresh = new_version();
        versions[own] = fresh;
        let bytes = self
            .encode_fill(key, &Stamp { versions }, options, value)
            .ok()?;
        let swap = Swap {
            tag: tags[own],
            version: fresh,
            tag_ttl: Some(own_ttl),
            expected,
            key,
            bytes,
            ttl: options.ttl,
        };
        match self.backend().swap_and_fill(swap) {
            Ok(Some(put)) => {
                if put {
                    self.count(Counter::Fill, 1);
                }
                Some(put)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(error = %e, "write-through failed; bumped as usual");
                None
            }
        }
    }
}
