//! The tiered store: a bounded in-process tier in front of Redis, kept
//! coherent across processes by Redis's server-assisted invalidation
//! (`redis://host:port?local=64m`).
//!
//! What is kept locally, and why it stays right:
//!
//! - **Entries** (details, lists, cached queries) as the bytes Redis held,
//!   with their decoded value (the [`Memo`]), for at most their remaining
//!   lifetime in Redis. An entry is never trusted for itself: like every
//!   entry, it is valid only while the versions it was stamped with are the
//!   current versions of its tags. Keeping an old copy is therefore never
//!   wrong, at worst useless.
//! - **Tag versions**, learned from the replies of reads, forgotten as soon
//!   as Redis says a tag key was written (`tracking.rs`: `CLIENT TRACKING`
//!   in broadcast mode on the tag prefix), or when this process writes one.
//!   The race between a read's reply and an invalidation is closed in
//!   `tags.rs`.
//!
//! A read whose entry and tags are all known locally makes no round trip;
//! any other read is one `MGET` (plus the entry's `PTTL`) that also teaches
//! the tier. The local tier answers only while the tracking connection has
//! proved, within the freshness window (`local_window`, 10 ms by default),
//! that every invalidation sent before has been applied: a lost or lagging
//! connection means every read goes to Redis, never a stale local answer.
//! A write made by this process forgets the local versions of the tags it
//! wrote once Redis acknowledged it, so this process reads its own writes at
//! once; other processes do within the window (in practice, one loopback
//! message: tens of microseconds).

mod tags;
#[cfg(feature = "tokio")]
mod tiered_async;
mod tracking;

#[cfg(feature = "unstable-store-api")]
pub use self::tracking::CONNECTION_NAME;

use self::tags::{Before, TagTable};
use self::tracking::{Channel, Target};
use super::{
    Announce, Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Kept, Memo, MemoryBackend,
    Noting, RedisBackend, Swap, TagClock, TagStore,
};
use crate::error::{Error, Result};
use crate::key::{KeyBuilder, KeyParts, Namespace};
use crate::timeout::Ttl;
use bytes::Bytes;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

/// Roughly what one known tag version costs, to derive how many are kept.
const BYTES_PER_TAG: u64 = 160;

/// Options of [`TieredBackend::new`].
#[derive(Debug, Clone)]
pub struct TieredOptions {
    /// Bytes of entries (keys and encoded values) the local tier holds.
    pub local_bytes: u64,
    /// How old the local tier's proof of coherence may be before it stops
    /// answering (see the module documentation).
    pub window: Duration,
    /// How long to wait for the tracking connection.
    pub connect_timeout: Duration,
    /// How long to wait before connecting it again after a failure.
    pub retry_after: Duration,
}

/// Redis behind a coherent in-process tier (see the module documentation).
pub struct TieredBackend {
    remote: Arc<RedisBackend>,
    local: MemoryBackend,
    channel: Arc<Channel>,
    /// Tag keys start with this (and are tracked).
    tag_head: String,
    /// Entry keys start with one of these (and are kept locally).
    entry_heads: [String; 3],
}

impl std::fmt::Debug for TieredBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TieredBackend")
            .field("remote", &self.remote)
            .field("tracking", &self.channel.is_up())
            .finish()
    }
}

impl Drop for TieredBackend {
    fn drop(&mut self) {
        self.channel.close();
    }
}

impl TieredBackend {
    /// A tiered store over `remote` for the keys of `keys` (its prefix), and
    /// the thread that keeps its tracking connection. Needs a `redis://`
    /// server reached over TCP (Redis 6 or later).
    pub fn new(remote: RedisBackend, keys: &KeyBuilder, options: TieredOptions) -> Result<Self> {
        let Some((server, username, password)) = remote.tcp_address() else {
            return Err(Error::config(
                format!("{remote:?}"),
                "local=: the local tier needs a redis:// server reached over TCP",
            ));
        };
        let tag_head = keys.namespace_head(Namespace::Tag);
        let max_tags = (options.local_bytes / BYTES_PER_TAG).max(1024);
        let channel = Arc::new(Channel::new(
            TagTable::new(usize::try_from(max_tags).unwrap_or(usize::MAX)),
            options.window,
        ));
        let target = Target {
            server,
            username,
            password,
            prefix: tag_head.clone(),
            connect_timeout: options.connect_timeout,
            retry_after: options.retry_after,
        };
        tracking::spawn(target, channel.clone())
            .map_err(|e| Error::config("local=", format!("cannot start tracking: {e}")))?;
        Ok(TieredBackend {
            remote: Arc::new(remote),
            local: MemoryBackend::new(None, Some(options.local_bytes)),
            channel,
            tag_head,
            entry_heads: [Namespace::Detail, Namespace::List, Namespace::Query]
                .map(|ns| keys.namespace_head(ns)),
        })
    }

