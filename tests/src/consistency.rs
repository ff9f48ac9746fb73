//! The consistency checker's workload and its verdict: concurrent readers
//! and writers on a few rows, with random delays between each reader's
//! database read and its cache fill, and a count of stale reads.
//!
//! A read is stale when it began after a write's hook had returned and was
//! served an older version of that row. Writers own disjoint rows, so each
//! knows the version it wrote and when its write returned.

use cache_diesel::{Cache, Cached, Timeout};
use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

diesel::table! {
    consistency_rows (id) {
        id -> Integer,
        version -> Integer,
    }
}

/// A row whose version only grows.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = consistency_rows)]
#[cache(detail_timeout = 300)]
pub struct VersionedRow {
    /// The row.
    pub id: i32,
    /// Incremented by every write.
    pub version: i32,
}

/// The table, for SQLite and PostgreSQL alike.
pub const DDL: &str =
    "CREATE TABLE consistency_rows (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)";

/// How many rows the workload touches.
pub const ROWS: i32 = 8;

/// The table under another Rust name (`#[sql_name]`): a model over it must
/// invalidate what a model over `consistency_rows` cached.
pub mod renamed {
    diesel::table! {
        #[sql_name = "consistency_rows"]
        renamed_rows (id) {
            id -> Integer,
            version -> Integer,
        }
    }
}

/// The rows, through the renamed table.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = renamed::renamed_rows)]
#[cache(key = "renamed_row")]
pub struct RenamedRow {
    /// The row.
    pub id: i32,
    /// Incremented by every write.
    pub version: i32,
}

/// Whether `C` talks to PostgreSQL.
fn is_postgres<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Pg")
}

/// Whether `C` talks to MySQL or MariaDB.
fn is_mysql<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Mysql")
}

/// Creates the table and its rows, every version 0 (on PostgreSQL also a
/// view over it and a procedure that writes it, for [`Mode::AllPaths`]).
pub fn seed<C: Connection + 'static>(conn: &mut C) {
    conn.batch_execute(DDL).expect("DDL");
    if is_postgres::<C>() {
        conn.batch_execute(
            "CREATE VIEW consistency_view AS SELECT * FROM consistency_rows;
             CREATE PROCEDURE set_version(pid int, v int) LANGUAGE SQL
               AS $$ UPDATE consistency_rows SET version = v WHERE id = pid $$;",
        )
        .expect("view and procedure");
    }
    let values: Vec<String> = (1..=ROWS).map(|id| format!("({id}, 0)")).collect();
    conn.batch_execute(&format!(
        "INSERT INTO consistency_rows (id, version) VALUES {}",
        values.join(", ")
    ))
    .expect("seed rows");
}

/// Microseconds since the Unix epoch: comparable across processes on one machine.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// One read: which row, when it began, which version it was served.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read {
    /// The row read.
    pub id: i32,
    /// When the read began.
    pub began_us: u64,
    /// The version served.
    pub version: i32,
}

/// One write: which row, which version, when its hook returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Write {
    /// The row written.
    pub id: i32,
    /// The version written.
    pub version: i32,
    /// When the write (and its invalidation) returned.
    pub returned_us: u64,
}

impl Read {
    /// `R id began version`, for the second process's report.
    pub fn to_line(self) -> String {
        format!("R {} {} {}", self.id, self.began_us, self.version)
    }

    /// Parses [`Read::to_line`].
    pub fn from_line(line: &str) -> Option<Read> {
        let mut parts = line.strip_prefix("R ")?.split(' ');
        Some(Read {
            id: parts.next()?.parse().ok()?,
            began_us: parts.next()?.parse().ok()?,
            version: parts.next()?.parse().ok()?,
        })
    }
}

/// Reads that began after a write of their row had returned and were
/// served an older version.
pub fn count_stale(reads: &[Read], writes: &[Write]) -> usize {
    count_stale_after(reads, writes, 0)
}

