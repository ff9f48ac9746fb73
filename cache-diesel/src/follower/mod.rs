//! The change-stream follower: every change the database commits,
//! whoever wrote it (another service, `psql`, a migration, a trigger, a
//! cascade), invalidates what a hook write of the same rows would.
//!
//! - `changes`: what a row change invalidates, from the stream's own
//!   picture of the table (PostgreSQL's and MySQL's alike);
//! - `postgres`: PostgreSQL's loop, over a logical replication slot
//!   (`pgoutput`: its messages; `stream`: libpq's replication protocol;
//!   `slot`: the publication and the slot, over SQL);
//! - `mysql`: MySQL's and MariaDB's loop, over the row-based binary log
//!   (`binlog`: its events as rows of `changes`);
//! - here: what both share: the lease that keeps one follower active per
//!   cache prefix, the bumps, the counters.
//!
//! See the guide's chapter on following the database
//! (`docs/guide/follower.md`).

#[cfg(feature = "mysql-follower")]
mod binlog;
// (Its PostgreSQL half goes unused in a MySQL-only build.)
#[cfg_attr(not(feature = "postgres-system-libpq"), allow(dead_code))]
mod changes;
#[cfg(feature = "mysql-follower")]
mod mysql;
#[cfg_attr(not(feature = "postgres-system-libpq"), allow(dead_code))]
mod pgoutput;
#[cfg(feature = "postgres-system-libpq")]
mod postgres;
#[cfg(feature = "postgres-system-libpq")]
mod slot;
#[cfg(feature = "postgres-system-libpq")]
mod stream;

use crate::keys::tag_bumps::DEFAULT_TAG_TTL;
use cache_core::__engine::WithEngine;
use cache_core::{Cache, Key};
use changes::Invalidation;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a [`Follower`] runs. `Default` gives the names `cache_diesel`
/// (publication and slot), every table, and the timings below.
#[derive(Debug, Clone)]
pub struct FollowerOptions {
    /// The logical replication slot (created when absent). One per
    /// database and cache prefix: the slot holds the confirmed position.
    pub slot: String,
    /// The publication (created when absent, `FOR ALL TABLES` without
    /// `tables`, which takes a superuser; else `FOR TABLE ..`).
    pub publication: String,
    /// The tables followed (empty: all). A table outside the
    /// publication's is not followed.
    pub tables: Vec<String>,
    /// Set `REPLICA IDENTITY FULL` on the followed tables, so that updates
    /// and deletes carry their old rows: without it, a foreign update or
    /// delete invalidates its whole table (the old values' lists and
    /// lookups are not known). Costs WAL: each update and delete logs the
    /// whole old row.
    pub replica_identity_full: bool,
    /// The longest the follower waits on an idle stream before it looks
    /// around (renews its lease, asks the server where it stands); a
    /// change that arrives wakes it at once.
    pub poll: Duration,
    /// At most about this many changes a pass.
    pub batch: usize,
    /// How long a follower's claim lasts without being renewed: a killed
    /// follower is replaced within about this long.
    pub lease: Duration,
    /// The most WAL the slot may hold back, in bytes. Past it (a follower
    /// that cannot keep up, or none running for long), the slot is
    /// dropped and created again, and every followed table's entries are
    /// invalidated: the database's disk never fills for the cache.
    pub max_retained_wal: u64,
}

impl Default for FollowerOptions {
    fn default() -> Self {
        FollowerOptions {
            slot: "cache_diesel".into(),
            publication: "cache_diesel".into(),
            tables: Vec::new(),
            replica_identity_full: false,
            poll: Duration::from_millis(100),
            batch: 10_000,
            lease: Duration::from_secs(2),
            max_retained_wal: 1 << 30,
        }
    }
}

/// What a follower has done since it was made.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FollowerStats {
    /// Whether it holds the lease (is the active follower) now.
    pub active: bool,
    /// Transactions invalidated.
    pub transactions: u64,
    /// Row changes invalidated.
    pub rows: u64,
    /// Tags bumped.
    pub bumps: u64,
    /// Times it (re)connected and prepared the slot.
    pub starts: u64,
    /// Times the stream could not continue (a slot created, lost, or
    /// dropped past `max_retained_wal`): every followed table invalidated.
    pub gaps: u64,
    /// Failures (database or store), each followed by a retry.
    pub errors: u64,
    /// Median of the time from a transaction's commit to its tags bumped,
    /// over the last transactions (in ms; 0 before any).
    pub lag_p50_ms: f64,
    /// 99th percentile of the same.
    pub lag_p99_ms: f64,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// What a pass read and has yet to bump.
