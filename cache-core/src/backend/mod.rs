//! Where bytes are stored: the [`Backend`] trait and its implementations.
//!
//! A backend sees only finished keys and encoded bytes; keys, versions,
//! codecs and typed values are the [`Cache`](crate::Cache)'s business. Every
//! method is one round trip on a networked backend, and `get_many` in
//! particular is how the invalidation protocol reads an entry together with
//! its tags in one round trip.

mod cluster;
mod dummy;
mod memory;
pub(crate) mod redis;
mod store_async;
mod tag_clock;
mod tag_digest;
mod tiered;
mod unusable;
mod versions;

pub use self::cluster::ClusterBackend;
pub use self::dummy::DummyBackend;
pub use self::memory::MemoryBackend;
pub use self::redis::{RedisBackend, RedisOptions};
pub use self::store_async::{AsyncStore, BoxFuture, InProcess};
pub use self::tag_clock::{TagClock, TagTime};
pub use self::tag_digest::{TagHasher, digest_of_hashes, tag_hash, tags_digest};
#[cfg(feature = "unstable-store-api")]
pub use self::tiered::CONNECTION_NAME as TRACKING_CONNECTION_NAME;
pub use self::tiered::{TieredBackend, TieredOptions};
pub(crate) use self::unusable::UnusableBackend;
// Named here where this module is public (`unstable-store-api`); the
// bound is `config`'s, whose `shards` option it bounds too.
#[cfg(feature = "unstable-store-api")]
pub use crate::config::MAX_SHARDS;

use crate::error::Result;
use crate::key::KeyParts;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What an in-process backend keeps for one stored value for the
/// [`Cache`](crate::Cache), shared by every reader of it and gone when it
/// is replaced or evicted: the bytes as written, until a reader decodes
/// them and swaps in the decoded value ([`EntryStore::keep_decoded`]; an
/// entry is held once), and when the tags it was read with last held. One
/// allocation: the header and the value (bytes or decoded) together. The
/// backend only carries it.
pub type Memo = Arc<Kept<dyn Any + Send + Sync>>;

/// The contents of a [`Memo`]: a header, then the bytes (`V` = [`Bytes`])
/// or the value decoded from them.
#[repr(C)]
pub struct Kept<V: ?Sized> {
    /// The [`TagTime::mark`] of the time read before a lookup of those
    /// tags found that they held (0: never).
    checked: AtomicU64,
    /// The slots of a [`TagTime::Clock`] it was checked at (0: none).
    slots: AtomicU64,
    /// A digest of the tag keys the value was validated against (the keys
    /// themselves would weigh more than most values); 0: none yet.
    tags: AtomicU64,
    /// xxh3 of the bytes as written: whether other bytes are the same.
    digest: u64,
    value: V,
}

impl fmt::Debug for Kept<dyn Any + Send + Sync> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kept")
            .field("decoded", &self.decoded().is_some())
            .field("checked", &self.checked.load(Ordering::Relaxed))
            .finish()
    }
}

impl Kept<dyn Any + Send + Sync> {
    /// A memo holding `bytes` (not decoded yet).
    pub fn holding(bytes: Bytes) -> Memo {
        Arc::new(Kept {
            digest: xxhash_rust::xxh3::xxh3_64(&bytes),
            tags: AtomicU64::new(0),
            checked: AtomicU64::new(0),
            slots: AtomicU64::new(0),
            value: bytes,
        })
    }

    /// A memo of the same bytes holding `value` decoded from them instead,
    /// not checked yet: for [`EntryStore::keep_decoded`].
    pub fn decoded_as<T: Any + Send + Sync>(&self, value: T) -> Memo {
        Arc::new(Kept {
            digest: self.digest,
            tags: AtomicU64::new(0),
            checked: AtomicU64::new(0),
            slots: AtomicU64::new(0),
            value,
        })
    }

    /// xxh3 of the bytes as written.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The bytes, while no reader has decoded them (`None` after).
    pub fn bytes(&self) -> Option<Bytes> {
        self.value.downcast_ref::<Bytes>().cloned()
    }

    /// The decoded value, if a reader stored one.
    pub fn decoded(&self) -> Option<&(dyn Any + Send + Sync)> {
        (!self.value.is::<Bytes>()).then_some(&self.value)
    }