/// Reads that began more than `window_us` after a write of their row had
/// returned and were served an older version (a process whose local tier
/// learns of writes within a window).
pub fn count_stale_after(reads: &[Read], writes: &[Write], window_us: u64) -> usize {
    // Per row, its writes by when they returned, each with the highest
    // version returned by then: a read's required version is one search.
    let mut by_row: HashMap<i32, Vec<(u64, i32)>> = HashMap::new();
    for w in writes {
        by_row
            .entry(w.id)
            .or_default()
            .push((w.returned_us, w.version));
    }
    for ws in by_row.values_mut() {
        ws.sort_unstable();
        let mut highest = 0;
        for (_, version) in ws.iter_mut() {
            highest = highest.max(*version);
            *version = highest;
        }
    }
    let show = std::env::var_os("CONSISTENCY_SHOW_STALE").is_some();
    reads
        .iter()
        .filter(|r| {
            let Some(ws) = by_row.get(&r.id) else {
                return false;
            };
            let done = ws.partition_point(|&(returned, _)| returned + window_us < r.began_us);
            let required = done.checked_sub(1).map_or(0, |last| ws[last].1);
            let stale = r.version < required;
            if stale && show {
                let served = writes
                    .iter()
                    .find(|w| w.id == r.id && w.version == r.version + 1);
                eprintln!(
                    "stale: row {} read at {} served version {} ({}us after version {} returned), wanted {required}",
                    r.id,
                    r.began_us,
                    r.version,
                    served.map_or(0, |w| r.began_us.saturating_sub(w.returned_us)),
                    r.version + 1
                );
            }
            stale
        })
        .count()
}

/// Makes `conn` sleep a random 0..=`max_delay` after every query: between a
/// reader's database read and its cache fill.
pub fn inject_delays<C: Connection + 'static>(conn: &mut C, max_delay: Duration) {
    conn.set_instrumentation(delays(max_delay));
}

/// The instrumentation of [`inject_delays`] (for an async connection too:
/// it sleeps on the thread that runs the query).
pub fn delays(max_delay: Duration) -> impl diesel::connection::Instrumentation {
    let max = max_delay.as_micros() as u64;
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::FinishQuery { .. } = event {
            let micros = rand::random_range(0..=max);
            std::thread::sleep(Duration::from_micros(micros));
        }
    }
}

/// How reads and writes reach the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The model manager (versioned tags, hooks).
    Managed,
    /// Plain cache-aside: get; on a miss query and set; on a write delete.
    Naive,
    /// The managers, with writers taking every write path in turn (see
    /// `write_path`).
    AllPaths,
}

/// How many write paths `write_path` takes in turn.
pub const WRITE_PATHS: usize = 13;

/// Sets row `id` to `version` by write path number `path`: a hook, a raw
/// UPDATE, transactions and savepoints opened by SQL text, literals that
/// used to derail the scanner, and (on PostgreSQL) COPY, CALL, DO,
/// EXECUTE and a view, (on MySQL) its comments, `REPLACE`, upserts and
/// multi-table updates; and a hook of a model over the renamed table.
fn write_path<C>(conn: &mut C, path: usize, id: i32, version: i32, cache: &Cache) -> QueryResult<()>
where
    C: Connection + 'static,
    VersionedRow: cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency_rows::version, i32>>
        + cache_diesel::ModelQueries<C>,
    RenamedRow: cache_diesel::UpdateQuery<C, diesel::dsl::Eq<renamed::renamed_rows::version, i32>>
        + cache_diesel::ModelQueries<C>,
{
    let set = format!("UPDATE consistency_rows SET version = {version} WHERE id = {id}");
    if is_mysql::<C>() && path > 2 {
        return conn.batch_execute(&mysql_path(path, &set, id, version));
    }
    let pg = is_postgres::<C>();
    let sql = match (path, pg) {
        (0, _) => {
            let manager = VersionedRowCache::new(cache.clone());
            return manager
                .update(conn, id, consistency_rows::version.eq(version))
                .map(drop)
                .map_err(into_diesel);
        }
        (1, _) => {
            let manager = RenamedRowCache::new(cache.clone());
            return manager
                .update(conn, id, renamed::renamed_rows::version.eq(version))
                .map(drop)
                .map_err(into_diesel);
        }
        (2, _) => {
            conn.batch_execute("BEGIN")?;
            conn.batch_execute(&set)?;
            return conn.batch_execute("COMMIT");
        }
        (3, true) => format!("START TRANSACTION; {set}; END"),
        (3, false) => format!("BEGIN TRANSACTION; {set}; END TRANSACTION"),
        (4, _) => format!("BEGIN; SAVEPOINT a; {set}; RELEASE SAVEPOINT a; COMMIT"),
        (5, true) => format!("WITH x AS (SELECT $$'$$ AS q) {set}"),
        (5, false) => format!("WITH x AS (SELECT 'it''s' AS q) {set}"),
        (6, true) => format!("SELECT E'it\\'s /*'; {set}"),
        (6, false) => format!("/* it's */ {set} -- '"),
        (7, true) => format!(
            "BEGIN; DELETE FROM consistency_rows WHERE id = {id};
             COPY consistency_rows (id, version) FROM PROGRAM 'echo {id},{version}' WITH (FORMAT csv);
             COMMIT"
        ),
        (8, true) => format!("CALL set_version({id}, {version})"),
        (9, true) => format!("DO $$ BEGIN {set}; END $$"),
        (10, true) => format!(
            "PREPARE w AS UPDATE consistency_rows SET version = {version} WHERE id = {id}; EXECUTE w; DEALLOCATE w"
        ),
        (11, true) => format!("UPDATE consistency_view SET version = {version} WHERE id = {id}"),
        _ => set,
    };
    conn.batch_execute(&sql)
}

