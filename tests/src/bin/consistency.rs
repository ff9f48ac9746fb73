//! The consistency checker: concurrent readers and writers (threads, and a
//! second process when the cache is Redis) with random delays between each
//! reader's database read and its cache fill; counts stale reads.
//!
//! ```text
//! cargo run --release -p cache-tests --bin consistency -- \
//!     --db <sqlite|postgres|mysql> --cache <memory|redis|tiered|cluster> --seconds N \
//!     [--naive | --all-paths] [--failover] [--async]
//! ```
//!
//! `--async` (SQLite, PostgreSQL): the readers read through the async API
//! (`get_async`), each a task on a tokio runtime of its own thread, on
//! diesel-async connections; the writers are the sync ones.
//!
//! `--cache cluster` starts a Redis Cluster of its own (three masters,
//! three replicas); `--failover` kills one of its masters halfway through
//! (its replica takes over about two seconds later), and the run also
//! counts the reads that failed (`failed_reads`), which must be none.
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
//! 1 when stale reads are not zero (except with `--naive`, the seeds'
//! pattern on the same workload). With `--all-paths`, writers take every
//! write path in turn: hooks (also of a model over the table renamed with
//! `#[sql_name]`), raw SQL, transactions and savepoints opened by SQL text,
//! dollar-quoted and escaped literals, on PostgreSQL COPY, CALL, DO,
//! EXECUTE and a view, and on MySQL its comments, `REPLACE`, upserts and
//! a multi-table `UPDATE`.

use cache_diesel::{Cache, CacheConfig, CacheTracking};
use cache_tests::consistency::{self, Mode, ROWS, Read, Write};
use cache_tests::redis_cluster::RedisCluster;
use cache_tests::{db, services};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

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
    /// Kill a cluster master halfway (`--failover`).
    failover: bool,
    /// Readers on the async API (`--async`).
    nonblocking: bool,
    /// The cluster's URL (`--cache cluster`; given to the second process).
    cluster_url: Option<String>,
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
        nonblocking: false,
        cluster_url: None,
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
            "--async" => args.nonblocking = true,
            "--cluster-url" => args.cluster_url = Some(value()?),
            "--child" => args.child = Some((value()?, value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["sqlite", "postgres", "mysql"].contains(&args.db.as_str())
        || !["memory", "redis", "tiered", "cluster"].contains(&args.cache.as_str())
        || (args.failover && args.cache != "cluster")
        || (args.nonblocking && (args.db == "mysql" || args.naive))
    {
        return Err(
            "usage: --db <sqlite|postgres|mysql> --cache <memory|redis|tiered|cluster> --seconds N [--naive | --all-paths] [--failover (cluster)] [--async (sqlite, postgres)]".into(),
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
        "cluster" => args.cluster_url.clone().expect("the cluster is started"),
        _ => "memory://".to_owned(),
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).expect("cache")
}

/// Readers on the async API: `READERS` threads, each running a
/// current-thread tokio runtime whose one task reads on an async
/// connection (PostgreSQL: `AsyncPgConnection`; SQLite:
/// `SyncConnectionWrapper`), until `until`.
fn read_async(args: &Args, location: &str, cache: &Cache, until: Instant) -> Vec<Read> {
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a tokio runtime");
                    runtime.block_on(async {
                        if args.db == "sqlite" {
                            let mut conn =
                                SyncConnectionWrapper::new(db::open_sqlite_file(location));
                            conn.set_instrumentation(consistency::delays(MAX_DELAY));
                            return consistency::read_loop_async(&mut conn, cache, until).await;
                        }
                        let url = services::database_url().expect("PostgreSQL reachable");
                        let mut conn = AsyncPgConnection::establish(&url)
                            .await
                            .expect("PostgreSQL");
                        conn.batch_execute(&format!("SET search_path TO \"{location}\""))
                            .await
                            .expect("search_path");
                        conn.set_instrumentation(consistency::delays(MAX_DELAY));
                        consistency::read_loop_async(&mut conn, cache, until).await
                    })
                })
            })
            .collect();
        readers
            .into_iter()
            .flat_map(|h| h.join().expect("reader"))
            .collect()
    })
}

/// Runs the threads on connections from `open`; returns reads and writes.
fn run<C, F>(
    open: F,
    cache: &Cache,
    mode: Mode,
    until: Instant,
    writers: bool,
    async_readers: Option<&(dyn Fn() -> Vec<Read> + Sync)>,
) -> (Vec<Read>, Vec<Write>)
where
    C: Connection + 'static,
    F: Fn() -> C + Sync,
    consistency::VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency::consistency_rows::version, i32>>,
    consistency::RenamedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<
            C,
            diesel::dsl::Eq<consistency::renamed::renamed_rows::version, i32>,
        >,
{
    std::thread::scope(|s| {
        let readers: Vec<_> = match async_readers {
            Some(read) => vec![s.spawn(read)],
            None => (0..READERS)
                .map(|_| {
                    s.spawn(|| {
                        let mut conn = open();
                        consistency::inject_delays(&mut conn, MAX_DELAY);
                        consistency::read_loop(&mut conn, cache, mode, until)
                    })
                })
                .collect(),
        };
        let writer_threads: Vec<_> = (0..if writers { WRITERS } else { 0 })
            .map(|w| {
                let open = &open;
                s.spawn(move || {
                    let mut conn = open();
                    conn.set_instrumentation(
                        CacheTracking::for_connection::<C>().for_caches([cache.clone()]),
                    );
                    let mine: Vec<i32> = (1..=ROWS)
                        .filter(|id| (*id as usize) % WRITERS == w)
                        .collect();
                    consistency::write_loop(&mut conn, cache, mode, &mine, until)
                })
            })
            .collect();
        let reads = readers
            .into_iter()
            .flat_map(|h| h.join().expect("reader"))
            .collect();
        let writes = writer_threads
            .into_iter()
            .flat_map(|h| h.join().expect("writer"))
            .collect();
        (reads, writes)
    })
}