    fn is_tag(&self, key: &str) -> bool {
        key.starts_with(&self.tag_head)
    }

    fn is_entry(&self, key: &str) -> bool {
        self.entry_heads.iter().any(|head| key.starts_with(head))
    }

    /// After a write of `keys` (acknowledged or not): this process must not
    /// trust what it knew of them.
    fn wrote(&self, keys: &[&str]) {
        let tags = keys.iter().copied().filter(|k| self.is_tag(k));
        if tags.clone().next().is_some() {
            self.channel.tags.forget(tags);
        }
        for key in keys.iter().filter(|k| !self.is_tag(k)) {
            let _ = self.local.delete(key);
        }
    }

    /// The local tier's answer, when it may answer (its tracking is
    /// fresh) and knows the entry and every tag: what a read without a
    /// claim returns with no round trip.
    /// Whether the local tier may answer: what it knows is at most one
    /// window old, and Redis serves entries (no breaker open, no grace
    /// after trouble: bumps other processes owe may not have landed, and
    /// no invalidation of them can have reached this tier).
    fn answers_locally(&self) -> bool {
        self.channel.fresh() && self.remote.serves_entries()
    }

    fn local_answer(&self, key: &str, tags: &[&str]) -> Option<Fetched> {
        if !self.answers_locally() {
            return None;
        }
        self.local_read(key, tags)
    }

    /// The local tier's answers to `reads` (`None` where it has none), and
    /// the indices of those it has none for.
    fn local_answers(&self, reads: &[(&str, &[&str])]) -> (Vec<Option<Fetched>>, Vec<usize>) {
        let found: Vec<Option<Fetched>> = reads
            .iter()
            .map(|(key, tags)| self.local_answer(key, tags))
            .collect();
        let remote = (0..reads.len()).filter(|&i| found[i].is_none()).collect();
        (found, remote)
    }

    /// [`TieredBackend::learn_reply`] for each of a batch's remote `reads`
    /// (at `remote` in `found`), each read sent after its `before`.
    fn learn_replies(
        &self,
        reads: &[(&str, &[&str])],
        remote: &[usize],
        before: Vec<Vec<Before>>,
        replies: Vec<(Fetched, Option<Duration>)>,
        found: &mut [Option<Fetched>],
    ) {
        for ((&i, before), (mut fetched, ttl)) in remote.iter().zip(before).zip(replies) {
            let (key, tags) = reads[i];
            self.learn_reply(key, tags, before, &mut fetched, ttl);
            found[i] = Some(fetched);
        }
    }

    /// Where each tag's shard stood before a read of Redis is sent: see
    /// [`TieredBackend::learn_reply`].
    fn before_reading(&self, tags: &[&str]) -> Vec<Before> {
        tags.iter().map(|t| self.channel.tags.before(t)).collect()
    }

    /// What Redis answered a read sent after `before` (the entry, its
    /// remaining lifetime, its tags' versions) teaches the local tier: the
    /// versions (unless forgotten meanwhile), and the entry or its absence.
    fn learn_reply(
        &self,
        key: &str,
        tags: &[&str],
        before: Vec<Before>,
        fetched: &mut Fetched,
        ttl: Option<Duration>,
    ) {
        if self.channel.is_up() {
            for ((tag, before), version) in tags.iter().zip(before).zip(&fetched.versions) {
                if let Some(version) = version
                    && self.is_tag(tag)
                {
                    self.channel.tags.learn(tag, before, *version);
                }
            }
        }
        match &fetched.entry {
            Some(bytes) if self.is_entry(key) => {
                fetched.memo = Some(self.local.keep(key, bytes, ttl));
            }
            _ => {
                let _ = self.local.delete(key);
            }
        }
    }

    /// After a read with `claim` (answered or not): the tags it may have
    /// created and its lease were written by this process.
    fn claimed(&self, claim: &Claim<'_>) {
        let mut written: Vec<&str> = claim.create.iter().map(|(tag, _)| *tag).collect();
        written.push(claim.lease);
        self.wrote(&written);
    }

    /// After a fill of `key` (stored if `stored`) releasing `release`.
    fn filled(&self, key: &str, bytes: &Bytes, ttl: Ttl, release: Option<&str>, stored: bool) {
        self.wrote(&[key]);
        if let Some(lease) = release {
            self.wrote(&[lease]);
        }
        if stored && self.is_entry(key) {
            self.local.keep(key, bytes, ttl);
        }
    }

    /// After a write of tag versions (acknowledged or not).
    fn wrote_versions(&self, tags: &[(&str, u64)]) {
        self.channel.tags.forget(tags.iter().map(|(t, _)| *t));
    }