/// MySQL's spellings of paths 3 and up: transactions and savepoints
/// opened by SQL text, its comments (`#`, `/*! */`) and backslash escapes,
/// `REPLACE`, `ON DUPLICATE KEY UPDATE`, a multi-table `UPDATE` and
/// backticks.
fn mysql_path(path: usize, set: &str, id: i32, version: i32) -> String {
    match path {
        3 => format!("START TRANSACTION; {set}; COMMIT"),
        4 => format!("BEGIN; SAVEPOINT a; {set}; RELEASE SAVEPOINT a; COMMIT"),
        5 => format!("# it's\n{set}"),
        6 => format!("/*!40101 {set} */"),
        7 => format!("REPLACE INTO consistency_rows (id, version) VALUES ({id}, {version})"),
        8 => format!(
            "INSERT INTO consistency_rows (id, version) VALUES ({id}, {version}) \
             ON DUPLICATE KEY UPDATE version = VALUES(version)"
        ),
        9 => format!(
            "UPDATE consistency_rows r JOIN (SELECT {id} AS i) x ON r.id = x.i SET r.version = {version}"
        ),
        10 => format!("SELECT 'it\\'s; /*' AS q; {set}"),
        11 => format!("UPDATE `consistency_rows` SET `version` = {version} WHERE `id` = {id}"),
        _ => set.to_owned(),
    }
}

fn into_diesel(e: cache_diesel::Error) -> diesel::result::Error {
    match e {
        cache_diesel::Error::Database(e) => e,
        other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
    }
}

/// Model reads that failed (the cache never fails one: this counts the
/// database's failures, and any cache failure that leaked).
static FAILED_READS: AtomicU64 = AtomicU64::new(0);

/// How many reads of [`read_loop`] failed in this process.
pub fn failed_reads() -> u64 {
    FAILED_READS.load(Ordering::Relaxed)
}

/// Reads random rows until `until`, each with `read` (which returns the
/// version it was served); returns every read. The one loop of
/// [`read_loop`] and [`read_loop_async`].
pub fn read_rows(
    until: Instant,
    mut read: impl FnMut(i32) -> cache_diesel::Result<i32>,
) -> Vec<Read> {
    let mut reads = Vec::new();
    while Instant::now() < until {
        let id = rand::random_range(1..=ROWS);
        let began_us = now_us();
        match read(id) {
            Ok(version) => reads.push(Read {
                id,
                began_us,
                version,
            }),
            Err(e) => note_failed_read(&e),
        }
    }
    reads
}

/// Counts a model read that failed (see [`failed_reads`]) and prints it.
pub fn note_failed_read(e: &cache_diesel::Error) {
    FAILED_READS.fetch_add(1, Ordering::Relaxed);
    eprintln!("read failed: {e}");
}

/// Reads random rows until `until`; returns what each read was served.
pub fn read_loop<C>(conn: &mut C, cache: &Cache, mode: Mode, until: Instant) -> Vec<Read>
where
    C: Connection + 'static,
    VersionedRow: cache_diesel::ModelQueries<C>,
{
    let manager = VersionedRowCache::new(cache.clone());
    let direct = VersionedRowCache::new(Cache::from_url("dummy://").expect("dummy"));
    read_rows(until, |id| match mode {
        Mode::Managed | Mode::AllPaths => manager.get(conn, id).map(|r| r.version),
        Mode::Naive => {
            let key = format!("row:{id}");
            match cache.get::<VersionedRow>(key.as_str()) {
                Ok(Some(hit)) => Ok(hit.version),
                _ => direct.get(conn, id).map(|row| {
                    let _ = cache.set(key.as_str(), &row, Timeout::Default);
                    row.version
                }),
            }
        }
    })
}

