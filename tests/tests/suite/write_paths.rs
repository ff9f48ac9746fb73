//! Every way a write reaches the database through a tracked connection
//! invalidates what it changed, after its commit:
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
use std::time::{Duration, Instant};

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

/// A savepoint named again in another spelling: SQLite (which ignores
/// ASCII case, quoted names too) and MySQL (case and accents) take it for
/// the same savepoint and move it past the write, which the `ROLLBACK TO`
/// then keeps; PostgreSQL (a quoted name as written) rolls the write back.
/// Found by an outside probe: the tracker compared quoted names as written
/// on every database, dropped the write's invalidation, and the row the
/// server kept was served stale.
fn savepoint_names_match_as_the_database_matches_them<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "spn");
    let postgres = std::any::type_name::<C::Backend>().ends_with("::Pg");
    let expected = if postgres { "Title of spn" } else { "kept" };
    let again = if is_mysql::<C>() { "`A`" } else { "\"A\"" };
    caught(env, id, expected, |conn, meanwhile| {
        exec(conn, "BEGIN");
        exec(conn, "SAVEPOINT a");
        exec(
            conn,
            &format!("UPDATE products SET title = 'kept' WHERE id = {id}"),
        );
        exec(conn, &format!("SAVEPOINT {again}"));
        exec(conn, "ROLLBACK TO SAVEPOINT a");
        meanwhile();
        exec(conn, "COMMIT");
    });
}

/// A temporary table named like a managed table hides the real one from
/// the connection that made it: that connection's reads of it must go to
/// the database (they see the temporary rows) and fill nothing, or every
/// process is served the temporary rows (found by an outside probe on
/// MariaDB, until the entry's timeout). Another connection reads the real
/// rows, from the cache.
fn a_temporary_table_named_like_a_managed_one_fills_nothing<C: Connection + 'static>(
    env: &mut Env<C>,
) where
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "shadowed");
    let name = std::any::type_name::<C::Backend>();
    let (create, drop) = match name.rsplit("::").next() {
        Some("Pg") => (
            "CREATE TEMPORARY TABLE products AS SELECT * FROM products",
            "DROP TABLE pg_temp.products",
        ),
        Some("Sqlite") => (
            "CREATE TEMP TABLE products AS SELECT * FROM main.products",
            "DROP TABLE temp.products",
        ),
        _ => (
            "CREATE TEMPORARY TABLE products AS SELECT * FROM products",
            "DROP TEMPORARY TABLE products",
        ),
    };
    let mut other = env.db.another();
    let conn = &mut env.db.conn;
    exec(conn, create);
    exec(
        conn,
        &format!("UPDATE products SET title = 'temporary' WHERE id = {id}"),
    );
    let p = &env.products;
    for _ in 0..2 {
        assert_eq!(p.get(conn, id).unwrap().title, "temporary", "its own rows");
        assert_eq!(p.get(&mut other, id).unwrap().title, "Title of shadowed");
    }
    exec(conn, drop);
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
/// tracked connection does not panic, nothing is
/// invalidated but the tags the hook announced. Per database: the bounds of Diesel's update are concrete.
macro_rules! empty_changeset {
    ($env:ident) => {
        use super::*;

        #[test]
        fn an_empty_changeset_is_an_error_not_a_panic() {
            let Some(mut env) = env::matrix::$env("empty_changeset") else {
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
            // On a shared store the hook announced the row's tags before
            // its statement, and its failure replaced them: one read.
            let (row, q) = env.db.counted(|c| p.get(c, id).unwrap());
            let announced = usize::from(p.cache().backend().capabilities().shared);
            assert_eq!((row.title.as_str(), q), ("Title of empty", announced));
        }
    };
}

mod empty_changeset {
    use super::*;

    cache_tests::matrix!(items empty_changeset; stores;);
}

cache_tests::matrix!(
    env; stores;
    begin_commit,
    begin_transaction_end,
    one_batch_with_begin_and_commit,
    a_hook_write_in_a_text_transaction,
    text_savepoints,
    savepoint_names_match_as_the_database_matches_them,
    a_temporary_table_named_like_a_managed_one_fills_nothing,
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
    proxy_losing(upstream, trigger, None)
}

/// [`reply_dropping_proxy`]; where `late` is given, the client's connection
/// is dropped as soon as the message arrives, and the message is sent to the
/// server `late` afterwards: the write commits after its writer gave up on
/// it (as a killed session finishing its `COMMIT`).
fn proxy_losing(upstream: &str, trigger: &'static [u8], late: Option<Duration>) -> u16 {
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
                    if let Some(late) = late {
                        let _ = c_in.shutdown(Shutdown::Both);
                        std::thread::sleep(late);
                        let _ = s_out.write_all(&buf[..n]);
                        // (The server reads the message before it sees
                        // the connection close.)
                        std::thread::sleep(Duration::from_secs(2));
                        return;
                    }
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
    pg_connection_losing(env, trigger, None)
}

/// [`connection_losing_reply`], through [`proxy_losing`].
fn pg_connection_losing(
    env: &Env<PgConnection>,
    trigger: &'static [u8],
    late: Option<Duration>,
) -> PgConnection {
    let url = url::Url::parse(&cache_tests::services::database_url().unwrap()).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let port = proxy_losing(&upstream, trigger, late);
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
    // (A tracked hook over Redis runs in a transaction of its own: the
    // reply lost is its `COMMIT`'s.)
    let mut conn = connection_losing_reply(&env, b"COMMIT");
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

// ---------------------------------------------------------------------------
// Database states: a read-only session, a serialization
// failure or a deadlock, a statement timeout, a connection killed mid-write.
// Each test caches a row in "another process" (a second `Cache` over the
// same URL and prefix, or the same in-process store), puts the server in the
// state, writes through the hooks, and compares every read of the row (by
// id, by slug, in a list) with a plain SELECT.

/// A plain read of a row's slug and title, outside the cache.
trait PlainRead {
    fn plain_row(&mut self, id: i32) -> (String, String);
    /// One number from `sql` (a `SELECT` of one `BIGINT` column `n`).
    fn number(&mut self, sql: &str) -> i64;
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

macro_rules! plain_read {
    ($($conn:ty),*) => {$(
        impl PlainRead for $conn {
            fn plain_row(&mut self, id: i32) -> (String, String) {
                products::table
                    .find(id)
                    .select((products::slug, products::title))
                    .first(self)
                    .unwrap()
            }
            fn number(&mut self, sql: &str) -> i64 {
                diesel::sql_query(sql)
                    .get_result::<Number>(self)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .n
            }
        }
    )*};
}
plain_read!(PgConnection, MysqlConnection);

/// Another process's view of the test's cache: its own `Cache` over the
/// same Redis URL and prefix (on the in-process store, the same store), and
/// its own untracked, counted connection.
struct Reader<C: Connection + 'static> {
    products: ProductCache,
    conn: C,
    queries: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn reader<C: Connection + 'static>(env: &Env<C>) -> Reader<C> {
    let cache = if env.cache.backend().capabilities().shared {
        cache_diesel::Cache::new(env.cache.config().clone()).unwrap()
    } else {
        env.cache.clone()
    };
    let mut conn = env.db.another();
    let queries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    conn.set_instrumentation(cache_tests::db::query_counter(queries.clone()));
    Reader {
        products: ProductCache::new(cache),
        conn,
        queries,
    }
}

impl<C: Connection + PlainRead + 'static> Reader<C> {
    /// Reads row `id` through the cache by id, by slug and in the list, and
    /// panics unless each is what the database holds (`when` says when).
    /// Returns the database's title and which of the three reads went to
    /// the database (`[by id, by slug, list]`, 1 each: all 0 when served
    /// from the cache).
    fn check(&mut self, id: i32, when: &str) -> (String, [usize; 3])
    where
        Product: ProductQueries<C>,
    {
        use std::sync::atomic::Ordering;
        let (slug, truth) = self.conn.plain_row(id);
        let p = &self.products;
        self.queries.store(0, Ordering::SeqCst);
        let by_id = p.get(&mut self.conn, id).unwrap().title;
        let q_id = self.queries.swap(0, Ordering::SeqCst);
        let by_slug = p.get_by_slug(&mut self.conn, slug.clone()).unwrap().title;
        let q_slug = self.queries.swap(0, Ordering::SeqCst);
        let listed = p
            .all(&mut self.conn, None, Default::default())
            .unwrap()
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.title.clone());
        let q_list = self.queries.swap(0, Ordering::SeqCst);
        assert_eq!(by_id, truth, "a stale read by id {when}");
        assert_eq!(by_slug, truth, "a stale read by slug {slug} {when}");
        assert_eq!(listed.as_ref(), Some(&truth), "a stale list {when}");
        (truth, [q_id, q_slug, q_list])
    }

    /// Reads row `id` (checking each read) until all three reads are
    /// served from the cache again, for at most `limit`; returns how long
    /// that took (`None`: still going to the database at the limit).
    fn until_cached(&mut self, id: i32, limit: Duration) -> Option<Duration>
    where
        Product: ProductQueries<C>,
    {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.check(id, "while settling").1 == [0; 3] {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

/// The environment of one state test: the test's database with Redis (its
/// own prefix) or with the in-process store.
fn pg_env(test: &str, redis: bool) -> Option<Env<PgConnection>> {
    if redis {
        return env::postgres_redis(test);
    }
    let db = cache_tests::db::postgres(test)?;
    Some(Env::new(db, env::cache_with_prefix("memory://", test)))
}

fn mysql_env(test: &str, redis: bool) -> Option<Env<MysqlConnection>> {
    if redis {
        return env::mysql_redis(test);
    }
    let db = cache_tests::db::mysql(test)?;
    Some(Env::new(db, env::cache_with_prefix("memory://", test)))
}

/// A new connection to `env`'s database tracked for `env`'s cache (another
/// writer of the same process).
fn tracked<C: Connection + 'static>(env: &Env<C>) -> C {
    let mut conn = env.db.another();
    conn.set_instrumentation(
        cache_diesel::CacheTracking::for_connection::<C>().for_caches([env.cache.clone()]),
    );
    conn
}

fn is_read_only_refusal(err: &Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as E};
    matches!(
        err,
        Error::Database(E::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _))
    )
}

