//! A write whose tag bumps could not reach Redis (the writer's path to it was
//! cut) stops being served stale, to other processes too, soon after Redis
//! is reachable again: the writer's cache owes the bumps and delivers them.
//! A writer killed between its commit and its bumps leaves nothing stale.

use cache_diesel::{Cache, CacheConfig};
use cache_tests::models::{NewProduct, Product, ProductCache, ProductFilter, products};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::RedisServer;
use cache_tests::refusal::{self, Refusal};
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

fn cache_at(url: &str, prefix: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    // (The writers are this same program: no older one to settle for.)
    cfg.schema_settle = std::time::Duration::ZERO;
    Cache::new(cfg).unwrap()
}

#[test]
fn a_write_while_redis_was_unreachable_is_not_served_stale_once_it_returns() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let proxy = Proxy::start(&services::redis_address(&url));
    let prefix = unique::prefix("owed");
    let writer = ProductCache::new(cache_at(
        &format!(
            "redis://127.0.0.1:{}/?connect_timeout=200ms&response_timeout=200ms&retry_after=100ms",
            proxy.port()
        ),
        &prefix,
    ));
    // Another process: straight to Redis, the same keys.
    let reader = ProductCache::new(cache_at(&url, &prefix));
    let mut db = db::sqlite();
    let conn = &mut db.conn;
    writer.insert(conn, NewProduct::new("owed", 1)).unwrap();
    let id = reader.get_by_slug(conn, "owed".into()).unwrap().id;
    assert_eq!(reader.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(writer.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(reader.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(reader.stats().hits, 1, "cached now");

    proxy.cut();
    assert_eq!(
        writer
            .update(conn, id, products::title.eq("Renamed"))
            .unwrap()
            .map(|row| row.title)
            .as_deref(),
        Some("Renamed"),
        "the database write succeeds; its bumps fail"
    );
    assert_eq!(writer.get(conn, id).unwrap().title, "Renamed", "fails open");
    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let title = reader.get(conn, id).unwrap().title;
        if title == "Renamed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still served {title:?} 30 s after Redis returned"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(writer.get(conn, id).unwrap().title, "Renamed");
    let _ = reader.cache().clear();
}

/// A write whose bump a Redis refuses (or holds) while it answers reads:
/// no other process is served the old row meanwhile (over `local` too: a
/// tiered store), and the cache serves hits again once Redis takes writes.
fn a_write_that_redis_refuses_is_not_served_stale(refusal: Refusal, local: &str) {
    let Some(server) = RedisServer::for_test(refusal::SERVER_ARGS) else {
        return;
    };
    let prefix = unique::prefix("refused");
    let url = format!(
        "redis://127.0.0.1:{}/?connect_timeout=300ms&response_timeout=300ms&retry_after=100ms{local}",
        server.port()
    );
    let writer = ProductCache::new(cache_at(&url, &prefix));
    // Another process: its own pool, breaker and debts, the same keys.
    let reader = ProductCache::new(cache_at(&url, &prefix));
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut db = db::sqlite();
    let conn = &mut db.conn;
    let id = writer
        .insert(conn, NewProduct::new("refused", 1))
        .unwrap()
        .id;
    let warm = Instant::now() + Duration::from_secs(20);
    while reader.stats().hits == 0 {
        assert_eq!(reader.get(conn, id).unwrap().title, "Title of refused");
        assert!(Instant::now() < warm, "never a hit before the fault");
        thread::sleep(Duration::from_millis(5));
    }

    refusal.start(&mut admin, &server);
    writer
        .update(conn, id, products::title.eq("Renamed"))
        .unwrap();
    if !local.is_empty() {
        // A local tier's promise: reads that start more than
        // `local_window` (10 ms) after a write returned see it.
        thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..50 {
        assert_eq!(
            reader.get(conn, id).unwrap().title,
            "Renamed",
            "{refusal:?}{local}: served the row from before a write Redis refused to invalidate"
        );
        assert_eq!(writer.get(conn, id).unwrap().title, "Renamed");
        thread::sleep(Duration::from_millis(10));
    }
    refusal.end(&mut admin, &server);

    // Usable again: hits come back (after the breaker's grace).
    let hits = reader.stats().hits;
    let back = Instant::now() + Duration::from_secs(30);
    while reader.stats().hits == hits {
        assert_eq!(
            reader.get(conn, id).unwrap().title,
            "Renamed",
            "{refusal:?}{local}: the old row once Redis took writes again"
        );
        assert!(
            Instant::now() < back,
            "{refusal:?}{local}: no hit 30 s after Redis took writes again"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// One test per state, with and without a local tier.
macro_rules! refused_write_tests {
    ($($name:ident: $refusal:ident,)*) => {$(
        #[test]
        fn $name() {
            a_write_that_redis_refuses_is_not_served_stale(Refusal::$refusal, "");
            a_write_that_redis_refuses_is_not_served_stale(Refusal::$refusal, "&local=16m");
        }
    )*};
}

refused_write_tests! {
    a_write_that_a_full_redis_refuses_is_not_served_stale: Oom,
    a_write_that_a_demoted_redis_refuses_is_not_served_stale: ReadOnly,
    a_write_that_redis_refuses_for_want_of_replicas_is_not_served_stale: NoReplicas,
    a_write_that_redis_refuses_after_a_failed_snapshot_is_not_served_stale: Misconf,
    a_write_while_a_script_keeps_redis_busy_is_not_served_stale: Busy,
    a_write_while_redis_is_a_replica_of_a_master_that_is_down_is_not_served_stale: MasterDown,
    a_write_that_a_paused_redis_holds_is_not_served_stale: PauseWrites,
    a_write_while_redis_loads_its_dataset_is_not_served_stale: Loading,
    a_write_while_redis_refuses_new_clients_is_not_served_stale: MaxClients,
}

/// The child process's part of
/// [`a_writer_killed_after_its_commit_leaves_no_stale_entry`]: renames the
/// row through the hook (in autocommit, or in a tracked transaction), over
/// a proxy that kills this process when its bump is on the way.
fn killed_writer(spec: &str) {
    let [path, url, prefix, id, how] = spec.split('|').collect::<Vec<_>>()[..] else {
        panic!("bad writer spec {spec:?}");
    };
    let writer = ProductCache::new(cache_at(url, prefix));
    let mut conn = db::open_sqlite_file(path);
    cache_diesel::track(&mut conn);
    let id: i32 = id.parse().unwrap();
    let rename = |conn: &mut diesel::SqliteConnection| {
        writer
            .update(conn, id, products::title.eq("Renamed"))
            .map(|_| ())
    };
    match how {
        "hook" | "hook_at_swap" => rename(&mut conn).unwrap(),
        "transaction" => cache_diesel::transaction(&mut conn, |conn| rename(conn)).unwrap(),
        _ => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
                let mut conn = SyncConnectionWrapper::new(db::open_sqlite_file(path));
                cache_diesel::track_async(&mut conn);
                let title = products::title.eq("Renamed");
                if how == "async_hook" || how == "async_hook_at_swap" {
                    writer.update_async(&mut conn, id, title).await.unwrap();
                } else {
                    cache_diesel::transaction_async(&mut conn, async |conn| {
                        writer.update_async(conn, id, title).await.map(|_| ())
                    })
                    .await
                    .unwrap();
                }
            });
        }
    }
    // Only reached if the proxy did not kill this process.
    thread::sleep(Duration::from_secs(60));
}

/// Runs this test binary's test `a_writer_killed_{how}` as a child
/// process whose Redis traffic (to `server`) passes through a proxy that
/// kills it when a bump (a `SET` of a tag to a version, not an
/// announcement) is on its way, or, for a `how` ending in `at_swap`, its
/// write-through's swap (the `EVAL` that puts the row it wrote); `env`
/// names the variable that tells the child what to do, given the proxy's
/// URL. Asserts it was killed there.
fn run_killed_writer(
    server: &RedisServer,
    how: &str,
    env: impl FnOnce(&str) -> (&'static str, String),
) {
    // The writer's Redis traffic passes through a proxy that kills it when
    // a bump (a SET of a version, not an announcement) is on its way.
    let child_pid = Arc::new(AtomicU32::new(0));
    let pid = child_pid.clone();
    let killed = Arc::new(AtomicBool::new(false));
    let killed_ = killed.clone();
    let pending = cache_core::__engine::PENDING_TEXT;
    let at_swap = how.ends_with("at_swap");
    let proxy = Proxy::intercepting(&format!("127.0.0.1:{}", server.port()), move |bytes| {
        let text = String::from_utf8_lossy(bytes);
        // A `SET` of a tag (`:t:`) to a version (not the pending one). A
        // connection's setup (`CLIENT SETINFO`) is not one.
        let bump = match at_swap {
            true => text.contains("$4\r\nEVAL\r\n") && text.contains(":t:"),
            false => {
                text.contains("$3\r\nSET\r\n") && text.contains(":t:") && !text.contains(pending)
            }
        };
        if bump && !killed_.swap(true, Ordering::SeqCst) {
            let pid = pid.load(Ordering::SeqCst) as i32;
            // SAFETY: a signal to the child process this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        bump
    });
    let url = format!(
        "redis://127.0.0.1:{}/?connect_timeout=1s&response_timeout=1s",
        proxy.port()
    );
    let (var, spec) = env(&url);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "--nocapture", "--test-threads=1"])
        .arg(cache_tests::unique::test_path(
            module_path!(),
            &format!("a_writer_killed_{how}"),
        ))
        .env(var, spec)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child_pid.store(child.id(), Ordering::SeqCst);
    let status = child.wait().unwrap();
    assert!(
        killed.load(Ordering::SeqCst) && !status.success(),
        "the writer was not killed at its bump: {status}"
    );
}

/// A writer killed after its `COMMIT` and before its bumps reached Redis:
/// another process is never served the row (detail or list) as it was
/// before the write, and serves hits again once the writer's announcement
/// expires (`ANNOUNCE_HOLD`).
fn a_writer_killed_between_commit_and_bump(how: &str) {
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let prefix = unique::prefix("killed");
    let mut db = db::sqlite_file("killed");
    let path = db.file().unwrap().to_owned();
    let reader = ProductCache::new(cache_at(&server.url(), &prefix));
    let conn = &mut db.conn;
    let id = reader
        .insert(conn, NewProduct::new("killed", 1))
        .unwrap()
        .id;
    let titles = |conn: &mut diesel::SqliteConnection| {
        let detail = reader.get(conn, id).unwrap().title;
        let list: Vec<String> = reader
            .all(conn, None, Default::default())
            .unwrap()
            .iter()
            .map(|p| p.title.clone())
            .collect();
        (detail, list)
    };
    titles(conn);
    let hits = reader.stats().hits;
    titles(conn);
    assert_eq!(
        reader.stats().hits,
        hits + 2,
        "both cached before the write"
    );

    run_killed_writer(&server, how, |url| {
        (
            "CACHE_TEST_KILLED_WRITER",
            format!("{path}|{url}|{prefix}|{id}|{how}"),
        )
    });

    // Committed: the database has the new title; the cache must not serve
    // the old one, detail or list.
    let stored: String = products::table
        .find(id)
        .select(products::title)
        .first(conn)
        .unwrap();
    assert_eq!(
        stored, "Renamed",
        "{how}: the write committed before the kill"
    );
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        let (detail, list) = titles(conn);
        assert_eq!(
            detail, "Renamed",
            "{how}: the detail from before a committed write"
        );
        assert_eq!(
            list,
            ["Renamed"],
            "{how}: the list from before a committed write"
        );
        thread::sleep(Duration::from_millis(20));
    }
    // Once the announcement expires, the cache serves hits again.
    let hits = reader.stats().hits;
    let back = Instant::now() + cache_core::__engine::ANNOUNCE_HOLD + Duration::from_secs(20);
    while reader.stats().hits < hits + 2 {
        assert_eq!(
            titles(conn),
            ("Renamed".to_owned(), vec!["Renamed".to_owned()])
        );
        assert!(
            Instant::now() < back,
            "{how}: no hit after the announcement expired"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_writer_killed_hook() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("hook"),
    }
}

/// Killed at its write-through's swap, after the commit: the row's tag
/// still holds the writer's token (pending) until its announcement
/// expires, so the old row is not served and nothing is filled under it.
#[test]
fn a_writer_killed_hook_at_swap() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("hook_at_swap"),
    }
}

#[test]
fn a_writer_killed_async_hook_at_swap() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("async_hook_at_swap"),
    }
}

