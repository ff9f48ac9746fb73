//! The entries of one shard's table, in place: an open-addressing hash
//! table with linear probing over 48-byte slots (the key's 128-bit hash
//! and the entry), no control bytes. A hit reads the slots from the key's
//! home to its own, most often one or two cache lines, where a table with
//! control bytes (hashbrown's, quick_cache's) reads a line of those first.
//! Removal shifts the probe run back (no tombstones); the table doubles
//! past 7/8 full.
//!
//! A key's home is the low bits of the first half of its hash (the shard
//! is chosen by the second half). Keys are unique; the caller looks a key
//! up before it adds one.

use super::{Hashed, Stored};

/// A table of entries by key, as described in the module's documentation.
#[derive(Debug, Default)]
pub(super) struct Slots {
    slots: Box<[Option<(Hashed, Stored)>]>,
    len: usize,
}

impl Slots {
    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn home(&self, hash: u64) -> usize {
        hash as usize & self.mask()
    }

    /// Where the first slot from `hash`'s home that `found` accepts is
    /// (none before an empty slot: the probe run ends there).
    fn find(&self, hash: u64, found: impl Fn(&Hashed) -> bool) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut at = self.home(hash);
        loop {
            match &self.slots[at] {
                None => return None,
                Some((key, _)) if found(key) => return Some(at),
                Some(_) => at = (at + 1) & self.mask(),
            }
        }
    }

    /// Where `key` is.
    #[inline]
    pub(super) fn position(&self, key: &Hashed) -> Option<usize> {
        self.find(key.0, |k| k == key)
    }

    /// Where a key whose first half is `hash` is (the queues of the
    /// eviction policy name entries so: two keys of one shard that share
    /// 64 bits of hash are one chance in 2^64).
    pub(super) fn position_of_hash(&self, hash: u64) -> Option<usize> {
        self.find(hash, |k| k.0 == hash)
    }

    /// The entry under `key`.
    #[inline]
    pub(super) fn get(&self, key: &Hashed) -> Option<&Stored> {
        self.position(key).map(|at| self.at(at))
    }

    /// The entry at `at` (a position just found).
    pub(super) fn at(&self, at: usize) -> &Stored {
        match &self.slots[at] {
            Some((_, stored)) => stored,
            None => unreachable!("a position just found holds an entry"),
        }
    }

    /// The entry at `at` (a position just found), to change.
    pub(super) fn at_mut(&mut self, at: usize) -> &mut Stored {
        match &mut self.slots[at] {
            Some((_, stored)) => stored,
            None => unreachable!("a position just found holds an entry"),
        }
    }

    /// Adds `stored` under `key`, which no entry holds.
    pub(super) fn add(&mut self, key: Hashed, stored: Stored) {
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mut at = self.home(key.0);
        while self.slots[at].is_some() {
            at = (at + 1) & self.mask();
        }
        self.slots[at] = Some((key, stored));
        self.len += 1;
    }

    /// Removes the entry at `at` (a position just found), shifting back
    /// the entries after it whose probe run it was on.
    pub(super) fn remove_at(&mut self, at: usize) -> (Hashed, Stored) {
        let taken = self.slots[at].take();
        let Some(entry) = taken else {
            unreachable!("a position just found holds an entry");
        };
        self.len -= 1;
        let mask = self.mask();
        let (mut hole, mut next) = (at, (at + 1) & mask);
        while let Some((key, _)) = &self.slots[next] {
            // The entry at `next` may fill the hole if its home is not
            // in the cyclic range (hole, next].
            let home = self.home(key.0);
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.slots[hole] = self.slots[next].take();
                hole = next;
            }
            next = (next + 1) & mask;
        }
        entry
    }

    /// Every entry.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Hashed, &Stored)> {
        self.slots
            .iter()
            .flatten()
            .map(|(key, stored)| (key, stored))
    }

    /// Takes every entry out, keeping the table's size.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = Stored> + '_ {
        self.len = 0;
        self.slots
            .iter_mut()
            .filter_map(|slot| slot.take().map(|(_, stored)| stored))
    }

    /// Doubles the table (16 slots at first).
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        self.len = 0;
        for (key, stored) in old.into_vec().into_iter().flatten() {
            self.add(key, stored);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::entry;
    use super::*;
    use std::collections::HashMap;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Adds and removals of keys whose homes collide often (few bits
        /// of hash), against a `HashMap`: the same entries are found, and
        /// none that was removed.
        #[test]
        fn finds_what_a_map_holds(ops in proptest::collection::vec((proptest::bool::ANY, 0u64..64, 0u64..4), 1..400)) {
            let mut slots = Slots::default();
            let mut model: HashMap<Hashed, u32> = HashMap::new();
            for (n, (add, low, high)) in ops.into_iter().enumerate() {
                // Homes among few slots; keys that differ only in the
                // second half, or only above the home's bits.
                let key = Hashed(low | (high << 40), high);
                if add {
                    if slots.position(&key).is_none() {
                        slots.add(key, entry(n as u32));
                        model.insert(key, n as u32);
                    }
                } else {
                    let removed = slots.position(&key).map(|at| slots.remove_at(at).1.weight);
                    proptest::prop_assert_eq!(removed, model.remove(&key));
                }
                proptest::prop_assert_eq!(slots.len(), model.len());
                for (key, weight) in &model {
                    proptest::prop_assert_eq!(slots.get(key).map(|s| s.weight), Some(*weight));
                }
                proptest::prop_assert_eq!(slots.iter().count(), model.len());
            }
            proptest::prop_assert_eq!(slots.drain().count(), model.len());
            proptest::prop_assert_eq!(slots.len(), 0);
        }
    }
}
