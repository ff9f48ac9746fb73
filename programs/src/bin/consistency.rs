//! The consistency checker: concurrent readers and writers (threads, and a
//! second process when the cache is Redis) with random delays between each
//! reader's database read and its cache fill; counts stale reads.
//!
//! ```text
//! cargo run --release -p cache-programs --bin consistency -- \
//!     --db <sqlite|postgres|mysql> --cache <memory|redis|tiered|cluster|sentinel> --seconds N \
//!     [--naive | --all-paths] [--failover] [--async] [--filtered-lists [--id-lists]]
//!     [--replica-lag <ms>ms [--replica-unaware]]
//! ```
//!
//! `--replica-lag 200ms` (sync, managed mode): on PostgreSQL the program
//! starts a streaming replica of the server (`cache_tests::pg_replica`)
//! replaying 200 ms behind it; on MySQL a MariaDB primary and replica of
//! its own (`cache_tests::mariadb_replica`, the replica whole seconds
//! behind: `MASTER_DELAY`), used for everything. Writers write on the
//! primary, readers read
//! through a `Replicated` source (the replica, checked against the
//! server) and print what it did (`replica_reads`, `replica_behind`,
//! `replica_failed`). With `--replica-unaware`, readers read the replica's
//! connection directly, as a cache without the check would: stale reads.
//!
//! `--filtered-lists`: the writers move rows between categories (through
//! the `update` hook, and every other write raw SQL on a tracked
//! connection) and the readers read random categories' lists and counts
//! (`all` and `count` with a condition, which depend on the value tags of
//! their category); a read is stale when it misses a move that had returned
//! before it began (`cache_programs::filtered_lists`). With `--naive`, the
//! seeds' pattern on the same workload: lists and counts cached under a key
//! per category, the old and new categories' keys deleted after each write.
//! With `--id-lists`, the readers read through a model of the same rows
//! with `#[cache(id_lists)]` (lists of ids, rows from their own entries),
//! while the writers write through the whole-row model.
//!
//! `--async` (SQLite, PostgreSQL): the readers read through the async API
//! (`get_async`), each on a diesel-async connection of its own, driven by a
//! current-thread tokio runtime of its thread; in the managed mode the
//! writers' hook writes are `update_async` too, on a tracked async
//! connection (their raw SQL stays on tracked sync connections). The
//! reader and writer loops are the sync ones.
//!
//! `--cache cluster` starts a Redis Cluster of its own (three masters,
//! three replicas), `--cache sentinel` Redis under Sentinel of its own (a
//! master, two replicas, three sentinels; `redis+sentinel://`);
//! `--failover` kills a master halfway through (a replica takes over
//! about two seconds later), and the run also counts the reads that
//! failed (`failed_reads`), which must be none.
//! `CONSISTENCY_SHOW_STALE=1` prints each stale read (row, when it began,
//! what it was served) on stderr.
//!
//! ```text
//! ```
//!
//! `tiered` is Redis with a local tier (`?local=16m`): the second process
//! learns of the first one's writes through its tracking connection, so
//! its reads count as stale only when they began more than the freshness
//! window (`local_window`, 10 ms) after the write returned; the first
//! process's own reads count from the write's return, as everywhere.
//!
//! The last line is `stale_reads=<n> reads=<n> writes=<n>`; the exit code is
//! 1 when stale reads are not zero (except with `--naive`, plain
//! cache-aside on the same workload). With `--all-paths`, writers take every
//! write path in turn: hooks (also of a model over the table renamed with
//! `#[sql_name]`), raw SQL, transactions and savepoints opened by SQL text,
//! dollar-quoted and escaped literals, on PostgreSQL COPY, CALL, DO,
//! EXECUTE and a view, and on MySQL its comments, `REPLACE`, upserts and
//! a multi-table `UPDATE`.

