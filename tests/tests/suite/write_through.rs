//! Write-through (DESIGN section 13): a hook write on a tracked
//! connection in autocommit puts the row it returned into its detail
//! entry, so the next `get` is a hit with the new value; an untracked
//! connection's write (which may be inside a transaction opened by SQL
//! text) puts nothing. Under the protocol (`cache_core::Cache::write_through`):
//! a bump of the row's tag between the writer's note and its own bump
//! puts nothing, and a bump of another tag after the note leaves what was
//! put invalid.

use cache_core::__engine::{FillOptions, Lookup, Noted};
use cache_diesel::Cache;
use cache_tests::db::TestDb;
use cache_tests::env::Env;
use cache_tests::models::{NewProduct, Product, ProductQueries};
use diesel::prelude::*;
use std::time::Duration;

fn seeded<C: Connection + 'static>(env: &mut Env<C>) -> i32
where
    Product: ProductQueries<C>,
{
    let row = env
        .products
        .insert(
            &mut env.db.conn,
            NewProduct {
                slug: "tea".into(),
                title: "Tea".into(),
                is_active: true,
                category_id: 1,
            },
        )
        .unwrap();
    row.id
}

fn a_written_rows_next_get_is_a_hit_with_the_new_value<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = seeded(env);
    // Untracked: nothing is put (the write may be in a transaction the
    // library cannot see).
    env.products.find(&mut env.db.conn, id).unwrap();
    // Writes `title`, then reads the row: its title and the queries.
    let write_and_read = |env: &mut Env<C>, title: &str| {
        let changes = cache_tests::models::products::title.eq(title.to_owned());
        env.products.update(&mut env.db.conn, id, changes).unwrap();
        env.db
            .counted(|c| env.products.find(c, id).unwrap().unwrap().title)
    };
    let (title, queries) = write_and_read(env, "Green tea");
    assert_eq!(
        (title.as_str(), queries),
        ("Green tea", 1),
        "untracked: read again"
    );

    env.track();
    let (title, queries) = write_and_read(env, "Black tea");
    let cluster = env.cache.backend().kind() == "cluster";
    // (A Redis Cluster keeps a tag's copies in each entry's slot: no swap
    // there, the row is invalidated as before.)
    let expected = if cluster { 1 } else { 0 };
    assert_eq!(
        (title.as_str(), queries),
        ("Black tea", expected),
        "tracked: the written row put in place"
    );
    // Its other lookups and lists are invalidated as before.
    let (rows, _) = env.db.counted(|c| {
        env.products
            .all(
                c,
                None,
                cache_tests::models::ProductFilter::default().category_id(1),
            )
            .unwrap()
    });
    assert_eq!(rows[0].title, "Black tea");
}

cache_tests::matrix!(env; stores; a_written_rows_next_get_is_a_hit_with_the_new_value);

/// The protocol, through the cache alone.
mod protocol {
    use super::*;

    /// A tag set of this check's own (the stores are shared).
    fn tags_of(cache: &Cache) -> (String, [String; 3]) {
        let id = format!("{}:{:?}", std::process::id(), std::time::SystemTime::now());
        let _ = cache;
        (
            format!("wt:{id}:entry"),
            [
                format!("wt:{id}:all"),
                format!("wt:{id}:epoch"),
                format!("wt:{id}:own"),
            ],
        )
    }

    fn put(cache: &Cache, key: &str, tags: &[&str], value: &str) -> Option<bool> {
        let noted = cache.note_versions(key, tags)?;
        put_noted(cache, key, tags, noted, value)
    }

    fn put_noted(
        cache: &Cache,
        key: &str,
        tags: &[&str],
        noted: Noted,
        value: &str,
    ) -> Option<bool> {
        let options = FillOptions {
            depends_on: tags.len(),
            ttl: Some(Duration::from_secs(60)),
            soft: None,
        };
        cache.write_through(
            key,
            tags,
            (2, Duration::from_secs(60)),
            noted,
            options,
            value,
        )
    }

    fn served(cache: &Cache, key: &str, tags: &[&str]) -> Option<String> {
        match cache.read_tagged::<String>(key, tags, Some(Duration::from_secs(60))) {
            Ok(Lookup::Hit { value, .. }) => Some(value),
            _ => None,
        }
    }

    fn only_a_write_nothing_came_between_is_put<C: Connection>(_: &mut TestDb<C>, cache: &Cache) {
        let (key, tags) = tags_of(cache);
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let lifetime = Some(Duration::from_secs(60));
        let own = vec![tags[2].to_owned()];
        let epoch = vec![tags[1].to_owned()];
        assert!(
            put(cache, &key, &tags, "absent").is_none(),
            "absent tags: nothing noted"
        );
        cache
            .bump_tags(
                &tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                lifetime,
            )
            .unwrap();
        let Some(put_one) = put(cache, &key, &tags, "one") else {
            assert_eq!(
                cache.backend().kind(),
                "cluster",
                "only a cluster cannot swap"
            );
            return;
        };
        assert!(put_one);
        assert_eq!(served(cache, &key, &tags).as_deref(), Some("one"));

        // Another writer's bump of the row between the note and the swap.
        let noted = cache.note_versions(&key, &tags).unwrap();
        cache.bump_tags(&own, lifetime).unwrap();
        assert_eq!(put_noted(cache, &key, &tags, noted, "two"), Some(false));
        assert_eq!(served(cache, &key, &tags), None, "neither one nor two");

        // Another tag bumped after the note: put, and invalid.
        let noted = cache.note_versions(&key, &tags).unwrap();
        cache.bump_tags(&epoch, lifetime).unwrap();
        put_noted(cache, &key, &tags, noted, "three");
        assert_eq!(
            served(cache, &key, &tags),
            None,
            "three was stamped before the bump"
        );

        // Another tag announced (a write about to commit): nothing put.
        if cache.backend().capabilities().shared {
            cache.announce_bumps(&[tags[0]]);
            let noted = cache.note_versions(&key, &tags).unwrap();
            assert_eq!(put_noted(cache, &key, &tags, noted, "four"), Some(false));
            cache.bump_tags(&[tags[0].to_owned()], lifetime).unwrap();
            assert_eq!(served(cache, &key, &tags), None);
        }
    }

    cache_tests::matrix!(parts; stores; only_a_write_nothing_came_between_is_put);
}
