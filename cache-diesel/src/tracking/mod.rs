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
//!   managed table ([`crate::unseen`]).
//!
//! A `COMMIT` counts as done when it returns, successfully or not: one that
//! failed may still have committed (the connection dropped after sending
//! it), and invalidating a rolled-back transaction costs only misses. When
//! the tracker cannot be sure whether a transaction is open (a failed
//! multi-statement batch, a `RELEASE` of a savepoint it never saw), it
//! invalidates what is pending at once and again at the next transaction
//! end, and until that end its reads do not fill the cache.
//!
//! It cannot see writes made by triggers, by other programs, or through
//! another connection without it; after those, call
//! [`invalidate_tables`](crate::invalidate_tables) or the model's
//! `invalidate_all()`.

use crate::sql_tables::{Dialect, Statement, analyze};
use crate::tags::bump_groups;
use crate::unseen::{Bumps, function_writes};
use cache_core::{Cache, Ttl};
use diesel::Connection;
use diesel::connection::{
    Instrumentation, InstrumentationEvent, TransactionManager, TransactionManagerStatus,
};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Invalidations of a manager hook waiting for a commit.
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
#[derive(Default)]
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
    /// `mysql_session`).
    autocommit_off: bool,
    /// MySQL's `completion_type = CHAIN` is set: a `COMMIT` or `ROLLBACK`
    /// opens the next transaction (see `mysql_session`).
    chain: bool,
    /// The statement text being applied says `AND NO CHAIN`.
    no_chain: bool,
    /// Above zero while a manager hook runs its own write statement
    /// (shared: an async hook's guard holds it across its await).
    hooks: Arc<AtomicU32>,
    /// Whether invalidations at a commit must not wait for the cache: the
    /// connection runs its statements on an async runtime's thread. They
    /// are then owed (this process's reads see them at once) and delivered
    /// by a task.
    #[cfg(feature = "async")]
    nonblocking: bool,
    /// The tasks delivering this connection's owed invalidations.
    #[cfg(feature = "async")]
    landing: Vec<tokio::task::JoinHandle<()>>,
    /// The statements started and not finished yet, oldest first (async
    /// connections only: a statement whose future is dropped never
    /// finishes).
    #[cfg(feature = "async")]
    in_flight: std::collections::VecDeque<String>,
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
    /// [`Dialect::Any`]); prefer [`CacheTracking::for_connection`].
    pub fn new() -> Self {
        CacheTracking {
            inner: None,
            dialect: Dialect::Any,
            levels: Vec::new(),
            reminder: None,
            autocommit_off: false,
            chain: false,
            no_chain: false,
            hooks: Arc::default(),
            #[cfg(feature = "async")]
            nonblocking: false,
            #[cfg(feature = "async")]
            landing: Vec::new(),
            #[cfg(feature = "async")]
            in_flight: Default::default(),
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
        let table = table.to_ascii_lowercase();
        self.levels.iter().any(|l| l.pending.wrote(&table))
    }

    /// Whether the tracker sees a transaction open (or cannot rule one out).
    pub(crate) fn in_transaction(&self) -> bool {
        !self.levels.is_empty() || self.reminder.is_some()
    }

    /// The policy for a read whose result depends on `tables`.
    pub(crate) fn policy<'t>(&self, mut tables: impl Iterator<Item = &'t str>) -> ReadPolicy {
        if !self.in_transaction() {
            ReadPolicy::Normal
        } else if tables.any(|table| self.transaction_wrote(table)) {
            ReadPolicy::Bypass
        } else {
            ReadPolicy::NoFill
        }
    }

    /// Marks a manager hook's statement as running until the guard drops.
    pub(crate) fn enter_hook(&self) -> HookMark {
        self.hooks.fetch_add(1, Ordering::SeqCst);
        HookMark(self.hooks.clone())
    }

    /// One statement (or batch) finished, with `error` if it failed;
    /// `maybe_ran`: its outcome is unknown (its future was dropped after it
    /// was sent), so even inside a transaction it may have written.
    fn on_finish_of(
        &mut self,
        query: &dyn std::fmt::Display,
        error: Option<&diesel::result::Error>,
        maybe_ran: bool,
    ) {
        let mut sql = String::new();
        let from_hook = self.hooks.load(Ordering::SeqCst) > 0;
        if write!(sql, "{query}").is_err() {
            // Diesel could not render it (an empty changeset): it did not
            // run, it failed; had it run, its FinishQuery would render.
            if error.is_none() {
                self.record(Vec::new(), true, from_hook);
            }
            return;
        }
        let mut statements = analyze(&sql, self.dialect);
        let written = function_writes(&sql, self.dialect);
        if !written.is_empty() {
            statements.push(Statement::Writes(written));
        }
        if self.dialect == Dialect::Postgres && error.is_none() && mentions_string_settings(&sql) {
            // `standard_conforming_strings = off` changes how PostgreSQL
            // reads '\'': from now on lex by every dialect's rules.
            self.dialect = Dialect::Any;
        }
        let Some(error) = error else {
            // The text after an unterminated token is one Unknown: it may
            // hide the COMMIT that ends a transaction.
            if let [_, .., Statement::Unknown] = statements.as_slice()
                && !self.levels.is_empty()
            {
                self.lose_track();
                self.record(Vec::new(), true, from_hook);
                return;
            }
            self.no_chain = self.chain && crate::mysql_session::says_no_chain(&sql);
            statements.into_iter().for_each(|s| self.step(s, from_hook));
            return self.follow_session(&sql);
        };
        let controls = statements.iter().any(|s| {
            !matches!(
                s,
                Statement::Read | Statement::Writes(_) | Statement::Unknown
            )
        });
        match statements.as_slice() {
            // A COMMIT that failed may have committed (its reply lost), and
            // a ROLLBACK that failed leaves the transaction unknown.
            [Statement::Commit] => self.end(true),
            [Statement::Rollback] => self.lose_track(),
            // Inside a transaction, a failed statement changed nothing that
            // can commit; outside one, only a failure the server reported
            // is certain: a lost reply may follow a write that committed.
            _ if !maybe_ran && !self.levels.is_empty() && !controls => {}
            _ if !maybe_ran && certainly_failed(error) && !controls => {}
            _ => {
                if controls {
                    self.lose_track(); // which of the batch ran is unknown
                }
                // A failed hook does not invalidate: its writes count as
                // unseen.
                for statement in statements {
                    match statement {
                        Statement::Writes(tables) => self.record(tables, false, false),
                        Statement::Unknown => self.record(Vec::new(), true, false),
                        _ => {}
                    }
                }
            }
        }
    }

    /// A statement is about to run on a connection that may block: if it
    /// commits a transaction with writes pending, their bumps are announced
    /// first (`Cache::announce_bumps`), so that they outlive this process
    /// should it die between the `COMMIT` and the bumps. (An async
    /// connection's instrumentation cannot wait for the store:
    /// `transaction_async` announces before its commit instead.)
    fn on_start(&mut self, query: &dyn std::fmt::Display) {
        if self.levels.iter().all(|l| l.pending.is_empty()) {
            return;
        }
        let mut sql = String::new();
        if write!(sql, "{query}").is_err() || !may_end_a_transaction(&sql) {
            return;
        }
        let commits = analyze(&sql, self.dialect).iter().any(|s| match s {
            Statement::Commit => true,
            Statement::Release(name) => self.find(name) == Some(0),
            Statement::Begin => self.dialect == Dialect::Mysql,
            _ => false,
        });
        if commits {
            self.announcement().announce();
        }
    }

    /// The bumps the commit of the open transaction will make, to announce
    /// before it (see `Cache::announce_bumps`).
    pub(crate) fn announcement(&self) -> Bumps {
        let mut bumps = Bumps::default();
        let (mut unseen, mut everything) = (BTreeSet::new(), false);
        for pending in self.levels.iter().map(|l| &l.pending) {
            for d in &pending.deferred {
                bumps.add_all(&d.cache, &d.tags);
            }
            unseen.extend(pending.unseen.iter().cloned());
            everything |= pending.everything;
        }
        if !unseen.is_empty() || everything {
            bumps = bumps.tables(self.caches.as_deref(), &unseen, everything);
        }
        bumps
    }

    /// One statement (or batch) finished, with `error` if it failed.
    fn on_finish(&mut self, query: &dyn std::fmt::Display, error: Option<&diesel::result::Error>) {
        self.on_finish_of(query, error, false)
    }

    /// A statement whose future was dropped after it may have reached the
    /// database: its outcome is unknown, as a statement whose reply was
    /// lost.
    #[cfg(feature = "async")]
    fn on_orphan(&mut self, sql: &str) {
        tracing::debug!(
            sql,
            "a statement was cancelled after it was sent: treated as run"
        );
        let sql = sql.split(BINDS).next().unwrap_or(sql);
        self.on_finish_of(
            &sql,
            Some(&diesel::result::Error::BrokenTransactionManager),
            true,
        );
    }

    /// A statement's `FinishQuery` arrived: the statements started before it
    /// whose own never did were cancelled (a connection runs its statements
    /// in order), and are applied first, as orphans.
    #[cfg(feature = "async")]
    fn settle_in_flight(&mut self, finished: &dyn std::fmt::Display) {
        if self.in_flight.is_empty() {
            return;
        }
        let finished = finished.to_string();
        let Some(at) = self.in_flight.iter().position(|started| {
            started == &finished || started.split(BINDS).next() == Some(finished.as_str())
        }) else {
            return;
        };
        let orphans: Vec<String> = self.in_flight.drain(..=at).collect();
        for orphan in &orphans[..orphans.len() - 1] {
            self.on_orphan(orphan);
        }
    }

    /// Applies a statement that succeeded.
    fn step(&mut self, statement: Statement, from_hook: bool) {
        match statement {
            Statement::Read => {}
            Statement::Writes(tables) => self.record(tables, false, from_hook),
            Statement::Unknown => self.record(Vec::new(), true, from_hook),
            Statement::Begin => {
                if self.dialect == Dialect::Mysql && !self.levels.is_empty() {
                    self.end(true); // MySQL commits the open transaction first
                }
                if self.levels.is_empty() {
                    self.levels.push(Level::default());
                }
            }
            Statement::Commit => {
                self.end(true);
                self.reopen();
            }
            Statement::Rollback => {
                self.end(false);
                self.reopen();
            }
            Statement::Savepoint(name) => {
                // Outside a transaction, SQLite's SAVEPOINT begins one; MySQL
                // and PostgreSQL do not (PostgreSQL refuses it).
                let begins = self.dialect == Dialect::Sqlite || !self.levels.is_empty();
                match self.dialect {
                    _ if begins => self.levels.push(Level {
                        savepoint: Some(name),
                        pending: Pending::default(),
                    }),
                    Dialect::Any => self.lose_track(),
                    _ => {}
                }
            }
            Statement::Release(name) => match self.find(&name) {
                Some(0) => self.end(true), // SQLite: releasing the outermost commits
                Some(i) => {
                    let released: Vec<Level> = self.levels.drain(i..).collect();
                    let parent = &mut self.levels[i - 1].pending;
                    released.into_iter().for_each(|l| parent.absorb(l.pending));
                }
                None => self.lose_track(),
            },
            Statement::RollbackTo(name) => match self.find(&name) {
                Some(i) => {
                    self.levels.truncate(i + 1);
                    self.levels[i].pending = Pending::default();
                }
                None => self.lose_track(),
            },
        }
    }

    /// The innermost level of the savepoint `name`.
    fn find(&self, name: &str) -> Option<usize> {
        self.levels
            .iter()
            .rposition(|l| l.savepoint.as_deref() == Some(name))
    }

    /// A write: deferred inside a transaction, invalidated now outside one
    /// (unless a hook wrote it: the hook invalidates).
    fn record(&mut self, tables: Vec<String>, everything: bool, from_hook: bool) {
        let written: BTreeSet<String> = tables.into_iter().collect();
        let pending = Pending {
            unseen: if from_hook {
                BTreeSet::new()
            } else {
                written.clone()
            },
            everything: everything && !from_hook,
            written,
            wrote_any: everything,
            deferred: Vec::new(),
        };
        match self.levels.last_mut() {
            Some(level) => level.pending.absorb(pending),
            None if !pending.is_empty() => {
                self.invalidate(&pending, "unseen write");
                if let Some(reminder) = &mut self.reminder {
                    reminder.absorb(pending);
                }
            }
            None => {}
        }
    }

    /// The end of the transaction: invalidates what it did if it may have
    /// committed, then what was owed since the tracker lost track.
    fn end(&mut self, committed: bool) {
        let mut done = Pending::default();
        for level in self.levels.drain(..) {
            done.absorb(level.pending);
        }
        if committed {
            self.invalidate(&done, "commit");
        }
        if let Some(reminder) = self.reminder.take() {
            self.invalidate(&reminder, "transaction end after lost track");
        }
    }

    /// After a transaction ended: opens the next one where the session's
    /// MySQL settings open it at once (see `mysql_session`).
    fn reopen(&mut self) {
        let chained = self.chain && !self.no_chain;
        if self.levels.is_empty() && (self.autocommit_off || chained) {
            self.levels.push(Level::default());
        }
    }

    /// Follows the MySQL session settings `sql` assigned (see
    /// `mysql_session`): `autocommit = 0` opens a transaction (and keeps
    /// one open), `autocommit = 1` commits it, `completion_type = CHAIN`
    /// chains the next `COMMIT`s.
    fn follow_session(&mut self, sql: &str) {
        if !matches!(self.dialect, Dialect::Mysql | Dialect::Any) {
            return;
        }
        let set = crate::mysql_session::settings(sql);
        if let Some(chain) = set.chain {
            self.chain = chain;
        }
        match set.autocommit {
            Some(false) => {
                self.autocommit_off = true;
                self.reopen();
            }
            Some(true) if self.autocommit_off => {
                self.autocommit_off = false;
                self.end(true);
            }
            _ => {}
        }
    }

    /// The tracker cannot tell whether a transaction is open: invalidates
    /// what is pending now, and remembers it for the next transaction end.
    fn lose_track(&mut self) {
        let mut pending = Pending::default();
        for level in self.levels.drain(..) {
            pending.absorb(level.pending);
        }
        self.invalidate(&pending, "lost track of the transaction");
        self.reminder
            .get_or_insert_with(Pending::default)
            .absorb(pending);
    }

    /// The deferred hook writes' bumps, one round trip per cache (and tag
    /// lifetime), however many writes the transaction made; then the
    /// unseen writes', one per cache. On an async connection they are
    /// owed instead and delivered by a task (see `nonblocking`).
    fn invalidate(&mut self, pending: &Pending, why: &str) {
        // One batch per (cache, lifetime): few, however many writes.
        let mut batches: Vec<(&Deferred, Vec<TagGroup<'_>>)> = Vec::new();
        for d in &pending.deferred {
            let group = (&d.tags[..], Some(d.cover.as_str()));
            match batches
                .iter_mut()
                .find(|(first, _)| first.cache.same(&d.cache) && first.ttl == d.ttl)
            {
                Some((_, groups)) => groups.push(group),
                None => batches.push((d, vec![group])),
            }
        }
        let unseen = (!pending.unseen.is_empty() || pending.everything).then(|| {
            Bumps::default().tables(self.caches.as_deref(), &pending.unseen, pending.everything)
        });
        #[cfg(feature = "async")]
        if self.nonblocking
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let mut owing: Vec<Cache> = Vec::new();
            for (first, groups) in &batches {
                first.cache.owe_tag_groups(groups, first.ttl);
                owing.push(first.cache.clone());
            }
            owing.extend(unseen.map(|b| b.owe(why)).unwrap_or_default());
            if !owing.is_empty() {
                tracing::debug!(
                    why,
                    caches = owing.len(),
                    "invalidations owed, delivered by a task"
                );
                self.landing.retain(|task| !task.is_finished());
                self.landing.push(runtime.spawn(async move {
                    for cache in owing {
                        cache.settle_owed_async().await;
                    }
                }));
            }
            return;
        }
        for (first, groups) in &batches {
            bump_groups(&first.cache, groups, first.ttl, "transaction", why);
        }
        if let Some(bumps) = unseen {
            bumps.send(why);
        }
    }

    /// Defers a hook's invalidation to the commit of the open transaction;
    /// otherwise says to bump now (and, if the tracker lost track of the
    /// transaction, also remembers it for its end).
    pub(crate) fn defer(&mut self, deferred: impl FnOnce() -> Deferred) -> Invalidation {
        match (self.levels.last_mut(), &mut self.reminder) {
            (Some(level), _) => {
                level.pending.deferred.push(deferred());
                Invalidation::Deferred
            }
            (None, Some(reminder)) => {
                reminder.deferred.push(deferred());
                Invalidation::Now
            }
            (None, None) => Invalidation::Now,
        }
    }

    /// Defers invalidating `tables` to the commit of the open transaction;
    /// when there is none, returns where to invalidate now (the caches the
    /// tracker was pointed at, if any; `None`: wherever).
    pub(crate) fn defer_tables(&mut self, tables: &BTreeSet<String>) -> Option<Option<Vec<Cache>>> {
        match self.levels.last_mut() {
            Some(level) => {
                level.pending.unseen.extend(tables.iter().cloned());
                level.pending.written.extend(tables.iter().cloned());
                None
            }
            None => Some(self.caches.clone()),
        }
    }

    /// Takes the tasks still delivering this connection's invalidations.
    #[cfg(feature = "async")]
    pub(crate) fn take_landing(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        std::mem::take(&mut self.landing)
    }

    /// Makes the tracker owe its invalidations instead of waiting for the
    /// cache (for connections that run statements on a runtime thread).
    #[cfg(feature = "async")]
    pub(crate) fn nonblocking(mut self, nonblocking: bool) -> Self {
        self.nonblocking = nonblocking;
        self
    }
}

