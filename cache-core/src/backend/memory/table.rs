//! One shard's table: the entries in place in a hash table ([`Slots`]: a
//! hit reads the entry's slot, and the slots before it in its probe run,
//! nothing else of the store), evicted by quick_cache's policy (a
//! CLOCK-PRO/S3-FIFO hybrid) kept beside it.
//!
//! Why not quick_cache's own single-threaded cache, which this replaces
//! (measured by `compare` and `eviction`, see BENCHMARKS.md): its table
//! holds a token into a slab whose 64-byte slots straddle two cache lines,
//! so a hit among 100,000 entries brought ~6 lines from beyond the L2
//! where a plain map brings ~3.7; and a table of our own with plain CLOCK
//! (tried before this one) lost 3.4 points of hit ratio on a Zipf trace. This
//! one keeps quick_cache's policy and its figures:
//!
//! - an entry enters the *hot* queue while the hot share of the weight
//!   ([`super::HOT_SHARE`]) is not full (the table is filling), else the
//!   *cold* (probationary) queue;
//! - a hit sets the entry's reference count (up to [`MAX_REFERENCED`]),
//!   with a plain store and only when it changes: hits write nothing once
//!   an entry is hot;
//! - to make room, the cold queue's oldest entry moves to the hot queue if
//!   it was read since it came (its count spent by one), else it is
//!   evicted and its key's hash kept as a *ghost*; the hot queue (CLOCK)
//!   evicts its oldest entry not read since the last pass;
//! - a key inserted while it is a ghost (evicted cold, then wanted again)
//!   enters the hot queue; ghosts are at most half the entries expected.
//!
//! The queues hold keys (the first half of their hash, 8 bytes), not
//! places: an entry removed (deleted, expired) leaves its key in its
//! queue, skipped when reached (compacted when the skipped keys outnumber
//! the entries).

use super::slots::Slots;
use super::{Hashed, Stored};
use crate::backend::versions::Prehashed;
use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU8, Ordering};

/// The most a hit raises an entry's reference count to (quick_cache's).
pub(super) const MAX_REFERENCED: u8 = 2;

/// The share of the expected entries kept as ghosts (quick_cache's).
const GHOSTS: f64 = 0.5;

type Hasher = BuildHasherDefault<Prehashed>;

/// An entry's place in the eviction policy, kept in the entry (in the
/// padding after its weight: an entry is 48 bytes with its key).
#[derive(Debug, Default)]
pub(super) struct Policy {
    /// Hits since the entry came or was last passed by its queue's hand
    /// (written under the shard's read lock: atomic).
    referenced: AtomicU8,
    hot: bool,
}

impl Clone for Policy {
    fn clone(&self) -> Self {
        Policy {
            referenced: AtomicU8::new(self.referenced.load(Ordering::Relaxed)),
            hot: self.hot,
        }
    }
}

/// One shard's entries, bounded by weight ([`Stored::weight`]).
#[derive(Debug)]
pub(super) struct Table {
    entries: Slots,
    /// The queues, by the first half of their entries' key hashes.
    hot: VecDeque<u64>,
    cold: VecDeque<u64>,
    ghosts: Ghosts,
    weight_hot: u64,
    weight_cold: u64,
    target_hot: u64,
    capacity: u64,
}

/// The hashes of keys evicted from the cold queue, oldest first.
#[derive(Debug, Default)]
struct Ghosts {
    set: HashSet<u64, Hasher>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl Ghosts {
    fn add(&mut self, hash: u64) {
        if self.capacity == 0 || !self.set.insert(hash) {
            return;
        }
        self.order.push_back(hash);
        while self.set.len() > self.capacity || self.order.len() > 2 * self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.set.remove(&oldest);
                }
                None => break,
            }
        }
    }

    /// Whether `hash` was a ghost (it is no longer).
    fn take(&mut self, hash: u64) -> bool {
        self.set.remove(&hash)
    }
}