fn title(t: &str) -> diesel::dsl::Eq<products::title, String> {
    products::title.eq(t.to_string())
}

/// State 1: A read-only session: hook writes (in a tracked transaction and in
/// autocommit) and a raw write are refused with the database's error;
/// nothing is served stale; the refused transaction invalidates nothing.
/// `autocommit_refused`: whether to require the autocommit hook write to
/// be refused too (see the MariaDB test for why it is not).
fn read_only_session<C>(env: &mut Env<C>, read_only: &str, autocommit_refused: bool)
where
    C: Connection + PlainRead + 'static,
    Product: ProductQueries<C>,
{
    let shared = env.cache.backend().capabilities().shared;
    let id = cached_row(env, "ro");
    let mut reader = reader(env);
    reader.check(id, "before");
    assert_eq!(reader.check(id, "cached").1, [0; 3], "all three cached");
    exec(&mut env.db.conn, read_only);
    let p = &env.products;
    let refused = cache_diesel::transaction(&mut env.db.conn, |c| p.update(c, id, title("in txn")))
        .unwrap_err();
    assert!(is_read_only_refusal(&refused), "{refused:?}");
    assert_eq!(
        reader.check(id, "after the refused transaction"),
        ("Title of ro".to_string(), [0; 3]),
        "a refused transaction invalidates nothing"
    );
    let raw = env
        .db
        .conn
        .batch_execute(&format!(
            "UPDATE products SET title = 'raw' WHERE id = {id}"
        ))
        .unwrap_err();
    let message = raw.to_string().to_ascii_lowercase().replace('-', " ");
    assert!(message.contains("read only transaction"), "{raw}");
    let (_, q) = reader.check(id, "after the refused raw write");
    println!("reads to the database after the refused raw write [id, slug, list]: {q:?}");
    let auto = p.update(&mut env.db.conn, id, title("autocommit"));
    match &auto {
        Err(e) => assert!(is_read_only_refusal(e), "{e:?}"),
        Ok(_) if autocommit_refused => panic!("the read-only session took the write: {auto:?}"),
        Ok(_) => println!("the hook's autocommit write went through a read-only session"),
    }
    let (truth, q) = reader.check(id, "after the autocommit hook write");
    println!(
        "after the autocommit hook write ({}): reads to the database [id, slug, list] {q:?}",
        if auto.is_ok() { "taken" } else { "refused" }
    );
    if auto.is_err() {
        assert_eq!(truth, "Title of ro");
        if !shared {
            assert_eq!(q, [0; 3], "nothing invalidated on the in-process store");
        }
    }
    // The writer's own reads are served and correct.
    assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, truth);
    assert_eq!(p.get(&mut env.db.conn, id).unwrap().title, truth);
}

