//! A store that counts what it is asked: the in-process store behind a
//! wrapper, for tests that check how many round trips or which path a
//! read or a write took.

use cache_core::__engine::KeyParts;
use cache_core::backend::{
    Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Memo, MemoryBackend, TagClock,
    TagStore,
};
use cache_core::{Bytes, Result, Ttl};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The in-process backend, counting what a test asks of it: writes of
/// tag versions (one `write_versions` is one round trip on Redis), entry
/// reads (the whole protocol) and kept values found by a key's parts
/// (the in-process hit's way).
#[derive(Debug)]
pub struct Counting {
    inner: MemoryBackend,
    /// `write_versions` calls.
    pub tag_writes: AtomicUsize,
    /// `read_entry` and `read_entries` calls.
    pub entry_reads: AtomicUsize,
    /// `kept_by_parts` calls that found a value.
    pub found_by_parts: AtomicUsize,
}

impl Counting {
    /// Around an in-process store of 10,000 entries.
    pub fn memory() -> Self {
        Counting {
            inner: MemoryBackend::new(Some(10_000), None),
            tag_writes: AtomicUsize::new(0),
            entry_reads: AtomicUsize::new(0),
            found_by_parts: AtomicUsize::new(0),
        }
    }
}

impl TagStore for Counting {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        self.tag_writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write_versions(tags, ttl)
    }
    fn create_versions(&self, entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        self.inner.create_versions(entry, tags, ttl)
    }
    fn read_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        self.inner.read_versions(entry, tags)
    }
    fn generation(&self) -> Option<u64> {
        self.inner.generation()
    }
    fn tag_clock(&self) -> Option<&TagClock> {
        self.inner.tag_clock()
    }
}

impl EntryStore for Counting {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        self.entry_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_entry(key, tags, claim)
    }
    fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        self.entry_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_entries(reads)
    }
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.inner.fill(key, bytes, ttl, release)
    }
    fn kept(&self, key: &str) -> Option<Memo> {
        self.inner.kept(key)
    }
    fn kept_by_parts(&self, key: KeyParts<'_>) -> Option<Memo> {
        let found = self.inner.kept_by_parts(key);
        if found.is_some() {
            self.found_by_parts.fetch_add(1, Ordering::SeqCst);
        }
        found
    }
    fn discard(&self, key: &str) {
        self.inner.discard(key)
    }
    fn keep_decoded(&self, key: &str, raw: &Memo, decoded: &Memo) {
        self.inner.keep_decoded(key, raw, decoded)
    }
}

impl Backend for Counting {
    fn kind(&self) -> &'static str {
        "counting"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.inner.set(key, value, ttl)
    }
    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        self.inner.set_many(entries, ttl)
    }
    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        self.inner.add(key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key)
    }
    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        self.inner.delete_many(keys)
    }
    fn has_key(&self, key: &str) -> Result<bool> {
        self.inner.has_key(key)
    }
    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        self.inner.touch(key, ttl)
    }
    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        self.inner.incr(key, delta)
    }
    fn clear(&self, prefix: &str) -> Result<()> {
        self.inner.clear(prefix)
    }
}
