//! Fault injection: the managers' readers and writers while Redis dies,
//! hangs, is cut off, fills up, is demoted, holds writes and drops idle
//! connections, with a truth check on every read.
//!
//! ```text
//! cargo run --release -p cache-programs --bin faults -- [--db postgres|sqlite] [--seconds 20] [--local] [--faults kill,oom,..]
//! ```
//!
//! Starts its own `redis-server` on a free port, reached through a TCP
//! proxy. 8 readers and 2 writers (hook updates and raw SQL on tracked
//! connections) run first over `dummy://` (the baseline: the database
//! alone), then over Redis while each fault of [`Fault::ALL`] (or those named
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
//! | `noreplicas` | `CONFIG SET min-replicas-to-write 1` (writes get `NOREPLICAS`) | `.. 0` |
//! | `misconf` | a `BGSAVE` into `/proc` fails under `stop-writes-on-bgsave-error` (writes get `MISCONF`) | `stop-writes-on-bgsave-error no` |
//! | `busy` | a script loops past `busy-reply-threshold 10` (every command gets `BUSY`) | `SCRIPT KILL` |
//! | `masterdown` | `replica-serve-stale-data no` and `REPLICAOF <a closed port>` (every command gets `MASTERDOWN`) | `REPLICAOF NO ONE` |
//! | `loading` | `DEBUG RELOAD` slowed by `key-load-delay` to about a second (every command gets `LOADING`) | the load ends |
//! | `maxclients` | `CLIENT KILL TYPE normal` then `CONFIG SET maxclients 1` (new connections get `ERR max number of clients reached`) | `maxclients 10000` |
//! | `client-kill` | `CLIENT KILL TYPE normal` every 100 ms | no more kills |
//! | `idle-timeout` | `CONFIG SET timeout 1` while readers and writers are idle for 2.5 s (or until the server closed every connection, 7.5 s at most); the faulted window is the burst of reads after | `CONFIG SET timeout 0` |
//! | `writer-killed` | one writer process after another updates the last row through the hook, over a proxy that SIGKILLs it when its bump (a tag's `SET` to a version) is on the way: after its `COMMIT`, before its invalidation | the last writer is killed |
//! | `db-readonly` | the writers' PostgreSQL sessions `SET default_transaction_read_only = on` (every write gets 25006) | new sessions |
//! | `db-timeout` | another session holds `LOCK TABLE .. IN SHARE ROW EXCLUSIVE MODE` (reads go on) while the writers' sessions have `statement_timeout = '50ms'` (their writes get 57014) | the lock's `COMMIT` |
//! | `db-kill` | `pg_terminate_backend` of every writer's session every 100 ms, writes in flight included | no more kills |
//! | `db-serialization` | the writers' sessions are `SERIALIZABLE` while another session updates their rows (to the same values) in serializable transactions without pause: a writer's `UPDATE` waits, then gets 40001 | no more updates |
//!
//! The `db-` faults act on PostgreSQL (not with `--db sqlite`) and on the
//! writers only: the readers' failed reads stay the cache's. Writers open a
//! new session whenever a fault ends theirs or changes its settings.
//! Admin commands go straight to the server, not through the proxy. A
//! fault is one [`Fault`]: a name, a start and an end.
//! `CONSISTENCY_SHOW_STALE=1` prints every stale read, each phase's times
//! and the readers' stats before and after each fault on stderr.
//! `--local` puts a local tier in front of Redis (`local=16m`) in both
//! caches: its tracking connection goes through the same proxy, so it
//! dies, hangs and is cut off with Redis; the readers' reads may then be a
//! local window (10 ms) behind a write, as another process's are, and
//! count as stale only past it. Each fault lasts `--seconds` over one more
//! than the number of faults (the baseline's share). Its phase, whose reads
//! its line counts, begins a second before it (the readers' hits come
//! back) and ends where the next one's begins; the last goes on for a
//! second after its recovery.
//!
//! The regular writers write every row but the last, which only the
//! killed writers write. One line per fault:
//!
//! `fault=<name> failed_reads=<n> stale_reads=<n> reads=<n> reads_per_s_ratio=<r> recovery_ms=<n> hits=<n> uncached=<n> failed_writes=<n>`
//!
//! `reads`, `reads_per_s_ratio` (reads/s while faulted over the
//! baseline's), `hits` (the readers' cache hits) and `uncached` (their
//! reads sent to the database because the cache failed) cover the faulted
//! window, and so does `failed_writes` (the writers' writes that
//! returned an error); failed and stale reads the whole phase; `recovery_ms` is how
//! long after the fault was lifted the readers' first cache hit came. The
//! exit code is 1 when a read failed or was stale.