use cache_diesel::{Cache, CacheConfig, CacheTracking, Checkout, Replicated};
use cache_programs::filtered_lists::{self, FilteredRow, ListRead, Move};
use cache_tests::consistency::{self, Mode, ROWS, Read, Write};
use cache_tests::mariadb_replica::MariaDbPair;
use cache_tests::pg_replica::PgReplica;
use cache_tests::redis_cluster::RedisCluster;
use cache_tests::redis_sentinel::RedisSentinel;
use cache_tests::{db, services};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::cell::RefCell;
use std::convert::Infallible;
use std::process::{Command, ExitCode, Stdio};
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const READERS: usize = 4;
const WRITERS: usize = 2;
const MAX_DELAY: Duration = Duration::from_millis(3);

#[derive(Debug, Clone)]
struct Args {
    db: String,
    cache: String,
    seconds: f64,
    naive: bool,
    /// Writers take every write path in turn (`--all-paths`).
    all_paths: bool,
    /// Kill a master halfway (`--failover`, cluster or sentinel).
    failover: bool,
    /// Readers on the async API (`--async`).
    is_async: bool,
    /// Lists and counts of rows moved between categories (`--filtered-lists`).
    filtered_lists: bool,
    /// Their readers read through a model with id lists (`--id-lists`).
    id_lists: bool,
    /// The cluster's or the sentinels' URL (`--cache cluster|sentinel`;
    /// given to the second process).
    server_url: Option<String>,
    /// Readers on a replica this far behind (`--replica-lag`).
    replica_lag: Option<Duration>,
    /// Readers read the replica without the check (`--replica-unaware`).
    replica_unaware: bool,
    /// The replica's URL (given to the second process).
    replica_url: Option<String>,
    /// Set in the second process: the database location and cache prefix.
    child: Option<(String, String)>,
}