/// The second process: readers only, reporting every read on stdout.
fn child(args: &Args, location: &str, prefix: &str) {
    let cache = cache_for(args, prefix);
    let mode = args.mode();
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let read = || read_async(args, location, &cache, until);
    let readers = args
        .nonblocking
        .then_some(&read as &(dyn Fn() -> Vec<Read> + Sync));
    let (reads, _) = match args.db.as_str() {
        "sqlite" => run(
            || db::open_sqlite_file(location),
            &cache,
            mode,
            until,
            false,
            readers,
        ),
        "mysql" => run(|| open_mysql(location), &cache, mode, until, false, readers),
        _ => run(
            || open_postgres(location),
            &cache,
            mode,
            until,
            false,
            readers,
        ),
    };
    for read in reads {
        println!("{}", read.to_line());
    }
    println!("failed_reads={}", consistency::failed_reads());
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
    let mut cluster = (args.cache == "cluster").then(|| {
        let cluster = RedisCluster::start(false).expect("a Redis Cluster of our own");
        args.cluster_url = Some(cluster.url());
        cluster
    });
    let name = cache_tests::unique::prefix("consistency").to_ascii_lowercase();
    let cache = cache_for(&args, &name);
    let mode = args.mode();
    let location = match args.db.as_str() {
        "sqlite" => {
            let path = db::sqlite_path(&name);
            consistency::seed(&mut db::create_sqlite_file(&path));
            path
        }
        "mysql" => {
            let server = services::mysql_url().expect("MySQL reachable");
            let mut conn = MysqlConnection::establish(&server).expect("MySQL");
            conn.batch_execute(&format!("CREATE DATABASE `{name}`"))
                .expect("database");
            consistency::seed(&mut open_mysql(&name));
            name.clone()
        }
        _ => {
            let url = services::database_url().expect("PostgreSQL reachable");
            let mut conn = PgConnection::establish(&url).expect("PostgreSQL");
            conn.batch_execute(&format!("CREATE SCHEMA \"{name}\""))
                .expect("schema");
            consistency::seed(&mut open_postgres(&name));
            name.clone()
        }
    };
    println!(
        "consistency: db={} cache={} mode={mode:?} async_readers={} seconds={} readers={READERS} writers={WRITERS} max_fill_delay={MAX_DELAY:?}",
        args.db, args.cache, args.nonblocking, args.seconds
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
        if args.nonblocking {
            cmd.arg("--async");
        }
        if let Some(url) = &args.cluster_url {
            cmd.args(["--cluster-url", url]);
        }
        cmd.stdout(Stdio::piped()).spawn().expect("second process")
    });
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let failover = args.failover.then(|| {
        let mut cluster = cluster.take().expect("--failover needs --cache cluster");
        let half = Duration::from_secs_f64(args.seconds / 2.0);
        std::thread::spawn(move || {
            std::thread::sleep(half);
            let port = cluster.kill_a_master();
            let killed_us = consistency::now_us();
            let formed = cluster.wait_until_formed();
            println!(
                "failover: killed the master on port {port} at {killed_us}; cluster formed again \
                 {}ms later: {formed:?}",
                (consistency::now_us() - killed_us) / 1000
            );
            cluster
        })
    });
    let read = || read_async(&args, &location, &cache, until);
    let readers = args
        .nonblocking
        .then_some(&read as &(dyn Fn() -> Vec<Read> + Sync));
    let (mut reads, writes) = match args.db.as_str() {
        "sqlite" => run(
            || db::open_sqlite_file(&location),
            &cache,
            mode,
            until,
            true,
            readers,
        ),
        "mysql" => run(|| open_mysql(&location), &cache, mode, until, true, readers),
        _ => run(
            || open_postgres(&location),
            &cache,
            mode,
            until,
            true,
            readers,
        ),
    };
    let mut second_reads = Vec::new();
    let mut failed = consistency::failed_reads();
    if let Some(child) = second {
        let out = child.wait_with_output().expect("second process output");
        let out = String::from_utf8_lossy(&out.stdout);
        second_reads.extend(out.lines().filter_map(Read::from_line));
        failed += out
            .lines()
            .find_map(|l| l.strip_prefix("failed_reads="))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    // Kept until the cleanup below.
    let _cluster = failover
        .map(|f| f.join().expect("failover thread"))
        .or(cluster);
    let window_us = if args.cache == "tiered" {
        cache.config().local_window.as_micros() as u64
    } else {
        0
    };
    let stale = consistency::count_stale(&reads, &writes)
        + consistency::count_stale_after(&second_reads, &writes, window_us);
    println!(
        "processes={} reads_in_second_process={} window_us_in_second_process={window_us}",
        if shared { 2 } else { 1 },
        second_reads.len()
    );
    reads.extend(second_reads);
    cleanup(&args, &location, &cache);
    println!(
        "stale_reads={stale} failed_reads={failed} reads={} writes={}",
        reads.len(),
        writes.len()
    );
    if (stale > 0 || failed > 0) && !args.naive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
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
