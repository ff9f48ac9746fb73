//! The in-process backend: a bounded moka cache with per-entry lifetimes
//! for entries and low-level keys, and a compact table for tag versions.

use super::versions::{DEFAULT_MAX_TAGS, Versions};
use super::{Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Memo, MemoSlot, TagStore};
use crate::codec;
use crate::error::Result;
use crate::timeout::{Ttl, deadline};
use bytes::Bytes;
use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache as Moka;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Bytes per entry counted on top of key and value when bounding by bytes.
const ENTRY_OVERHEAD: u64 = 64;

#[derive(Debug, Clone)]
struct Stored {
    /// The bytes until a reader decodes them, then the decoded value.
    memo: Memo,
    /// xxh3 of the bytes as written: whether other bytes are the same.
    digest: u64,
    /// Length of the bytes as written: what the entry weighs (its decoded
    /// value is taken to weigh as much as its encoding).
    weight: u32,
    expires_at: Option<Instant>,
}

impl Stored {
    fn new(bytes: Bytes, ttl: Ttl) -> Self {
        Stored::until(bytes, ttl.map(deadline))
    }

    fn until(bytes: Bytes, expires_at: Option<Instant>) -> Self {
        Stored {
            digest: xxhash_rust::xxh3::xxh3_64(&bytes),
            weight: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            memo: MemoSlot::holding(bytes),
            expires_at,
        }
    }

    /// The bytes, or, once decoded, none: an empty slice the driver reads
    /// through the memo.
    fn bytes(&self) -> Bytes {
        self.memo.bytes().unwrap_or_default()
    }

    fn live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

struct ByDeadline;

impl Expiry<String, Stored> for ByDeadline {
    fn expire_after_create(&self, _: &String, v: &Stored, now: Instant) -> Option<Duration> {
        v.expires_at.map(|t| t.saturating_duration_since(now))
    }
    fn expire_after_update(
        &self,
        _: &String,
        v: &Stored,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        v.expires_at.map(|t| t.saturating_duration_since(now))
    }
}

/// In-process storage, bounded by entries and/or bytes.
///
/// An entry of the protocol is held once: its bytes until a reader decodes
/// them, then the decoded value only (`get` then answers empty bytes for
/// it). A reader of another type than the first one finds no bytes to
/// decode: a miss, whose fill replaces the entry (managers key entries by
/// their type's schema, so this takes two types under one key by hand).
///
/// When both bounds are set, every entry weighs at least
/// `max_bytes / max_entries`, so neither bound can be exceeded. Tag
/// versions are not entries: they live in a table of 16 bytes a tag (the
/// xxh3 of the tag's key and its version), holding at most four tags per
/// entry allowed (a full table starts over: entries then miss, never go
/// stale). Two tags whose keys collide share a version, so a bump of one
/// also invalidates the other's entries: a miss, never a stale read.
#[derive(Clone)]
pub struct MemoryBackend {
    store: Moka<String, Stored>,
    tags: Arc<Versions>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("entries", &self.store.entry_count())
            .finish()
    }
}

impl MemoryBackend {
    /// A store holding at most `max_entries` entries and `max_bytes` bytes
    /// (`None` for no bound on that measure).
    pub fn new(max_entries: Option<u64>, max_bytes: Option<u64>) -> Self {
        let builder = Moka::builder().expire_after(ByDeadline);
        let store = match (max_entries, max_bytes) {
            (None, None) => builder.build(),
            (Some(n), None) => builder.max_capacity(n).build(),
            (entries, Some(bytes)) => {
                let floor = entries.map_or(1, |n| bytes.div_ceil(n.max(1)));
                builder
                    .max_capacity(bytes)
                    .weigher(move |k: &String, v: &Stored| {
                        let size = k.len() as u64 + u64::from(v.weight) + ENTRY_OVERHEAD;
                        u32::try_from(size.max(floor)).unwrap_or(u32::MAX)
                    })
                    .build()
            }
        };
        let max_tags = max_entries.map_or(DEFAULT_MAX_TAGS, |n| {
            usize::try_from(n.saturating_mul(4)).unwrap_or(usize::MAX)
        });
        MemoryBackend {
            store,
            tags: Arc::new(Versions::new(max_tags)),
        }
    }

