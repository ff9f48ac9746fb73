//! Entries stamped with versioned tags: the invalidation protocol
//! (docs/ARCHITECTURE.md, "Tags").
//!
//! Every entry depends on a few tags. A tag's value is a random version,
//! replaced on every invalidation (random, so an evicted and re-created tag
//! never matches an old stamp). A read fetches the entry and the current
//! versions of its tags in one round trip ([`Cache::read_tagged`]); the entry
//! is valid only if the versions it was stamped with equal the current ones.
//! A miss returns the [`Stamp`] to fill with: the versions read *before* the
//! caller queries its source of truth. Writers replace the versions of what
//! they touched *after* their commit ([`Cache::bump_tags`]). A reader that
//! raced a writer can therefore only store an entry that the next reader
//! rejects.
//!
//! An entry may depend on only the first `n` of the tags it is read with
//! (a found row does not depend on the "rows were inserted" tag that a cached
//! "not found" does). An entry may also carry a soft deadline, past which it
//! is still valid but due for a refresh (serve-stale).

use crate::backend::{Claim, Fetched, Memo};
use crate::cache::Cache;
use crate::codec;
use crate::error::{Error, Result};
use crate::io::{Blocking, Io, block_now};
use crate::log_limit::Cause;
use crate::owed::Debt;
use crate::protocol::envelope::{Envelope, open_bytes, refresh_due, seal, soft_deadline, unseal};
pub use crate::protocol::stamp::Stamp;
use crate::protocol::stamp::{IF_PRESENT, new_version, stamps_hold};
use crate::stats::{Counter, Stats};
use crate::timeout::Ttl;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// What [`Cache::read_tagged`] found.
#[derive(Debug)]
pub enum Lookup<T> {
    /// A valid entry.
    Hit {
        /// The value.
        value: T,
        /// The current tag versions (what a refresh fills with).
        stamp: Stamp,
        /// Past its soft deadline: valid, but due for a refresh.
        refresh_due: bool,
    },
    /// No valid entry; fill with this stamp after reading the source.
    Miss(Stamp),
}

/// How [`Cache::read_tagged_with`] reads.
#[derive(Clone, Copy)]
struct ReadHow<'a> {
    /// A claim made in the same round trip.
    claim: Option<&'a Claim<'a>>,
    /// The caller's first read (counted as a hit or a miss).
    first: bool,
    /// On a miss, create the tags found absent, for a complete stamp.
    create_missing: bool,
    /// Counters to count undecodable entries into besides the cache's own
    /// (a manager's).
    stats: Option<&'a Stats>,
}

/// How a fill is stored.
#[derive(Debug, Clone, Copy)]
pub struct FillOptions {
    /// How many of the tags the value depends on.
    pub depends_on: usize,
    /// Hard lifetime.
    pub ttl: Ttl,
    /// Soft lifetime: past it the entry is due for a refresh.
    pub soft: Option<Duration>,
}

impl Cache {
    /// Reads the entry under the backend key `key` together with the current
    /// versions of `tags` (backend keys), in one round trip.
    ///
    /// A stale, foreign or undecodable entry is a miss (undecodable ones are
    /// logged). On a miss, tags that do not exist yet are created, so the
    /// returned stamp is complete.
    #[doc(hidden)]
    pub fn read_tagged<T: DeserializeOwned>(
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
        block_now(
            self.read_tagged_with(&io, key, tags, tag_ttl, how, |bytes, _, holds| {
                if bytes.is_empty() {
                    // An in-process store holds this entry decoded only (for
                    // `read_tagged_shared`): a miss here, not a damaged entry.
                    return Ok(None);
                }
                open_bytes(key, bytes, holds)
            }),
        )
        .map(|(lookup, _)| lookup)
    }

