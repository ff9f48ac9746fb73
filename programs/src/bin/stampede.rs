//! Concurrent misses on one cold key whose query takes a deliberate 50 ms.
//!
//! ```text
//! cargo run --release -p cache-programs --bin stampede -- \
//!     --cache <memory|redis|tiered|cluster> --threads 64 --processes <1|2> [--no-protection] [--async]
//! ```
//!
//! `--async`: the reads are tasks on a tokio runtime (two worker threads)
//! calling the async API (`get_async`) on diesel-async's
//! `SyncConnectionWrapper` connections, `--threads` of them.
//!
//! `--cache cluster` starts a Redis Cluster of its own (three masters,
//! three replicas).
//!
//! ```text
//! ```
//!
//! With protection (the model manager: single-flight in each process, a
//! lease across processes on Redis) the database sees one query (at most one
//! per process if a lease times out, and one per process on the in-process
//! cache, which processes do not share). `--no-protection` runs plain
//! cache-aside (get; on a miss query and set) on the same run. The last line is
//! `db_queries=<n> requests=<n>`.

use cache_diesel::{Cache, CacheConfig, Timeout};
use cache_tests::consistency::VersionedRowCache;
use cache_tests::redis_cluster::RedisCluster;
use cache_tests::services;
use cache_tests::slow_db::SlowDb;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const QUERY_TIME: Duration = Duration::from_millis(50);

struct Args {
    cache: String,
    threads: usize,
    processes: usize,
    protection: bool,
    /// Tasks on the async API instead of threads on the sync one.
    is_async: bool,
    /// The cluster's URL (`--cache cluster`; given to the second process).
    cluster_url: Option<String>,
    /// In the second process: the database file, the key prefix, the start time.
    child: Option<(String, String, u64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        cache: "memory".into(),
        threads: 64,
        processes: 1,
        protection: true,
        is_async: false,
        cluster_url: None,
        child: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cache" => args.cache = value()?,
            "--threads" => {
                args.threads = value()?.parse().map_err(|_| "--threads takes a number")?
            }
            "--processes" => {
                args.processes = value()?.parse().map_err(|_| "--processes takes 1 or 2")?
            }
            "--no-protection" => args.protection = false,
            "--async" => args.is_async = true,
            "--cluster-url" => args.cluster_url = Some(value()?),
            "--child" => {
                let (path, prefix, start) = (value()?, value()?, value()?);
                args.child = Some((path, prefix, start.parse().map_err(|_| "bad start time")?));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["memory", "redis", "tiered", "cluster"].contains(&args.cache.as_str())
        || !(1..=2).contains(&args.processes)
        || args.threads == 0
        || (args.is_async && !args.protection)
    {
        return Err(
            "usage: --cache <memory|redis|tiered|cluster> --threads N --processes <1|2> [--no-protection | --async]"
                .into(),
        );
    }
    Ok(args)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn cache(args: &Args, prefix: &str) -> Cache {
    let url = match args.cache.as_str() {
        "redis" => services::redis_url().expect("Redis reachable"),
        "tiered" => services::tiered_url().expect("Redis reachable"),
        "cluster" => args.cluster_url.clone().expect("the cluster is started"),
        _ => "memory://".into(),
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).expect("cache")
}

/// Fires `threads` concurrent reads of row 1 at `start_ms`; returns the
/// database queries this process ran.
fn fire(args: &Args, db: &SlowDb, cache: &Cache, start_ms: u64) -> usize {
    if args.is_async {
        return fire_tasks(args, db, cache, start_ms);
    }
    let manager = VersionedRowCache::new(cache.clone());
    let direct = VersionedRowCache::new(Cache::from_url("dummy://").expect("dummy"));
    let barrier = Barrier::new(args.threads);
    std::thread::scope(|s| {
        for _ in 0..args.threads {
            s.spawn(|| {
                let mut conn = db.connect();
                barrier.wait();
                std::thread::sleep(Duration::from_millis(start_ms.saturating_sub(now_ms())));
                let row = if args.protection {
                    manager.get(&mut conn, 1)
                } else {
                    match cache.get("row:1") {
                        Ok(Some(hit)) => Ok(hit),
                        _ => direct.get(&mut conn, 1).inspect(|row| {
                            let _ = cache.set("row:1", row, Timeout::Default);
                        }),
                    }
                };
                assert_eq!(row.expect("read").version, 7);
            });
        }
    });
    db.selects.load(Ordering::SeqCst)
}

/// [`fire`] with tasks on the async API.
fn fire_tasks(args: &Args, db: &SlowDb, cache: &Cache, start_ms: u64) -> usize {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let manager = Arc::new(VersionedRowCache::new(cache.clone()));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..args.threads)
            .map(|_| {
                let mut conn = SyncConnectionWrapper::new(db.connect());
                let manager = manager.clone();
                tokio::spawn(async move {
                    let wait = Duration::from_millis(start_ms.saturating_sub(now_ms()));
                    tokio::time::sleep(wait).await;
                    let row = manager.get_async(&mut conn, 1).await;
                    assert_eq!(row.expect("read").version, 7);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a read task");
        }
    });
    db.selects.load(Ordering::SeqCst)
}

fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some((path, prefix, start)) = &args.child {
        let db = SlowDb::open(path, QUERY_TIME);
        println!(
            "db_queries={}",
            fire(&args, &db, &cache(&args, prefix), *start)
        );
        return ExitCode::SUCCESS;
    }
    let _cluster = (args.cache == "cluster").then(|| {
        let cluster = RedisCluster::start(false).expect("a Redis Cluster of our own");
        args.cluster_url = Some(cluster.url());
        cluster
    });
    let db = SlowDb::new("stampede", QUERY_TIME);
    let prefix = cache_tests::unique::prefix("stampede");
    let cache = cache(&args, &prefix);
    let start = now_ms() + 500; // both processes fire at once
    println!(
        "stampede: cache={} threads={} processes={} protection={} async={} query_time={QUERY_TIME:?}",
        args.cache, args.threads, args.processes, args.protection, args.is_async
    );
    let second = (args.processes == 2).then(|| {
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.args([
            "--cache",
            &args.cache,
            "--threads",
            &args.threads.to_string(),
        ]);
        cmd.args(["--child", &db.path, &prefix, &start.to_string()]);
        if let Some(url) = &args.cluster_url {
            cmd.args(["--cluster-url", url]);
        }
        if !args.protection {
            cmd.arg("--no-protection");
        }
        if args.is_async {
            cmd.arg("--async");
        }
        cmd.stdout(Stdio::piped()).spawn().expect("second process")
    });
    let mut queries = fire(&args, &db, &cache, start);
    println!("process 1: db_queries={queries}");
    if let Some(child) = second {
        let out = child.wait_with_output().expect("second process");
        let text = String::from_utf8_lossy(&out.stdout);
        let theirs: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("db_queries=")?.parse().ok())
            .expect("the second process reports its queries");
        println!("process 2: db_queries={theirs}");
        queries += theirs;
    }
    let _ = cache.clear();
    println!(
        "db_queries={queries} requests={}",
        args.threads * args.processes
    );
    ExitCode::SUCCESS
}
