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

pub use self::dummy::DummyBackend;
pub use self::memory::MemoryBackend;
pub use self::redis::{RedisBackend, RedisOptions};

use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::fmt;

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
