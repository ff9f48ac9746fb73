//! Every way a write reaches the database through a tracked connection
//! invalidates what it changed, after its commit (issue 18, items 1-4):
//! transactions opened and ended by SQL text, savepoints by text, literals
//! that used to derail the SQL scanner, statements it cannot classify
//! (COPY, CALL, DO, EXECUTE, MERGE, a view, a writing function), and a
//! COMMIT whose reply never arrives.
//!
//! The shape of each check: the row is cached; the write runs on the
//! tracked connection; before its commit, another connection reads the row
//! through the manager (a miss there fills the old row, stamped with
//! whatever versions the tags have then); after the write returns, a read
//! must see the new row. A tracker that invalidated before the commit lets
//! that fill survive: stale until the entry's timeout.

use cache_diesel::{Error, declare_function_writes, invalidate_tables};
use cache_tests::env::{self, Env};
use cache_tests::models::{NewProduct, Product, ProductCache, ProductQueries, products};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// Inserts one product and caches it; returns its id.
fn cached_row<C: Connection + 'static>(env: &mut Env<C>, slug: &str) -> i32
where
    Product: ProductQueries<C>,
{
    env.track();
    env.products
        .insert(&mut env.db.conn, NewProduct::new(slug, 1))
        .unwrap();
    let id = env
        .uncached
        .get_by_slug(&mut env.db.conn, slug.into())
        .unwrap()
        .id;
    assert_eq!(
        env.products.get(&mut env.db.conn, id).unwrap().title,
        format!("Title of {slug}")
    );
    id
}

/// Runs `write` on the tracked connection; `write` calls its second
/// argument between its write statement and its commit, which reads the row
/// from another connection. Afterwards the row must read `expected`, and
/// twice the same (the second from the cache).
fn caught<C, W>(env: &mut Env<C>, id: i32, expected: &str, write: W)
where
    C: Connection + 'static,
    Product: ProductQueries<C>,
    W: FnOnce(&mut C, &mut dyn FnMut()),
{
    let mut other = env.db.another();
    let p = &env.products;
    let mut read_meanwhile = || {
        p.get(&mut other, id).unwrap();
    };
    write(&mut env.db.conn, &mut read_meanwhile);
    for _ in 0..2 {
        assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, expected);
        assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, expected);
    }
}

fn exec<C: Connection>(conn: &mut C, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn text_begin_and_commit<C: Connection + 'static>(env: &mut Env<C>, begin: &str, end: &str)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "txt");
    caught(env, id, "new", |conn, meanwhile| {
        exec(conn, begin);
        exec(
            conn,
            &format!("UPDATE products SET title = 'new' WHERE id = {id}"),
        );
        meanwhile();
        exec(conn, end);
    });
}

fn begin_commit<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    text_begin_and_commit(env, "BEGIN", "COMMIT");
}

fn begin_transaction_end<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    if is_mysql::<C>() {
        // MySQL's spelling: BEGIN WORK .. COMMIT WORK.
        text_begin_and_commit(env, "BEGIN WORK", "COMMIT WORK");
    } else {
        text_begin_and_commit(env, "BEGIN TRANSACTION", "END TRANSACTION");
    }
}

fn is_mysql<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Mysql")
}

fn one_batch_with_begin_and_commit<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "batch");
    caught(env, id, "batched", |conn, _| {
        exec(
            conn,
            &format!("BEGIN; UPDATE products SET title = 'batched' WHERE id = {id}; COMMIT"),
        );
    });
}

fn a_hook_write_in_a_text_transaction<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "hook");
    let manager = ProductCache::new(env.cache.clone());
    caught(env, id, "by hook", |conn, meanwhile| {
        exec(conn, "BEGIN");
        manager
            .update(conn, id, products::title.eq("by hook".to_string()))
            .unwrap();
        meanwhile();
        exec(conn, "COMMIT");
    });
}

fn text_savepoints<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "sp");
    caught(env, id, "kept", |conn, meanwhile| {
        exec(conn, "BEGIN");
        exec(conn, "SAVEPOINT a");
        exec(
            conn,
            &format!("UPDATE products SET title = 'undone' WHERE id = {id}"),
        );
        exec(conn, "ROLLBACK TO SAVEPOINT a");
        exec(conn, "SAVEPOINT b");
        exec(
            conn,
            &format!("UPDATE products SET title = 'kept' WHERE id = {id}"),
        );
        exec(conn, "RELEASE SAVEPOINT b");
        // PostgreSQL and SQLite take `RELEASE a`; MySQL needs the keyword.
        exec(
            conn,
            if is_mysql::<C>() {
                "RELEASE SAVEPOINT a"
            } else {
                "RELEASE a"
            },
        );
        meanwhile();
        exec(conn, "COMMIT");
    });
}

