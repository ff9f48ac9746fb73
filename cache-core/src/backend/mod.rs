//! Where bytes are stored: the [`Backend`] trait and its implementations.
//!
//! A backend sees only finished keys and encoded bytes; keys, versions,
//! codecs and typed values are the [`Cache`](crate::Cache)'s business. Every
//! method is one round trip on a networked backend, and `get_many` in
//! particular is how the invalidation protocol reads an entry together with
//! its tags in one round trip.

mod dummy;
mod memory;
mod redis;
mod tiered;
mod unusable;

pub use self::dummy::DummyBackend;
pub use self::memory::MemoryBackend;
pub use self::redis::{RedisBackend, RedisOptions};
pub use self::tiered::{CONNECTION_NAME as TRACKING_CONNECTION_NAME, TieredBackend, TieredOptions};
pub(crate) use self::unusable::UnusableBackend;

use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// [`Backend::add_or_get_many`] with `add`, then `get` where the key was
/// taken: one or two calls per entry.
pub(crate) fn one_by_one_add_or_get<B: Backend + ?Sized>(
    backend: &B,
    entries: &[(&str, Bytes)],
    ttl: Ttl,
) -> Result<Vec<Option<Bytes>>> {
    entries
        .iter()
        .map(|(key, value)| {
            if backend.add(key, value.clone(), ttl)? {
                return Ok(None);
            }
            match backend.get(key)? {
                Some(theirs) => Ok(Some(theirs)),
                // Gone again already (evicted): ours is as good as any.
                None => backend.set(key, value.clone(), ttl).map(|()| None),
            }
        })
        .collect()
}

/// What an in-process backend keeps beside one stored value for the
/// [`Cache`](crate::Cache): the value decoded, and when the tags it was
/// read with last held. Created with the bytes, shared by every reader of
/// them, gone when they are replaced or evicted. The backend only carries it.
pub type Memo = Arc<MemoSlot>;

/// The contents of a [`Memo`].
#[derive(Default)]
pub struct MemoSlot {
    decoded: OnceLock<Box<dyn Any + Send + Sync>>,
    /// A digest of the tag keys the value was validated against (the keys
    /// themselves would weigh more than most values).
    tags: OnceLock<u64>,
    /// 1 + the backend's tag generation read before a lookup of those tags
    /// found that they held (0: never).
    checked: AtomicU64,
}

impl fmt::Debug for MemoSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoSlot")
            .field("decoded", &self.decoded.get().is_some())
            .field("checked", &self.checked.load(Ordering::Relaxed))
            .finish()
    }
}

impl MemoSlot {
    /// The decoded value, if a reader stored one.
    pub fn decoded(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.decoded.get().map(|b| &**b)
    }

    /// Stores the decoded value (the first reader's wins) and returns the kept one.
    pub fn keep(&self, value: Box<dyn Any + Send + Sync>) -> &(dyn Any + Send + Sync) {
        &**self.decoded.get_or_init(|| value)
    }

    /// Records that `tags` held in a lookup made after the backend's tag
    /// generation was `generation`.
    pub fn checked(&self, generation: u64, tags: &[&str]) {
        let digest = tags_digest(tags);
        if *self.tags.get_or_init(|| digest) == digest {
            self.checked.fetch_max(generation + 1, Ordering::SeqCst);
        }
    }

    /// Whether `tags` held in a lookup made after the tag generation was
    /// already `generation` (so no tag has been written since).
    pub fn still_checked(&self, generation: u64, tags: &[&str]) -> bool {
        self.checked.load(Ordering::SeqCst) == generation + 1
            && self.tags.get() == Some(&tags_digest(tags))
    }
}