/// How Diesel renders a statement's bind values after its SQL in a
/// `StartQuery` event (`FinishQuery` has the SQL only).
#[cfg(feature = "async")]
const BINDS: &str = " -- binds: ";

/// A connection dropped while statements were in flight (cancelled, then
/// the connection closed): they may still run on the server, so what they
/// may write is invalidated now and again a second later.
#[cfg(feature = "async")]
impl Drop for CacheTracking {
    fn drop(&mut self) {
        if self.in_flight.is_empty() {
            return;
        }
        let orphans: Vec<String> = self.in_flight.drain(..).collect();
        for orphan in &orphans {
            self.on_orphan(orphan);
        }
        // What is still open can no longer commit; what the orphans wrote
        // outside a transaction is invalidated by now, and once more below.
        self.end(false);
        let later: Vec<String> = orphans;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (dialect, caches) = (self.dialect, self.caches.clone());
            runtime.spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let mut again = CacheTracking::new().nonblocking(true);
                (again.dialect, again.caches) = (dialect, caches);
                for orphan in &later {
                    again.on_orphan(orphan);
                }
                again.end(false);
            });
        }
    }
}

/// A manager hook's statement is running (see [`CacheTracking::enter_hook`]).
pub(crate) struct HookMark(Arc<AtomicU32>);