impl Table {
    /// A table holding up to `capacity` in weight, expecting about `items`
    /// entries (the ghosts' bound); `target_hot` of the weight is the hot
    /// queue's, and the heaviest entry admitted.
    pub(super) fn new(capacity: u64, target_hot: u64, items: usize) -> Self {
        Table {
            entries: Slots::default(),
            hot: VecDeque::new(),
            cold: VecDeque::new(),
            ghosts: Ghosts {
                capacity: (items as f64 * GHOSTS) as usize,
                ..Ghosts::default()
            },
            weight_hot: 0,
            weight_cold: 0,
            target_hot,
            capacity,
        }
    }

    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry under `key`, counted as read.
    #[inline]
    pub(super) fn get(&self, key: &Hashed) -> Option<&Stored> {
        let stored = self.entries.get(key)?;
        let referenced = stored.policy.referenced.load(Ordering::Relaxed);
        if referenced < MAX_REFERENCED {
            // A lost update between readers costs one count, not a write
            // of every hit to this line.
            stored
                .policy
                .referenced
                .store(referenced + 1, Ordering::Relaxed);
        }
        Some(stored)
    }

    /// The entry under `key`, not counted as read.
    pub(super) fn peek(&self, key: &Hashed) -> Option<&Stored> {
        self.entries.get(key)
    }

    /// The total weight of the queue `stored` is in.
    fn weight_of(&mut self, hot: bool) -> &mut u64 {
        if hot {
            &mut self.weight_hot
        } else {
            &mut self.weight_cold
        }
    }

    /// `f` of the entry under `key`, changed in place or replaced (its
    /// weight counted anew after, its place in the policy kept; an entry
    /// made heavier is made room for at the next insert).
    pub(super) fn update<R>(
        &mut self,
        key: &Hashed,
        f: impl FnOnce(&mut Stored) -> R,
    ) -> Option<R> {
        let at = self.entries.position(key)?;
        let slot = self.entries.at_mut(at);
        let before = u64::from(slot.weight);
        let policy = std::mem::take(&mut slot.policy);
        let out = f(slot);
        slot.policy = policy;
        let (after, hot) = (u64::from(slot.weight), slot.policy.hot);
        let total = self.weight_of(hot);
        *total = *total - before + after;
        Some(out)
    }