impl Args {
    fn mode(&self) -> Mode {
        match (self.naive, self.all_paths) {
            (true, _) => Mode::Naive,
            (false, true) => Mode::AllPaths,
            (false, false) => Mode::Managed,
        }
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        db: "sqlite".into(),
        cache: "memory".into(),
        seconds: 5.0,
        naive: false,
        all_paths: false,
        failover: false,
        is_async: false,
        filtered_lists: false,
        id_lists: false,
        server_url: None,
        replica_lag: None,
        replica_unaware: false,
        replica_url: None,
        child: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = value()?,
            "--cache" => args.cache = value()?,
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|_| "--seconds takes a number")?
            }
            "--naive" => args.naive = true,
            "--all-paths" => args.all_paths = true,
            "--failover" => args.failover = true,
            "--async" => args.is_async = true,
            "--filtered-lists" => args.filtered_lists = true,
            "--id-lists" => args.id_lists = true,
            "--server-url" => args.server_url = Some(value()?),
            "--replica-lag" => {
                let lag = value()?;
                let ms = lag.strip_suffix("ms").unwrap_or(&lag);
                let ms: u64 = ms
                    .parse()
                    .map_err(|_| "--replica-lag takes milliseconds: 200ms")?;
                args.replica_lag = Some(Duration::from_millis(ms));
            }
            "--replica-unaware" => args.replica_unaware = true,
            "--replica-url" => args.replica_url = Some(value()?),
            "--child" => args.child = Some((value()?, value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["sqlite", "postgres", "mysql"].contains(&args.db.as_str())
        || !["memory", "redis", "tiered", "cluster", "sentinel"].contains(&args.cache.as_str())
        || (args.failover && !["cluster", "sentinel"].contains(&args.cache.as_str()))
        || (args.is_async && (args.db == "mysql" || args.naive))
        || (args.filtered_lists && (args.all_paths || args.is_async))
        || (args.id_lists && !args.filtered_lists)
        || (args.replica_lag.is_some()
            && (args.db == "sqlite" || args.is_async || args.filtered_lists || args.naive))
        || (args.replica_unaware && args.replica_lag.is_none() && args.replica_url.is_none())
    {
        return Err(
            "usage: --db <sqlite|postgres|mysql> --cache <memory|redis|tiered|cluster|sentinel> --seconds N [--naive | --all-paths] [--failover (cluster, sentinel)] [--async (sqlite, postgres)] [--filtered-lists [--id-lists] (not with --all-paths, --async)] [--replica-lag <ms>ms [--replica-unaware] (postgres, mysql; sync, managed)]".into(),
        );
    }
    Ok(args)
}

fn open_postgres(schema: &str) -> PgConnection {
    let url = services::database_url().expect("PostgreSQL reachable");
    let mut conn = PgConnection::establish(&url).expect("PostgreSQL");
    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
        .expect("search_path");
    conn
}

fn open_mysql(database: &str) -> MysqlConnection {
    let server = services::mysql_url().expect("MySQL reachable");
    let url = services::mysql_database_url(&server, database);
    MysqlConnection::establish(&url).expect("MySQL")
}

fn cache_for(args: &Args, prefix: &str) -> Cache {
    let url = match args.cache.as_str() {
        "redis" => services::redis_url().expect("Redis reachable"),
        "tiered" => services::tiered_url().expect("Redis reachable"),
        "cluster" | "sentinel" => args.server_url.clone().expect("the servers are started"),
        _ => "memory://".to_owned(),
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).expect("cache")
}

/// A tokio runtime for one reader or writer thread of the async API.
fn thread_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Opens a diesel-async connection on a runtime (`--async`).
type OpenAsync<'a, A> = &'a (dyn Fn(&Runtime) -> A + Sync);

/// Runs the threads on connections from `open`; returns reads and writes.
/// With `open_async` (`--async`), each reader reads through the async API
/// on a connection of its own, on a current-thread runtime of its thread,
/// and the writers' hook writes (managed mode) are `update_async` on one;
/// the loops are the sync ones ([`consistency::read_rows`],
/// [`consistency::write_while_with`]).
fn run<C, A, F>(
    open: F,
    open_async: Option<OpenAsync<'_, A>>,
    cache: &Cache,
    mode: Mode,
    until: Instant,
    writers: bool,
) -> (Vec<Read>, Vec<Write>)
where
    C: Connection + 'static,
    A: AsyncConnection + 'static,
    F: Fn() -> C + Sync,
    consistency::VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency::consistency_rows::version, i32>>
        + cache_diesel::AsyncModelQueries<A>
        + for<'q> cache_diesel::AsyncUpdateQuery<
            'q,
            A,
            diesel::dsl::Eq<consistency::consistency_rows::version, i32>,
        >,
    consistency::RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<
            C,
            diesel::dsl::Eq<consistency::renamed::renamed_rows::version, i32>,
        >,
{
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| match open_async {
                    Some(open_async) => {
                        let runtime = thread_runtime();
                        let mut conn = open_async(&runtime);
                        conn.set_instrumentation(consistency::delays(MAX_DELAY));
                        consistency::read_loop_async(&runtime, &mut conn, cache, until)
                    }
                    None => {
                        let mut conn = open();
                        consistency::inject_delays(&mut conn, MAX_DELAY);
                        consistency::read_loop(&mut conn, cache, mode, until)
                    }
                })
            })
            .collect();
        let writer_threads: Vec<_> = (0..if writers { WRITERS } else { 0 })
            .map(|w| {
                let open = &open;
                s.spawn(move || {
                    let (mut conn, mine) = writer_of(open, cache, w, ROWS);
                    let go = || Instant::now() < until;
                    match open_async {
                        Some(open_async) if mode == Mode::Managed => {
                            let runtime = thread_runtime();
                            let mut hooks = open_async(&runtime);
                            // (Tracked: a PostgreSQL hook in autocommit then
                            // writes in a transaction of its own.)
                            hooks.set_instrumentation(
                                CacheTracking::for_async_connection::<A>()
                                    .for_caches([cache.clone()]),
                            );
                            let mut hook = consistency::async_hook(&runtime, &mut hooks, cache);
                            consistency::write_while_with(
                                &mut conn, cache, mode, &mine, &go, &mut hook,
                            )
                        }
                        _ => consistency::write_loop(&mut conn, cache, mode, &mine, until),
                    }
                })
            })
            .collect();
        joined(readers, writer_threads)
    })
}