#[test]
fn a_read_only_postgres_session_refuses_writes_and_serves_reads() {
    for redis in [true, false] {
        let Some(mut env) = pg_env("ro_pg", redis) else {
            return;
        };
        read_only_session(&mut env, "SET default_transaction_read_only = on", true);
    }
}

#[test]
fn a_read_only_mariadb_session_serves_no_stale_read() {
    for redis in [true, false] {
        let Some(mut env) = mysql_env("ro_my", redis) else {
            return;
        };
        read_only_session(&mut env, "SET SESSION TRANSACTION READ ONLY", false);
    }
}

#[test]
fn a_read_only_mariadb_session_refuses_an_autocommit_hook_write() {
    let Some(mut env) = mysql_env("ro_my_auto", true) else {
        return;
    };
    read_only_session(&mut env, "SET SESSION TRANSACTION READ ONLY", true);
}

fn is_serialization_failure(err: &Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as E};
    matches!(
        err,
        Error::Database(E::DatabaseError(DatabaseErrorKind::SerializationFailure, _))
    )
}

/// Two tracked transactions (T1 on a thread, T2 here), each a hook write of
/// one of two rows, that cannot both commit. Each first runs
/// `first_statement(the other row)` (PostgreSQL: a read of it, for a write
/// skew); with `deadlock`, each then writes the other's row too (MariaDB: a
/// deadlock). One fails with a serialization failure: its writes must not
/// be served as committed (invalidating them is only over-invalidation),
/// the winner's must be invalidated, and another process never reads a
/// stale row, while both are open nor after.
fn conflicting_transactions<C>(
    env: &mut Env<C>,
    setup: &str,
    first_statement: fn(i32) -> String,
    deadlock: bool,
) where
    C: Connection + PlainRead + Send + 'static,
    Product: ProductQueries<C>,
{
    use std::sync::{Arc, Barrier};
    let a = cached_row(env, "a");
    env.products
        .insert(&mut env.db.conn, NewProduct::new("b", 1))
        .unwrap();
    let b = env
        .uncached
        .get_by_slug(&mut env.db.conn, "b".into())
        .unwrap()
        .id;
    let mut reader = reader(env);
    reader.check(a, "before");
    reader.check(b, "before");
    let mut t1 = tracked(env);
    exec(&mut t1, setup);
    exec(&mut env.db.conn, setup);
    let meet = Arc::new(Barrier::new(2));
    let (meet1, manager) = (meet.clone(), ProductCache::new(env.cache.clone()));
    // T1: reads (or locks) b, writes a; after the meeting, (MariaDB) b.
    let first = first_statement(b);
    let one = std::thread::spawn(move || {
        let out = cache_diesel::transaction(&mut t1, |c| {
            c.batch_execute(&first)?;
            manager.update(c, a, title("t1 wrote a"))?;
            meet1.wait(); // both wrote their first row
            // (With `deadlock`, T1 may be the one rolled back: it then
            // meets T2 as often as when it wins.)
            let late = match deadlock {
                true => manager.update(c, b, title("t1 wrote b")).map(drop),
                false => Ok(()),
            };
            meet1.wait(); // T2 checked the reads meanwhile
            late?;
            Ok::<_, Error>(())
        });
        meet1.wait(); // T1 ended
        out
    });
    let p = &env.products;
    let first = first_statement(a);
    let two = cache_diesel::transaction(&mut env.db.conn, |c| {
        c.batch_execute(&first)?;
        p.update(c, b, title("t2 wrote b"))?;
        meet.wait();
        if deadlock {
            // T1 now waits for b; this waits for a: a deadlock, and one of
            // the two is rolled back.
            std::thread::sleep(Duration::from_millis(50));
            let late = p.update(c, a, title("t2 wrote a"));
            if let Err(e) = late {
                meet.wait();
                meet.wait();
                return Err(e);
            }
        }
        reader.check(a, "while both transactions are open");
        reader.check(b, "while both transactions are open");
        meet.wait();
        meet.wait(); // T1 ended (committed, or failed)
        Ok(())
    });
    let one = one.join().unwrap();
    println!("T1: {one:?}\nT2: {two:?}");
    let failed: Vec<&Error> = [&one, &two]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    assert_eq!(failed.len(), 1, "exactly one fails: {one:?} {two:?}");
    assert!(is_serialization_failure(failed[0]), "{:?}", failed[0]);
    let (ta, qa) = reader.check(a, "after");
    let (tb, qb) = reader.check(b, "after");
    println!("after (to the database [id, slug, list]): a = {ta:?} {qa:?}, b = {tb:?} {qb:?}");
    if one.is_ok() {
        assert_eq!(ta, "t1 wrote a");
        assert_eq!(tb, if deadlock { "t1 wrote b" } else { "Title of b" });
    } else {
        assert_eq!(ta, if deadlock { "t2 wrote a" } else { "Title of a" });
        assert_eq!(tb, "t2 wrote b");
    }
    for row in [a, b] {
        assert_eq!(reader.check(row, "again").1, [0; 3], "cached again");
    }
}

/// SQLite ends a transaction by itself when a statement fails under `OR
/// ROLLBACK` (or a trigger's `RAISE(ROLLBACK)`, a full disk): the next
/// writes commit at once, though the tracker saw no `ROLLBACK`. It counted
/// them for a transaction that was gone, and dropped them at the next
/// `ROLLBACK` (a Diesel transaction that failed): another connection read
/// the old row until its timeout (found by a probe from outside).
fn a_transaction_the_database_ended_leaves_no_write_unseen(env: &mut Env<SqliteConnection>) {
    let id = cached_row(env, "ended");
    let p = &env.products;
    let mut other = env.db.another();
    exec(&mut env.db.conn, "BEGIN");
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'rolled back' WHERE id = {id}"),
    );
    let refused = env.db.conn.batch_execute(&format!(
        "INSERT OR ROLLBACK INTO products (id, slug, title, is_active, category_id) \
         VALUES ({id}, 'twice', 'twice', 1, 1)"
    ));
    assert!(refused.is_err(), "the key is taken");
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'raw after' WHERE id = {id}"),
    );
    let failed = env
        .db
        .conn
        .transaction(|_| Err::<(), _>(diesel::result::Error::RollbackTransaction));
    assert!(failed.is_err());
    assert_eq!(p.get(&mut other, id).unwrap().title, "raw after");
    p.update(&mut env.db.conn, id, title("hook after")).unwrap();
    assert_eq!(p.get(&mut other, id).unwrap().title, "hook after");
}

