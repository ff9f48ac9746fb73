//! The in-process store's table: entries held in place, one slot of 32
//! bytes each (the key's 128-bit hash and the [`Memo`]), in open-addressed
//! shards probed linearly, bounded by weight with CLOCK eviction.
//!
//! Why not quick_cache, which held them before: its hit reads a control
//! byte group, then a bucket holding a slab index, then the slab slot
//! holding the key and the value: three dependent cache lines before the
//! entry's own, where a slot here is one (two when the probe crosses a
//! line). Among 100,000 entries, where every line is a miss, that was most
//! of the hit (docs/benchmarks-history.md).
//!
//! Eviction is CLOCK (second chance): a hit sets the slot's referenced
//! bit (a load first: a hot slot already marked is not written), and a
//! shard over its weight sweeps its hand over the slots, clearing set bits
//! and evicting the first entry found unmarked. An entry is placed where
//! its hash says, so a new one sits anywhere relative to the hand: entries
//! never read again go first, at random among themselves.

use super::{Kept, Memo};
use parking_lot::RwLock;
#[cfg(test)]
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bit of a slot's second hash word that says "read since the hand
/// last passed" (so keys are told apart by the other 127 bits).
const REFERENCED: u64 = 1 << 63;

/// A key as the table holds it: a 128-bit hash, the top bit of the second
/// word clear (it is the slot's referenced bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key(pub(super) u64, pub(super) u64);

impl Key {
    pub(super) fn new(a: u64, b: u64) -> Key {
        Key(a, b & !REFERENCED)
    }
}

/// One entry, in place; `memo: None` is an empty slot.
#[repr(C, align(32))]
struct Slot {
    h0: u64,
    /// The key's second word, with [`REFERENCED`].
    h1: AtomicU64,
    memo: Option<Memo>,
}

impl Slot {
    fn empty() -> Slot {
        Slot {
            h0: 0,
            h1: AtomicU64::new(0),
            memo: None,
        }
    }

    fn holds(&self, key: Key) -> bool {
        self.memo.is_some()
            && self.h0 == key.0
            && self.h1.load(Ordering::Relaxed) & !REFERENCED == key.1
    }
}

struct Shard {
    slots: Box<[Slot]>,
    len: usize,
    weight: u64,
    /// The CLOCK hand.
    hand: usize,
}

/// The smallest table a shard holds once it holds anything.
const MIN_SLOTS: usize = 16;

