//! A transaction's invalidations reach the cache in one round trip at its
//! commit, however many hook writes it made and to however many tables;
//! and what they invalidate is what the writes touched, no less.

use cache_core::CacheConfig;
use cache_diesel::Cache;
use cache_tests::counting::Counting;
use cache_tests::db;
use cache_tests::models::{NewProduct, ProductCache, products};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[test]
fn a_transactions_hook_writes_are_invalidated_in_one_round_trip_at_commit() {
    let backend = Arc::new(Counting::memory());
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