    /// The decoded value, if a reader stored one of type `U` (one type
    /// check, where [`decoded`](Self::decoded) and a downcast make two).
    pub(crate) fn decoded_ref<U: Any>(&self) -> Option<&U> {
        self.value.downcast_ref::<U>()
    }

    /// Records that `tags` held in a lookup made after the store's time
    /// of them was `time` ([`TagStore::generation`], or the
    /// [`TagClock`]'s time of those tags).
    pub fn checked(&self, time: TagTime, tags: &[&str]) {
        let digest = tags_digest(tags);
        let held = match self
            .tags
            .compare_exchange(0, digest, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(current) => current == digest,
        };
        if held {
            // (The slots before the mark: a reader that sees the mark sees
            // them. The same tags, the same slots.)
            if let TagTime::Clock { slots, .. } = time {
                self.slots.store(slots, Ordering::SeqCst);
            }
            self.checked.fetch_max(time.mark(), Ordering::SeqCst);
        }
    }

    /// Whether the tags whose [`tags_digest`] is `tags_digest` held in a
    /// lookup made after the store's time of them was already what it is
    /// now (so none of them has been written since): `clock` is the
    /// store's [`TagClock`] where it can tell by one now, `generation` its
    /// [`TagStore::generation`] (asked only of a memo stamped by it). A
    /// caller may build the digest from [`tag_hash`]es it keeps
    /// ([`digest_of_hashes`]).
    #[inline]
    pub fn still_checked(
        &self,
        clock: Option<&TagClock>,
        generation: impl FnOnce() -> Option<u64>,
        tags_digest: u64,
    ) -> bool {
        let checked = self.checked.load(Ordering::SeqCst);
        if self.tags.load(Ordering::SeqCst) != tags_digest {
            return false;
        }
        let now = if TagTime::marks_clock(checked) {
            let Some(clock) = clock else { return false };
            let slots = self.slots.load(Ordering::SeqCst);
            TagTime::Clock {
                slots,
                at: clock.at(slots),
            }
        } else {
            let Some(generation) = generation() else {
                return false;
            };
            TagTime::Generation(generation)
        };
        checked == now.mark()
    }
}

/// What an atomic increment found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incr {
    /// The new value.
    Value(i64),
    /// No such key; nothing was written.
    Missing,
    /// The stored value is not an integer; nothing was written.
    NotAnInteger,
    /// The result would not fit an `i64`; nothing was written.
    Overflow,
}

/// What a store can do, as data (not guessed from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Other processes read and fill the same entries: a miss takes a lease
    /// so that one process in the fleet loads.
    pub shared: bool,
    /// Decoded values are kept in this process ([`Memo`]), so a hit need
    /// not decode, and [`TagStore::generation`] may let it skip the tags.
    pub keeps_decoded: bool,
}

/// What [`EntryStore::read_entry`] found, in one round trip.
#[derive(Debug, Default)]
pub struct Fetched {
    /// The entry's bytes.
    pub entry: Option<Bytes>,
    /// Its [`Memo`], where the store keeps decoded values.
    pub memo: Option<Memo>,
    /// The current version of each tag asked for (`None`: no such tag, or
    /// not a version).
    pub versions: Vec<Option<u64>>,
    /// Whether the lease asked for was taken.
    pub leased: bool,
}

/// A write-through's store step ([`TagStore::swap_and_fill`]).
#[derive(Debug, Clone)]
pub struct Swap<'a> {
    /// The written row's own tag.
    pub tag: &'a str,
    /// Its new version.
    pub version: u64,
    /// Its lifetime.
    pub tag_ttl: Ttl,
    /// What the tag must have held just before for the entry to be
    /// written.
    pub expected: u64,
    /// The entry's key.
    pub key: &'a str,
    /// The entry's bytes, as a fill writes them.
    pub bytes: Bytes,
    /// The entry's lifetime.
    pub ttl: Ttl,
    /// The write's other tags and their new versions, written after the
    /// swap in the same round trip, as [`TagStore::write_versions`]
    /// writes them.
    pub bump: &'a [(&'a str, u64)],
    /// Their lifetime.
    pub bump_ttl: Ttl,
}

/// A write-through's announcement ([`TagStore::announce_and_note`]).
#[derive(Debug, Clone, Copy)]
pub struct Announce<'a> {
    /// Tags written with these versions (pending), as
    /// [`TagStore::write_versions`] writes them.
    pub pending: &'a [(&'a str, u64)],
    /// The written row's own tag and its writer's token, exchanged: the
    /// version it held before is returned.
    pub own: (&'a str, u64),
    /// The lifetime of what is written.
    pub ttl: Ttl,
    /// The key of the entry whose tags are read afterwards.
    pub entry: &'a str,
    /// The tags whose versions are read after the writes.
    pub tags: &'a [&'a str],
}

