//! The change-stream follower (PostgreSQL's logical replication, and
//! MySQL's and MariaDB's row-based binary log, `my_` tests): writes
//! this library never saw (plain SQL on an untracked connection, a
//! function, a trigger, `TRUNCATE`, `INSERT .. SELECT`) invalidate
//! details, unique lookups, filtered lists and counts; a column the
//! models do not know is bumped; a follower killed after its bumps and
//! before its confirmation leaves the change to the next; and a cache with
//! a `follower_bound` serves no entry while no follower keeps up.
//!
//! Each test first shows the same foreign write leaving the cache stale
//! without the follower: the checks could fail.

use cache_diesel::{Cache, CacheConfig, Cached, Follower};
use cache_tests::env::{Env, cache_with_prefix};
use cache_tests::following::Following;
use cache_tests::models::{Product, ProductCache, ProductFilter, ProductQueries, ProductUnique};
use cache_tests::{db, services};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a change may take to be invalidated on a loaded machine.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

fn env(test: &str) -> Option<Env<PgConnection>> {
    let redis = services::redis_url()?;
    let db = db::postgres(test)?;
    let cache = cache_with_prefix(&redis, test);
    Some(Env::new(db, cache))
}

/// A seeded environment and a follower of its `products`, whose slot
/// exists (a first pass made it): what it reads next is written after.
fn following_products(test: &str) -> Option<(Env<PgConnection>, Following)> {
    let mut env = env(test)?;
    seed(&mut env.db.conn);
    let schema = env.db.schema().unwrap().to_owned();
    let following = Following::new(&env.cache, &schema, &["products"])?;
    following.follower.follow_once(true).unwrap();
    Some((env, following))
}

fn seed<C: SimpleConnection>(conn: &mut C) {
    conn.batch_execute(
        "INSERT INTO products (slug, title, is_active, category_id) VALUES \
         ('a', 'A', true, 1), ('b', 'B', true, 1), ('c', 'C', true, 2), ('d', 'D', false, 3)",
    )
    .unwrap();
}

fn in_category(category: i32) -> ProductFilter {
    ProductFilter::default().category_id(category)
}

/// What the cache serves of row `a` and of categories 1 to 3.
#[derive(Debug, PartialEq)]
struct Seen {
    title: Option<String>,
    by_slug: Option<i32>,
    lists: Vec<Vec<i32>>,
    counts: Vec<i64>,
}

fn seen<C: Connection + 'static>(env: &mut Env<C>, id: i32, slug: &str) -> Seen
where
    Product: ProductQueries<C>,
{
    read_through(&env.products, &mut env.db.conn, id, slug)
}

/// The same, read from the database.
fn truth<C: Connection + 'static>(env: &mut Env<C>, id: i32, slug: &str) -> Seen
where
    Product: ProductQueries<C>,
{
    read_through(&env.uncached, &mut env.db.conn, id, slug)
}

/// Row `id`, the row of `slug`, and categories 1 to 3, read through `p`.
fn read_through<C: Connection + 'static>(
    p: &ProductCache,
    conn: &mut C,
    id: i32,
    slug: &str,
) -> Seen
where
    Product: ProductQueries<C>,
{
    Seen {
        title: p.find(conn, id).unwrap().map(|r| r.title),
        by_slug: p
            .find_unique(conn, ProductUnique::Slug(slug.into()))
            .unwrap()
            .map(|r| r.id),
        lists: (1..=3)
            .map(|c| {
                let mut ids: Vec<i32> = p
                    .all(conn, None, in_category(c))
                    .unwrap()
                    .iter()
                    .map(|r| r.id)
                    .collect();
                ids.sort();
                ids
            })
            .collect(),
        counts: (1..=3)
            .map(|c| p.count(conn, None, in_category(c)).unwrap())
            .collect(),
    }
}