#[test]
fn a_transaction_sqlite_ended_leaves_no_write_unseen() {
    let envs = [env::sqlite_file_memory, env::sqlite_redis];
    for make in envs {
        let Some(mut env) = make("ended_by_sqlite") else {
            continue;
        };
        a_transaction_the_database_ended_leaves_no_write_unseen(&mut env);
    }
}

/// MariaDB rolls a deadlock's victim back whole: the victim's next write
/// (SQL text, no `ROLLBACK` between) commits at once and must be seen. The
/// other transaction inserts rows first, so that InnoDB, which rolls back
/// the lighter one, picks the tracked connection's.
#[test]
fn a_deadlock_victims_next_autocommit_write_is_seen_on_mariadb() {
    let Some(mut env) = mysql_env("victim_next", true) else {
        return;
    };
    let a = cached_row(&mut env, "a");
    let b = env
        .products
        .insert(&mut env.db.conn, NewProduct::new("b", 1))
        .unwrap()
        .id;
    let mut winner = env.db.another();
    exec(
        &mut env.db.conn,
        "SET SESSION innodb_lock_wait_timeout = 20",
    );
    exec(&mut env.db.conn, "START TRANSACTION");
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'lost' WHERE id = {a}"),
    );
    let heavy = std::thread::spawn(move || {
        exec(&mut winner, "START TRANSACTION");
        for i in 0..20 {
            exec(
                &mut winner,
                &format!(
                    "INSERT INTO products (slug, title, is_active, category_id) \
                     VALUES ('heavy{i}', 'h', true, 2)"
                ),
            );
        }
        exec(
            &mut winner,
            &format!("UPDATE products SET title = 'won' WHERE id = {b}"),
        );
        // Waits for the tracked connection's lock on a, until it is the
        // deadlock's victim.
        exec(
            &mut winner,
            &format!("UPDATE products SET title = 'won' WHERE id = {a}"),
        );
        exec(&mut winner, "ROLLBACK");
    });
    std::thread::sleep(Duration::from_millis(500));
    let victim = env.db.conn.batch_execute(&format!(
        "UPDATE products SET title = 'lost' WHERE id = {b}"
    ));
    let err = victim.expect_err("the lighter transaction is the victim");
    assert!(err.to_string().contains("Deadlock"), "{err}");
    heavy.join().unwrap();
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'after' WHERE id = {a}"),
    );
    let mut other = env.db.another();
    assert_eq!(env.products.get(&mut other, a).unwrap().title, "after");
}

/// State 2: PostgreSQL SERIALIZABLE: each transaction reads the row the other
/// writes (write skew); the second to commit fails at its COMMIT.
#[test]
fn a_serialization_failure_at_commit_on_postgres_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = pg_env("serial_pg", redis) else {
            return;
        };
        conflicting_transactions(
            &mut env,
            "SET default_transaction_isolation = 'serializable'",
            |other| format!("SELECT title FROM products WHERE id = {other}"),
            false,
        );
    }
}

/// State 2: MariaDB: each transaction writes one row, then the other's: a
/// deadlock (error 1213), whose victim is rolled back whole.
#[test]
fn a_deadlock_on_mariadb_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = mysql_env("deadlock_my", redis) else {
            return;
        };
        conflicting_transactions(
            &mut env,
            "SET SESSION innodb_lock_wait_timeout = 10",
            |_| "SELECT 1".to_string(),
            true,
        );
    }
}

/// State 3: A statement timeout: a raw tracked write cancelled in its sleep, and
/// hook writes (autocommit, tracked transaction) waiting on a row another
/// tracked connection locked by its own hook write. The error reaches the
/// caller; another process reads no stale row before or after the lock
/// holder commits.
fn statement_timeout<C>(
    env: &mut Env<C>,
    timeout: &str,
    sleeping_write: Option<&str>,
    message: &str,
    in_transaction: &[bool],
) where
    C: Connection + PlainRead + 'static,
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "slow");
    let mut reader = reader(env);
    reader.check(id, "before");
    exec(&mut env.db.conn, timeout);
    let timed_out = |e: &dyn std::fmt::Display| {
        assert!(
            e.to_string().contains(message),
            "the database's timeout: {e}"
        );
    };
    if let Some(sleeping_write) = sleeping_write {
        let raw = env
            .db
            .conn
            .batch_execute(&sleeping_write.replace("{id}", &id.to_string()))
            .unwrap_err();
        timed_out(&raw);
        let (truth, q) = reader.check(id, "after the cancelled raw write");
        assert_eq!(truth, "Title of slow", "cancelled: nothing written");
        println!("after the cancelled raw write: to the database [id, slug, list] {q:?}");
    }
    let mut holder = tracked(env);
    let p = &env.products;
    for (round, &in_txn) in in_transaction.iter().enumerate() {
        let held = format!("held {round}");
        cache_diesel::transaction(&mut holder, |h| {
            p.update(h, id, title(&held))?;
            let waited = if in_txn {
                cache_diesel::transaction(&mut env.db.conn, |c| p.update(c, id, title("waited")))
            } else {
                p.update(&mut env.db.conn, id, title("waited"))
            };
            timed_out(&waited.unwrap_err());
            let (_, q) = reader.check(id, "while the lock is held");
            println!("hook timed out (in a transaction: {in_txn}); to the database {q:?}");
            let raw = format!("UPDATE products SET title = 'raw waited' WHERE id = {id}");
            let raw = if in_txn {
                cache_diesel::transaction(&mut env.db.conn, |c| c.batch_execute(&raw))
            } else {
                env.db.conn.batch_execute(&raw)
            };
            timed_out(&raw.unwrap_err());
            let (_, q) = reader.check(id, "while the lock is held");
            println!("raw write timed out; to the database {q:?}");
            Ok::<_, Error>(())
        })
        .unwrap();
        let (truth, q) = reader.check(id, "after the holder's commit");
        assert_eq!(truth, held);
        println!("after the holder's commit: to the database {q:?}");
    }
}