fn a_text_rollback_invalidates_nothing<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "rb");
    exec(&mut env.db.conn, "BEGIN");
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'gone' WHERE id = {id}"),
    );
    let p = &env.products;
    let (inside, q) = env.db.counted(|c| p.get(c, id).unwrap());
    assert_eq!(
        (inside.title.as_str(), q),
        ("gone", 1),
        "its own write, from the database"
    );
    exec(&mut env.db.conn, "ROLLBACK");
    let (row, q) = env.db.counted(|c| p.get(c, id).unwrap());
    assert_eq!((row.title.as_str(), q), ("Title of rb", 0), "still cached");
}

#[derive(AsChangeset)]
#[diesel(table_name = products)]
struct Patch {
    title: Option<String>,
}

/// An empty changeset cannot be rendered: Diesel's error comes back, the
/// tracked connection does not panic (issue 12 item 1), nothing is
/// invalidated. Per database: the bounds of Diesel's update are concrete.
macro_rules! empty_changeset {
    ($name:ident, $env:expr) => {
        #[test]
        fn $name() {
            let Some(mut env) = $env else {
                return;
            };
            let id = cached_row(&mut env, "empty");
            let p = &env.products;
            let err = p
                .update(&mut env.db.conn, id, Patch { title: None })
                .unwrap_err();
            assert!(matches!(err, Error::Database(_)), "{err:?}");
            let raw = diesel::update(products::table.find(id))
                .set(Patch { title: None })
                .execute(&mut env.db.conn);
            assert!(raw.is_err());
            let (row, q) = env.db.counted(|c| p.get(c, id).unwrap());
            assert_eq!((row.title.as_str(), q), ("Title of empty", 0));
        }
    };
}

empty_changeset!(
    an_empty_changeset_is_an_error_not_a_panic_on_sqlite,
    env::sqlite_file_memory("empty_sqlite")
);
empty_changeset!(
    an_empty_changeset_is_an_error_not_a_panic_on_postgres,
    env::postgres_redis("empty_pg")
);

macro_rules! suite {
    ($($check:ident),* $(,)?) => {
        mod sqlite_memory { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::sqlite_file_memory(stringify!($check)) { super::$check(&mut e) } } )* }
        mod postgres_redis { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::postgres_redis(stringify!($check)) { super::$check(&mut e) } } )* }
        mod mysql_redis { $( #[test] fn $check() { if let Some(mut e) = cache_tests::env::mysql_redis(stringify!($check)) { super::$check(&mut e) } } )* }
    };
}

suite!(
    begin_commit,
    begin_transaction_end,
    one_batch_with_begin_and_commit,
    a_hook_write_in_a_text_transaction,
    text_savepoints,
    a_text_rollback_invalidates_nothing,
);

#[test]
fn start_transaction_and_end_on_postgres() {
    let Some(mut env) = env::postgres_redis("start_end") else {
        return;
    };
    text_begin_and_commit(
        &mut env,
        "START TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "END",
    );
}