#[test]
fn a_writer_killed_async_hook() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("async_hook"),
    }
}

#[test]
fn a_writer_killed_async_transaction() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("async_transaction"),
    }
}

#[test]
fn a_writer_killed_transaction() {
    match std::env::var("CACHE_TEST_KILLED_WRITER") {
        Ok(spec) => killed_writer(&spec),
        Err(_) => a_writer_killed_between_commit_and_bump("transaction"),
    }
}

/// The child process's part of [`a_writer_killed_moving_a_row`]: moves
/// the row to category 2 through the hook in autocommit (MySQL, sync and
/// async, and SQLite: on an untracked connection, whose hook holds its own
/// transaction's commit; PostgreSQL, sync and async: on a tracked one,
/// whose hook opens one), over a proxy that
/// kills this process when its bump is on the way.
fn killed_mover(spec: &str) {
    let [kind, location, url, prefix, id] = spec.split('|').collect::<Vec<_>>()[..] else {
        panic!("bad mover spec {spec:?}");
    };
    let writer = ProductCache::new(cache_at(url, prefix));
    let id: i32 = id.parse().unwrap();
    let moved = products::category_id.eq(2);
    if kind == "mysql" {
        let server = services::mysql_url().unwrap();
        let url = services::mysql_database_url(&server, location);
        let mut conn = MysqlConnection::establish(&url).unwrap();
        writer.update(&mut conn, id, moved).unwrap();
    } else if kind == "mysql_async" {
        use diesel_async::AsyncConnection;
        let server = services::mysql_url().unwrap();
        let url = services::mysql_database_url(&server, location);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut conn = diesel_async::AsyncMysqlConnection::establish(&url)
                .await
                .unwrap();
            writer.update_async(&mut conn, id, moved).await.unwrap();
        });
    } else if kind == "postgres_async" {
        use diesel_async::{AsyncConnection, SimpleAsyncConnection};
        let url = services::database_url().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                .await
                .unwrap();
            conn.batch_execute(&format!("SET search_path TO \"{location}\""))
                .await
                .unwrap();
            cache_diesel::track_async(&mut conn);
            writer.update_async(&mut conn, id, moved).await.unwrap();
        });
    } else if kind == "sqlite" {
        let mut conn = db::open_sqlite_file(location);
        writer.update(&mut conn, id, moved).unwrap();
    } else {
        let mut conn = PgConnection::establish(&services::database_url().unwrap()).unwrap();
        conn.batch_execute(&format!("SET search_path TO \"{location}\""))
            .unwrap();
        cache_diesel::track(&mut conn);
        writer.update(&mut conn, id, moved).unwrap();
    }
    // Only reached if the proxy did not kill this process.
    thread::sleep(Duration::from_secs(60));
}