impl Drop for HookMark {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Instrumentation for CacheTracking {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        // Transactions are followed from their SQL (Diesel's own BEGIN,
        // SAVEPOINT, RELEASE, COMMIT and ROLLBACK pass through here too),
        // not from Diesel's transaction events.
        match &event {
            #[cfg(feature = "async")]
            InstrumentationEvent::StartQuery { query, .. } if self.nonblocking => {
                self.in_flight.push_back(query.to_string());
            }
            InstrumentationEvent::StartQuery { query, .. } if self.may_block() => {
                self.on_start(query);
            }
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                #[cfg(feature = "async")]
                self.settle_in_flight(query);
                self.on_finish(query, *error);
            }
            _ => {}
        }
        if let Some(inner) = &mut self.inner {
            inner.on_connection_event(event);
        }
    }
}

impl CacheTracking {
    /// Whether the connection's statements run where the tracker may wait
    /// for the cache (not an async runtime's thread).
    fn may_block(&self) -> bool {
        #[cfg(feature = "async")]
        return !self.nonblocking;
        #[cfg(not(feature = "async"))]
        true
    }
}

/// Whether `sql` may hold a statement that ends a transaction (a cheap
/// look for the keywords before the real analysis).
fn may_end_a_transaction(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    ["commit", "end", "release", "begin", "start"]
        .iter()
        .any(|word| lower.contains(word))
}

