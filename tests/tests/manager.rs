//! The model manager, run unchanged on SQLite + in-process memory, on
//! PostgreSQL + Redis, on PostgreSQL + Redis with a local tier, on
//! MariaDB + Redis and on PostgreSQL + a Redis Cluster. Database queries are counted through Diesel's
//! instrumentation: 0 on a hit, 1 on a miss.

use cache_diesel::{CachedModel, Error, ListFilter};
use cache_tests::env::{self, Env};
use cache_tests::models::{
    NewProduct, Product, ProductFilter, ProductQueries, ProductUnique, products,
};
use diesel::prelude::*;

/// Inserts products `(slug, category)` and returns their ids.
fn seed<C: Connection + 'static>(env: &mut Env<C>, rows: &[(&str, i32)]) -> Vec<i32>
where
    Product: ProductQueries<C>,
{
    let new: Vec<NewProduct> = rows
        .iter()
        .map(|(slug, cat)| NewProduct::new(slug, *cat))
        .collect();
    assert_eq!(
        env.products
            .insert_many(&mut env.db.conn, new)
            .unwrap()
            .len(),
        rows.len()
    );
    let ids = rows
        .iter()
        .map(|(slug, _)| {
            env.uncached
                .get_by_slug(&mut env.db.conn, slug.to_string())
                .unwrap()
                .id
        })
        .collect();
    env.db.take_queries();
    ids
}

fn slugs(rows: &[Product]) -> Vec<&str> {
    rows.iter().map(|p| p.slug.as_str()).collect()
}

fn get_misses_then_hits<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = seed(env, &[("apple", 1)])[0];
    let p = &env.products;
    let (first, q1) = env.db.counted(|c| p.get(c, id));
    let (second, q2) = env.db.counted(|c| p.get(c, id));
    assert_eq!((q1, q2), (1, 0), "a miss runs one query, a hit none");
    assert_eq!(first.unwrap(), second.unwrap());
    let (by_slug, q) = env.db.counted(|c| p.get_by_slug(c, "apple".into()));
    assert_eq!((by_slug.unwrap().id, q), (id, 1));
    let (_, q) = env.db.counted(|c| p.find_by_slug(c, "apple".into()));
    assert_eq!(q, 0);
}

fn missing_rows_are_not_found_and_cached_until_an_insert<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let p = &env.products;
    let (err, q1) = env.db.counted(|c| p.get(c, 1));
    assert!(
        matches!(err, Err(Error::NotFound { model: "Product", ref id }) if id == "id=1"),
        "{err:?}"
    );
    let (none, q2) = env.db.counted(|c| p.find(c, 1));
    assert_eq!((none.unwrap(), q1, q2), (None, 1, 0), "negative caching");
    let (none, _) = env.db.counted(|c| p.find_by_slug(c, "pear".into()));
    assert!(none.unwrap().is_none());
    let id = seed(env, &[("pear", 2)])[0];
    assert_eq!(id, 1, "the first row of a fresh table");
    let p = &env.products;
    let (found, q) = env.db.counted(|c| p.find(c, 1));
    assert_eq!(
        (found.unwrap().map(|r| r.slug), q),
        (Some("pear".into()), 1)
    );
    let (found, _) = env.db.counted(|c| p.find_by_slug(c, "pear".into()));
    assert!(
        found.unwrap().is_some(),
        "an insert invalidates cached absences"
    );
}

fn lists_are_filtered_and_cached<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    seed(env, &[("a", 1), ("b", 1), ("c", 2), ("d", 3)]);
    env.products
        .update_where(
            &mut env.db.conn,
            ProductFilter::default().category_id(3),
            products::is_active.eq(false),
        )
        .unwrap();
    let p = &env.products;
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
        let (rows, q) = env.db.counted(|c| p.all(c, *suffix, filter.clone()));
        assert_eq!(
            (slugs(&rows.unwrap()), q),
            (expected.clone(), 1),
            "{filter:?}"
        );
    }
    for (suffix, filter, expected) in &cases {
        let (rows, q) = env.db.counted(|c| p.all(c, *suffix, filter.clone()));
        assert_eq!(
            (slugs(&rows.unwrap()), q),
            (expected.clone(), 0),
            "cached: {filter:?}"
        );
    }
}