    /// Runs pending evictions now (moka applies bounds asynchronously).
    pub fn run_pending_tasks(&self) {
        self.store.run_pending_tasks();
    }

    /// Entries currently held (approximate until pending tasks run).
    pub fn entry_count(&self) -> u64 {
        self.store.entry_count()
    }

    /// The bytes under `key` (empty once decoded) and their memo.
    pub(crate) fn lookup(&self, key: &str) -> Option<(Bytes, Memo)> {
        self.live(key).map(|s| (s.bytes(), s.memo))
    }

    /// The memo under `key` if what is stored there was written as `bytes`.
    pub(crate) fn same(&self, key: &str, bytes: &Bytes) -> Option<Memo> {
        self.live(key)
            .filter(|s| s.digest == xxhash_rust::xxh3::xxh3_64(bytes))
            .map(|s| s.memo)
    }

    /// Stores `bytes` under `key` unless the same bytes are there already
    /// (whose memo, and decoded value, are kept); returns the memo.
    pub(crate) fn keep(&self, key: &str, bytes: &Bytes, ttl: Ttl) -> Memo {
        if let Some(memo) = self.same(key, bytes) {
            return memo;
        }
        let stored = Stored::new(bytes.clone(), ttl);
        let memo = stored.memo.clone();
        self.store.insert(key.to_owned(), stored);
        memo
    }

    fn live(&self, key: &str) -> Option<Stored> {
        self.store.get(key).filter(|s| s.live(Instant::now()))
    }
}

impl TagStore for MemoryBackend {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        for (tag, version) in tags {
            self.tags.put(tag, *version, true, ttl);
        }
        // After the writes: a reader that saw the old generation looked the
        // tags up before them.
        self.tags.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn create_versions(&self, _entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        Ok(tags
            .iter()
            .map(|(tag, version)| self.tags.put(tag, *version, false, ttl))
            .collect())
    }

    fn read_versions(&self, _entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        Ok(tags.iter().map(|t| self.tags.get(t)).collect())
    }

    fn generation(&self) -> Option<u64> {
        Some(self.tags.generation.load(Ordering::SeqCst))
    }
}

impl EntryStore for MemoryBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        let leased = match claim {
            Some(claim) => {
                self.create_versions(key, claim.create, claim.tag_ttl)?;
                self.add(claim.lease, Bytes::from_static(b"1"), Some(claim.lease_ttl))?
            }
            None => false,
        };
        let (entry, memo) = self.lookup(key).unzip();
        Ok(Fetched {
            entry,
            memo,
            versions: tags.iter().map(|t| self.tags.get(t)).collect(),
            leased,
        })
    }

    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.store.insert(key.to_owned(), Stored::new(bytes, ttl));
        if let Some(lease) = release {
            self.store.remove(lease);
        }
        Ok(())
    }

    fn kept(&self, key: &str) -> Option<Memo> {
        self.live(key).map(|s| s.memo)
    }
}