/// Whether a statement's failure says for sure that it wrote nothing: the
/// server refused it (a constraint, a serialization failure), or it was
/// never sent. A lost connection says nothing.
pub(crate) fn certainly_failed(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match error {
        E::QueryBuilderError(_) | E::NotInTransaction | E::AlreadyInTransaction => true,
        E::DatabaseError(kind, _) => !matches!(kind, K::ClosedConnection | K::Unknown),
        _ => false,
    }
}

/// Whether `sql` sets how PostgreSQL reads backslashes in strings.
fn mentions_string_settings(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    lower.contains("standard_conforming_strings") || lower.contains("backslash_quote")
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

/// A connection as the tracking rules see it: its tracker, if any, and
/// whether its driver's transaction manager has a transaction open (for
/// sync connections here, async ones in `tracking_async`).
pub(crate) trait Tracked {
    fn tracker(&mut self) -> Option<&mut CacheTracking>;
    fn diesel_in_transaction(&mut self) -> bool;
}

/// A sync Diesel connection as [`Tracked`].
pub(crate) struct SyncConn<'a, C>(pub(crate) &'a mut C);

impl<C: Connection> Tracked for SyncConn<'_, C> {
    fn tracker(&mut self) -> Option<&mut CacheTracking> {
        tracker(self.0)
    }
    fn diesel_in_transaction(&mut self) -> bool {
        diesel_in_transaction(self.0)
    }
}

