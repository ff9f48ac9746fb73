//! No stale reads (docs/ARCHITECTURE.md, "Tags"): fills that raced a commit are
//! rejected, invalidations wait for the commit (and vanish on rollback), and
//! writes the hooks never saw are caught by the tracked connection. Run on
//! SQLite (file, so two connections share it) + memory, on PostgreSQL +
//! Redis and on MySQL (MariaDB) + Redis.

use cache_diesel::{Cache, Error, Timeout, transaction};
use cache_tests::env::{self, Env};
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductQueries, products,
};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

fn seed<C: Connection + 'static>(env: &mut Env<C>, slugs: &[&str]) -> Vec<i32>
where
    Product: ProductQueries<C>,
{
    let rows: Vec<NewProduct> = slugs.iter().map(|s| NewProduct::new(s, 1)).collect();
    env.products.insert_many(&mut env.db.conn, rows).unwrap();
    let ids = slugs
        .iter()
        .map(|s| {
            env.uncached
                .get_by_slug(&mut env.db.conn, s.to_string())
                .unwrap()
                .id
        })
        .collect();
    env.db.take_queries();
    ids
}

type Pending = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// Instruments `conn` so that `pending` runs right after its next query
/// finishes: between a reader's database read and its cache fill.
fn run_after_next_query<C: Connection + 'static>(conn: &mut C) -> Pending {
    let pending: Pending = Arc::new(Mutex::new(None));
    let slot = pending.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::FinishQuery { .. } = event
            && let Some(f) = slot.lock().unwrap().take()
        {
            f();
        }
    });
    pending
}

fn a_fill_that_raced_a_commit_is_never_served<C>(env: &mut Env<C>)
where
    C: Connection + Send + 'static,
    Product: ProductQueries<C>,
{
    let id = seed(env, &["race"])[0];
    let pending = run_after_next_query(&mut env.db.conn);
    for (round, title) in ["first", "second"].into_iter().enumerate() {
        let (mut writer_conn, writer) = (env.db.another(), ProductCache::new(env.cache.clone()));
        let p = &env.products;
        p.invalidate_all().unwrap(); // the reader's next read must miss
        *pending.lock().unwrap() = Some(Box::new(move || {
            let change = products::title.eq(title.to_string());
            writer.update(&mut writer_conn, id, change).unwrap();
        }));
        let raced = match round {
            0 => p.get(&mut env.db.conn, id).unwrap().title,
            _ => p.all(&mut env.db.conn, None, Default::default()).unwrap()[0]
                .title
                .clone(),
        };
        assert!(
            pending.lock().unwrap().is_none(),
            "the write ran inside the race"
        );
        assert_ne!(raced, title, "the reader read before the write");
        let after = p.get(&mut env.db.conn, id).unwrap().title;
        let list = p.all(&mut env.db.conn, None, Default::default()).unwrap();
        let seen = (after.as_str(), list[0].title.as_str());
        assert_eq!(seen, (title, title), "round {round}");
    }
}

/// The seeds' pattern (get; on a miss query and set; on a write delete) in
/// the same race: it keeps serving the old row. This shows the race above
/// really happens; the managers must not behave like this.
fn the_naive_pattern_is_stale_in_the_same_race<C>(env: &mut Env<C>)
where
    C: Connection + Send + 'static,
    Product: ProductQueries<C>,
{
    let id = seed(env, &["naive"])[0];
    let cache = env.cache.clone();
    let pending = run_after_next_query(&mut env.db.conn);
    let (mut writer_conn, writer_cache, uncached) = (
        env.db.another(),
        cache.clone(),
        ProductCache::new(Cache::from_url("dummy://").unwrap()),
    );
    *pending.lock().unwrap() = Some(Box::new(move || {
        uncached
            .update(&mut writer_conn, id, products::title.eq("new".to_string()))
            .unwrap();
        writer_cache.delete(format!("product:{id}")).unwrap();
    }));
    let naive_get = |conn: &mut C| -> Product {
        if let Some(hit) = cache.get::<Product>(format!("product:{id}")).unwrap() {
            return hit;
        }
        let row = env.uncached.get(conn, id).unwrap();
        cache
            .set(format!("product:{id}"), &row, Timeout::Default)
            .unwrap();
        row
    };
    assert_ne!(naive_get(&mut env.db.conn).title, "new");
    assert_ne!(
        naive_get(&mut env.db.conn).title,
        "new",
        "the naive pattern serves the old row after the write returned"
    );
}