/// An async SQLite connection (`SyncConnectionWrapper`) to the file at `path`.
fn open_async_sqlite(
    path: &str,
) -> impl Fn(&Runtime) -> SyncConnectionWrapper<SqliteConnection> + Sync {
    move |_| SyncConnectionWrapper::new(db::open_sqlite_file(path))
}

/// An `AsyncPgConnection` whose `search_path` is `schema`.
fn open_async_postgres(schema: &str) -> impl Fn(&Runtime) -> AsyncPgConnection + Sync {
    move |runtime| {
        runtime.block_on(async {
            let url = services::database_url().expect("PostgreSQL reachable");
            let mut conn = AsyncPgConnection::establish(&url)
                .await
                .expect("PostgreSQL");
            conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
                .await
                .expect("search_path");
            conn
        })
    }
}

/// [`run`] on the database of `args` at `location`.
fn run_on(
    args: &Args,
    location: &str,
    cache: &Cache,
    until: Instant,
    writers: bool,
) -> (Vec<Read>, Vec<Write>) {
    let mode = args.mode();
    let on = args.is_async;
    if let Some(replica) = &args.replica_url {
        return run_replicated(args, replica, location, cache, until, writers);
    }
    match args.db.as_str() {
        "sqlite" => {
            let open_async = open_async_sqlite(location);
            let open_async = on.then_some(&open_async as OpenAsync<'_, _>);
            let open = || db::open_sqlite_file(location);
            run(open, open_async, cache, mode, until, writers)
        }
        "mysql" => {
            let none: Option<OpenAsync<'_, AsyncPgConnection>> = None;
            run(|| open_mysql(location), none, cache, mode, until, writers)
        }
        _ => {
            let open_async = open_async_postgres(location);
            let open_async = on.then_some(&open_async as OpenAsync<'_, _>);
            let open = || open_postgres(location);
            run(open, open_async, cache, mode, until, writers)
        }
    }
}

/// The filtered-lists workload's threads on connections from `open`;
/// returns its reads and moves.
fn run_lists<C, F>(
    open: F,
    cache: &Cache,
    (mode, id_lists): (Mode, bool),
    until: Instant,
    writers: bool,
) -> (Vec<ListRead>, Vec<Move>)
where
    C: Connection + 'static,
    F: Fn() -> C + Sync,
    FilteredRow:
        cache_diesel::ModelQueries<C> + cache_diesel::UpdateQuery<C, filtered_lists::Change>,
    filtered_lists::IdFilteredRow: cache_diesel::ModelQueries<C>,
{
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = open();
                    consistency::inject_delays(&mut conn, MAX_DELAY);
                    filtered_lists::read_loop(&mut conn, cache, mode, id_lists, until)
                })
            })
            .collect();
        let writer_threads: Vec<_> = (0..if writers { WRITERS } else { 0 })
            .map(|w| {
                let open = &open;
                s.spawn(move || {
                    let (mut conn, mine) = writer_of(open, cache, w, filtered_lists::ROWS);
                    filtered_lists::write_loop(&mut conn, cache, mode, &mine, until)
                })
            })
            .collect();
        joined(readers, writer_threads)
    })
}

/// Writer `w`'s connection (from `open`, tracked for `cache`) and its
/// rows: every `WRITERS`th of `1..=rows`, from `w`.
fn writer_of<C: Connection + 'static>(
    open: impl Fn() -> C,
    cache: &Cache,
    w: usize,
    rows: i32,
) -> (C, Vec<i32>) {
    let mut conn = open();
    conn.set_instrumentation(CacheTracking::for_connection::<C>().for_caches([cache.clone()]));
    let mine = (1..=rows)
        .filter(|id| (*id as usize) % WRITERS == w)
        .collect();
    (conn, mine)
}