/// The policy for a read whose result depends on `tables`.
pub(crate) fn read_policy<'t, C: Connection>(
    conn: &mut C,
    tables: impl Iterator<Item = &'t str>,
) -> ReadPolicy {
    policy_on(&mut SyncConn(conn), tables)
}

/// [`read_policy`] on any [`Tracked`] connection.
pub(crate) fn policy_on<'t>(
    conn: &mut impl Tracked,
    tables: impl Iterator<Item = &'t str>,
) -> ReadPolicy {
    if let Some(t) = conn.tracker() {
        return t.policy(tables);
    }
    match conn.diesel_in_transaction() {
        true => ReadPolicy::NoFill,
        false => ReadPolicy::Normal,
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
///
/// Refuses ([`Error::UntrackedTransaction`](crate::Error::UntrackedTransaction))
/// a hook write inside a Diesel transaction on a connection without a
/// tracker: its invalidation could not wait for the commit, and a reader
/// racing the commit would refill the old row, stale until its timeout.
pub(crate) fn as_hook<C: Connection, T>(
    conn: &mut C,
    f: impl FnOnce(&mut C) -> diesel::QueryResult<T>,
) -> crate::Result<T> {
    let Some(mark) = tracker(conn).map(|t| t.enter_hook()) else {
        if diesel_in_transaction(conn) {
            return Err(crate::Error::UntrackedTransaction);
        }
        return Ok(f(conn)?);
    };
    let out = f(conn);
    drop(mark);
    Ok(out?)
}

/// Defers `tags` to the commit when a transaction is open on a tracked
/// connection; otherwise says to bump now (and, if the tracker lost track
/// of the transaction, also remembers them for its end).
pub(crate) fn defer(
    conn: &mut impl Tracked,
    cache: &Cache,
    tags: &[String],
    cover: &str,
    ttl: Ttl,
) -> Invalidation {
    if let Some(t) = conn.tracker() {
        return t.defer(deferred(cache, tags, cover, ttl));
    }
    if conn.diesel_in_transaction() {
        warn_untracked();
    }
    Invalidation::Now
}

/// A hook's invalidation, to keep until the commit.
fn deferred<'a>(
    cache: &'a Cache,
    tags: &'a [String],
    cover: &'a str,
    ttl: Ttl,
) -> impl FnOnce() -> Deferred + 'a {
    move || Deferred {
        cache: cache.clone(),
        tags: tags.to_vec(),
        cover: cover.to_owned(),
        ttl,
    }
}

