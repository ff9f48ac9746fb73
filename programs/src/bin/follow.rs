//! The follower checker: writers that are not this library (plain SQL on
//! untracked connections: updates that move rows between categories,
//! multi-row updates, `INSERT .. SELECT`, a function, a trigger, and a
//! `TRUNCATE` now and then) while readers read details, unique lookups,
//! filtered lists and counts through a manager, and change-stream
//! followers (PostgreSQL's logical replication, or MySQL's and MariaDB's
//! binary log) run in processes of their own, one active at a time (a
//! lease).
//!
//! ```text
//! cargo run --release -p cache-programs --bin follow -- [--db <postgres|mysql>] \
//!     --cache <redis|tiered> --seconds N [--rate 1000] [--bound-ms 2000] \
//!     [--no-follower] [--no-truncate] [--fault <kill|drop-slot|restart-redis|restart-db>]
//! ```
//!
//! On MySQL (the server's `test` database's own database `follow_<pid>`)
//! the writes are the same shapes (a procedure for the function, `REPLACE
//! .. SELECT` for the writing CTE, `DELETE` and `INSERT .. SELECT` in one
//! transaction for the `TRUNCATE`, which MySQL commits on its own); the
//! faults are `kill` and `restart-redis`.
//!
//! Every row carries a version the writers increase; a read is stale when
//! it serves a row older than a version whose write had returned more than
//! the window before the read began (for lists: a row missing, or present
//! though every version it may have had then is elsewhere; counts outside
//! what those versions allow). The window is the readers' `follower_bound`
//! plus a fifth of it (the watch's period) and 100 ms: past it, the cache
//! promises nothing stale. `stale_past_100ms` counts the same with a
//! window of 100 ms: how often the follower's lag itself was seen.
//!
//! `--fault kill` SIGKILLs the active follower every 3 s (another takes
//! over; a new one is started) and reports the takeover: the time from
//! the kill until a follower published a position again. `--fault
//! drop-slot` drops the replication slot halfway (the follower recreates
//! it and invalidates every followed table); `--fault restart-redis`
//! restarts the program's own Redis empty halfway; `--fault restart-db`
//! restarts the PostgreSQL server halfway (`pg_ctlcluster .. restart`:
//! the machine's shared server; reads that miss while it is down fail,
//! counted in `failed_reads`).
//!
//! The last line: `stale_reads_past_window=.. invalidation_lag_p50_ms=..
//! invalidation_lag_p99_ms=.. changes=.. ..`; the exit code is 1 when
//! stale reads past the window are not zero (except with
//! `--no-follower`, which shows what the cache serves without one).

use cache_core::__engine::WithEngine;
use cache_diesel::{Cache, CacheConfig, Cached, Follower, FollowerOptions};
use cache_tests::redis_server::RedisServer;
use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROWS: i32 = 200;
const CATEGORIES: i32 = 8;
const READERS: usize = 4;
const WRITERS: usize = 4;
const FOLLOWERS: usize = 2;

mod schema {
    diesel::table! {
        items (id) {
            id -> Integer,
            slug -> Text,
            category -> Integer,
            version -> BigInt,
            title -> Text,
        }
    }
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, QueryableByName, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = schema::items)]
#[cache(unique(slug), filter(category))]
struct Item {
    id: i32,
    slug: String,
    category: i32,
    version: i64,
    title: String,
}

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = Integer)]
    category: i32,
}

#[derive(Debug, Clone)]
struct Args {
    db: String,
    cache: String,
    seconds: f64,
    rate: f64,
    bound: Duration,
    follower: bool,
    fault: Option<String>,
    /// Whether one writer empties and refills the table every 5 s.
    truncates: bool,
}

