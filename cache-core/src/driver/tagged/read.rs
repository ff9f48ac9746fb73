//! Reading a tagged entry: the entry and its tags' versions in one round
//! trip, checked against its stamp; on a miss, the stamp to fill with (the
//! missing tags created); leased and shared reads.

use super::{Lookup, ReadHow};
use crate::backend::{Backend, Claim, Fetched, Kept, TagTime};
use crate::codec;
use crate::driver::cache::Cache;
use crate::driver::cache::engine::Engine;
use crate::driver::erased::{self, Open, Opening, Ops, Value};
use crate::driver::io::{Blocking, Io, block_now};
use crate::driver::served_age;
use crate::error::{Error, Result};
use crate::key::KeyParts;
use crate::protocol::envelope::{Opened, Times, open_bytes, refresh_due, unseal};
use crate::protocol::stamp::{Stamp, is_pending, new_version};
use crate::stats::{Counter, Stats};
use crate::timeout::Ttl;
use serde::de::DeserializeOwned;
use std::any::Any;

impl Cache {
    /// [`Engine::read_tagged_shared`] again, for a read that was counted
    /// already (a miss waiting for a fill): neither a hit nor a miss.
    /// Undecodable entries are counted in `stats` too.
    pub(crate) async fn reread_shared(
        &self,
        io: &impl Io,
        ops: Ops,
        key: &str,
        tags: &[&str],
        tag_ttl: Ttl,
        stats: Option<&Stats>,
    ) -> Result<Lookup<Value>> {
        // Only a hit is used: absent tags need not be created.
        self.read_tagged_leasing(io, ops.open, key, tags, tag_ttl, None, false, false, stats)
            .await
            .map(|(lookup, _)| lookup)
    }