#[test]
fn a_statement_timeout_on_postgres_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = pg_env("timeout_pg", redis) else {
            return;
        };
        statement_timeout(
            &mut env,
            "SET statement_timeout = '50ms'",
            Some(
                "UPDATE products SET title = 'slept' WHERE id = {id} AND (SELECT true FROM pg_sleep(2))",
            ),
            "statement timeout",
            &[false, true],
        );
    }
}

#[test]
fn a_statement_timeout_on_mariadb_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = mysql_env("timeout_my", redis) else {
            return;
        };
        statement_timeout(
            &mut env,
            "SET SESSION max_statement_time = 0.05",
            Some("UPDATE products SET title = 'slept' WHERE id = {id} AND SLEEP(2) = 0"),
            "max_statement_time exceeded",
            &[false, true],
        );
    }
}

/// InnoDB's own lock wait timeout (1 s, the least it takes): error 1205,
/// which rolls back the statement only; here a hook write and a raw one
/// in a tracked transaction (2 s of waiting).
#[test]
fn a_lock_wait_timeout_on_mariadb_leaves_nothing_stale() {
    let Some(mut env) = mysql_env("lock_wait_my", true) else {
        return;
    };
    statement_timeout(
        &mut env,
        "SET SESSION innodb_lock_wait_timeout = 1",
        None,
        "Lock wait timeout exceeded",
        &[true],
    );
}

/// How a test kills a connection and sees it wait.
struct Killer {
    /// The connection's id on the server (`pg_backend_pid()`, `CONNECTION_ID()`).
    id_sql: &'static str,
    /// A count that is 1 while connection `{id}` waits on a lock.
    waiting_sql: &'static str,
    /// Kills connection `{id}`.
    kill_sql: &'static str,
    /// A count that is 1 while connection `{id}` still exists on the server
    /// (a killed session may still finish a `COMMIT` it was running after
    /// its client saw the connection drop: the database's state is only
    /// settled once it is gone).
    alive_sql: &'static str,
}

const PG_KILL: Killer = Killer {
    id_sql: "SELECT pg_backend_pid()::bigint AS n",
    waiting_sql: "SELECT count(*)::bigint AS n FROM pg_stat_activity \
                  WHERE pid = {id} AND wait_event_type = 'Lock'",
    kill_sql: "SELECT pg_terminate_backend({id})",
    alive_sql: "SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE pid = {id}",
};

const MY_KILL: Killer = Killer {
    id_sql: "SELECT CAST(CONNECTION_ID() AS SIGNED) AS n",
    // (A hook's `SELECT .. FOR UPDATE` by primary key waits in the
    // optimizer's "Statistics" state, before INNODB_TRX lists it.)
    waiting_sql: "SELECT CAST(COUNT(*) AS SIGNED) AS n FROM information_schema.PROCESSLIST \
                  WHERE ID = {id} AND INFO LIKE '%FOR UPDATE%'",
    kill_sql: "KILL {id}",
    alive_sql: "SELECT CAST(COUNT(*) AS SIGNED) AS n FROM information_schema.PROCESSLIST \
                WHERE ID = {id}",
};

impl Killer {
    /// Kills connection `pid` (`admin` on the same server) and waits until
    /// the server has let it go (10 s at most).
    fn kill<C: Connection + PlainRead>(&self, admin: &mut C, pid: &str) {
        // The writer may have finished and closed its connection: MySQL's
        // KILL of a connection gone is an error.
        let _ = admin.batch_execute(&self.kill_sql.replace("{id}", pid));
        let alive = self.alive_sql.replace("{id}", pid);
        let start = Instant::now();
        while admin.number(&alive) != 0 {
            assert!(start.elapsed() < Duration::from_secs(10), "never let go");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A hook write of row `id` (in a tracked transaction when `in_txn`) on a
/// new connection, started once `holder` has written the row in a
/// transaction; returns when it waits for the row: the connection's id on
/// the server, the write's thread, and what the holder wrote.
type Waiting = std::thread::JoinHandle<Result<Option<Product>, Error>>;
fn start_waiting<C>(
    env: &mut Env<C>,
    holder: &mut C,
    admin: &mut C,
    killer: &Killer,
    id: i32,
    label: &str,
    in_txn: bool,
) -> (String, Waiting, String)
where
    C: Connection + PlainRead + Send + 'static,
    Product: ProductQueries<C>,
{
    let mut writer = tracked(env);
    let pid = writer.number(killer.id_sql).to_string();
    let manager = ProductCache::new(env.cache.clone());
    exec(holder, "BEGIN");
    let held = format!("held {label}");
    env.products.update(holder, id, title(&held)).unwrap();
    let wrote = format!("killed {label}");
    let write = std::thread::spawn(move || {
        if in_txn {
            cache_diesel::transaction(&mut writer, |c| manager.update(c, id, title(&wrote)))
        } else {
            manager.update(&mut writer, id, title(&wrote))
        }
    });
    let waiting = killer.waiting_sql.replace("{id}", &pid);
    let start = Instant::now();
    while admin.number(&waiting) == 0 {
        if write.is_finished() {
            panic!("the write did not wait: {:?}", write.join().unwrap());
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never waited");
        std::thread::sleep(Duration::from_millis(2));
    }
    (pid, write, held)
}

/// State 4: A connection killed mid-write. First a race: another tracked
/// connection holds the row (its own hook write, in a transaction), a hook
/// write in autocommit waits for it, the holder commits and a third
/// connection kills the writer a little later, as it goes on: the write
/// may or may not have committed, and the writer cannot know. Then hook
/// writes (in a tracked transaction, then in autocommit) killed while they
/// wait, the holder committing or rolling back after. Another process never
/// reads a row different from the database's; the time until its reads are
/// served from the cache again after the last kill is printed (the
/// announcement's hold at most).
fn killed_mid_write<C>(env: &mut Env<C>, killer: &Killer)
where
    C: Connection + PlainRead + Send + 'static,
    Product: ProductQueries<C>,
{
    let id = cached_row(env, "kill");
    let mut reader = reader(env);
    reader.check(id, "before");
    let mut admin = env.db.another();
    let mut holder = tracked(env);
    for delay_us in [0, 200, 500, 1000, 2000, 4000] {
        let label = format!("race {delay_us}");
        let (pid, write, _) =
            start_waiting(env, &mut holder, &mut admin, killer, id, &label, false);
        exec(&mut holder, "COMMIT");
        std::thread::sleep(Duration::from_micros(delay_us));
        killer.kill(&mut admin, &pid);
        let outcome = write.join().unwrap();
        let (truth, q) = reader.check(id, "after the race");
        println!(
            "killed {delay_us} us after the lock's release: the writer got {}, the row is \
             {truth:?}; to the database [id, slug, list] {q:?}",
            match &outcome {
                Ok(_) => "Ok".to_string(),
                Err(e) => format!("{e}"),
            }
        );
    }
    let rounds = [(true, true), (true, false), (false, true), (false, false)];
    let mut killed_at = Instant::now();
    for (round, (in_txn, holder_commits)) in rounds.into_iter().enumerate() {
        let label = round.to_string();
        let (pid, write, held) =
            start_waiting(env, &mut holder, &mut admin, killer, id, &label, in_txn);
        killer.kill(&mut admin, &pid);
        killed_at = Instant::now();
        let outcome = write.join().unwrap();
        println!("killed while waiting (in a transaction: {in_txn}): {outcome:?}");
        assert!(outcome.is_err(), "killed: {outcome:?}");
        let (_, q) = reader.check(id, "after the kill, the lock held");
        println!("after the kill: to the database {q:?}");
        exec(
            &mut holder,
            if holder_commits { "COMMIT" } else { "ROLLBACK" },
        );
        let (truth, q) = reader.check(id, "after the holder ended");
        if holder_commits {
            assert_eq!(truth, held);
        }
        println!("holder committed: {holder_commits}; to the database {q:?}");
    }
    let settled = reader.until_cached(id, Duration::from_secs(15));
    println!(
        "served from the cache again {:?} after the last kill",
        settled.map(|_| killed_at.elapsed())
    );
    assert!(settled.is_some(), "still going to the database after 15 s");
}

#[test]
fn a_postgres_connection_terminated_mid_write_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = pg_env("kill_pg", redis) else {
            return;
        };
        killed_mid_write(&mut env, &PG_KILL);
    }
}

#[test]
fn a_mariadb_connection_killed_mid_write_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = mysql_env("kill_my", redis) else {
            return;
        };
        killed_mid_write(&mut env, &MY_KILL);
    }
}

