//! A cache-aware connection: Diesel instrumentation that defers
//! invalidations to the commit and catches writes the hooks never saw.
//!
//! Install it once per connection with [`track`] (or, for a pool, in its
//! `on_acquire` customizer, with [`CacheTracking::for_connection`]). It
//! reads the SQL of every statement the connection runs ([`crate::sql_tables`])
//! and:
//!
//! - follows the transaction from that SQL, whoever sent it: Diesel's own
//!   `BEGIN`/`SAVEPOINT`/`RELEASE`/`COMMIT`/`ROLLBACK [TO]`, and the same
//!   statements sent as text (`batch_execute("BEGIN")`, `START TRANSACTION`,
//!   `END`);
//! - holds the invalidations of manager hooks run inside a transaction
//!   until it commits (savepoints merge into their parent on release) and
//!   drops them on rollback;
//! - remembers which tables the open transaction wrote, so that reads of
//!   those models bypass the cache until the commit, and no read inside a
//!   transaction fills the cache;
//! - invalidates every entry of the tables written by statements that did
//!   not come from a manager hook (their `epoch` tag), after the commit;
//!   statements it cannot classify for sure (`CALL`, `DO`, `EXECUTE`, an
//!   unbalanced quote, a query Diesel cannot render) invalidate every
//!   managed table ([`crate::tracking::written_tables`]).
//!
//! A `COMMIT` counts as done when it returns, successfully or not: one that
//! failed may still have committed (the connection dropped after sending
//! it), and invalidating a rolled-back transaction costs only misses. When
//! the tracker cannot be sure whether a transaction is open (a failed
//! multi-statement batch, a `RELEASE` of a savepoint it never saw), it
//! invalidates what is pending at once and again at the next transaction
//! end, and until that end its reads do not fill the cache (on MariaDB and
//! PostgreSQL, until the next read asks the server where the session is).
//!
//! It cannot see writes made by triggers, by other programs, or through
//! another connection without it; after those, call
//! [`invalidate_tables`](crate::invalidate_tables) or the model's
//! `invalidate_all()`.
//!
//! Beside this module's own files (`events`, `hooks`, `transaction`,
//! `invalidate`, `in_flight`): `tracking_async`, the same tracker on
//! diesel-async connections; `written_tables`, what a write the hooks never
//! saw invalidates (declared views, writing functions, uncached tables);
//! `resync`, asking the server whether a transaction is open once the
//! tracker lost track.

mod events;
mod hooks;
#[cfg(feature = "async")]
mod in_flight;
mod invalidate;
pub(crate) mod resync;
#[cfg(feature = "async")]
pub(crate) mod tracking_async;
mod transaction;
pub(crate) mod written_tables;

pub(crate) use events::certainly_failed;
#[cfg(feature = "async")]
pub(crate) use hooks::policy_on;
pub(crate) use hooks::{
    Invalidation, ReadPolicy, SyncConn, Tracked, as_hook, defer, defer_unseen, read_policy,
    tracked_caches,
};
#[cfg(feature = "async")]
pub(crate) use in_flight::while_it_may_land;

use crate::sql_tables::{Dialect, Statement};
use cache_core::{Cache, Ttl};
use diesel::Connection;
use diesel::connection::{Instrumentation, TransactionManager, TransactionManagerStatus};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Invalidations of a manager hook waiting for a commit.
#[derive(Clone)]
pub(crate) struct Deferred {
    cache: Cache,
    tags: Vec<String>,
    /// The table's epoch tag (see `tags::bump`).
    cover: String,
    ttl: Ttl,
}

/// A write's tags and the cover they are owed under (see `tags::bump`).
type TagGroup<'a> = (&'a [String], Option<&'a str>);

/// What is pending for a commit: one transaction level's, or (as the
/// tracker's `reminder`) what to invalidate again at the next end of a
/// transaction after the tracker lost track.
#[derive(Default, Clone)]
struct Pending {
    deferred: Vec<Deferred>,
    /// Tables written by anything.
    written: BTreeSet<String>,
    /// A statement (a hook's included) may have written any table.
    wrote_any: bool,
    /// Tables written by statements outside manager hooks.
    unseen: BTreeSet<String>,
    /// A statement outside the hooks may have written any table.
    everything: bool,
}

impl Pending {
    fn absorb(&mut self, other: Pending) {
        self.deferred.extend(other.deferred);
        self.written.extend(other.written);
        self.wrote_any |= other.wrote_any;
        self.unseen.extend(other.unseen);
        self.everything |= other.everything;
    }

    fn is_empty(&self) -> bool {
        self.deferred.is_empty() && self.unseen.is_empty() && !self.everything
    }

    fn wrote(&self, table: &str) -> bool {
        self.wrote_any || self.written.contains(table)
    }
}

/// One transaction level: the transaction itself, or a savepoint in it.
#[derive(Default)]
struct Level {
    /// The savepoint's name (`None` for `BEGIN`).
    savepoint: Option<String>,
    pending: Pending,
}