/// What the reader and the writer threads did, once they are done.
fn joined<R, W>(
    readers: Vec<ScopedJoinHandle<'_, Vec<R>>>,
    writers: Vec<ScopedJoinHandle<'_, Vec<W>>>,
) -> (Vec<R>, Vec<W>) {
    let reads = readers
        .into_iter()
        .flat_map(|h| h.join().expect("reader"))
        .collect();
    let writes = writers
        .into_iter()
        .flat_map(|h| h.join().expect("writer"))
        .collect();
    (reads, writes)
}

/// [`run_lists`] on the database of `args` at `location`.
fn lists_on(
    args: &Args,
    location: &str,
    cache: &Cache,
    until: Instant,
    writers: bool,
) -> (Vec<ListRead>, Vec<Move>) {
    let mode = (args.mode(), args.id_lists);
    match args.db.as_str() {
        "sqlite" => run_lists(
            || db::open_sqlite_file(location),
            cache,
            mode,
            until,
            writers,
        ),
        "mysql" => run_lists(|| open_mysql(location), cache, mode, until, writers),
        _ => run_lists(|| open_postgres(location), cache, mode, until, writers),
    }
}

/// The second process: readers only, reporting every read on stdout.
fn child(args: &Args, location: &str, prefix: &str) {
    let cache = cache_for(args, prefix);
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    if args.filtered_lists {
        for read in lists_on(args, location, &cache, until, false).0 {
            println!("{}", read.to_line());
        }
    } else {
        for read in run_on(args, location, &cache, until, false).0 {
            println!("{}", read.to_line());
        }
    }
    for line in consistency::replica_lines() {
        println!("{line}");
    }
    println!("failed_reads={}", consistency::failed_reads());
}

/// [`run`] with readers on the replica at `replica_url`: through a
/// [`Replicated`] source (a connection to the replica and one to the
/// primary of each reader's own, lent to it), or the replica's connection
/// alone (`--replica-unaware`). Writers write on the primary.
fn run_replicated(
    args: &Args,
    replica_url: &str,
    location: &str,
    cache: &Cache,
    until: Instant,
    writers: bool,
) -> (Vec<Read>, Vec<Write>) {
    match args.db.as_str() {
        "mysql" => {
            let url = services::mysql_database_url(replica_url, location);
            let open_replica = || MysqlConnection::establish(&url).expect("the replica");
            replicated(
                args,
                open_replica,
                || open_mysql(location),
                cache,
                until,
                writers,
            )
        }
        _ => {
            let open_replica = || {
                let mut conn = PgConnection::establish(replica_url).expect("the replica");
                conn.batch_execute(&format!("SET search_path TO \"{location}\""))
                    .expect("search_path");
                conn
            };
            let open_primary = || open_postgres(location);
            replicated(args, open_replica, open_primary, cache, until, writers)
        }
    }
}

