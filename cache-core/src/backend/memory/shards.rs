//! The in-process store's shards: a [`Table`] each, behind a [`CoreLock`].
//!
//! Why a lock per core: with one `RwLock` per shard (quick_cache's
//! `sync::Cache`, used before), every hit wrote the lock's word, so on 2
//! cores hits from 8 or 32 threads bounced that line between the cores and
//! ran at 0.73-0.96 of one thread's rate in some processes. A
//! [`CoreLock`] gives each core a read lock on a cache line of its own,
//! and [`Table::get`] takes `&self`: a hit writes no line of the shard
//! that another core reads (the entry's reference count stops being
//! written once it is saturated). Writes lock every core's lock of the
//! shard, which a miss pays once.
//!
//! No code of the application runs under a shard's lock: a hit borrows
//! the entry's memo (`held`) and clones the value after the lock is
//! released, and the values a write replaces, evicts or removes are
//! collected ([`Dropped`]) and dropped after it (a value's `Clone` or
//! `Drop` that takes a lock of the application's, or calls the cache,
//! would otherwise deadlock against a writer).

use super::core_lock::CoreLock;
use super::held;
use super::table::Table;
use super::{Hashed, Stored};
use crossbeam_utils::CachePadded;

/// The values a write under a shard's lock took out of the shard, dropped
/// once the lock is released.
pub(super) type Dropped = Vec<Stored>;

/// A shard behind its lock, on cache lines of its own.
type Locked = CachePadded<CoreLock<Table>>;

/// `count` shards (a power of two), each with its share of the bound.
pub(super) struct Shards {
    shards: Box<[Locked]>,
    /// The weight each shard holds.
    shard_capacity: u64,
}

impl Shards {
    /// `count` shards (rounded down to a power of two, and halved while a
    /// shard would hold fewer than 32 entries, as quick_cache's own
    /// sharded cache does) sharing `capacity` in weight and, as a guess,
    /// `items` entries. Each holds its share rounded down: together never
    /// more than `capacity`.
    pub(super) fn new(count: usize, capacity: u64, items: u64) -> Self {
        let mut count = prev_power_of_two(count.max(1));
        while count > 1 && items / (count as u64) < 32 {
            count /= 2;
        }
        let shard_capacity = (capacity / count as u64).max(1);
        let shard_items = usize::try_from((items / count as u64).max(1)).unwrap_or(usize::MAX);
        let shards = (0..count)
            .map(|_| {
                let table =
                    Table::new(shard_capacity, super::hot_part(shard_capacity), shard_items);
                CachePadded::new(CoreLock::new(table))
            })
            .collect();
        Shards {
            shards,
            shard_capacity,
        }
    }

    /// The weight each shard holds.
    pub(super) fn shard_capacity(&self) -> u64 {
        self.shard_capacity
    }

    fn of(&self, key: &Hashed) -> &CoreLock<Table> {
        // `len` is a power of two; the table hashes by the key's other half.
        &self.shards[(key.1 as usize) & (self.shards.len() - 1)]
    }

    /// `f` of the shard of `key`, read-locked.
    pub(super) fn read<R>(&self, key: &Hashed, f: impl FnOnce(&Table) -> R) -> R {
        self.of(key).read(f)
    }

    /// `f` of the shard of `key`, write-locked, with where to put the
    /// values it takes out of the shard, dropped after the lock is
    /// released.
    pub(super) fn write<R>(
        &self,
        key: &Hashed,
        f: impl FnOnce(&mut Table, &mut Dropped) -> R,
    ) -> R {
        // Pinned first: a memo let go under the lock defers its drop
        // without collecting others' (`held`); dropped last.
        let _writing = held::writing();
        let mut dropped = Dropped::new();
        let out = self.of(key).write(|shard| f(shard, &mut dropped));
        drop(dropped);
        out
    }

    /// [`write`](Self::write) of every shard in turn.
    pub(super) fn each(&self, mut f: impl FnMut(&mut Table, &mut Dropped)) {
        let _writing = held::writing();
        for shard in &self.shards[..] {
            let mut dropped = Dropped::new();
            shard.write(|table| f(table, &mut dropped));
            drop(dropped);
        }
    }

    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read(Table::len)).sum()
    }
}

/// The largest power of two no greater than `n` (1 for 0).
fn prev_power_of_two(n: usize) -> usize {
    if n.is_power_of_two() {
        n
    } else {
        (n.next_power_of_two() / 2).max(1)
    }
}