fn args() -> Args {
    let mut a = Args {
        db: "postgres".into(),
        cache: "redis".into(),
        seconds: 10.0,
        rate: 1000.0,
        bound: Duration::from_secs(2),
        follower: true,
        fault: None,
        truncates: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} wants a value"));
        match flag.as_str() {
            "--db" => a.db = value(),
            "--cache" => a.cache = value(),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--rate" => a.rate = value().parse().expect("--rate N"),
            "--bound-ms" => a.bound = Duration::from_millis(value().parse().expect("--bound-ms N")),
            "--no-follower" => a.follower = false,
            "--no-truncate" => a.truncates = false,
            "--fault" => a.fault = Some(value()),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// A row's versions: (version, category, when its write returned; `None`
/// while its transaction has not returned: it may be committed already).
type History = Vec<(i64, i32, Option<Instant>)>;

struct World {
    histories: Vec<Mutex<History>>,
    stop: AtomicBool,
    reads: AtomicU64,
    failed_reads: AtomicU64,
    stale: AtomicU64,
    stale_100ms: AtomicU64,
    writes: AtomicU64,
    failed_writes: AtomicU64,
}

impl World {
    /// Records the rows a write wrote: before its `COMMIT` (`at`: `None`)
    /// and once it returned.
    fn record(&self, rows: &[Written], at: Option<Instant>) {
        for w in rows {
            let mut h = self.histories[(w.id - 1) as usize].lock().unwrap();
            let at_pos = h.partition_point(|(v, _, _)| *v < w.version);
            match h.get_mut(at_pos) {
                Some(entry) if entry.0 == w.version => entry.2 = at,
                _ => h.insert(at_pos, (w.version, w.category, at)),
            }
        }
    }

    /// The versions row `id` may have had for a read that began at
    /// `start`: the last whose write returned before `start - window`,
    /// and every later one.
    fn possible(&self, id: i32, start: Instant, window: Duration) -> Vec<(i64, i32)> {
        let h = self.histories[(id - 1) as usize].lock().unwrap();
        let cutoff = start.checked_sub(window);
        let settled = h
            .iter()
            .rposition(|(_, _, at)| cutoff.is_some_and(|c| at.is_some_and(|at| at < c)))
            .unwrap_or(0);
        h[settled..].iter().map(|(v, c, _)| (*v, *c)).collect()
    }
}

enum Seen {
    Row(i32, Option<i64>),
    List(i32, Vec<(i32, i64)>),
    Count(i32, i64),
}

/// Whether what a read served is stale for a window.
fn stale(world: &World, seen: &Seen, start: Instant, window: Duration) -> bool {
    match seen {
        Seen::Row(id, version) => {
            let oldest = world.possible(*id, start, window)[0].0;
            version.is_none_or(|v| v < oldest)
        }
        Seen::List(category, rows) => (1..=ROWS).any(|id| {
            let possible = world.possible(id, start, window);
            match rows.iter().find(|(r, _)| *r == id) {
                Some((_, v)) => !possible.iter().any(|(pv, pc)| pv == v && pc == category),
                None => possible.iter().all(|(_, pc)| pc == category),
            }
        }),
        Seen::Count(category, n) => {
            let (mut lo, mut hi) = (0, 0);
            for id in 1..=ROWS {
                let possible = world.possible(id, start, window);
                lo += i64::from(possible.iter().all(|(_, c)| c == category));
                hi += i64::from(possible.iter().any(|(_, c)| c == category));
            }
            *n < lo || *n > hi
        }
    }
}

/// Prints a stale read and the versions it could have served.
fn show(world: &World, seen: &Seen, start: Instant, window: Duration) {
    let ids: Vec<i32> = match seen {
        Seen::Row(id, _) => vec![*id],
        _ => (1..=ROWS).collect(),
    };
    let what = match seen {
        Seen::Row(id, v) => format!("row {id} served {v:?}"),
        Seen::List(c, rows) => format!("list {c} served {} rows", rows.len()),
        Seen::Count(c, n) => format!("count {c} served {n}"),
    };
    let mut wrong = Vec::new();
    for id in ids {
        let bad = match seen {
            Seen::List(c, rows) => {
                let possible = world.possible(id, start, window);
                match rows.iter().find(|(r, _)| *r == id) {
                    Some((_, v)) => !possible.iter().any(|(pv, pc)| pv == v && pc == c),
                    None => possible.iter().all(|(_, pc)| pc == c),
                }
            }
            _ => true,
        };
        if !bad {
            continue;
        }
        let h = world.histories[(id - 1) as usize].lock().unwrap();
        let recent: Vec<String> = h
            .iter()
            .rev()
            .take(4)
            .map(|(v, c, at)| {
                format!(
                    "v{v}/c{c}@-{:?}",
                    at.map(|at| start.saturating_duration_since(at))
                )
            })
            .collect();
        let served = match seen {
            Seen::List(_, rows) => rows.iter().find(|(r, _)| *r == id).map(|(_, v)| *v),
            _ => None,
        };
        wrong.push(format!("{id} (served {served:?}): {recent:?}"));
    }
    let shown = wrong.join("; ");
    eprintln!("stale (window {window:?}): {what} {shown}");
}

/// After a failure (the server restarting, say): a new connection, once
/// one can be made.
fn reconnect<C>(conn: &mut C, open: &(dyn Fn() -> QueryResult<C> + Sync)) {
    std::thread::sleep(Duration::from_millis(10));
    if let Ok(c) = open() {
        *conn = c;
    }
}

/// A connection whose tables are the program's.
fn connect_pg(url: &str, schema: &str) -> QueryResult<PgConnection> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))?;
    Ok(conn)
}