/// A writer killed after the `COMMIT` of a hook that moved a row from
/// category 1 to 2 and before its bumps: another process never serves list
/// 1 with the row or list 2 without it (the value tags the hook learned
/// from its write were announced before its commit), and list 3, which the
/// write could not change, stays cached.
fn a_writer_killed_moving_a_row<C>(kind: &str, mut db: db::TestDb<C>, location: String)
where
    C: Connection + 'static,
    Product: cache_diesel::ModelQueries<C> + cache_diesel::InsertQuery<C, NewProduct>,
{
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    let prefix = unique::prefix("killed_move");
    let reader = ProductCache::new(cache_at(&server.url(), &prefix));
    let conn = &mut db.conn;
    let moving = reader
        .insert(conn, NewProduct::new("moving", 1))
        .unwrap()
        .id;
    let other = reader.insert(conn, NewProduct::new("other", 3)).unwrap().id;
    let lists = |conn: &mut C| -> Vec<Vec<i32>> {
        (1..=3)
            .map(|c| {
                let filter = ProductFilter::default().category_id(c);
                let rows = reader.all(conn, None, filter).unwrap();
                rows.iter().map(|p| p.id).collect()
            })
            .collect()
    };
    assert_eq!(lists(conn), [vec![moving], vec![], vec![other]]);
    let hits = reader.stats().hits;
    lists(conn);
    assert_eq!(
        reader.stats().hits,
        hits + 3,
        "all three cached before the write"
    );

    run_killed_writer(&server, &format!("moving_on_{kind}"), |url| {
        (
            "CACHE_TEST_KILLED_MOVER",
            format!("{kind}|{location}|{url}|{prefix}|{moving}"),
        )
    });
    let direct = ProductCache::new(Cache::from_url("dummy://").unwrap());
    let category = direct.get(conn, moving).unwrap().category_id;
    assert_eq!(category, 2, "{kind}: the move committed before the kill");
    let hits = reader.stats().hits;
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        assert_eq!(
            lists(conn),
            [vec![], vec![moving], vec![other]],
            "{kind}: a list from before a committed move"
        );
        thread::sleep(Duration::from_millis(20));
    }
    // List 3 was a hit on every read (the announcement named only
    // categories 1 and 2): at least one hit a round.
    assert!(
        reader.stats().hits > hits + 10,
        "{kind}: list 3 not served from the cache after a move between 1 and 2"
    );
}

