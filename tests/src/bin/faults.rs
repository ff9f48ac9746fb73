//! Fault injection: the managers' readers and writers while Redis dies,
//! hangs, is cut off, fills up, is demoted, holds writes and drops idle
//! connections, with a truth check on every read.
//!
//! ```text
//! cargo run --release -p cache-tests --bin faults -- [--db postgres|sqlite] [--seconds 20] [--local] [--faults kill,oom,..]
//! ```
//!
//! Starts its own `redis-server` on a free port, reached through a TCP
//! proxy. 8 readers and 2 writers (hook updates and raw SQL on tracked
//! connections) run first over `dummy://` (the baseline: the database
//! alone), then over Redis while each fault of [`FAULTS`] (or those named
//! by `--faults`) is applied in turn. The readers share one `Cache` and the
//! writers another (the same URL and prefix, each its own `Cache::new`: its
//! own pool, breaker and owed bumps), as two processes would: a writer's
//! own cache bypasses what it owes, so a stale read shows in another
//! process, here the readers'.
//!
//! | fault | what is done to Redis | lifted by |
//! |---|---|---|
//! | `kill` | SIGKILL | a new, empty server on the same port |
//! | `stop` | SIGSTOP (connections accepted, nothing answered) | SIGCONT |
//! | `partition` | the proxy closes every connection and refuses new ones | the proxy accepts again |
//! | `oom` | `CONFIG SET maxmemory 1` (`noeviction`: writes that allocate get `OOM`, `DEL` is taken) | `CONFIG SET maxmemory 0` |
//! | `readonly` | `REPLICAOF 127.0.0.1 <a closed port>` (keeps its data, serves reads; writes get `READONLY`) | `REPLICAOF NO ONE` |
//! | `pause-writes` | `CLIENT PAUSE <ms> WRITE` (writes held, reads answered) | `CLIENT UNPAUSE` |
//! | `idle-timeout` | `CONFIG SET timeout 1` while readers and writers are idle for 2.5 s (or until the server closed every connection, 7.5 s at most); the faulted window is the burst of reads after | `CONFIG SET timeout 0` |
//!
//! Admin commands go straight to the server, not through the proxy. A
//! fault is one entry of [`FAULTS`]: a name, a start and an end.
//! `CONSISTENCY_SHOW_STALE=1` prints every stale read, each phase's times
//! and the readers' stats before and after each fault on stderr.
//! `--local` puts a local tier in front of Redis (`local=16m`) in both
//! caches: its tracking connection goes through the same proxy, so it
//! dies, hangs and is cut off with Redis; the readers' reads may then be a
//! local window (10 ms) behind a write, as another process's are, and
//! count as stale only past it. Each fault lasts `--seconds` over one more
//! than the number of faults (the baseline's share). One line per fault:
//!
//! `fault=<name> failed_reads=<n> stale_reads=<n> reads=<n> reads_per_s_ratio=<r> recovery_ms=<n> hits=<n> uncached=<n>`
//!
//! `reads`, `reads_per_s_ratio` (reads/s while faulted over the
//! baseline's), `hits` (the readers' cache hits) and `uncached` (their
//! reads sent to the database because the cache failed) cover the faulted
//! window; failed and stale reads the whole phase; `recovery_ms` is how
//! long after the fault was lifted the readers' first cache hit came. The
//! exit code is 1 when a read failed or was stale.

use cache_diesel::{Cache, CacheConfig, CacheTracking};
use cache_tests::consistency::{self, Mode, ROWS, Read, VersionedRowCache, Write, now_us};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::{self, RedisServer};
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const READERS: usize = 8;
const WRITERS: usize = 2;
/// How long readers and writers stay idle under `idle-timeout` at least.
const IDLE: Duration = Duration::from_millis(2500);

/// A fault: its name, how it is applied and how it is lifted.
struct Fault {
    name: &'static str,
    start: fn(&mut Target<'_>),
    end: fn(&mut Target<'_>),
}

/// The faults, in the order they are applied.
const FAULTS: &[Fault] = &[
    Fault {
        name: "kill",
        start: |t| t.server.kill(),
        end: |t| t.server.restart(),
    },
    Fault {
        name: "stop",
        start: |t| t.server.stop(),
        end: |t| t.server.cont(),
    },
    Fault {
        name: "partition",
        start: |t| t.proxy.cut(),
        end: |t| t.proxy.restore(),
    },
    Fault {
        name: "oom",
        start: |t| t.admin(&["CONFIG", "SET", "maxmemory", "1"]),
        end: |t| t.admin(&["CONFIG", "SET", "maxmemory", "0"]),
    },
    Fault {
        name: "readonly",
        start: |t| {
            let nobody = redis_server::free_port().expect("a free port").to_string();
            t.admin(&["REPLICAOF", "127.0.0.1", &nobody])
        },
        end: |t| t.admin(&["REPLICAOF", "NO", "ONE"]),
    },
    Fault {
        name: "pause-writes",
        // Far longer than the window: UNPAUSE ends it.
        start: |t| t.admin(&["CLIENT", "PAUSE", "600000", "WRITE"]),
        end: |t| t.admin(&["CLIENT", "UNPAUSE"]),
    },
    Fault {
        name: "idle-timeout",
        start: idle_out,
        end: |t| t.admin(&["CONFIG", "SET", "timeout", "0"]),
    },
];

/// What a fault acts on.
struct Target<'a> {
    server: &'a mut RedisServer,
    proxy: &'a Proxy,
    /// Readers and writers do nothing while it is set.
    idle: &'a AtomicBool,
}

impl Target<'_> {
    /// An admin command, straight to the server.
    fn admin(&self, args: &[&str]) {
        if let Err(e) = self.server.command(args) {
            panic!("{}: {e}", args.join(" "));
        }
    }