    /// Every entry.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Hashed, &Stored)> {
        self.entries.iter()
    }

    /// Removes the entry at `at` from the table and its weight from its
    /// queue's (its hash stays in the queue, skipped when reached).
    fn take(&mut self, at: usize) -> Stored {
        let (_, stored) = self.entries.remove_at(at);
        *self.weight_of(stored.policy.hot) -= u64::from(stored.weight);
        stored
    }

    /// Removes the entry under `key`.
    pub(super) fn remove(&mut self, key: &Hashed) -> Option<Stored> {
        let at = self.entries.position(key)?;
        let stored = self.take(at);
        self.compact();
        Some(stored)
    }

    /// Removes the entry under `key` if `f` says so.
    pub(super) fn remove_if(
        &mut self,
        key: &Hashed,
        f: impl FnOnce(&Stored) -> bool,
    ) -> Option<Stored> {
        if f(self.peek(key)?) {
            self.remove(key)
        } else {
            None
        }
    }

    /// Takes every entry out (ghosts too).
    pub(super) fn drain(&mut self) -> impl Iterator<Item = Stored> + '_ {
        self.hot.clear();
        self.cold.clear();
        self.ghosts.set.clear();
        self.ghosts.order.clear();
        (self.weight_hot, self.weight_cold) = (0, 0);
        self.entries.drain()
    }

    /// Stores `stored` under `key`, making room first; what it replaces
    /// or evicts goes to `dropped`. An entry heavier than the hot queue's
    /// share is not admitted (the caller refuses it first; here it only
    /// takes out what `key` held).
    pub(super) fn insert(&mut self, key: Hashed, mut stored: Stored, dropped: &mut Vec<Stored>) {
        let weight = u64::from(stored.weight);
        if weight > self.target_hot {
            dropped.extend(self.remove(&key));
            dropped.push(stored);
            return;
        }
        if let Some(at) = self.entries.position(&key) {
            // In its place in its queue, as read once more.
            let slot = self.entries.at_mut(at);
            let referenced = slot.policy.referenced.get_mut();
            *referenced = (*referenced + 1).min(MAX_REFERENCED);
            let hot = slot.policy.hot;
            stored.policy = std::mem::take(&mut slot.policy);
            let old = std::mem::replace(slot, stored);
            let total = self.weight_of(hot);
            *total = *total - u64::from(old.weight) + weight;
            dropped.push(old);
        } else {
            let hot = if self.ghosts.take(key.0) {
                true
            } else {
                // While filling, into the hot queue.
                self.weight_hot + weight <= self.target_hot
            };
            // Room first: the new entry is not the first to go.
            while self.weight_hot + self.weight_cold + weight > self.capacity
                && self.advance_cold(dropped)
            {}
            stored.policy = Policy {
                referenced: AtomicU8::new(0),
                hot,
            };
            self.entries.add(key, stored);
            *self.weight_of(hot) += weight;
            if hot {
                self.hot.push_back(key.0);
            } else {
                self.cold.push_back(key.0);
            }
        }
        while self.weight_hot + self.weight_cold > self.capacity && self.advance_cold(dropped) {}
    }

    /// Where the entry a queue names by `hash` is, if it is still in that
    /// queue (`hot`).
    fn queued(&self, hash: u64, hot: bool) -> Option<usize> {
        let at = self.entries.position_of_hash(hash)?;
        (self.entries.at(at).policy.hot == hot).then_some(at)
    }

    /// The cold queue's oldest entry moves to the hot queue if it was read
    /// (then the hot queue is trimmed to its share), else is evicted and
    /// becomes a ghost; with no cold entry, the hot queue evicts. Whether
    /// anything moved.
    fn advance_cold(&mut self, dropped: &mut Vec<Stored>) -> bool {
        while let Some(hash) = self.cold.pop_front() {
            let Some(at) = self.queued(hash, false) else {
                continue; // removed since, or queued twice
            };
            let slot = self.entries.at_mut(at);
            let weight = u64::from(slot.weight);
            let referenced = slot.policy.referenced.get_mut();
            if *referenced > 0 {
                *referenced -= 1;
                slot.policy.hot = true;
                self.weight_cold -= weight;
                self.weight_hot += weight;
                self.hot.push_back(hash);
                while self.weight_hot > self.target_hot && self.advance_hot(dropped) {}
                return true;
            }
            dropped.push(self.take(at));
            self.ghosts.add(hash);
            return true;
        }
        self.advance_hot(dropped)
    }

    /// The hot queue's hand: passes (and spends a count of) the entries
    /// read since its last pass, evicts the first one that was not.
    /// Whether it evicted.
    fn advance_hot(&mut self, dropped: &mut Vec<Stored>) -> bool {
        while let Some(hash) = self.hot.pop_front() {
            let Some(at) = self.queued(hash, true) else {
                continue;
            };
            let referenced = self.entries.at_mut(at).policy.referenced.get_mut();
            if *referenced > 0 {
                *referenced -= 1;
                self.hot.push_back(hash);
                continue;
            }
            dropped.push(self.take(at));
            return true;
        }
        false
    }

    /// Drops from the queues the hashes of entries no longer there, and
    /// the older copies of a hash queued twice (a key removed and added
    /// again), once the queues hold more than twice the entries: after
    /// it they hold exactly the entries, so a removal costs a compaction
    /// only after as many removals as there are entries.
    fn compact(&mut self) {
        if self.hot.len() + self.cold.len() <= 2 * self.entries.len() + 64 {
            return;
        }
        self.hot = self.live_names(&self.hot, true);
        self.cold = self.live_names(&self.cold, false);
    }

    /// The hashes of `queue` that name an entry still in it (`hot`), the
    /// last copy of each, in their order.
    fn live_names(&self, queue: &VecDeque<u64>, hot: bool) -> VecDeque<u64> {
        let mut seen: HashSet<u64, Hasher> = HashSet::default();
        let mut live: Vec<u64> = (queue.iter().rev())
            .filter(|hash| seen.insert(**hash) && self.queued(**hash, hot).is_some())
            .copied()
            .collect();
        live.reverse();
        live.into()
    }

    /// Checks the table's counts against its entries (tests).
    #[cfg(test)]
    pub(super) fn check(&self) {
        let (mut hot, mut cold) = (0, 0);
        for (key, stored) in self.entries.iter() {
            let weight = u64::from(stored.weight);
            let queue = if stored.policy.hot {
                hot += weight;
                &self.hot
            } else {
                cold += weight;
                &self.cold
            };
            assert!(queue.contains(&key.0), "an entry in no queue");
        }
        assert_eq!((hot, cold), (self.weight_hot, self.weight_cold));
        assert!(
            hot + cold <= self.capacity,
            "{hot} + {cold} over {}",
            self.capacity
        );
    }
}

