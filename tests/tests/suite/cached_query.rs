//! `#[cached_query]`: keyed by the arguments, invalidated by writes to the
//! models it depends on (through the hooks, a tracked connection, or by
//! hand through the registry).

use cache_diesel::cached_query;
use cache_tests::env::{self, cache_with_prefix};
use cache_tests::models::{NewProduct, Product, products};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

#[cached_query(key = "active_in_category", timeout = 60, depends_on(Product))]
fn active_in_category(conn: &mut SqliteConnection, category: i32) -> QueryResult<Vec<String>> {
    products::table
        .filter(
            products::category_id
                .eq(category)
                .and(products::is_active.eq(true)),
        )
        .select(products::slug)
        .order(products::slug)
        .load(conn)
}

#[cached_query(depends_on(Product))]
fn slugs_between(
    conn: &mut SqliteConnection,
    low: String,
    high: String,
) -> QueryResult<Vec<String>> {
    let found = products::table
        .filter(products::slug.ge(low).and(products::slug.le(high)))
        .select(products::slug)
        .order(products::slug)
        .load(conn)?;
    Ok(found)
}

#[cached_query(key = "pg_count", depends_on(Product))]
fn pg_count(conn: &mut PgConnection, category: i32) -> QueryResult<i64> {
    products::table
        .filter(products::category_id.eq(category))
        .count()
        .get_result(conn)
}

#[test]
fn cached_by_arguments_and_invalidated_by_every_write_path() {
    let mut env = env::sqlite_file_memory("cached_query").unwrap();
    env.track();
    let query = &env.cache;
    let rows = vec![
        NewProduct::new("a", 1),
        NewProduct::new("b", 1),
        NewProduct::new("c", 2),
    ];
    env.products.insert_many(&mut env.db.conn, rows).unwrap();
    let (first, q1) = env.db.counted(|c| {
        let result = active_in_category(c, 1).unwrap();
        cache_diesel::query("active_in_category")
            .unwrap()
            .use_cache(query.clone());
        result
    });
    assert_eq!(
        (first, q1),
        (vec!["a".to_string(), "b".to_string()], 1),
        "not yet on the test's cache: a query"
    );
    let (_, q) = env.db.counted(|c| active_in_category(c, 1).unwrap());
    assert_eq!(q, 1, "the first call on the test's cache misses");
    let (again, q) = env.db.counted(|c| active_in_category(c, 1).unwrap());
    assert_eq!((again.len(), q), (2, 0), "a hit");
    let registered = cache_diesel::query("active_in_category").unwrap();
    for _ in 0..3 {
        // Also once the in-process store has dropped the decoded bytes.
        assert_eq!(
            registered.peek::<_, Vec<String>>(&(1,)),
            Some(again.clone())
        );
    }
    assert_eq!(
        registered.peek::<_, Vec<String>>(&(9,)),
        None,
        "never called with 9"
    );
    let (other, q) = env.db.counted(|c| active_in_category(c, 2).unwrap());
    assert_eq!(
        (other, q),
        (vec!["c".to_string()], 1),
        "other arguments, another entry"
    );

    let id = env
        .uncached
        .get_by_slug(&mut env.db.conn, "a".into())
        .unwrap()
        .id;
    env.products
        .update(&mut env.db.conn, id, products::is_active.eq(false))
        .unwrap();
    assert_eq!(
        registered.peek::<_, Vec<String>>(&(1,)),
        None,
        "invalidated"
    );
    assert_eq!(
        active_in_category(&mut env.db.conn, 1).unwrap(),
        ["b"],
        "a hook write invalidates"
    );
    env.db
        .conn
        .batch_execute("UPDATE products SET is_active = true WHERE slug = 'a'")
        .unwrap();
    assert_eq!(
        active_in_category(&mut env.db.conn, 1).unwrap(),
        ["a", "b"],
        "a tracked raw write invalidates"
    );

    let registered = cache_diesel::query("active_in_category").expect("registered on first call");
    assert_eq!(
        registered.peek::<_, Vec<String>>(&(&1,)),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    registered.invalidate().unwrap();
    assert_eq!(registered.peek::<_, Vec<String>>(&(&1,)), None);
    let (_, q) = env.db.counted(|c| active_in_category(c, 1).unwrap());
    assert_eq!(q, 1, "invalidated by hand");
    let stats = registered.stats();
    assert!(
        stats.hits >= 1 && stats.fills >= 4 && stats.invalidations == 1,
        "{stats:?}"
    );
}

#[test]
fn argument_lists_never_share_a_key() {
    let mut env = env::sqlite_file_memory("query_args").unwrap();
    let rows = ["a", "a,b", "b", "b,c", "c"]
        .map(|s| NewProduct::new(s, 1))
        .to_vec();
    env.products.insert_many(&mut env.db.conn, rows).unwrap();
    let first = slugs_between(&mut env.db.conn, "a,b".into(), "c".into()).unwrap();
    cache_diesel::query("slugs_between")
        .unwrap()
        .use_cache(cache_with_prefix("memory://", "args"));
    let one = slugs_between(&mut env.db.conn, "a,b".into(), "c".into()).unwrap();
    let two = slugs_between(&mut env.db.conn, "a".into(), "b,c".into()).unwrap();
    assert_eq!(one, first);
    assert_eq!(one, ["a,b", "b", "b,c", "c"]);
    assert_eq!(two, ["a", "a,b", "b", "b,c"]);
}

#[test]
fn cached_queries_on_postgres_and_redis() {
    let Some(mut env) = env::postgres_redis("query_pg") else {
        return;
    };
    env.products
        .insert_many(&mut env.db.conn, vec![NewProduct::new("x", 4)])
        .unwrap();
    pg_count(&mut env.db.conn, 4).unwrap();
    let query = cache_diesel::query("pg_count").unwrap();
    query.use_cache(env.cache.clone());
    assert_eq!(pg_count(&mut env.db.conn, 4).unwrap(), 1);
    let (count, q) = env.db.counted(|c| pg_count(c, 4).unwrap());
    assert_eq!((count, q), (1, 0));
    env.products
        .insert(&mut env.db.conn, NewProduct::new("y", 4))
        .unwrap();
    assert_eq!(pg_count(&mut env.db.conn, 4).unwrap(), 2);
}

#[cached_query(key = "active_count", timeout = 60, depends_on(Product))]
fn active_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    products::table
        .filter(products::is_active.eq(true))
        .count()
        .get_result(conn)
}

