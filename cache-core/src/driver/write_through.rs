//! Write-through: a hook write that returned its row puts it into the
//! row's entry, so that the next read of it is a hit (DESIGN section 13).
//!
//! The entry must be valid only while nothing later than the write has
//! been committed to what it holds. Its stamp:
//!
//! - the versions its tags held *before* the write's statement
//!   ([`Engine::announce_noting`]): any bump that lands after the note (of
//!   another writer whose commit followed this one) makes the stamp fail
//!   for good;
//! - for the row's own tag, the version the writer's bump writes: a
//!   *swap* ([`TagStore::swap_and_fill`](crate::backend::TagStore::swap_and_fill))
//!   that writes the entry only if the tag still holds what was noted.
//!   If not, another bump or announcement came between (a writer of the
//!   same row that may have committed after this one, or a follower
//!   delivering a foreign one): nothing is put, the swap was the bump; or,
//!   where the tag holds another writer's announcement, the announcement
//!   stays (it invalidates as a bump would, and lapses if that writer dies
//!   after its commit).
//!
//! On a shared store the note is the write's announcement: the row's own
//! tag is exchanged for a *token* of this writer (a pending version of its
//! own, [`writer_token`]) and the version it held before is returned,
//! in one round trip ([`TagStore::announce_and_note`](crate::backend::TagStore::announce_and_note)).
//! If it held another writer's announcement, that writer may commit after
//! this one (and die before its bump): nothing will be put. If another
//! writer announces after this one, the swap finds its announcement in
//! place of the token: nothing is put. Either way the other writer's own
//! bump, or the lapse of its announcement, invalidates as usual.
//!
//! A binary from before tokens takes a token for a settled version: while
//! such a binary runs beside this one (a rolling deploy), an entry it fills
//! while a token is in place is served until the writer's bump replaces
//! it, and if that bump fails (owed to a store in trouble) or the writer
//! dies after its commit, for up to [`ANNOUNCE_HOLD`] after the write
//! returned. Roll out with `write_through=off` (no tokens are written) and
//! turn it on once every binary is of this version. Old binaries'
//! announcements are [`PENDING`], which this binary's swaps never expect.

use crate::backend::{Announce, Noting, Swap};
use crate::driver::cache::Cache;
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::driver::intent::ANNOUNCE_HOLD;
use crate::driver::tagged::{FillOptions, Stamp};
use crate::error::Result;
use crate::protocol::stamp::{PENDING, is_pending, new_version, writer_token};
use crate::stats::Counter;
use crate::timeout::Ttl;
use serde::Serialize;
use std::time::Duration;

/// The versions an entry's tags held before a write (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct Noted {
    versions: Vec<u64>,
}

/// Where a write-through puts the written row, and what it bumps with it
/// (see [`Engine::write_through`]).
#[derive(Debug, Clone, Copy)]
pub struct PutWritten<'a> {
    /// The row's entry's key.
    pub key: &'a str,
    /// The entry's tags (as noted).
    pub tags: &'a [&'a str],
    /// The row's own tag's place in `tags`, and its lifetime.
    pub own: (usize, Duration),
    /// How the entry is written.
    pub options: FillOptions,
    /// The write's other tags, bumped in the same round trip, and their
    /// lifetime.
    pub bump: (&'a [String], Ttl),
}

/// What the store answered to a note: `None`, it cannot; `Some(None)`,
/// the own tag held another writer's announcement (nothing to put);
/// otherwise the versions noted.
type Answered = Result<Option<Option<Vec<Option<u64>>>>>;

impl Cache {
    /// Whether a write may note `tags` to put its row later.
    fn may_note(&self, tags: &[&str], own: usize) -> bool {
        self.config().write_through
            && self.backend().serves_entries()
            && own < tags.len()
            && !self.owed().owes_any(tags)
    }

    /// The note in what the store `answered`; `Err`: announce as usual
    /// (the store cannot, or failed: on a refusal, OOM under `noeviction`,
    /// the usual announcement deletes the tags instead).
    fn note_of(&self, answered: Answered) -> std::result::Result<Option<Noted>, ()> {
        match answered {
            Ok(Some(noted)) => Ok(noted
                .and_then(|read| read.into_iter().collect::<Option<Vec<u64>>>())
                .map(|versions| Noted { versions })),
            Ok(None) => Err(()),
            Err(e) => {
                tracing::debug!(error = %e, "could not announce and note; announcing alone");
                Err(())
            }
        }
    }