    /// The entry and its tags, all known locally.
    fn local_read(&self, key: &str, tags: &[&str]) -> Option<Fetched> {
        let (bytes, memo) = self.local.lookup(key)?;
        let mut versions = Vec::with_capacity(tags.len());
        for tag in tags {
            if !self.is_tag(tag) {
                return None;
            }
            versions.push(Some(self.channel.tags.get(tag)?));
        }
        Some(Fetched {
            entry: Some(bytes),
            memo: Some(memo),
            versions,
            leased: false,
        })
    }

    /// A read with a claim goes to Redis: it follows a miss, whose stale
    /// local copy was discarded already, so the reads that follow (a
    /// waiter polling for another process's fill) go to Redis too. The
    /// tags it may have created are forgotten like any this process wrote.
    fn claiming_read(&self, key: &str, tags: &[&str], claim: &Claim<'_>) -> Result<Fetched> {
        let answer = self.remote.read_entry(key, tags, Some(claim));
        self.claimed(claim);
        answer
    }
}

impl TagStore for TieredBackend {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        let written = self.remote.write_versions(tags, ttl);
        self.wrote_versions(tags);
        written
    }

    fn create_versions(&self, entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        let created = self.remote.create_versions(entry, tags, ttl);
        self.wrote_versions(tags);
        created
    }

    fn read_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        self.remote.read_versions(entry, tags)
    }

    fn swap_and_fill(&self, swap: Swap<'_>) -> Result<Option<bool>> {
        let (tag, version, key, bytes, ttl) = (
            swap.tag,
            swap.version,
            swap.key,
            swap.bytes.clone(),
            swap.ttl,
        );
        let bump = swap.bump;
        let swapped = self.remote.swap_and_fill(swap);
        self.wrote_versions(&[(tag, version)]);
        self.wrote_versions(bump);
        self.filled(key, &bytes, ttl, None, matches!(swapped, Ok(Some(true))));
        swapped
    }

    fn announce_and_note(&self, announce: Announce<'_>) -> Result<Option<Noting>> {
        let noted = self.remote.announce_and_note(announce);
        self.wrote_versions(announce.pending);
        self.wrote_versions(&[announce.own]);
        noted
    }

    fn generation(&self) -> Option<u64> {
        // `fresh` first: it proves that every invalidation sent before the
        // proof was applied, each moving the generation before the proof
        // moved; a generation read after it includes them all. Read before
        // it, the generation could predate a backlog applied meanwhile.
        if !self.answers_locally() {
            return None;
        }
        Some(self.channel.tags.generation())
    }

    fn tag_clock(&self) -> Option<&TagClock> {
        // As `generation`: read after the proof of freshness.
        if !self.answers_locally() {
            return None;
        }
        Some(&self.channel.tags.clock)
    }
}

impl EntryStore for TieredBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        if let Some(claim) = claim {
            return self.claiming_read(key, tags, claim);
        }
        if let Some(found) = self.local_answer(key, tags) {
            return Ok(found);
        }
        let before = self.before_reading(tags);
        let (mut fetched, ttl) = self.remote.read_entry_with_ttl(key, tags)?;
        self.learn_reply(key, tags, before, &mut fetched, ttl);
        Ok(fetched)
    }

    /// The local tier's answers, and one round trip to Redis for the rest.
    fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        let (mut found, remote) = self.local_answers(reads);
        if remote.len() > 1 {
            let asked: Vec<(&str, &[&str])> = remote.iter().map(|&i| reads[i]).collect();
            let before = asked
                .iter()
                .map(|(_, tags)| self.before_reading(tags))
                .collect();
            let replies = self.remote.read_entries_with_ttl(&asked)?;
            self.learn_replies(reads, &remote, before, replies, &mut found);
        }
        reads
            .iter()
            .zip(found)
            .map(|((key, tags), found)| match found {
                Some(found) => Ok(found),
                None => self.read_entry(key, tags, None),
            })
            .collect()
    }

    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        let stored = self.remote.fill(key, bytes.clone(), ttl, release);
        self.filled(key, &bytes, ttl, release, stored.is_ok());
        stored
    }

    fn kept(&self, key: &str) -> Option<Memo> {
        if !self.answers_locally() {
            return None;
        }
        self.kept_after_generation(key)
    }

    /// (`generation` checked that the tier answers locally, nanoseconds
    /// before: the clock read and the breaker's look are not repeated.)
    fn kept_after_generation(&self, key: &str) -> Option<Memo> {
        self.local.kept(key)
    }

    fn kept_by_parts(&self, key: KeyParts<'_>) -> Option<Memo> {
        self.local.kept_by_parts(key)
    }

    fn read_kept_by_parts(
        &self,
        key: KeyParts<'_>,
        read: &mut dyn FnMut(&Kept<dyn Any + Send + Sync>),
    ) -> bool {
        self.local.read_kept_by_parts(key, read)
    }

    fn discard(&self, key: &str) {
        let _ = self.local.delete(key);
    }

    fn keep_decoded(&self, key: &str, raw: &Memo, decoded: &Memo) {
        self.local.keep_decoded(key, raw, decoded);
    }
}