    /// [`Engine::read_tagged_shared`] that also makes a [`Claim`] (creates
    /// absent tags, takes a lease) in the same round trip, where the
    /// backend can: the bool says whether this caller holds the lease now
    /// (false without a claim). Only a `first` read of a caller counts as a
    /// hit or a miss. Without `create_missing`, a miss does not create the
    /// tags it found absent, and its stamp has 0 for them: it can stamp no
    /// valid entry, and only tells which tags a claim must create.
    /// Undecodable entries are counted in `stats` too (a manager's).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn read_tagged_leasing(
        &self,
        io: &impl Io,
        open: Open,
        key: &str,
        tags: &[&str],
        tag_ttl: Ttl,
        claim: Option<&Claim<'_>>,
        first: bool,
        create_missing: bool,
        stats: Option<&Stats>,
    ) -> Result<(Lookup<Value>, bool)> {
        let how = ReadHow {
            claim,
            first,
            create_missing,
            stats,
        };
        self.read_tagged_with(io, key, tags, tag_ttl, how, open)
            .await
    }

    /// The opener of [`Cache::read_tagged_leasing`]: decodes `bytes` (once,
    /// kept decoded in `memo` where the store keeps one), and answers the
    /// value when its stamps hold; marks the memo checked under
    /// `generation`, read before the lookup.
    pub(crate) fn open_kept<T>(
        &self,
        Opening {
            key,
            tags,
            time,
            bytes,
            memo,
            current,
        }: Opening<'_>,
    ) -> std::result::Result<Option<(T, Times)>, codec::DecodeError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let Some(found) = memo else {
            return open_bytes(key, bytes, current);
        };
        let decoded;
        let memo = if found.decoded().is_some() {
            found
        } else {
            // Decoded once: the store swaps the value in for the bytes.
            decoded = found.decoded_as(Opened::of(unseal::<T>(key, bytes)?));
            self.backend().keep_decoded(key, found, &decoded);
            &decoded
        };
        // Another type kept under this key: its bytes are gone (an
        // in-process store holds an entry once), so a miss, whose fill
        // replaces it.
        let kept = memo
            .decoded()
            .and_then(|kept| kept.downcast_ref::<Opened<T>>());
        let Some(opened) = kept else {
            if bytes.is_empty() {
                return Ok(None);
            }
            return open_bytes(key, bytes, current);
        };
        if !opened.stamps.holds(current) {
            return Ok(None);
        }
        if let Some(time) = time {
            memo.checked(time, tags);
        }
        Ok(Some((opened.value.clone(), opened.times())))
    }

    #[inline]
    fn read_kept_with<T: Clone + 'static>(
        &self,
        tags_digest: u64,
        lend: impl FnOnce(&dyn Backend, &mut dyn FnMut(&Kept<dyn Any + Send + Sync>)) -> bool,
    ) -> Option<T> {
        if !self.owed().is_clear() || self.gate().held() {
            return None;
        }
        // (One look at the store on a clock's hit; its generation only
        // for a memo stamped by it.)
        let backend = self.backend();
        let clock = backend.tag_clock();
        let generation = || backend.generation();
        if clock.is_none() && generation().is_none() {
            return None;
        }
        // The store lends the memo (outside its locks: the value's `Clone`
        // is the application's, and must not run under a lock of the
        // store's), and the value is cloned from it.
        let mut found = None;
        lend(self.backend().as_ref(), &mut |memo| {
            if !memo.still_checked(clock, generation, tags_digest) {
                return;
            }
            let Some(opened) = memo.decoded_ref::<Opened<T>>() else {
                return;
            };
            if !refresh_due(opened.soft_deadline) {
                served_age::note(opened.times().filled);
                found = Some(opened.value.clone());
            }
        });
        if found.is_some() {
            self.count(Counter::Hit, 1);
        }
        found
    }

    /// The protocol of [`Engine::read_tagged`], with `open` turning the
    /// entry's bytes (and its memo, if the backend keeps one) into the value
    /// and soft deadline when its stamps hold, `None` when they do not; and
    /// with a claim, the lease taken in the same round trip (the bool: taken).
    pub(super) async fn read_tagged_with(
        &self,
        io: &impl Io,
        key: &str,
        tags: &[&str],
        tag_ttl: Ttl,
        how: ReadHow<'_>,
        open: Open,
    ) -> Result<(Lookup<Value>, bool)> {
        // Read before the lookup: see `Kept::checked`.
        let time = self.tag_time(tags);
        if !self.owed().is_clear() {
            self.settle_before_reading(tags, io.settles_inline())?;
        }
        let fetched = io.read_entry(key, tags, how.claim).await?;
        let leased = fetched.leased;
        let lookup = self
            .lookup_of(io, (key, tags), tag_ttl, how, fetched, (open, time))
            .await?;
        Ok((lookup, leased))
    }

    /// For each of `reads` (an entry's backend key and its tags), what a
    /// caller's first read of it without a claim finds
    /// ([`Cache::read_tagged_leasing`] creating no tags): the entries and
    /// their tags in one round trip where the store can. A miss's stamp has
    /// 0 for the tags it found absent.
    pub(crate) async fn read_tagged_batch(
        &self,
        io: &impl Io,
        open: Open,
        reads: &[(&str, &[&str])],
        stats: Option<&Stats>,
    ) -> Result<Vec<Lookup<Value>>> {
        // Read before the lookup: see `Kept::checked`.
        let times: Vec<Option<TagTime>> =
            reads.iter().map(|(_, tags)| self.tag_time(tags)).collect();
        if !self.owed().is_clear() {
            let tags: Vec<&str> = reads
                .iter()
                .flat_map(|(_, tags)| tags.iter().copied())
                .collect();
            self.settle_before_reading(&tags, io.settles_inline())?;
        }
        let found = io.read_entries(reads).await?;
        if found.len() != reads.len() {
            return Err(Error::Backend {
                reason: format!("{} entries read for {} asked", found.len(), reads.len()),
            });
        }
        let how = ReadHow {
            claim: None,
            first: true,
            create_missing: false,
            stats,
        };
        let mut lookups = Vec::with_capacity(reads.len());
        for ((&read, fetched), time) in reads.iter().zip(found).zip(times) {
            let opened = (open, time);
            lookups.push(self.lookup_of(io, read, None, how, fetched, opened).await?);
        }
        Ok(lookups)
    }

    /// The store's time of `tags` (to be read before looking them up),
    /// where it can tell: its [`TagClock`](crate::backend::TagClock)'s for
    /// a few tags, else its generation.
    fn tag_time(&self, tags: &[&str]) -> Option<TagTime> {
        let backend = self.backend();
        backend
            .tag_clock()
            .and_then(|clock| clock.time_of(tags))
            .or_else(|| backend.generation().map(TagTime::Generation))
    }

    /// The value in `fetched`, read for `key` with `tags`, when it is a
    /// valid entry not due for a refresh; nothing counted, nothing created
    /// (see `read_hits`).
    pub(crate) async fn hit_in(
        &self,
        io: &impl Io,
        open: Open,
        read: (&str, &[&str]),
        fetched: Fetched,
    ) -> Option<Value> {
        let how = ReadHow {
            claim: None,
            first: false,
            create_missing: false,
            stats: None,
        };
        // (No time: `fetched` was read before this call could note one,
        // so the memo is not marked checked.)
        match self
            .lookup_of(io, read, None, how, fetched, (open, None))
            .await
        {
            Ok(Lookup::Hit {
                value,
                refresh_due: false,
                ..
            }) => Some(value),
            _ => None,
        }
    }

    /// What a read of the entry under `key` with `tags` found, from what
    /// the store answered (`fetched`), opened by `open` (see
    /// [`Cache::read_tagged_with`]).
    /// `open` opens the entry, with the store's time of its tags read
    /// before the store was.
    async fn lookup_of(
        &self,
        io: &impl Io,
        (key, tags): (&str, &[&str]),
        tag_ttl: Ttl,
        how: ReadHow<'_>,
        fetched: Fetched,
        (open, time): (Open, Option<TagTime>),
    ) -> Result<Lookup<Value>> {
        let Fetched {
            entry,
            memo,
            versions: current,
            ..
        } = fetched;
        if current.len() != tags.len() {
            return Err(Error::Backend {
                reason: format!("{} versions read for {} tags", current.len(), tags.len()),
            });
        }
        // (While the follower is behind its bound, a valid entry is not
        // served: `cache::follower_gate`.)
        if let Some(bytes) = entry.as_ref().filter(|_| !self.entries_held()) {
            let opening = Opening {
                key,
                tags,
                time,
                bytes,
                memo: memo.as_ref(),
                current: &current,
            };
            match open(self, opening) {
                Ok(Some((value, times))) => {
                    if how.first {
                        self.count(Counter::Hit, 1);
                    }
                    served_age::note(times.filled);
                    let versions = current.into_iter().map(|v| v.unwrap_or(0)).collect();
                    let hit = Lookup::Hit {
                        value,
                        stamp: Stamp { versions },
                        refresh_due: refresh_due(times.soft_deadline),
                    };
                    return Ok(hit);
                }
                Ok(None) => {
                    tracing::trace!(key, "cache entry stale: a tag moved on");
                    self.backend().discard(key);
                }
                // Counted once per caller, as its hit or miss is: a
                // caller's later reads see the same bytes again.
                Err(e) if how.first => self.undecodable(key, &e, how.stats),
                Err(e) => tracing::trace!(key, error = %e, "undecodable cache entry, read again"),
            }
        }
        if how.first {
            self.count(Counter::Miss, 1);
        }
        if !how.create_missing {
            let versions = current.into_iter().map(|v| v.unwrap_or(0)).collect();
            return Ok(Lookup::Miss(Stamp { versions }));
        }
        let missing: Vec<&str> = tags
            .iter()
            .zip(&current)
            .filter(|(_, v)| v.is_none())
            .map(|(t, _)| *t)
            .collect();
        let mut created = self
            .create_tags(io, key, &missing, tag_ttl)
            .await?
            .into_iter();
        let versions = current
            .into_iter()
            .map(|v| v.or_else(|| created.next()).unwrap_or(0))
            .collect();
        Ok(Lookup::Miss(Stamp { versions }))
    }

    /// Creates the missing `tags` of the entry under `entry` with fresh
    /// versions, in one round trip
    /// (another process may create one first: its version is the one
    /// returned), and returns their versions in order.
    ///
    /// Not a change of the tag generation: a missing tag was evicted, not
    /// bumped (every bump writes its tags), so entries already checked
    /// against it are still current.
    pub(super) async fn create_tags(
        &self,
        io: &impl Io,
        entry: &str,
        tags: &[&str],
        ttl: Ttl,
    ) -> Result<Vec<u64>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let mine: Vec<(&str, u64)> = tags.iter().map(|t| (*t, new_version())).collect();
        let versions = io.create_versions(entry, &mine, ttl).await?;
        if versions.len() != tags.len() {
            return Err(Error::Backend {
                reason: format!("{} replies to {} tag creations", versions.len(), tags.len()),
            });
        }
        Ok(versions)
    }
}