fn invalidations_wait_for_the_commit<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    env.track();
    let id = seed(env, &["a"])[0];
    let mut other = env.db.another();
    let p = &env.products;
    assert_eq!(p.get(&mut env.db.conn, id).unwrap().slug, "a");
    let counter = env.db.counter();
    transaction(&mut env.db.conn, |conn| {
        p.update(conn, id, products::slug.eq("b".to_string()))?;
        counter.store(0, Ordering::SeqCst);
        for _ in 0..2 {
            assert_eq!(
                p.get(conn, id)?.slug,
                "b",
                "the transaction reads its own write"
            );
        }
        assert_eq!(
            counter.load(Ordering::SeqCst),
            2,
            "the written model bypasses the cache"
        );
        p.invalidate_id(id).unwrap(); // as if evicted: the next outside read misses and fills
        assert_eq!(
            p.get(&mut other, id)?.slug,
            "a",
            "uncommitted: others still see the old row"
        );
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(
        p.get(&mut other, id).unwrap().slug,
        "b",
        "committed: the fill made meanwhile is rejected"
    );
    assert!(p.find_by_slug(&mut other, "a".into()).unwrap().is_none());
}

fn rolled_back_invalidations_are_dropped<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    env.track();
    let ids = seed(env, &["keep", "undo"]);
    let p = &env.products;
    for id in &ids {
        p.get(&mut env.db.conn, *id).unwrap();
    }
    let outcome = transaction(&mut env.db.conn, |conn| {
        p.update(conn, ids[0], products::title.eq("committed".to_string()))?;
        let inner = transaction(conn, |conn| {
            p.update(conn, ids[1], products::title.eq("rolled back".to_string()))?;
            Err::<(), _>(Error::Database(diesel::result::Error::RollbackTransaction))
        });
        assert!(inner.is_err());
        Ok::<_, Error>(())
    });
    outcome.unwrap();
    let (kept, q1) = env.db.counted(|c| p.get(c, ids[1]).unwrap());
    let (changed, q2) = env.db.counted(|c| p.get(c, ids[0]).unwrap());
    assert_eq!(
        (kept.title.as_str(), q1),
        ("Title of undo", 0),
        "a rolled-back savepoint invalidates nothing"
    );
    assert_eq!((changed.title.as_str(), q2), ("committed", 1));
    let failed = transaction(&mut env.db.conn, |conn| {
        p.delete(conn, ids[0])?;
        Err::<(), _>(Error::Database(diesel::result::Error::RollbackTransaction))
    });
    assert!(failed.is_err());
    let (still, q) = env.db.counted(|c| p.get(c, ids[0]).unwrap());
    assert_eq!((still.title.as_str(), q), ("committed", 0));
}