impl Backend for TieredBackend {
    fn kind(&self) -> &'static str {
        "tiered"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: true,
            keeps_decoded: true,
        }
    }

    #[cfg(feature = "tokio")]
    fn async_store(self: Arc<Self>) -> Option<Arc<dyn super::AsyncStore>> {
        tiered_async::AsyncTiered::of(self).map(|twin| Arc::new(twin) as Arc<dyn super::AsyncStore>)
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.remote.get(key)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.remote.get_many(keys)
    }

    fn local_tier_ready(&self) -> Option<bool> {
        Some(self.channel.fresh())
    }

    fn serves_entries(&self) -> bool {
        self.remote.serves_entries()
    }

    fn dropped_entries(&self) -> u64 {
        self.remote.dropped()
    }

    fn refused_entries(&self) -> u64 {
        self.local.refused()
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        let stored = self.remote.set(key, value.clone(), ttl);
        self.wrote(&[key]);
        if stored.is_ok() && self.is_entry(key) {
            self.local.keep(key, &value, ttl);
        }
        stored
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        let stored = self.remote.set_many(entries, ttl);
        let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
        self.wrote(&keys);
        stored
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        let added = self.remote.add(key, value, ttl);
        self.wrote(&[key]);
        added
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let deleted = self.remote.delete(key);
        self.wrote(&[key]);
        deleted
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        let deleted = self.remote.delete_many(keys);
        self.wrote(keys);
        deleted
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        self.remote.has_key(key)
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        let touched = self.remote.touch(key, ttl);
        self.wrote(&[key]);
        touched
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        let outcome = self.remote.incr(key, delta);
        self.wrote(&[key]);
        outcome
    }

    fn keys_under(&self, prefix: &str, each: &mut dyn FnMut(&[String])) -> Result<bool> {
        self.remote.keys_under(prefix, each)
    }

    fn clear(&self, prefix: &str) -> Result<()> {
        let cleared = self.remote.clear(prefix);
        self.local.clear(prefix)?;
        self.channel.tags.flush();
        cleared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiered store whose Redis is not there (a port nobody listens on).
    pub(super) fn unreachable() -> TieredBackend {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = super::super::RedisOptions {
            connect_timeout: Duration::from_millis(50),
            response_timeout: Duration::from_millis(50),
            retry_after: Duration::from_millis(50),
            pool_size: 1,
            tls_ca: None,
            replicas: 0,
        };
        let remote = RedisBackend::connect(&format!("redis://127.0.0.1:{port}/"), options).unwrap();
        let options = TieredOptions {
            local_bytes: 1 << 20,
            window: Duration::from_millis(10),
            connect_timeout: Duration::from_millis(50),
            retry_after: Duration::from_millis(50),
        };
        TieredBackend::new(remote, &KeyBuilder::new("p"), options).unwrap()
    }

    #[test]
    fn a_write_forgets_what_this_process_knew_even_when_it_fails() {
        let tiered = unreachable();
        let tags = &tiered.channel.tags;
        type Write<'a> = &'a dyn Fn(&TieredBackend, &str);
        let writes: [Write; 5] = [
            &|b, k| drop(b.write_versions(&[(k, 2)], None)),
            &|b, k| drop(b.create_versions(k, &[(k, 2)], None)),
            &|b, k| drop(b.set_many(&[(k, Bytes::from_static(b"2"))], None)),
            &|b, k| drop(b.delete(k)),
            &|b, k| drop(b.set(k, Bytes::from_static(b"2"), None)),
        ];
        for write in writes {
            tags.learn("p:t:a", tags.before("p:t:a"), 1);
            write(&tiered, "p:t:a");
            assert_eq!(tags.get("p:t:a"), None);
        }
    }

    #[test]
    fn without_tracking_nothing_is_answered_locally() {
        let tiered = unreachable();
        let one = Bytes::from_static(b"1");
        tiered.local.keep("p:d:x", &one, None);
        let tags = &tiered.channel.tags;
        tags.learn("p:t:a", tags.before("p:t:a"), 1);
        assert_eq!(tiered.local_tier_ready(), Some(false));
        assert!(tiered.kept("p:d:x").is_none());
        assert!(tiered.generation().is_none());
        assert!(
            tiered.read_entry("p:d:x", &["p:t:a"], None).is_err(),
            "goes to Redis"
        );
    }
}
