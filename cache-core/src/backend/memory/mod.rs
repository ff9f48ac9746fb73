//! The in-process backend: a bounded store (quick_cache's eviction policy,
//! S3-FIFO-like, in a table of our own: [`table`]; weighed by bytes or by
//! entries) with each entry's deadline kept beside it, and a compact table
//! for tag versions.
//!
//! Why not moka: side by side, moka with a weigher and an `Expiry` spent
//! several times quick_cache's memory and allocations per entry, and
//! about ten times its time a hot `get` (BENCHMARKS.md,
//! `design.memory_store_vs_moka`). This store was quick_cache's until its layout cost a hit among
//! 100,000 entries a line more than a table of our own ([`table`]).
//! There is no per-entry lifetime: an entry past its deadline is a miss
//! when read and is dropped then; an insert sweeps out the others every
//! [`SWEEP_EVERY_MS`].
//!
//! The shards are those tables behind a lock with a read lock per core
//! ([`shards`], [`core_lock`]), and a hit borrows the entry's memo without
//! counting a reference to it ([`held`]: crossbeam-epoch defers a let-go
//! memo's drop past its readers): a hit from any number of threads writes
//! no line that a hit on another core reads, and no code of the
//! application runs under a shard's lock.
//!
//! An entry is laid out for the hit: the store holds a keyed 128-bit hash
//! of its key (not the key's text: no allocation, 16 bytes), its deadline,
//! its weight and its [`Memo`], one allocation holding the bytes' digest,
//! the tag check and the value, first as bytes, then decoded (a reader
//! that decodes swaps the decoded value in, [`EntryStore::keep_decoded`]).

use super::versions::{DEFAULT_MAX_TAGS, Versions};
use super::{Kept, Memo};
use crate::key_hash::Hashed;
use crate::log_limit::{LOG_PERIOD, LogLimit};
use crate::timeout::{Ttl, coarse_deadline_ms, coarse_now_ms};
use bytes::Bytes;
use held::Held;
use shards::Shards;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

mod core_lock;
mod held;
mod roles;
mod shards;
mod slots;
mod table;

/// Bytes per entry counted on top of key and value when bounding by bytes.
const ENTRY_OVERHEAD: u64 = 64;

/// The key length shards are sized for, beside the largest value.
const KEY_ALLOWANCE: u64 = 1024;

/// The key length the largest value is computed for in a shard that
/// admits `admitted`: [`KEY_ALLOWANCE`], or a quarter of a small shard
/// (`max_bytes=2k` would otherwise leave no room for any value).
fn key_allowance(admitted: u64) -> u64 {
    KEY_ALLOWANCE.min(admitted / 4)
}

/// The share of a shard's weight that is its hot section
/// (quick_cache's default, whose policy [`table`] follows).
const HOT_SHARE: f64 = 0.97;

/// The hot section of a shard of `capacity`, as quick_cache computed it:
/// no entry heavier is admitted.
fn hot_part(capacity: u64) -> u64 {
    ((capacity as f64 * HOT_SHARE) as u64).clamp(capacity.min(1), capacity)
}

#[derive(Debug, Clone)]
struct Stored {
    /// The bytes until a reader decodes them, then the decoded value.
    memo: Held,
    /// Its deadline on the coarse clock (`timeout::coarse_now_ms`;
    /// `u64::MAX`: none): read on every hit, where `Instant::now()` was
    /// a tenth of a hot hit.
    expires_at: u64,
    /// What the entry weighs in the bound ([`ByWeight::of`]; its decoded
    /// value is taken to weigh as much as its encoding).
    weight: u32,
    /// Its place in the store's eviction (set by the table).
    policy: table::Policy,
}

impl Stored {
    fn live(&self, now_ms: u64) -> bool {
        self.expires_at > now_ms
    }
}

/// What an entry weighs: 1 when the store is bounded by entries only;
/// else its key, its bytes as written and [`ENTRY_OVERHEAD`], and at least
/// `floor` (`max_bytes / max_entries`, so that neither bound is exceeded).
#[derive(Clone)]
struct ByWeight {
    bytes: bool,
    floor: u64,
}