fn connect_my(url: &str) -> QueryResult<MysqlConnection> {
    MysqlConnection::establish(url).map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))
}

fn reader<C: Connection + 'static>(
    world: &World,
    open: &(dyn Fn() -> QueryResult<C> + Sync),
    cache: Cache,
    window: Duration,
) where
    Item: cache_diesel::ModelQueries<C>,
{
    let items = ItemCache::new(cache);
    let mut conn = open().expect("the database");
    let mut rng = rand::rng();
    while !world.stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let id = rng.random_range(1..=ROWS);
        let category = rng.random_range(0..CATEGORIES);
        let seen = match rng.random_range(0..100) {
            0..40 => items
                .find(&mut conn, id)
                .map(|r| Seen::Row(id, r.map(|r| r.version))),
            40..60 => items
                .find_unique(&mut conn, ItemUnique::Slug(format!("item-{id}")))
                .map(|r| Seen::Row(id, r.map(|r| r.version))),
            60..85 => items
                .all(&mut conn, None, ItemFilter::default().category(category))
                .map(|rows| Seen::List(category, rows.iter().map(|r| (r.id, r.version)).collect())),
            _ => items
                .count(&mut conn, None, ItemFilter::default().category(category))
                .map(|n| Seen::Count(category, n)),
        };
        world.reads.fetch_add(1, Ordering::Relaxed);
        match seen {
            Ok(seen) => {
                if stale(world, &seen, start, window) {
                    world.stale.fetch_add(1, Ordering::Relaxed);
                    if std::env::var_os("FOLLOW_SHOW_STALE").is_some() {
                        show(world, &seen, start, window);
                    }
                }
                if stale(world, &seen, start, Duration::from_millis(100)) {
                    world.stale_100ms.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                world.failed_reads.fetch_add(1, Ordering::Relaxed);
                reconnect(&mut conn, open);
            }
        }
    }
}

/// One foreign write of a random shape, in a transaction: the rows it
/// wrote are recorded as pending before its `COMMIT`.
fn write_once<C: Connection>(
    world: &World,
    conn: &mut C,
    write: WriteRows<C>,
    rng: &mut rand::rngs::ThreadRng,
    truncate: bool,
) -> QueryResult<Vec<Written>> {
    conn.transaction(|conn| {
        let rows = write(conn, rng, truncate)?;
        world.record(&rows, None);
        Ok(rows)
    })
}

/// The statements of one foreign write; the rows they wrote.
type WriteRows<C> = fn(&mut C, &mut rand::rngs::ThreadRng, bool) -> QueryResult<Vec<Written>>;

