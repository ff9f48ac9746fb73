//! Django's low-level cache API on a [`Cache`]: values encoded and
//! decoded through serde (sizes checked, refusals logged once a period),
//! `get`, `set`, `add`, `delete`, `touch`, `incr`, the `_many` forms,
//! `get_or_set`, `clear` and versions.

use super::Cache;
use crate::backend::Incr;
use crate::codec;
use crate::error::{Error, Result};
use crate::key::Key;
use crate::log_limit::Cause;
use crate::stats::Counter;
use crate::timeout::{Lifetime, Timeout};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A value refused for its size is logged once per key in this period
/// (every read of it is refused again, and counted).
const REFUSAL_LOG_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);
/// At most this many keys are remembered; past it, the memory starts over.
const REFUSALS_REMEMBERED: usize = 1024;

impl Cache {
    fn backend_key(&self, key: &Key<'_>) -> String {
        let version = key.explicit_version().unwrap_or(self.inner.config.version);
        self.keys().user_key(key.name(), version)
    }

    /// Counts backend failures on the way out.
    fn observe<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result
            && e.is_backend_failure()
        {
            self.count(Counter::Error, 1);
            tracing::debug!(backend = self.inner.backend.kind(), error = %e, "cache backend call failed");
        }
        result
    }

    fn lifetime(&self, timeout: Timeout) -> Lifetime {
        timeout.resolve(self.inner.config.default_timeout)
    }

    /// Whether `key`'s refusal should be logged: not logged in the last
    /// [`REFUSAL_LOG_PERIOD`].
    fn first_refusal_in_period(&self, key: &str) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self
            .inner
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(at) = seen.get(key)
            && now.duration_since(*at) < REFUSAL_LOG_PERIOD
        {
            return false;
        }
        if seen.len() >= REFUSALS_REMEMBERED {
            seen.clear();
        }
        seen.insert(key.to_owned(), now);
        true
    }

    /// Encodes a value, refusing it when over `max_value_size`.
    pub(crate) fn encode<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<Bytes> {
        let bytes = codec::encode(value).map_err(|reason| {
            self.count(Counter::Error, 1);
            Error::Encode {
                key: name.to_owned(),
                reason,
            }
        })?;
        self.check_size(name, bytes)
    }

    /// Refuses encoded bytes over `max_value_size` (counted in `refused`,
    /// logged once per key and minute).
    pub(crate) fn check_size(&self, name: &str, bytes: Vec<u8>) -> Result<Bytes> {
        let max = self.inner.config.max_value_size;
        if bytes.len() > max {
            self.count(Counter::Refused, 1);
            if self.first_refusal_in_period(name) {
                tracing::warn!(
                    key = name,
                    size = bytes.len(),
                    max,
                    "cache value over the maximum size (after compression); not stored (logged once a minute per key; counted in `refused`)"
                );
            }
            return Err(Error::ValueTooLarge {
                key: name.to_owned(),
                size: bytes.len(),
                max,
            });
        }
        Ok(Bytes::from(bytes))
    }

    /// Decodes stored bytes; undecodable bytes are a logged miss.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        name: &str,
        bytes: Option<Bytes>,
    ) -> Option<T> {
        let Some(bytes) = bytes else {
            self.count(Counter::Miss, 1);
            tracing::trace!(key = name, "cache miss");
            return None;
        };
        match codec::decode(&bytes) {
            Ok(value) => {
                self.count(Counter::Hit, 1);
                tracing::trace!(key = name, "cache hit");
                Some(value)
            }
            Err(e) => {
                self.count(Counter::Undecodable, 1);
                self.count(Counter::Miss, 1);
                if let Some(more) = self.log_limit(Cause::Undecodable) {
                    tracing::warn!(key = name, error = %e, "undecodable cache entry, treated as a miss{more}");
                }
                None
            }
        }
    }

    /// The value under `key`; `None` on a miss (or undecodable bytes).
    /// A stored `None` comes back as `Some(None)` when `T` is an `Option`.
    pub fn get<'k, T: DeserializeOwned>(&self, key: impl Into<Key<'k>>) -> Result<Option<T>> {
        let key = key.into();
        let bytes = self.observe(self.inner.backend.get(&self.backend_key(&key)))?;
        Ok(self.decode(key.name(), bytes))
    }

    /// The value under `key`, or `default` on a miss.
    pub fn get_or<'k, T: DeserializeOwned>(
        &self,
        key: impl Into<Key<'k>>,
        default: T,
    ) -> Result<T> {
        Ok(self.get(key)?.unwrap_or(default))
    }

    /// Stores `value` under `key`. A zero timeout stores nothing and removes
    /// what was there, as Django. A value refused (over `max_value_size`,
    /// or failing to encode) is an error and removes what was there too, as
    /// Django's memcached backends do.
    pub fn set<'k, T: Serialize + ?Sized>(
        &self,
        key: impl Into<Key<'k>>,
        value: &T,
        timeout: impl Into<Timeout>,
    ) -> Result<()> {
        let key = key.into();
        let bkey = self.backend_key(&key);
        match self.lifetime(timeout.into()) {
            Lifetime::Skip => self.observe(self.inner.backend.delete(&bkey)).map(drop),
            Lifetime::Store(ttl) => {
                let bytes = match self.encode(key.name(), value) {
                    Ok(bytes) => bytes,
                    Err(refused) => {
                        // As Django's memcached backends do: a value that is
                        // not stored leaves nothing of the one it replaces.
                        let _ = self.observe(self.inner.backend.delete(&bkey));
                        return Err(refused);
                    }
                };
                self.observe(self.inner.backend.set(&bkey, bytes, ttl))?;
                self.count(Counter::Write, 1);
                Ok(())
            }
        }
    }

    /// Stores `value` only if `key` is absent; says whether it stored (with
    /// a zero timeout: whether it would have).
    pub fn add<'k, T: Serialize + ?Sized>(
        &self,
        key: impl Into<Key<'k>>,
        value: &T,
        timeout: impl Into<Timeout>,
    ) -> Result<bool> {
        let key = key.into();
        let bkey = self.backend_key(&key);
        match self.lifetime(timeout.into()) {
            Lifetime::Skip => self
                .observe(self.inner.backend.has_key(&bkey))
                .map(|present| !present),
            Lifetime::Store(ttl) => {
                let bytes = self.encode(key.name(), value)?;
                let stored = self.observe(self.inner.backend.add(&bkey, bytes, ttl))?;
                self.count(Counter::Write, u64::from(stored));
                Ok(stored)
            }
        }
    }

    /// Removes `key`; says whether it was there.
    pub fn delete<'k>(&self, key: impl Into<Key<'k>>) -> Result<bool> {
        let found = self.observe(self.inner.backend.delete(&self.backend_key(&key.into())))?;
        self.count(Counter::Delete, u64::from(found));
        Ok(found)
    }

    /// Whether `key` is present (and not expired).
    pub fn has_key<'k>(&self, key: impl Into<Key<'k>>) -> Result<bool> {
        self.observe(self.inner.backend.has_key(&self.backend_key(&key.into())))
    }

    /// Gives `key` a new lifetime; says whether it was there. A zero timeout
    /// removes it.
    pub fn touch<'k>(&self, key: impl Into<Key<'k>>, timeout: impl Into<Timeout>) -> Result<bool> {
        let bkey = self.backend_key(&key.into());
        match self.lifetime(timeout.into()) {
            Lifetime::Skip => self.observe(self.inner.backend.delete(&bkey)),
            Lifetime::Store(ttl) => self.observe(self.inner.backend.touch(&bkey, ttl)),
        }
    }

    /// Atomically adds `delta` to the integer under `key` and returns the new
    /// value; [`Error::KeyNotFound`] when the key is absent, as Django.
    pub fn incr<'k>(&self, key: impl Into<Key<'k>>, delta: i64) -> Result<i64> {
        let key = key.into();
        let outcome = self.observe(self.inner.backend.incr(&self.backend_key(&key), delta))?;
        let name = key.name().to_owned();
        match outcome {
            Incr::Value(n) => Ok(n),
            Incr::Missing => Err(Error::KeyNotFound { key: name }),
            Incr::NotAnInteger => Err(Error::NotAnInteger { key: name }),
            Incr::Overflow => Err(Error::Overflow { key: name }),
        }
    }

    /// Atomically subtracts `delta`; see [`Cache::incr`].
    pub fn decr<'k>(&self, key: impl Into<Key<'k>>, delta: i64) -> Result<i64> {
        let key = key.into();
        let negated = delta.checked_neg().ok_or_else(|| Error::Overflow {
            key: key.name().to_owned(),
        })?;
        self.incr(key, negated)
    }

    /// The values found, by key name, in one round trip; misses and
    /// undecodable entries are absent from the map. The map is keyed by
    /// name alone (as Django's): a name given at two versions answers the
    /// value of the last of them found; call once per version to tell them
    /// apart.
    pub fn get_many<'k, T, I>(&self, keys: I) -> Result<HashMap<String, T>>
    where
        T: DeserializeOwned,
        I: IntoIterator,
        I::Item: Into<Key<'k>>,
    {
        let keys: Vec<Key<'k>> = keys.into_iter().map(Into::into).collect();
        let bkeys: Vec<String> = keys.iter().map(|k| self.backend_key(k)).collect();
        let refs: Vec<&str> = bkeys.iter().map(String::as_str).collect();
        let values = self.observe(self.inner.backend.get_many(&refs))?;
        Ok(keys
            .iter()
            .zip(values)
            .filter_map(|(k, bytes)| {
                self.decode(k.name(), bytes)
                    .map(|v| (k.name().to_owned(), v))
            })
            .collect())
    }

    /// Stores every entry in one round trip; returns the names of the keys it
    /// could not store (over the maximum size, or failing to encode, whose
    /// old values are removed), as Django's `set_many`.
    pub fn set_many<'k, K, T, I>(
        &self,
        entries: I,
        timeout: impl Into<Timeout>,
    ) -> Result<Vec<String>>
    where
        K: Into<Key<'k>>,
        T: Serialize,
        I: IntoIterator<Item = (K, T)>,
    {
        let lifetime = self.lifetime(timeout.into());
        let mut failed = Vec::new();
        let mut encoded: Vec<(String, Bytes)> = Vec::new();
        let mut not_stored: Vec<String> = Vec::new();
        for (key, value) in entries {
            let key = key.into();
            match self.encode(key.name(), &value) {
                Ok(bytes) => encoded.push((self.backend_key(&key), bytes)),
                Err(_) => {
                    failed.push(key.name().to_owned());
                    not_stored.push(self.backend_key(&key));
                }
            }
        }
        if !not_stored.is_empty() {
            // As `set`: nothing is left of the values they were to replace.
            let keys: Vec<&str> = not_stored.iter().map(String::as_str).collect();
            let _ = self.observe(self.inner.backend.delete_many(&keys));
        }
        let pairs: Vec<(&str, Bytes)> = encoded
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        match lifetime {
            Lifetime::Skip => {
                let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
                self.observe(self.inner.backend.delete_many(&keys))?;
            }
            Lifetime::Store(ttl) => {
                self.observe(self.inner.backend.set_many(&pairs, ttl))?;
                self.count(Counter::Write, pairs.len() as u64);
            }
        }
        Ok(failed)
    }

    /// Removes every key in one round trip; returns how many were there.
    pub fn delete_many<'k, I>(&self, keys: I) -> Result<u64>
    where
        I: IntoIterator,
        I::Item: Into<Key<'k>>,
    {
        let bkeys: Vec<String> = keys
            .into_iter()
            .map(|k| self.backend_key(&k.into()))
            .collect();
        let refs: Vec<&str> = bkeys.iter().map(String::as_str).collect();
        let n = self.observe(self.inner.backend.delete_many(&refs))?;
        self.count(Counter::Delete, n);
        Ok(n)
    }

    /// The value under `key`; on a miss, runs `make` (only then), stores its
    /// result and returns it. A result over the maximum size is returned
    /// without being stored (and a warning is logged).
    pub fn get_or_set<'k, T, F>(
        &self,
        key: impl Into<Key<'k>>,
        make: F,
        timeout: impl Into<Timeout>,
    ) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> T,
    {
        self.get_or_try_set(key, || Ok::<T, Error>(make()), timeout)
    }

    /// As [`Cache::get_or_set`] with a fallible `make`, whose error is
    /// returned as is (nothing is stored).
    pub fn get_or_try_set<'k, T, E, F>(
        &self,
        key: impl Into<Key<'k>>,
        make: F,
        timeout: impl Into<Timeout>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<Error>,
        F: FnOnce() -> Result<T, E>,
    {
        let key = key.into();
        if let Some(found) = self.get(key.clone())? {
            return Ok(found);
        }
        let value = make()?;
        match self.set(key, &value, timeout) {
            Ok(()) | Err(Error::ValueTooLarge { .. }) => Ok(value),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes every key of this cache's namespace (its prefix), and nothing
    /// else: never `FLUSHDB`. (The in-process store holds keys as hashes
    /// and cannot tell prefixes apart: there it removes every entry of the
    /// store, which only another cache built on the same store object
    /// notices, as misses.)
    pub fn clear(&self) -> Result<()> {
        let cleared = self.inner.backend.clear(self.inner.keys.namespace_prefix());
        self.observe(cleared)
    }

    /// Moves the value under `key` to its version plus `delta` (Django's
    /// `incr_version`); returns the new version.
    pub fn incr_version<'k>(&self, key: impl Into<Key<'k>>, delta: i64) -> Result<u64> {
        let key = key.into();
        let version = key.explicit_version().unwrap_or(self.inner.config.version);
        let name = key.name().to_owned();
        let new_version = version
            .checked_add_signed(delta)
            .ok_or_else(|| Error::Overflow { key: name.clone() })?;
        let old = self.backend_key(&key);
        let Some(bytes) = self.observe(self.inner.backend.get(&old))? else {
            return Err(Error::KeyNotFound { key: name });
        };
        if new_version == version {
            // Moved onto itself: the delete below would remove it.
            return Ok(version);
        }
        let new = self.keys().user_key(&name, new_version);
        let ttl = match self.lifetime(Timeout::Default) {
            Lifetime::Store(ttl) => ttl,
            Lifetime::Skip => return Err(Error::KeyNotFound { key: name }),
        };
        self.observe(self.inner.backend.set(&new, bytes, ttl))?;
        self.observe(self.inner.backend.delete(&old))?;
        Ok(new_version)
    }

    /// Moves the value under `key` to its version minus `delta`.
    pub fn decr_version<'k>(&self, key: impl Into<Key<'k>>, delta: i64) -> Result<u64> {
        let key = key.into();
        let negated = delta.checked_neg().ok_or_else(|| Error::Overflow {
            key: key.name().to_owned(),
        })?;
        self.incr_version(key, negated)
    }
}
