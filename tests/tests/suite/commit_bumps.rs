//! A transaction's invalidations reach the cache in one round trip at its
//! commit, however many hook writes it made and to however many tables;
//! and what they invalidate is what the writes touched, no less.

use cache_core::backend::{
    Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Memo, MemoryBackend, TagStore,
};
use cache_core::{Bytes, CacheConfig, Result, Ttl};
use cache_diesel::Cache;
use cache_tests::db;
use cache_tests::models::{NewProduct, ProductCache, products};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The in-process backend, counting the writes of tag versions (one
/// `write_versions` is one round trip on Redis).
#[derive(Debug)]
struct Counting {
    inner: MemoryBackend,
    tag_writes: AtomicUsize,
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
}

impl EntryStore for Counting {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        self.inner.read_entry(key, tags, claim)
    }
    fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        self.inner.read_entries(reads)
    }
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.inner.fill(key, bytes, ttl, release)
    }
    fn kept(&self, key: &str) -> Option<Memo> {
        self.inner.kept(key)
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

#[test]
fn a_transactions_hook_writes_are_invalidated_in_one_round_trip_at_commit() {
    let backend = Arc::new(Counting {
        inner: MemoryBackend::new(Some(10_000), None),
        tag_writes: AtomicUsize::new(0),
    });
    let mut cfg = CacheConfig::from_url("memory://").unwrap();
    cfg.key_prefix = cache_tests::unique::prefix("commit_bumps");
    let cache = Cache::with_backend(cfg, backend.clone());
    let products = ProductCache::new(cache.clone());
    let mut db = db::sqlite();
    db.track(&cache);
    let rows: Vec<NewProduct> = (0..20)
        .map(|i| NewProduct::new(&format!("p{i}"), 1))
        .collect();
    products.insert_many(&mut db.conn, rows).unwrap();
    let details: Vec<_> = (1..=20)
        .map(|id| products.get(&mut db.conn, id).unwrap())
        .collect();
    let before = backend.tag_writes.load(Ordering::SeqCst);
    cache_diesel::transaction(&mut db.conn, |conn| {
        for row in &details {
            let title = format!("{} (edited)", row.title);
            products.update(conn, row.id, products::title.eq(title))?;
        }
        products.insert(conn, NewProduct::new("late", 2))?;
        // A write the hooks never saw, to the same table.
        diesel::sql_query("UPDATE products SET is_active = 0 WHERE id = 3").execute(conn)?;
        assert_eq!(
            backend.tag_writes.load(Ordering::SeqCst),
            before,
            "nothing before the commit"
        );
        Ok::<_, cache_diesel::Error>(())
    })
    .unwrap();
    let writes = backend.tag_writes.load(Ordering::SeqCst) - before;
    assert!(
        writes <= 2,
        "21 hook writes: one round trip for the hooks' tags, one for the unseen write; got {writes}"
    );
    for row in &details {
        let now = products.get(&mut db.conn, row.id).unwrap();
        assert_eq!(
            now.title,
            format!("{} (edited)", row.title),
            "row {}",
            row.id
        );
    }
    assert!(!products.get(&mut db.conn, 3).unwrap().is_active);
    assert_eq!(
        products
            .all(&mut db.conn, None, Default::default())
            .unwrap()
            .len(),
        21
    );
}