/// [`WriteRows`] on PostgreSQL.
fn write_rows_pg(
    conn: &mut PgConnection,
    rng: &mut rand::rngs::ThreadRng,
    truncate: bool,
) -> QueryResult<Vec<Written>> {
    let id = rng.random_range(1..=ROWS);
    let category = rng.random_range(0..CATEGORIES);
    let load = |conn: &mut PgConnection, sql: String| diesel::sql_query(sql).load::<Written>(conn);
    if truncate {
        conn.batch_execute(
            "LOCK TABLE items IN ACCESS EXCLUSIVE MODE;
             CREATE TEMP TABLE keep ON COMMIT DROP AS SELECT * FROM items; TRUNCATE items;
             INSERT INTO items SELECT id, slug, category, version + 1, title FROM keep",
        )?;
        return load(conn, "SELECT id, version, category FROM items".into());
    }
    match rng.random_range(0..10) {
        0..4 => load(
            conn,
            format!(
                "UPDATE items SET version = version + 1, category = {category}, title = 't' || version \
                 WHERE id = {id} RETURNING id, version, category"
            ),
        ),
        4..6 => {
            let (a, b) = (rng.random_range(1..=ROWS), rng.random_range(1..=ROWS));
            load(
                conn,
                format!(
                    "UPDATE items SET version = version + 1, category = (category + 1) % {CATEGORIES} \
                     WHERE id IN ({id}, {a}, {b}) RETURNING id, version, category"
                ),
            )
        }
        6 => load(
            conn,
            format!(
                "WITH d AS (DELETE FROM items WHERE id = {id} RETURNING *) \
                 INSERT INTO items SELECT id, slug, {category}, version + 1, title FROM d \
                 RETURNING id, version, category"
            ),
        ),
        7 => load(conn, format!("SELECT * FROM bump_item({id}, {category})")),
        _ => {
            conn.batch_execute(&format!("INSERT INTO audit (item_id) VALUES ({id})"))?;
            load(
                conn,
                format!("SELECT id, version, category FROM items WHERE id = {id}"),
            )
        }
    }
}

/// [`WriteRows`] on MySQL: the same shapes, each followed by a read of
/// the rows it wrote (MySQL's `UPDATE` returns none).
fn write_rows_my(
    conn: &mut MysqlConnection,
    rng: &mut rand::rngs::ThreadRng,
    truncate: bool,
) -> QueryResult<Vec<Written>> {
    let id = rng.random_range(1..=ROWS);
    let category = rng.random_range(0..CATEGORIES);
    let read = |conn: &mut MysqlConnection, ids: &str| {
        diesel::sql_query(format!(
            "SELECT id, version, category FROM items WHERE id IN ({ids})"
        ))
        .load::<Written>(conn)
    };
    if truncate {
        conn.batch_execute(
            "DELETE FROM keep; INSERT INTO keep SELECT * FROM items FOR UPDATE; DELETE FROM items;
             INSERT INTO items SELECT id, slug, category, version + 1, title FROM keep",
        )?;
        return diesel::sql_query("SELECT id, version, category FROM items").load(conn);
    }
    match rng.random_range(0..10) {
        0..4 => {
            conn.batch_execute(&format!(
                "UPDATE items SET version = version + 1, category = {category}, title = CONCAT('t', version) \
                 WHERE id = {id}"
            ))?;
            read(conn, &id.to_string())
        }
        4..6 => {
            let (a, b) = (rng.random_range(1..=ROWS), rng.random_range(1..=ROWS));
            conn.batch_execute(&format!(
                "UPDATE items SET version = version + 1, category = (category + 1) % {CATEGORIES} \
                 WHERE id IN ({id}, {a}, {b})"
            ))?;
            read(conn, &format!("{id}, {a}, {b}"))
        }
        6 => {
            conn.batch_execute(&format!(
                "REPLACE INTO items SELECT id, slug, {category}, version + 1, title FROM items WHERE id = {id}"
            ))?;
            read(conn, &id.to_string())
        }
        7 => {
            conn.batch_execute(&format!("CALL bump_item({id}, {category})"))?;
            read(conn, &id.to_string())
        }
        _ => {
            conn.batch_execute(&format!("INSERT INTO audit (item_id) VALUES ({id})"))?;
            read(conn, &id.to_string())
        }
    }
}