/// Foreign writes of every shape, each checked through the cache against
/// the database once the follower caught up: an update moving a row and
/// changing its unique slug, a multi-row update, `INSERT .. SELECT`, a
/// function and a trigger writing `products`, a delete, `TRUNCATE`.
#[test]
fn pg_foreign_writes_invalidate_details_lookups_lists_and_counts() {
    let Some(mut env) = env("follow_foreign") else {
        return;
    };
    seed(&mut env.db.conn);
    let schema = env.db.schema().unwrap().to_owned();
    let Some(mut following) = Following::new(&env.cache, &schema, &["products", "audit"]) else {
        return;
    };
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE audit (id SERIAL PRIMARY KEY, product_id INT, note TEXT);
             CREATE FUNCTION retitle(p INT, t TEXT) RETURNS void LANGUAGE sql AS
               $$ UPDATE products SET title = t WHERE id = p $$;
             CREATE FUNCTION audit_moves() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN UPDATE products SET category_id = 3 WHERE id = NEW.product_id; RETURN NEW; END $$;
             CREATE TRIGGER audit_moves AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_moves();",
        )
        .unwrap();
    // Without a follower: stale (the checks below could fail).
    let before = seen(&mut env, 1, "a");
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'unseen' WHERE id = 1")
        .unwrap();
    assert_eq!(
        seen(&mut env, 1, "a"),
        before,
        "no follower: the cache is stale"
    );
    following.start(&env.cache);
    assert_eq!(
        seen(&mut env, 1, "a"),
        truth(&mut env, 1, "a"),
        "the first pass invalidates the tables"
    );

    let steps: &[(&str, &str)] = &[
        (
            "UPDATE products SET category_id = 2, slug = 'a2', title = 'moved' WHERE id = 1",
            "a",
        ),
        (
            "UPDATE products SET category_id = 3 WHERE category_id = 2",
            "a2",
        ),
        (
            "INSERT INTO products (slug, title, is_active, category_id) SELECT slug || 'x', title, true, 1 FROM products WHERE id <= 2",
            "ax",
        ),
        ("SELECT retitle(2, 'by a function')", "b"),
        (
            "INSERT INTO audit (product_id, note) VALUES (2, 'moved by a trigger')",
            "b",
        ),
        ("DELETE FROM products WHERE id = 2", "b"),
        ("UPDATE products SET slug = 'a' WHERE id = 1", "a"),
        ("TRUNCATE products", "a"),
    ];
    each_step_invalidates(&mut env, &following, steps);
}

/// Runs each foreign write of `steps` (SQL, the slug it reads after),
/// checking through the cache against the database once the follower
/// caught up: row 1 and the slug's, row 2 and `b`, every category.
fn each_step_invalidates<C: Connection + SimpleConnection + 'static>(
    env: &mut Env<C>,
    following: &Following,
    steps: &[(&str, &str)],
) where
    Product: ProductQueries<C>,
{
    for (sql, slug) in steps {
        // Warm what the step changes.
        let warm = seen(env, 1, slug);
        assert_eq!(warm, truth(env, 1, slug), "before {sql}");
        let by_id_2 = seen(env, 2, "b");
        env.db.conn.batch_execute(sql).unwrap();
        assert!(
            following.caught_up(&env.cache, LIMIT),
            "caught up after {sql}"
        );
        assert_eq!(seen(env, 1, slug), truth(env, 1, slug), "after {sql}");
        assert_eq!(
            seen(env, 2, "b"),
            truth(env, 2, "b"),
            "after {sql} (row 2; was {by_id_2:?})"
        );
    }
    let stats = following.follower.stats();
    assert!(stats.transactions >= steps.len() as u64, "{stats:?}");
    assert_eq!(stats.errors, 0, "{stats:?}");
}

/// A write that changes nothing a list filters on invalidates the row's
/// detail, and leaves another category's list cached (precise, under
/// `REPLICA IDENTITY FULL`).
#[test]
fn pg_a_foreign_write_leaves_other_lists_cached() {
    let Some(mut env) = env("follow_precise") else {
        return;
    };
    seed(&mut env.db.conn);
    let schema = env.db.schema().unwrap().to_owned();
    let Some(mut following) = Following::new(&env.cache, &schema, &["products"]) else {
        return;
    };
    following.start(&env.cache);
    // A slot's first change of a table invalidates the table once (no
    // shape of it was recorded): made here, before the lists are warmed.
    env.db
        .conn
        .batch_execute("UPDATE products SET title = title WHERE id = 4")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    let (p, conn) = (&env.products, &mut env.db.conn);
    p.all(conn, None, in_category(2)).unwrap();
    p.find(conn, 1).unwrap();
    conn.batch_execute("UPDATE products SET title = 'retitled' WHERE id = 1")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    let (title, queries) = env
        .db
        .counted(|c| env.products.find(c, 1).unwrap().unwrap().title);
    assert_eq!(
        (title.as_str(), queries),
        ("retitled", 1),
        "the row's detail invalidated"
    );
    let (_, queries) = env
        .db
        .counted(|c| env.products.all(c, None, in_category(2)).unwrap());
    assert_eq!(queries, 0, "category 2's list is still cached");
}

