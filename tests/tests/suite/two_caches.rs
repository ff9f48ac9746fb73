//! One table held by two caches in one process (two managers of it, each
//! on a cache of its own): a hook write through one reaches the other on
//! a tracked connection, as a write the hooks never saw does; two handles
//! on one shared store under one prefix share their tags (a write through
//! one stays precise in the other); and a cache's `version` separates its
//! entries from another version's while their tags stay shared.

use cache_diesel::{Cache, CacheConfig, CacheTracking};
use cache_tests::db::{self, TestDb};
use cache_tests::models::{NewProduct, ProductCache, products};
use cache_tests::services;
use diesel::prelude::*;

fn cache_at(url: &str, prefix: &str, version: u64) -> Cache {
    let mut cfg = CacheConfig::from_url(url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    cfg.version = version;
    Cache::new(cfg).unwrap()
}

/// `db`'s connection tracked for `caches` (and no other test's).
fn track(db: &mut TestDb<SqliteConnection>, caches: &[&Cache]) {
    let tracking = CacheTracking::for_connection::<SqliteConnection>()
        .for_caches(caches.iter().map(|c| (*c).clone()));
    db.conn.set_instrumentation(tracking);
}

fn title(db: &mut TestDb<SqliteConnection>, id: i32) -> String {
    products::table
        .find(id)
        .select(products::title)
        .first(&mut db.conn)
        .unwrap()
}

#[test]
fn a_hook_write_through_one_cache_reaches_the_other_on_a_tracked_connection() {
    let prefix = cache_tests::unique::prefix("two_caches");
    let a = cache_at("memory://", &format!("{prefix}-a"), 1);
    let b = cache_at("memory://", &format!("{prefix}-b"), 1);
    let (through_a, through_b) = (ProductCache::new(a.clone()), ProductCache::new(b.clone()));
    let mut db = db::sqlite();
    track(&mut db, &[&a, &b]);
    let row = through_a
        .insert(&mut db.conn, NewProduct::new("kept", 1))
        .unwrap();
    // Cached in B: the row, and a slug no row has yet.
    for _ in 0..2 {
        assert_eq!(
            through_b.get(&mut db.conn, row.id).unwrap().title,
            row.title
        );
        assert!(
            through_b
                .find_by_slug(&mut db.conn, "later".into())
                .unwrap()
                .is_none()
        );
    }
    through_a
        .update(&mut db.conn, row.id, products::title.eq("by A's hook"))
        .unwrap();
    assert_eq!(title(&mut db, row.id), "by A's hook");
    assert_eq!(
        through_b.get(&mut db.conn, row.id).unwrap().title,
        "by A's hook",
        "B served the row A's hook replaced"
    );
    let later = through_a
        .insert(&mut db.conn, NewProduct::new("later", 2))
        .unwrap();
    assert_eq!(
        through_b
            .find_by_slug(&mut db.conn, "later".into())
            .unwrap()
            .map(|p| p.id),
        Some(later.id),
        "B served its cached \"not found\" after A's hook inserted the row"
    );
    // Inside a transaction: at its commit.
    db.conn
        .transaction(|conn| {
            through_a
                .update(conn, row.id, products::title.eq("in a transaction"))
                .map_err(|_| diesel::result::Error::RollbackTransaction)
        })
        .unwrap();
    assert_eq!(
        through_b.get(&mut db.conn, row.id).unwrap().title,
        "in a transaction"
    );
    through_a.delete(&mut db.conn, row.id).unwrap();
    assert!(
        through_b.find(&mut db.conn, row.id).unwrap().is_none(),
        "B served a row A's hook deleted"
    );
}

#[test]
fn two_handles_on_one_redis_under_one_prefix_share_tags_and_stay_precise() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = cache_tests::unique::prefix("two_handles");
    let a = cache_at(&url, &prefix, 1);
    let b = cache_at(&url, &prefix, 1);
    let (through_a, through_b) = (ProductCache::new(a.clone()), ProductCache::new(b.clone()));
    let mut db = db::sqlite();
    track(&mut db, &[&a, &b]);
    let one = through_a
        .insert(&mut db.conn, NewProduct::new("one", 1))
        .unwrap();
    let two = through_a
        .insert(&mut db.conn, NewProduct::new("two", 1))
        .unwrap();
    for id in [one.id, two.id] {
        through_b.get(&mut db.conn, id).unwrap();
    }
    through_a
        .update(&mut db.conn, one.id, products::title.eq("new"))
        .unwrap();
    let fills = through_b.stats().fills;
    assert_eq!(through_b.get(&mut db.conn, one.id).unwrap().title, "new");
    assert_eq!(through_b.get(&mut db.conn, two.id).unwrap(), two);
    // (The written row put in place by A's write-through; a coarse write
    // would have invalidated both.)
    assert_eq!(
        through_b.stats().fills,
        fills,
        "a row's entry was filled again: the write went coarse"
    );
    let _ = a.clear();
}