    /// The server's connections but the question's own: how many have
    /// been idle for a second or more (the idle timeout closes them; a
    /// subscriber it never closes is not counted), and how many are active
    /// (a local tier's tracking connection, which pings).
    fn connections(&self) -> Option<(usize, usize)> {
        let list = self.server.command(&["CLIENT", "LIST"]).ok()?;
        let list: String = redis::from_redis_value(list).ok()?;
        let field = |line: &str, name: &str| {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or("")
                .to_owned()
        };
        let others = list.lines().filter(|l| field(l, "cmd") != "client|list");
        let (idle, active): (Vec<&str>, Vec<&str>) = others.partition(|l| {
            field(l, "idle").parse::<u64>().is_ok_and(|s| s >= 1)
                && !field(l, "flags").contains('P')
        });
        Some((idle.len(), active.len()))
    }
}

/// `idle-timeout`'s start: the server closes connections idle for a second
/// while readers and writers are idle, for [`IDLE`] and then until it has
/// closed every idle one (5 s more at most); they resume when it returns.
fn idle_out(t: &mut Target<'_>) {
    t.admin(&["CONFIG", "SET", "timeout", "1"]);
    t.idle.store(true, Ordering::SeqCst);
    let since = Instant::now();
    std::thread::sleep(IDLE);
    let mut open = t.connections();
    while open.is_none_or(|(idle, _)| idle > 0) && since.elapsed() < IDLE + Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(100));
        open = t.connections();
    }
    let (idle, active) = open.map_or(("?".into(), "?".into()), |(i, a)| {
        (i.to_string(), a.to_string())
    });
    println!(
        "idle-timeout: after {} ms idle the server had {idle} idle connection(s) left open \
         and {active} active one(s) (a local tier's tracking connection pings)",
        since.elapsed().as_millis(),
    );
    t.idle.store(false, Ordering::SeqCst);
}

/// A reader's outcome: when it began, and what it was served (`None`: it failed).
type Outcome = (u64, Option<Read>);

struct Run {
    outcomes: Vec<Outcome>,
    writes: Vec<Write>,
}

struct Args {
    db: String,
    seconds: f64,
    local: bool,
    faults: Vec<&'static Fault>,
}