/// A tracked connection to `env`'s MariaDB database through a proxy that
/// drops the reply to the first message containing `trigger`.
fn mysql_connection_losing_reply(
    env: &Env<MysqlConnection>,
    trigger: &'static [u8],
) -> MysqlConnection {
    mysql_connection_losing(env, trigger, None)
}

/// [`mysql_connection_losing_reply`], through [`proxy_losing`].
fn mysql_connection_losing(
    env: &Env<MysqlConnection>,
    trigger: &'static [u8],
    late: Option<Duration>,
) -> MysqlConnection {
    let url = url::Url::parse(&cache_tests::services::mysql_url().unwrap()).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(3306));
    let port = proxy_losing(&upstream, trigger, late);
    let mut proxied = url.clone();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    proxied.set_port(Some(port)).unwrap();
    let proxied =
        cache_tests::services::mysql_database_url(proxied.as_str(), env.db.database().unwrap());
    let mut conn = MysqlConnection::establish(&format!("{proxied}?ssl_mode=disabled")).unwrap();
    conn.set_instrumentation(
        cache_diesel::CacheTracking::for_connection::<MysqlConnection>()
            .for_caches([env.cache.clone()]),
    );
    conn
}

/// State 4 at the worst moment: the writer's connection is lost right after the
/// server committed (a proxy drops the reply to its `COMMIT`): in a tracked
/// transaction on MariaDB, the failed `COMMIT` counts as committed and its
/// deferred bumps run.
#[test]
fn a_mariadb_transaction_whose_commit_reply_is_lost_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = mysql_env("lost_commit_my", redis) else {
            return;
        };
        let id = cached_row(&mut env, "lostc");
        let mut reader = reader(&env);
        reader.check(id, "before");
        let mut conn = mysql_connection_losing_reply(&env, b"COMMIT");
        let p = &env.products;
        let lost = cache_diesel::transaction(&mut conn, |c| p.update(c, id, title("lost commit")));
        assert!(lost.is_err(), "the reply was dropped: {lost:?}");
        let (truth, q) = reader.check(id, "after the lost COMMIT");
        assert_eq!(truth, "lost commit", "the server committed");
        println!("after the lost COMMIT: to the database {q:?}");
    }
}

/// The same for a PostgreSQL hook write in autocommit on a tracked
/// connection: over Redis it runs in a transaction of its own (to announce
/// the values it learns before its `COMMIT`), over the in-process store as
/// one statement. The reply to the statement is lost: over Redis nothing
/// committed; in one statement the tracker counts it as a write it did
/// not see and invalidates the table. Then the reply to the hook's own
/// `COMMIT` is lost (Redis): the server committed, and the failure, not
/// certain, invalidates every entry of the table.
#[test]
fn a_postgres_autocommit_hook_whose_reply_is_lost_leaves_nothing_stale() {
    for redis in [true, false] {
        let Some(mut env) = pg_env("lost_hook_pg", redis) else {
            return;
        };
        let id = cached_row(&mut env, "losthp");
        let mut reader = reader(&env);
        reader.check(id, "before");
        let mut conn = connection_losing_reply(&env, b"lost hook reply");
        let lost = env.products.update(&mut conn, id, title("lost hook reply"));
        assert!(lost.is_err(), "the reply was dropped: {lost:?}");
        let (truth, q) = reader.check(id, "after the lost reply");
        let committed = if redis {
            "Title of losthp"
        } else {
            "lost hook reply"
        };
        assert_eq!(truth, committed, "in its own transaction, not committed");
        println!("after the lost reply: to the database {q:?}");
        if redis {
            let mut conn = connection_losing_reply(&env, b"COMMIT");
            let lost = env
                .products
                .update(&mut conn, id, title("lost commit reply"));
            assert!(lost.is_err(), "the reply was dropped: {lost:?}");
            let (truth, q) = reader.check(id, "after the lost COMMIT reply");
            assert_eq!(truth, "lost commit reply", "the server committed");
            println!("after the lost COMMIT reply: to the database {q:?}");
        }
    }
}