#[test]
fn a_cache_at_another_version_reads_none_of_its_entries_and_shares_its_tags() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = cache_tests::unique::prefix("versions");
    let v1 = cache_at(&url, &prefix, 1);
    let v2 = cache_at(&url, &prefix, 2);
    let (at_v1, at_v2) = (ProductCache::new(v1.clone()), ProductCache::new(v2.clone()));
    let mut db = db::sqlite_file("two_caches_versions");
    // Tracked for v1 only: v2 is reached by the tags they share.
    track(&mut db, &[&v1]);
    let row = at_v1
        .insert(&mut db.conn, NewProduct::new("versioned", 1))
        .unwrap();
    assert_eq!(at_v1.get(&mut db.conn, row.id).unwrap(), row);
    // A change the caches were not told of (another deploy's database):
    // v2 has no entry of its own yet, and reads none of v1's.
    diesel::sql_query(format!(
        "UPDATE products SET title = 'unseen' WHERE id = {}",
        row.id
    ))
    .execute(&mut db.another())
    .unwrap();
    assert_eq!(at_v1.get(&mut db.conn, row.id).unwrap().title, row.title);
    assert_eq!(
        at_v2.get(&mut db.conn, row.id).unwrap().title,
        "unseen",
        "a cache at version 2 read version 1's entry"
    );
    at_v1
        .update(&mut db.conn, row.id, products::title.eq("by v1's hook"))
        .unwrap();
    assert_eq!(
        at_v2.get(&mut db.conn, row.id).unwrap().title,
        "by v1's hook",
        "a write at version 1 left version 2's entry stale"
    );
    let _ = v1.clear();
}

/// The same through the async hooks, on a tracked diesel-async
/// connection.
#[tokio::test]
async fn an_async_hook_write_through_one_cache_reaches_the_other() {
    use diesel_async::AsyncConnection;
    use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    type Async = SyncConnectionWrapper<SqliteConnection>;
    let Some(mut env) = cache_tests::async_env::sqlite_memory("two_caches_async").await else {
        return;
    };
    let a = env.sync.cache.clone();
    let b = cache_at(
        "memory://",
        &cache_tests::unique::prefix("two_caches_async_b"),
        1,
    );
    let through_b = ProductCache::new(b.clone());
    env.conn.set_instrumentation(
        CacheTracking::for_async_connection::<Async>().for_caches([a.clone(), b.clone()]),
    );
    let row = env
        .sync
        .products
        .insert(&mut env.sync.db.conn, NewProduct::new("async", 1))
        .unwrap();
    for _ in 0..2 {
        let read = through_b.get_async(&mut env.conn, row.id).await.unwrap();
        assert_eq!(read.title, row.title);
    }
    env.sync
        .products
        .update_async(
            &mut env.conn,
            row.id,
            products::title.eq("by A's async hook"),
        )
        .await
        .unwrap();
    assert_eq!(
        through_b
            .get_async(&mut env.conn, row.id)
            .await
            .unwrap()
            .title,
        "by A's async hook",
        "B served the row A's async hook replaced"
    );
    cache_diesel::landed_async(&mut env.conn).await;
}

/// Tables of these tests' own: a write on a connection tracked for every
/// cache reaches every cache registered for its table, and other tests'
/// caches of `products` must not see these tests' writes.
mod own {
    use cache_diesel::Cached;
    use diesel::prelude::*;
    use serde::{Deserialize, Serialize};

    diesel::table! {
        tc_writers (id) { id -> Integer, name -> Text, }
    }
    diesel::table! {
        tc_notes (id) { id -> Integer, title -> Text, writer_id -> Integer, shelf -> Integer, }
    }
    diesel::joinable!(tc_notes -> tc_writers (writer_id));
    diesel::allow_tables_to_appear_in_same_query!(tc_writers, tc_notes);