fn writer<C: Connection>(
    world: &World,
    open: &(dyn Fn() -> QueryResult<C> + Sync),
    write: WriteRows<C>,
    rate: f64,
    truncates: bool,
) {
    let mut conn = open().expect("the database");
    let mut rng = rand::rng();
    let every = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    let mut next_truncate = Instant::now() + Duration::from_secs(5);
    while !world.stop.load(Ordering::Relaxed) {
        let truncate = truncates && Instant::now() >= next_truncate;
        if truncate {
            next_truncate += Duration::from_secs(5);
        }
        match write_once(world, &mut conn, write, &mut rng, truncate) {
            Ok(rows) => {
                world.record(&rows, Some(Instant::now()));
                world.writes.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                world.failed_writes.fetch_add(1, Ordering::Relaxed);
                reconnect(&mut conn, open);
            }
        }
        next += every;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// Drops what runs of this program that were killed left behind: their
/// slots (which hold WAL back for as long as they exist), publications
/// and schemas, named `follow_<pid>` of a process that is gone.
fn drop_orphans(conn: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let names: Vec<Name> = diesel::sql_query(
        "SELECT nspname::text AS name FROM pg_namespace WHERE nspname LIKE 'follow\\_%' \
         UNION SELECT slot_name::text FROM pg_replication_slots WHERE slot_name LIKE 'follow\\_%'",
    )
    .load(conn)
    .unwrap_or_default();
    for Name { name } in names {
        if gone(&name) {
            let _ = diesel::sql_query(format!("SELECT pg_drop_replication_slot('{name}')"))
                .execute(conn);
            let _ = conn.batch_execute(&format!(
                "DROP PUBLICATION IF EXISTS \"{name}\"; DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
            ));
        }
    }
}

/// The program's database on MySQL (`url`: the server's), its tables,
/// procedure and trigger; the URL of the database.
fn setup_my(url: &str, database: &str) -> String {
    let mut conn = MysqlConnection::establish(url).expect("MySQL");
    drop_orphans_my(&mut conn);
    conn.batch_execute(&format!(
        "DROP DATABASE IF EXISTS `{database}`; CREATE DATABASE `{database}`; USE `{database}`;
         CREATE TABLE items (id INT PRIMARY KEY, slug VARCHAR(64) NOT NULL UNIQUE, category INT NOT NULL,
                             version BIGINT NOT NULL, title TEXT NOT NULL);
         INSERT INTO items WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
           SELECT i, CONCAT('item-', i), i % {CATEGORIES}, 0, 'title' FROM s;
         CREATE TABLE keep LIKE items;
         CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL);
         CREATE PROCEDURE bump_item(p INT, c INT)
           UPDATE items SET version = version + 1, category = c WHERE id = p;
         CREATE TRIGGER audit_bumps AFTER INSERT ON audit FOR EACH ROW
           UPDATE items SET version = version + 1 WHERE id = NEW.item_id;"
    ))
    .expect("the program's tables");
    services::mysql_database_url(url, database)
}

/// Drops the databases of runs of this program that were killed.
fn drop_orphans_my(conn: &mut MysqlConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let names: Vec<Name> = diesel::sql_query(
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'follow\\_%'",
    )
    .load(conn)
    .unwrap_or_default();
    for Name { name } in names {
        if gone(&name) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS `{name}`"));
        }
    }
}

/// Whether `name` (`follow_<pid>`) is of a process that is gone.
fn gone(name: &str) -> bool {
    name.strip_prefix("follow_")
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

fn setup(url: &str, schema: &str) {
    let mut conn = PgConnection::establish(url).expect("PostgreSQL");
    drop_orphans(&mut conn);
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\";
         CREATE TABLE items (id INT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, category INT NOT NULL,
                             version BIGINT NOT NULL, title TEXT NOT NULL);
         INSERT INTO items SELECT i, 'item-' || i, i % {CATEGORIES}, 0, 'title' FROM generate_series(1, {ROWS}) i;
         CREATE TABLE audit (id SERIAL PRIMARY KEY, item_id INT NOT NULL);
         CREATE FUNCTION bump_item(p INT, c INT) RETURNS TABLE (id INT, version BIGINT, category INT)
           LANGUAGE sql AS $$ UPDATE items SET version = items.version + 1, category = c WHERE items.id = p
                              RETURNING items.id, items.version, items.category $$;
         CREATE FUNCTION audit_bumps() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN UPDATE items SET version = version + 1 WHERE id = NEW.item_id; RETURN NEW; END $$;
         CREATE TRIGGER audit_bumps AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_bumps();"
    ))
    .expect("the program's tables");
}

