//! The in-process hit's short way: a row read again, with nothing
//! written since, is answered from the value the store kept decoded,
//! found by its key's parts where the value is written verbatim in keys,
//! by its built key where it is not, and never by reading the entry and
//! its tags again; a write sends the next read the whole way, once.

use cache_core::CacheConfig;
use cache_diesel::Cache;
use cache_tests::counting::Counting;
use cache_tests::db;
use cache_tests::models::{NewProduct, ProductCache, products};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[test]
fn a_row_read_again_is_found_by_its_keys_parts_without_reading_the_entry() {
    let backend = Arc::new(Counting::memory());
    let mut cfg = CacheConfig::from_url("memory://").unwrap();
    cfg.key_prefix = cache_tests::unique::prefix("kept_hits");
    let cache = Cache::with_backend(cfg, backend.clone());
    let products = ProductCache::new(cache.clone());
    let mut db = db::sqlite();
    db.track(&cache);
    // A slug written verbatim in keys, and one with a `:` (kept, but
    // found by its built key: the store splits keys at their last `:`).
    let plain = products
        .insert(&mut db.conn, NewProduct::new("plain-slug", 1))
        .unwrap();
    let colon = products
        .insert(&mut db.conn, NewProduct::new("a:b", 1))
        .unwrap();
    for _ in 0..2 {
        // A fill, then a read that decodes and keeps the value.
        products.get(&mut db.conn, plain.id).unwrap();
        products
            .get_by_slug(&mut db.conn, "plain-slug".into())
            .unwrap();
        products.get_by_slug(&mut db.conn, "a:b".into()).unwrap();
    }
    let counts = || {
        (
            backend.entry_reads.load(Ordering::SeqCst),
            backend.found_by_parts.load(Ordering::SeqCst),
        )
    };
    let (reads, by_parts) = counts();
    for _ in 0..10 {
        assert_eq!(products.get(&mut db.conn, plain.id).unwrap(), plain);
        assert_eq!(
            products
                .get_by_slug(&mut db.conn, "plain-slug".into())
                .unwrap(),
            plain
        );
        assert_eq!(
            products.get_by_slug(&mut db.conn, "a:b".into()).unwrap(),
            colon
        );
    }
    assert_eq!(
        counts(),
        (reads, by_parts + 20),
        "(entry reads, kept values found by parts): 20 hits by parts, the \
         slug with a `:` by its built key, none the whole way"
    );
    // A write: the next read of the row goes the whole way, and sees it.
    products
        .update(&mut db.conn, plain.id, products::title.eq("edited"))
        .unwrap();
    let edited = products.get(&mut db.conn, plain.id).unwrap();
    assert_eq!(edited.title, "edited");
    let (reads_after, _) = counts();
    assert!(
        reads_after > reads,
        "the read after a write reads the entry"
    );
    products.get(&mut db.conn, plain.id).unwrap();
    let (reads, by_parts) = counts();
    assert_eq!(products.get(&mut db.conn, plain.id).unwrap(), edited);
    assert_eq!(counts(), (reads, by_parts + 1), "by parts again");
}