impl Shard {
    fn new() -> Shard {
        Shard {
            slots: Box::new([]),
            len: 0,
            weight: 0,
            hand: 0,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn find(&self, key: Key) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = key.0 as usize & mask;
        loop {
            let slot = &self.slots[i];
            slot.memo.as_ref()?;
            if slot.holds(key) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Empties slot `i` and shifts back the entries after it that probed
    /// past it (no tombstones); returns its memo.
    fn remove_at(&mut self, mut i: usize) -> Memo {
        let mask = self.mask();
        let memo = self.slots[i].memo.take().expect("an occupied slot");
        self.len -= 1;
        self.weight -= u64::from(memo.weight());
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            if self.slots[j].memo.is_none() {
                break;
            }
            let home = self.slots[j].h0 as usize & mask;
            // Stays if its home lies cyclically in (i, j].
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if stays {
                continue;
            }
            let moved = std::mem::replace(&mut self.slots[j], Slot::empty());
            self.slots[i] = moved;
            i = j;
        }
        memo
    }

    /// Places an entry known absent (the table has room).
    fn place(&mut self, key: Key, memo: Memo) {
        let mask = self.mask();
        let mut i = key.0 as usize & mask;
        while self.slots[i].memo.is_some() {
            i = (i + 1) & mask;
        }
        self.weight += u64::from(memo.weight());
        self.len += 1;
        self.slots[i] = Slot {
            h0: key.0,
            h1: AtomicU64::new(key.1),
            memo: Some(memo),
        };
    }

    /// Makes room for one more entry: at most 13 in 16 slots taken (probes
    /// stay short), doubling.
    fn grow_for_one(&mut self) {
        let n = self.slots.len();
        if (self.len + 1) * 16 <= n * 13 {
            return;
        }
        let bigger = (n * 2).max(MIN_SLOTS);
        let old = std::mem::replace(
            &mut self.slots,
            (0..bigger).map(|_| Slot::empty()).collect(),
        );
        let (len, weight) = (self.len, self.weight);
        self.len = 0;
        self.weight = 0;
        self.hand = 0;
        for slot in old.into_vec() {
            let h1 = slot.h1.load(Ordering::Relaxed);
            if let Some(memo) = slot.memo {
                self.place(Key(slot.h0, h1 & !REFERENCED), memo);
            }
        }
        debug_assert_eq!((self.len, self.weight), (len, weight));
    }

    /// Evicts one entry (CLOCK), into `out`; `false` if empty.
    fn evict_one(&mut self, out: &mut Vec<Memo>) -> bool {
        if self.len == 0 {
            return false;
        }
        let mask = self.mask();
        // Two turns clear every mark: an unmarked entry is found by then.
        for _ in 0..=2 * self.slots.len() {
            let i = self.hand & mask;
            let slot = &mut self.slots[i];
            if slot.memo.is_some() {
                let h1 = slot.h1.get_mut();
                if *h1 & REFERENCED == 0 {
                    // The hand stays: what shifts back into `i` is next.
                    out.push(self.remove_at(i));
                    return true;
                }
                *h1 &= !REFERENCED;
            }
            self.hand = self.hand.wrapping_add(1);
        }
        false
    }

    fn drain(&mut self, out: &mut Vec<Memo>) {
        let slots = std::mem::replace(&mut self.slots, Box::new([]));
        out.extend(slots.into_vec().into_iter().filter_map(|s| s.memo));
        self.len = 0;
        self.weight = 0;
        self.hand = 0;
    }
}

/// A shard on its own cache lines (its lock is written by every access).
#[repr(align(128))]
struct Padded(RwLock<Shard>);

/// The table: shards of slots, each with its share of the weight bound.
pub(super) struct Slots {
    shards: Box<[Padded]>,
    /// `shards.len() - 1` (a power of two).
    shard_mask: u64,
    shard_capacity: u64,
}

/// What an update of an entry in place decided.
pub(super) enum Update<T> {
    /// Kept (perhaps with a new memo).
    Keep(T),
    /// Removed.
    Remove(T),
}

impl Slots {
    /// `shards` (a power of two) sharing `capacity` of weight.
    pub(super) fn new(shards: usize, capacity: u64) -> Slots {
        let shards = shards.max(1).next_power_of_two();
        Slots {
            shards: (0..shards)
                .map(|_| Padded(RwLock::new(Shard::new())))
                .collect(),
            shard_mask: shards as u64 - 1,
            shard_capacity: (capacity / shards as u64).max(1),
        }
    }

    fn shard(&self, key: Key) -> &RwLock<Shard> {
        // The high bits: the low ones place the entry in its shard.
        &self.shards[((key.0 >> 40) & self.shard_mask) as usize].0
    }

    /// The weight a shard holds at most.
    pub(super) fn shard_capacity(&self) -> u64 {
        self.shard_capacity
    }

    /// The memo under `key`, marked read.
    pub(super) fn get(&self, key: Key) -> Option<Memo> {
        let shard = self.shard(key).read();
        let i = shard.find(key)?;
        let slot = &shard.slots[i];
        if slot.h1.load(Ordering::Relaxed) & REFERENCED == 0 {
            slot.h1.fetch_or(REFERENCED, Ordering::Relaxed);
        }
        slot.memo.clone()
    }

    /// Stores `memo` under `key` (its weight no more than a shard's
    /// share), evicting what the bound requires.
    pub(super) fn insert(&self, key: Key, memo: Memo) {
        let mut out = Vec::new();
        {
            let mut shard = self.shard(key).write();
            if let Some(i) = shard.find(key) {
                out.push(shard.remove_at(i));
            }
            self.make_room(&mut shard, u64::from(memo.weight()), &mut out);
            shard.place(key, memo);
        }
        drop(out);
    }

    /// Stores `memo` under `key` unless `keep` says what is there stays;
    /// says whether it stored.
    pub(super) fn insert_unless(
        &self,
        key: Key,
        memo: Memo,
        keep: impl Fn(&Kept<dyn std::any::Any + Send + Sync>) -> bool,
    ) -> bool {
        let mut out = Vec::new();
        let stored = {
            let mut shard = self.shard(key).write();
            match shard.find(key) {
                Some(i) if keep(shard.slots[i].memo.as_ref().expect("occupied")) => false,
                found => {
                    if let Some(i) = found {
                        out.push(shard.remove_at(i));
                    }
                    self.make_room(&mut shard, u64::from(memo.weight()), &mut out);
                    shard.place(key, memo);
                    true
                }
            }
        };
        drop(out);
        stored
    }

    fn make_room(&self, shard: &mut Shard, weight: u64, out: &mut Vec<Memo>) {
        while shard.weight + weight > self.shard_capacity && shard.evict_one(out) {}
        shard.grow_for_one();
    }

    /// Runs `update` on the memo under `key`, if any: it may replace it
    /// (same weight or not) or have it removed. `None`: absent.
    pub(super) fn update<T>(
        &self,
        key: Key,
        update: impl FnOnce(&mut Memo) -> Update<T>,
    ) -> Option<T> {
        let mut out = Vec::new();
        let answer = {
            let mut shard = self.shard(key).write();
            let i = shard.find(key)?;
            let before = shard.slots[i].memo.as_ref().map_or(0, |m| m.weight());
            let memo = shard.slots[i].memo.as_mut().expect("occupied");
            match update(memo) {
                Update::Keep(answer) => {
                    let after = memo.weight();
                    if after != before {
                        // Reweighed: taken out and put back under the bound.
                        shard.weight = shard.weight - u64::from(before) + u64::from(after);
                        let memo = shard.remove_at(i);
                        self.make_room(&mut shard, u64::from(after), &mut out);
                        shard.place(key, memo);
                    }
                    answer
                }
                Update::Remove(answer) => {
                    out.push(shard.remove_at(i));
                    answer
                }
            }
        };
        drop(out);
        Some(answer)
    }

    /// Removes the entry under `key`, if `remove` says so of its memo.
    pub(super) fn remove_if(&self, key: Key, remove: impl FnOnce(&Memo) -> bool) -> Option<Memo> {
        let mut shard = self.shard(key).write();
        let i = shard.find(key)?;
        if !remove(shard.slots[i].memo.as_ref().expect("occupied")) {
            return None;
        }
        Some(shard.remove_at(i))
    }

    /// Keeps only the entries whose memo `keep` accepts.
    pub(super) fn retain(&self, keep: impl Fn(&Memo) -> bool) {
        for shard in self.shards.iter() {
            let mut out = Vec::new();
            {
                let mut shard = shard.0.write();
                let mut i = 0;
                while i < shard.slots.len() {
                    // What shifts back into `i` is looked at too.
                    match &shard.slots[i].memo {
                        Some(memo) if !keep(memo) => out.push(shard.remove_at(i)),
                        _ => i += 1,
                    }
                }
            }
            drop(out);
        }
    }

    pub(super) fn clear(&self) {
        for shard in self.shards.iter() {
            let mut out = Vec::new();
            shard.0.write().drain(&mut out);
            drop(out);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.0.read().len).sum()
    }

    #[cfg(test)]
    pub(super) fn weight(&self) -> u64 {
        self.shards.iter().map(|s| s.0.read().weight).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::collections::HashMap;

    fn memo(weight: u32) -> Memo {
        Kept::stored(Bytes::from_static(b"v"), u64::MAX, weight)
    }

    /// A small deterministic generator (xorshift).
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn inserts_and_removals_agree_with_a_map() {
        // Few distinct homes: long probe runs, wrapping, shifts back.
        let slots = Slots::new(1, u64::MAX);
        let mut model: HashMap<Key, Memo> = HashMap::new();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for step in 0..5_000 {
            let r = next(&mut state);
            let key = Key::new(r % 97 * 0x0101_0101 + (r % 7), r % 97);
            match step % 5 {
                0 | 1 => {
                    let m = memo(1);
                    slots.insert(key, m.clone());
                    model.insert(key, m);
                }
                2 => {
                    let removed = slots.remove_if(key, |_| true);
                    let expected = model.remove(&key);
                    assert_eq!(removed.is_some(), expected.is_some());
                }
                3 => {
                    if let Some(target) = model.remove(&key) {
                        slots.retain(|m| !Arc::ptr_eq(m, &target));
                    }
                }
                _ => {}
            }
            for (k, m) in &model {
                let found = slots.get(*k).expect("present");
                assert!(Arc::ptr_eq(&found, m));
            }
            assert_eq!(slots.len(), model.len());
            assert_eq!(slots.weight(), model.len() as u64);
        }
    }

    #[test]
    fn the_weight_bound_holds_and_read_entries_stay() {
        let slots = Slots::new(1, 1_000);
        let hot: Vec<Key> = (0..50).map(|i| Key::new(i * 7_919, i)).collect();
        for key in &hot {
            slots.insert(*key, memo(10));
        }
        let mut state = 42;
        for i in 0..10_000u64 {
            for key in &hot {
                let _ = slots.get(*key);
            }
            let r = next(&mut state);
            slots.insert(Key::new(r, i), memo(1 + (r % 20) as u32));
            assert!(slots.weight() <= 1_000, "{}", slots.weight());
        }
        let kept = hot.iter().filter(|k| slots.get(**k).is_some()).count();
        assert!(kept >= 45, "hot entries kept: {kept} of 50");
    }

    #[test]
    fn update_reweighs_and_removes() {
        let slots = Slots::new(1, 100);
        let key = Key::new(1, 2);
        slots.insert(key, memo(10));
        assert_eq!(
            slots.update(key, |m| {
                *m = memo(30);
                Update::Keep(1)
            }),
            Some(1)
        );
        assert_eq!(slots.weight(), 30);
        assert_eq!(slots.update(key, |_| Update::Remove(2)), Some(2));
        assert_eq!((slots.len(), slots.weight()), (0, 0));
        assert_eq!(slots.update(key, |_| Update::Keep(3)), None);
        assert!(slots.insert_unless(key, memo(5), |_| true));
        assert!(!slots.insert_unless(key, memo(6), |_| true));
        assert!(slots.insert_unless(key, memo(7), |_| false));
        assert_eq!(slots.weight(), 7);
        slots.clear();
        assert_eq!((slots.len(), slots.weight()), (0, 0));
        assert!(slots.get(key).is_none());
    }
}