impl ByWeight {
    fn of(&self, key: &str, bytes: usize) -> u32 {
        if !self.bytes {
            return 1;
        }
        let size = key.len() as u64 + bytes as u64 + ENTRY_OVERHEAD;
        u32::try_from(size.max(self.floor)).unwrap_or(u32::MAX)
    }
}

type Store = Shards;

/// The entries a shard is sized for, past four shards a core: its
/// table's doubling copies at most ~3 MiB under the shard's lock.
const SHARD_ENTRIES: u64 = 32_768;

/// The most shards (four per core is quick_cache's own default).
const MAX_SHARDS: u64 = 64;

/// In-process storage, bounded by entries and/or bytes.
///
/// An entry of the protocol is held once: its bytes until a reader decodes
/// them, then the decoded value only (`get` then answers empty bytes for
/// it). A reader of another type than the first one finds no bytes to
/// decode: a miss, whose fill replaces the entry (managers key entries by
/// their type's schema, so this takes two types under one key by hand).
///
/// When both bounds are set, every entry weighs at least
/// `max_bytes / max_entries`, so neither bound can be exceeded. The store
/// is split in shards, each with its share of the bound; an entry heavier
/// than a share is not stored (counted in [`refused`](Self::refused) and
/// logged), so shards are made no smaller than the largest value allowed
/// (`max_value` at construction, 1 MiB by default). Keys are held as
/// hashes, so [`clear`](super::Backend::clear) cannot tell one prefix from
/// another: it drops every entry (another cache sharing the store then
/// misses). Tag
/// versions are not entries: they live in a table of 16 bytes a tag (the
/// xxh3 of the tag's key and its version), holding at most four tags per
/// entry allowed (a full table starts over: entries then miss, never go
/// stale). Two tags whose keys collide share a version, so a bump of one
/// also invalidates the other's entries: a miss, never a stale read.
#[derive(Clone)]
pub struct MemoryBackend {
    store: Arc<Store>,
    /// How the store weighs an entry.
    weigh: ByWeight,
    tags: Arc<Versions>,
    /// Entries not stored for being heavier than a shard's share.
    refused: Arc<AtomicU64>,
    /// The last sweep of entries past their deadline (on the coarse
    /// clock).
    swept: Arc<AtomicU64>,
    /// [`SWEEP_EVERY_MS`] (shorter in tests).
    sweep_every_ms: u64,
}

/// How often an insert sweeps out the entries past their deadline (which
/// otherwise take room until read or evicted).
const SWEEP_EVERY_MS: u64 = 10_000;

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("entries", &self.store.len())
            .finish()
    }
}

impl MemoryBackend {
    /// A store holding at most `max_entries` entries and `max_bytes` bytes
    /// (`None` for no bound on that measure).
    pub fn new(max_entries: Option<u64>, max_bytes: Option<u64>) -> Self {
        Self::with_max_value(max_entries, max_bytes, 1 << 20)
    }

