//! A clock per tag (per slot of tags): what lets a value kept decoded in
//! this process be served without looking its tags up while none of *its*
//! tags was written, where one counter for the whole store
//! ([`TagStore::generation`](super::TagStore::generation)) stops every
//! kept value at every write anywhere.
//!
//! Each tag falls in one of 1,024 slots (by the xxh3 of its key), each
//! slot a counter that the store moves *after* it changes or forgets the
//! version of a tag in it (the order [`TagStore::generation`] keeps too).
//! A reader notes, before its lookup, the sum of its tags' slots (the
//! [`TagTime`]); a memo whose tags held in that lookup records it. While
//! the sum has not moved, no tag of the memo was written since: the
//! counters only grow, so an equal sum means each one is equal. A write to
//! another tag of the same slot moves it too: a look at the tags, never a
//! stale read. A memo of more than six tags is stamped by the store's
//! generation instead.

use std::sync::atomic::{AtomicU64, Ordering};

const SLOT_BITS: u32 = 10;
const SLOTS: usize = 1 << SLOT_BITS;
/// The most tags whose slots a [`TagTime`] packs (3 bits of count, 6 × 10
/// bits of slot).
const MAX_TAGS: usize = 6;

/// Counters by slot of tags, moved after each change of a tag's version.
pub struct TagClock {
    slots: Box<[AtomicU64]>,
}

impl std::fmt::Debug for TagClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagClock").finish_non_exhaustive()
    }
}

impl Default for TagClock {
    fn default() -> Self {
        TagClock {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// Where a lookup of some tags stood before it: for the memo it checks
/// (see [`Kept::checked`](super::Kept::checked)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTime {
    /// The store's [`generation`](super::TagStore::generation).
    Generation(u64),
    /// The sum of the tags' slots, and the slots packed.
    Clock {
        /// The slots: a count (low 3 bits), then 10 bits each.
        slots: u64,
        /// Their sum.
        at: u64,
    },
}

impl TagTime {
    /// What a memo keeps of it: 1 + the counter, shifted, with the kind
    /// in the low bit (a memo's kind never changes: it follows from its
    /// store and its tags), so 0 stays "never".
    pub(crate) fn mark(self) -> u64 {
        match self {
            TagTime::Generation(g) => g.wrapping_add(1) << 1,
            TagTime::Clock { at, .. } => (at.wrapping_add(1) << 1) | 1,
        }
    }

    /// Whether `mark` is of a clock's time.
    pub(crate) fn marks_clock(mark: u64) -> bool {
        mark & 1 == 1
    }
}

fn slot(tag: &str) -> usize {
    (xxhash_rust::xxh3::xxh3_64(tag.as_bytes()) >> (64 - SLOT_BITS)) as usize
}

impl TagClock {
    /// A clock at 0 everywhere.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves `tag`'s slot: to be called after its version changed or was
    /// forgotten.
    pub fn tick(&self, tag: &str) {
        self.slots[slot(tag)].fetch_add(1, Ordering::SeqCst);
    }

    /// Moves every tag's time: after the store forgot them all (every
    /// slot, one by one: rare, and a hit then reads no extra counter).
    pub fn tick_all(&self) {
        for slot in self.slots.iter() {
            slot.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The time of `tags` now, to be read before looking them up; `None`
    /// for more than six tags (the generation then stamps the memo).
    pub fn time_of(&self, tags: &[&str]) -> Option<TagTime> {
        if tags.is_empty() || tags.len() > MAX_TAGS {
            return None;
        }
        let slots = tags
            .iter()
            .enumerate()
            .fold(tags.len() as u64, |packed, (i, tag)| {
                packed | ((slot(tag) as u64) << (3 + SLOT_BITS as usize * i))
            });
        Some(TagTime::Clock {
            slots,
            at: self.at(slots),
        })
    }

    /// The sum of the packed `slots`.
    pub(crate) fn at(&self, slots: u64) -> u64 {
        let count = (slots & 0b111) as usize;
        let mut at = 0u64;
        for i in 0..count.min(MAX_TAGS) {
            let slot = (slots >> (3 + SLOT_BITS as usize * i)) as usize & (SLOTS - 1);
            at = at.wrapping_add(self.slots[slot].load(Ordering::SeqCst));
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: Option<TagTime>) -> u64 {
        match time {
            Some(TagTime::Clock { at, .. }) => at,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_tick_moves_the_time_of_the_tags_in_its_slot_only() {
        let clock = TagClock::new();
        let tags = ["t:a", "t:b", "t:c"];
        let before = clock.time_of(&tags);
        let Some(TagTime::Clock { slots, .. }) = before else {
            panic!("{before:?}")
        };
        // Another tag, in none of their slots: the time holds.
        let other = (0..)
            .map(|i| format!("t:other{i}"))
            .find(|t| tags.iter().all(|tag| slot(tag) != slot(t)))
            .unwrap();
        clock.tick(&other);
        assert_eq!(clock.at(slots), at(before));
        for tag in tags {
            let was = clock.at(slots);
            clock.tick(tag);
            assert!(clock.at(slots) > was, "{tag}");
        }
        let was = clock.at(slots);
        clock.tick_all();
        assert!(clock.at(slots) > was);
    }

    #[test]
    fn more_than_six_tags_or_none_have_no_clock_time() {
        let clock = TagClock::new();
        assert!(clock.time_of(&[]).is_none());
        assert!(clock.time_of(&["a", "b", "c", "d", "e", "f"]).is_some());
        assert!(
            clock
                .time_of(&["a", "b", "c", "d", "e", "f", "g"])
                .is_none()
        );
    }

    #[test]
    fn marks_keep_their_kind_and_never_read_as_never() {
        for n in [0, 1, 7, u64::MAX >> 2] {
            let g = TagTime::Generation(n).mark();
            let c = TagTime::Clock { slots: 1, at: n }.mark();
            assert_ne!(g, 0);
            assert_ne!(c, 0);
            assert!(!TagTime::marks_clock(g));
            assert!(TagTime::marks_clock(c));
            assert_ne!(g, c);
        }
    }
}
