//! A cache-aware connection: Diesel instrumentation that defers
//! invalidations to the commit and catches writes the hooks never saw.
//!
//! Install it once per connection with [`track`] (or, for a pool, in its
//! `on_acquire` customizer). It then:
//!
//! - holds the invalidations of manager hooks run inside a transaction
//!   until the transaction commits (savepoints merge into their parent on
//!   release), and drops them on rollback;
//! - remembers which tables the open transaction wrote, so that reads of
//!   those models bypass the cache until the commit;
//! - reads the SQL of every statement and, for writes that did not come
//!   from a manager hook (`diesel::update(..)`, `diesel::delete(..)`, bulk
//!   `insert_into`, `sql_query("UPDATE ..")`, writes in CTEs), invalidates
//!   every entry of the written tables after the commit (their `epoch` tag).
//!
//! It cannot see writes made by triggers, by other programs, or through
//! another connection without it; after those, call the model's
//! `invalidate_all()` (or `invalidate_id(id)`).
//!
//! Diesel emits `CommitTransaction` before `COMMIT` runs, so the commit is
//! taken as done at the successful `FinishQuery` of the commit statement.

use crate::registry;
use crate::sql_tables::written_tables;
use crate::tags::{DEFAULT_TAG_TTL, TableTag, bump, table_tag};
use cache_core::{Cache, Ttl};
use diesel::Connection;
use diesel::connection::{
    Instrumentation, InstrumentationEvent, TransactionManager, TransactionManagerStatus,
};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// Invalidations waiting for a commit.
struct Deferred {
    cache: Cache,
    tags: Vec<String>,
    /// The table's epoch tag (see `tags::bump`).
    cover: String,
    ttl: Ttl,
}

/// What one transaction level has done so far.
#[derive(Default)]
struct Level {
    deferred: Vec<Deferred>,
    /// Tables written at this level by anything.
    written: BTreeSet<String>,
    /// Tables written at this level by statements outside manager hooks.
    unseen: BTreeSet<String>,
}

impl Level {
    fn absorb(&mut self, inner: Level) {
        self.deferred.extend(inner.deferred);
        self.written.extend(inner.written);
        self.unseen.extend(inner.unseen);
    }
}

/// The instrumentation that makes a connection cache-aware. See the module
/// documentation; install with [`track`].
#[derive(Default)]
pub struct CacheTracking {
    inner: Option<Box<dyn Instrumentation>>,
    levels: Vec<Level>,
    /// Above zero while a manager hook runs its own write statement.
    hook_depth: u32,
    /// Tables the running statement writes.
    statement_writes: Vec<String>,
    /// Set by `CommitTransaction`, resolved by the commit statement's `FinishQuery`.
    committing: bool,
    /// Where unseen writes are invalidated: these caches, or (when `None`)
    /// every cache a manager of the written table uses.
    caches: Option<Vec<Cache>>,
}

impl std::fmt::Debug for CacheTracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheTracking")
            .field("depth", &self.levels.len())
            .finish()
    }
}

impl CacheTracking {
    /// A tracker with no other instrumentation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also passes every event to `other` (a logger, a query counter).
    pub fn with(mut self, other: impl Instrumentation) -> Self {
        self.inner = Some(Box::new(other));
        self
    }

    /// Invalidates the tables this connection writes behind the hooks in
    /// these caches only (by default: every cache that a manager of the
    /// table uses, which is right for one database per process).
    pub fn for_caches(mut self, caches: impl IntoIterator<Item = Cache>) -> Self {
        self.caches = Some(caches.into_iter().collect());
        self
    }

    /// Whether this connection's open transaction wrote to `table`.
    pub fn transaction_wrote(&self, table: &str) -> bool {
        let table = table.to_ascii_lowercase();
        self.levels.iter().any(|l| l.written.contains(&table))
    }

    fn on_finish(&mut self, ok: bool) {
        let writes = std::mem::take(&mut self.statement_writes);
        if self.committing {
            self.committing = false;
            if ok {
                self.commit_top();
            }
            return;
        }
        if !ok || writes.is_empty() {
            return;
        }
        let from_hook = self.hook_depth > 0;
        match self.levels.last_mut() {
            Some(level) => {
                level.written.extend(writes.iter().cloned());
                if !from_hook {
                    level.unseen.extend(writes);
                }
            }
            None if !from_hook => self.bump_epochs(writes.iter().map(String::as_str)),
            None => {}
        }
    }

    fn commit_top(&mut self) {
        let Some(level) = self.levels.pop() else {
            return;
        };
        match self.levels.last_mut() {
            Some(parent) => parent.absorb(level),
            None => {
                for d in level.deferred {
                    bump(
                        &d.cache,
                        &d.tags,
                        Some(&d.cover),
                        d.ttl,
                        "transaction",
                        "commit",
                    );
                }
                self.bump_epochs(level.unseen.iter().map(String::as_str));
            }
        }
    }
}