#[test]
fn a_writer_killed_moving_on_mysql() {
    if let Ok(spec) = std::env::var("CACHE_TEST_KILLED_MOVER") {
        return killed_mover(&spec);
    }
    let Some(db) = db::mysql("killed_move") else {
        return;
    };
    let location = db.database().unwrap().to_owned();
    a_writer_killed_moving_a_row("mysql", db, location);
}

#[test]
fn a_writer_killed_moving_on_mysql_async() {
    if let Ok(spec) = std::env::var("CACHE_TEST_KILLED_MOVER") {
        return killed_mover(&spec);
    }
    let Some(db) = db::mysql("killed_move_async") else {
        return;
    };
    let location = db.database().unwrap().to_owned();
    a_writer_killed_moving_a_row("mysql_async", db, location);
}

#[test]
fn a_writer_killed_moving_on_postgres_async() {
    if let Ok(spec) = std::env::var("CACHE_TEST_KILLED_MOVER") {
        return killed_mover(&spec);
    }
    let Some(db) = db::postgres("killed_move_async") else {
        return;
    };
    let location = db.schema().unwrap().to_owned();
    a_writer_killed_moving_a_row("postgres_async", db, location);
}

#[test]
fn a_writer_killed_moving_on_sqlite() {
    if let Ok(spec) = std::env::var("CACHE_TEST_KILLED_MOVER") {
        return killed_mover(&spec);
    }
    let db = db::sqlite_file("killed_move");
    let location = db.file().unwrap().to_owned();
    a_writer_killed_moving_a_row("sqlite", db, location);
}