#[derive(Default)]
struct Batch {
    invalidation: Invalidation,
    /// Relation shapes to record once the bumps landed.
    shapes: Vec<(Key<'static>, String)>,
    /// The end of the last transaction read whole (PostgreSQL).
    #[cfg_attr(not(feature = "postgres-system-libpq"), allow(dead_code))]
    end: Option<u64>,
    /// The commit times of the transactions read whole.
    commits: Vec<SystemTime>,
    /// Whether the last message read is inside a transaction.
    in_transaction: bool,
}

/// How many commit-to-bump lags the statistics keep.
const LAGS_KEPT: usize = 100_000;
/// The low-level key of the lease (at version 0: one per cache prefix).
const LEASE: &str = "cache_diesel:follower:lease";
/// How often the position is published, at most.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// How often the slot's retained WAL (PostgreSQL) or the followed tables
/// (MySQL) are checked.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// The wait after a failed start (doubled after each next one).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A follower of PostgreSQL's change stream for one cache (see the
/// module docs). Cheap to clone; [`Follower::spawn`] runs it on a thread
/// of its own until [`Follower::stop`].
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cache_diesel::{Cache, Follower, FollowerOptions};
/// let cache = Cache::from_url("redis://127.0.0.1:6379/?prefix=app&follower_bound=5s")?;
/// let options = FollowerOptions {
///     tables: vec!["products".into(), "categories".into()],
///     replica_identity_full: true,
///     ..FollowerOptions::default()
/// };
/// Follower::postgres("postgres://app@db/app", cache, options).spawn()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Follower {
    shared: Arc<Shared>,
}

/// Which database a follower reads.
#[derive(Debug, Clone, Copy)]
enum Database {
    #[cfg(feature = "postgres-system-libpq")]
    Postgres,
    #[cfg(feature = "mysql-follower")]
    Mysql,
}

struct Shared {
    database: Database,
    url: String,
    cache: Cache,
    options: FollowerOptions,
    me: String,
    stop: AtomicBool,
    active: AtomicBool,
    counts: [AtomicU64; 6],
    lags_us: Mutex<Vec<u64>>,
    last_error: Mutex<Option<String>>,
    /// Passes whose commits are not flushed yet: (insert position, start).
    #[cfg_attr(not(feature = "postgres-system-libpq"), allow(dead_code))]
    unflushed: Mutex<std::collections::VecDeque<(u64, SystemTime)>>,
    /// Whether a thread runs it.
    running: AtomicBool,
    /// When the lease was last renewed (`None`: to take at once).
    lease_renewed: Mutex<Option<Instant>>,
}

#[derive(Clone, Copy)]
enum Count {
    Transactions,
    Rows,
    Bumps,
    Starts,
    Gaps,
    Errors,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("slot", &self.shared.options.slot)
            .field("me", &self.shared.me)
            .finish()
    }
}

impl Follower {
    /// A follower of the PostgreSQL database at `database_url` for
    /// `cache` (not started).
    #[cfg(feature = "postgres-system-libpq")]
    pub fn postgres(
        database_url: impl Into<String>,
        cache: Cache,
        options: FollowerOptions,
    ) -> Self {
        Self::new(Database::Postgres, database_url.into(), cache, options)
    }

    /// A follower of the MySQL or MariaDB database at `database_url`
    /// (`mysql://user:password@host:port/database`; the database is the
    /// one followed) for `cache` (not started). The server logs rows
    /// (`binlog_format = ROW`, `binlog_row_image = FULL`, and
    /// `binlog_row_metadata = FULL`, which names the columns); the user
    /// has `REPLICATION SLAVE` and `REPLICATION CLIENT` (MariaDB:
    /// `BINLOG MONITOR`) and reads `information_schema`. `slot` names the
    /// position it keeps in the cache; `publication`,
    /// `replica_identity_full` and `max_retained_wal` are PostgreSQL's.
    #[cfg(feature = "mysql-follower")]
    pub fn mysql(database_url: impl Into<String>, cache: Cache, options: FollowerOptions) -> Self {
        Self::new(Database::Mysql, database_url.into(), cache, options)
    }