impl Backend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn nonblocking(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn super::AsyncStore>> {
        Some(std::sync::Arc::new(super::InProcess(self)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: false,
            keeps_decoded: true,
        }
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.live(key).map(|s| s.bytes()))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Ok(keys
            .iter()
            .map(|k| self.live(k).map(|s| s.bytes()))
            .collect())
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.store.insert(key.to_owned(), Stored::new(value, ttl));
        Ok(())
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        for (key, value) in entries {
            self.store
                .insert((*key).to_owned(), Stored::new(value.clone(), ttl));
        }
        Ok(())
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        let mut stored = false;
        self.store
            .entry(key.to_owned())
            .and_compute_with(|current| match current {
                Some(e) if e.value().live(Instant::now()) => Op::Nop,
                _ => {
                    stored = true;
                    Op::Put(Stored::new(value, ttl))
                }
            });
        Ok(stored)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        Ok(self
            .store
            .remove(key)
            .is_some_and(|s| s.live(Instant::now())))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        let mut n = 0;
        for key in keys {
            n += u64::from(self.delete(key)?);
        }
        Ok(n)
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        Ok(self.live(key).is_some())
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        let mut found = false;
        self.store
            .entry(key.to_owned())
            .and_compute_with(|current| match current {
                Some(e) if e.value().live(Instant::now()) => {
                    found = true;
                    Op::Put(Stored {
                        expires_at: ttl.map(deadline),
                        ..e.into_value()
                    })
                }
                _ => Op::Nop,
            });
        Ok(found)
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        let mut outcome = Incr::Missing;
        self.store
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let Some(entry) = current.filter(|e| e.value().live(Instant::now())) else {
                    return Op::Nop;
                };
                let Some(old) = codec::decode_counter(&entry.value().bytes()) else {
                    outcome = Incr::NotAnInteger;
                    return Op::Nop;
                };
                let Some(new) = old.checked_add(delta) else {
                    outcome = Incr::Overflow;
                    return Op::Nop;
                };
                outcome = Incr::Value(new);
                let expires_at = entry.value().expires_at;
                Op::Put(Stored::until(Bytes::from(new.to_string()), expires_at))
            });
        Ok(outcome)
    }

    fn clear(&self, prefix: &str) -> Result<()> {
        let mine: Vec<Arc<String>> = self
            .store
            .iter()
            .map(|(key, _)| key)
            .filter(|key| key.starts_with(prefix))
            .collect();
        for key in mine {
            self.store.invalidate(&*key);
        }
        // Versions are kept by hash, not by prefix: all are forgotten (the
        // entries of another cache sharing this store then miss).
        self.tags.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_entry_is_held_once_and_still_known_by_its_bytes() {
        let m = MemoryBackend::new(None, None);
        let v1 = Bytes::from_static(b"first");
        m.fill("e", v1.clone(), None, None).unwrap();
        let (bytes, memo) = m.lookup("e").unwrap();
        assert_eq!(bytes, v1, "not decoded yet: the bytes");
        memo.keep(Box::new(1u8));
        let (bytes, kept) = m.lookup("e").unwrap();
        assert!(bytes.is_empty(), "decoded: the bytes are gone");
        assert!(Arc::ptr_eq(&kept, &memo) && kept.decoded().is_some());
        assert!(m.same("e", &v1).is_some(), "still known to be those bytes");
        assert!(
            Arc::ptr_eq(&m.keep("e", &v1, None), &memo),
            "kept, not replaced"
        );
        let v2 = Bytes::from_static(b"second");
        assert!(m.same("e", &v2).is_none());
        assert!(
            !Arc::ptr_eq(&m.keep("e", &v2, None), &memo),
            "other bytes replace it"
        );
        assert_eq!(m.lookup("e").unwrap().0, v2);
    }

    #[test]
    fn the_longest_lifetimes_are_stored_not_a_panic() {
        let m = MemoryBackend::new(None, None);
        m.set("k", Bytes::from_static(b"v"), Some(Duration::MAX))
            .unwrap();
        assert!(
            m.add("a", Bytes::from_static(b"v"), Some(Duration::MAX))
                .unwrap()
        );
        assert!(m.touch("k", Some(Duration::MAX)).unwrap());
        m.set_many(&[("m", Bytes::from_static(b"v"))], Some(Duration::MAX))
            .unwrap();
        assert_eq!(m.get("k").unwrap(), Some(Bytes::from_static(b"v")));
    }

    #[test]
    fn bounded_by_entries() {
        let m = MemoryBackend::new(Some(10), None);
        for i in 0..100 {
            m.set(&i.to_string(), Bytes::from_static(b"v"), None)
                .unwrap();
        }
        m.run_pending_tasks();
        assert!(m.entry_count() <= 10, "{}", m.entry_count());
    }

    #[test]
    fn bounded_by_bytes_and_entries_together() {
        let m = MemoryBackend::new(Some(50), Some(10_000));
        let big = Bytes::from(vec![0u8; 1_000]);
        for i in 0..100 {
            m.set(&format!("b{i}"), big.clone(), None).unwrap();
        }
        m.run_pending_tasks();
        assert!(m.entry_count() <= 10, "bytes bound: {}", m.entry_count());
        let m = MemoryBackend::new(Some(5), Some(1 << 20));
        for i in 0..100 {
            m.set(&format!("s{i}"), Bytes::from_static(b"v"), None)
                .unwrap();
        }
        m.run_pending_tasks();
        assert!(m.entry_count() <= 5, "entries bound: {}", m.entry_count());
    }
}
