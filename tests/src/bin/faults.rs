//! Fault injection: the managers' readers and writers while Redis dies,
//! hangs and is cut off, with a truth check on every read.
//!
//! ```text
//! cargo run --release -p cache-tests --bin faults -- [--db postgres|sqlite] [--seconds 20] [--local]
//! ```
//!
//! `--local` puts a local tier in front of Redis (`local=16m`): its
//! tracking connection goes through the same proxy, so it dies, hangs and
//! is cut off with Redis.
//!
//! Starts its own `redis-server` on a free port, reached through a TCP
//! proxy. 8 readers and 2 writers (hook updates and raw SQL on tracked
//! connections) run first over `dummy://` (the baseline: the database
//! alone), then over Redis while, in turn, Redis is killed (and restarted
//! empty), stopped (SIGSTOP, then SIGCONT) and cut off at the proxy, each
//! for a quarter of `--seconds`. One line per fault:
//!
//! `fault=<kill|stop|partition> failed_reads=<n> stale_reads=<n> reads=<n> reads_per_s_ratio=<r> recovery_ms=<n>`
//!
//! `reads` and `reads_per_s_ratio` (reads/s while faulted over the
//! baseline's) cover the faulted window; failed and stale reads the whole
//! phase; `recovery_ms` is how long after the fault ended the first cache
//! hit came. The exit code is 1 when a read failed or was stale.

use cache_diesel::{Cache, CacheConfig, CacheTracking};
use cache_tests::consistency::{self, Mode, ROWS, Read, VersionedRowCache, Write, now_us};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::RedisServer;
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const READERS: usize = 8;
const WRITERS: usize = 2;

/// A reader's outcome: when it began, and what it was served (`None`: it failed).
type Outcome = (u64, Option<Read>);

struct Run {
    outcomes: Vec<Outcome>,
    writes: Vec<Write>,
}

fn parse_args() -> Result<(String, f64, bool), String> {
    let (mut db, mut seconds, mut local) = ("postgres".to_owned(), 20.0, false);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => db = value()?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds takes a number")?,
            "--local" => local = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["postgres", "sqlite"].contains(&db.as_str()) || seconds < 4.0 {
        return Err("usage: faults [--db postgres|sqlite] [--seconds N>=4] [--local]".into());
    }
    Ok((db, seconds, local))
}

/// Where the rows live: a PostgreSQL schema or a SQLite file of this run's own.
enum Location {
    Postgres(String),
    Sqlite(String),
}

fn open_pg(schema: &str) -> PgConnection {
    let url = services::database_url().expect("PostgreSQL reachable");
    let mut conn = PgConnection::establish(&url).expect("PostgreSQL");
    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
        .expect("search_path");
    conn
}

fn reader<C: Connection + 'static>(conn: &mut C, cache: &Cache, stop: &AtomicBool) -> Vec<Outcome>
where
    consistency::VersionedRow: cache_diesel::ModelQueries<C>,
{
    let manager = VersionedRowCache::new(cache.clone());
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let id = rand::random_range(1..=ROWS);
        let began_us = now_us();
        let read = manager.get(conn, id).ok().map(|row| Read {
            id,
            began_us,
            version: row.version,
        });
        out.push((began_us, read));
    }
    out
}

/// Runs the readers and writers over `cache` while `schedule` runs on this
/// thread; stops them when it returns.
fn run<C, F>(open: F, cache: &Cache, schedule: impl FnOnce()) -> Run
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
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| s.spawn(|| reader(&mut open(), cache, &stop)))
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (open, stop) = (&open, &stop);
                s.spawn(move || {
                    let mut conn = open();
                    conn.set_instrumentation(
                        CacheTracking::for_connection::<C>().for_caches([cache.clone()]),
                    );
                    let mine: Vec<i32> = (1..=ROWS)
                        .filter(|id| (*id as usize) % WRITERS == w)
                        .collect();
                    let go = || !stop.load(Ordering::Relaxed);
                    consistency::write_while(&mut conn, cache, Mode::Managed, &mine, &go)
                })
            })
            .collect();
        schedule();
        stop.store(true, Ordering::Relaxed);
        Run {
            outcomes: readers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect(),
            writes: writers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect(),
        }
    })
}

/// One fault's phase: when it was applied and lifted, when the first hit came after.
struct Phase {
    name: &'static str,
    start_us: u64,
    faulted_us: (u64, u64),
    recovery_ms: Option<u64>,
}