/// [`read_loop`] through a connection source (managed mode): each read is
/// `from_pool(source).get(id)`.
pub fn read_loop_from<S>(source: &S, cache: &Cache, until: Instant) -> Vec<Read>
where
    S: cache_diesel::ConnectionSource,
    VersionedRow: cache_diesel::ModelQueries<S::Connection>,
{
    let manager = VersionedRowCache::new(cache.clone());
    let reads = manager.from_pool(source);
    read_rows(until, |id| reads.get(id).map(|r| r.version))
}

/// Lines the readers of a replica left for the report (what their
/// `Replicated` sources did).
static REPLICA_LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Leaves `line` for the report.
pub fn replica_line(line: String) {
    REPLICA_LINES.lock().unwrap().push(line);
}

/// The lines left by [`replica_line`].
pub fn replica_lines() -> Vec<String> {
    REPLICA_LINES.lock().unwrap().clone()
}

/// [`read_loop`] through the async API (managed mode): each read is
/// `get_async` on `conn`, run on `runtime`.
pub fn read_loop_async<C>(
    runtime: &tokio::runtime::Runtime,
    conn: &mut C,
    cache: &Cache,
    until: Instant,
) -> Vec<Read>
where
    C: diesel_async::AsyncConnection + 'static,
    VersionedRow: cache_diesel::AsyncModelQueries<C>,
{
    let manager = VersionedRowCache::new(cache.clone());
    read_rows(until, |id| {
        runtime
            .block_on(manager.get_async(conn, id))
            .map(|r| r.version)
    })
}

/// A hook write of row `id` to `version` (managed mode's hook half).
pub type Hook<'a, C> = dyn FnMut(&mut C, i32, i32) -> cache_diesel::Result<()> + 'a;

/// Managed mode's hook half through the async API: `update_async` on
/// `conn`, run on `runtime` (the raw half stays on the tracked sync
/// connection: async connections are not tracked).
pub fn async_hook<'a, C, A>(
    runtime: &'a tokio::runtime::Runtime,
    conn: &'a mut A,
    cache: &Cache,
) -> impl FnMut(&mut C, i32, i32) -> cache_diesel::Result<()> + 'a
where
    A: diesel_async::AsyncConnection + 'static,
    VersionedRow: for<'q> cache_diesel::AsyncUpdateQuery<
            'q,
            A,
            diesel::dsl::Eq<consistency_rows::version, i32>,
        >,
{
    let manager = VersionedRowCache::new(cache.clone());
    move |_, id, version| {
        runtime
            .block_on(manager.update_async(conn, id, consistency_rows::version.eq(version)))
            .map(drop)
    }
}

/// Writes the rows `mine` in turn until `until`: through the manager's hook,
/// or (every other write, managed mode) with raw SQL on a tracked
/// connection; returns every write.
pub fn write_loop<C>(
    conn: &mut C,
    cache: &Cache,
    mode: Mode,
    mine: &[i32],
    until: Instant,
) -> Vec<Write>
where
    C: Connection + 'static,
    VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency_rows::version, i32>>,
    RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<renamed::renamed_rows::version, i32>>,
{
    write_while(conn, cache, mode, mine, &|| Instant::now() < until)
}

/// [`write_loop`] while `go` says so.
pub fn write_while<C>(
    conn: &mut C,
    cache: &Cache,
    mode: Mode,
    mine: &[i32],
    go: &dyn Fn() -> bool,
) -> Vec<Write>
where
    C: Connection + 'static,
    VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency_rows::version, i32>>,
    RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<renamed::renamed_rows::version, i32>>,
{
    let manager = VersionedRowCache::new(cache.clone());
    let mut hook = |conn: &mut C, id: i32, version: i32| {
        manager
            .update(conn, id, consistency_rows::version.eq(version))
            .map(drop)
    };
    write_while_with(conn, cache, mode, mine, go, &mut hook)
}

/// Writes of [`write_while`] that returned an error, in this process.
pub static FAILED_WRITES: AtomicU64 = AtomicU64::new(0);