/// The same for a MariaDB hook write in autocommit, which MariaDB runs in a
/// short transaction of its own: its `COMMIT`'s reply is lost and the hook
/// returns the error. The failure is not certain (the server may have
/// committed), so the hook invalidates every entry of the table before it
/// returns (`Manager::after_failed_write`): by id, by slug and in the list.
/// (Before, it returned without invalidating, and the tracker leaves a
/// hook's statements to the hook: the old row was served by id, slug and
/// list until the entries' timeouts on the in-process store, and by slug
/// on Redis.)
#[test]
fn a_mariadb_autocommit_hook_whose_commit_reply_is_lost_leaves_nothing_stale() {
    for redis in [false, true] {
        let Some(mut env) = mysql_env("lost_hook_my", redis) else {
            return;
        };
        let id = cached_row(&mut env, "losth");
        let mut reader = reader(&env);
        reader.check(id, "before");
        let mut conn = mysql_connection_losing_reply(&env, b"COMMIT");
        let lost = env
            .products
            .update(&mut conn, id, title("lost hook commit"));
        assert!(lost.is_err(), "the reply was dropped: {lost:?}");
        assert_eq!(
            reader.conn.plain_row(id).1,
            "lost hook commit",
            "the server committed"
        );
        reader.check(id, "after the lost COMMIT");
        std::thread::sleep(cache_core::__engine::ANNOUNCE_HOLD + Duration::from_millis(500));
        reader.check(id, "after the announcement's hold");
    }
}

/// A hook write in autocommit whose connection drops before the server has
/// its last message (the `COMMIT` of a transaction of its own, or the
/// statement itself): the hook returns the error, and the server commits
/// half a second later, as a killed session may finish the `COMMIT` it was
/// running after its client saw the connection go (seen on MariaDB in
/// `a_mariadb_connection_killed_mid_write_leaves_nothing_stale`). A read
/// between the hook's return and the commit fills from the old row; after
/// the commit it must not be served. (Before, the hook's bump after the
/// failure let that fill stand until its timeout, on every store.)
fn late_commit<C>(env: &mut Env<C>, mut conn: C, label: &str)
where
    C: Connection + PlainRead + 'static,
    Product: ProductQueries<C>,
{
    let id = cached_row(env, label);
    let mut reader = reader(env);
    reader.check(id, "before");
    let wrote = format!("late {label}");
    let lost = env.products.update(&mut conn, id, title(&wrote));
    assert!(lost.is_err(), "the connection was dropped: {lost:?}");
    let (truth, _) = reader.check(id, "before the late commit");
    assert_ne!(truth, wrote, "committed late");
    let start = Instant::now();
    while reader.conn.plain_row(id).1 != wrote {
        assert!(start.elapsed() < Duration::from_secs(10), "never committed");
        std::thread::sleep(Duration::from_millis(10));
    }
    reader.check(id, "after the late commit");
}

#[test]
fn a_hook_write_the_server_commits_after_its_writer_gave_up_leaves_nothing_stale() {
    let late = Some(Duration::from_millis(500));
    for redis in [false, true] {
        if let Some(mut env) = pg_env("late_pg", redis) {
            // (Over Redis the hook commits a transaction of its own; over
            // the in-process store it writes in one statement.)
            let trigger: &[u8] = if redis { b"COMMIT" } else { b"late latepg" };
            let conn = pg_connection_losing(&env, trigger, late);
            late_commit(&mut env, conn, "latepg");
        }
        if let Some(mut env) = mysql_env("late_my", redis) {
            let conn = mysql_connection_losing(&env, b"COMMIT", late);
            late_commit(&mut env, conn, "latemy");
        }
    }
}

/// The `cache-admin` binary beside this test's (built by `cargo test
/// --workspace`); `None`, said, when it was not built (a failure in CI).
fn cache_admin() -> Option<std::path::PathBuf> {
    let admin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("cache-admin"))
        .filter(|bin| bin.exists());
    if admin.is_none() {
        assert!(!cache_tests::services::in_ci(), "cache-admin was not built");
        eprintln!("skipped: cargo build -p cache-diesel --bin cache-admin first");
    }
    admin
}

