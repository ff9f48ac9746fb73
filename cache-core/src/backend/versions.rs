//! The in-process store's tag versions: 16 bytes a tag (the xxh3 of the
//! tag's key and its version), sharded, bounded (a full shard starts over:
//! entries then miss, never go stale). Two tags whose keys collide share a
//! version, so a bump of one also invalidates the other's entries: a miss,
//! never a stale read.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many tags a store without an entry bound keeps, at most.
pub(super) const DEFAULT_MAX_TAGS: usize = 1 << 20;
const SHARDS: usize = 16;

type Shard = RwLock<HashMap<u64, u64, BuildHasherDefault<Prehashed>>>;

/// Tag versions by the xxh3 of their key, sharded.
#[derive(Debug)]
pub(super) struct Versions {
    shards: Box<[Shard]>,
    per_shard: usize,
    /// Moves after every write of a version (see [`TagStore::generation`]).
    pub(super) generation: AtomicU64,
}

/// The keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Versions {
    pub(super) fn new(max: usize) -> Self {
        Versions {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            per_shard: max.div_ceil(SHARDS).max(16),
            generation: AtomicU64::new(0),
        }
    }

    fn locate(&self, tag: &str) -> (&Shard, u64) {
        let hash = xxhash_rust::xxh3::xxh3_64(tag.as_bytes());
        (&self.shards[(hash >> 60) as usize % SHARDS], hash)
    }

    pub(super) fn get(&self, tag: &str) -> Option<u64> {
        let (shard, hash) = self.locate(tag);
        shard
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hash)
            .copied()
    }

    /// Sets (`replace`) or creates (keeping what is there) `tag`'s version;
    /// returns the version it holds now.
    pub(super) fn put(&self, tag: &str, version: u64, replace: bool) -> u64 {
        let (shard, hash) = self.locate(tag);
        let mut map = shard.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.per_shard && !map.contains_key(&hash) {
            map.clear(); // forgetting versions is safe: their entries miss
        }
        if replace {
            map.insert(hash, version);
            version
        } else {
            *map.entry(hash).or_insert(version)
        }
    }

    pub(super) fn clear(&self) {
        for shard in self.shards.iter() {
            shard.write().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_stays_bounded_and_a_create_keeps_what_is_there() {
        let v = Versions::new(SHARDS * 16);
        for i in 0..100_000 {
            v.put(&format!("tag{i}"), 1, true);
        }
        assert!(v.len() <= SHARDS * 16, "{}", v.len());
        assert_eq!(v.put("a", 7, false), 7, "created");
        assert_eq!(v.put("a", 8, false), 7, "kept");
        assert_eq!(v.put("a", 9, true), 9, "replaced");
        let g = v.generation.load(Ordering::SeqCst);
        v.clear();
        assert_eq!(v.get("a"), None);
        assert!(v.generation.load(Ordering::SeqCst) > g);
    }
}