fn follower_options(schema: &str) -> FollowerOptions {
    FollowerOptions {
        slot: schema.to_owned(),
        publication: schema.to_owned(),
        tables: vec![format!("{schema}.items"), format!("{schema}.audit")],
        replica_identity_full: true,
        lease: Duration::from_millis(500),
        ..FollowerOptions::default()
    }
}

/// The child: a follower that prints its statistics twice a second, until
/// its stdin closes (the parent gone) or it is killed.
fn follower_child(db: &str, url: &str, schema: &str, cache_url: &str) {
    let cache = Cache::from_url(cache_url).expect("cache");
    let follower = match db {
        "mysql" => Follower::mysql(url, cache, follower_options(schema)),
        _ => Follower::postgres(url, cache, follower_options(schema)),
    };
    follower.spawn().expect("a thread");
    let parent_gone = Arc::new(AtomicBool::new(false));
    let gone = parent_gone.clone();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_line(&mut String::new());
        gone.store(true, Ordering::Relaxed);
    });
    while !parent_gone.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(500));
        let line = serde_json::to_string(&follower.stats()).unwrap();
        if writeln!(std::io::stdout(), "{line}").is_err() {
            break;
        }
    }
    follower.stop();
}

struct Followers {
    children: Vec<(Child, Arc<Mutex<Option<serde_json::Value>>>)>,
    args: Vec<String>,
}

impl Followers {
    fn spawn(&mut self) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a follower process");
        let out = child.stdout.take().unwrap();
        let last = Arc::new(Mutex::new(None));
        let keep = last.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                *keep.lock().unwrap() = serde_json::from_str(&line).ok();
            }
        });
        self.children.push((child, last));
    }

    /// SIGKILLs the active follower (by its last report); whether one was.
    fn kill_active(&mut self) -> bool {
        let at = self.children.iter().position(|(c, last)| {
            c.id() != 0
                && last
                    .lock()
                    .unwrap()
                    .as_ref()
                    .is_some_and(|s| s["active"] == true)
        });
        let Some(at) = at else { return false };
        let (mut child, _) = self.children.remove(at);
        let _ = child.kill();
        let _ = child.wait();
        true
    }

    /// The statistics of the follower that applied the most transactions.
    fn busiest(&self) -> Option<serde_json::Value> {
        self.children
            .iter()
            .filter_map(|(_, last)| last.lock().unwrap().clone())
            .max_by_key(|s| s["transactions"].as_u64().unwrap_or(0))
    }

    fn total(&self, field: &str) -> u64 {
        self.children
            .iter()
            .filter_map(|(_, last)| last.lock().unwrap().clone())
            .map(|s| s[field].as_u64().unwrap_or(0))
            .sum()
    }
}

