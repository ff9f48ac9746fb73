//! The invalidation-latency program: how long after a write's hook returned
//! in one process another process's tiered store (`?local=16m`: an
//! in-process tier kept coherent by Redis `CLIENT TRACKING`) serves the new
//! row, and whether it ever serves an old one past the freshness window.
//!
//! ```text
//! cargo run --release -p cache-programs --bin coherence -- --seconds N [--kill-tracking] [--spin]
//! ```
//!
//! Runs two processes of its own on one Redis and PostgreSQL (a schema and
//! a key prefix of this run's own, dropped at the end), both on the tiered
//! store, both waiting until `Cache::local_tier_ready()` before starting:
//!
//! - the **writer** updates the rows of [`consistency::VersionedRow`] in turn
//!   through the manager's hook (`update`), about one write per millisecond,
//!   each incrementing its row's version, and writes `W <row> <version>
//!   <returned_us>` on its stdout as soon as the write (and its
//!   invalidation) returned;
//! - the **reader**, whose stdin is the writer's stdout, reads the same rows
//!   with the manager's `get` in a tight loop. A read of row `r` that began
//!   at `t` and was served version `v` is counted in `stale_after_window`
//!   when a write of `r` with a version above `v` had returned before
//!   `t - local_window` (10 ms). A write's latency is the time from its
//!   return to the end of the first read that served its version or a later
//!   one (clamped at 0); percentiles are over the writes the reader saw.
//!
//! The reader calls `std::thread::yield_now()` after every read: on a
//! machine with few cores a loop that never yields keeps its own process's
//! tracking thread waiting for up to a scheduler slice (on a 2-core VM:
//! p99 about 2.8 ms instead of about 0.2 ms, all of it before the first
//! read that misses). `--spin` reads without yielding, to see that. The
//! reader's summary splits the latency: `detect` (from the write's return
//! to the beginning of the read that served it: how long the old version
//! was still served) and `fill` (that read's own duration: the round trips
//! to Redis and the database).
//!
//! With `--kill-tracking`, at half time this process runs `CLIENT KILL ID`
//! on the children's tracking connections (`name=cache-tracking`, matched by
//! the children's sockets; all of that name where `/proc` cannot tell) and
//! prints how many; the reader counts the reads made while its tier was not
//! ready. The last line is
//!
//! `invalidation_p50_us=<n> invalidation_p99_us=<n> invalidation_max_us=<n> stale_after_window=<n> reads=<n> writes=<n> hits=<n> misses=<n>`
//!
//! (`hits` and `misses`: the reader's `cache.stats()`); the exit code is 1
//! when `stale_after_window` is not zero or a process failed, 2 on bad
//! arguments or when PostgreSQL or Redis is unreachable.

use cache_core::backend::TRACKING_CONNECTION_NAME;
use cache_diesel::{Cache, CacheConfig};
use cache_tests::consistency::{self, ROWS, VersionedRowCache, Write, consistency_rows, now_us};
use cache_tests::{services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One write every this long.
const WRITE_EVERY: Duration = Duration::from_millis(1);
/// How long a process waits for its local tier.
const READY_WITHIN: Duration = Duration::from_secs(5);
/// After the writer is done, the reader reads this much longer (to see the
/// last writes).
const TAIL: Duration = Duration::from_millis(200);
/// A reader whose writer never ends stops anyway this long after --seconds.
const READER_SLACK: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Writer,
    Reader,
}