fn an_update_moves_a_row_between_filtered_lists<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let ids = seed(env, &[("a", 1), ("b", 1), ("c", 2)]);
    let p = &env.products;
    let one = || ProductFilter::default().category_id(1);
    let two = || ProductFilter::default().category_id(2);
    assert_eq!(
        slugs(&p.all(&mut env.db.conn, Some("one"), one()).unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        slugs(&p.all(&mut env.db.conn, Some("two"), two()).unwrap()),
        ["c"]
    );
    assert_eq!(p.get(&mut env.db.conn, ids[1]).unwrap().category_id, 1);
    assert_eq!(
        p.update(&mut env.db.conn, ids[1], products::category_id.eq(2))
            .unwrap()
            .map(|row| (row.slug, row.category_id)),
        Some(("b".to_string(), 2)),
        "the row after the update"
    );
    assert_eq!(
        slugs(&p.all(&mut env.db.conn, Some("one"), one()).unwrap()),
        ["a"]
    );
    assert_eq!(
        slugs(&p.all(&mut env.db.conn, Some("two"), two()).unwrap()),
        ["b", "c"]
    );
    assert_eq!(p.get(&mut env.db.conn, ids[1]).unwrap().category_id, 2);
}

fn a_changed_unique_value_is_not_served_under_the_old_one<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = seed(env, &[("old-slug", 1)])[0];
    let p = &env.products;
    assert_eq!(
        p.get_by_slug(&mut env.db.conn, "old-slug".into())
            .unwrap()
            .id,
        id
    );
    assert!(
        p.find_by_slug(&mut env.db.conn, "new-slug".into())
            .unwrap()
            .is_none()
    );
    p.update(
        &mut env.db.conn,
        id,
        products::slug.eq("new-slug".to_string()),
    )
    .unwrap();
    assert!(matches!(
        p.get_by_slug(&mut env.db.conn, "old-slug".into()),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        p.get_by_slug(&mut env.db.conn, "new-slug".into())
            .unwrap()
            .id,
        id
    );

    let mut row = p.get(&mut env.db.conn, id).unwrap();
    row.slug = "newest".into();
    row.title = "Saved".into();
    assert_eq!(p.save(&mut env.db.conn, &row).unwrap(), Some(row.clone()));
    assert!(
        p.find_by_slug(&mut env.db.conn, "new-slug".into())
            .unwrap()
            .is_none()
    );
    assert_eq!(p.get(&mut env.db.conn, id).unwrap(), row);
    assert_eq!(
        p.get_by_slug(&mut env.db.conn, "newest".into()).unwrap(),
        row
    );
}

fn delete_invalidates_details_and_lists<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let ids = seed(env, &[("a", 1), ("b", 1)]);
    let p = &env.products;
    assert_eq!(
        p.all(&mut env.db.conn, None, ProductFilter::default())
            .unwrap()
            .len(),
        2
    );
    p.get(&mut env.db.conn, ids[0]).unwrap();
    p.get_by_slug(&mut env.db.conn, "a".into()).unwrap();
    assert_eq!(
        p.delete(&mut env.db.conn, ids[0])
            .unwrap()
            .map(|row| row.slug),
        Some("a".to_string()),
        "the deleted row"
    );
    assert!(matches!(
        p.get(&mut env.db.conn, ids[0]),
        Err(Error::NotFound { .. })
    ));
    assert!(
        p.find_by_slug(&mut env.db.conn, "a".into())
            .unwrap()
            .is_none()
    );
    assert_eq!(
        slugs(
            &p.all(&mut env.db.conn, None, ProductFilter::default())
                .unwrap()
        ),
        ["b"]
    );
    assert_eq!(p.delete(&mut env.db.conn, ids[0]).unwrap(), None);
}