#[allow(dead_code)]
#[cached_query(key = "never_called", depends_on(Product))]
fn never_called(conn: &mut SqliteConnection) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}

#[test]
fn a_query_is_found_by_label_before_its_first_call() {
    assert!(
        cache_diesel::query("never_called").is_some(),
        "a cached query no code calls is registered all the same"
    );
    assert!(cache_diesel::query("no_such_query").is_none());

    let mut env = env::sqlite_memory("query_before_call").unwrap();
    let rows = vec![NewProduct::new("p", 1), NewProduct::new("q", 2)];
    env.products.insert(&mut env.db.conn, rows).unwrap();
    let registered = cache_diesel::query("active_count").expect("registered before any call");
    assert_eq!(registered.label(), "active_count");
    registered.use_cache(env.cache.clone());

    let (count, q) = env.db.counted(|c| active_count(c).unwrap());
    assert_eq!((count, q), (2, 1), "the first call misses");
    assert_eq!(
        (registered.stats().fills, env.cache.stats().fills),
        (1, 1),
        "the first call filled the cache set before it"
    );
    assert_eq!(registered.peek::<_, i64>(&()), Some(2));
    let (count, q) = env.db.counted(|c| active_count(c).unwrap());
    assert_eq!((count, q), (2, 0), "then hits, in that cache");
}

/// A row's title, `None` inside when it is empty: Diesel's `optional()`
/// of a value that may be absent, as `Option<Option<String>>`.
#[cached_query(key = "title_if_any", timeout = 60, depends_on(Product))]
fn title_if_any(conn: &mut SqliteConnection, slug: String) -> QueryResult<Option<Option<String>>> {
    let title = products::table
        .filter(products::slug.eq(slug))
        .select(products::title)
        .first::<String>(conn)
        .optional()?;
    Ok(title.map(|t| (!t.is_empty()).then_some(t)))
}

#[test]
fn a_result_messagepack_cannot_give_back_is_answered_by_the_database_every_time() {
    // `Some(None)` is written as `None` is: stored, it read back as `None`
    // on the hit (an outside probe's finding). Now it is not stored.
    let mut env = env::sqlite_memory("nil_in_some").unwrap();
    let rows = vec![NewProduct::new("titled", 1), NewProduct::new("blank", 1)];
    env.products.insert(&mut env.db.conn, rows).unwrap();
    env.db
        .conn
        .batch_execute("UPDATE products SET title = '' WHERE slug = 'blank'")
        .unwrap();
    cache_diesel::query("title_if_any")
        .unwrap()
        .use_cache(env.cache.clone());
    for round in 0..3 {
        let (found, q) = env.db.counted(|c| title_if_any(c, "blank".into()).unwrap());
        assert_eq!(
            (found, q),
            (Some(None), 1),
            "round {round}: from the database"
        );
    }
    let (titled, q) = env
        .db
        .counted(|c| title_if_any(c, "titled".into()).unwrap());
    assert!(matches!(titled, Some(Some(_))) && q == 1);
    let (again, q) = env
        .db
        .counted(|c| title_if_any(c, "titled".into()).unwrap());
    assert_eq!(
        (again, q),
        (titled, 0),
        "a value it can give back is cached"
    );
    let (absent, _) = env
        .db
        .counted(|c| title_if_any(c, "absent".into()).unwrap());
    let (again, q) = env
        .db
        .counted(|c| title_if_any(c, "absent".into()).unwrap());
    assert_eq!((absent, again, q), (None, None, 0), "None is cached");
}