use cache_diesel::{Cache, CacheConfig, CacheTracking};
use cache_tests::consistency::{self, Mode, ROWS, Read, VersionedRowCache, Write, now_us};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::RedisServer;
use cache_tests::refusal::{self, Refusal};
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const READERS: usize = 8;
const WRITERS: usize = 2;
/// How long readers and writers stay idle under `idle-timeout` at least.
const IDLE: Duration = Duration::from_millis(2500);
/// The row only `writer-killed`'s writers write.
const KILLED_ROW: i32 = ROWS;
/// The environment variable that makes this program a killed writer.
const KILLED_WRITER: &str = "FAULTS_KILLED_WRITER";

/// A fault: how it is applied and how it is lifted.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Kill,
    Stop,
    Partition,
    /// A state in which the server refuses (or holds) writes or commands.
    Refused(Refusal),
    IdleTimeout,
    ClientKill,
    WriterKilled,
    /// A state the writers' PostgreSQL sessions are put in.
    Database(DbFault),
}

/// What is done to the writers' PostgreSQL sessions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DbFault {
    ReadOnly,
    Timeout,
    Kill,
    Serialization,
}

impl Fault {
    /// The faults, in the order they are applied.
    const ALL: [Fault; 19] = [
        Fault::Kill,
        Fault::Stop,
        Fault::Partition,
        Fault::Refused(Refusal::Oom),
        Fault::Refused(Refusal::ReadOnly),
        Fault::Refused(Refusal::PauseWrites),
        Fault::Refused(Refusal::NoReplicas),
        Fault::Refused(Refusal::Misconf),
        Fault::Refused(Refusal::Busy),
        Fault::Refused(Refusal::MasterDown),
        Fault::Refused(Refusal::Loading),
        Fault::Refused(Refusal::MaxClients),
        Fault::ClientKill,
        Fault::IdleTimeout,
        Fault::WriterKilled,
        Fault::Database(DbFault::ReadOnly),
        Fault::Database(DbFault::Timeout),
        Fault::Database(DbFault::Kill),
        Fault::Database(DbFault::Serialization),
    ];