/// Defers invalidating `tables` to the commit of the transaction open on a
/// tracked `conn`. When there is none, returns where to invalidate now:
/// the caches the tracker was pointed at, if any (`Some(None)`: wherever).
pub(crate) fn defer_unseen(
    conn: &mut impl Tracked,
    tables: &BTreeSet<String>,
) -> Option<Option<Vec<Cache>>> {
    match conn.tracker() {
        Some(t) => t.defer_tables(tables),
        None => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error as DbError};

    /// A tracker over a memory cache where table `t` is managed, and a way
    /// to read `t`'s epoch version (it changes at every invalidation).
    fn tracker() -> (CacheTracking, impl Fn() -> Option<u64>) {
        let cache = Cache::from_url("memory://").unwrap();
        crate::registry::register("t", &cache);
        let epoch = crate::keys::table_tag(&cache, "t", crate::keys::TableTag::Epoch);
        let mut t = CacheTracking::new().for_caches([cache.clone()]);
        t.dialect = Dialect::Postgres;
        (t, move || {
            cache.backend().read_versions(&epoch, &[&epoch]).unwrap()[0]
        })
    }

    fn run(t: &mut CacheTracking, sql: &str) {
        t.on_finish(&sql, None);
    }

    fn fail(t: &mut CacheTracking, sql: &str, kind: DatabaseErrorKind) {
        t.on_finish(
            &sql,
            Some(&DbError::DatabaseError(kind, Box::new(String::from("x")))),
        );
    }

    #[test]
    fn a_text_transaction_invalidates_at_its_commit_only() {
        let (mut t, epoch) = tracker();
        run(&mut t, "BEGIN");
        run(&mut t, "UPDATE t SET a = 1");
        assert_eq!(epoch(), None, "not before the commit");
        assert!(t.transaction_wrote("t") && t.in_transaction());
        run(&mut t, "COMMIT");
        assert!(epoch().is_some(), "at the commit");
        assert!(!t.in_transaction());
    }

    #[test]
    fn rollbacks_and_rolled_back_savepoints_invalidate_nothing() {
        let (mut t, epoch) = tracker();
        run(&mut t, "BEGIN; UPDATE t SET a = 1; ROLLBACK");
        run(
            &mut t,
            "BEGIN; SAVEPOINT a; UPDATE t SET a = 1; ROLLBACK TO SAVEPOINT a; RELEASE a; COMMIT",
        );
        assert_eq!(epoch(), None);
        run(
            &mut t,
            "BEGIN; SAVEPOINT \"A\"; UPDATE t SET a = 1; RELEASE \"A\"; COMMIT",
        );
        assert!(
            epoch().is_some(),
            "a released savepoint commits with its parent"
        );
    }

    #[test]
    fn a_failed_commit_invalidates() {
        let (mut t, epoch) = tracker();
        run(&mut t, "BEGIN");
        run(&mut t, "UPDATE t SET a = 1");
        fail(&mut t, "COMMIT", DatabaseErrorKind::ClosedConnection);
        assert!(epoch().is_some());
        assert!(!t.in_transaction());
    }

    #[test]
    fn a_failed_autocommit_write_invalidates_unless_the_server_refused_it() {
        let (mut t, epoch) = tracker();
        fail(
            &mut t,
            "UPDATE t SET a = 1",
            DatabaseErrorKind::UniqueViolation,
        );
        assert_eq!(epoch(), None, "refused by the server: nothing written");
        fail(
            &mut t,
            "UPDATE t SET a = 1",
            DatabaseErrorKind::ClosedConnection,
        );
        assert!(
            epoch().is_some(),
            "the reply was lost: it may have committed"
        );
    }

    #[test]
    fn a_failed_batch_with_transaction_statements_loses_track_until_the_next_end() {
        let (mut t, epoch) = tracker();
        fail(
            &mut t,
            "BEGIN; UPDATE t SET a = 1",
            DatabaseErrorKind::ClosedConnection,
        );
        let first = epoch();
        assert!(first.is_some(), "invalidated at once");
        assert!(t.in_transaction(), "no fill until the tracker knows again");
        run(&mut t, "COMMIT");
        assert_ne!(epoch(), first, "and again at the end");
        assert!(!t.in_transaction());
        fail(&mut t, "SELECT 1; SELECT 1/0", DatabaseErrorKind::Unknown);
        assert!(
            !t.in_transaction(),
            "a failed batch of reads changes nothing"
        );
    }

    #[test]
    fn a_query_that_cannot_be_rendered_is_no_panic() {
        struct Unrenderable;
        impl std::fmt::Display for Unrenderable {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                Err(std::fmt::Error)
            }
        }
        let (mut t, epoch) = tracker();
        t.on_finish(
            &Unrenderable,
            Some(&DbError::QueryBuilderError("empty".into())),
        );
        assert_eq!(epoch(), None);
    }

    /// The reference: PostgreSQL's transaction semantics for one table.
    /// Each level says whether it wrote; `None` outside a transaction.
    #[derive(Default)]
    struct Reference {
        levels: Option<Vec<(String, bool)>>,
    }

    impl Reference {
        /// The statements valid now, as SQL.
        fn valid(&self) -> Vec<String> {
            let mut ops = vec!["UPDATE t SET a = 1".to_owned()];
            match &self.levels {
                None => ops.push("BEGIN".into()),
                Some(levels) => {
                    ops.extend(["COMMIT".into(), "ROLLBACK".into()]);
                    ops.push(format!("SAVEPOINT s{}", levels.len()));
                    for (name, _) in levels.iter().skip(1) {
                        ops.push(format!("RELEASE SAVEPOINT {name}"));
                        ops.push(format!("ROLLBACK TO SAVEPOINT {name}"));
                    }
                }
            }
            ops
        }

        /// Applies a statement; says whether a write committed by it.
        fn apply(&mut self, sql: &str) -> bool {
            let word = |i: usize| sql.split(' ').nth(i).unwrap_or_default().to_owned();
            match (self.levels.as_mut(), word(0).as_str()) {
                (None, "UPDATE") => return true,
                (None, "BEGIN") => self.levels = Some(vec![(String::new(), false)]),
                (Some(levels), "UPDATE") => levels.last_mut().unwrap().1 = true,
                (Some(levels), "SAVEPOINT") => levels.push((word(1), false)),
                (Some(levels), "RELEASE") => {
                    let i = levels.iter().rposition(|(n, _)| *n == word(2)).unwrap();
                    let wrote = levels.drain(i..).any(|(_, w)| w);
                    levels.last_mut().unwrap().1 |= wrote;
                }
                (Some(levels), "ROLLBACK") if word(1) == "TO" => {
                    let i = levels.iter().rposition(|(n, _)| *n == word(3)).unwrap();
                    levels.truncate(i + 1);
                    levels[i].1 = false;
                }
                (Some(levels), "COMMIT") => {
                    let wrote = levels.iter().any(|(_, w)| *w);
                    self.levels = None;
                    return wrote;
                }
                (Some(_), "ROLLBACK") => self.levels = None,
                _ => unreachable!("{sql}"),
            }
            false
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Random valid sequences of transaction statements and writes, as
        /// separate statements or batched: whenever PostgreSQL would commit
        /// a write, the table's epoch moves in that very call.
        #[test]
        fn every_committed_write_is_invalidated_when_it_commits(
            choices in proptest::collection::vec((0usize..100, proptest::bool::ANY), 1..40)
        ) {
            let (mut t, epoch) = tracker();
            let mut reference = Reference::default();
            let mut batch: Vec<String> = Vec::new();
            let mut committed_in_batch = false;
            for (choice, batched) in choices {
                let ops = reference.valid();
                let sql = ops[choice % ops.len()].clone();
                committed_in_batch |= reference.apply(&sql);
                batch.push(sql);
                if batched {
                    continue; // send it with the next one
                }
                let before = epoch();
                run(&mut t, &batch.join("; "));
                if committed_in_batch {
                    proptest::prop_assert_ne!(epoch(), before, "{:?} committed a write", batch);
                }
                proptest::prop_assert_eq!(t.in_transaction(), reference.levels.is_some(), "{:?}", batch);
                batch.clear();
                committed_in_batch = false;
            }
        }
    }
}
