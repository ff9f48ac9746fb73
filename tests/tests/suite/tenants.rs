//! Tenants (`Cache::tenant`): each tenant's view of a cache keeps entries
//! of its own (no tenant reads another's, nor the cache's own), writes
//! through any view invalidate every tenant's entries (the tags are
//! shared), and `Cache::invalidate_tenant` flushes one tenant's details,
//! lists and counts in one bump, leaving the others' hits.

use cache_tests::env::Env;
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductQueries, products,
};
use diesel::prelude::*;

fn tenants_keep_their_own_entries_and_flush_alone<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let row = (env.products)
        .insert(&mut env.db.conn, NewProduct::new("tea", 1))
        .unwrap();
    let (a, b) = (env.cache.tenant("a"), env.cache.tenant("b"));
    let (pa, pb) = (ProductCache::new(a.clone()), ProductCache::new(b.clone()));
    let in_one = || ProductFilter::default().category_id(1);
    // Every read of one view, and the queries it ran.
    let read_all = |env: &mut Env<C>, p: &ProductCache| {
        env.db.counted(|c| {
            let detail = p.get(c, row.id).unwrap().title;
            let list = p.all(c, None, in_one()).unwrap().into_vec();
            let count = p.count(c, None, in_one()).unwrap();
            (detail, list.len(), count)
        })
    };
    // Each view fills its own entries: the base cache's are not read.
    let base = ProductCache::new(env.cache.clone());
    read_all(env, &base);
    let (_, queries) = read_all(env, &pa);
    assert_eq!(queries, 3, "tenant a read the base cache's entries");
    let (_, queries) = read_all(env, &pb);
    assert_eq!(queries, 3, "tenant b read another's entries");
    let (_, queries) = read_all(env, &pb);
    assert_eq!(queries, 0, "tenant b's own entries are hits");

    // A write through a tenant invalidates every tenant's entries.
    let changes = products::title.eq("Green tea".to_owned());
    pa.update(&mut env.db.conn, row.id, changes).unwrap();
    let ((title, ..), _) = read_all(env, &pb);
    assert_eq!(title, "Green tea", "b after a's write");
    let ((title, ..), _) = read_all(env, &pa);
    assert_eq!(title, "Green tea", "a after its write");

    // One tenant's flush: its entries are read again, the other's hit.
    let (_, queries) = read_all(env, &pa);
    assert_eq!(queries, 0, "a warm");
    env.cache.invalidate_tenant("a").unwrap();
    let (_, queries) = read_all(env, &pa);
    assert_eq!(queries, 3, "a flushed");
    let (_, queries) = read_all(env, &pb);
    assert_eq!(queries, 0, "b untouched by a's flush");

    // Low-level keys are each view's own.
    a.set("k", &1, cache_core::Timeout::Default).unwrap();
    assert_eq!(b.get::<i32>("k").unwrap(), None, "b reads a's key");
    assert_eq!(env.cache.get::<i32>("k").unwrap(), None);
    assert_eq!(a.get::<i32>("k").unwrap(), Some(1));
}

cache_tests::matrix!(env; stores;
    tenants_keep_their_own_entries_and_flush_alone,
);
