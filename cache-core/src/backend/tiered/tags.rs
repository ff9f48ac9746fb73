//! The tag versions this process knows, kept coherent by the tracking
//! connection (`tracking.rs`).
//!
//! Redis's client-side caching documentation describes a race: a read's
//! reply (on a data connection) can arrive after the invalidation of what it
//! read (on the tracking connection), and a client that then stores the
//! reply keeps a value that no further message will remove. The table closes
//! it the way the documentation suggests, with one counter per shard instead
//! of one placeholder per key: a reader notes its tags' shard counters
//! *before* sending its read and learns the versions from the reply only if
//! those counters have not moved; [`TagTable::forget`] moves the counter
//! *before* it removes a key. Either the reader's check sees the moved
//! counter (and learns nothing), or its insertion happened first and the
//! removal that follows takes it away.

use crate::backend::TagClock;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

const SHARDS: usize = 64;

/// Tag key → its last known version, sharded.
pub(super) struct TagTable {
    shards: Box<[Shard]>,
    hasher: Xxh3DefaultBuilder,
    /// Moves after every removal: what [`Backend::tag_generation`](crate::Backend::tag_generation) reports.
    generation: AtomicU64,
    /// At most this many tags per shard; a full shard starts over.
    per_shard: usize,
    /// Moves a tag's slot after it is forgotten, all after a flush: what
    /// [`TagStore::tag_clock`](crate::backend::TagStore::tag_clock) lends.
    pub(super) clock: TagClock,
}

#[derive(Default)]
struct Shard {
    /// Moves before every removal from this shard.
    seq: AtomicU64,
    map: RwLock<HashMap<Box<str>, u64, Xxh3DefaultBuilder>>,
}

/// Where a reader stood before sending its read: the shard's counter.
#[derive(Debug, Clone, Copy)]
pub(super) struct Before(u64);

impl TagTable {
    /// A table holding at most about `max_tags` versions.
    pub(super) fn new(max_tags: usize) -> Self {
        TagTable {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            hasher: Xxh3DefaultBuilder::new(),
            generation: AtomicU64::new(0),
            per_shard: max_tags.div_ceil(SHARDS).max(16),
            clock: TagClock::new(),
        }
    }

    fn shard(&self, key: &str) -> &Shard {
        let hash = self.hasher.hash_one(key);
        &self.shards[(hash as usize) % SHARDS]
    }

    /// The known version of `key`.
    pub(super) fn get(&self, key: &str) -> Option<u64> {
        let map = self
            .shard(key)
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner());
        map.get(key).copied()
    }

    /// To be called before sending a read of `key`: see [`TagTable::learn`].
    pub(super) fn before(&self, key: &str) -> Before {
        Before(self.shard(key).seq.load(Ordering::SeqCst))
    }

    /// Keeps `value` as the version of `key` read by a read sent after
    /// `before`, unless something in its shard was forgotten since.
    pub(super) fn learn(&self, key: &str, before: Before, value: u64) {
        let shard = self.shard(key);
        let mut map = shard.map.write().unwrap_or_else(|e| e.into_inner());
        if shard.seq.load(Ordering::SeqCst) != before.0 {
            return;
        }
        if map.len() >= self.per_shard && !map.contains_key(key) {
            // Full: start the shard over (forgetting is always safe).
            shard.seq.fetch_add(1, Ordering::SeqCst);
            map.clear();
            self.clock.tick_all();
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        map.insert(key.into(), value);
    }

    /// Forgets `keys` (invalidated, or written by this process).
    pub(super) fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        for key in keys {
            let shard = self.shard(key);
            shard.seq.fetch_add(1, Ordering::SeqCst);
            shard
                .map
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(key);
            // After the removal: a reader whose time predates this tick
            // may have read the old version, and its memo's time moves;
            // one that read the time after it finds the version gone.
            self.clock.tick(key);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Forgets everything (the tracking connection was lost or re-made, or
    /// the server flushed its keys).
    pub(super) fn flush(&self) {
        for shard in self.shards.iter() {
            shard.seq.fetch_add(1, Ordering::SeqCst);
            shard.map.write().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.clock.tick_all();
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Moves on every removal.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How many versions are known.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.map.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_read_before_an_invalidation_is_not_learned_after_it() {
        let t = TagTable::new(1000);
        let before = t.before("a");
        t.forget(["a"]); // the invalidation overtakes the reply
        t.learn("a", before, 1);
        assert_eq!(t.get("a"), None);
        let before = t.before("a");
        t.learn("a", before, 2);
        assert_eq!(t.get("a"), Some(2));
        t.forget(["a"]); // the invalidation after the reply
        assert_eq!(t.get("a"), None);
    }

    #[test]
    fn a_flush_forgets_everything_and_stops_reads_in_flight() {
        let t = TagTable::new(1000);
        let before = t.before("a");
        t.learn("b", t.before("b"), 1);
        let g = t.generation();
        t.flush();
        assert!(t.generation() > g);
        t.learn("a", before, 1);
        assert_eq!((t.get("a"), t.get("b"), t.len()), (None, None, 0));
    }

    #[test]
    fn the_table_stays_bounded() {
        let t = TagTable::new(64 * 16);
        for i in 0..100_000 {
            let key = format!("tag{i}");
            t.learn(&key, t.before(&key), 1);
        }
        assert!(t.len() <= 64 * 16, "{}", t.len());
    }
}