/// xxh3 of the tag keys, each followed by a byte no key holds.
fn tags_digest(tags: &[&str]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    for tag in tags {
        hasher.update(tag.as_bytes());
        hasher.update(&[0xff]);
    }
    hasher.digest()
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

/// A store of bytes under string keys, with per-entry lifetimes.
pub trait Backend: Send + Sync + fmt::Debug {
    /// A short name for logs (`memory`, `redis`, `dummy`).
    fn kind(&self) -> &'static str;
    /// The bytes under `key`, if present and not expired.
    fn get(&self, key: &str) -> Result<Option<Bytes>>;
    /// The bytes under each key, in order, in one round trip.
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>>;
    /// Like [`Backend::get_many`], plus the first key's [`Memo`] when this
    /// backend keeps decoded values (the in-process one does).
    fn get_many_memo(&self, keys: &[&str]) -> Result<(Vec<Option<Bytes>>, Option<Memo>)> {
        Ok((self.get_many(keys)?, None))
    }
    /// The [`Memo`] of the live entry under `key`, for backends that keep
    /// them (no round trip: only in-process backends do).
    fn memo(&self, _key: &str) -> Option<Memo> {
        None
    }
    /// A counter that moves after every write of a tag, where this backend
    /// can tell (in-process backends; tags may also be written by other
    /// processes elsewhere). Read before a lookup of tags, it proves that no
    /// tag changed since, while it has not moved.
    fn tag_generation(&self) -> Option<u64> {
        None
    }
    /// Called by the cache after it wrote tags (bumps, creations, clears):
    /// moves [`Backend::tag_generation`].
    fn tags_changed(&self) {}
    /// For stores with a local tier in front of a shared one: whether the
    /// local tier answers now (its tracking connection is up and fresh).
    /// `None` for the others.
    fn local_tier_ready(&self) -> Option<bool> {
        None
    }
    /// Stores `value`, replacing what was there and its lifetime.
    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()>;
    /// Stores every entry with one lifetime, in one round trip.
    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()>;
    /// Stores `value` only if `key` is absent; says whether it stored.
    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool>;
    /// For each entry, stores its value if the key is absent, and returns
    /// what the key held (`None`: this call's value is stored now): how
    /// missing tags are created, in one round trip where the backend can.
    fn add_or_get_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<Vec<Option<Bytes>>> {
        one_by_one_add_or_get(self, entries, ttl)
    }
    /// Stores `value` under `add` only if it is absent (a lease), then reads
    /// `keys` as [`Backend::get_many_memo`] does, in one round trip where
    /// the backend can; the bool says whether it stored.
    fn add_then_get_many(
        &self,
        add: &str,
        value: Bytes,
        ttl: Ttl,
        keys: &[&str],
    ) -> Result<(bool, Vec<Option<Bytes>>, Option<Memo>)> {
        let added = self.add(add, value, ttl)?;
        let (found, memo) = self.get_many_memo(keys)?;
        Ok((added, found, memo))
    }
    /// Stores `value` under `key`, then removes `then_delete` (a fill and
    /// the release of its lease), in one round trip where the backend can.
    fn set_then_delete(&self, key: &str, value: Bytes, ttl: Ttl, then_delete: &str) -> Result<()> {
        self.set(key, value, ttl)?;
        self.delete(then_delete).map(drop)
    }
    /// Removes `key`; says whether it was there.
    fn delete(&self, key: &str) -> Result<bool>;
    /// Removes every key in one round trip; returns how many were there.
    fn delete_many(&self, keys: &[&str]) -> Result<u64>;
    /// Whether `key` is present and not expired.
    fn has_key(&self, key: &str) -> Result<bool>;
    /// Gives `key` a new lifetime; says whether it was there.
    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool>;
    /// Atomically adds `delta` to the integer under `key`, keeping its lifetime.
    fn incr(&self, key: &str, delta: i64) -> Result<Incr>;
    /// Removes every key matching `pattern` (a Redis glob of this cache's
    /// own namespace), and nothing else. Never `FLUSHDB`.
    fn clear(&self, pattern: &str) -> Result<()>;
}