impl Engine<'_> {
    /// Reads the entry under the backend key `key` together with the current
    /// versions of `tags` (backend keys), in one round trip.
    ///
    /// A stale, foreign or undecodable entry is a miss (undecodable ones are
    /// logged). On a miss, tags that do not exist yet are created, so the
    /// returned stamp is complete.
    pub fn read_tagged<T: DeserializeOwned + Send + Sync + 'static>(
        &self,
        key: &str,
        tags: &[impl AsRef<str>],
        tag_ttl: Ttl,
    ) -> Result<Lookup<T>> {
        let how = ReadHow {
            claim: None,
            first: true,
            create_missing: true,
            stats: None,
        };
        let io = Blocking(&**self.backend());
        let tags: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
        let open = erased::open_bytes_only::<T>;
        block_now(self.read_tagged_with(&io, key, &tags, tag_ttl, how, open))
            .map(|(lookup, _)| erased::take_lookup(lookup))
    }

    /// The current versions of `tags` (backend keys), as the shared store
    /// holds them, for a missed read that must learn what its stamp can
    /// reflect (a read from a database replica, in `cache-diesel`); `entry`
    /// is the read's key (a cluster keeps the tags' copies in its slot).
    /// `None` where a version tells nothing settled: the tag is absent,
    /// announced (pending: a write is about to commit), owed by this
    /// process (a write's bump not delivered), or the store is in its
    /// grace after trouble (bumps may not have landed).
    pub fn tag_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        let mut versions = self.backend().read_versions(entry, tags)?;
        versions.resize(tags.len(), None);
        let grace = !self.backend().serves_entries();
        for (tag, version) in tags.iter().zip(versions.iter_mut()) {
            if grace || version.is_some_and(is_pending) || self.owed().owes_any(&[tag]) {
                *version = None;
            }
        }
        Ok(versions)
    }

    /// [`Engine::read_tagged`] for values an in-process backend may keep
    /// decoded: the first hit on a stored entry decodes it, later hits on
    /// the same bytes validate the kept stamps and clone the kept value.
    pub fn read_tagged_shared<T>(&self, key: &str, tags: &[&str], tag_ttl: Ttl) -> Result<Lookup<T>>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let io = Blocking(&**self.backend());
        let open = erased::open_kept::<T>;
        block_now(self.read_tagged_leasing(&io, open, key, tags, tag_ttl, None, true, true, None))
            .map(|(lookup, _)| erased::take_lookup(lookup))
    }

    /// A hit that needs no look at the tags: the in-process backend kept the
    /// entry decoded, its tags held in a lookup made after the backend's tag
    /// generation had its current value (so no tag was written since), and
    /// it is not due for a refresh. `None`: go the whole way. `tags_digest`
    /// names the tags (`backend::tags_digest`).
    pub fn read_kept<T: Clone + 'static>(&self, key: &str, tags_digest: u64) -> Option<T> {
        self.read_kept_with(tags_digest, |backend, read| {
            backend
                .kept_after_generation(key)
                .map(|memo| read(&memo))
                .is_some()
        })
    }

    /// [`read_kept`](Self::read_kept) of the key `key` names in parts
    /// (found without its text in the in-process store).
    pub fn read_kept_parts<T: Clone + 'static>(
        &self,
        key: KeyParts<'_>,
        tags_digest: u64,
    ) -> Option<T> {
        self.read_kept_with(tags_digest, |backend, read| {
            backend.read_kept_by_parts(key, read)
        })
    }
}