mod stocked {
    // (A table of its own: a model filtering on a column `Product` lacks
    // would make every `Product` hook write table-wide, in every test.)
    diesel::table! {
        stocked_items (id) {
            id -> Integer,
            title -> Text,
            stock -> Integer,
        }
    }
}

/// A model of a column added after the others were built.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = stocked::stocked_items)]
#[cache(filter(stock))]
struct Stocked {
    id: i32,
    title: String,
    stock: i32,
}

/// A column no model knew when the follower started (added by a
/// migration while it runs): its values' tags are bumped from the
/// stream's own description of the table.
#[test]
fn pg_a_column_added_while_following_is_bumped() {
    let Some(mut env) = env("follow_new_column") else {
        return;
    };
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE stocked_items (id INT PRIMARY KEY, title TEXT NOT NULL);
             INSERT INTO stocked_items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
        )
        .unwrap();
    let schema = env.db.schema().unwrap().to_owned();
    let Some(mut following) = Following::new(&env.cache, &schema, &["stocked_items"]) else {
        return;
    };
    a_column_added_is_bumped(&mut env, &mut following);
}

/// The column test's steps, after the table is made: the follower
/// started, the column added, a list filtered on it cached, then a row
/// moved off it by a foreign write.
fn a_column_added_is_bumped<C>(env: &mut Env<C>, following: &mut Following)
where
    C: Connection + SimpleConnection + 'static,
    Stocked: cache_diesel::ModelQueries<C>,
{
    following.start(&env.cache);
    env.db
        .conn
        .batch_execute("ALTER TABLE stocked_items ADD COLUMN stock INT NOT NULL DEFAULT 5")
        .unwrap();
    let stocked = StockedCache::new(env.cache.clone());
    let five = |env: &mut Env<C>| -> Vec<i32> {
        let mut ids: Vec<i32> = stocked
            .all(&mut env.db.conn, None, StockedFilter::default().stock(5))
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        ids.sort();
        ids
    };
    // Whatever the DDL's first pass invalidated, settled.
    assert!(following.caught_up(&env.cache, LIMIT));
    assert_eq!(five(env), vec![1, 2, 3, 4]);
    env.db
        .conn
        .batch_execute("UPDATE stocked_items SET stock = 4 WHERE id = 3")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    assert_eq!(five(env), vec![1, 2, 4], "the list of stock 5 lost row 3");
}

/// A follower that bumped a change and died before confirming it leaves
/// the change in the slot: the next one reads and invalidates it again.
#[test]
fn pg_a_follower_killed_before_confirming_leaves_the_change_to_the_next() {
    let Some((mut env, following)) = following_products("follow_unconfirmed") else {
        return;
    };
    env.products.find(&mut env.db.conn, 1).unwrap();
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'first' WHERE id = 1")
        .unwrap();
    let read = following.follower.follow_once(false).unwrap();
    assert!(read > 0, "the first follower read the change");
    assert_eq!(
        env.products
            .find(&mut env.db.conn, 1)
            .unwrap()
            .unwrap()
            .title,
        "first"
    );
    let next = Follower::postgres(following.url(), env.cache.clone(), options_of(&following));
    assert_eq!(
        next.follow_once(true).unwrap(),
        read,
        "the next follower re-reads them"
    );
    let stats = next.stats();
    assert!(
        stats.rows >= 1 && stats.bumps > 0,
        "and bumps them again: {stats:?}"
    );
    assert_eq!(next.follow_once(true).unwrap(), 0, "confirmed: gone");
}

/// The follower's invalidations reach the metrics by table, with the
/// cause `follower` (the dashboard's invalidations by table and cause).
#[test]
fn pg_the_followers_invalidations_are_counted_by_table() {
    let Some((mut env, following)) = following_products("follow_metrics") else {
        return;
    };
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'counted' WHERE id IN (1, 2)")
        .unwrap();
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let read =
        metrics::with_local_recorder(&recorder, || following.follower.follow_once(true).unwrap());
    assert!(read > 0, "the follower read the change");
    let counted: Vec<_> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| key.key().name() == "cache_table_invalidations_total")
        .map(|(key, _, _, value)| {
            let labels: Vec<_> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            (labels, value)
        })
        .collect();
    assert_eq!(
        counted,
        [(
            vec!["table=products".to_owned(), "cause=follower".to_owned()],
            metrics_util::debugging::DebugValue::Counter(1)
        )],
        "one pass, one table"
    );
}

