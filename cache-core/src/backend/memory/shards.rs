//! The in-process store's shards: quick_cache's single-threaded cache, one
//! per shard, each behind a crossbeam `ShardedLock`.
//!
//! Why not quick_cache's own `sync::Cache`: each of its shards has one
//! `RwLock` whose word every hit writes, so on 2 cores hits from 8 or 32
//! threads bounced that line between the cores and ran at 0.73-0.96 of
//! one thread's rate in some processes (~1.6 in others, by where the
//! shards landed). quick_cache's `sharded-lock` feature fixes that but
//! cannot be enabled beside its default `parking_lot` (a compile error in
//! any application that also depends on quick_cache). A `ShardedLock`
//! gives each thread a read lock on a cache line of its own, and
//! `unsync::Cache::get` takes `&self`: a hit writes no line of the shard
//! that another thread reads (the entry's reference count stops being
//! written once it is saturated). Writes lock every thread's lock of the
//! shard (8), which a miss pays once.
//!
//! No code of the application runs under a shard's lock: a hit takes a
//! reference to the entry's memo and clones the value after the lock is
//! released, and the values a write replaces, evicts or removes are
//! collected ([`Deferred`]) and dropped after it (a value's `Clone` or
//! `Drop` that takes a lock of the application's, or calls the cache,
//! would otherwise deadlock against a writer).

use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::ShardedLock;
use quick_cache::unsync::Cache;
use quick_cache::{Lifecycle, OptionsBuilder, Weighter};
use std::hash::{BuildHasher, Hash};
use std::sync::PoisonError;

/// One shard: quick_cache's cache without locks of its own.
pub(super) type Shard<K, V, W, B> = Cache<K, V, W, B, Deferred>;

/// The values a write under a shard's lock took out of the shard, dropped
/// once the lock is released.
pub(super) type Dropped<V> = Vec<V>;

/// quick_cache's lifecycle that keeps what an insert replaces or evicts in
/// the request's [`Dropped`] rather than drop it in place.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Deferred;

impl<K, V> Lifecycle<K, V> for Deferred {
    type RequestState = Dropped<V>;

    fn on_evict(&self, dropped: &mut Dropped<V>, _key: K, value: V) {
        dropped.push(value);
    }
}

/// A shard behind its lock, on cache lines of its own.
type Locked<K, V, W, B> = CachePadded<ShardedLock<Shard<K, V, W, B>>>;

/// A key whose shard is chosen by bits that its hash within the shard
/// does not use.
pub(super) trait ShardKey {
    /// Bits independent of those the shard's table hashes.
    fn shard_bits(&self) -> u64;
}

/// `count` shards (a power of two), each with its share of the bound.
pub(super) struct Shards<K, V, W, B> {
    shards: Box<[Locked<K, V, W, B>]>,
    /// The weight each shard holds.
    shard_capacity: u64,
}

impl<K, V, W, B> Shards<K, V, W, B>
where
    K: Eq + Hash + ShardKey,
    W: Weighter<K, V> + Clone,
    B: BuildHasher + Clone,
{
    /// `count` shards (rounded down to a power of two, and halved while a
    /// shard would hold fewer than 32 entries, as quick_cache's own
    /// sharded cache does) sharing `capacity` in weight and, as a guess,
    /// `items` entries. Each holds its share rounded down: together never
    /// more than `capacity`.
    pub(super) fn new(count: usize, capacity: u64, items: u64, weigher: W, hasher: B) -> Self {
        let mut count = prev_power_of_two(count.max(1));
        while count > 1 && items / (count as u64) < 32 {
            count /= 2;
        }
        let shard_capacity = (capacity / count as u64).max(1);
        let shard_items = usize::try_from((items / count as u64).max(1)).unwrap_or(usize::MAX);
        let shards = (0..count)
            .map(|_| {
                let options = OptionsBuilder::new()
                    .estimated_items_capacity(shard_items)
                    .weight_capacity(shard_capacity)
                    .hot_allocation(super::HOT_SHARE)
                    .build()
                    .expect("quick_cache options: capacities are set");
                let shard = Cache::with_options(options, weigher.clone(), hasher.clone(), Deferred);
                CachePadded::new(ShardedLock::new(shard))
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

    fn of(&self, key: &K) -> &ShardedLock<Shard<K, V, W, B>> {
        // `len` is a power of two.
        &self.shards[(key.shard_bits() as usize) & (self.shards.len() - 1)]
    }

    /// `f` of the shard of `key`, read-locked. (A lock poisoned by a panic
    /// elsewhere is taken anyway: quick_cache's state stays consistent
    /// between its calls, and a panicking weigher is not ours.)
    pub(super) fn read<R>(&self, key: &K, f: impl FnOnce(&Shard<K, V, W, B>) -> R) -> R {
        f(&self.of(key).read().unwrap_or_else(PoisonError::into_inner))
    }

    /// `f` of the shard of `key`, write-locked, with where to put the
    /// values it takes out of the shard (inserts: `insert_with_lifecycle`),
    /// dropped after the lock is released.
    pub(super) fn write<R>(
        &self,
        key: &K,
        f: impl FnOnce(&mut Shard<K, V, W, B>, &mut Dropped<V>) -> R,
    ) -> R {
        let mut dropped = Dropped::new();
        let out = {
            let mut shard = self.of(key).write().unwrap_or_else(PoisonError::into_inner);
            f(&mut shard, &mut dropped)
        };
        drop(dropped);
        out
    }

    /// [`write`](Self::write) of every shard in turn.
    pub(super) fn each(&self, mut f: impl FnMut(&mut Shard<K, V, W, B>, &mut Dropped<V>)) {
        for shard in &self.shards[..] {
            let mut dropped = Dropped::new();
            f(
                &mut shard.write().unwrap_or_else(PoisonError::into_inner),
                &mut dropped,
            );
            drop(dropped);
        }
    }

    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
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