/// An entry of `weight` holding a byte (tests).
#[cfg(test)]
pub(super) fn entry(weight: u32) -> Stored {
    Stored {
        memo: super::held::Held::new(crate::backend::Kept::holding(bytes::Bytes::from_static(
            b"v",
        ))),
        expires_at: u64::MAX,
        weight,
        policy: Policy::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry with its key is 48 bytes, a slot too: a slot crosses a
    /// cache line boundary at most every other time.
    #[test]
    fn an_entry_with_its_key_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Option<(Hashed, Stored)>>(), 48);
    }

    /// An entry read since it came survives a pass of new entries that
    /// are not read (the probationary queue evicts those first), and a
    /// key evicted from it comes back hot.
    #[test]
    fn read_entries_outlive_a_scan() {
        let mut table = Table::new(100, 97, 100);
        let mut dropped = Vec::new();
        for k in 0..100 {
            table.insert(Hashed(k, 0), entry(1), &mut dropped);
        }
        for k in 0..50 {
            assert!(table.get(&Hashed(k, 0)).is_some());
        }
        for k in 1_000..1_300 {
            table.insert(Hashed(k, 0), entry(1), &mut dropped);
            table.check();
        }
        let kept = (0..50)
            .filter(|k| table.peek(&Hashed(*k, 0)).is_some())
            .count();
        assert!(kept >= 45, "{kept} of the 50 read entries kept");
        let evicted = (1_000..1_300)
            .rev()
            .map(|k| Hashed(k, 0))
            .find(|key| table.peek(key).is_none())
            .expect("the scan evicted some of its keys");
        table.insert(evicted, entry(1), &mut dropped);
        assert!(table.peek(&evicted).is_some_and(|s| s.policy.hot));
        table.check();
    }

    /// Keys removed and added again, pass after pass (a delete and a
    /// set, an expired entry refilled): the queues are compacted once per
    /// about as many removals as there are entries. (They kept both
    /// copies of a hash queued twice, so once every key had been
    /// recycled, every removal rescanned the shard's queues under its
    /// lock: 17 s for a pass of 100,000 where it took 0.09.)
    #[test]
    fn recycled_keys_compact_the_queues_now_and_then_only() {
        let mut table = Table::new(1_000_000, 970_000, 1_000_000);
        let mut dropped = Vec::new();
        for k in 0..1_000 {
            table.insert(Hashed(k, 0), entry(1), &mut dropped);
        }
        let queued = |table: &Table| table.hot.len() + table.cold.len();
        let mut compactions = 0;
        for _pass in 0..4 {
            for k in 0..1_000 {
                let before = queued(&table);
                table.remove(&Hashed(k, 0));
                table.insert(Hashed(k, 0), entry(1), &mut dropped);
                compactions += usize::from(queued(&table) <= before);
            }
        }
        assert!(
            compactions <= 8,
            "{compactions} compactions in 4,000 removals"
        );
        table.check();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Random inserts (new keys and replacements, of random weights),
        /// reads, removals, weight changes and drains: the weights counted
        /// are the entries', never over the capacity, every entry is in
        /// its queue, and a new entry admitted is there after its insert.
        #[test]
        fn the_counts_hold_whatever_is_done(
            ops in proptest::collection::vec((0u8..6, 0u64..40, 1u32..30), 1..300)
        ) {
            let mut table = Table::new(100, 97, 40);
            let mut dropped = Vec::new();
            for (op, k, weight) in ops {
                let key = Hashed(k, k ^ 7);
                match op {
                    0 | 1 => {
                        let new = table.peek(&key).is_none();
                        table.insert(key, entry(weight), &mut dropped);
                        if new {
                            proptest::prop_assert!(table.peek(&key).is_some());
                        }
                    }
                    2 => {
                        table.get(&key);
                    }
                    3 => {
                        table.remove(&key);
                    }
                    4 => {
                        table.update(&key, |s| *s = entry(weight));
                        while table.weight_hot + table.weight_cold > table.capacity
                            && table.advance_cold(&mut dropped)
                        {}
                    }
                    _ if k == 0 => {
                        table.drain().for_each(drop);
                    }
                    _ => {
                        table.remove_if(&key, |s| s.weight > 10);
                    }
                }
                table.check();
            }
        }
    }
}