fn options_of(following: &Following) -> cache_diesel::FollowerOptions {
    cache_diesel::FollowerOptions {
        slot: following.slot().to_owned(),
        publication: following.slot().to_owned(),
        ..cache_diesel::FollowerOptions::default()
    }
}

/// With `follower_bound`, a cache serves entries only while its follower
/// is within the bound: before one starts, every read goes to the
/// database (counted); once it runs, reads hit; once it stops, reads go
/// to the database again within the bound.
#[test]
fn pg_the_guard_holds_entries_while_no_follower_keeps_up() {
    let Some(redis) = services::redis_url() else {
        return;
    };
    let Some(db) = db::postgres("follow_guard") else {
        return;
    };
    let mut cfg = CacheConfig::from_url(&redis).unwrap();
    cfg.key_prefix = cache_tests::unique::prefix("follow_guard");
    cfg.follower_bound = Some(Duration::from_millis(500));
    let cache = Cache::new(cfg).unwrap();
    let mut env = Env::new(db, cache);
    seed(&mut env.db.conn);
    let schema = env.db.schema().unwrap().to_owned();
    let Some(mut following) = Following::new(&env.cache, &schema, &["products"]) else {
        return;
    };
    let reads = |env: &mut Env<PgConnection>| {
        env.db
            .counted(|c| {
                for _ in 0..3 {
                    env.products.find(c, 1).unwrap();
                }
            })
            .1
    };
    assert_eq!(
        reads(&mut env),
        3,
        "no follower: every read from the database"
    );
    assert!(
        env.products.cache().stats().follower_held >= 2,
        "{:?}",
        env.products.cache().stats()
    );
    following.start(&env.cache);
    // The watch sees the position within a period.
    let started = std::time::Instant::now();
    while reads(&mut env) > 1 {
        assert!(
            started.elapsed() < LIMIT,
            "reads hit once the follower runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(reads(&mut env), 0, "cached");
    following.stop();
    let stopped = std::time::Instant::now();
    while reads(&mut env) == 0 {
        assert!(
            stopped.elapsed() < LIMIT,
            "reads go to the database once the follower stopped"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        stopped.elapsed() >= Duration::from_millis(300),
        "served while the follower was within its bound"
    );
    assert!(env.cache.follower_lag().unwrap() > Duration::from_millis(500));
}

/// A cache URL names the bound.
#[test]
fn the_bound_is_a_url_option() {
    let cfg = CacheConfig::from_url("memory://?follower_bound=250ms").unwrap();
    assert_eq!(cfg.follower_bound, Some(Duration::from_millis(250)));
    let err = CacheConfig::from_url("memory://?follower_bound=0").unwrap_err();
    assert!(err.to_string().contains("follower_bound"), "{err}");
}

mod shapes {
    diesel::table! {
        #[sql_name = "Mixed"]
        mixed (id) {
            id -> Integer,
            title -> Text,
        }
    }
    diesel::table! {
        parts_1 (id) {
            id -> Integer,
            title -> Text,
        }
    }
    diesel::table! {
        parts_view (id) {
            id -> Integer,
            title -> Text,
        }
    }
    diesel::table! {
        stamped (id) {
            id -> Integer,
            at -> Timestamp,
            title -> Text,
        }
    }
}

/// A table whose SQL name has capitals.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shapes::mixed)]
struct Mixed {
    id: i32,
    title: String,
}

/// A partition of a partitioned table.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shapes::parts_1)]
struct Part {
    id: i32,
    title: String,
}

/// A view over the partitioned table.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shapes::parts_view)]
struct PartView {
    id: i32,
    title: String,
}

/// Looked up by a timestamp (a value the stream's text cannot key).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shapes::stamped)]
#[cache(unique(at))]
struct Stamped {
    id: i32,
    at: chrono::NaiveDateTime,
    title: String,
}

/// Shapes of schema an outside probe found stale: a table named with
/// capitals, a model over a partition, a model over a view (across the
/// gap of a new slot too), a lookup by a unique timestamp; the publication
/// dropped under the follower, and a followed table dropped and created
/// again. And a table without a primary key keeps accepting updates.
#[test]
fn pg_partitions_views_capitals_timestamps_and_a_dropped_publication_are_followed() {
    let Some(mut env) = env("follow_shapes") else {
        return;
    };
    let schema = env.db.schema().unwrap().to_owned();
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE \"Mixed\" (id INT PRIMARY KEY, title TEXT NOT NULL);
             CREATE TABLE parts (id INT PRIMARY KEY, title TEXT NOT NULL) PARTITION BY RANGE (id);
             CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (100);
             CREATE VIEW parts_view AS SELECT * FROM parts;
             CREATE TABLE stamped (id INT PRIMARY KEY, at TIMESTAMP NOT NULL UNIQUE, title TEXT NOT NULL);
             CREATE TABLE nopk (n INT, title TEXT);
             INSERT INTO \"Mixed\" VALUES (1, 'm0'); INSERT INTO parts VALUES (1, 'p0');
             INSERT INTO stamped VALUES (1, '2026-01-02 03:04:05', 's0'); INSERT INTO nopk VALUES (1, 'n0');",
        )
        .unwrap();
    let mut options =
        cache_tests::following::options(&schema, &["Mixed", "parts", "stamped", "nopk"]);
    options.replica_identity_full = false;
    let Some(mut following) = Following::with_options(&env.cache, options) else {
        return;
    };
    let (mixed, part, view, stamped) = (
        MixedCache::new(env.cache.clone()),
        PartCache::new(env.cache.clone()),
        PartViewCache::new(env.cache.clone()),
        StampedCache::new(env.cache.clone()),
    );
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_opt(3, 4, 5)
        .unwrap();
    let titles = |env: &mut Env<PgConnection>| {
        let c = &mut env.db.conn;
        [
            mixed.find(c, 1).unwrap().map(|r| r.title),
            part.find(c, 1).unwrap().map(|r| r.title),
            view.find(c, 1).unwrap().map(|r| r.title),
            stamped
                .find_unique(c, StampedUnique::At(at))
                .unwrap()
                .map(|r| r.title),
        ]
    };
    let set = |env: &mut Env<PgConnection>, title: &str| {
        env.db
            .conn
            .batch_execute(&format!(
                "UPDATE \"Mixed\" SET title = '{title}'; UPDATE parts SET title = '{title}';
                 UPDATE stamped SET title = '{title}'"
            ))
            .unwrap();
    };
    let all = |title: &str| [(); 4].map(|_| Some(title.to_owned()));
    assert_eq!(
        titles(&mut env),
        [Some("m0"), Some("p0"), Some("p0"), Some("s0")].map(|t| t.map(str::to_owned)),
        "warmed"
    );
    // Before the follower: stale; the new slot's gap invalidates them
    // all, the view's entries with the rest.
    set(&mut env, "before");
    assert_ne!(titles(&mut env), all("before"), "no follower: stale");
    following.start(&env.cache);
    assert_eq!(
        titles(&mut env),
        all("before"),
        "the gap invalidated every followed table and its readers"
    );
    for round in ["one", "two"] {
        titles(&mut env);
        set(&mut env, round);
        assert!(following.caught_up(&env.cache, LIMIT));
        assert_eq!(
            titles(&mut env),
            all(round),
            "after a foreign update ({round})"
        );
    }
    // A table without a primary key still takes updates and deletes.
    env.db
        .conn
        .batch_execute("UPDATE nopk SET title = 'n1'; DELETE FROM nopk")
        .expect("a followed table without a primary key accepts updates");
    // The publication dropped under the follower: it makes a new slot.
    env.db
        .conn
        .batch_execute(&format!("DROP PUBLICATION \"{}\"", following.slot()))
        .unwrap();
    titles(&mut env);
    set(&mut env, "after the publication");
    let started = std::time::Instant::now();
    while titles(&mut env) != all("after the publication") {
        assert!(
            started.elapsed() < LIMIT,
            "recovered from a dropped publication: {:?}",
            following.follower.stats()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A followed table dropped and created again.
    env.db
        .conn
        .batch_execute("DROP TABLE \"Mixed\"; CREATE TABLE \"Mixed\" (id INT PRIMARY KEY, title TEXT NOT NULL); INSERT INTO \"Mixed\" VALUES (1, 'again')")
        .unwrap();
    titles(&mut env);
    env.db
        .conn
        .batch_execute("UPDATE \"Mixed\" SET title = 'recreated'")
        .unwrap();
    let started = std::time::Instant::now();
    while mixed
        .find(&mut env.db.conn, 1)
        .unwrap()
        .map(|r| r.title)
        .as_deref()
        != Some("recreated")
    {
        assert!(
            started.elapsed() < LIMIT,
            "a recreated table followed again: {:?}",
            following.follower.stats()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

mod renamed {
    diesel::table! {
        products (id) {
            id -> Integer,
            #[sql_name = "category_id"]
            cat -> Integer,
            title -> Text,
        }
    }
}

/// A column renamed in `table!` (`#[sql_name]`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = renamed::products)]
#[cache(filter(cat))]
struct Renamed {
    id: i32,
    cat: i32,
    title: String,
}

/// The stream names a column by its SQL name; so do the models' tags
/// (Diesel's `Column::NAME`), whatever `table!` calls it (found by an
/// outside probe: a list filtered on a renamed column stayed stale).
#[test]
fn pg_a_column_renamed_in_table_is_followed() {
    let Some(mut env) = env("follow_renamed") else {
        return;
    };
    seed(&mut env.db.conn);
    let schema = env.db.schema().unwrap().to_owned();
    let Some(mut following) = Following::new(&env.cache, &schema, &["products"]) else {
        return;
    };
    following.start(&env.cache);
    // (The slot's first change of the table invalidates it whole.)
    env.db
        .conn
        .batch_execute("UPDATE products SET title = title WHERE id = 4")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    let renamed = RenamedCache::new(env.cache.clone());
    let ones = |env: &mut Env<PgConnection>| -> Vec<i32> {
        let mut ids: Vec<i32> = renamed
            .all(&mut env.db.conn, None, RenamedFilter::default().cat(1))
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ones(&mut env), vec![1, 2]);
    env.db
        .conn
        .batch_execute("UPDATE products SET category_id = 2 WHERE id = 1")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    assert_eq!(
        ones(&mut env),
        vec![2],
        "the row left the list of category 1"
    );
}

pub(crate) fn my_env(test: &str) -> Option<(Env<MysqlConnection>, Following)> {
    let redis = services::redis_url()?;
    let db = db::mysql(test)?;
    let url = services::mysql_database_url(&services::mysql_url()?, db.database()?);
    let cache = cache_with_prefix(&redis, test);
    let following = Following::mysql(&cache, &url);
    Some((Env::new(db, cache), following))
}

/// MariaDB/MySQL: foreign writes of every shape (a procedure, a trigger,
/// `INSERT .. SELECT`, a multi-row update, a delete, a foreign key's
/// cascade, which the binary log does not hold, `TRUNCATE`), each checked
/// through the cache against the database once the follower caught up.
#[test]
fn my_foreign_writes_invalidate_details_lookups_lists_and_counts() {
    let Some((mut env, mut following)) = my_env("my_follow_foreign") else {
        return;
    };
    seed(&mut env.db.conn);
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, product_id INT, note TEXT);
             CREATE PROCEDURE retitle(p INT, t TEXT) UPDATE products SET title = t WHERE id = p;
             CREATE TRIGGER audit_moves AFTER INSERT ON audit FOR EACH ROW
               UPDATE products SET category_id = 3 WHERE id = NEW.product_id;
             CREATE TABLE owners (id INT PRIMARY KEY);
             INSERT INTO owners VALUES (1), (2);
             ALTER TABLE products ADD COLUMN owner_id INT NULL,
               ADD FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE CASCADE;
             UPDATE products SET owner_id = 2 WHERE id IN (2, 3);",
        )
        .unwrap();
    // Without a follower: stale (the checks below could fail).
    let before = seen(&mut env, 1, "a");
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'unseen' WHERE id = 1")
        .unwrap();
    assert_eq!(
        seen(&mut env, 1, "a"),
        before,
        "no follower: the cache is stale"
    );
    following.start(&env.cache);
    assert_eq!(
        seen(&mut env, 1, "a"),
        truth(&mut env, 1, "a"),
        "the first pass invalidates the tables"
    );
    let steps: &[(&str, &str)] = &[
        (
            "UPDATE products SET category_id = 2, slug = 'a2', title = 'moved' WHERE id = 1",
            "a",
        ),
        (
            "UPDATE products SET category_id = 3 WHERE category_id = 2",
            "a2",
        ),
        (
            "INSERT INTO products (slug, title, is_active, category_id) SELECT CONCAT(slug, 'x'), title, true, 1 FROM products WHERE id <= 2",
            "ax",
        ),
        ("CALL retitle(2, 'by a procedure')", "b"),
        (
            "INSERT INTO audit (product_id, note) VALUES (2, 'moved by a trigger')",
            "b",
        ),
        ("DELETE FROM owners WHERE id = 2", "b"),
        ("DELETE FROM products WHERE id = 1", "a2"),
        ("UPDATE products SET is_active = false", "ax"),
        ("TRUNCATE products", "ax"),
    ];
    each_step_invalidates(&mut env, &following, steps);
}

/// MariaDB/MySQL: a write that changes nothing a list filters on
/// invalidates the row's detail, and leaves another category's list
/// cached.
#[test]
fn my_a_foreign_write_leaves_other_lists_cached() {
    let Some((mut env, mut following)) = my_env("my_follow_precise") else {
        return;
    };
    seed(&mut env.db.conn);
    following.start(&env.cache);
    let (p, conn) = (&env.products, &mut env.db.conn);
    p.all(conn, None, in_category(2)).unwrap();
    p.find(conn, 1).unwrap();
    conn.batch_execute("UPDATE products SET title = 'retitled' WHERE id = 1")
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    let (title, queries) = env
        .db
        .counted(|c| env.products.find(c, 1).unwrap().unwrap().title);
    assert_eq!(
        (title.as_str(), queries),
        ("retitled", 1),
        "the row's detail invalidated"
    );
    let (_, queries) = env
        .db
        .counted(|c| env.products.all(c, None, in_category(2)).unwrap());
    assert_eq!(queries, 0, "category 2's list is still cached");
}

/// MariaDB/MySQL: a column added while following (unknown to every
/// model built before) is bumped, named by the binary log itself.
#[test]
fn my_a_column_added_while_following_is_bumped() {
    let Some((mut env, mut following)) = my_env("my_follow_new_column") else {
        return;
    };
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE stocked_items (id INT PRIMARY KEY, title TEXT NOT NULL);
             INSERT INTO stocked_items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
        )
        .unwrap();
    a_column_added_is_bumped(&mut env, &mut following);
}

/// MariaDB/MySQL: a follower that bumped a change and died before storing
/// its position leaves the change to the next one; a position the server
/// no longer has (purged logs) invalidates every table before following.
#[test]
fn my_a_follower_killed_before_confirming_leaves_the_change_to_the_next() {
    let Some((mut env, following)) = my_env("my_follow_unconfirmed") else {
        return;
    };
    seed(&mut env.db.conn);
    // The position is stored from here on.
    following.follower.follow_once(true).unwrap();
    env.products.find(&mut env.db.conn, 1).unwrap();
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'first' WHERE id = 1")
        .unwrap();
    following.follower.follow_once(false).unwrap();
    assert_eq!(
        following.follower.stats().rows,
        1,
        "the first follower read the change"
    );
    assert_eq!(
        env.products
            .find(&mut env.db.conn, 1)
            .unwrap()
            .unwrap()
            .title,
        "first"
    );
    let next = Follower::mysql(following.url(), env.cache.clone(), options_of(&following));
    // (Other tests write the shared server's log: its other databases'
    // events are read and passed over, so rows of this one are counted.)
    next.follow_once(true).unwrap();
    let stats = next.stats();
    assert!(
        stats.rows == 1 && stats.bumps > 0 && stats.gaps == 0,
        "the next follower re-reads the change and bumps it again: {stats:?}"
    );
    next.follow_once(true).unwrap();
    assert_eq!(next.stats().rows, 1, "stored: not read again");

    // A position in a log the server does not have.
    let key = cache_core::Key::new(format!("cache_diesel:follower:{}:binlog", following.slot()))
        .version(0);
    env.cache
        .set(
            key,
            &"cache-binlog.999999:4".to_owned(),
            cache_diesel::Timeout::Never,
        )
        .unwrap();
    env.products.find(&mut env.db.conn, 2).unwrap();
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'in the gap' WHERE id = 2")
        .unwrap();
    next.follow_once(true).unwrap();
    assert_eq!(next.stats().gaps, 1, "{:?}", next.stats());
    assert_eq!(
        env.products
            .find(&mut env.db.conn, 2)
            .unwrap()
            .unwrap()
            .title,
        "in the gap",
        "the gap invalidated the table"
    );
}