/// PostgreSQL statements that used to derail the scanner, or that it cannot
/// classify (each invalidates, coarsely if need be), each changing the title.
#[test]
fn postgres_write_paths_are_caught() {
    let Some(mut env) = env::postgres_redis("pg_paths") else {
        return;
    };
    let id = cached_row(&mut env, "pg");
    exec(
        &mut env.db.conn,
        "CREATE VIEW product_view AS SELECT * FROM products;
         CREATE PROCEDURE set_title(pid int, t text) LANGUAGE SQL
           AS $$ UPDATE products SET title = t WHERE id = pid $$;
         CREATE FUNCTION retitle(pid int) RETURNS int LANGUAGE SQL
           AS $$ UPDATE products SET title = 'by function' WHERE id = pid RETURNING id $$;",
    );
    declare_function_writes("retitle", &["products"]);
    let statements = [
        format!(
            "WITH x AS (SELECT $$'$$ AS q) UPDATE products SET title = 'dollar' WHERE id = {id}"
        ),
        format!(
            "WITH x AS (SELECT $t$ '$$' $t$ AS q) UPDATE products SET title = 'tagged' WHERE id = {id}"
        ),
        format!("SELECT E'it\\'s'; UPDATE products SET title = 'escaped' WHERE id = {id}"),
        format!(
            "/* outer /* nested */ still */ UPDATE products SET title = 'nested' WHERE id = {id}"
        ),
        format!("CALL set_title({id}, 'called')"),
        format!("DO $$ BEGIN UPDATE products SET title = 'done' WHERE id = {id}; END $$"),
        format!(
            "PREPARE p AS UPDATE products SET title = 'executed' WHERE id = {id}; EXECUTE p; DEALLOCATE p"
        ),
        format!("UPDATE product_view SET title = 'via view' WHERE id = {id}"),
        format!(
            "MERGE INTO products USING (SELECT {id} AS id) s ON products.id = s.id WHEN MATCHED THEN UPDATE SET title = 'merged'"
        ),
        format!("SELECT retitle({id})"),
    ];
    let mut other = env.db.another();
    let mut last = "Title of pg".to_string();
    for sql in &statements {
        let p = &env.products;
        assert_eq!(
            p.get(&mut env.db.conn, id).unwrap().title,
            last,
            "cached before {sql}"
        );
        exec(&mut env.db.conn, "BEGIN");
        exec(&mut env.db.conn, sql);
        p.get(&mut other, id).unwrap(); // before the commit
        exec(&mut env.db.conn, "COMMIT");
        let truth = env.uncached.get(&mut env.db.conn, id).unwrap().title;
        assert_ne!(truth, last, "{sql} changed the row");
        assert_eq!(
            env.products.get(&mut env.db.conn, id).unwrap().title,
            truth,
            "{sql}"
        );
        last = truth;
    }
}

