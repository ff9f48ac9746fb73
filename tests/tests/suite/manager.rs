//! The model manager, one body per check run unchanged on both APIs: the
//! sync API (`get`, `all`, `update`, ...) on SQLite + in-process memory,
//! on PostgreSQL + Redis, on PostgreSQL + Redis with a local tier, on
//! MariaDB + Redis and on PostgreSQL + a Redis Cluster; the async API
//! (`get_async`, `all_async`, `update_async`, ...) on SQLite
//! (`SyncConnectionWrapper`) + in-process memory and on PostgreSQL
//! (`AsyncPgConnection`) + Redis, + Redis with a local tier and + a Redis
//! Cluster.
//! Database queries are counted through Diesel's instrumentation on the
//! connection under test: 0 on a hit, 1 on a miss.

use cache_diesel::__private::ListFilter;
use cache_diesel::{CachedModel, Error};
use cache_tests::api::{Api, ProductOps, Products};
use cache_tests::env;
use cache_tests::models::{NewProduct, Product, ProductFilter, ProductUnique, products};
use diesel::prelude::*;

/// Inserts products `(slug, category)` and returns their ids.
fn seed<D: Api>(t: &mut Products<D>, rows: &[(&str, i32)]) -> Vec<i32>
where
    Product: ProductOps<D>,
{
    let new: Vec<NewProduct> = rows
        .iter()
        .map(|(slug, cat)| NewProduct::new(slug, *cat))
        .collect();
    assert_eq!(
        t.api.insert_many(&t.products, new).unwrap().len(),
        rows.len()
    );
    let ids = rows
        .iter()
        .map(|(slug, _)| {
            t.api
                .get_unique(&t.uncached, ProductUnique::Slug(slug.to_string()))
                .unwrap()
                .id
        })
        .collect();
    t.api.take_queries();
    ids
}

fn slugs(rows: &[Product]) -> Vec<&str> {
    rows.iter().map(|p| p.slug.as_str()).collect()
}

/// `get_by_slug` / `get_by_slug_async` (what they call).
fn by_slug(slug: &str) -> ProductUnique {
    ProductUnique::Slug(slug.into())
}

fn get_misses_then_hits<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let id = seed(t, &[("apple", 1)])[0];
    let p = &t.products;
    let (first, q1) = t.api.counted(|a| a.get(p, id));
    let (second, q2) = t.api.counted(|a| a.get(p, id));
    assert_eq!((q1, q2), (1, 0), "a miss runs one query, a hit none");
    assert_eq!(first.unwrap(), second.unwrap());
    let (row, q) = t.api.counted(|a| a.get_unique(p, by_slug("apple")));
    assert_eq!((row.unwrap().id, q), (id, 1));
    let (_, q) = t.api.counted(|a| a.find_unique(p, by_slug("apple")));
    assert_eq!(q, 0);
}

fn missing_rows_are_not_found_and_cached_until_an_insert<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let p = &t.products;
    let (err, q1) = t.api.counted(|a| a.get(p, 1));
    assert!(
        matches!(err, Err(Error::NotFound { model: "Product", ref id }) if id == "id=1"),
        "{err:?}"
    );
    let (none, q2) = t.api.counted(|a| a.find(p, 1));
    assert_eq!((none.unwrap(), q1, q2), (None, 1, 0), "negative caching");
    let (none, _) = t.api.counted(|a| a.find_unique(p, by_slug("pear")));
    assert!(none.unwrap().is_none());
    let id = seed(t, &[("pear", 2)])[0];
    assert_eq!(id, 1, "the first row of a fresh table");
    let p = &t.products;
    let (found, q) = t.api.counted(|a| a.find(p, 1));
    assert_eq!(
        (found.unwrap().map(|r| r.slug), q),
        (Some("pear".into()), 1)
    );
    let (found, _) = t.api.counted(|a| a.find_unique(p, by_slug("pear")));
    assert!(
        found.unwrap().is_some(),
        "an insert invalidates cached absences"
    );
}

fn lists_are_filtered_and_cached<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    seed(t, &[("a", 1), ("b", 1), ("c", 2), ("d", 3)]);
    t.api
        .update_where(
            &t.products,
            ProductFilter::default().category_id(3),
            products::is_active.eq(false),
        )
        .unwrap();
    let p = &t.products;
    let cases: Vec<(Option<&str>, ProductFilter, Vec<&str>)> = vec![
        (None, ProductFilter::default(), vec!["a", "b", "c", "d"]),
        (
            Some("active"),
            ProductFilter::default().is_active(true),
            vec!["a", "b", "c"],
        ),
        (
            None,
            ProductFilter::default().category_id(1),
            vec!["a", "b"],
        ),
        (
            None,
            ProductFilter::default().category_id_in([2, 3]),
            vec!["c", "d"],
        ),
        (
            Some("x"),
            ProductFilter::default().is_active(true).category_id_in([3]),
            vec![],
        ),
    ];
    for (suffix, filter, expected) in &cases {
        let (rows, q) = t.api.counted(|a| a.all(p, *suffix, filter.clone()));
        assert_eq!(
            (slugs(&rows.unwrap()), q),
            (expected.clone(), 1),
            "{filter:?}"
        );
    }
    for (suffix, filter, expected) in &cases {
        let (rows, q) = t.api.counted(|a| a.all(p, *suffix, filter.clone()));
        assert_eq!(
            (slugs(&rows.unwrap()), q),
            (expected.clone(), 0),
            "cached: {filter:?}"
        );
    }
}