#[test]
fn a_writer_killed_moving_on_postgres() {
    if let Ok(spec) = std::env::var("CACHE_TEST_KILLED_MOVER") {
        return killed_mover(&spec);
    }
    let Some(db) = db::postgres("killed_move") else {
        return;
    };
    let location = db.schema().unwrap().to_owned();
    a_writer_killed_moving_a_row("postgres", db, location);
}

/// A hook that writes nothing (an update or delete of an id no row has)
/// replaces what it announced at once: the lists and the row's entry are
/// cached again on the next read, not read from the database until the
/// announcement expires (the REST example's lists went uncached for 5 s
/// after a `DELETE` that answered 404).
#[test]
fn a_hook_that_writes_nothing_leaves_nothing_pending() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let products = ProductCache::new(cache_at(&url, &unique::prefix("nothing")));
    let mut db = db::sqlite();
    let conn = &mut db.conn;
    products.insert(conn, NewProduct::new("kept", 1)).unwrap();
    let list = |conn: &mut diesel::SqliteConnection| {
        products.all(conn, None, Default::default()).unwrap().len()
    };
    for _ in 0..2 {
        assert!(products.delete(conn, 999).unwrap().is_none());
        assert!(
            products
                .update(conn, 998, products::title.eq("nobody"))
                .unwrap()
                .is_none()
        );
        assert_eq!(list(conn), 1);
        let hits = products.stats().hits;
        assert_eq!(list(conn), 1);
        assert_eq!(products.stats().hits, hits + 1, "the list is cached again");
    }
}