    #[derive(
        Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
    )]
    #[diesel(table_name = tc_writers)]
    pub struct Writer {
        pub id: i32,
        pub name: String,
    }

    #[derive(
        Debug,
        Clone,
        PartialEq,
        Queryable,
        Selectable,
        Identifiable,
        Associations,
        Serialize,
        Deserialize,
        Cached,
    )]
    #[diesel(table_name = tc_notes, belongs_to(Writer))]
    #[cache(select_related(writer))]
    pub struct Note {
        pub id: i32,
        pub title: String,
        pub writer_id: i32,
        pub shelf: i32,
    }

    /// An in-memory database with a writer (1, "Ada") and her note (1, on
    /// shelf 1), tracked for every cache.
    pub fn seeded() -> SqliteConnection {
        use diesel::connection::SimpleConnection;
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE tc_writers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE tc_notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL,
                 writer_id INTEGER NOT NULL, shelf INTEGER NOT NULL);
             INSERT INTO tc_writers VALUES (1, 'Ada');
             INSERT INTO tc_notes VALUES (1, 'first', 1, 1);",
        )
        .unwrap();
        cache_diesel::track(&mut conn);
        conn
    }

    #[cache_diesel::cached_query(key = "two_caches_titles", depends_on(Note))]
    pub fn titles_on(conn: &mut SqliteConnection, shelf: i32) -> QueryResult<Vec<String>> {
        tc_notes::table
            .filter(tc_notes::shelf.eq(shelf))
            .select(tc_notes::title)
            .order(tc_notes::title)
            .load(conn)
    }
}

/// A cached query on a cache no manager of its table uses, and a manager's
/// hook write on a connection tracked for every cache (not named): the
/// write reaches the query's cache, as a write the hooks never saw does
/// (found by a probe from outside: a query on the default cache served the
/// row a manager on another cache had moved).
#[test]
fn a_hook_write_reaches_a_cached_query_on_another_cache() {
    use own::{NoteCache, tc_notes, titles_on};
    let prefix = cache_tests::unique::prefix("two_caches_query");
    let queries = cache_at("memory://", &format!("{prefix}-q"), 1);
    cache_diesel::query("two_caches_titles")
        .unwrap()
        .use_cache(queries);
    let notes = NoteCache::new(cache_at("memory://", &format!("{prefix}-m"), 1));
    let mut conn = own::seeded();
    for _ in 0..2 {
        assert_eq!(titles_on(&mut conn, 1).unwrap(), ["first"]);
    }
    notes.update(&mut conn, 1, tc_notes::shelf.eq(2)).unwrap();
    assert_eq!(
        titles_on(&mut conn, 1).unwrap(),
        Vec::<String>::new(),
        "the query's cache served the row the hook moved"
    );
    assert_eq!(titles_on(&mut conn, 2).unwrap(), ["first"]);
}

/// A note cached with its writer (`select_related`) on one cache, and the
/// writer's manager on another: the writer's hook write (and a raw one) on
/// a connection tracked for every cache reaches the note's cache, which holds the
/// writer as a related row (registered at the note's first related read;
/// before, a cache was registered for its managers' own tables only, and
/// the note kept the old name until its timeout).
#[test]
fn a_hook_write_reaches_another_cache_holding_its_rows_as_related_ones() {
    use own::{NoteCache, WriterCache, tc_writers};
    let prefix = cache_tests::unique::prefix("two_caches_related");
    let notes = NoteCache::new(cache_at("memory://", &format!("{prefix}-n"), 1));
    let writers = WriterCache::new(cache_at("memory://", &format!("{prefix}-w"), 1));
    let mut conn = own::seeded();
    for _ in 0..2 {
        assert_eq!(notes.get(&mut conn, 1).unwrap().writer.name, "Ada");
    }
    writers
        .update(&mut conn, 1, tc_writers::name.eq("Grace".to_string()))
        .unwrap();
    assert_eq!(
        notes.get(&mut conn, 1).unwrap().writer.name,
        "Grace",
        "the note's cache served the writer the hook renamed"
    );
    // A write the hooks never saw reaches it the same way.
    diesel::sql_query("UPDATE tc_writers SET name = 'Lin' WHERE id = 1")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        notes.get(&mut conn, 1).unwrap().writer.name,
        "Lin",
        "the note's cache served the writer a raw write renamed"
    );
}