fn parse_args() -> Result<Args, String> {
    let (mut db, mut seconds, mut local) = ("postgres".to_owned(), 20.0, false);
    let mut faults: Vec<&'static Fault> = FAULTS.iter().collect();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => db = value()?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds takes a number")?,
            "--local" => local = true,
            "--faults" => {
                faults = value()?
                    .split(',')
                    .map(|name| {
                        FAULTS.iter().find(|f| f.name == name).ok_or(format!(
                            "no fault {name}: {}",
                            FAULTS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                        ))
                    })
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["postgres", "sqlite"].contains(&db.as_str()) || seconds / ((faults.len() + 1) as f64) < 0.5
    {
        return Err(format!(
            "usage: faults [--db postgres|sqlite] [--seconds N>=0.5*(faults+1)] [--local] [--faults {}]",
            FAULTS.iter().map(|f| f.name).collect::<Vec<_>>().join(",")
        ));
    }
    Ok(Args {
        db,
        seconds,
        local,
        faults,
    })
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

/// Reads random rows through `cache` until `stop`, doing nothing while `idle`.
fn reader<C: Connection + 'static>(
    conn: &mut C,
    cache: &Cache,
    stop: &AtomicBool,
    idle: &AtomicBool,
) -> Vec<Outcome>
where
    consistency::VersionedRow: cache_diesel::ModelQueries<C>,
{
    let manager = VersionedRowCache::new(cache.clone());
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if idle.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
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

/// The readers' cache and the writers' (tracked connections and hooks):
/// two `Cache`s over the same store, as two processes have.
struct Caches<'a> {
    readers: &'a Cache,
    writers: &'a Cache,
}

/// Runs the readers and writers while `schedule` runs on this thread;
/// stops them when it returns. Both do nothing while `idle` is set.
fn run<C, F>(open: F, caches: Caches<'_>, idle: &AtomicBool, schedule: impl FnOnce()) -> Run
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
            .map(|_| s.spawn(|| reader(&mut open(), caches.readers, &stop, idle)))
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (open, stop, cache) = (&open, &stop, caches.writers);
                s.spawn(move || {
                    let mut conn = open();
                    conn.set_instrumentation(
                        CacheTracking::for_connection::<C>().for_caches([cache.clone()]),
                    );
                    let mine: Vec<i32> = (1..=ROWS)
                        .filter(|id| (*id as usize) % WRITERS == w)
                        .collect();
                    let go = || {
                        while idle.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        !stop.load(Ordering::Relaxed)
                    };
                    consistency::write_while(&mut conn, cache, Mode::Managed, &mine, &go)
                })
            })
            .collect();
        {
            // Set even when `schedule` panics (an admin command refused, say):
            // the scope waits for every thread before it lets the panic out.
            let _stop = StopOnDrop(&stop);
            schedule();
        }
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

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// One fault's phase: when it began, when the fault was applied and
/// lifted, when the first hit came after, the readers' hits and reads
/// served uncached (the cache failed) meanwhile.
struct Phase {
    name: &'static str,
    start_us: u64,
    faulted_us: (u64, u64),
    recovery_ms: Option<u64>,
    hits: u64,
    uncached: u64,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let window = Duration::from_secs_f64(args.seconds / (args.faults.len() + 1) as f64);
    let name = unique::prefix("faults").to_ascii_lowercase();
    let location = match args.db.as_str() {
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
    if args.local {
        config.local_tier = Some(16 << 20);
    }
    // A reader may be a local window behind a write of another process.
    let window_us = if args.local {
        config.local_window.as_micros() as u64
    } else {
        0
    };
    let readers = Cache::new(config.clone()).expect("the readers' cache");
    let writers = Cache::new(config).expect("the writers' cache");
    let dummy = Cache::from_url("dummy://").unwrap();
    println!(
        "faults: db={} readers={READERS} writers={WRITERS} window={window:?} local_tier={} \
         stale_after_us={window_us} redis=127.0.0.1:{} via proxy {}",
        args.db,
        args.local,
        server.port(),
        proxy.port()
    );

    let idle = AtomicBool::new(false);
    let go = |caches: Caches<'_>, schedule: &mut dyn FnMut()| match &location {
        Location::Postgres(schema) => run(|| open_pg(schema), caches, &idle, schedule),
        Location::Sqlite(path) => run(|| db::open_sqlite_file(path), caches, &idle, schedule),
    };
    let baseline_from = now_us();
    let both_dummy = Caches {
        readers: &dummy,
        writers: &dummy,
    };
    let baseline = go(both_dummy, &mut || std::thread::sleep(window));
    let baseline_rate = rate(&baseline.outcomes, (baseline_from, now_us()));
    println!("baseline: cache=dummy:// reads_per_s={baseline_rate:.0}");

    let mut phases = Vec::new();
    let caches = Caches {
        readers: &readers,
        writers: &writers,
    };
    let faulted = go(caches, &mut || {
        let mut target = Target {
            server: &mut server,
            proxy: &proxy,
            idle: &idle,
        };
        for fault in &args.faults {
            let start_us = now_us();
            std::thread::sleep(Duration::from_secs(1)); // warm: hits again
            (fault.start)(&mut target);
            let (from, before) = (now_us(), readers.stats());
            std::thread::sleep(window);
            let after = readers.stats();
            let hits = after.hits - before.hits;
            if std::env::var_os("CONSISTENCY_SHOW_STALE").is_some() {
                eprintln!("{}: readers' stats before {before:?}", fault.name);
                eprintln!("{}: readers' stats after  {after:?}", fault.name);
            }
            let uncached = after.uncached - before.uncached;
            (fault.end)(&mut target);
            let lifted = now_us();
            let recovery_ms = wait_for_hit(&readers, readers.stats().hits, Duration::from_secs(10))
                .map(|at| (at - lifted) / 1000);
            std::thread::sleep(Duration::from_secs(1));
            phases.push(Phase {
                name: fault.name,
                start_us,
                faulted_us: (from, lifted),
                recovery_ms,
                hits,
                uncached,
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
        let stale = consistency::count_stale_after(&reads, &faulted.writes, window_us);
        let during = faulted
            .outcomes
            .iter()
            .filter(|(at, _)| (phase.faulted_us.0..phase.faulted_us.1).contains(at))
            .count();
        let ratio = rate(&faulted.outcomes, phase.faulted_us) / baseline_rate.max(1.0);
        ok &= failed == 0 && stale == 0;
        if std::env::var_os("CONSISTENCY_SHOW_STALE").is_some() {
            eprintln!(
                "phase {}: began {} applied {} lifted {} ended {end}",
                phase.name, phase.start_us, phase.faulted_us.0, phase.faulted_us.1
            );
        }
        println!(
            "fault={} failed_reads={failed} stale_reads={stale} reads={during} reads_per_s_ratio={ratio:.2} recovery_ms={} hits={} uncached={}",
            phase.name,
            phase.recovery_ms.map_or("none".into(), |ms| ms.to_string()),
            phase.hits,
            phase.uncached
        );
    }
    println!("writes={}", faulted.writes.len());
    let _ = readers.clear();
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