    /// The swap of a write-through (see [`Engine::write_through`]), if it
    /// may be made.
    fn swap_of<'a, T: Serialize + ?Sized>(
        &self,
        put: &PutWritten<'a>,
        bump: &'a [(&'a str, u64)],
        noted: Noted,
        value: &T,
    ) -> Option<Swap<'a>> {
        let PutWritten {
            key,
            tags,
            own: (own, own_ttl),
            options,
            ..
        } = *put;
        let mut versions = noted.versions;
        let settled = versions
            .iter()
            .enumerate()
            .all(|(i, v)| i == own || !is_pending(*v));
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
            .engine()
            .encode_fill(key, &Stamp { versions }, options, value)
            .ok()?;
        Some(Swap {
            tag: tags[own],
            version: fresh,
            tag_ttl: Some(own_ttl),
            expected,
            key,
            bytes,
            ttl: options.ttl,
            bump,
            bump_ttl: put.bump.1,
        })
    }

    /// What a swap's outcome means to the writer (see
    /// [`Engine::write_through`]).
    fn swapped(&self, swapped: Result<Option<bool>>) -> Option<bool> {
        match swapped {
            Ok(Some(put)) => {
                if put {
                    self.count(Counter::Fill, 1);
                }
                self.count(Counter::Invalidation, 1);
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

impl Engine<'_> {
    /// Before a write that may put its row: announces `announce` (see
    /// [`Engine::announce_bumps`]; on a shared store the row's own tag,
    /// `tags[own]`, is always announced, with this writer's token) and
    /// notes the versions `tags` (those of the entry under `key`) hold;
    /// on an in-process store only the note. `None` (nothing to put later)
    /// when write-through is off, a tag is absent (an absent tag cannot
    /// tell whether another writer's bump, written only where a tag
    /// exists, came between) or owed by this process, the own tag held
    /// another writer's announcement, the store is in its grace after
    /// trouble (bumps may not have landed), cannot, or fails.
    pub fn announce_noting(
        &self,
        announce: &[&str],
        key: &str,
        (tags, own): (&[&str], usize),
    ) -> Option<Noted> {
        let backend = self.backend();
        let answered: Answered = if !self.may_note(tags, own) {
            Ok(None)
        } else if !backend.capabilities().shared {
            backend.read_versions(key, tags).map(|v| Some(Some(v)))
        } else {
            let (pending, token) = announcement(announce, tags[own]);
            let announced = backend.announce_and_note(Announce {
                pending: &pending,
                own: (tags[own], token),
                ttl: Some(ANNOUNCE_HOLD),
                entry: key,
                tags,
            });
            announced.map(|n| n.map(|n| exchanged(n, own, token)))
        };
        self.note_of(answered).unwrap_or_else(|()| {
            self.announce_bumps(announce);
            None
        })
    }

    /// [`Engine::announce_noting`] without blocking the runtime's thread.
    #[cfg(feature = "tokio")]
    pub async fn announce_noting_async(
        &self,
        announce: &[&str],
        key: &str,
        (tags, own): (&[&str], usize),
    ) -> Option<Noted> {
        let store = match self.backend().capabilities().shared {
            true => self.async_store(),
            false => None,
        };
        let Some(store) = store else {
            // (An in-process store: nothing to wait for.)
            return self.announce_noting(announce, key, (tags, own));
        };
        let answered: Answered = if !self.may_note(tags, own) {
            Ok(None)
        } else {
            let (pending, token) = announcement(announce, tags[own]);
            let announced = store
                .announce_and_note(Announce {
                    pending: &pending,
                    own: (tags[own], token),
                    ttl: Some(ANNOUNCE_HOLD),
                    entry: key,
                    tags,
                })
                .await;
            announced.map(|n| n.map(|n| exchanged(n, own, token)))
        };
        match self.note_of(answered) {
            Ok(noted) => noted,
            Err(()) => {
                self.announce_bumps_async(announce).await;
                None
            }
        }
    }

    /// After the write's commit: bumps `put.tags[put.own.0]` (the written
    /// row's own tag, to live `put.own.1`) and, if no other bump of it came
    /// after `noted` and no other tag was pending then, puts `value` under
    /// `put.key` stamped with `noted` and the new version; and bumps the
    /// write's other tags (`put.bump`), all in one round trip. Returns
    /// whether they were bumped (`Some(put)`); `None`: nothing was
    /// (write-through off, a store that cannot, one that failed, another
    /// tag pending or owed), and the caller bumps them all as usual.
    pub fn write_through<T: Serialize + ?Sized>(
        &self,
        put: PutWritten<'_>,
        noted: Noted,
        value: &T,
    ) -> Option<bool> {
        let bump = self.versions_to_write(put.bump.0.iter());
        let swap = self.swap_of(&put, &bump, noted, value)?;
        let swapped = self.backend().swap_and_fill(swap);
        self.swapped(swapped)
    }

    /// [`Engine::write_through`] without blocking the runtime's thread.
    #[cfg(feature = "tokio")]
    pub async fn write_through_async<T: Serialize + ?Sized>(
        &self,
        put: PutWritten<'_>,
        noted: Noted,
        value: &T,
    ) -> Option<bool> {
        let Some(store) = self.async_store() else {
            return self.write_through(put, noted, value);
        };
        let bump = self.versions_to_write(put.bump.0.iter());
        let swap = self.swap_of(&put, &bump, noted, value)?;
        let swapped = store.swap_and_fill(swap).await;
        self.swapped(swapped)
    }
}

/// The versions an announcement that may put a row writes: [`PENDING`]
/// under each of `announce` but the row's `own` tag, and a token of this
/// writer for that one.
fn announcement<'a>(announce: &[&'a str], own: &str) -> (Vec<(&'a str, u64)>, u64) {
    let pending = announce
        .iter()
        .filter(|t| **t != own)
        .map(|t| (*t, PENDING))
        .collect();
    (pending, writer_token())
}

/// The versions an exchange of the own tag (at `own`) for `token` noted:
/// `None` where the tag held another writer's announcement (or nothing)
/// before, or does not hold the token after.
fn exchanged(noting: Noting, own: usize, token: u64) -> Option<Vec<Option<u64>>> {
    let theirs = noting.before.is_none_or(is_pending);
    let mine = noting.versions.get(own) == Some(&Some(token));
    (mine && !theirs).then_some(noting.versions)
}