/// `cache-admin stats` counts a deployment's entries per model and table,
/// and `inspect` shows a row's detail entry, decoded; on one Redis and on
/// a Redis Cluster (whose tags have a copy per shard: counted once).
#[test]
fn cache_admin_counts_and_shows_entries() {
    let Some(admin) = cache_admin() else {
        return;
    };
    let redis =
        cache_tests::services::redis_url().map(|url| (env::postgres_redis("admin_stats"), url));
    let cluster = cache_tests::redis_cluster::RedisCluster::shared()
        .map(|url| (env::postgres_cluster("admin_stats_cluster"), url));
    for (env, url) in [redis, cluster].into_iter().flatten() {
        let Some(mut env) = env else { continue };
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}prefix={}", env.cache.config().key_prefix);
        let run = |args: &[&str]| {
            let out = std::process::Command::new(&admin)
                .args(["--cache", &url])
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let p = &env.products;
        let rows: Vec<NewProduct> = ["s1", "s2", "s3"]
            .iter()
            .map(|s| NewProduct::new(s, 1))
            .collect();
        let ids: Vec<i32> = p
            .insert_many(&mut env.db.conn, rows)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        p.find_many(&mut env.db.conn, ids.clone()).unwrap();
        assert!(p.find(&mut env.db.conn, ids[2] + 1000).unwrap().is_none());
        p.all(&mut env.db.conn, None, Default::default()).unwrap();
        p.count(&mut env.db.conn, None, Default::default()).unwrap();
        let stats = run(&["stats"]);
        let line: Vec<&str> = stats
            .lines()
            .find(|l| l.starts_with("product "))
            .unwrap_or_else(|| panic!("{stats}"))
            .split_whitespace()
            .collect();
        assert_eq!(
            line,
            ["product", "products", "4", "1", "1"],
            "{url}\n{stats}"
        );
        assert!(stats.contains("tags "), "{stats}");
        // A tenant's entries are counted apart (they were once taken for a
        // model named after the key's version), and `inspect` finds them.
        let acme = cache_tests::models::ProductCache::new(env.cache.tenant("acme"));
        acme.find(&mut env.db.conn, ids[0]).unwrap();
        let stats = run(&["stats"]);
        let counted = |model: &str| -> Vec<String> {
            let line = stats.lines().find(|l| l.starts_with(&format!("{model} ")));
            let line = line.unwrap_or_else(|| panic!("{stats}"));
            line.split_whitespace().map(str::to_owned).collect()
        };
        assert_eq!(counted("product"), ["product", "products", "4", "1", "1"]);
        assert_eq!(
            counted("product@acme"),
            ["product@acme", "products", "1", "0", "0"]
        );
        let shown = run(&["inspect", "product", &ids[0].to_string()]);
        assert_eq!(shown.matches(" bytes: ").count(), 2, "{shown}");
        assert!(shown.contains(":%tacme:"), "{shown}");
        let shown = run(&["inspect", "product", &ids[1].to_string()]);
        assert!(shown.contains("\"s2\""), "{shown}");
        // The type's name finds the same entries; a model with none is an
        // error naming those that have some.
        assert_eq!(run(&["inspect", "Product", &ids[1].to_string()]), shown);
        let out = std::process::Command::new(&admin)
            .args(["--cache", &url, "inspect", "nosuchmodel", "1"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("models with some: product"));
        assert!(shown.contains(":d:1:product:products:"), "{shown}");
        let shown = run(&["inspect", "product", "\"s3\"", "--column", "slug"]);
        assert!(shown.starts_with("no cached product with slug"), "{shown}");
        p.get_by_slug(&mut env.db.conn, "s3".into()).unwrap();
        let shown = run(&["inspect", "product", "\"s3\"", "--column", "slug"]);
        assert!(shown.contains("\"Title of s3\""), "{shown}");
        env.cache.clear().unwrap();
    }
}

/// A fix made by hand in the database (an untracked connection: psql, a
/// migration, another service) stays cached until an operator runs
/// `cache-admin --cache <the deployment's URL> invalidate <table>`: then
/// every process sharing the cache reads the row as it now is. (The
/// binary is built by `cargo test --workspace`, beside cache-diesel's own
/// tests; run alone, this test needs `cargo build -p cache-diesel --bin
/// cache-admin` first.)
#[test]
fn a_fix_by_hand_is_invalidated_by_cache_admin() {
    let Some(mut env) = env::postgres_redis("cache_admin") else {
        return;
    };
    let Some(admin) = cache_admin() else {
        return;
    };
    let p = &env.products;
    let id = p
        .insert(&mut env.db.conn, NewProduct::new("by_hand", 1))
        .unwrap()
        .id;
    let title = |env: &mut Env<PgConnection>| env.products.get(&mut env.db.conn, id).unwrap().title;
    assert_eq!(title(&mut env), "Title of by_hand");
    env.db
        .another()
        .batch_execute(&format!(
            "UPDATE products SET title = 'fixed by hand' WHERE id = {id}"
        ))
        .unwrap();
    assert_eq!(title(&mut env), "Title of by_hand", "nothing saw the fix");

    let redis = cache_tests::services::redis_url().unwrap();
    let sep = if redis.contains('?') { '&' } else { '?' };
    let url = format!("{redis}{sep}prefix={}", env.cache.config().key_prefix);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&admin)
            .args(["--cache", &url])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(
        run(&["invalidate", "products"]),
        (true, "invalidated every entry of products\n".into())
    );
    assert_eq!(title(&mut env), "fixed by hand");

    // Refused: a command it does not know; an in-process cache.
    assert!(!run(&["drop", "products"]).0);
    let memory = std::process::Command::new(&admin)
        .args(["--cache", "memory://", "invalidate", "products"])
        .output()
        .unwrap();
    assert!(!memory.status.success());
    assert!(String::from_utf8_lossy(&memory.stderr).contains("in-process"));
}

/// SQLite runs a prepared statement's first statement only (Diesel
/// ignores the rest of its text): a `BEGIN` after it in `sql_query` never
/// ran, and the next write commits at once. Found from outside: the tracker
/// took the `BEGIN` as run and held the write back for a `COMMIT` that
/// never came.
#[test]
fn sqlite_follows_only_the_statement_a_prepared_text_runs() {
    let Some(mut env) = env::sqlite_file_memory("sqlite_first_only") else {
        return;
    };
    let id = cached_row(&mut env, "first");
    let mut reader = env.db.another();
    let update = |title: &str| format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    diesel::sql_query(format!("{}; BEGIN", update("a")))
        .execute(&mut env.db.conn)
        .unwrap();
    assert_eq!(env.products.get(&mut reader, id).unwrap().title, "a");
    exec(&mut env.db.conn, &update("b"));
    assert_eq!(
        env.products.get(&mut reader, id).unwrap().title,
        "b",
        "the write after the BEGIN that never ran was held back"
    );
}

/// A SQLite `COMMIT` refused while another connection reads the database
/// (`SQLITE_BUSY`, no WAL) leaves the transaction open: a read there (its
/// own uncommitted write) fills nothing, and a `ROLLBACK` after leaves
/// nothing stale. Found from outside: the failed `COMMIT` was taken as
/// committed, and the writer's read cached its uncommitted row.
#[test]
fn a_sqlite_commit_refused_as_busy_leaves_its_transaction_followed() {
    let Some(mut env) = env::sqlite_file_memory("sqlite_busy_commit") else {
        return;
    };
    exec(
        &mut env.db.conn,
        "PRAGMA journal_mode = DELETE; PRAGMA busy_timeout = 0",
    );
    let id = cached_row(&mut env, "busy");
    let title = env.products.get(&mut env.db.conn, id).unwrap().title;
    exec(&mut env.db.conn, "BEGIN");
    exec(
        &mut env.db.conn,
        &format!("UPDATE products SET title = 'uncommitted' WHERE id = {id}"),
    );
    let mut blocker = env.db.another();
    exec(&mut blocker, "BEGIN; SELECT count(*) FROM products");
    assert!(env.db.conn.batch_execute("COMMIT").is_err(), "busy");
    let own = env.products.get(&mut env.db.conn, id).unwrap().title;
    assert_eq!(own, "uncommitted", "still open: its own write");
    exec(&mut env.db.conn, "ROLLBACK");
    exec(&mut blocker, "ROLLBACK");
    let mut reader = env.db.another();
    assert_eq!(
        env.products.get(&mut reader, id).unwrap().title,
        title,
        "the writer's read cached its uncommitted row"
    );
}