    /// [`Cache::read_tagged`] for values an in-process backend may keep
    /// decoded: the first hit on a stored entry decodes it, later hits on
    /// the same bytes validate the kept stamps and clone the kept value.
    #[doc(hidden)]
    pub fn read_tagged_shared<T>(&self, key: &str, tags: &[&str], tag_ttl: Ttl) -> Result<Lookup<T>>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let io = Blocking(&**self.backend());
        block_now(self.read_tagged_leasing(&io, key, tags, tag_ttl, None, true, true, None))
            .map(|(lookup, _)| lookup)
    }

    /// [`Cache::read_tagged_shared`] again, for a read that was counted
    /// already (a miss waiting for a fill): neither a hit nor a miss.
    /// Undecodable entries are counted in `stats` too.
    pub(crate) async fn reread_shared<T>(
        &self,
        io: &impl Io,
        key: &str,
        tags: &[&str],
        tag_ttl: Ttl,
        stats: Option<&Stats>,
    ) -> Result<Lookup<T>>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        // Only a hit is used: absent tags need not be created.
        self.read_tagged_leasing(io, key, tags, tag_ttl, None, false, false, stats)
            .await
            .map(|(lookup, _)| lookup)
    }

    /// [`Cache::read_tagged_shared`] that also makes a [`Claim`] (creates
    /// absent tags, takes a lease) in the same round trip, where the
    /// backend can: the bool says whether this caller holds the lease now
    /// (false without a claim). Only a `first` read of a caller counts as a
    /// hit or a miss. Without `create_missing`, a miss does not create the
    /// tags it found absent, and its stamp has 0 for them: it can stamp no
    /// valid entry, and only tells which tags a claim must create.
    /// Undecodable entries are counted in `stats` too (a manager's).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn read_tagged_leasing<T>(
        &self,
        io: &impl Io,
        key: &str,
        tags: &[&str],
        tag_ttl: Ttl,
        claim: Option<&Claim<'_>>,
        first: bool,
        create_missing: bool,
        stats: Option<&Stats>,
    ) -> Result<(Lookup<T>, bool)>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        // Read before the lookup: see `Kept::checked`.
        let generation = self.backend().generation();
        let how = ReadHow {
            claim,
            first,
            create_missing,
            stats,
        };
        self.read_tagged_with(io, key, tags, tag_ttl, how, |bytes, memo, holds| {
            let Some(found) = memo else {
                return open_bytes(key, bytes, holds);
            };
            let decoded;
            let memo = if found.decoded().is_some() {
                found
            } else {
                // Decoded once: the store swaps the value in for the bytes.
                decoded = found.decoded_as(unseal::<T>(key, bytes)?);
                self.backend().keep_decoded(key, found, &decoded);
                &decoded
            };
            // Another type kept under this key: its bytes are gone (an
            // in-process store holds an entry once), so a miss, whose fill
            // replaces it.
            let kept = memo
                .decoded()
                .and_then(|kept| kept.downcast_ref::<Envelope<T>>());
            let Some((stamps, soft_deadline, value)) = kept else {
                if bytes.is_empty() {
                    return Ok(None);
                }
                return open_bytes(key, bytes, holds);
            };
            if !holds(stamps) {
                return Ok(None);
            }
            if let Some(generation) = generation {
                memo.checked(generation, tags);
            }
            Ok(Some((value.clone(), *soft_deadline)))
        })
        .await
    }

    /// A hit that needs no look at the tags: the in-process backend kept the
    /// entry decoded, its tags held in a lookup made after the backend's tag
    /// generation had its current value (so no tag was written since), and
    /// it is not due for a refresh. `None`: go the whole way. `tags_digest`
    /// names the tags (`backend::tags_digest`).
    #[doc(hidden)]
    pub fn read_kept<T: Clone + 'static>(&self, key: &str, tags_digest: u64) -> Option<T> {
        if !self.owed().is_clear() {
            return None;
        }
        let generation = self.backend().generation()?;
        let memo = self.backend().kept_after_generation(key)?;
        if !memo.still_checked(generation, tags_digest) {
            return None;
        }
        let (_, soft_deadline, value) = memo.decoded()?.downcast_ref::<Envelope<T>>()?;
        if refresh_due(*soft_deadline) {
            return None;
        }
        self.count(Counter::Hit, 1);
        Some(value.clone())
    }

    /// The protocol of [`Cache::read_tagged`], with `open` turning the
    /// entry's bytes (and its memo, if the backend keeps one) into the value
    /// and soft deadline when its stamps hold, `None` when they do not; and
    /// with a claim, the lease taken in the same round trip (the bool: taken).
    async fn read_tagged_with<T>(
        &self,
        io: &impl Io,
        key: &str,
        tags: &[impl AsRef<str>],
        tag_ttl: Ttl,
        how: ReadHow<'_>,
        open: impl FnOnce(
            &Bytes,
            Option<&Memo>,
            &dyn Fn(&[u64]) -> bool,
        ) -> std::result::Result<Option<(T, u64)>, codec::DecodeError>,
    ) -> Result<(Lookup<T>, bool)> {
        if !self.owed().is_clear() {
            self.settle_before_reading(tags, io.settles_inline())?;
        }
        let tag_keys: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
        let Fetched {
            entry,
            memo,
            versions: current,
            leased,
        } = io.read_entry(key, &tag_keys, how.claim).await?;
        if current.len() != tags.len() {
            return Err(Error::Backend {
                reason: format!("{} versions read for {} tags", current.len(), tags.len()),
            });
        }
        if let Some(bytes) = &entry {
            let holds = |stamps: &[u64]| stamps_hold(stamps, &current);
            match open(bytes, memo.as_ref(), &holds) {
                Ok(Some((value, soft_deadline))) => {
                    if how.first {
                        self.count(Counter::Hit, 1);
                    }
                    let versions = current.into_iter().map(|v| v.unwrap_or(0)).collect();
                    let hit = Lookup::Hit {
                        value,
                        stamp: Stamp { versions },
                        refresh_due: refresh_due(soft_deadline),
                    };
                    return Ok((hit, leased));
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
            return Ok((Lookup::Miss(Stamp { versions }), leased));
        }
        let missing: Vec<&str> = tags
            .iter()
            .zip(&current)
            .filter(|(_, v)| v.is_none())
            .map(|(t, _)| t.as_ref())
            .collect();
        let mut created = self
            .create_tags(io, key, &missing, tag_ttl)
            .await?
            .into_iter();
        let versions = current
            .into_iter()
            .map(|v| v.or_else(|| created.next()).unwrap_or(0))
            .collect();
        Ok((Lookup::Miss(Stamp { versions }), leased))
    }

    /// Encodes a fill: the first `depends_on` versions of `stamp`, the soft
    /// deadline, the value. Refuses values over the maximum size.
    #[doc(hidden)]
    pub fn encode_fill<T: Serialize + ?Sized>(
        &self,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
    ) -> Result<Bytes> {
        let stamps = &stamp.versions[..options.depends_on.min(stamp.versions.len())];
        let bytes = seal(key, stamps, soft_deadline(options.soft), value).map_err(|reason| {
            self.count(Counter::Error, 1);
            Error::Encode {
                key: key.to_owned(),
                reason,
            }
        })?;
        self.check_size(key, bytes)
    }

    /// Decodes what [`Cache::encode_fill`] wrote under `key`, ignoring its
    /// stamp (for callers that were handed the bytes by the filler itself).
    /// Bytes that do not decode are counted (in the cache's counters and
    /// in `stats`), logged, and `None`.
    #[doc(hidden)]
    pub fn decode_fill<T: DeserializeOwned>(
        &self,
        key: &str,
        bytes: &[u8],
        stats: Option<&Stats>,
    ) -> Option<T> {
        match unseal::<T>(key, bytes) {
            Ok((_, _, value)) => Some(value),
            Err(e) => {
                self.undecodable(key, &e, stats);
                None
            }
        }
    }

    /// Counts an entry under `key` whose bytes did not decode (in the
    /// cache's counters and in `stats`), and logs it (at most once per
    /// period: see `log_limit.rs`).
    fn undecodable(&self, key: &str, error: &codec::DecodeError, stats: Option<&Stats>) {
        self.count(Counter::Undecodable, 1);
        if let Some(stats) = stats {
            stats.add(Counter::Undecodable, 1);
        }
        if let Some(more) = self.log_limit(Cause::Undecodable) {
            tracing::warn!(key, error = %error, "undecodable cache entry, treated as a miss{more}");
        }
    }

    /// Stores `value` under `key`, stamped with `stamp`; returns the stored bytes.
    #[doc(hidden)]
    pub fn fill_tagged<T: Serialize + ?Sized>(
        &self,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
    ) -> Result<Bytes> {
        let io = Blocking(&**self.backend());
        block_now(self.fill_tagged_releasing(&io, key, stamp, options, value, None))
    }

    /// [`Cache::fill_tagged`], releasing the fill's `lease` in the same
    /// round trip.
    pub(crate) async fn fill_tagged_releasing<T: Serialize + ?Sized>(
        &self,
        io: &impl Io,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
        lease: Option<&str>,
    ) -> Result<Bytes> {
        let bytes = self.encode_fill(key, stamp, options, value)?;
        io.fill(key, bytes.clone(), options.ttl, lease).await?;
        self.count(Counter::Fill, 1);
        Ok(bytes)
    }

    /// Gives every tag a new version, in one round trip: every entry stamped
    /// with an old version is invalid from now on.
    ///
    /// When the backend fails, the bumps are owed: kept, and delivered
    /// before this cache reads anything that depends on them, and by a
    /// thread that retries every `retry_after` (see `owed.rs`). The error is
    /// still returned, for the caller to log.
    #[doc(hidden)]
    pub fn bump_tags(&self, tags: &[String], tag_ttl: Ttl) -> Result<()> {
        self.bump_tags_within(tags, None, tag_ttl)
    }

    /// [`Cache::bump_tags`] for tags that `cover` covers: a bump of `cover`
    /// invalidates every entry that a bump of any of `tags` would (a table's
    /// epoch covers its rows' tags). If they must be owed, the debt stays
    /// bounded: past a limit, owed tags collapse into their covers.
    #[doc(hidden)]
    pub fn bump_tags_within(
        &self,
        tags: &[String],
        cover: Option<&str>,
        tag_ttl: Ttl,
    ) -> Result<()> {
        self.bump_tag_groups(&[(tags, cover)], tag_ttl)
    }

    /// Bumps several groups of tags, each with the cover it is owed under
    /// should the bump fail (see [`Cache::bump_tags_within`]), in one round
    /// trip: a transaction's writes to several tables, at its commit.
    #[doc(hidden)]
    pub fn bump_tag_groups(
        &self,
        groups: &[(&[String], Option<&str>)],
        tag_ttl: Ttl,
    ) -> Result<()> {
        let io = Blocking(&**self.backend());
        block_now(self.bump_tag_groups_with(&io, groups, tag_ttl))
    }

    /// Owes the bumps of `groups` (see [`Cache::bump_tags_within`]) without
    /// any I/O: from now on this process's reads that depend on them
    /// deliver them first (sync reads) or read the source (async reads),
    /// and the retry thread delivers them within `retry_after`. For callers
    /// that must not wait for the backend (a commit seen inside an async
    /// connection's instrumentation); deliver at once with
    /// `Cache::settle_owed_async`.
    #[doc(hidden)]
    pub fn owe_tag_groups(&self, groups: &[(&[String], Option<&str>)], tag_ttl: Ttl) {
        for (group, cover) in groups {
            self.owed().add(group.iter(), *cover, tag_ttl);
        }
        self.retry_owed_in_background();
    }

    /// [`Cache::bump_tag_groups`] over `io`.
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
        // A sparse tag's new version is written only where it exists.
        let versions: Vec<(&str, u64)> = tags
            .iter()
            .chain(owed.tags())
            .map(|t| match self.keys().is_sparse_tag(t) {
                true => (t.as_str(), new_version() | IF_PRESENT),
                false => (t.as_str(), new_version()),
            })
            .collect();
        io.write_versions(&versions, owed.ttl_along(tag_ttl))
            .await?;
        self.owed().paid(&owed);
        self.count(Counter::Invalidation, 1);
        Ok(())
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
    fn settle_before_reading(&self, tags: &[impl AsRef<str>], inline: bool) -> Result<()> {
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
    fn retry_owed_in_background(&self) {
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

    /// Creates the missing `tags` of the entry under `entry` with fresh
    /// versions, in one round trip
    /// (another process may create one first: its version is the one
    /// returned), and returns their versions in order.
    ///
    /// Not a change of the tag generation: a missing tag was evicted, not
    /// bumped (every bump writes its tags), so entries already checked
    /// against it are still current.
    async fn create_tags(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::envelope::{ENVELOPE, ENVELOPE_LZ4};

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("t:{n}")).collect()
    }

    fn miss(lookup: Lookup<String>) -> Stamp {
        match lookup {
            Lookup::Miss(stamp) => stamp,
            Lookup::Hit { value, .. } => panic!("expected a miss, got {value}"),
        }
    }

    fn hit(lookup: Lookup<String>) -> (String, bool) {
        match lookup {
            Lookup::Hit {
                value, refresh_due, ..
            } => (value, refresh_due),
            Lookup::Miss(_) => panic!("expected a hit"),
        }
    }

    fn opts(depends_on: usize) -> FillOptions {
        FillOptions {
            depends_on,
            ttl: None,
            soft: None,
        }
    }

    #[test]
    fn a_fill_stamped_before_a_bump_is_rejected() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row", "list"]);
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        cache.bump_tags(&t[..1], None).unwrap(); // a writer commits meanwhile
        cache.fill_tagged("e", &stamp, opts(2), "old row").unwrap();
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        cache.fill_tagged("e", &stamp, opts(2), "new row").unwrap();
        assert_eq!(
            hit(cache.read_tagged("e", &t, None).unwrap()),
            ("new row".into(), false)
        );
    }

    #[test]
    fn large_entries_are_stored_compressed_and_damaged_ones_are_misses() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let big: String = (0..5_000).map(|i| format!("row {i};")).collect();
        let stamp = miss(cache.read_tagged("big", &t, None).unwrap());
        let bytes = cache.fill_tagged("big", &stamp, opts(1), &big).unwrap();
        assert_eq!(bytes[1], ENVELOPE_LZ4);
        assert!(
            bytes.len() * 2 < big.len(),
            "{} of {}",
            bytes.len(),
            big.len()
        );
        let fresh = Cache::from_url("memory://").unwrap(); // no decoded value kept
        fresh.backend().set("big", bytes.clone(), None).unwrap();
        let tag_keys: Vec<&str> = t.iter().map(String::as_str).collect();
        let versions = cache.backend().read_versions("big", &tag_keys).unwrap();
        let versions: Vec<(&str, u64)> = tag_keys
            .iter()
            .zip(versions)
            .map(|(t, v)| (*t, v.unwrap()))
            .collect();
        fresh.backend().write_versions(&versions, None).unwrap();
        assert_eq!(hit(fresh.read_tagged("big", &t, None).unwrap()).0, big);
        // A flipped byte in the compressed body: the digest catches it.
        let mut damaged = bytes.to_vec();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        fresh.backend().set("big", damaged.into(), None).unwrap();
        assert!(matches!(
            fresh.read_tagged::<String>("big", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        // A small entry stays as it was.
        let small = cache.fill_tagged("small", &stamp, opts(1), "tiny").unwrap();
        assert_eq!(small[1], ENVELOPE);
    }

    #[test]
    fn an_evicted_tag_never_validates_an_old_entry() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        cache.fill_tagged("e", &stamp, opts(1), "v").unwrap();
        cache.backend().clear("no key starts so").unwrap(); // tags evicted, entries kept
        assert!(matches!(
            cache.read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn entries_depend_only_on_their_first_tags() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row", "absent"]);
        let stamp = miss(cache.read_tagged("found", &t, None).unwrap());
        cache.fill_tagged("found", &stamp, opts(1), "row").unwrap();
        cache.fill_tagged("gone", &stamp, opts(2), "none").unwrap();
        cache.bump_tags(&t[1..], None).unwrap();
        assert!(matches!(
            cache.read_tagged::<String>("found", &t, None).unwrap(),
            Lookup::Hit { .. }
        ));
        assert!(matches!(
            cache.read_tagged::<String>("gone", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn a_soft_deadline_marks_a_valid_entry_due() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        let soft = FillOptions {
            soft: Some(Duration::from_millis(30)),
            ..opts(1)
        };
        cache.fill_tagged("e", &stamp, soft, "v").unwrap();
        assert_eq!(
            hit(cache.read_tagged("e", &t, None).unwrap()),
            ("v".into(), false)
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(
            hit(cache.read_tagged("e", &t, None).unwrap()),
            ("v".into(), true)
        );
    }

    #[test]
    fn every_flipped_byte_and_every_copy_under_another_key_is_a_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        let row = (1i32, "title".to_owned(), 7i64);
        let bytes = cache.fill_tagged("e", &stamp, opts(1), &row).unwrap();
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x80] {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= bit;
                cache
                    .backend()
                    .set("e", Bytes::from(flipped), None)
                    .unwrap();
                let read = cache.read_tagged::<(i32, String, i64)>("e", &t, None);
                assert!(
                    matches!(read, Ok(Lookup::Miss(_))),
                    "byte {i} ^ {bit:#x}: {read:?}"
                );
            }
        }
        // The same bytes under another key whose tags hold: still a miss.
        cache.backend().set("other", bytes.clone(), None).unwrap();
        assert!(matches!(
            cache
                .read_tagged::<(i32, String, i64)>("other", &t, None)
                .unwrap(),
            Lookup::Miss(_)
        ));
        cache.backend().set("e", bytes, None).unwrap();
        assert_eq!(
            match cache
                .read_tagged::<(i32, String, i64)>("e", &t, None)
                .unwrap()
            {
                Lookup::Hit { value, .. } => value,
                Lookup::Miss(_) => panic!("the original bytes are a hit"),
            },
            row
        );
    }

    #[test]
    fn an_entry_held_decoded_as_another_type_is_a_quiet_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let t: Vec<&str> = t.iter().map(String::as_str).collect();
        let stamp = miss(cache.read_tagged("e", &t, None).unwrap());
        cache.fill_tagged("e", &stamp, opts(1), "v").unwrap();
        let read = cache.read_tagged_shared::<String>("e", &t, None).unwrap();
        assert!(matches!(read, Lookup::Hit { ref value, .. } if value == "v"));
        // Held decoded as a String now: its bytes are gone.
        assert!(matches!(
            cache.read_tagged_shared::<i64>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        assert!(matches!(
            cache.read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        assert_eq!(cache.stats().undecodable, 0, "not damage: a miss");
    }

    #[test]
    fn garbage_under_an_entry_key_is_a_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        cache
            .backend()
            .set("e", Bytes::from_static(b"\xc1\x01\x93"), None)
            .unwrap();
        let t = tags(&["row"]);
        assert!(matches!(
            cache.read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        assert_eq!(cache.stats().undecodable, 1);
    }
}