/// What [`TagStore::announce_and_note`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noting {
    /// The version the own tag held before the exchange (`None`: absent,
    /// or not a version).
    pub before: Option<u64>,
    /// The versions of the announcement's `tags` after its writes.
    pub versions: Vec<Option<u64>>,
}

/// What a miss asks of a shared store before it reads the source, together
/// with its read of the entry ([`EntryStore::read_entry`]): create the tags
/// it found absent, and take the fill's lease.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The lease key, taken if free (`SET NX PX`).
    pub lease: &'a str,
    /// How long the lease lasts if its holder never releases it.
    pub lease_ttl: Duration,
    /// Tags to create with these versions if they are still absent
    /// (`SET NX`), before the entry and the versions are read.
    pub create: &'a [(&'a str, u64)],
    /// The lifetime of created tags.
    pub tag_ttl: Ttl,
}

/// The tag role of a store: where the versions of tags live.
///
/// A version is a number, replaced on every invalidation; an entry is valid
/// while the versions it was stamped with are the current ones. A store may
/// forget a tag (eviction): entries stamped with it then stop validating,
/// which is safe.
pub trait TagStore {
    /// Writes each tag's new version, in one round trip.
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()>;
    /// For each tag of the entry under `entry`, stores the given version if
    /// the tag has none (or holds something that is not a version), and
    /// returns the version it holds now, ours or another process's, in one
    /// round trip where it can. (A store may keep a copy of each tag near
    /// the entries that depend on it, as the cluster layout does: `entry`
    /// says which copy.)
    fn create_versions(&self, entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>>;
    /// The current versions of the tags of the entry under `entry`, in one
    /// round trip.
    fn read_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>>;
    /// A write-through's step: writes `swap.version` under `swap.tag` and,
    /// if the tag held `swap.expected` just before, `swap.bytes` under
    /// `swap.key` as a fill would, atomically; then the versions of
    /// `swap.bump`; in one round trip (see `Engine::write_through`):
    /// `Some(true)` the entry and the versions written, `Some(false)` the
    /// versions only, the own tag's too unless it held another pending
    /// version (another writer's announcement, left to lapse: it
    /// invalidates as the new version would). `None`, the default, where
    /// the store cannot: nothing written (the writer then bumps as usual
    /// and puts nothing; a wrapper store that does not forward this method
    /// loses the write-through, nothing else). An error: the writer bumps
    /// every tag as usual (a version written twice is a bump).
    fn swap_and_fill(&self, swap: Swap<'_>) -> Result<Option<bool>> {
        let _ = swap;
        Ok(None)
    }
    /// A write-through's announcement on a shared store (see
    /// `Engine::announce_noting`): writes `announce.pending`, exchanges the
    /// own tag's version for the writer's token (returning what it held),
    /// then reads the versions of `announce.tags`, in that order and in one
    /// round trip. `None`, the default, where the store cannot: nothing
    /// written (the writer then announces as usual and puts nothing).
    fn announce_and_note(&self, announce: Announce<'_>) -> Result<Option<Noting>> {
        let _ = announce;
        Ok(None)
    }
    /// A counter that moves after every write of a version, where the store
    /// can tell (in-process stores, or a local tier whose tracking is
    /// fresh). Read before a lookup of tags, it proves that no tag changed
    /// since, while it has not moved.
    fn generation(&self) -> Option<u64> {
        None
    }
    /// The store's clock of each tag ([`TagClock`]), where it keeps one
    /// and can tell now (as [`generation`](Self::generation) answers).
    /// Its slots are of the tag keys as the store received them: a
    /// wrapper that renames tag keys on their way to a wrapped store
    /// forwards `generation` but must not forward this (a write would
    /// tick the slot of the renamed key, a reader check the original's).
    fn tag_clock(&self) -> Option<&TagClock> {
        None
    }
}

/// The entry role of a store: entries read together with the versions of
/// their tags.
pub trait EntryStore {
    /// The entry under `key` and the current versions of `tags`: one round
    /// trip. With a [`Claim`], in the same round trip and before the read,
    /// the claim's absent tags are created and its lease taken if free.
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched>;
    /// [`read_entry`](Self::read_entry) without a claim for each of
    /// `reads` (an entry's key and its tags), in order: in one round trip
    /// where the store can (one `MGET` on a Redis); the default reads them
    /// one by one.
    fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        one_by_one(self, reads)
    }
    /// Stores an entry's bytes and, with `release`, removes that lease, in
    /// one round trip.
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()>;
    /// The [`Memo`] of the live entry under `key`, without a round trip
    /// (only stores that keep decoded values have one).
    fn kept(&self, _key: &str) -> Option<Memo> {
        None
    }
    /// [`kept`](Self::kept) by a caller that has just read the tag
    /// generation ([`TagStore::generation`]), which checked whatever makes
    /// this store answer locally: a store may skip checking it again.
    fn kept_after_generation(&self, key: &str) -> Option<Memo> {
        self.kept(key)
    }
    /// [`kept_after_generation`](Self::kept_after_generation) of the key
    /// `key` names in parts: the in-process store finds it without its
    /// text; the default builds the text (and asks
    /// `kept_after_generation`: a wrapper need not forward this).
    #[doc(hidden)]
    fn kept_by_parts(&self, key: KeyParts<'_>) -> Option<Memo> {
        self.kept_after_generation(&key.to_string())
    }
    /// `read` of what [`kept_by_parts`](Self::kept_by_parts) finds, if
    /// anything (`false`: nothing): the in-process store lends the memo
    /// without counting a reference to it (whose count's line every hit of
    /// every core would write); the default takes
    /// [`kept_by_parts`](Self::kept_by_parts)'s.
    #[doc(hidden)]
    fn read_kept_by_parts(
        &self,
        key: KeyParts<'_>,
        read: &mut dyn FnMut(&Kept<dyn Any + Send + Sync>),
    ) -> bool {
        self.kept_by_parts(key).map(|memo| read(&memo)).is_some()
    }
    /// The entry just read under `key` did not hold (a tag moved on): a
    /// store with a local copy in front of a shared one drops the copy, so
    /// that the next read asks the shared store, where a fill will land.
    fn discard(&self, _key: &str) {}
    /// A reader decoded the bytes of `raw`, the memo it found under `key`:
    /// a store that keeps decoded values swaps in `decoded` (holding the
    /// decoded value, from [`Kept::decoded_as`]) while `raw` is still what
    /// it holds there, so that later hits need not decode.
    fn keep_decoded(&self, _key: &str, _raw: &Memo, _decoded: &Memo) {}
}

