//! The in-process store's tag versions: 24 bytes a tag (the xxh3 of the
//! tag's key, its version and when it expires), sharded, bounded: a tag
//! lives as long as it was written or created for, as on Redis, and a full
//! shard drops its expired tags, or else starts over (entries then miss,
//! never go stale). Two tags whose keys collide share a version, so a bump
//! of one also invalidates the other's entries: a miss, never a stale read.

use crate::backend::TagClock;
use crate::protocol::stamp::is_pending;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many tags a store without an entry bound keeps, at most.
pub(super) const DEFAULT_MAX_TAGS: usize = 1 << 20;
const SHARDS: usize = 16;

type Shard = RwLock<HashMap<u64, Slot, BuildHasherDefault<Prehashed>>>;

/// A tag's version and the millisecond (since the table was made) from
/// which it is gone.
#[derive(Debug, Clone, Copy)]
struct Slot {
    version: u64,
    until: u64,
}

impl Slot {
    fn live(self, now: u64) -> bool {
        now < self.until
    }
}

/// Tag versions by the xxh3 of their key, sharded.
#[derive(Debug)]
pub(super) struct Versions {
    shards: Box<[Shard]>,
    per_shard: usize,
    /// Moves after every write of a version (see [`TagStore::generation`]).
    pub(super) generation: AtomicU64,
    /// Moves each written tag's slot after the write, and all after a
    /// clear (see [`TagStore::tag_clock`]).
    pub(super) clock: TagClock,
}

