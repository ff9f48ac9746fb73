//! The change-stream follower: every change PostgreSQL commits, whoever
//! wrote it (another service, `psql`, a migration, a trigger, a cascade),
//! invalidates what a hook write of the same rows would.
//!
//! - `pgoutput`: the replication messages, parsed;
//! - `changes`: what a change invalidates, from the stream's own picture
//!   of the table;
//! - `slot`: the publication and the slot, over the SQL interface;
//! - here: the loop (peek, bump, advance, publish the position), the lease
//!   that keeps one follower active per cache prefix, and the counters.
//!
//! See the guide's chapter on following the database
//! (`docs/guide/follower.md`).

mod changes;
mod pgoutput;
mod slot;
mod stream;

use crate::tags::DEFAULT_TAG_TTL;
use cache_core::{Cache, Key};
use changes::{Invalidation, Known, Relations, Seen};
use diesel::{Connection, PgConnection};
use pgoutput::Message;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use stream::{Received, Stream};

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
    /// The end of the last transaction read whole.
    end: Option<u64>,
    /// The commit times of the transactions read whole.
    commits: Vec<i64>,
    /// Whether the last message read is inside a transaction.
    in_transaction: bool,
}

/// Where a stream stands, between passes.
struct Tail {
    /// The position confirmed to the server (the slot's).
    confirmed: u64,
    /// The furthest keepalive position seen between transactions.
    idle_end: u64,
    /// Whether the last message read is inside a transaction.
    in_transaction: bool,
    /// A question to the server in flight: its insert position and when
    /// it was asked (what is covered once the stream passes it).
    asked: Option<(u64, SystemTime)>,
    last_ask: Option<Instant>,
    /// When a status was last sent, and whether the server asked for one.
    last_status: Instant,
    reply_owed: bool,
}

impl Default for Tail {
    fn default() -> Self {
        Tail {
            confirmed: 0,
            idle_end: 0,
            in_transaction: false,
            asked: None,
            last_ask: None,
            last_status: Instant::now(),
            reply_owed: false,
        }
    }
}

/// How many commit-to-bump lags the statistics keep.
const LAGS_KEPT: usize = 100_000;
/// The low-level key of the lease (at version 0: one per cache prefix).
const LEASE: &str = "cache_diesel:follower:lease";
/// How often the position is published, at most.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// How often the slot's retained WAL is checked.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

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