/// [`EntryStore::read_entries`] as separate reads, in order.
pub(crate) fn one_by_one<S: EntryStore + ?Sized>(
    store: &S,
    reads: &[(&str, &[&str])],
) -> Result<Vec<Fetched>> {
    reads
        .iter()
        .map(|(key, tags)| store.read_entry(key, tags, None))
        .collect()
}

/// A store: bytes under string keys with per-entry lifetimes (Django's
/// low-level API), plus the `EntryStore` and `TagStore` roles (module
/// `backend`, feature `unstable-store-api`) the
/// invalidation protocol uses.
///
/// A store that wraps another (to count, to inject faults) must forward
/// the provided methods too. One default is not safe to leave in place:
/// `Backend::serves_entries` answers `true`, so a wrapper that does not
/// forward it serves entries while the wrapped shared store is in trouble
/// and during its grace after an outage, when bumps that other processes
/// owe may not have landed yet (stale reads). The others' defaults are
/// "cannot tell", which is always correct but gives up what the wrapped
/// store does with them: `TagStore::generation`, `EntryStore::kept`,
/// `EntryStore::kept_after_generation` (hits that skip the tags),
/// `EntryStore::read_entries` (one round trip for many),
/// `EntryStore::discard`, `EntryStore::keep_decoded`,
/// `Backend::local_tier_ready` (a local tier), `Backend::async_store`
/// (the non-blocking twin: without it the async API reads the source),
/// `Backend::add_lease` and `Backend::release_lease` (where the store
/// keeps leases), `Backend::dropped_entries` and
/// `Backend::refused_entries` (stats), `Backend::keys_under`
/// (`cache-admin`'s census). (`EntryStore::kept_by_parts` and
/// `EntryStore::read_kept_by_parts` need not be: their defaults ask
/// `kept_after_generation`.)
pub trait Backend: EntryStore + TagStore + Send + Sync + fmt::Debug {
    /// A short name for logs (`memory`, `redis`, `dummy`).
    fn kind(&self) -> &'static str;
    /// What it can do.
    fn capabilities(&self) -> Capabilities;
    /// The bytes under `key`, if present and not expired. A store that
    /// keeps decoded values may answer empty bytes for an entry of the
    /// protocol (a manager's detail or list) once it holds it decoded only;
    /// keys of the low-level API are never decoded that way.
    fn get(&self, key: &str) -> Result<Option<Bytes>>;
    /// The bytes under each key, in order, in one round trip.
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>>;
    /// For stores with a local tier in front of a shared one: whether the
    /// local tier answers now (its tracking connection is up and fresh).
    /// `None` for the others.
    fn local_tier_ready(&self) -> Option<bool> {
        None
    }
    /// Whether entries read now may be served: `false` for a shared store
    /// in trouble or just out of it (its grace: bumps that other processes
    /// owe may not have landed yet). A miss read then shares its load
    /// only with callers that missed before the load began. The default,
    /// `true`, is right only for a store that has no trouble to report (an
    /// in-process one): a wrapper must forward it.
    fn serves_entries(&self) -> bool {
        true
    }
    /// Entries the store deleted because it could not return them (Redis
    /// closed the connection instead of sending one: over its
    /// `client-output-buffer-limit`), counted in `undecodable`.
    fn dropped_entries(&self) -> u64 {
        0
    }
    /// Entries the store would not take (heavier than an in-process
    /// store's shard), counted in `refused`.
    fn refused_entries(&self) -> u64 {
        0
    }
    /// Stores `value`, replacing what was there and its lifetime.
    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()>;
    /// Stores every entry with one lifetime, in one round trip.
    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()>;
    /// Stores `value` only if `key` is absent; says whether it stored.
    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool>;
    /// Removes `key`; says whether it was there.
    fn delete(&self, key: &str) -> Result<bool>;
    /// Removes every key in one round trip; returns how many were there.
    fn delete_many(&self, keys: &[&str]) -> Result<u64>;
    /// Takes `lease`, the fill lease of the entry under `entry`, if it is
    /// free, for `ttl`; says whether it took it. (A store that places keys
    /// by their entry, as the cluster layout does, puts the lease with its
    /// entry: `EntryStore::read_entry`'s claim and `EntryStore::fill`'s
    /// release find it there.)
    fn add_lease(&self, entry: &str, lease: &str, ttl: Duration) -> Result<bool> {
        let _ = entry;
        self.add(lease, Bytes::from_static(b"1"), Some(ttl))
    }
    /// Lets go of `lease`, the fill lease of the entry under `entry`.
    fn release_lease(&self, entry: &str, lease: &str) -> Result<()> {
        let _ = entry;
        self.delete(lease).map(drop)
    }
    /// Whether `key` is present and not expired.
    fn has_key(&self, key: &str) -> Result<bool>;
    /// Gives `key` a new lifetime; says whether it was there.
    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool>;
    /// Atomically adds `delta` to the integer under `key`, keeping its lifetime.
    fn incr(&self, key: &str, delta: i64) -> Result<Incr>;
    /// The store's calls as futures, for the async API: in-process stores
    /// answer with `InProcess`, the Redis, tiered and cluster stores
    /// with twins of their own (feature `tokio`); `None` (the default)
    /// where the store has no non-blocking twin (the async API then reads
    /// the source, uncached, and logs it once).
    fn async_store(self: Arc<Self>) -> Option<Arc<dyn AsyncStore>> {
        None
    }
    /// Removes every key starting with `prefix` (a cache's own namespace)
    /// and nothing else, never `FLUSHDB`; tag versions it holds for that
    /// namespace may be forgotten too (an in-process store forgets them all:
    /// entries of other caches sharing it then miss, never go stale).
    fn clear(&self, prefix: &str) -> Result<()>;
    /// For an operator's census (`cache-admin stats`, `inspect`): calls
    /// `each` with every batch of the keys under `prefix`, as the other
    /// methods name them (a key stored in several places, once per
    /// place); `false` when the store cannot list its keys (the default:
    /// an in-process store is not reachable from an operator's process).
    /// A walk of the whole keyspace (`SCAN`): not for a request path.
    fn keys_under(&self, _prefix: &str, _each: &mut dyn FnMut(&[String])) -> Result<bool> {
        Ok(false)
    }
}
