//! Write-through (DESIGN section 13): a hook write on a tracked
//! connection in autocommit puts the row it returned into its detail
//! entry, so the next `get` is a hit with the new value (on every store
//! but a Redis Cluster); an untracked connection's write (which may be
//! inside a transaction opened by SQL text) puts nothing. Under the
//! protocol (`cache_core::__engine::Engine::write_through`): a bump of the row's tag
//! between the writer's note and its own bump puts nothing, and a bump of
//! another tag after the note leaves what was put invalid; on a shared
//! store another writer's announcement of the row, before this writer's
//! or after it, puts nothing.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{FillOptions, Lookup, Noted, PutWritten};
use cache_diesel::Cache;
use cache_tests::db::TestDb;
use cache_tests::env::Env;
use cache_tests::models::{NewProduct, Product, ProductQueries};
use diesel::prelude::*;
use std::time::Duration;

/// A row of slug `slug`; its id.
fn seeded<C: Connection + 'static>(env: &mut Env<C>, slug: &str) -> i32
where
    Product: ProductQueries<C>,
{
    let row = env
        .products
        .insert(
            &mut env.db.conn,
            NewProduct {
                slug: slug.into(),
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
    let id = seeded(env, "tea");
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
    // (Not on a cluster: see cache-diesel's write_through.rs.)
    let expected = usize::from(env.cache.backend().kind() == "cluster");
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
    // Off (`?write_through=off`): invalidated instead.
    let mut config = env.cache.config().clone();
    config.write_through = false;
    let off = cache_diesel::Cache::new(config).unwrap();
    let products = cache_tests::models::ProductCache::new(off);
    products.find(&mut env.db.conn, id).unwrap();
    let changes = cache_tests::models::products::title.eq("Oolong".to_owned());
    products.update(&mut env.db.conn, id, changes).unwrap();
    let (title, queries) = env
        .db
        .counted(|c| products.find(c, id).unwrap().unwrap().title);
    assert_eq!((title.as_str(), queries), ("Oolong", 1), "off: read again");
}

/// Writers of the same row at once (through the hook; every fourth round
/// one by tracked SQL) while a reader fills, round after round: whatever each put
/// in place, once a round's writers are done the cache serves what the
/// database holds. (A put of an older row that stayed valid would be
/// served until its timeout.)
fn concurrent_writers_of_a_row_leave_its_last_value<C: Connection + Send + 'static>(
    env: &mut Env<C>,
) where
    Product: ProductQueries<C>,
{
    let id = seeded(env, "tea");
    let tracked = |db: &cache_tests::db::TestDb<C>| {
        let mut conn = db.another();
        conn.set_instrumentation(
            cache_diesel::CacheTracking::for_connection::<C>().for_caches([env.cache.clone()]),
        );
        conn
    };
    let writers: Vec<C> = (0..4).map(|_| tracked(&env.db)).collect();
    let mut reader = tracked(&env.db);
    let rounds = 200;
    let barrier = std::sync::Barrier::new(writers.len() + 1);
    let done = std::sync::atomic::AtomicBool::new(false);
    let products = &env.products;
    let (db, uncached) = (&mut env.db, &env.uncached);
    std::thread::scope(|s| {
        for (w, mut conn) in writers.into_iter().enumerate() {
            let barrier = &barrier;
            s.spawn(move || {
                for round in 0..rounds {
                    barrier.wait();
                    let title = format!("w{w}-{round}");
                    // (Errors allowed: SQLite's writers may find the file
                    // busy.)
                    if w == 3 && round % 4 == 0 {
                        let sql = format!("UPDATE products SET title = '{title}' WHERE id = {id}");
                        let _ = conn.batch_execute(&sql);
                    } else {
                        let changes = cache_tests::models::products::title.eq(title);
                        let _ = products.update(&mut conn, id, changes);
                    }
                    barrier.wait();
                }
            });
        }
        let done = &done;
        s.spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = products.find(&mut reader, id);
            }
        });
        // (No panic before the writers are done: they would wait at the
        // barrier for good.)
        let mut stale = Vec::new();
        for round in 0..rounds {
            barrier.wait();
            barrier.wait();
            let truth = uncached.find(&mut db.conn, id).unwrap().unwrap();
            let served = products.find(&mut db.conn, id).unwrap().unwrap();
            if served.title != truth.title {
                stale.push((round, served.title, truth.title));
            }
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(stale, [], "(round, served, held)");
    });
}