/// The instrumentation that makes a connection cache-aware. See the module
/// documentation; install with [`track`].
pub struct CacheTracking {
    inner: Option<Box<dyn Instrumentation>>,
    dialect: Dialect,
    /// The open transaction's levels, outermost first (empty: autocommit).
    levels: Vec<Level>,
    /// Set when the tracker lost track of the transaction: what to
    /// invalidate again at the next `COMMIT`/`ROLLBACK`.
    reminder: Option<Pending>,
    /// MySQL's `autocommit = 0` is set: a transaction is always open (see
    /// `sql_tables::mysql_session`).
    autocommit_off: bool,
    /// MySQL's `completion_type = CHAIN` is set: a `COMMIT` or `ROLLBACK`
    /// opens the next transaction (see `sql_tables::mysql_session`).
    chain: bool,
    /// The statement text being applied says `AND NO CHAIN`.
    no_chain: bool,
    /// MySQL's `LOCK TABLES` holds locks: `UNLOCK TABLES` commits.
    tables_locked: bool,
    /// MySQL ran a statement the tracker cannot read (`CALL`, `EXECUTE`,
    /// a compound statement), which may have opened a transaction or set
    /// `autocommit` or `completion_type`: from then on a transaction may
    /// be open between any two statements (see `lose_track`).
    session_unsure: bool,
    /// MySQL: after a resync that followed lost track, whether `LOCK
    /// TABLES` holds locks is unknown (the server cannot be asked), so an
    /// `UNLOCK TABLES` loses track.
    tables_lock_unknown: bool,
    /// On an async MySQL connection, a statement was given up before its
    /// answer (its future dropped): mysql_async reads that answer as the
    /// next statement's, and each later one's as the one after (seen: a
    /// lookup handed an empty reply, the next one the row the first asked
    /// for). From then on the connection's reads fill nothing and its
    /// hooks' writes are invalidated per table: what it reads may belong
    /// to another statement.
    replies_unreliable: bool,
    /// Tables a temporary table of this connection's (`CREATE TEMPORARY
    /// TABLE products ..`) hides from it: its reads of them see the
    /// temporary one, and must neither fill the cache nor be served from
    /// it. `shadows_any`: one was created by text the tracker could not
    /// read (`EXECUTE IMMEDIATE 'CREATE TEMPORARY TABLE ..'`).
    shadowed: BTreeSet<String>,
    shadows_any: bool,
    /// MySQL's `sql_mode` was set, maybe to `NO_BACKSLASH_ESCAPES`, or
    /// PostgreSQL's `standard_conforming_strings`: text with a backslash
    /// is read both ways (`sql_tables::analyze_mysql_either_escapes`,
    /// `analyze_postgres_either_strings`).
    escapes_unsure: bool,
    /// The statement finishing is a prepared one on SQLite, which runs the
    /// first statement of its text only (Diesel ignores the rest).
    first_only: bool,
    /// Above zero while a manager hook runs its own write statement
    /// (shared: an async hook's guard holds it across its await).
    hooks: Arc<AtomicU32>,
    /// Whether invalidations at a commit must not wait for the cache: the
    /// connection runs its statements on an async runtime's thread. They
    /// are then owed (this process's reads see them at once) and delivered
    /// by a task.
    #[cfg(feature = "async")]
    is_async: bool,
    /// The tasks delivering this connection's owed invalidations.
    #[cfg(feature = "async")]
    landing: Vec<tokio::task::JoinHandle<()>>,
    /// The statements started and not finished yet, oldest first (async
    /// connections only: a statement whose future is dropped never
    /// finishes), shared with the watchdog once `watching`.
    #[cfg(feature = "async")]
    in_flight: in_flight::Shared,
    #[cfg(feature = "async")]
    watching: bool,
    /// Where unseen writes are invalidated: these caches, or (when `None`)
    /// every cache holding entries of the written table.
    caches: Option<Vec<Cache>>,
}

impl Default for CacheTracking {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CacheTracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheTracking")
            .field("dialect", &self.dialect)
            .field("depth", &self.levels.len())
            .field("lost_track", &self.reminder.is_some())
            .finish()
    }
}

impl CacheTracking {
    /// A tracker that lexes SQL safely for every database (see
    /// `Dialect::Any`); prefer [`CacheTracking::for_connection`].
    pub fn new() -> Self {
        CacheTracking {
            inner: None,
            dialect: Dialect::Any,
            levels: Vec::new(),
            reminder: None,
            autocommit_off: false,
            chain: false,
            no_chain: false,
            tables_locked: false,
            session_unsure: false,
            replies_unreliable: false,
            tables_lock_unknown: false,
            shadowed: BTreeSet::new(),
            shadows_any: false,
            escapes_unsure: false,
            first_only: false,
            hooks: Arc::default(),
            #[cfg(feature = "async")]
            is_async: false,
            #[cfg(feature = "async")]
            landing: Vec::new(),
            #[cfg(feature = "async")]
            in_flight: Default::default(),
            #[cfg(feature = "async")]
            watching: false,
            caches: None,
        }
    }

    /// A tracker for connections of type `C`, lexing SQL by its database's rules.
    pub fn for_connection<C: Connection>() -> Self {
        Self::for_backend::<C::Backend>()
    }