    fn name(self) -> &'static str {
        match self {
            Fault::Kill => "kill",
            Fault::Stop => "stop",
            Fault::Partition => "partition",
            Fault::Refused(refusal) => refusal.name(),
            Fault::IdleTimeout => "idle-timeout",
            Fault::ClientKill => "client-kill",
            Fault::WriterKilled => "writer-killed",
            Fault::Database(DbFault::ReadOnly) => "db-readonly",
            Fault::Database(DbFault::Timeout) => "db-timeout",
            Fault::Database(DbFault::Kill) => "db-kill",
            Fault::Database(DbFault::Serialization) => "db-serialization",
        }
    }

    fn start(self, t: &mut Target<'_>) {
        match self {
            Fault::Kill => t.server.kill(),
            Fault::Stop => t.server.stop(),
            Fault::Partition => t.proxy.cut(),
            Fault::Refused(refusal) => {
                let admin = t.admin.insert(admin(t.server));
                refusal.start(admin, t.server);
            }
            Fault::IdleTimeout => idle_out(t),
            Fault::ClientKill => {
                let (stop, url) = (Arc::new(AtomicBool::new(false)), t.server.url());
                let stop_ = stop.clone();
                let thread = std::thread::spawn(move || {
                    let client = redis::Client::open(url).unwrap();
                    while !stop_.load(Ordering::SeqCst) {
                        if let Ok(mut admin) = client.get_connection() {
                            let _: redis::RedisResult<i64> = redis::cmd("CLIENT")
                                .arg(&["KILL", "TYPE", "normal", "SKIPME", "yes"])
                                .query(&mut admin);
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                });
                t.background = Some((stop, thread));
            }
            Fault::WriterKilled => t.killed.start(t.server.port()),
            Fault::Database(fault) => t.db.start(fault),
        }
    }

    fn end(self, t: &mut Target<'_>) {
        match self {
            Fault::Kill => t.server.restart(),
            Fault::Stop => t.server.cont(),
            Fault::Partition => t.proxy.restore(),
            Fault::Refused(refusal) => {
                let mut admin = t.admin.take().expect("the admin connection of the start");
                refusal.end(&mut admin, t.server);
            }
            Fault::IdleTimeout => t.config("timeout", "0"),
            Fault::ClientKill => {
                if let Some((stop, thread)) = t.background.take() {
                    stop.store(true, Ordering::SeqCst);
                    thread.join().expect("the client killer");
                }
            }
            Fault::WriterKilled => t.killed.stop(),
            Fault::Database(_) => t.db.end(),
        }
    }
}

/// A connection straight to the server, for admin commands.
fn admin(server: &RedisServer) -> redis::Connection {
    let client = redis::Client::open(server.url()).expect("the server's URL");
    client.get_connection().expect("an admin connection")
}

/// What a fault acts on.
struct Target<'a> {
    server: &'a mut RedisServer,
    proxy: &'a Proxy,
    /// Readers and writers do nothing while it is set.
    idle: &'a AtomicBool,
    /// `writer-killed`'s writers.
    killed: &'a mut KilledWriters,
    /// The admin connection a refusal was brought about on, until lifted.
    admin: Option<redis::Connection>,
    /// A fault's thread and what stops it.
    background: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
    /// The writers' database sessions.
    db: &'a Sessions,
}