fn an_update_moves_a_row_between_filtered_lists<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let ids = seed(t, &[("a", 1), ("b", 1), ("c", 2)]);
    let (a, p) = (&mut t.api, &t.products);
    let one = || ProductFilter::default().category_id(1);
    let two = || ProductFilter::default().category_id(2);
    assert_eq!(slugs(&a.all(p, Some("one"), one()).unwrap()), ["a", "b"]);
    assert_eq!(slugs(&a.all(p, Some("two"), two()).unwrap()), ["c"]);
    assert_eq!(a.get(p, ids[1]).unwrap().category_id, 1);
    assert_eq!(
        a.update(p, ids[1], products::category_id.eq(2))
            .unwrap()
            .map(|row| (row.slug, row.category_id)),
        Some(("b".to_string(), 2)),
        "the row after the update"
    );
    assert_eq!(slugs(&a.all(p, Some("one"), one()).unwrap()), ["a"]);
    assert_eq!(slugs(&a.all(p, Some("two"), two()).unwrap()), ["b", "c"]);
    assert_eq!(a.get(p, ids[1]).unwrap().category_id, 2);
}

fn a_changed_unique_value_is_not_served_under_the_old_one<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let id = seed(t, &[("old-slug", 1)])[0];
    let (a, p) = (&mut t.api, &t.products);
    assert_eq!(a.get_unique(p, by_slug("old-slug")).unwrap().id, id);
    assert!(a.find_unique(p, by_slug("new-slug")).unwrap().is_none());
    a.update(p, id, products::slug.eq("new-slug".to_string()))
        .unwrap();
    assert!(matches!(
        a.get_unique(p, by_slug("old-slug")),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(a.get_unique(p, by_slug("new-slug")).unwrap().id, id);

    let mut row = a.get(p, id).unwrap();
    row.slug = "newest".into();
    row.title = "Saved".into();
    assert_eq!(a.save(p, &row).unwrap(), Some(row.clone()));
    assert!(a.find_unique(p, by_slug("new-slug")).unwrap().is_none());
    assert_eq!(a.get(p, id).unwrap(), row);
    assert_eq!(a.get_unique(p, by_slug("newest")).unwrap(), row);
}

fn delete_invalidates_details_and_lists<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let ids = seed(t, &[("a", 1), ("b", 1)]);
    let (a, p) = (&mut t.api, &t.products);
    assert_eq!(a.all(p, None, ProductFilter::default()).unwrap().len(), 2);
    a.get(p, ids[0]).unwrap();
    a.get_unique(p, by_slug("a")).unwrap();
    assert_eq!(
        a.delete(p, ids[0]).unwrap().map(|row| row.slug),
        Some("a".to_string()),
        "the deleted row"
    );
    assert!(matches!(a.get(p, ids[0]), Err(Error::NotFound { .. })));
    assert!(a.find_unique(p, by_slug("a")).unwrap().is_none());
    assert_eq!(
        slugs(&a.all(p, None, ProductFilter::default()).unwrap()),
        ["b"]
    );
    assert_eq!(a.delete(p, ids[0]).unwrap(), None);
}

fn bulk_updates_do_not_escape_invalidation<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let ids = seed(t, &[("a", 1), ("b", 1), ("c", 2)]);
    let (a, p) = (&mut t.api, &t.products);
    let active = || ProductFilter::default().is_active(true);
    assert_eq!(a.all(p, None, active()).unwrap().len(), 3);
    assert!(a.get(p, ids[0]).unwrap().is_active);
    assert!(a.get_unique(p, by_slug("b")).unwrap().is_active);
    let n = a.update_where(
        p,
        ProductFilter::default().category_id(1),
        products::is_active.eq(false),
    );
    assert_eq!(n.unwrap(), 2);
    assert_eq!(slugs(&a.all(p, None, active()).unwrap()), ["c"]);
    assert!(!a.get(p, ids[0]).unwrap().is_active);
    assert!(!a.get_unique(p, by_slug("b")).unwrap().is_active);
    assert!(a.get(p, ids[2]).unwrap().is_active);
}