#[test]
fn diesel_copy_from_is_caught() {
    let Some(mut env) = env::postgres_redis("copy_from") else {
        return;
    };
    cached_row(&mut env, "c0");
    let p = &env.products;
    assert_eq!(
        p.all(&mut env.db.conn, None, Default::default())
            .unwrap()
            .len(),
        1
    );
    #[derive(Insertable)]
    #[diesel(table_name = products)]
    #[diesel(treat_none_as_default_value = false)]
    struct Row {
        id: i32,
        slug: String,
        title: String,
        is_active: bool,
        category_id: i32,
    }
    let rows: Vec<Row> = (100..103)
        .map(|i| Row {
            id: i,
            slug: format!("c{i}"),
            title: "copied".into(),
            is_active: true,
            category_id: 1,
        })
        .collect();
    diesel::copy_from(products::table)
        .from_insertable(rows)
        .execute(&mut env.db.conn)
        .unwrap();
    assert_eq!(
        p.all(&mut env.db.conn, None, Default::default())
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn a_function_write_is_caught_by_hand_or_not_at_all() {
    let Some(mut env) = env::postgres_redis("by_hand") else {
        return;
    };
    let id = cached_row(&mut env, "hand");
    let mut untracked = env.db.another();
    exec(
        &mut untracked,
        &format!("UPDATE products SET title = 'elsewhere' WHERE id = {id}"),
    );
    let p = &env.products;
    assert_eq!(
        p.get(&mut env.db.conn, id).unwrap().title,
        "Title of hand",
        "unseen: stale"
    );
    invalidate_tables(&mut env.db.conn, &["products"]);
    assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, "elsewhere");
}

/// A proxy to PostgreSQL for one connection: once the client sends a
/// message containing `trigger` (`COMMIT`), the server's reply is read and
/// dropped, and the client's connection closed. The statement runs (and
/// commits); the client cannot know.
fn reply_dropping_proxy(upstream: &str, trigger: &'static [u8]) -> u16 {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = upstream.to_owned();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(&upstream).unwrap();
        let committing = Arc::new(AtomicBool::new(false));
        let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let flag = committing.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = c_in.read(&mut buf) {
                if buf[..n].windows(trigger.len()).any(|w| w == trigger) {
                    flag.store(true, Ordering::SeqCst);
                }
                if s_out.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        });
        let (mut s_in, mut c_out) = (server, client);
        let mut buf = [0u8; 65536];
        while let Ok(n @ 1..) = s_in.read(&mut buf) {
            if committing.load(Ordering::SeqCst) {
                let _ = c_out.shutdown(Shutdown::Both); // the reply never arrives
                return;
            }
            if c_out.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
    port
}

#[test]
fn a_commit_whose_reply_is_lost_still_invalidates() {
    let Some(mut env) = env::postgres_redis("lost_commit") else {
        return;
    };
    let id = cached_row(&mut env, "lost");
    let url = url::Url::parse(&cache_tests::services::database_url().unwrap()).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    for (round, by_diesel) in [false, true].into_iter().enumerate() {
        let port = reply_dropping_proxy(&upstream, b"COMMIT");
        let mut conn = PgConnection::establish(&format!(
            "postgres://{}@127.0.0.1:{port}{}?sslmode=disable",
            url.username(),
            url.path()
        ))
        .unwrap();
        exec(
            &mut conn,
            &format!("SET search_path TO \"{}\"", env.db.schema().unwrap()),
        );
        conn.set_instrumentation(
            cache_diesel::CacheTracking::for_connection::<PgConnection>()
                .for_caches([env.cache.clone()]),
        );
        let title = format!("committed {round}");
        let update = format!("UPDATE products SET title = '{title}' WHERE id = {id}");
        let (p, other) = (&env.products, &mut env.db.conn);
        let committed = if by_diesel {
            conn.transaction(|c| {
                c.batch_execute(&update)?;
                p.get(other, id).unwrap(); // before the commit: the old row
                Ok::<_, diesel::result::Error>(())
            })
        } else {
            exec(&mut conn, "BEGIN");
            exec(&mut conn, &update);
            p.get(other, id).unwrap();
            conn.batch_execute("COMMIT")
        };
        assert!(committed.is_err(), "the reply was dropped");
        let truth = env.uncached.get(&mut env.db.conn, id).unwrap().title;
        assert_eq!(truth, title, "the server committed");
        assert_eq!(env.products.get(&mut env.db.conn, id).unwrap().title, title);
    }
}

/// A write to a name no manager uses may be a write through a view: it
/// invalidates every managed table, unless the table is declared uncached
/// (or a view is declared with the tables behind it).
#[test]
fn unknown_names_invalidate_everything_unless_declared() {
    let mut env = env::sqlite_file_memory("unknown_names").unwrap();
    let id = cached_row(&mut env, "u");
    exec(
        &mut env.db.conn,
        "CREATE TABLE audit_entries (x INTEGER); CREATE TABLE mystery_rows (x INTEGER)",
    );
    cache_diesel::declare_uncached(&["audit_entries"]);
    cache_diesel::declare_view("products_alias_view", &["products"]);
    let p = &env.products;
    p.get(&mut env.db.conn, id).unwrap(); // cached again after the CREATEs
    exec(&mut env.db.conn, "INSERT INTO audit_entries VALUES (1)");
    let (_, q) = env.db.counted(|c| p.get(c, id).unwrap());
    assert_eq!(q, 0, "a declared uncached table invalidates nothing");
    exec(&mut env.db.conn, "INSERT INTO mystery_rows VALUES (1)");
    let (_, q) = env.db.counted(|c| p.get(c, id).unwrap());
    assert_eq!(
        q, 1,
        "an unknown name may be a view: everything is invalidated"
    );
}

/// A statement that may have written anything bumps the cache's `all` tag,
/// which every entry depends on: reached through any handle on the same
/// Redis prefix, whatever managers the writing process has (the writer
/// here has none over its cache).
#[test]
fn an_unclassifiable_write_reaches_every_entry_through_the_all_tag() {
    let Some(mut env) = env::postgres_redis("all_tag") else {
        return;
    };
    let id = cached_row(&mut env, "all");
    exec(
        &mut env.db.conn,
        "CREATE PROCEDURE set_title_all(pid int, t text) LANGUAGE SQL
           AS $$ UPDATE products SET title = t WHERE id = pid $$",
    );
    env.products.get(&mut env.db.conn, id).unwrap(); // cached again after the CREATE
    let mut config =
        cache_diesel::CacheConfig::from_url(&cache_tests::services::redis_url().unwrap()).unwrap();
    config.key_prefix = env.cache.config().key_prefix.clone();
    let elsewhere = cache_diesel::Cache::new(config).unwrap();
    let mut writer = env.db.another();
    writer.set_instrumentation(
        cache_diesel::CacheTracking::for_connection::<PgConnection>().for_caches([elsewhere]),
    );
    exec(
        &mut writer,
        &format!("CALL set_title_all({id}, 'called elsewhere')"),
    );
    assert_eq!(
        env.products.get(&mut env.db.conn, id).unwrap().title,
        "called elsewhere"
    );
}

/// A tracked connection to PostgreSQL through a proxy that drops the reply
/// to the first message containing `trigger`, in `env`'s schema.
fn connection_losing_reply(env: &Env<PgConnection>, trigger: &'static [u8]) -> PgConnection {
    let url = url::Url::parse(&cache_tests::services::database_url().unwrap()).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let port = reply_dropping_proxy(&upstream, trigger);
    let mut conn = PgConnection::establish(&format!(
        "postgres://{}@127.0.0.1:{port}{}?sslmode=disable",
        url.username(),
        url.path()
    ))
    .unwrap();
    exec(
        &mut conn,
        &format!("SET search_path TO \"{}\"", env.db.schema().unwrap()),
    );
    conn.set_instrumentation(
        cache_diesel::CacheTracking::for_connection::<PgConnection>()
            .for_caches([env.cache.clone()]),
    );
    conn
}

/// An autocommit write whose reply is lost committed all the same: raw SQL
/// and a hook write both invalidate (the hook through the tracker).
#[test]
fn an_autocommit_write_whose_reply_is_lost_still_invalidates() {
    let Some(mut env) = env::postgres_redis("lost_write") else {
        return;
    };
    let id = cached_row(&mut env, "lostw");
    let mut conn = connection_losing_reply(&env, b"lost-raw");
    let raw = conn.batch_execute(&format!(
        "UPDATE products SET title = 'lost-raw' WHERE id = {id}"
    ));
    assert!(raw.is_err(), "the reply was dropped");
    assert_eq!(
        env.products.get(&mut env.db.conn, id).unwrap().title,
        "lost-raw"
    );
    let mut conn = connection_losing_reply(&env, b"lost-hook");
    let manager = ProductCache::new(env.cache.clone());
    let hook = manager.update(&mut conn, id, products::title.eq("lost-hook".to_string()));
    assert!(hook.is_err(), "the reply was dropped");
    assert_eq!(
        env.uncached.get(&mut env.db.conn, id).unwrap().title,
        "lost-hook"
    );
    assert_eq!(
        env.products.get(&mut env.db.conn, id).unwrap().title,
        "lost-hook"
    );
}

/// With `standard_conforming_strings = off`, `'it\'s'` is one string to
/// PostgreSQL: the tracker then lexes by every dialect's rules.
#[test]
fn strings_read_with_backslash_escapes_do_not_hide_a_write() {
    let Some(mut env) = env::postgres_redis("nonstandard_strings") else {
        return;
    };
    let id = cached_row(&mut env, "scs");
    exec(&mut env.db.conn, "SET standard_conforming_strings = off");
    exec(
        &mut env.db.conn,
        &format!(
            "SELECT 'it\\'s'; UPDATE products SET title = 'escaped' WHERE id = {id}; SELECT 'don\\'t'"
        ),
    );
    assert_eq!(
        env.products.get(&mut env.db.conn, id).unwrap().title,
        "escaped"
    );
}

/// A hook write inside a transaction on an untracked connection cannot
/// defer its invalidation to the commit: it is refused, and writes nothing
/// (found by probing: it used to invalidate before the commit, silently).
#[test]
fn a_hook_write_in_a_transaction_needs_a_tracked_connection() {
    let mut env = env::sqlite_file_memory("untracked_hook").unwrap();
    let id = cached_row(&mut env, "untracked");
    let mut untracked = env.db.another();
    let p = &env.products;
    let refused = untracked.transaction(|c| {
        p.update(c, id, products::title.eq("in txn".to_string()))
            .map_err(|e| match e {
                Error::UntrackedTransaction => diesel::result::Error::RollbackTransaction,
                other => panic!("{other:?}"),
            })
    });
    assert!(matches!(
        refused,
        Err(diesel::result::Error::RollbackTransaction)
    ));
    assert_eq!(
        env.uncached.get(&mut env.db.conn, id).unwrap().title,
        "Title of untracked"
    );
    let outside = p.update(
        &mut untracked,
        id,
        products::title.eq("autocommit".to_string()),
    );
    assert_eq!(
        outside.unwrap().unwrap().title,
        "autocommit",
        "outside a transaction it works"
    );
}