    /// A tracker lexing SQL by the rules of the database `B`.
    pub(crate) fn for_backend<B>() -> Self {
        let mut tracker = Self::new();
        tracker.dialect = dialect_of::<B>();
        tracker
    }

    /// Also passes every event to `other` (a logger, a query counter).
    pub fn with(mut self, other: impl Instrumentation) -> Self {
        self.inner = Some(Box::new(other));
        self
    }

    /// Invalidates the tables this connection writes behind the hooks in
    /// these caches only (by default: every cache that a manager of the
    /// table uses, and the default cache).
    pub fn for_caches(mut self, caches: impl IntoIterator<Item = Cache>) -> Self {
        self.caches = Some(caches.into_iter().collect());
        self
    }

    /// Whether this connection's open transaction wrote to `table` (or ran
    /// a statement that may have written anything).
    pub fn transaction_wrote(&self, table: &str) -> bool {
        // (A write through a view writes its table; a write to a table
        // changes its views.)
        let relatives =
            crate::tracking::written_tables::view_relatives(&table.to_ascii_lowercase());
        let wrote = |l: &Level| relatives.iter().any(|t| l.pending.wrote(t));
        self.levels.iter().any(wrote)
    }

    /// Whether the tracker sees a transaction open (or cannot rule one out).
    pub(crate) fn in_transaction(&self) -> bool {
        !self.levels.is_empty() || self.reminder.is_some()
    }

    /// The policy for a read whose result depends on `tables`.
    pub(crate) fn policy<'t>(&self, tables: impl Iterator<Item = &'t str>) -> ReadPolicy {
        let unsure = self.in_transaction() || self.may_misread();
        let shadows = self.shadows_any || !self.shadowed.is_empty();
        if !unsure && !shadows {
            return ReadPolicy::Normal;
        }
        let mut wrote = false;
        for table in tables {
            if self.shadows_any || self.shadowed.contains(&table.to_ascii_lowercase()) {
                return ReadPolicy::Bypass;
            }
            wrote |= unsure && self.transaction_wrote(table);
        }
        match (wrote, unsure) {
            (true, _) => ReadPolicy::Bypass,
            (false, true) => ReadPolicy::NoFill,
            (false, false) => ReadPolicy::Normal,
        }
    }

    /// Notes the temporary tables `statements` (the text `lower`) create:
    /// see `shadowed`.
    fn note_temporary_tables(&mut self, lower: &str, statements: &[Statement]) {
        if !creates_temporary(lower) {
            return;
        }
        for statement in statements {
            match statement {
                Statement::Writes(tables) => self.shadowed.extend(tables.iter().cloned()),
                Statement::Unknown => self.shadows_any = true,
                _ => {}
            }
        }
    }

    /// Whether the next answer the connection reads may be another
    /// statement's (see `replies_unreliable`): so once a statement was
    /// given up, and while one given up is unanswered, which the first read
    /// after it finds (it settles only when that read's answer comes).
    pub(super) fn may_misread(&self) -> bool {
        #[cfg(feature = "async")]
        if self.dialect == Dialect::Mysql && self.is_async && self.answer_pending() {
            return true;
        }
        self.replies_unreliable
    }

    /// Marks a manager hook's statement as running until the guard drops.
    pub(crate) fn enter_hook(&self) -> HookMark {
        self.hooks.fetch_add(1, Ordering::SeqCst);
        HookMark(self.hooks.clone())
    }
}

/// A manager hook's statement is running (see [`CacheTracking::enter_hook`]).
pub(crate) struct HookMark(Arc<AtomicU32>);

impl Drop for HookMark {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether `lower` (lower-case SQL) holds `CREATE [GLOBAL | LOCAL]
/// TEMP[ORARY]`, as words.
fn creates_temporary(lower: &str) -> bool {
    let mut words = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty());
    while words.any(|w| w == "create") {
        let next = words
            .by_ref()
            .find(|w| !matches!(*w, "or" | "replace" | "global" | "local"));
        if matches!(next, Some("temp" | "temporary")) {
            return true;
        }
    }
    false
}

/// The SQL dialect of the database `B` (a Diesel backend type).
pub(crate) fn dialect_of<B>() -> Dialect {
    let backend = std::any::type_name::<B>();
    match backend.rsplit("::").next() {
        Some("Pg") => Dialect::Postgres,
        Some("Sqlite") => Dialect::Sqlite,
        Some("Mysql") => Dialect::Mysql,
        _ => Dialect::Any,
    }
}

/// Makes `conn` cache-aware (replacing its instrumentation; use
/// [`CacheTracking::with`] to keep another).
pub fn track<C: Connection>(conn: &mut C) {
    conn.set_instrumentation(CacheTracking::for_connection::<C>());
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

/// Whether Diesel's transaction manager has a transaction open on `conn`
/// (one opened by SQL text is not among them).
pub(crate) fn diesel_in_transaction<C: Connection>(conn: &mut C) -> bool {
    match C::TransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(valid) => valid.transaction_depth().is_some(),
        TransactionManagerStatus::InError => true,
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

#[cfg(test)]
mod tests;