fn bulk_updates_do_not_escape_invalidation<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let ids = seed(env, &[("a", 1), ("b", 1), ("c", 2)]);
    let p = &env.products;
    let active = || ProductFilter::default().is_active(true);
    assert_eq!(p.all(&mut env.db.conn, None, active()).unwrap().len(), 3);
    assert!(p.get(&mut env.db.conn, ids[0]).unwrap().is_active);
    assert!(
        p.get_by_slug(&mut env.db.conn, "b".into())
            .unwrap()
            .is_active
    );
    let n = p.update_where(
        &mut env.db.conn,
        ProductFilter::default().category_id(1),
        products::is_active.eq(false),
    );
    assert_eq!(n.unwrap(), 2);
    assert_eq!(
        slugs(&p.all(&mut env.db.conn, None, active()).unwrap()),
        ["c"]
    );
    assert!(!p.get(&mut env.db.conn, ids[0]).unwrap().is_active);
    assert!(
        !p.get_by_slug(&mut env.db.conn, "b".into())
            .unwrap()
            .is_active
    );
    assert!(p.get(&mut env.db.conn, ids[2]).unwrap().is_active);
}

fn a_suffix_and_an_id_never_share_a_key<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = seed(env, &[("a", 1)])[0];
    assert_eq!(id, 1);
    let p = &env.products;
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
    let list = p
        .all(&mut env.db.conn, Some("1"), ProductFilter::default())
        .unwrap();
    let row = p.get(&mut env.db.conn, 1).unwrap();
    let (again, q) = env.db.counted(|c| {
        (
            p.all(c, Some("1"), ProductFilter::default()).unwrap(),
            p.get(c, 1).unwrap(),
        )
    });
    assert_eq!((again, q), ((list, row), 0));
}

fn list_and_detail_timeouts_are_separate<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
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
    let id = seed(env, &[("a", 1)])[0];
    let p = &env.products;
    p.get(&mut env.db.conn, id).unwrap();
    p.all(&mut env.db.conn, None, ProductFilter::default())
        .unwrap();
    p.find(&mut env.db.conn, 999).unwrap();
    if let Some(url) = env.cache.config().backend_url() {
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

fn a_cache_that_is_down_is_bypassed<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = seed(env, &[("a", 1)])[0];
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
        let (row, q) = env.db.counted(|c| p.get(c, id));
        assert_eq!(
            (row.unwrap().slug, q),
            ("a".to_string(), 1),
            "served from the database"
        );
        let (rows, q) = env.db.counted(|c| p.all(c, None, ProductFilter::default()));
        assert_eq!((rows.unwrap().len(), q), (1, 1));
    }
    p.update(&mut env.db.conn, id, products::slug.eq("x".to_string()))
        .expect("writes succeed with the cache down");
}

macro_rules! suite {
    ($($check:ident),* $(,)?) => {
        mod sqlite_memory { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::sqlite_memory(stringify!($check)) { super::$check(&mut e) } } )* }
        mod postgres_redis { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::postgres_redis(stringify!($check)) { super::$check(&mut e) } } )* }
        mod postgres_tiered { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::postgres_tiered(stringify!($check)) { super::$check(&mut e) } } )* }
        mod mysql_redis { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::mysql_redis(stringify!($check)) { super::$check(&mut e) } } )* }
        mod postgres_cluster { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::postgres_cluster(stringify!($check)) { super::$check(&mut e) } } )* }
    };
}

suite!(
    get_misses_then_hits,
    missing_rows_are_not_found_and_cached_until_an_insert,
    lists_are_filtered_and_cached,
    an_update_moves_a_row_between_filtered_lists,
    a_changed_unique_value_is_not_served_under_the_old_one,
    delete_invalidates_details_and_lists,
    bulk_updates_do_not_escape_invalidation,
    a_suffix_and_an_id_never_share_a_key,
    list_and_detail_timeouts_are_separate,
    a_cache_that_is_down_is_bypassed,
);