    fn new(database: Database, url: String, cache: Cache, options: FollowerOptions) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Follower {
            shared: Arc::new(Shared {
                database,
                url,
                cache,
                options,
                me: format!("{}-{}-{nanos}", hostname(), std::process::id()),
                stop: AtomicBool::new(false),
                active: AtomicBool::new(false),
                counts: Default::default(),
                lags_us: Mutex::new(Vec::new()),
                last_error: Mutex::new(None),
                unflushed: Mutex::new(Default::default()),
                running: AtomicBool::new(false),
                lease_renewed: Mutex::new(None),
            }),
        }
    }

    /// Runs the follower on a thread of its own until [`Follower::stop`].
    pub fn spawn(&self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let follower = self.clone();
        std::thread::Builder::new()
            .name("cache-follower".into())
            .spawn(move || follower.run())
    }

    /// Runs the follower on this thread until [`Follower::stop`]: waits
    /// for the lease, then follows; on any failure, logs, waits and
    /// starts over from the position it confirmed.
    pub fn run(&self) {
        let s = &*self.shared;
        if s.running.swap(true, Ordering::Relaxed) {
            tracing::error!(slot = %s.options.slot, "cache follower: already running; a second run of one Follower does nothing (make another Follower)");
            return;
        }
        // (A panic in a dependency stops one run, never the follower.)
        while !s.stop.load(Ordering::Relaxed) {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match s.database {
                #[cfg(feature = "postgres-system-libpq")]
                Database::Postgres => self.follow_postgres(),
                #[cfg(feature = "mysql-follower")]
                Database::Mysql => self.follow_mysql(),
            }));
            if run.is_err() {
                self.release_lease();
                self.failed("follow (it panicked)", &"see the panic above");
            }
        }
        self.release_lease();
        s.running.store(false, Ordering::Relaxed);
    }

    /// Renews the lease when a third of it has passed (taking it when
    /// free); whether this follower holds it.
    fn keep_lease(&self) -> bool {
        let s = &*self.shared;
        let mut renewed = s.lease_renewed.lock().unwrap_or_else(|p| p.into_inner());
        if renewed.is_some_and(|at| at.elapsed() < s.options.lease / 3) {
            return s.active.load(Ordering::Relaxed);
        }
        let held = self.hold_lease();
        *renewed = Some(Instant::now());
        if !held {
            if s.active.swap(false, Ordering::Relaxed) {
                tracing::warn!(slot = %s.options.slot, "cache follower: lost the lease; another follower is active");
            }
        } else if !s.active.swap(true, Ordering::Relaxed) {
            tracing::info!(slot = %s.options.slot, "cache follower: active");
        }
        held
    }

    /// The session to follow on, while this follower holds the lease:
    /// `session` as it is, or one `start` makes. `None` (the caller goes
    /// round again) when the lease is another's (`session` dropped: a
    /// stream held open would keep the active follower off it) or the
    /// start failed (the lease let go, for another follower that may do
    /// better; `backoff` waited and doubled, up to 5 s).
    fn session<'s, T, E: std::fmt::Display>(
        &self,
        session: &'s mut Option<T>,
        backoff: &mut Duration,
        start: impl FnOnce() -> Result<T, E>,
    ) -> Option<&'s mut T> {
        if !self.keep_lease() {
            *session = None;
            std::thread::sleep(self.shared.options.lease / 3);
            return None;
        }
        if session.is_none() {
            match start() {
                Ok(started) => {
                    *backoff = FIRST_BACKOFF;
                    *session = Some(started);
                }
                Err(e) => {
                    self.release_lease();
                    self.failed("start", &e);
                    std::thread::sleep(*backoff);
                    *backoff = (*backoff * 2).min(Duration::from_secs(5));
                    return None;
                }
            }
        }
        session.as_mut()
    }

    /// Gives the lease up, if this follower holds it.
    fn release_lease(&self) {
        let s = &*self.shared;
        *s.lease_renewed.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if s.active.swap(false, Ordering::Relaxed)
            && s.cache
                .get::<String>(Key::new(LEASE).version(0))
                .ok()
                .flatten()
                .as_deref()
                == Some(s.me.as_str())
        {
            let _ = s.cache.delete(Key::new(LEASE).version(0));
        }
    }

    /// One pass on a connection of its own, for tests: connects and
    /// prepares the slot, reads and invalidates what is there, and
    /// confirms it only if `confirm` (without: what a follower killed
    /// after its bumps leaves). Returns how many changes it read.
    #[doc(hidden)]
    pub fn follow_once(&self, confirm: bool) -> Result<usize, String> {
        match self.shared.database {
            #[cfg(feature = "postgres-system-libpq")]
            Database::Postgres => self.follow_postgres_once(confirm),
            #[cfg(feature = "mysql-follower")]
            Database::Mysql => self.follow_mysql_once(confirm),
        }
    }

    /// Asks the running follower to stop (it ends its pass first).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// What it has done so far.
    pub fn stats(&self) -> FollowerStats {
        let s = &*self.shared;
        let count = |c: Count| s.counts[c as usize].load(Ordering::Relaxed);
        let mut lags = s.lags_us.lock().unwrap_or_else(|p| p.into_inner()).clone();
        lags.sort_unstable();
        let quantile = |q: f64| match lags.len() {
            0 => 0.0,
            n => lags[((n - 1) as f64 * q).round() as usize] as f64 / 1000.0,
        };
        FollowerStats {
            active: s.active.load(Ordering::Relaxed),
            transactions: count(Count::Transactions),
            rows: count(Count::Rows),
            bumps: count(Count::Bumps),
            starts: count(Count::Starts),
            gaps: count(Count::Gaps),
            errors: count(Count::Errors),
            lag_p50_ms: quantile(0.5),
            lag_p99_ms: quantile(0.99),
            last_error: s
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    fn add(&self, c: Count, n: u64) {
        self.shared.counts[c as usize].fetch_add(n, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        {
            let name = match c {
                Count::Transactions => "cache_follower_transactions_total",
                Count::Rows => "cache_follower_rows_total",
                Count::Bumps => "cache_follower_bumps_total",
                Count::Starts => "cache_follower_starts_total",
                Count::Gaps => "cache_follower_gaps_total",
                Count::Errors => "cache_follower_errors_total",
            };
            metrics::counter!(name, "slot" => self.shared.options.slot.clone()).increment(n);
        }
    }

    fn failed(&self, what: &str, error: &dyn std::fmt::Display) {
        self.add(Count::Errors, 1);
        *self
            .shared
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(format!("could not {what}: {error}"));
        tracing::warn!(slot = %self.shared.options.slot, error = %error, "cache follower: could not {what}; retrying");
        std::thread::sleep(Duration::from_millis(250));
    }

    /// Takes or renews the lease; whether this follower holds it.
    fn hold_lease(&self) -> bool {
        let s = &*self.shared;
        let key = || Key::new(LEASE).version(0);
        let ttl = s.options.lease;
        match s.cache.get::<String>(key()) {
            Ok(Some(holder)) if holder == s.me => s.cache.set(key(), &s.me, ttl).is_ok(),
            Ok(Some(_)) => false,
            Ok(None) => s.cache.add(key(), &s.me, ttl).unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Bumps what `batch` invalidated, records the shapes it saw, counts.
    fn settle(&self, batch: Batch) -> cache_core::Result<()> {
        let s = &*self.shared;
        let Batch {
            mut invalidation,
            shapes,
            commits,
            ..
        } = batch;
        let tags = std::mem::take(&mut invalidation.tags);
        self.bump(tags.into_iter().collect())?;
        for table in &invalidation.tables {
            crate::metrics::invalidations::invalidated(
                table,
                crate::metrics::invalidations::Cause::Follower,
            );
        }
        let bumped = SystemTime::now();
        for (key, shape) in shapes {
            // (Lost, it costs one more invalidation of the table.)
            let _ = s.cache.set(key, &shape, cache_core::Timeout::Never);
        }
        self.add(Count::Transactions, commits.len() as u64);
        self.add(Count::Rows, invalidation.rows);
        self.record_lags(bumped, &commits);
        Ok(())
    }

    /// Bumps `tags`, a few hundred a round trip; an error if any failed
    /// (the pass is then read again).
    fn bump(&self, tags: Vec<String>) -> cache_core::Result<()> {
        let s = &*self.shared;
        for chunk in tags.chunks(500) {
            s.cache.engine().bump_tags(chunk, Some(DEFAULT_TAG_TTL))?;
            self.add(Count::Bumps, chunk.len() as u64);
        }
        Ok(())
    }

    fn record_lags(&self, bumped: SystemTime, commits: &[SystemTime]) {
        if commits.is_empty() {
            return;
        }
        let mut lags = self
            .shared
            .lags_us
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for &commit in commits {
            let lag = bumped
                .duration_since(commit)
                .map_or(0, |d| d.as_micros() as u64);
            if lags.len() >= LAGS_KEPT {
                lags.drain(..LAGS_KEPT / 2);
            }
            lags.push(lag);
            #[cfg(feature = "metrics")]
            metrics::histogram!("cache_follower_lag_seconds", "slot" => self.shared.options.slot.clone())
                .record(lag as f64 / 1e6);
        }
    }
}

/// The names a `table!` may give a table named `name` (`schema.table`
/// outside `public`): both.
#[cfg(feature = "postgres-system-libpq")]
fn names(name: &str) -> Vec<String> {
    match name.split_once('.') {
        Some((_, bare)) => vec![name.to_owned(), bare.to_owned()],
        None => vec![name.to_owned()],
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into())
}