impl Instrumentation for CacheTracking {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match &event {
            InstrumentationEvent::StartQuery { query, .. } if !self.committing => {
                self.statement_writes = written_tables(&query.to_string());
            }
            InstrumentationEvent::FinishQuery { error, .. } => self.on_finish(error.is_none()),
            InstrumentationEvent::BeginTransaction { .. } => self.levels.push(Level::default()),
            InstrumentationEvent::CommitTransaction { .. } => self.committing = true,
            InstrumentationEvent::RollbackTransaction { .. } => {
                self.committing = false;
                self.levels.pop();
            }
            _ => {}
        }
        if let Some(inner) = &mut self.inner {
            inner.on_connection_event(event);
        }
    }
}

impl CacheTracking {
    /// Invalidates every entry of these tables.
    fn bump_epochs<'a>(&self, tables: impl Iterator<Item = &'a str>) {
        for table in tables {
            let caches = match &self.caches {
                Some(caches) => caches.clone(),
                None => registry::caches_for(table),
            };
            tracing::debug!(
                table,
                caches = caches.len(),
                "write outside the managers' hooks"
            );
            for cache in caches {
                let tag = table_tag(&cache, table, TableTag::Epoch);
                bump(
                    &cache,
                    &[tag],
                    None,
                    Some(DEFAULT_TAG_TTL),
                    table,
                    "unseen write",
                );
            }
        }
    }
}

/// Makes `conn` cache-aware (replacing its instrumentation; use
/// [`CacheTracking::with`] to keep another).
pub fn track<C: Connection>(conn: &mut C) {
    conn.set_instrumentation(CacheTracking::new());
}

/// The connection's tracker, if [`track`] installed one.
pub fn tracker<C: Connection>(conn: &mut C) -> Option<&mut CacheTracking> {
    conn.instrumentation().downcast_mut::<CacheTracking>()
}

/// Runs `f` in a transaction (Diesel's own), with the connection's cache
/// invalidations deferred to the commit and dropped on rollback. Nested
/// calls are savepoints. Needs [`track`] on the connection; without it the
/// invalidations cannot wait for the commit, and a warning is logged once.
pub fn transaction<C, T, E, F>(conn: &mut C, f: F) -> Result<T, E>
where
    C: Connection,
    F: FnOnce(&mut C) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if tracker(conn).is_none() {
        warn_untracked();
    }
    conn.transaction(f)
}

/// How deep in transactions `conn` is (0: autocommit).
pub(crate) fn transaction_depth<C: Connection>(conn: &mut C) -> u32 {
    match C::TransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(valid) => valid.transaction_depth().map_or(0, |d| d.get()),
        TransactionManagerStatus::InError => 1,
    }
}

pub(crate) fn warn_untracked() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "cache write inside a transaction on a connection without cache_diesel::track: \
             invalidation cannot wait for the commit"
        );
    }
}

/// What a read may do with the cache, given the connection's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadPolicy {
    /// Read, and fill on a miss.
    Normal,
    /// Inside a transaction: read, but never fill (the transaction may see
    /// an older snapshot).
    NoFill,
    /// The open transaction wrote one of the tables: the database only.
    Bypass,
}

/// The policy for a read whose result depends on `tables`.
pub(crate) fn read_policy<'t, C: Connection>(
    conn: &mut C,
    mut tables: impl Iterator<Item = &'t str>,
) -> ReadPolicy {
    if transaction_depth(conn) == 0 {
        return ReadPolicy::Normal;
    }
    match tracker(conn) {
        Some(t) if tables.any(|table| t.transaction_wrote(table)) => ReadPolicy::Bypass,
        _ => ReadPolicy::NoFill,
    }
}

/// How a manager write reaches the tracker.
pub(crate) enum Invalidation {
    /// Bump now (no transaction open).
    Now,
    /// Deferred to the commit.
    Deferred,
}

/// Runs a manager hook's own write statement, so the tracker does not
/// count it as a write it never saw.
pub(crate) fn as_hook<C: Connection, T>(conn: &mut C, f: impl FnOnce(&mut C) -> T) -> T {
    if let Some(t) = tracker(conn) {
        t.hook_depth += 1;
    }
    let out = f(conn);
    if let Some(t) = tracker(conn) {
        t.hook_depth = t.hook_depth.saturating_sub(1);
    }
    out
}

/// Defers `tags` to the commit when a transaction is open on a tracked
/// connection; otherwise says to bump now.
pub(crate) fn defer<C: Connection>(
    conn: &mut C,
    cache: &Cache,
    tags: &[String],
    cover: &str,
    ttl: Ttl,
) -> Invalidation {
    if transaction_depth(conn) == 0 {
        return Invalidation::Now;
    }
    match tracker(conn).and_then(|t| t.levels.last_mut()) {
        Some(level) => {
            level.deferred.push(Deferred {
                cache: cache.clone(),
                tags: tags.to_vec(),
                cover: cover.to_owned(),
                ttl,
            });
            Invalidation::Deferred
        }
        None => {
            warn_untracked();
            Invalidation::Now
        }
    }
}