/// The hasher of maps whose keys are hashes already (here, and the
/// in-process store's).
#[derive(Default)]
pub(super) struct Prehashed(u64);

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
            clock: TagClock::new(),
        }
    }

    /// Milliseconds on the coarse clock (`timeout::coarse_now_ms`, below
    /// `u64::MAX`).
    fn now(&self) -> u64 {
        crate::timeout::coarse_now_ms().min(u64::MAX - 1)
    }

    /// The millisecond from which a tag given `ttl` now is gone (rounded
    /// up: a tag outlives its lifetime by at most a millisecond and a tick
    /// of the coarse clock, and falls short of it by at most a tick: an
    /// early end is a miss, never a stale read).
    fn until(&self, ttl: Option<Duration>) -> u64 {
        let Some(ttl) = ttl else { return u64::MAX };
        let ms = u64::try_from(ttl.as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        self.now().saturating_add(ms)
    }

    fn locate(&self, tag: &str) -> (&Shard, u64) {
        let hash = xxhash_rust::xxh3::xxh3_64(tag.as_bytes());
        (&self.shards[(hash >> 60) as usize % SHARDS], hash)
    }

    pub(super) fn get(&self, tag: &str) -> Option<u64> {
        let (shard, hash) = self.locate(tag);
        let now = self.now();
        shard
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hash)
            .filter(|slot| slot.live(now))
            .map(|slot| slot.version)
    }

    /// Sets (`replace`) or creates (keeping a live one) `tag`'s version,
    /// to live `ttl` (`None`: until forgotten); returns the version it
    /// holds now.
    pub(super) fn put(&self, tag: &str, version: u64, replace: bool, ttl: Option<Duration>) -> u64 {
        self.write_slot(tag, version, replace, ttl, None).0
    }

    /// Sets `tag`'s version, to live `ttl`, unless it holds a pending
    /// version other than `expected` (another writer's announcement, left
    /// to lapse); returns the live version it held (one lock: nothing
    /// comes between).
    pub(super) fn swap(
        &self,
        tag: &str,
        version: u64,
        ttl: Option<Duration>,
        expected: u64,
    ) -> Option<u64> {
        self.write_slot(tag, version, true, ttl, Some(expected)).1
    }

    /// [`Versions::put`], also returning the live version there before.
    fn write_slot(
        &self,
        tag: &str,
        version: u64,
        replace: bool,
        ttl: Option<Duration>,
        keeps_pending_but: Option<u64>,
    ) -> (u64, Option<u64>) {
        let (shard, hash) = self.locate(tag);
        let now = self.now();
        let mine = Slot {
            version,
            until: self.until(ttl),
        };
        let mut map = shard.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.per_shard && !map.contains_key(&hash) {
            // Forgetting versions is safe: their entries miss. Expired
            // ones first; the live ones only if the shard is still full.
            map.retain(|_, slot| slot.live(now));
            if map.len() >= self.per_shard {
                map.clear();
            }
        }
        match map.get_mut(&hash) {
            Some(slot) if !replace && slot.live(now) => (slot.version, Some(slot.version)),
            Some(slot)
                if slot.live(now)
                    && is_pending(slot.version)
                    && keeps_pending_but.is_some_and(|mine| mine != slot.version) =>
            {
                (slot.version, Some(slot.version))
            }
            Some(slot) => {
                let before = slot.live(now).then_some(slot.version);
                *slot = mine;
                (version, before)
            }
            None => {
                map.insert(hash, mine);
                (version, None)
            }
        }
    }

    /// Replaces a live `tag`'s version, keeping its lifetime; an absent
    /// or expired one stays absent.
    pub(super) fn replace_live(&self, tag: &str, version: u64) {
        let (shard, hash) = self.locate(tag);
        let now = self.now();
        let mut map = shard.write().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = map.get_mut(&hash).filter(|slot| slot.live(now)) {
            slot.version = version;
        }
    }

    pub(super) fn clear(&self) {
        for shard in self.shards.iter() {
            shard.write().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.clock.tick_all();
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
            v.put(&format!("tag{i}"), 1, true, None);
        }
        assert!(v.len() <= SHARDS * 16, "{}", v.len());
        assert_eq!(v.put("a", 7, false, None), 7, "created");
        assert_eq!(v.put("a", 8, false, None), 7, "kept");
        assert_eq!(v.put("a", 9, true, None), 9, "replaced");
        v.replace_live("a", 10);
        assert_eq!(v.get("a"), Some(10), "a live one replaced");
        assert_eq!(
            v.swap("a", 13, None, 10),
            Some(10),
            "swapped: the one before"
        );
        assert_eq!(v.swap("a", 10, None, 1), Some(13));
        assert_eq!(v.swap("new", 14, None, 1), None, "swapped in: none before");
        assert_eq!(v.get("new"), Some(14));
        // Another writer's announcement is kept; one's own is swapped.
        let pending = crate::protocol::stamp::PENDING;
        v.put("held", pending, true, None);
        assert_eq!(v.swap("held", 15, None, 1), Some(pending));
        assert_eq!(v.get("held"), Some(pending), "another's announcement kept");
        assert_eq!(v.swap("held", 15, None, pending), Some(pending));
        assert_eq!(v.get("held"), Some(15), "one's own swapped");
        v.replace_live("absent", 11);
        assert_eq!(v.get("absent"), None, "an absent one left absent");
        v.put("short", 1, true, Some(Duration::from_millis(1)));
        // Past the coarse clock's next tick (10 ms at HZ=100).
        std::thread::sleep(Duration::from_millis(30));
        v.replace_live("short", 12);
        assert_eq!(v.get("short"), None, "an expired one left expired");
        let g = v.generation.load(Ordering::SeqCst);
        v.clear();
        assert_eq!(v.get("a"), None);
        assert!(v.generation.load(Ordering::SeqCst) > g);
    }

    #[test]
    fn tags_expire_and_a_full_shard_drops_the_expired_first() {
        let v = Versions::new(SHARDS * 16);
        // Long enough to be read before it expires on a loaded machine.
        let short = Some(Duration::from_millis(300));
        assert_eq!(v.put("brief", 1, false, short), 1);
        assert_eq!(v.put("lasting", 2, false, None), 2);
        assert_eq!(v.get("brief"), Some(1));
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(v.get("brief"), None, "expired");
        assert_eq!(v.put("brief", 3, false, short), 3, "created anew");
        // Many more short-lived tags than the table holds, a few at a
        // time: full shards drop the expired ones and keep the lasting tag.
        for round in 0..20 {
            for i in 0..SHARDS * 4 {
                v.put(
                    &format!("r{round}:{i}"),
                    1,
                    true,
                    Some(Duration::from_millis(5)),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(v.get("lasting"), Some(2));
        assert!(v.len() <= SHARDS * 16, "{}", v.len());
    }
}