    /// [`new`](Self::new), with shards large enough for a value of
    /// `max_value` bytes (the cache's `max_value_size`).
    pub fn with_max_value(
        max_entries: Option<u64>,
        max_bytes: Option<u64>,
        max_value: usize,
    ) -> Self {
        const UNBOUNDED_ESTIMATE: u64 = 16_384;
        let (weigher, capacity, items) = match (max_entries, max_bytes) {
            (None, None) => (
                ByWeight {
                    bytes: false,
                    floor: 1,
                },
                u64::MAX,
                UNBOUNDED_ESTIMATE,
            ),
            (Some(n), None) => (
                ByWeight {
                    bytes: false,
                    floor: 1,
                },
                n.max(1),
                n.max(1),
            ),
            (entries, Some(bytes)) => {
                let floor = entries.map_or(1, |n| bytes.div_ceil(n.max(1))).max(1);
                // A guess at the number of entries (a shard's ghosts are
                // bounded by it): the entry bound, or a 256-byte average.
                let items = entries.unwrap_or(bytes / 256).max(1);
                (ByWeight { bytes: true, floor }, bytes.max(1), items)
            }
        };
        // Shards no smaller than the heaviest entry allowed, when weighed
        // by bytes.
        let heaviest = max_value as u64 + KEY_ALLOWANCE + ENTRY_OVERHEAD;
        let fit = if weigher.bytes {
            (hot_part(capacity) / heaviest).max(1)
        } else {
            MAX_SHARDS
        };
        // Four shards a core, and more in a large store: a shard's table
        // doubles under its write lock, and its readers wait for the copy
        // (`growth`: up to 19-25 ms at 250,000 entries a shard).
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get() as u64 * 4);
        let wanted = cores.max(items / SHARD_ENTRIES);
        let shards = wanted.min(MAX_SHARDS).min(fit).max(1);
        let store = Shards::new(shards as usize, capacity, items.min(1 << 24));
        // An entry weighs at least `max_bytes / max_entries`, but never
        // more than a shard admits: with one entry allowed in one shard,
        // the floor (all of `max_bytes`) is over the shard's hot section,
        // and the store would hold nothing. One entry of the admitted
        // weight still leaves room for no second one.
        let mut weigher = weigher;
        weigher.floor = weigher.floor.min(hot_part(store.shard_capacity()));
        let max_tags = max_entries.map_or(DEFAULT_MAX_TAGS, |n| {
            usize::try_from(n.saturating_mul(4)).unwrap_or(usize::MAX)
        });
        MemoryBackend {
            store: Arc::new(store),
            weigh: weigher,
            tags: Arc::new(Versions::new(max_tags)),
            refused: Arc::new(AtomicU64::new(0)),
            swept: Arc::new(AtomicU64::new(coarse_now_ms())),
            sweep_every_ms: SWEEP_EVERY_MS,
        }
    }

    /// Nothing to run: the store evicts as it inserts. (Kept for the
    /// tests and benchmarks written against moka, which evicted later.)
    #[cfg(any(test, feature = "unstable-store-api"))]
    pub fn run_pending_tasks(&self) {}

    /// Entries currently held (those past their deadline included, until
    /// read or evicted).
    #[cfg(any(test, feature = "unstable-store-api"))]
    pub fn entry_count(&self) -> u64 {
        self.store.len() as u64
    }

    /// The largest value this store holds under a key of up to 1 KiB (a
    /// quarter of a shard, in a store of a few KiB): a shard's share of
    /// the bound less what an entry weighs besides its value (unbounded
    /// when weighed by entries).
    pub(crate) fn largest_value(&self) -> usize {
        if !self.weigh.bytes {
            return usize::MAX;
        }
        let besides = key_allowance(self.admitted()) + ENTRY_OVERHEAD;
        usize::try_from(self.admitted().saturating_sub(besides)).unwrap_or(usize::MAX)
    }

    /// The heaviest entry a shard admits: the table refuses
    /// one heavier than its shard's hot section ([`HOT_SHARE`] of the
    /// shard's share of the bound).
    fn admitted(&self) -> u64 {
        hot_part(self.store.shard_capacity())
    }

    /// Entries not stored because they weighed more than a shard's share
    /// of the bound.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// `memo` under `key` until `expires_at`, weighed.
    fn stored(&self, key: &str, memo: Memo, bytes: usize, expires_at: u64) -> Stored {
        Stored {
            memo: Held::new(memo),
            expires_at,
            weight: self.weigh.of(key, bytes),
            policy: table::Policy::default(),
        }
    }

    /// `bytes` under `key`, given `ttl` now.
    fn new_entry(&self, key: &str, bytes: Bytes, ttl: Ttl) -> Stored {
        let len = bytes.len();
        let expires_at = ttl.map_or(u64::MAX, coarse_deadline_ms);
        self.stored(key, Kept::holding(bytes), len, expires_at)
    }

    /// Stores `stored` under `key`, unless it outweighs a shard's share:
    /// then the entry held under `key` goes (a write that is not stored
    /// must not leave the value it replaces readable).
    fn insert(&self, key: &str, stored: Stored) {
        let hashed = Hashed::of(key);
        if self.too_heavy(key, &stored) {
            // (What is removed is dropped after the lock, as returned.)
            self.store.write(&hashed, |shard, _| shard.remove(&hashed));
            return;
        }
        self.store.write(&hashed, |shard, dropped| {
            shard.insert(hashed, stored, dropped);
        });
        self.sweep_now_and_then();
    }

    /// Drops the entries past their deadline, at most every
    /// [`SWEEP_EVERY_MS`] (one insert pays it: a walk of every shard).
    fn sweep_now_and_then(&self) {
        let now = coarse_now_ms();
        let at = now;
        let last = self.swept.load(Ordering::Relaxed);
        if at.saturating_sub(last) < self.sweep_every_ms
            || self
                .swept
                .compare_exchange(last, at, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // Not `retain`, which drops in place: the expired entries are taken
        // out under the lock and dropped after it.
        self.store.each(|shard, dropped| {
            let expired: Vec<Hashed> = shard
                .iter()
                .filter(|(_, stored)| !stored.live(now))
                .map(|(key, _)| *key)
                .collect();
            dropped.extend(expired.iter().filter_map(|key| shard.remove(key)));
        });
    }

    /// Whether `stored` under `key` outweighs a shard's share (counted and
    /// logged, at most once per period).
    fn too_heavy(&self, key: &str, stored: &Stored) -> bool {
        let weighs = u64::from(stored.weight);
        if weighs <= self.admitted() {
            return false;
        }
        self.refused.fetch_add(1, Ordering::Relaxed);
        static LIMIT: LogLimit = LogLimit::new();
        if let Some(left_out) = LIMIT.check(LOG_PERIOD) {
            tracing::warn!(
                key,
                weighs,
                share = self.admitted(),
                "in-process cache entry heavier than a shard's share of the bound: not stored{left_out}"
            );
        }
        true
    }

    /// The bytes under `key` (empty once decoded) and their memo.
    pub(crate) fn lookup(&self, key: &str) -> Option<(Bytes, Memo)> {
        self.live(key)
            .map(|memo| (memo.bytes().unwrap_or_default(), memo))
    }

    /// The memo under `key` if what is stored there was written as `bytes`.
    pub(crate) fn same(&self, key: &str, bytes: &Bytes) -> Option<Memo> {
        self.live(key)
            .filter(|memo| memo.digest() == xxhash_rust::xxh3::xxh3_64(bytes))
    }

    /// Stores `bytes` under `key` unless the same bytes are there already
    /// (whose memo, and decoded value, are kept); returns the memo.
    pub(crate) fn keep(&self, key: &str, bytes: &Bytes, ttl: Ttl) -> Memo {
        if let Some(memo) = self.same(key, bytes) {
            return memo;
        }
        let stored = self.new_entry(key, bytes.clone(), ttl);
        let memo = stored.memo.memo();
        self.insert(key, stored);
        memo
    }

    /// The memo of the live entry under `key`, counted.
    fn live(&self, key: &str) -> Option<Memo> {
        self.with_live(key, |s| s.memo.memo())
    }

    /// `f` of the live entry under `key`, read in place (under its
    /// shard's read lock: `f` must not call this store, nor run code of
    /// the application).
    fn with_live<R>(&self, key: &str, f: impl FnOnce(&Stored) -> R) -> Option<R> {
        self.with_live_at(Hashed::of(key), f)
    }

    /// [`with_live`](Self::with_live) of the key hashed to `key`.
    #[inline]
    fn with_live_at<R>(&self, key: Hashed, f: impl FnOnce(&Stored) -> R) -> Option<R> {
        let now = coarse_now_ms();
        let found = self.store.read(&key, |shard| match shard.get(&key) {
            Some(stored) if stored.live(now) => Some(Ok(f(stored))),
            Some(_) => Some(Err(())),
            None => None,
        })?;
        if found.is_err() {
            // Past its deadline: dropped now, unless replaced meanwhile.
            self.store
                .write(&key, |shard, _| shard.remove_if(&key, |s| !s.live(now)));
        }
        found.ok()
    }
}

#[cfg(test)]
mod tests;