#[derive(Debug, Clone)]
struct Args {
    seconds: f64,
    kill_tracking: bool,
    /// The reader never yields (`--spin`).
    spin: bool,
    /// Set in the children: their role, the schema and the key prefix.
    child: Option<(Role, String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 5.0,
        kill_tracking: false,
        spin: false,
        child: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|_| "--seconds takes a number")?
            }
            "--kill-tracking" => args.kill_tracking = true,
            "--spin" => args.spin = true,
            "--child" => {
                let role = match value()?.as_str() {
                    "writer" => Role::Writer,
                    "reader" => Role::Reader,
                    other => return Err(format!("unknown role {other}")),
                };
                args.child = Some((role, value()?, value()?));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !(args.seconds > 0.0 && args.seconds < 3600.0) {
        return Err("usage: coherence --seconds N [--kill-tracking] [--spin]".into());
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

/// The tiered store under `prefix`, once its local tier answers.
fn tiered_cache(prefix: &str) -> Result<Cache, String> {
    let url = services::tiered_url().ok_or("Redis unreachable")?;
    let mut cfg = CacheConfig::from_url(&url).map_err(|e| e.to_string())?;
    cfg.key_prefix = prefix.to_owned();
    let cache = Cache::new(cfg).map_err(|e| e.to_string())?;
    let since = Instant::now();
    while cache.local_tier_ready() != Some(true) {
        if since.elapsed() > READY_WITHIN {
            return Err(format!(
                "the local tier was not ready within {READY_WITHIN:?} (local_tier_ready={:?})",
                cache.local_tier_ready()
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(cache)
}

/// The writer: waits for `go` on stdin, then writes for `seconds`.
fn writer(seconds: f64, schema: &str, prefix: &str) -> Result<(), String> {
    let cache = tiered_cache(prefix)?;
    let mut conn = open_postgres(schema);
    let manager = VersionedRowCache::new(cache.clone());
    let mut go = String::new();
    std::io::stdin()
        .read_line(&mut go)
        .map_err(|e| e.to_string())?;
    if go.trim() != "go" {
        return Err("no go from the main process".into());
    }
    let mut out = std::io::stdout().lock();
    let mut versions = [0i32; ROWS as usize];
    let (mut writes, mut failed) = (0u64, 0u64);
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let mut next = started;
    let mut n = 0usize;
    while Instant::now() < until {
        let id = (n % ROWS as usize) as i32 + 1;
        n += 1;
        let version = versions[id as usize - 1] + 1;
        match manager.update(&mut conn, id, consistency_rows::version.eq(version)) {
            Ok(Some(_)) => {
                let returned_us = now_us();
                versions[id as usize - 1] = version;
                writes += 1;
                writeln!(out, "W {id} {version} {returned_us}").map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
            Ok(None) => return Err(format!("row {id} is missing")),
            Err(e) => {
                failed += 1;
                eprintln!("write failed: {e}");
            }
        }
        next += WRITE_EVERY;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > 10 * WRITE_EVERY {
            next = now; // behind: do not catch up in a burst
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "# writer: writes={writes} failed_writes={failed} writes_per_s={:.0}",
        writes as f64 / elapsed
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The latest write of each row the reader heard of: its returned time
/// (µs since the reader's `base`) in the high 40 bits, its version in the
/// low 24, so that both are read together.
struct Latest {
    base_us: u64,
    rows: Vec<AtomicU64>,
}

impl Latest {
    fn new(base_us: u64) -> Self {
        Latest {
            base_us,
            rows: (0..ROWS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn publish(&self, w: &Write) {
        let at = w
            .returned_us
            .saturating_sub(self.base_us)
            .min((1 << 40) - 1);
        let packed = (at << 24) | (w.version as u64 & 0xff_ffff);
        self.rows[w.id as usize - 1].fetch_max(packed, Ordering::SeqCst);
    }

    /// (version, returned_us) of the latest write of `id` heard of.
    fn get(&self, id: i32) -> Option<(i32, u64)> {
        let packed = self.rows[id as usize - 1].load(Ordering::SeqCst);
        (packed != 0).then(|| ((packed & 0xff_ffff) as i32, (packed >> 24) + self.base_us))
    }
}

/// The writer's lines, as the reader's stdin thread collects them.
#[derive(Default)]
struct Heard {
    writes: Vec<Write>,
    /// The writer's summary lines.
    notes: Vec<String>,
}

/// The reader: reads until the writer's stream ends (and [`TAIL`] more).
fn reader(seconds: f64, spin: bool, schema: &str, prefix: &str) -> Result<(), String> {
    let cache = tiered_cache(prefix)?;
    let window = cache.config().local_window;
    let window_us = window.as_micros() as u64;
    let mut conn = open_postgres(schema);
    let manager = VersionedRowCache::new(cache.clone());
    // Warm the rows, so that the writer's first writes are not measured
    // against the reader's first fills.
    for id in 1..=ROWS {
        manager.get(&mut conn, id).map_err(|e| e.to_string())?;
    }
    let latest = Arc::new(Latest::new(now_us()));
    let heard = Arc::new(Mutex::new(Heard::default()));
    let ended = Arc::new(AtomicBool::new(false));
    println!("ready");
    let hard_stop = Instant::now() + Duration::from_secs_f64(seconds) + READER_SLACK;
    // Not joined: should the writer hang, the reader still ends at `hard_stop`.
    std::thread::spawn({
        let (latest, heard, ended) = (latest.clone(), heard.clone(), ended.clone());
        move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if let Some(note) = line.strip_prefix("# ") {
                    heard.lock().unwrap().notes.push(note.to_owned());
                    continue;
                }
                let mut parts = line.strip_prefix("W ").unwrap_or_default().split(' ');
                let mut field = || parts.next().and_then(|p| p.parse::<u64>().ok());
                if let (Some(id), Some(version), Some(returned_us)) = (field(), field(), field()) {
                    let w = Write {
                        id: id as i32,
                        version: version as i32,
                        returned_us,
                    };
                    latest.publish(&w);
                    heard.lock().unwrap().writes.push(w);
                }
            }
            ended.store(true, Ordering::SeqCst);
        }
    });
    // Per row, each time a read served a higher version than any before:
    // (version, when that read began, when it ended), in µs.
    let mut firsts: Vec<Vec<(i32, u64, u64)>> = vec![Vec::new(); ROWS as usize];
    let (mut reads, mut failed, mut stale, mut not_ready) = (0u64, 0u64, 0u64, 0u64);
    let mut worst_stale: Option<(i32, i32, i32, u64)> = None;
    let mut tail_until = None;
    let mut n = 0usize;
    loop {
        let now = Instant::now();
        if now > hard_stop || tail_until.is_some_and(|t| now > t) {
            break;
        }
        if tail_until.is_none() && ended.load(Ordering::SeqCst) {
            tail_until = Some(now + TAIL);
        }
        let id = (n % ROWS as usize) as i32 + 1;
        n += 1;
        let began_us = now_us();
        if cache.local_tier_ready() != Some(true) {
            not_ready += 1;
        }
        let served = manager.get(&mut conn, id);
        let done_us = now_us();
        let version = match served {
            Ok(row) => row.version,
            Err(e) => {
                failed += 1;
                eprintln!("read failed: {e}");
                continue;
            }
        };
        reads += 1;
        let firsts = &mut firsts[id as usize - 1];
        if firsts.last().is_none_or(|(v, _, _)| version > *v) {
            firsts.push((version, began_us, done_us));
        }
        if let Some((known, returned_us)) = latest.get(id)
            && known > version
            && began_us > returned_us + window_us
        {
            stale += 1;
            let late = began_us - returned_us;
            if worst_stale.is_none_or(|w| late > w.3) {
                worst_stale = Some((id, version, known, late));
            }
        }
        if !spin {
            std::thread::yield_now();
        }
    }
    let heard = std::mem::take(&mut *heard.lock().unwrap());
    // Per write seen: (latency, detect, fill).
    let seen: Vec<(u64, u64, u64)> = heard
        .writes
        .iter()
        .filter_map(|w| {
            let firsts = &firsts[w.id as usize - 1];
            let i = firsts.partition_point(|(v, _, _)| *v < w.version);
            firsts.get(i).map(|(_, began_us, done_us)| {
                (
                    done_us.saturating_sub(w.returned_us),
                    began_us.saturating_sub(w.returned_us),
                    done_us - began_us,
                )
            })
        })
        .collect();
    let unseen = heard.writes.len() - seen.len();
    let sorted = |pick: fn(&(u64, u64, u64)) -> u64| {
        let mut v: Vec<u64> = seen.iter().map(pick).collect();
        v.sort_unstable();
        v
    };
    let (latencies, detect, fill) = (sorted(|s| s.0), sorted(|s| s.1), sorted(|s| s.2));
    let pct = |sorted: &[u64], p: f64| -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
        sorted[i - 1]
    };
    for note in &heard.notes {
        println!("{note}");
    }
    let stats = cache.stats();
    println!(
        "reader: reads={reads} failed_reads={failed} reads_not_ready={not_ready} writes_heard={} writes_unseen={unseen} hits={} misses={} fills={} local_window={window:?} spin={spin}",
        heard.writes.len(),
        stats.hits,
        stats.misses,
        stats.fills
    );
    println!(
        "reader: detect_p50_us={} detect_p99_us={} detect_max_us={} fill_p50_us={} fill_p99_us={} fill_max_us={}",
        pct(&detect, 0.5),
        pct(&detect, 0.99),
        pct(&detect, 1.0),
        pct(&fill, 0.5),
        pct(&fill, 0.99),
        pct(&fill, 1.0),
    );
    if let Some((id, served, known, late)) = worst_stale {
        println!(
            "reader: worst stale read: row {id} served version {served} {late} µs after version {known} returned"
        );
    }
    println!(
        "result: invalidation_p50_us={} invalidation_p99_us={} invalidation_max_us={} stale_after_window={stale} reads={reads} writes={} hits={} misses={}",
        pct(&latencies, 0.50),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0),
        heard.writes.len(),
        stats.hits,
        stats.misses
    );
    if failed > 0 {
        return Err(format!("{failed} reads failed"));
    }
    Ok(())
}

/// The local TCP ports of the sockets `pids` hold (Linux `/proc`).
fn local_ports(pids: &[u32]) -> HashSet<u16> {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && let Some(inode) = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
            {
                inodes.insert(inode.to_owned());
            }
        }
    }
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9
                && inodes.contains(cols[9])
                && let Some(port) = cols[1].rsplit(':').next()
                && let Ok(port) = u16::from_str_radix(port, 16)
            {
                ports.insert(port);
            }
        }
    }
    ports
}

/// Kills the tracking connections of `pids`; returns (killed, named).
fn kill_tracking(pids: &[u32]) -> Result<(usize, usize), String> {
    let url = services::redis_url().ok_or("Redis unreachable")?;
    let mut redis = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .map_err(|e| e.to_string())?;
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut redis)
        .map_err(|e| e.to_string())?;
    let ports = local_ports(pids);
    let mut named = 0;
    let mut killed = 0;
    for line in list.lines() {
        let field = |name: &str| {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        };
        if field("name") != Some(TRACKING_CONNECTION_NAME) {
            continue;
        }
        named += 1;
        let port = field("addr")
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse::<u16>().ok());
        if !ports.is_empty() && !port.is_some_and(|p| ports.contains(&p)) {
            continue;
        }
        let Some(id) = field("id") else { continue };
        let n: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query(&mut redis)
            .map_err(|e| e.to_string())?;
        killed += n as usize;
    }
    if ports.is_empty() {
        println!("kill-tracking: /proc told no ports: killed every {TRACKING_CONNECTION_NAME}");
    }
    Ok((killed, named))
}

fn spawn_child(args: &Args, role: &str, schema: &str, prefix: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args([
        "--seconds",
        &args.seconds.to_string(),
        "--child",
        role,
        schema,
        prefix,
    ]);
    if args.spin {
        cmd.arg("--spin");
    }
    cmd
}

/// Runs the two children; returns the reader's result line.
fn orchestrate(args: &Args, schema: &str, prefix: &str) -> Result<String, String> {
    let mut writer = spawn_child(args, "writer", schema, prefix)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("writer: {e}"))?;
    let writer_out = writer.stdout.take().expect("writer stdout");
    let mut reader = match spawn_child(args, "reader", schema, prefix)
        .stdin(Stdio::from(writer_out))
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(reader) => reader,
        Err(e) => {
            stop(&mut writer);
            return Err(format!("reader: {e}"));
        }
    };
    let result = drive(args, &mut writer, &mut reader);
    let reader_ok = reader.wait().is_ok_and(|s| s.success());
    let writer_ok = writer.wait().is_ok_and(|s| s.success());
    let result = result?;
    match (writer_ok, reader_ok) {
        (true, true) => Ok(result),
        _ => Err(format!(
            "a process failed (writer ok: {writer_ok}, reader ok: {reader_ok})"
        )),
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn drive(args: &Args, writer: &mut Child, reader: &mut Child) -> Result<String, String> {
    let mut lines = BufReader::new(reader.stdout.take().expect("reader stdout")).lines();
    // The reader says `ready` (or ends, having said why on stderr).
    if !matches!(lines.next(), Some(Ok(l)) if l == "ready") {
        stop(writer);
        return Err("the reader did not get ready".into());
    }
    let mut go = writer.stdin.take().expect("writer stdin");
    if writeln!(go, "go").is_err() {
        return Err("the writer did not get ready".into());
    }
    drop(go);
    if args.kill_tracking {
        std::thread::sleep(Duration::from_secs_f64(args.seconds / 2.0));
        let pids = [writer.id(), reader.id()];
        match kill_tracking(&pids) {
            Ok((killed, named)) => println!(
                "kill-tracking: killed {killed} tracking connection(s) at half time ({named} named {TRACKING_CONNECTION_NAME} on the server)"
            ),
            Err(e) => return Err(format!("kill-tracking: {e}")),
        }
    }
    let mut result = None;
    for line in lines {
        let line = line.map_err(|e| e.to_string())?;
        match line.strip_prefix("result: ") {
            Some(r) => result = Some(r.to_owned()),
            None => println!("{line}"),
        }
    }
    result.ok_or_else(|| "the reader gave no result".into())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some((role, schema, prefix)) = &args.child {
        let done = match role {
            Role::Writer => writer(args.seconds, schema, prefix),
            Role::Reader => reader(args.seconds, args.spin, schema, prefix),
        };
        return match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("coherence {role:?}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(db_url) = services::database_url() else {
        return ExitCode::from(2);
    };
    if services::tiered_url().is_none() {
        return ExitCode::from(2);
    }
    let name = unique::prefix("coherence").to_ascii_lowercase();
    PgConnection::establish(&db_url)
        .expect("PostgreSQL")
        .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
        .expect("schema");
    consistency::seed(&mut open_postgres(&name));
    println!(
        "coherence: seconds={} rows={ROWS} write_every={WRITE_EVERY:?} kill_tracking={} spin={} cache={}",
        args.seconds,
        args.kill_tracking,
        args.spin,
        services::tiered_url().unwrap_or_default()
    );
    let outcome = orchestrate(&args, &name, &name);
    cleanup(&name);
    match outcome {
        Ok(result) => {
            println!("{result}");
            let stale = result
                .split(' ')
                .find_map(|kv| kv.strip_prefix("stale_after_window="))
                .and_then(|n| n.parse::<u64>().ok());
            if stale == Some(0) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("coherence: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cleanup(name: &str) {
    if let Some(url) = services::redis_url()
        && let Ok(mut cfg) = CacheConfig::from_url(&url)
    {
        cfg.key_prefix = name.to_owned();
        if let Ok(cache) = Cache::new(cfg) {
            let _ = cache.clear();
        }
    }
    if let Some(url) = services::database_url()
        && let Ok(mut conn) = PgConnection::establish(&url)
    {
        let _ = conn.batch_execute(&format!("DROP SCHEMA \"{name}\" CASCADE"));
    }
}