/// [`run_replicated`]'s threads on connections from `open_replica` and
/// `open_primary`.
fn replicated<C, R, P>(
    args: &Args,
    open_replica: R,
    open_primary: P,
    cache: &Cache,
    until: Instant,
    writers: bool,
) -> (Vec<Read>, Vec<Write>)
where
    C: cache_diesel::ReplicaPosition + 'static,
    R: Fn() -> C + Sync,
    P: Fn() -> C + Sync,
    consistency::VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency::consistency_rows::version, i32>>,
    consistency::RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<
            C,
            diesel::dsl::Eq<consistency::renamed::renamed_rows::version, i32>,
        >,
{
    let mode = args.mode();
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let replica = RefCell::new(open_replica());
                    consistency::inject_delays(&mut *replica.borrow_mut(), MAX_DELAY);
                    if args.replica_unaware {
                        return consistency::read_loop(
                            &mut *replica.borrow_mut(),
                            cache,
                            mode,
                            until,
                        );
                    }
                    let primary = RefCell::new(open_primary());
                    consistency::inject_delays(&mut *primary.borrow_mut(), MAX_DELAY);
                    let source = Replicated::new(
                        Checkout(|| Ok::<_, Infallible>(replica.borrow_mut())),
                        Checkout(|| Ok::<_, Infallible>(primary.borrow_mut())),
                    );
                    let reads = consistency::read_loop_from(&source, cache, until);
                    let stats = source.stats();
                    consistency::replica_line(format!(
                        "replica_reads={} replica_behind={} replica_failed={}",
                        stats.replica_reads, stats.replica_behind, stats.replica_failed
                    ));
                    reads
                })
            })
            .collect();
        let writer_threads: Vec<_> = (0..if writers { WRITERS } else { 0 })
            .map(|w| {
                let open_primary = &open_primary;
                s.spawn(move || {
                    let (mut conn, mine) = writer_of(open_primary, cache, w, ROWS);
                    consistency::write_loop(&mut conn, cache, mode, &mine, until)
                })
            })
            .collect();
        joined(readers, writer_threads)
    })
}

fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some((location, prefix)) = &args.child {
        child(&args, location, prefix);
        return ExitCode::SUCCESS;
    }
    let mut own = OwnRedis::start(&args.cache);
    args.server_url = own.as_ref().map(OwnRedis::url);
    let replica = args.replica_lag.map(|lag| match args.db.as_str() {
        "mysql" => {
            // MASTER_DELAY counts whole seconds.
            let seconds = lag.as_millis().div_ceil(1000).max(1) as u32;
            let pair = MariaDbPair::start(seconds).expect("a MariaDB pair of our own");
            // Every MySQL connection of this process and the second one
            // (which inherits it) goes to the pair's primary.
            // SAFETY: no other thread runs yet.
            unsafe { std::env::set_var("MYSQL_URL", pair.primary_url("")) };
            args.replica_url = Some(pair.replica_url(""));
            Replica::MariaDb(pair)
        }
        _ => {
            let url = services::database_url().expect("PostgreSQL reachable");
            let replica = PgReplica::start(&url, lag).expect("a replica of our own");
            args.replica_url = Some(replica.url());
            Replica::Postgres(replica)
        }
    });
    let name = cache_tests::unique::prefix("consistency").to_ascii_lowercase();
    let cache = cache_for(&args, &name);
    let mode = args.mode();
    let location = match args.db.as_str() {
        "sqlite" => {
            let path = db::sqlite_path(&name);
            seed(&args, &mut db::create_sqlite_file(&path));
            path
        }
        "mysql" => {
            let server = services::mysql_url().expect("MySQL reachable");
            let mut conn = MysqlConnection::establish(&server).expect("MySQL");
            conn.batch_execute(&format!("CREATE DATABASE `{name}`"))
                .expect("database");
            seed(&args, &mut open_mysql(&name));
            name.clone()
        }
        _ => {
            let url = services::database_url().expect("PostgreSQL reachable");
            let mut conn = PgConnection::establish(&url).expect("PostgreSQL");
            conn.batch_execute(&format!("CREATE SCHEMA \"{name}\""))
                .expect("schema");
            seed(&args, &mut open_postgres(&name));
            name.clone()
        }
    };
    if let Some(replica) = &replica {
        // The seeded rows on the replica before anyone reads them.
        assert!(
            replica.catch_up(Duration::from_secs(120)),
            "the replica did not catch up"
        );
        println!(
            "replica: {} replaying {:?} behind{}",
            args.replica_url.as_deref().unwrap_or_default(),
            replica.lag(args.replica_lag.unwrap_or_default()),
            if args.replica_unaware {
                ", read without the check"
            } else {
                ""
            }
        );
    }
    println!(
        "consistency: db={} cache={} mode={mode:?}{} api={} seconds={} readers={READERS} writers={WRITERS} max_fill_delay={MAX_DELAY:?}",
        args.db,
        args.cache,
        if args.filtered_lists {
            " workload=filtered-lists"
        } else {
            ""
        },
        if args.is_async { "async" } else { "sync" },
        args.seconds
    );
    let shared = args.cache != "memory";
    let second = shared.then(|| {
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.args([
            "--db",
            &args.db,
            "--cache",
            &args.cache,
            "--seconds",
            &args.seconds.to_string(),
            "--child",
            &location,
            &name,
        ]);
        if args.naive {
            cmd.arg("--naive");
        }
        if args.all_paths {
            cmd.arg("--all-paths");
        }
        if args.is_async {
            cmd.arg("--async");
        }
        if args.filtered_lists {
            cmd.arg("--filtered-lists");
        }
        if args.id_lists {
            cmd.arg("--id-lists");
        }
        if let Some(url) = &args.server_url {
            cmd.args(["--server-url", url]);
        }
        if let Some(url) = &args.replica_url {
            cmd.args(["--replica-url", url]);
            if args.replica_unaware {
                cmd.arg("--replica-unaware");
            }
        }
        cmd.stdout(Stdio::piped()).spawn().expect("second process")
    });
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let failover = args.failover.then(|| {
        let mut own = own
            .take()
            .expect("--failover needs --cache cluster or sentinel");
        let half = Duration::from_secs_f64(args.seconds / 2.0);
        std::thread::spawn(move || {
            std::thread::sleep(half);
            own.fail_over();
            own
        })
    });
    let outcome = match args.filtered_lists {
        false => Outcome::Rows(run_on(&args, &location, &cache, until, true)),
        true => Outcome::Lists(lists_on(&args, &location, &cache, until, true)),
    };
    let mut second_lines = String::new();
    let mut failed = consistency::failed_reads();
    if let Some(child) = second {
        let out = child.wait_with_output().expect("second process output");
        second_lines = String::from_utf8_lossy(&out.stdout).into_owned();
        failed += second_lines
            .lines()
            .find_map(|l| l.strip_prefix("failed_reads="))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    // Kept until the cleanup below.
    let _own = failover.map(|f| f.join().expect("failover thread")).or(own);
    if replica.is_some() {
        let mut totals = [0u64; 3];
        for line in consistency::replica_lines().iter().chain(
            &second_lines
                .lines()
                .filter(|l| l.starts_with("replica_reads="))
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        ) {
            for (total, value) in totals.iter_mut().zip(line.split(' ')) {
                *total += value
                    .split_once('=')
                    .and_then(|(_, n)| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        println!(
            "replica_reads={} replica_behind={} replica_failed={}",
            totals[0], totals[1], totals[2]
        );
    }
    let window_us = if args.cache == "tiered" {
        cache.config().local_window.as_micros() as u64
    } else {
        0
    };
    let (stale, reads, second_reads, writes) = outcome.verdict(&second_lines, window_us);
    println!(
        "processes={} reads_in_second_process={second_reads} window_us_in_second_process={window_us}",
        if shared { 2 } else { 1 },
    );
    cleanup(&args, &location, &cache);
    println!("stale_reads={stale} failed_reads={failed} reads={reads} writes={writes}");
    if (stale > 0 || failed > 0) && !args.naive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The Redis servers a run starts (`--cache cluster|sentinel`).
enum OwnRedis {
    Cluster(RedisCluster),
    Sentinel(RedisSentinel),
}

impl OwnRedis {
    fn start(cache: &str) -> Option<OwnRedis> {
        match cache {
            "cluster" => Some(OwnRedis::Cluster(
                RedisCluster::start(false).expect("a Redis Cluster of our own"),
            )),
            "sentinel" => Some(OwnRedis::Sentinel(
                RedisSentinel::start().expect("Redis under Sentinel of our own"),
            )),
            _ => None,
        }
    }

    fn url(&self) -> String {
        match self {
            OwnRedis::Cluster(cluster) => cluster.url(),
            OwnRedis::Sentinel(deployment) => deployment.url(),
        }
    }

    /// Kills a master and waits until a replica has taken over.
    fn fail_over(&mut self) {
        let killed_us = consistency::now_us();
        let (port, formed) = match self {
            OwnRedis::Cluster(cluster) => {
                let port = cluster.kill_a_master();
                (port, cluster.wait_until_formed().map(|()| port))
            }
            OwnRedis::Sentinel(deployment) => {
                let port = deployment.kill_master();
                (port, deployment.wait_for_new_master(port))
            }
        };
        println!(
            "failover: killed the master on port {port} at {killed_us}; a replica took over \
             {}ms later: {formed:?}",
            (consistency::now_us() - killed_us) / 1000
        );
    }
}

/// The replica a run reads (`--replica-lag`).
enum Replica {
    Postgres(PgReplica),
    MariaDb(MariaDbPair),
}

impl Replica {
    /// Waits until it has replayed what the primary has now.
    fn catch_up(&self, limit: Duration) -> bool {
        match self {
            Replica::Postgres(replica) => replica.catch_up(limit),
            Replica::MariaDb(pair) => pair.catch_up(limit),
        }
    }

    /// How far behind it replays, asked for `lag`.
    fn lag(&self, lag: Duration) -> Duration {
        match self {
            Replica::Postgres(_) => lag,
            Replica::MariaDb(_) => {
                Duration::from_secs(lag.as_millis().div_ceil(1000).max(1) as u64)
            }
        }
    }
}

/// What the first process's threads did, by workload.
enum Outcome {
    Rows((Vec<Read>, Vec<Write>)),
    Lists((Vec<ListRead>, Vec<Move>)),
}

impl Outcome {
    /// Stale reads (the second process's, reported in `second`, count
    /// after `window_us`), reads in all, the second process's, writes.
    fn verdict(&self, second: &str, window_us: u64) -> (usize, usize, usize, usize) {
        match self {
            Outcome::Rows((reads, writes)) => {
                let theirs: Vec<Read> = second.lines().filter_map(Read::from_line).collect();
                let stale = consistency::count_stale(reads, writes)
                    + consistency::count_stale_after(&theirs, writes, window_us);
                (
                    stale,
                    reads.len() + theirs.len(),
                    theirs.len(),
                    writes.len(),
                )
            }
            Outcome::Lists((reads, moves)) => {
                let theirs: Vec<ListRead> =
                    second.lines().filter_map(ListRead::from_line).collect();
                let stale = filtered_lists::count_stale(reads, moves, 0)
                    + filtered_lists::count_stale(&theirs, moves, window_us);
                (stale, reads.len() + theirs.len(), theirs.len(), moves.len())
            }
        }
    }
}

/// Creates the workload's table and rows.
fn seed<C: Connection + 'static>(args: &Args, conn: &mut C) {
    match args.filtered_lists {
        false => consistency::seed(conn),
        true => filtered_lists::seed(conn),
    }
}

fn cleanup(args: &Args, location: &str, cache: &Cache) {
    let _ = cache.clear();
    match args.db.as_str() {
        "sqlite" => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{location}{suffix}"));
            }
        }
        "mysql" => {
            if let Some(url) = services::mysql_url()
                && let Ok(mut conn) = MysqlConnection::establish(&url)
            {
                let _ = conn.batch_execute(&format!("DROP DATABASE `{location}`"));
            }
        }
        _ => {
            if let Some(url) = services::database_url()
                && let Ok(mut conn) = PgConnection::establish(&url)
            {
                let _ = conn.batch_execute(&format!("DROP SCHEMA \"{location}\" CASCADE"));
            }
        }
    }
}