/// The single-row `insert` returns the row as written (its new id) and
/// invalidates the absence it ends and the lists; counts are cached and
/// follow inserts and deletes; an update or delete of a missing id
/// returns `None`.
fn an_insert_returns_its_row_and_counts_follow_writes<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let ids = seed(t, &[("a", 1), ("b", 2)]);
    let (a, p) = (&mut t.api, &t.products);
    let ones = || ProductFilter::default().category_id(1);
    assert!(a.find_unique(p, by_slug("tea")).unwrap().is_none());
    let (n, q1) = a.counted(|a| a.count(p, None, ones()));
    let (again, q2) = a.counted(|a| a.count(p, None, ones()));
    assert_eq!((n.unwrap(), again.unwrap(), q1, q2), (1, 1, 1, 0));
    assert_eq!(slugs(&a.all(p, None, ones()).unwrap()), ["a"]);
    let tea = a.insert(p, NewProduct::new("tea", 1)).unwrap();
    assert_eq!(
        (tea.slug.as_str(), tea.id > ids[1]),
        ("tea", true),
        "the row as written, with its new id"
    );
    assert_eq!(
        a.find_unique(p, by_slug("tea")).unwrap().map(|r| r.id),
        Some(tea.id),
        "the insert invalidated the absence"
    );
    assert_eq!(a.count(p, None, ones()).unwrap(), 2, "and the counts");
    assert_eq!(slugs(&a.all(p, None, ones()).unwrap()), ["a", "tea"]);
    let missing = tea.id + 100;
    assert_eq!(
        a.update(p, missing, products::title.eq("?".to_string()))
            .unwrap(),
        None
    );
    assert_eq!(a.delete(p, ids[0]).unwrap().map(|r| r.id), Some(ids[0]));
    let (n, q) = a.counted(|a| a.count(p, None, ones()));
    assert_eq!((n.unwrap(), q), (1, 1), "a delete invalidates the counts");
    assert_eq!(a.find(p, ids[0]).unwrap(), None);
}

fn a_suffix_and_an_id_never_share_a_key<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let id = seed(t, &[("a", 1)])[0];
    assert_eq!(id, 1);
    let (a, p) = (&mut t.api, &t.products);
    assert_ne!(
        p.list_key(Some("1"), ""),
        p.detail_key(&ProductUnique::Id(1))
    );
    assert_ne!(p.list_key(Some("1"), ""), p.list_key(None, "1"));
    assert_ne!(
        p.list_key(
            Some("a"),
            &ProductFilter::default().category_id(1).cache_key()
        ),
        p.list_key(Some("a"), "")
    );
    let list = a.all(p, Some("1"), ProductFilter::default()).unwrap();
    let row = a.get(p, 1).unwrap();
    let (again, q) = a.counted(|a| {
        (
            a.all(p, Some("1"), ProductFilter::default()).unwrap(),
            a.get(p, 1).unwrap(),
        )
    });
    assert_eq!((again, q), ((list, row), 0));
}

fn list_and_detail_timeouts_are_separate<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let info = Product::INFO;
    assert_eq!(
        (
            info.list_timeout.as_secs(),
            info.detail_timeout.as_secs(),
            info.not_found_timeout.as_secs()
        ),
        (3600, 60, 10)
    );
    let id = seed(t, &[("a", 1)])[0];
    let (a, p) = (&mut t.api, &t.products);
    a.get(p, id).unwrap();
    a.all(p, None, ProductFilter::default()).unwrap();
    a.find(p, 999).unwrap();
    if let Some(url) = t.cache.config().backend_url() {
        let ttl = |key: String| -> i64 {
            let mut conn = redis::Client::open(url.as_str())
                .unwrap()
                .get_connection()
                .unwrap();
            redis::cmd("PTTL").arg(key).query(&mut conn).unwrap()
        };
        let detail = ttl(p.detail_key(&ProductUnique::Id(id)));
        let list = ttl(p.list_key(None, ""));
        let absent = ttl(p.detail_key(&ProductUnique::Id(999)));
        assert!((55_000..=60_000).contains(&detail), "detail PTTL {detail}");
        assert!((3_595_000..=3_600_000).contains(&list), "list PTTL {list}");
        assert!(
            (5_000..=10_000).contains(&absent),
            "not-found PTTL {absent}"
        );
    }
}

fn a_cache_that_is_down_is_bypassed<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let id = seed(t, &[("a", 1)])[0];
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = env::cache_with_prefix(
        &format!("redis://127.0.0.1:{port}/0?connect_timeout=100ms"),
        "down",
    );
    let p = cache_tests::models::ProductCache::new(down);
    for _ in 0..2 {
        let (row, q) = t.api.counted(|a| a.get(&p, id));
        assert_eq!(
            (row.unwrap().slug, q),
            ("a".to_string(), 1),
            "served from the database"
        );
        let (rows, q) = t.api.counted(|a| a.all(&p, None, ProductFilter::default()));
        assert_eq!((rows.unwrap().len(), q), (1, 1));
    }
    t.api
        .update(&p, id, products::slug.eq("x".to_string()))
        .expect("writes succeed with the cache down");
}

// Each check on each API and environment.
cache_tests::matrix!(
    api Products; both_apis;
    get_misses_then_hits,
    missing_rows_are_not_found_and_cached_until_an_insert,
    lists_are_filtered_and_cached,
    an_update_moves_a_row_between_filtered_lists,
    a_changed_unique_value_is_not_served_under_the_old_one,
    delete_invalidates_details_and_lists,
    bulk_updates_do_not_escape_invalidation,
    an_insert_returns_its_row_and_counts_follow_writes,
    a_suffix_and_an_id_never_share_a_key,
    list_and_detail_timeouts_are_separate,
    a_cache_that_is_down_is_bypassed,
);