impl Drop for Followers {
    fn drop(&mut self) {
        for (child, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    if raw.get(1).map(String::as_str) == Some("--follower-child") {
        follower_child(&raw[2], &raw[3], &raw[4], &raw[5]);
        return ExitCode::SUCCESS;
    }
    let args = args();
    let mysql = match args.db.as_str() {
        "postgres" => false,
        "mysql" => true,
        other => panic!("--db postgres|mysql, not {other}"),
    };
    if mysql && matches!(args.fault.as_deref(), Some("drop-slot" | "restart-db")) {
        panic!("--db mysql: the faults are kill and restart-redis");
    }
    let server = if mysql {
        services::mysql_url()
    } else {
        services::database_url()
    };
    let Some(server) = server else {
        eprintln!("follow: no {} server", args.db);
        return ExitCode::FAILURE;
    };
    let mut redis = RedisServer::start(&[]).expect("a Redis server of the program's own");
    let schema = format!("follow_{}", std::process::id());
    let url = if mysql {
        setup_my(&server, &schema)
    } else {
        setup(&server, &schema);
        server
    };
    let store_url = match args.cache.as_str() {
        "redis" => redis.url(),
        "tiered" => services::with_local_tier(&redis.url()),
        other => panic!("--cache redis|tiered, not {other}"),
    };
    let sep = if store_url.contains('?') { '&' } else { '?' };
    let follower_cache_url = format!("{store_url}{sep}prefix={schema}");
    let mut followers = Followers {
        children: Vec::new(),
        args: vec![
            "--follower-child".into(),
            args.db.clone(),
            url.clone(),
            schema.clone(),
            follower_cache_url,
        ],
    };
    let mut cfg = CacheConfig::from_url(&store_url).unwrap();
    cfg.key_prefix = schema.clone();
    if args.follower {
        cfg.follower_bound = Some(args.bound);
        for _ in 0..FOLLOWERS {
            followers.spawn();
        }
    }
    let cache = Cache::new(cfg).unwrap();
    if args.follower {
        let started = Instant::now();
        while cache.engine().follower_position().ok().flatten().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no follower published a position"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let window = args.bound + args.bound / 5 + Duration::from_millis(100);
    let world = World {
        histories: (0..ROWS)
            .map(|_| Mutex::new(vec![(0, 0, Some(Instant::now()))]))
            .collect(),
        stop: AtomicBool::new(false),
        reads: AtomicU64::new(0),
        failed_reads: AtomicU64::new(0),
        stale: AtomicU64::new(0),
        stale_100ms: AtomicU64::new(0),
        writes: AtomicU64::new(0),
        failed_writes: AtomicU64::new(0),
    };
    let open_pg = || connect_pg(&url, &schema);
    let open_my = || connect_my(&url);
    {
        let query = diesel::sql_query("SELECT id, version, category FROM items");
        let rows: Vec<Written> = if mysql {
            query.load(&mut open_my().unwrap()).unwrap()
        } else {
            query.load(&mut open_pg().unwrap()).unwrap()
        };
        for w in rows {
            world.histories[(w.id - 1) as usize].lock().unwrap()[0] =
                (w.version, w.category, Some(Instant::now()));
        }
    }
    let run = Duration::from_secs_f64(args.seconds);
    let mut takeovers = Vec::new();
    let mut fault_note = String::new();
    std::thread::scope(|s| {
        for _ in 0..READERS {
            let (world, cache) = (&world, cache.clone());
            if mysql {
                s.spawn(move || reader(world, &open_my, cache, window));
            } else {
                s.spawn(move || reader(world, &open_pg, cache, window));
            }
        }
        for n in 0..WRITERS {
            let (world, rate, truncates) = (&world, args.rate / WRITERS as f64, args.truncates);
            if mysql {
                s.spawn(move || writer(world, &open_my, write_rows_my, rate, truncates && n == 0));
            } else {
                s.spawn(move || writer(world, &open_pg, write_rows_pg, rate, truncates && n == 0));
            }
        }
        let started = Instant::now();
        let mut halfway_done = false;
        let mut next_kill = started + Duration::from_secs(3);
        while started.elapsed() < run {
            std::thread::sleep(Duration::from_millis(50));
            match args.fault.as_deref() {
                Some("kill")
                    if Instant::now() >= next_kill
                        && started.elapsed() + Duration::from_secs(2) < run =>
                {
                    next_kill += Duration::from_secs(3);
                    let killed_at = std::time::SystemTime::now();
                    let t = Instant::now();
                    if followers.kill_active() {
                        followers.spawn();
                        while cache
                            .engine()
                            .follower_position()
                            .ok()
                            .flatten()
                            .is_none_or(|p| p <= killed_at)
                            && t.elapsed() < Duration::from_secs(30)
                        {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        takeovers.push(t.elapsed());
                    }
                }
                Some("drop-slot") if !halfway_done && started.elapsed() >= run / 2 => {
                    halfway_done = true;
                    let mut conn = PgConnection::establish(&url).unwrap();
                    let t = Instant::now();
                    // (The active follower streams it: its session is
                    // ended first.)
                    while diesel::sql_query(format!(
                        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots \
                         WHERE slot_name = '{schema}' AND active_pid IS NOT NULL"
                    ))
                    .execute(&mut conn)
                    .is_ok()
                        && diesel::sql_query(format!("SELECT pg_drop_replication_slot('{schema}')"))
                            .execute(&mut conn)
                            .is_err()
                        && t.elapsed() < Duration::from_secs(10)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    fault_note = format!(" slot_dropped_after_ms={}", t.elapsed().as_millis());
                }
                Some("restart-db") if !halfway_done && started.elapsed() >= run / 2 => {
                    halfway_done = true;
                    let t = Instant::now();
                    let version = std::fs::read_dir("/etc/postgresql")
                        .ok()
                        .and_then(|d| d.filter_map(Result::ok).map(|e| e.file_name()).max())
                        .expect("a Debian PostgreSQL cluster (/etc/postgresql)");
                    let status = Command::new("pg_ctlcluster")
                        .args([
                            "--skip-systemctl-redirect",
                            &version.to_string_lossy(),
                            "main",
                            "restart",
                            "-m",
                            "fast",
                        ])
                        .status()
                        .expect("pg_ctlcluster");
                    assert!(status.success(), "pg_ctlcluster restart: {status}");
                    fault_note = format!(" db_restarted_in_ms={}", t.elapsed().as_millis());
                }
                Some("restart-redis") if !halfway_done && started.elapsed() >= run / 2 => {
                    halfway_done = true;
                    let t = Instant::now();
                    redis.restart();
                    fault_note = format!(" redis_restarted_in_ms={}", t.elapsed().as_millis());
                }
                _ => {}
            }
        }
        world.stop.store(true, Ordering::Relaxed);
    });
    // Let the children report once more.
    std::thread::sleep(Duration::from_millis(600));
    let stats = followers.busiest().unwrap_or_default();
    let lag = |q: &str| stats[q].as_f64().unwrap_or(0.0);
    let held = cache.stats().follower_held;
    if !takeovers.is_empty() {
        let ms: Vec<u128> = takeovers.iter().map(Duration::as_millis).collect();
        fault_note = format!(
            " kills={} takeover_ms_max={} takeover_ms_mean={}",
            ms.len(),
            ms.iter().max().unwrap(),
            ms.iter().sum::<u128>() / ms.len() as u128
        );
    }
    let stale = world.stale.load(Ordering::Relaxed);
    println!(
        "reads={} failed_reads={} writes={} failed_writes={} held_reads={held} stale_past_100ms={} gaps={} errors={}{fault_note}",
        world.reads.load(Ordering::Relaxed),
        world.failed_reads.load(Ordering::Relaxed),
        world.writes.load(Ordering::Relaxed),
        world.failed_writes.load(Ordering::Relaxed),
        world.stale_100ms.load(Ordering::Relaxed),
        followers.total("gaps"),
        followers.total("errors"),
    );
    println!(
        "stale_reads_past_window={stale} window_ms={} invalidation_lag_p50_ms={:.1} invalidation_lag_p99_ms={:.1} changes={}",
        window.as_millis(),
        lag("lag_p50_ms"),
        lag("lag_p99_ms"),
        followers.total("rows"),
    );
    drop(followers);
    if mysql {
        if let Ok(mut conn) = connect_my(&url) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS `{schema}`"));
        }
    } else if let Ok(mut conn) = PgConnection::establish(&url) {
        let _ = diesel::sql_query(format!("SELECT pg_drop_replication_slot('{schema}')"))
            .execute(&mut conn);
        let _ = conn.batch_execute(&format!(
            "DROP PUBLICATION IF EXISTS \"{schema}\"; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        ));
    }
    if stale > 0 && args.follower {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