cache_tests::matrix!(env; stores;
    a_written_rows_next_get_is_a_hit_with_the_new_value,
    concurrent_writers_of_a_row_leave_its_last_value,
);

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
        let noted = cache.engine().announce_noting(&[], key, (tags, 2))?;
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
        let put = PutWritten {
            key,
            tags,
            own: (2, Duration::from_secs(60)),
            options,
            bump: (&[], None),
        };
        cache.engine().write_through(put, noted, value)
    }

    fn served(cache: &Cache, key: &str, tags: &[&str]) -> Option<String> {
        match cache
            .engine()
            .read_tagged::<String>(key, tags, Some(Duration::from_secs(60)))
        {
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
            .engine()
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
        let noted = cache
            .engine()
            .announce_noting(&[], &key, (&tags, 2))
            .unwrap();
        cache.engine().bump_tags(&own, lifetime).unwrap();
        assert_eq!(put_noted(cache, &key, &tags, noted, "two"), Some(false));
        assert_eq!(served(cache, &key, &tags), None, "neither one nor two");

        // Another tag bumped after the note: put, and invalid.
        let noted = cache
            .engine()
            .announce_noting(&[], &key, (&tags, 2))
            .unwrap();
        cache.engine().bump_tags(&epoch, lifetime).unwrap();
        put_noted(cache, &key, &tags, noted, "three");
        assert_eq!(
            served(cache, &key, &tags),
            None,
            "three was stamped before the bump"
        );

        // Another tag announced (a write about to commit): nothing put.
        if cache.backend().capabilities().shared {
            cache.engine().announce_bumps(&[tags[0]]);
            let noted = cache
                .engine()
                .announce_noting(&[], &key, (&tags, 2))
                .unwrap();
            assert_eq!(
                put_noted(cache, &key, &tags, noted, "four"),
                None,
                "nothing put, the row's tag left to the caller's bump"
            );
            let bumps = [tags[0].to_owned(), tags[2].to_owned()];
            cache.engine().bump_tags(&bumps, lifetime).unwrap();
            assert_eq!(served(cache, &key, &tags), None);
        }

        // The row's own tag announced with the note, as a hook does: put.
        let noted = cache
            .engine()
            .announce_noting(&[tags[2]], &key, (&tags, 2))
            .unwrap();
        assert_eq!(put_noted(cache, &key, &tags, noted, "five"), Some(true));
        assert_eq!(served(cache, &key, &tags).as_deref(), Some("five"));
    }

    /// On a shared store: another writer of the row whose announcement was
    /// in place when this one announced, or came after it, may commit
    /// after this writer and die before its bump; this writer's older row
    /// must not be put (it would be served until the entry's timeout).
    fn another_writers_announcement_puts_nothing<C: Connection>(_: &mut TestDb<C>, cache: &Cache) {
        if !cache.backend().capabilities().shared || cache.backend().kind() == "cluster" {
            return;
        }
        let (key, tags) = tags_of(cache);
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let everything: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let lifetime = Some(Duration::from_secs(60));
        let own = vec![tags[2].to_owned()];
        let settle = || cache.engine().bump_tags(&everything, lifetime).unwrap();
        let announce = |cache: &Cache| cache.engine().announce_noting(&[tags[2]], &key, (&tags, 2));

        // Before: a writer of this version (its token) ...
        settle();
        let first = announce(cache).expect("nothing pending: noted");
        assert!(announce(cache).is_none(), "the first writer's token found");
        assert_eq!(
            put_noted(cache, &key, &tags, first, "first"),
            Some(false),
            "the second writer's token found in place of the first's"
        );
        assert_eq!(served(cache, &key, &tags), None);
        // ... or of a version before tokens (`PENDING`).
        settle();
        cache.engine().announce_bumps(&[tags[2]]);
        assert!(announce(cache).is_none(), "an announcement found");

        // After: a writer of this version, or of one before tokens.
        settle();
        let noted = announce(cache).unwrap();
        let later = announce(cache);
        assert!(later.is_none());
        assert_eq!(put_noted(cache, &key, &tags, noted, "mine"), Some(false));
        settle();
        let noted = announce(cache).unwrap();
        cache.engine().announce_bumps(&[tags[2]]);
        assert_eq!(put_noted(cache, &key, &tags, noted, "mine"), Some(false));
        assert_eq!(served(cache, &key, &tags), None);
        // The other writer's announcement is left in place (to lapse if
        // that writer dies after its commit), not replaced by the swap.
        let pending: u64 = cache_core::__engine::PENDING_TEXT.parse().unwrap();
        assert_eq!(
            cache.backend().read_versions(&key, &[tags[2]]).unwrap(),
            [Some(pending)],
            "the announcement erased"
        );
        // (A token is pending to readers: nothing is filled while it is
        // in place.)
        cache.engine().bump_tags(&own, lifetime).unwrap();
        let noted = announce(cache).unwrap();
        assert_eq!(
            cache.engine().tag_versions(&key, &tags).unwrap()[2],
            None,
            "a token is pending"
        );
        assert_eq!(put_noted(cache, &key, &tags, noted, "mine"), Some(true));
        assert_eq!(served(cache, &key, &tags).as_deref(), Some("mine"));
    }

    cache_tests::matrix!(parts; stores;
        only_a_write_nothing_came_between_is_put,
        another_writers_announcement_puts_nothing,
    );
}