/// [`write_while`] with managed mode's hook writes made by `hook` (the
/// sync hook, or [`async_hook`]).
pub fn write_while_with<C>(
    conn: &mut C,
    cache: &Cache,
    mode: Mode,
    mine: &[i32],
    go: &dyn Fn() -> bool,
    hook: &mut Hook<'_, C>,
) -> Vec<Write>
where
    C: Connection + 'static,
    VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency_rows::version, i32>>,
    RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<renamed::renamed_rows::version, i32>>,
{
    let direct = VersionedRowCache::new(Cache::from_url("dummy://").expect("dummy"));
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Where the rows stand (a writer may start over on a new connection).
    let mut versions: HashMap<i32, i32> = HashMap::new();
    for id in mine {
        match direct.get(conn, *id) {
            Ok(row) => versions.insert(*id, row.version),
            Err(e) => {
                eprintln!("writer: cannot read row {id}: {e}");
                return Vec::new();
            }
        };
    }
    let mut writes = Vec::new();
    while go() {
        let id = mine[rand::random_range(0..mine.len())];
        let version = versions[&id] + 1;
        let raw = NEXT.fetch_add(1, Ordering::Relaxed).is_multiple_of(2);
        let done = match mode {
            Mode::Managed if raw => conn
                .batch_execute(&format!(
                    "UPDATE consistency_rows SET version = {version} WHERE id = {id}"
                ))
                .map_err(cache_diesel::Error::from),
            Mode::Managed => hook(conn, id, version),
            Mode::Naive => direct
                .update(conn, id, consistency_rows::version.eq(version))
                .map(|_| drop(cache.delete(format!("row:{id}").as_str()))),
            Mode::AllPaths => {
                let path = NEXT.load(Ordering::Relaxed) as usize % WRITE_PATHS;
                write_path(conn, path, id, version, cache).map_err(cache_diesel::Error::from)
            }
        };
        match done {
            Ok(()) => {
                versions.insert(id, version);
                writes.push(Write {
                    id,
                    version,
                    returned_us: now_us(),
                });
            }
            Err(e) => {
                // A fault may fail every write: the first few, then one in 1,000.
                let n = FAILED_WRITES.fetch_add(1, Ordering::Relaxed) + 1;
                if n <= 3 || n.is_multiple_of(1000) {
                    eprintln!("write failed ({n} so far): {e}");
                }
            }
        }
        std::thread::sleep(Duration::from_micros(rand::random_range(0..2_000)));
    }
    writes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_after_a_returned_write_must_see_it() {
        let writes = [
            Write {
                id: 1,
                version: 2,
                returned_us: 100,
            },
            Write {
                id: 1,
                version: 3,
                returned_us: 200,
            },
        ];
        let reads = [
            Read {
                id: 1,
                began_us: 150,
                version: 2,
            }, // fine
            Read {
                id: 1,
                began_us: 150,
                version: 1,
            }, // stale
            Read {
                id: 1,
                began_us: 200,
                version: 2,
            }, // write 3 had not returned before it began
            Read {
                id: 1,
                began_us: 201,
                version: 2,
            }, // stale
            Read {
                id: 2,
                began_us: 500,
                version: 0,
            }, // never written
        ];
        assert_eq!(count_stale(&reads, &writes), 2);
        assert_eq!(Read::from_line(&reads[1].to_line()), Some(reads[1]));
    }

    /// Writes of one row may return out of version order (two writers):
    /// a read must see the highest version returned before it began, past
    /// the window.
    #[test]
    fn the_highest_version_returned_past_the_window_counts() {
        let write = |version, returned_us| Write {
            id: 7,
            version,
            returned_us,
        };
        let writes = [write(5, 100), write(4, 120), write(6, 300)];
        let read = |began_us, version| Read {
            id: 7,
            began_us,
            version,
        };
        let fine = [read(125, 1), read(131, 5), read(160, 5), read(331, 6)];
        let stale = [read(160, 4), read(331, 5)];
        assert_eq!(count_stale_after(&fine, &writes, 30), 0);
        assert_eq!(count_stale_after(&stale, &writes, 30), 2);
    }
}

/// The same rows, refreshed on a background thread one second after a fill
/// (`soft_timeout = 1, refresh = "background"`).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = consistency_rows)]
#[cache(
    key = "background_row",
    soft_timeout = 1,
    refresh = "background",
    detail_timeout = 300
)]
pub struct BackgroundRow {
    /// The row.
    pub id: i32,
    /// Incremented by every write.
    pub version: i32,
}