fn main() -> ExitCode {
    let (db_kind, seconds, local) = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let window = Duration::from_secs_f64(seconds / 4.0);
    let name = unique::prefix("faults").to_ascii_lowercase();
    let location = match db_kind.as_str() {
        "postgres" => {
            let url = services::database_url().expect("PostgreSQL reachable");
            PgConnection::establish(&url)
                .expect("PostgreSQL")
                .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
                .expect("schema");
            consistency::seed(&mut open_pg(&name));
            Location::Postgres(name.clone())
        }
        _ => {
            let path = db::sqlite_path(&name);
            consistency::seed(&mut db::create_sqlite_file(&path));
            Location::Sqlite(path)
        }
    };
    let mut server = RedisServer::start(&[]).expect("redis-server");
    let proxy = Proxy::start(&format!("127.0.0.1:{}", server.port()));
    let mut config = CacheConfig::from_url(&format!("redis://127.0.0.1:{}", proxy.port())).unwrap();
    config.key_prefix = name.clone();
    if local {
        config.local_tier = Some(16 << 20);
    }
    let redis = Cache::new(config).expect("cache");
    let dummy = Cache::from_url("dummy://").unwrap();
    println!(
        "faults: db={db_kind} readers={READERS} writers={WRITERS} window={window:?} local_tier={local} redis=127.0.0.1:{} via proxy {}",
        server.port(),
        proxy.port()
    );

    let go = |cache: &Cache, schedule: &mut dyn FnMut()| match &location {
        Location::Postgres(schema) => run(|| open_pg(schema), cache, schedule),
        Location::Sqlite(path) => run(|| db::open_sqlite_file(path), cache, schedule),
    };
    let baseline_from = now_us();
    let baseline = go(&dummy, &mut || std::thread::sleep(window));
    let baseline_rate = rate(&baseline.outcomes, (baseline_from, now_us()));
    println!("baseline: cache=dummy:// reads_per_s={baseline_rate:.0}");

    let mut phases = Vec::new();
    let faulted = go(&redis, &mut || {
        for name in ["kill", "stop", "partition"] {
            let start_us = now_us();
            std::thread::sleep(Duration::from_secs(1)); // warm: hits again
            let from = now_us();
            match name {
                "kill" => server.kill(),
                "stop" => server.stop(),
                _ => proxy.cut(),
            }
            std::thread::sleep(window);
            match name {
                "kill" => server.restart(),
                "stop" => server.cont(),
                _ => proxy.restore(),
            }
            let lifted = now_us();
            let hits = redis.stats().hits;
            let recovery_ms =
                wait_for_hit(&redis, hits, Duration::from_secs(10)).map(|at| (at - lifted) / 1000);
            std::thread::sleep(Duration::from_secs(1));
            phases.push(Phase {
                name,
                start_us,
                faulted_us: (from, lifted),
                recovery_ms,
            });
        }
    });

    let mut ok = true;
    for (i, phase) in phases.iter().enumerate() {
        let end = phases.get(i + 1).map_or(u64::MAX, |p| p.start_us);
        let in_phase: Vec<&Outcome> = faulted
            .outcomes
            .iter()
            .filter(|(at, _)| (phase.start_us..end).contains(at))
            .collect();
        let failed = in_phase.iter().filter(|(_, r)| r.is_none()).count();
        let reads: Vec<Read> = in_phase.iter().filter_map(|(_, r)| *r).collect();
        let stale = consistency::count_stale(&reads, &faulted.writes);
        let during = faulted
            .outcomes
            .iter()
            .filter(|(at, _)| (phase.faulted_us.0..phase.faulted_us.1).contains(at))
            .count();
        let ratio = rate(&faulted.outcomes, phase.faulted_us) / baseline_rate.max(1.0);
        ok &= failed == 0 && stale == 0;
        println!(
            "fault={} failed_reads={failed} stale_reads={stale} reads={during} reads_per_s_ratio={ratio:.2} recovery_ms={}",
            phase.name,
            phase.recovery_ms.map_or("none".into(), |ms| ms.to_string())
        );
    }
    println!("writes={}", faulted.writes.len());
    let _ = redis.clear();
    drop(server);
    match &location {
        Location::Postgres(schema) => {
            let url = services::database_url().expect("PostgreSQL reachable");
            if let Ok(mut conn) = PgConnection::establish(&url) {
                let _ = conn.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"));
            }
        }
        Location::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Successful and failed reads per second that began within `(from, to)` µs.
fn rate(outcomes: &[Outcome], (from, to): (u64, u64)) -> f64 {
    let n = outcomes
        .iter()
        .filter(|(at, _)| (from..to).contains(at))
        .count();
    n as f64 / ((to - from) as f64 / 1e6).max(1e-3)
}

/// When (µs) the cache counted a hit past `hits`, polling every 5 ms.
fn wait_for_hit(cache: &Cache, hits: u64, max: Duration) -> Option<u64> {
    let deadline = Instant::now() + max;
    while Instant::now() < deadline {
        if cache.stats().hits > hits {
            return Some(now_us());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}