struct Shared {
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
    pub fn postgres(
        database_url: impl Into<String>,
        cache: Cache,
        options: FollowerOptions,
    ) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Follower {
            shared: Arc::new(Shared {
                url: database_url.into(),
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
    /// starts over from the slot's confirmed position.
    pub fn run(&self) {
        let s = &*self.shared;
        let mut relations = Relations::default();
        let mut conn: Option<PgConnection> = None;
        let mut stream: Option<Stream> = None;
        let mut tail = Tail::default();
        let mut checked = Instant::now();
        let mut backoff = Duration::from_millis(250);
        if s.running.swap(true, Ordering::Relaxed) {
            tracing::error!(slot = %s.options.slot, "cache follower: already running; a second run of one Follower does nothing (make another Follower)");
            return;
        }
        while !s.stop.load(Ordering::Relaxed) {
            if !self.keep_lease() {
                (conn, stream) = (None, None);
                std::thread::sleep(s.options.lease / 3);
                continue;
            }
            let c = match conn.as_mut() {
                Some(c) => c,
                None => match self.start(&mut relations) {
                    Ok(c) => {
                        backoff = Duration::from_millis(250);
                        stream = None;
                        conn.insert(c)
                    }
                    Err(e) => {
                        // Another follower may do better: the lease goes.
                        self.release_lease();
                        self.failed("start", &e);
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                },
            };
            if checked.elapsed() >= CHECK_EVERY {
                checked = Instant::now();
                if let Err(e) = self.bound_retained(c, &mut relations, &mut stream) {
                    self.failed("check the slot", &e);
                    (conn, stream) = (None, None);
                    continue;
                }
            }
            let st = match stream.as_mut() {
                Some(st) => st,
                None => match Stream::start(&s.url, &s.options.slot, &s.options.publication) {
                    Ok(st) => {
                        tail = Tail::default();
                        stream.insert(st)
                    }
                    Err(e) => {
                        self.failed("stream the slot", &e);
                        conn = None;
                        continue;
                    }
                },
            };
            match self.stream_pass(c, &mut relations, st, &mut tail) {
                // Nothing arrived: wait for the stream (or the next
                // question to the server).
                Ok(0) => st.wait(s.options.poll.min(PUBLISH_EVERY)),
                Ok(_) => {}
                Err(e) => {
                    let text = e.to_string();
                    stream = None;
                    if text.contains("publication") && text.contains("does not exist") {
                        // Dropped under us: the slot's WAL cannot be
                        // decoded without it, even once it is back. A new
                        // slot (a gap, at the next start).
                        tracing::warn!(slot = %s.options.slot, error = %text, "cache follower: the publication is gone; the slot is made anew");
                        if let Err(e) = slot::drop_slot_when_free(c, &s.options.slot) {
                            self.failed("drop the slot", &e);
                        }
                    } else {
                        self.failed("follow", &e);
                    }
                    conn = None;
                }
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
        let mut relations = Relations::default();
        let mut conn = self.start(&mut relations).map_err(|e| e.to_string())?;
        self.pass(&mut conn, &mut relations, confirm)
            .map(|(n, _)| n)
            .map_err(|e| e.to_string())
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

    /// Connects and prepares the slot; after a gap, invalidates every
    /// followed table.
    fn start(&self, relations: &mut Relations) -> Result<PgConnection, Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let mut conn = PgConnection::establish(&s.url)?;
        let start = slot::prepare(&mut conn, &s.options)?;
        self.add(Count::Starts, 1);
        // Whatever this process knew of the relations, it learns anew.
        *relations = Relations::default();
        if start == slot::Start::Gap {
            self.gap(&mut conn)?;
        }
        Ok(conn)
    }

    /// Invalidates every followed table (and what reads it): the stream
    /// does not hold what was committed before now.
    fn gap(&self, conn: &mut PgConnection) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        self.add(Count::Gaps, 1);
        let mut tags = Vec::new();
        for table in slot::published_tables(conn, &s.options.publication)? {
            let mut all = names(&table);
            if let Some(oid) = slot::oid_of(conn, &table)? {
                all.extend(slot::readers(conn, oid)?.iter().flat_map(|r| names(r)));
            }
            for name in all {
                tags.push(crate::keys::table_tag(
                    &s.cache,
                    &name.to_lowercase(),
                    crate::keys::TableTag::Epoch,
                ));
            }
        }
        tracing::warn!(slot = %s.options.slot, tables = tags.len(), "cache follower: the stream starts here; every followed table invalidated");
        self.bump(tags.into_iter().collect())?;
        Ok(())
    }

    /// Past `max_retained_wal` (or lost by the server): drop the slot,
    /// create it anew, invalidate everything followed.
    fn bound_retained(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        stream: &mut Option<Stream>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let Some((retained, lost)) = slot::retained(conn, &s.options.slot)? else {
            // Dropped by someone: start over (a gap).
            *stream = None;
            *conn = self.start(relations)?;
            return Ok(());
        };
        if lost || retained > s.options.max_retained_wal {
            tracing::warn!(slot = %s.options.slot, retained, lost, "cache follower: the slot holds back too much WAL; dropping it");
            *stream = None;
            slot::drop_slot_when_free(conn, &s.options.slot)?;
            *conn = self.start(relations)?;
            return Ok(());
        }
        // A followed table dropped and created again is no longer in the
        // publication: added back, and what was written meanwhile is not
        // in the stream (a gap).
        let published = slot::published_tables(conn, &s.options.publication)?;
        let missing = s.options.tables.iter().any(|t| {
            let bare = t.rsplit('.').next().unwrap_or(t);
            !published.iter().any(|p| p == t || p == bare)
        });
        if missing {
            tracing::warn!(slot = %s.options.slot, "cache follower: a followed table left the publication (dropped and created again?); added back");
            slot::prepare(conn, &s.options)?;
            self.gap(conn)?;
        }
        Ok(())
    }

    /// One pass: peek, invalidate, advance. Returns how many changes it
    /// read, and the moment up to which every commit is now invalidated.
    fn pass(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        confirm: bool,
    ) -> Result<(usize, Option<SystemTime>), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let started = SystemTime::now();
        let (inserted, flushed) = slot::wal_positions(conn)?;
        let rows = match slot::peek(conn, &s.options) {
            Ok(rows) => rows,
            Err(e) => {
                let text = e.to_string();
                if text.contains(&format!(
                    "replication slot \"{}\" does not exist",
                    s.options.slot
                )) {
                    // Dropped under us: a gap (the next start makes one).
                    *conn = self.start(relations)?;
                    return Ok((0, None));
                }
                if text.contains("publication") && text.contains("does not exist") {
                    // Dropped under us: the slot's WAL cannot be decoded
                    // without it, even once it is back. A new slot (a gap).
                    tracing::warn!(slot = %s.options.slot, error = %text, "cache follower: the publication is gone; the slot is made anew");
                    slot::drop_slot(conn, &s.options.slot)?;
                    *conn = self.start(relations)?;
                    return Ok((0, None));
                }
                return Err(e.into());
            }
        };
        let mut batch = Batch::default();
        for row in &rows {
            self.absorb(conn, relations, &row.data, &mut batch)?;
        }
        let (end, last_commit) = (batch.end, batch.commits.last().copied());
        self.settle(batch)?;
        if let Some(end) = end.filter(|_| confirm) {
            slot::advance(conn, &s.options.slot, end)?;
        }
        // Caught up (a short batch): every commit whose WAL the peek
        // could read is invalidated: those that returned before a pass
        // began whose insert position is now flushed. Else, those up to
        // the last one read.
        let covered = if rows.len() >= s.options.batch {
            last_commit.map(pg_time)
        } else {
            self.flushed_since(inserted, started, flushed)
        };
        Ok((rows.len(), covered))
    }

    /// The low-level key of the shape last followed of relation `id`.
    fn shape_key(&self, id: u32) -> Key<'static> {
        Key::new(format!(
            "cache_diesel:follower:{}:relation:{id}",
            self.shared.options.slot
        ))
        .version(0)
    }

    /// Reads one pgoutput message into `batch`: a relation's description
    /// (its shape checked, its readers and keys asked of the catalogue on
    /// first sight), a transaction's end, or a change's tags.
    fn absorb(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        bytes: &[u8],
        batch: &mut Batch,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let message = match pgoutput::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                // Not understood: everything this cache holds.
                tracing::error!(slot = %s.options.slot, error = %e, "cache follower: a change it cannot read; the whole cache invalidated");
                batch
                    .invalidation
                    .tags
                    .insert(crate::keys::all_tag(&s.cache));
                return Ok(());
            }
        };
        match &message {
            Message::Relation(relation) => {
                if relations.see(relation) == Seen::New {
                    let readers = slot::readers(conn, relation.id)?
                        .iter()
                        .flat_map(|r| names(r))
                        .collect();
                    let key = slot::primary_key(conn, relation.id)?;
                    let unique = slot::unique_columns(conn, relation.id)?;
                    let known = Known::new(relation.clone(), readers, key, unique);
                    // A shape other than the one last followed (or none
                    // recorded): DDL may have rewritten values without a
                    // change in the stream.
                    let shape = shape_of(relation);
                    let key = self.shape_key(relation.id);
                    if s.cache.get::<String>(key.clone()).ok().flatten().as_deref()
                        != Some(shape.as_str())
                    {
                        batch.invalidation.epoch(&s.cache, &known);
                        batch.shapes.push((key, shape));
                    }
                    relations.keep(known);
                }
            }
            Message::Begin => batch.in_transaction = true,
            Message::Commit { end_lsn, timestamp } => {
                batch.in_transaction = false;
                batch.end = Some(*end_lsn);
                batch.commits.push(*timestamp);
            }
            other => {
                if let Err(id) = batch.invalidation.message(&s.cache, relations, other) {
                    tracing::error!(slot = %s.options.slot, relation = id, "cache follower: a change of a relation not described; the whole cache invalidated");
                    batch
                        .invalidation
                        .tags
                        .insert(crate::keys::all_tag(&s.cache));
                }
            }
        }
        Ok(())
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

    /// Reads what the stream holds now (up to `batch` messages), bumps its
    /// tags, then confirms the transactions whose bumps landed; asks the
    /// server where it stands now and then, and publishes the position
    /// once the stream has passed it. Returns how many messages it read.
    fn stream_pass(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        stream: &mut Stream,
        tail: &mut Tail,
    ) -> Result<usize, Box<dyn std::error::Error>> {
        let s = &*self.shared;
        if tail.asked.is_none() && tail.last_ask.is_none_or(|at| at.elapsed() >= PUBLISH_EVERY) {
            let started = SystemTime::now();
            let (inserted, _) = slot::wal_positions(conn)?;
            stream.confirm(tail.confirmed, true)?;
            tail.asked = Some((inserted, started));
            tail.last_ask = Some(Instant::now());
            tail.last_status = Instant::now();
        }
        let mut batch = Batch {
            in_transaction: tail.in_transaction,
            ..Batch::default()
        };
        let mut covered = None;
        let mut read = 0;
        while read < s.options.batch {
            // A long transaction keeps the lease (another follower taking
            // it would start the transaction over, and so on).
            if read % 256 == 255 && !self.keep_lease() {
                return Err("lost the lease".into());
            }
            match stream.try_next()? {
                None => break,
                Some(Received::Data(bytes)) => self.absorb(conn, relations, &bytes, &mut batch)?,
                Some(Received::Keepalive { wal_end, reply }) => {
                    // Everything before `wal_end` has been sent: between
                    // transactions, the slot may move there.
                    if !batch.in_transaction {
                        tail.idle_end = tail.idle_end.max(wal_end);
                    }
                    if let Some((inserted, started)) = tail.asked
                        && wal_end >= past_page_header(inserted)
                    {
                        covered = Some(started);
                        tail.asked = None;
                    }
                    tail.reply_owed |= reply;
                }
            }
            read += 1;
        }
        tail.in_transaction = batch.in_transaction;
        let end = batch.end;
        self.settle(batch)?;
        if let Some(end) = end {
            tail.confirmed = tail.confirmed.max(end);
        }
        if !tail.in_transaction {
            tail.confirmed = tail.confirmed.max(tail.idle_end);
        }
        if end.is_some() || tail.reply_owed || tail.last_status.elapsed() >= Duration::from_secs(1)
        {
            stream.confirm(tail.confirmed, false)?;
            tail.reply_owed = false;
            tail.last_status = Instant::now();
        }
        if let Some(covered) = covered
            && let Err(e) = s.cache.publish_follower_position(covered)
        {
            self.failed("publish the position", &e);
        }
        // (An unanswered question is asked again after a while.)
        if tail
            .last_ask
            .is_some_and(|at| at.elapsed() >= Duration::from_secs(5))
        {
            tail.asked = None;
        }
        Ok(read)
    }

    /// The latest pass start all of whose commits are flushed (so read
    /// by a peek that began after `flushed` was): this pass's start when
    /// its insert position `inserted` is, else an earlier one's.
    fn flushed_since(
        &self,
        inserted: u64,
        started: SystemTime,
        flushed: u64,
    ) -> Option<SystemTime> {
        let mut pending = self
            .shared
            .unflushed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        pending.push_back((inserted, started));
        let mut covered = None;
        while pending.front().is_some_and(|(at, _)| *at <= flushed) {
            covered = pending.pop_front().map(|(_, t)| t);
        }
        // (Bounded: a server that never flushes is not followed anyway.)
        while pending.len() > 10_000 {
            pending.pop_front();
        }
        covered
    }

    /// Bumps `tags`, a few hundred a round trip; an error if any failed
    /// (the pass is then read again).
    fn bump(&self, tags: Vec<String>) -> cache_core::Result<()> {
        let s = &*self.shared;
        for chunk in tags.chunks(500) {
            s.cache.bump_tags(chunk, Some(DEFAULT_TAG_TTL))?;
            self.add(Count::Bumps, chunk.len() as u64);
        }
        Ok(())
    }

    fn record_lags(&self, bumped: SystemTime, commits: &[i64]) {
        if commits.is_empty() {
            return;
        }
        let bumped_us = bumped
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let mut lags = self
            .shared
            .lags_us
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for &commit in commits {
            let lag = (bumped_us - (commit + PG_EPOCH_US)).max(0) as u64;
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

/// What of a relation, changed, may mean its rows changed unseen: its
/// name, and its columns' names, types and key flags.
fn shape_of(relation: &pgoutput::Relation) -> String {
    let mut shape = format!("{}.{}", relation.namespace, relation.name);
    for c in &relation.columns {
        shape.push_str(&format!(" {}:{}:{}", c.name, c.type_oid, u8::from(c.key)));
    }
    shape
}

/// A WAL position, back at the start of its page when it is just past
/// the page's header (24 bytes, 40 at a segment's start): the insert
/// position counts the next page's header, which no record holds, and
/// the stream's positions stop at the end of the last record.
fn past_page_header(position: u64) -> u64 {
    match position % 8192 {
        offset @ 1..=40 => position - offset,
        _ => position,
    }
}

/// A PostgreSQL timestamp (µs since 2000-01-01) as a `SystemTime`.
fn pg_time(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros((us + PG_EPOCH_US).max(0) as u64)
}

/// The names a `table!` may give a table named `name` (`schema.table`
/// outside `public`): both.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A position just past a page's header is the page's start (found by
    /// an outside probe: an idle server whose last record ended on a page
    /// boundary was never caught up with).
    #[test]
    fn a_position_past_a_page_header_is_the_page_start() {
        assert_eq!(past_page_header(0x38B7_2018), 0x38B7_2000);
        assert_eq!(
            past_page_header(0x0100_0028),
            0x0100_0000,
            "a segment's long header"
        );
        assert_eq!(past_page_header(0x38B7_2000), 0x38B7_2000);
        assert_eq!(
            past_page_header(0x38B7_2030),
            0x38B7_2030,
            "inside a record"
        );
    }
}