/// `sql` templates: `{t}` is the table, `{slug}` the row to touch.
fn writes_behind_the_hooks_are_caught<C: Connection + 'static>(
    env: &mut Env<C>,
    qualified: &str,
    cte_update: &str,
) where
    Product: ProductQueries<C>,
{
    env.track();
    let ids = seed(env, &["s0", "s1", "s2", "s3", "s4"]);
    let p = &env.products;
    let updates = [
        "UPDATE products SET title = 'plain' WHERE slug = 's0'".to_string(),
        "update \"products\" set title = 'quoted' where slug = 's1'".to_string(),
        format!("UPDATE {qualified} SET title = 'qualified' WHERE slug = 's2'"),
        cte_update.replace("{slug}", "s3"),
    ];
    for (i, sql) in updates.iter().enumerate() {
        assert!(!p.get(&mut env.db.conn, ids[i]).unwrap().title.is_empty());
        env.db.conn.batch_execute(sql).unwrap();
        let (row, q) = env.db.counted(|c| p.get(c, ids[i]).unwrap());
        assert_eq!(q, 1, "{sql}: the entry was invalidated");
        assert_ne!(row.title, format!("Title of s{i}"), "{sql}");
    }
    assert_eq!(
        p.all(&mut env.db.conn, None, ProductFilter::default())
            .unwrap()
            .len(),
        5
    );
    env.db
        .conn
        .batch_execute("DELETE FROM products WHERE slug = 's4'")
        .unwrap();
    assert_eq!(
        p.all(&mut env.db.conn, None, ProductFilter::default())
            .unwrap()
            .len(),
        4
    );
    env.db
        .conn
        .batch_execute("INSERT INTO products (slug, title, is_active, category_id) VALUES ('n1', 't', true, 1), ('n2', 't', true, 1)")
        .unwrap();
    assert_eq!(
        p.all(&mut env.db.conn, None, ProductFilter::default())
            .unwrap()
            .len(),
        6
    );

    // Inside a transaction: only after the commit.
    let mut other = env.db.another();
    assert_eq!(p.get(&mut other, ids[0]).unwrap().title, "plain");
    transaction(&mut env.db.conn, |conn| {
        conn.batch_execute("UPDATE products SET title = 'in txn' WHERE slug = 's0'")?;
        assert_eq!(
            p.get(&mut other, ids[0])?.title,
            "plain",
            "not yet committed"
        );
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(p.get(&mut other, ids[0]).unwrap().title, "in txn");
}

#[test]
fn diesel_dsl_writes_are_caught_on_sqlite() {
    let mut env = env::sqlite_file_memory("dsl_sqlite").unwrap();
    env.track();
    seed(&mut env, &["a", "b"]);
    let p = &env.products;
    let conn = &mut env.db.conn;
    assert_eq!(
        p.all(conn, None, ProductFilter::default().is_active(true))
            .unwrap()
            .len(),
        2
    );
    diesel::update(products::table.filter(products::slug.eq("a")))
        .set(products::is_active.eq(false))
        .execute(conn)
        .unwrap();
    assert_eq!(
        p.all(conn, None, ProductFilter::default().is_active(true))
            .unwrap()
            .len(),
        1
    );
    diesel::insert_into(products::table)
        .values(vec![NewProduct::new("c", 1), NewProduct::new("d", 1)])
        .execute(conn)
        .unwrap();
    assert_eq!(
        p.all(conn, None, ProductFilter::default().is_active(true))
            .unwrap()
            .len(),
        3
    );
    diesel::delete(products::table.filter(products::slug.eq("b")))
        .execute(conn)
        .unwrap();
    assert!(p.find_by_slug(conn, "b".into()).unwrap().is_none());
    diesel::sql_query("UPDATE products SET title = 'via sql_query' WHERE slug = 'c'")
        .execute(conn)
        .unwrap();
    assert_eq!(
        p.get_by_slug(conn, "c".into()).unwrap().title,
        "via sql_query"
    );
}

#[test]
fn diesel_dsl_writes_are_caught_on_postgres() {
    let Some(mut env) = env::postgres_redis("dsl_pg") else {
        return;
    };
    env.track();
    seed(&mut env, &["a", "b"]);
    let p = &env.products;
    let conn = &mut env.db.conn;
    assert_eq!(p.get_by_slug(conn, "a".into()).unwrap().title, "Title of a");
    diesel::update(products::table.filter(products::slug.eq("a")))
        .set(products::title.eq("dsl".to_string()))
        .execute(conn)
        .unwrap();
    assert_eq!(p.get_by_slug(conn, "a".into()).unwrap().title, "dsl");
    diesel::sql_query("WITH gone AS (DELETE FROM products WHERE slug = 'b' RETURNING id) SELECT count(*) FROM gone")
        .execute(conn)
        .unwrap();
    assert_eq!(
        p.all(conn, None, ProductFilter::default()).unwrap().len(),
        1
    );
}

cache_tests::matrix!(
    env; stores;
    a_fill_that_raced_a_commit_is_never_served,
    the_naive_pattern_is_stale_in_the_same_race,
    invalidations_wait_for_the_commit,
    rolled_back_invalidations_are_dropped,
);

#[test]
fn sqlite_writes_behind_the_hooks_are_caught() {
    let mut env = env::sqlite_file_memory("behind_sqlite").unwrap();
    let cte = "WITH pick AS (SELECT '{slug}' AS s) UPDATE products SET title = 'cte' WHERE slug IN (SELECT s FROM pick)";
    writes_behind_the_hooks_are_caught(&mut env, "main.products", cte);
}

#[test]
fn postgres_writes_behind_the_hooks_are_caught() {
    let Some(mut env) = env::postgres_redis("behind_pg") else {
        return;
    };
    let qualified = format!("\"{}\".\"products\"", env.db.schema().unwrap());
    let cte = "WITH moved AS (UPDATE products SET title = 'cte' WHERE slug = '{slug}' RETURNING id) SELECT count(*) FROM moved";
    writes_behind_the_hooks_are_caught(&mut env, &qualified, cte);
}

/// MySQL's own spellings of a write, run for real on a tracked connection:
/// each is caught (the next read misses and sees the change), and one
/// inside a transaction opened by SQL text only at its `COMMIT`.
#[test]
fn mysql_writes_behind_the_hooks_are_caught() {
    let Some(mut env) = env::mysql_redis("behind_mysql") else {
        return;
    };
    env.track();
    let slugs = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"];
    let ids = seed(&mut env, &slugs);
    let writes = [
        "UPDATE `products` SET title = 'backticks' WHERE slug = 's0'".to_string(),
        "# a comment first\nUPDATE products SET title = 'hash comment' WHERE slug = 's1'".to_string(),
        "/*!40101 UPDATE products SET title = 'versioned comment' WHERE slug = 's2' */".to_string(),
        format!("REPLACE INTO products (id, slug, title, is_active, category_id) VALUES ({}, 's3', 'replaced', true, 1)", ids[3]),
        format!("INSERT INTO products (id, slug, title, is_active, category_id) VALUES ({}, 's4', 'x', true, 1) ON DUPLICATE KEY UPDATE title = 'upserted'", ids[4]),
        "UPDATE products p JOIN (SELECT 's5' AS s) pick ON p.slug = pick.s SET p.title = 'multi-table'".to_string(),
        "SELECT 'it\\'s; UPDATE nothing' AS s; UPDATE products SET title = 'after a backslash' WHERE slug = 's6'".to_string(),
    ];
    let p = &env.products;
    for (i, sql) in writes.iter().enumerate() {
        let before = p.get(&mut env.db.conn, ids[i]).unwrap().title;
        assert_eq!(before, format!("Title of s{i}"));
        env.db.conn.batch_execute(sql).unwrap();
        let (row, q) = env.db.counted(|c| p.get(c, ids[i]).unwrap());
        assert_eq!(q, 1, "{sql}: the entry was invalidated");
        assert_ne!(row.title, before, "{sql}");
    }
    assert!(p.find(&mut env.db.conn, ids[7]).unwrap().is_some());
    env.db
        .conn
        .batch_execute("DELETE p FROM products p WHERE p.slug = 's7'")
        .unwrap();
    assert!(
        p.find(&mut env.db.conn, ids[7]).unwrap().is_none(),
        "a multi-table DELETE is caught"
    );

    // A transaction opened by SQL text: invalidated at its COMMIT.
    let mut other = env.db.another();
    assert_eq!(p.get(&mut other, ids[0]).unwrap().title, "backticks");
    env.db.conn.batch_execute("START TRANSACTION").unwrap();
    env.db
        .conn
        .batch_execute("UPDATE products SET title = 'in txn' WHERE slug = 's0'")
        .unwrap();
    assert_eq!(
        p.get(&mut other, ids[0]).unwrap().title,
        "backticks",
        "not yet committed"
    );
    env.db.conn.batch_execute("COMMIT").unwrap();
    assert_eq!(p.get(&mut other, ids[0]).unwrap().title, "in txn");
}