impl Target<'_> {
    /// `CONFIG SET name value`, straight to the server.
    fn config(&self, name: &str, value: &str) {
        if let Err(e) = self.server.command(&["CONFIG", "SET", name, value]) {
            panic!("CONFIG SET {name} {value}: {e}");
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

/// The writers' database sessions: how they are set up, and the `db-`
/// faults that act on them.
struct Sessions {
    /// The PostgreSQL schema (`None` on SQLite, where no `db-` fault runs).
    schema: Option<String>,
    /// The writers' `application_name`, by which `db-kill` finds them.
    name: String,
    /// Moves whenever the writers must open new sessions.
    generation: Arc<AtomicU64>,
    read_only: AtomicBool,
    timeout: AtomicBool,
    /// Sessions set up since [`Sessions::renewed`] last asked for new ones.
    new_sessions: AtomicU32,
    serializable: AtomicBool,
    /// `db-timeout`'s session holding the lock.
    lock: Mutex<Option<PgConnection>>,
    /// The thread of `db-kill` and `db-serialization`, and what stops it.
    background: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
}

impl Sessions {
    /// Sets up a writer's new session as the faults want it.
    fn set_up(&self, conn: &mut impl SimpleConnection) {
        if self.schema.is_none() {
            return;
        }
        let mut sql = format!("SET application_name = '{}';", self.name);
        if self.read_only.load(Ordering::SeqCst) {
            sql += "SET default_transaction_read_only = on;";
        }
        if self.timeout.load(Ordering::SeqCst) {
            sql += "SET statement_timeout = '50ms';";
        }
        if self.serializable.load(Ordering::SeqCst) {
            sql += "SET default_transaction_isolation = 'serializable';";
        }
        // (A session `db-kill` ended at once fails its writes until the next.)
        if conn.batch_execute(&sql).is_ok() {
            self.new_sessions.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Makes every writer open a new session before its next write.
    fn renew(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Makes every writer open a new session, and waits until they have
    /// (10 s at most): a fault that acts on the sessions' settings starts
    /// once they have them. (A fixed 100 ms was outrun on a loaded
    /// machine: under `db-timeout` and `db-serialization` no write failed,
    /// the writers still on sessions without the setting.)
    fn renewed(&self) {
        self.new_sessions.store(0, Ordering::SeqCst);
        self.renew();
        let since = Instant::now();
        while (self.new_sessions.load(Ordering::SeqCst) as usize) < WRITERS
            && since.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn start(&self, fault: DbFault) {
        let schema = self.schema.as_deref().expect("db- faults need PostgreSQL");
        match fault {
            DbFault::ReadOnly => self.read_only.store(true, Ordering::SeqCst),
            DbFault::Timeout => {
                // The writers take sessions with the timeout first: one
                // still on its old session when the lock is requested
                // would queue behind it, without a timeout, for the whole
                // fault (hook writes in a transaction of their own hold
                // their row locks across a Redis round trip, which made
                // that race likely enough to see).
                self.timeout.store(true, Ordering::SeqCst);
                self.renewed();
                let mut conn = open_pg(schema);
                conn.batch_execute(
                    "BEGIN; LOCK TABLE consistency_rows IN SHARE ROW EXCLUSIVE MODE",
                )
                .expect("the table's lock");
                *self.lock.lock().unwrap() = Some(conn);
                self.timeout.store(true, Ordering::SeqCst);
            }
            DbFault::Kill => {
                let sql = format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = '{}'",
                    self.name
                );
                self.repeat(schema, sql, Duration::from_millis(100), true);
            }
            DbFault::Serialization => {
                self.serializable.store(true, Ordering::SeqCst);
                self.renewed();
                let sql = format!(
                    "BEGIN ISOLATION LEVEL SERIALIZABLE; \
                     UPDATE consistency_rows SET version = version WHERE id < {KILLED_ROW}; \
                     SELECT pg_sleep(0.01); COMMIT"
                );
                self.repeat(schema, sql, Duration::from_millis(1), false);
            }
        }
        self.renew();
    }

    /// Runs `sql` on a session of its own every `pause` until the fault
    /// ends; with `renew`, the writers open new sessions after each run
    /// (theirs were killed).
    fn repeat(&self, schema: &str, sql: String, pause: Duration, renew: bool) {
        let (stop, mut conn) = (Arc::new(AtomicBool::new(false)), open_pg(schema));
        let (stop_, generation) = (stop.clone(), self.generation.clone());
        let thread = std::thread::spawn(move || {
            while !stop_.load(Ordering::SeqCst) {
                // (The fault's own transactions lose to the writers' too.)
                if conn.batch_execute(&sql).is_err() {
                    let _ = conn.batch_execute("ROLLBACK");
                }
                if renew {
                    generation.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::sleep(pause);
            }
        });
        *self.background.lock().unwrap() = Some((stop, thread));
    }

    fn end(&self) {
        self.read_only.store(false, Ordering::SeqCst);
        self.timeout.store(false, Ordering::SeqCst);
        self.serializable.store(false, Ordering::SeqCst);
        if let Some(mut conn) = self.lock.lock().unwrap().take() {
            conn.batch_execute("COMMIT").expect("the lock's release");
        }
        if let Some((stop, thread)) = self.background.lock().unwrap().take() {
            stop.store(true, Ordering::SeqCst);
            thread.join().expect("a db- fault's thread");
        }
        self.renew();
    }
}

/// `idle-timeout`'s start: the server closes connections idle for a second
/// while readers and writers are idle, for [`IDLE`] and then until it has
/// closed every idle one (5 s more at most); they resume when it returns.
fn idle_out(t: &mut Target<'_>) {
    t.config("timeout", "1");
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

/// The loop of `writer-killed`'s writers: the writes they committed, the
/// last version, how many were killed at their bump.
type KillerLoop = std::thread::JoinHandle<(Vec<Write>, i32, usize)>;

/// `writer-killed`: writer processes killed between their `COMMIT` and
/// their bump, one after another, while it runs.
struct KilledWriters {
    /// The database, the prefix and the last row's version, for a child's
    /// [`KILLED_WRITER`] spec.
    db: String,
    location: String,
    prefix: String,
    version: i32,
    /// Stops the running writers' loop, and the loop.
    running: Option<(Arc<AtomicBool>, KillerLoop)>,
    /// The writes the killed writers committed.
    writes: Vec<Write>,
    /// How many writers were killed at their bump.
    killed: usize,
}

impl KilledWriters {
    /// Starts killing writers that write through a proxy of their own to
    /// the server on `port`.
    fn start(&mut self, port: u16) {
        let stop = Arc::new(AtomicBool::new(false));
        let child = Arc::new(AtomicU32::new(0));
        let armed = Arc::new(AtomicBool::new(false));
        let (child_, armed_) = (child.clone(), armed.clone());
        let pending = cache_core::__engine::PENDING_TEXT;
        let proxy = Proxy::intercepting(&format!("127.0.0.1:{port}"), move |bytes| {
            let text = String::from_utf8_lossy(bytes);
            // A tag's (`:t:`) `SET` to a version, not the announcement.
            let bump =
                text.contains("$3\r\nSET\r\n") && text.contains(":t:") && !text.contains(pending);
            if bump && armed_.swap(false, Ordering::SeqCst) {
                // SAFETY: a signal to the child process this program started.
                unsafe { libc::kill(child_.load(Ordering::SeqCst) as i32, libc::SIGKILL) };
            }
            bump
        });
        let url = format!(
            "redis://127.0.0.1:{}/?connect_timeout=1s&response_timeout=1s",
            proxy.port()
        );
        let spec = format!("{}|{}|{url}|{}", self.db, self.location, self.prefix);
        let (stop_, mut version) = (stop.clone(), self.version);
        let thread = std::thread::spawn(move || {
            let _proxy = proxy;
            let (mut writes, mut killed) = (Vec::new(), 0);
            while !stop_.load(Ordering::SeqCst) {
                armed.store(true, Ordering::SeqCst);
                let mut writer = std::process::Command::new(std::env::current_exe().unwrap())
                    .env(KILLED_WRITER, format!("{spec}|{}", version + 1))
                    .spawn()
                    .expect("a writer process");
                child.store(writer.id(), Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                let status = loop {
                    if let Some(status) = writer.try_wait().unwrap() {
                        break status;
                    }
                    if Instant::now() > deadline {
                        let _ = writer.kill();
                        break writer.wait().unwrap();
                    }
                    std::thread::sleep(Duration::from_millis(5));
                };
                let died = now_us();
                if !armed.load(Ordering::SeqCst) {
                    killed += 1;
                } else {
                    eprintln!("writer-killed: a writer ended before its bump: {status}");
                }
                // Committed (before its bump, or it would not have been
                // killed there): a write every read after must see.
                if killed_row_version(&spec) == version + 1 {
                    version += 1;
                    writes.push(Write {
                        id: KILLED_ROW,
                        version,
                        returned_us: died,
                    });
                }
            }
            (writes, version, killed)
        });
        self.running = Some((stop, thread));
    }

    /// Stops after the writer being killed.
    fn stop(&mut self) {
        let Some((stop, thread)) = self.running.take() else {
            return;
        };
        stop.store(true, Ordering::SeqCst);
        let (writes, version, killed) = thread.join().expect("the killed writers' loop");
        self.writes.extend(writes);
        self.version = version;
        self.killed += killed;
    }
}

/// The killed row's version, read from the database of a writer's spec.
fn killed_row_version(spec: &str) -> i32 {
    let mut parts = spec.split('|');
    let (db, location) = (parts.next().unwrap(), parts.next().unwrap());
    let query = consistency::consistency_rows::table
        .find(KILLED_ROW)
        .select(consistency::consistency_rows::version);
    match db {
        "postgres" => query.first(&mut open_pg(location)),
        _ => query.first(&mut db::open_sqlite_file(location)),
    }
    .expect("the killed row's version")
}

/// A killed writer's part (this program run with [`KILLED_WRITER`] set to
/// `db|location|redis url|prefix|version`): sets the last row's version
/// through the hook, and is killed on its bump's way to Redis.
fn killed_writer(spec: &str) -> ExitCode {
    let [db, location, url, prefix, version] = spec.split('|').collect::<Vec<_>>()[..] else {
        eprintln!("bad {KILLED_WRITER} {spec:?}");
        return ExitCode::from(2);
    };
    let mut config = CacheConfig::from_url(url).expect("the writer's cache URL");
    config.key_prefix = prefix.to_owned();
    let cache = Cache::new(config).expect("the writer's cache");
    let version: i32 = version.parse().expect("a version");
    let done = match db {
        "postgres" => update_killed_row(&mut open_pg(location), cache, version),
        _ => update_killed_row(&mut db::open_sqlite_file(location), cache, version),
    };
    if let Err(e) = done {
        eprintln!("writer-killed: the write failed: {e}");
        return ExitCode::from(3);
    }
    // Only reached when the proxy did not kill this process.
    std::thread::sleep(Duration::from_secs(60));
    ExitCode::SUCCESS
}

fn update_killed_row<C>(conn: &mut C, cache: Cache, version: i32) -> cache_diesel::Result<()>
where
    C: Connection + 'static,
    consistency::VersionedRow: cache_diesel::ModelQueries<C>
        + cache_diesel::UpdateQuery<C, diesel::dsl::Eq<consistency::consistency_rows::version, i32>>,
{
    VersionedRowCache::new(cache)
        .update(
            conn,
            KILLED_ROW,
            consistency::consistency_rows::version.eq(version),
        )
        .map(drop)
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
    faults: Vec<Fault>,
}

fn parse_args() -> Result<Args, String> {
    let (mut db, mut seconds, mut local) = ("postgres".to_owned(), 20.0, false);
    let mut faults: Option<Vec<Fault>> = None;
    let names = || Fault::ALL.map(Fault::name).join(",");
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => db = value()?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds takes a number")?,
            "--local" => local = true,
            "--faults" => {
                faults = Some(
                    value()?
                        .split(',')
                        .map(|name| {
                            let fault = Fault::ALL.into_iter().find(|f| f.name() == name);
                            fault.ok_or(format!("no fault {name}: {}", names()))
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    // The `db-` faults act on PostgreSQL sessions.
    let on_db = |f: &Fault| db == "postgres" || !matches!(f, Fault::Database(_));
    let faults = match faults {
        Some(named) if !named.iter().all(on_db) => {
            return Err("the db- faults need --db postgres".into());
        }
        Some(named) => named,
        None => Fault::ALL.into_iter().filter(on_db).collect(),
    };
    if !["postgres", "sqlite"].contains(&db.as_str()) || seconds / ((faults.len() + 1) as f64) < 0.5
    {
        return Err(format!(
            "usage: faults [--db postgres|sqlite] [--seconds N>=0.5*(faults+1)] [--local] [--faults {}]",
            names()
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
fn run<C, F>(
    open: F,
    caches: Caches<'_>,
    idle: &AtomicBool,
    sessions: &Sessions,
    schedule: impl FnOnce(),
) -> Run
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
                    let mine: Vec<i32> = (1..KILLED_ROW)
                        .filter(|id| (*id as usize) % WRITERS == w)
                        .collect();
                    let mut writes = Vec::new();
                    // A new session whenever a fault ended or changed this one.
                    while !stop.load(Ordering::Relaxed) {
                        let generation = sessions.generation.load(Ordering::SeqCst);
                        let mut conn = open();
                        sessions.set_up(&mut conn);
                        conn.set_instrumentation(
                            CacheTracking::for_connection::<C>().for_caches([cache.clone()]),
                        );
                        let go = || {
                            while idle.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                                std::thread::sleep(Duration::from_millis(10));
                            }
                            !stop.load(Ordering::Relaxed)
                                && sessions.generation.load(Ordering::SeqCst) == generation
                        };
                        writes.extend(consistency::write_while(
                            &mut conn,
                            cache,
                            Mode::Managed,
                            &mine,
                            &go,
                        ));
                    }
                    writes
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
    /// The writers' writes that failed (a `db-` fault fails them).
    failed_writes: u64,
}

fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_some() {
        // The caches' own account of a fault, on stderr.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if let Ok(spec) = std::env::var(KILLED_WRITER) {
        return killed_writer(&spec);
    }
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
    let mut killed = KilledWriters {
        db: args.db.clone(),
        location: match &location {
            Location::Postgres(schema) => schema.clone(),
            Location::Sqlite(path) => path.clone(),
        },
        prefix: name.clone(),
        version: 0,
        running: None,
        writes: Vec::new(),
        killed: 0,
    };
    let mut server = RedisServer::start(refusal::SERVER_ARGS).expect("redis-server");
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
    let sessions = Sessions {
        schema: match &location {
            Location::Postgres(schema) => Some(schema.clone()),
            Location::Sqlite(_) => None,
        },
        name: format!("{name}-writer"),
        generation: Arc::new(AtomicU64::new(0)),
        read_only: AtomicBool::new(false),
        timeout: AtomicBool::new(false),
        new_sessions: AtomicU32::new(0),
        serializable: AtomicBool::new(false),
        lock: Mutex::new(None),
        background: Mutex::new(None),
    };
    let go = |caches: Caches<'_>, schedule: &mut dyn FnMut()| match &location {
        Location::Postgres(schema) => run(|| open_pg(schema), caches, &idle, &sessions, schedule),
        Location::Sqlite(path) => {
            let open = || db::open_sqlite_file(path);
            run(open, caches, &idle, &sessions, schedule)
        }
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
    let mut faulted = go(caches, &mut || {
        let mut target = Target {
            server: &mut server,
            proxy: &proxy,
            idle: &idle,
            killed: &mut killed,
            admin: None,
            background: None,
            db: &sessions,
        };
        for fault in &args.faults {
            let start_us = now_us();
            std::thread::sleep(Duration::from_secs(1)); // warm: hits again
            fault.start(&mut target);
            let (from, before) = (now_us(), readers.stats());
            let failed_before = consistency::FAILED_WRITES.load(Ordering::Relaxed);
            std::thread::sleep(window);
            let after = readers.stats();
            let hits = after.hits - before.hits;
            if std::env::var_os("CONSISTENCY_SHOW_STALE").is_some() {
                eprintln!("{}: readers' stats before {before:?}", fault.name());
                eprintln!("{}: readers' stats after  {after:?}", fault.name());
            }
            let uncached = after.uncached - before.uncached;
            let failed_writes = consistency::FAILED_WRITES.load(Ordering::Relaxed) - failed_before;
            fault.end(&mut target);
            let lifted = now_us();
            let recovery_ms = wait_for_hit(&readers, readers.stats().hits, Duration::from_secs(10))
                .map(|at| (at - lifted) / 1000);
            // (What the readers are served after recovery counts in the
            // next fault's phase, from its warm second on.)
            phases.push(Phase {
                name: fault.name(),
                start_us,
                faulted_us: (from, lifted),
                recovery_ms,
                hits,
                uncached,
                failed_writes,
            });
        }
        // The last fault's phase goes on for a second after its recovery.
        std::thread::sleep(Duration::from_secs(1));
    });

    if args.faults.iter().any(|f| matches!(f, Fault::WriterKilled)) {
        println!(
            "writer-killed: {} writer(s) killed between COMMIT and bump, {} write(s) committed",
            killed.killed,
            killed.writes.len()
        );
    }
    faulted.writes.extend(killed.writes);
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
            "fault={} failed_reads={failed} stale_reads={stale} reads={during} reads_per_s_ratio={ratio:.2} recovery_ms={} hits={} uncached={} failed_writes={}",
            phase.name,
            phase.recovery_ms.map_or("none".into(), |ms| ms.to_string()),
            phase.hits,
            phase.uncached,
            phase.failed_writes
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
