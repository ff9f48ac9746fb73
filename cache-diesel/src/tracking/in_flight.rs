//! Statements sent on an async connection and not answered yet: a future
//! dropped after it sent its statement (a `timeout` around a write) leaves
//! the statement running on the server, maybe waiting for a lock, and the
//! tracker never sees its `FinishQuery`. Such a statement is settled by
//! the first of:
//!
//! - the answer to a later statement on the connection (the server runs a
//!   connection's statements in order): it ran (`settle_in_flight`);
//! - the connection's drop: what it may write is invalidated now and again
//!   while it may still land (`Drop for CacheTracking`);
//! - a second without an answer, the connection kept open and idle (a
//!   service keeps it after a request timed out; a pool until its next
//!   checkout): one watchdog thread per process invalidates again what it
//!   may write on the same schedule, until it is answered or its
//!   connection dropped ([`watchdog`]).

use super::{CacheTracking, Pending};
use crate::sql_tables::{Dialect, Statement};
use cache_core::Cache;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::events::{BINDS, certainly_failed, may_end_a_transaction, render};

/// A statement sent and not answered yet.
pub(super) struct Sent {
    /// Its SQL, with the binds Diesel renders after it (see [`BINDS`]).
    sql: String,
    dialect: Dialect,
    /// Whether the watchdog invalidates again what it may write: it may
    /// write what commits without another statement (it runs outside a
    /// transaction, or may end the one open), and is not watched long
    /// enough yet.
    watch: bool,
    /// What the open transaction wrote, when this statement may commit it.
    open: Option<Pending>,
    /// When the watchdog next invalidates what it may write, and the waits
    /// after that.
    due: Instant,
    schedule: WhileItMayLand,
}

/// A connection's statements in flight, oldest first, shared with the
/// watchdog.
#[derive(Default)]
pub(super) struct InFlight {
    /// Where the connection invalidates (see `CacheTracking::caches`).
    caches: Option<Vec<Cache>>,
    sent: VecDeque<Sent>,
}

/// A connection's [`InFlight`], shared with the watchdog.
pub(super) type Shared = Arc<Mutex<InFlight>>;

fn lock(in_flight: &Mutex<InFlight>) -> MutexGuard<'_, InFlight> {
    // A panic while it was held left plain data: still usable.
    in_flight.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CacheTracking {
    /// A statement was sent (its `StartQuery`).
    pub(super) fn on_sent(&mut self, query: &dyn std::fmt::Display) {
        // A statement Diesel cannot render (an empty changeset) is not sent.
        let Some(sql) = render(query) else {
            return;
        };
        let alone = self.levels.is_empty();
        let open = (!alone && may_end_a_transaction(&sql)).then(|| self.open_pending());
        if !self.watching {
            self.watching = true;
            lock(&self.in_flight).caches = self.caches.clone();
            watchdog::watch(&self.in_flight);
        }
        let mut schedule = while_it_may_land();
        let first = schedule.next().unwrap_or_default();
        let sent = Sent {
            sql,
            dialect: self.text_dialect(),
            watch: alone || open.is_some(),
            open,
            due: Instant::now() + first,
            schedule,
        };
        lock(&self.in_flight).sent.push_back(sent);
    }

    /// Whether a statement sent is not answered yet (between statements:
    /// one given up).
    pub(super) fn answer_pending(&self) -> bool {
        !lock(&self.in_flight).sent.is_empty()
    }

    /// What the open transaction wrote (and what is owed since the tracker
    /// lost track): what commits if a statement in flight is its `COMMIT`.
    fn open_pending(&self) -> Pending {
        let mut open = self.reminder.clone().unwrap_or_default();
        for level in &self.levels {
            open.absorb(level.pending.clone());
        }
        open
    }

    /// A statement's `FinishQuery` arrived (with `error` if it failed): the
    /// statements started before it whose own never did were cancelled (a
    /// connection runs its statements in order), and are applied first, as
    /// orphans. An orphaned `ROLLBACK` (a cancelled hook's guard queues one,
    /// see `writes::pg::own_transaction`) followed by a statement the server answered
    /// surely ran, and a `ROLLBACK` that runs ends any transaction: the
    /// transaction is over, not lost track of (which would keep the
    /// connection's reads from filling and its hooks in place until the
    /// next end of a transaction).
    pub(super) fn settle_in_flight(
        &mut self,
        finished: &str,
        error: Option<&diesel::result::Error>,
    ) {
        let orphans: Vec<Sent> = {
            let mut in_flight = lock(&self.in_flight);
            if in_flight.sent.is_empty() {
                return;
            }
            // The last one of that text: one before it was cancelled and ran
            // first (a retry of a cancelled statement finishes after it).
            let Some(at) = in_flight.sent.iter().rposition(|started| {
                started.sql == finished || started.sql.split(BINDS).next() == Some(finished)
            }) else {
                return;
            };
            in_flight.sent.drain(..=at).collect()
        };
        if orphans.len() > 1 && self.dialect == Dialect::Mysql && !self.replies_unreliable {
            tracing::warn!(
                "a statement was given up before its answer on an async MySQL connection, \
                 whose driver may read that answer as the next statement's: \
                 the connection's reads fill the cache no more; drop it"
            );
            self.replies_unreliable = true;
        }
        let answered = error.is_none_or(certainly_failed);
        for orphan in &orphans[..orphans.len() - 1] {
            let sql = orphan.sql.split(BINDS).next().unwrap_or(&orphan.sql);
            match self.analyze(sql).as_slice() {
                [Statement::Rollback] if answered => {
                    tracing::debug!(sql, "a cancelled ROLLBACK ran: the transaction ended");
                    self.step(Statement::Rollback, false);
                }
                _ => self.on_orphan(&orphan.sql),
            }
        }
    }
}

/// Invalidates again what `orphans` (statements sent, never answered) may
/// write, and what `open` holds (a transaction one of them may commit),
/// with a tracker of their connection's `dialect` and `caches` that owes
/// its invalidations (`is_async`) or sends them; returns it (holding the
/// tasks that deliver what it owes).
fn replay(
    dialect: Dialect,
    caches: Option<Vec<Cache>>,
    open: &Pending,
    orphans: &[String],
    is_async: bool,
) -> CacheTracking {
    let mut again = CacheTracking::new().for_async(is_async);
    (again.dialect, again.caches) = (dialect, caches);
    if !open.is_empty() {
        again.invalidate(open, "a COMMIT in flight may land");
    }
    for orphan in orphans {
        again.on_orphan(orphan);
    }
    // What is still open can no longer commit; what the orphans wrote
    // outside a transaction is invalidated by now.
    again.end(false);
    again
}

/// A connection dropped while statements were in flight (cancelled, then
/// the connection closed): they may still run on the server, so what they
/// may write is invalidated now and again after each of
/// `while_it_may_land`'s waits.
impl Drop for CacheTracking {
    fn drop(&mut self) {
        let orphans: Vec<String> = lock(&self.in_flight)
            .sent
            .drain(..)
            .map(|sent| sent.sql)
            .collect();
        if orphans.is_empty() {
            return;
        }
        // An orphan may be the `COMMIT` of what is open: what the open
        // transaction wrote may land later too, and a `COMMIT` replayed on
        // its own below would find nothing open.
        let open = self.open_pending();
        for orphan in &orphans {
            self.on_orphan(orphan);
        }
        self.end(false);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (dialect, caches) = (self.dialect, self.caches.clone());
            runtime.spawn(async move {
                for gap in while_it_may_land() {
                    tokio::time::sleep(gap).await;
                    let mut again = replay(dialect, caches.clone(), &open, &orphans, true);
                    for task in again.take_landing() {
                        let _ = task.await;
                    }
                }
            });
        }
    }
}

/// The one thread per process that invalidates again what statements
/// still in flight on idle connections may write (see the module's
/// documentation). It wakes every [`TICK`](watchdog::TICK) and sends its
/// invalidations itself (it may wait for the cache: no connection waits
/// for it).
pub(super) mod watchdog {
    use super::*;

    /// How often the watchdog looks for statements due.
    pub(super) const TICK: Duration = Duration::from_millis(200);

    /// The connections whose statements it watches (dropped ones are
    /// pruned as it goes).
    static WATCHED: Mutex<Vec<Weak<Mutex<InFlight>>>> = Mutex::new(Vec::new());

    /// Watches `in_flight`'s statements from now on (starting the thread
    /// at the first call).
    pub(super) fn watch(in_flight: &Shared) {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("cache-diesel-in-flight".into())
                .spawn(|| {
                    loop {
                        std::thread::sleep(TICK);
                        due(Instant::now()).into_iter().for_each(Due::send);
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(
                    error = %e,
                    "no thread to watch statements in flight: a write cancelled on an idle \
                     async connection is invalidated at its next statement only"
                );
            }
        });
        WATCHED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(in_flight));
    }

    /// A statement still in flight whose invalidation is due: it, and
    /// the statements in flight before it (an orphaned `COMMIT` may commit
    /// what they wrote).
    pub(super) struct Due {
        dialect: Dialect,
        caches: Option<Vec<Cache>>,
        open: Pending,
        orphans: Vec<String>,
    }

    impl Due {
        pub(super) fn send(self) {
            tracing::debug!(
                sql = self.orphans.last(),
                "a statement is still in flight on an idle connection: \
                 what it may write is invalidated again"
            );
            replay(self.dialect, self.caches, &self.open, &self.orphans, false);
        }
    }

    /// The invalidations due at `now`, moving each statement's next one
    /// along its schedule.
    pub(super) fn due(now: Instant) -> Vec<Due> {
        let mut due = Vec::new();
        WATCHED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|watched| {
                let Some(in_flight) = watched.upgrade() else {
                    return false;
                };
                let mut in_flight = lock(&in_flight);
                let InFlight { caches, sent } = &mut *in_flight;
                for at in 0..sent.len() {
                    let statement = &mut sent[at];
                    if !statement.watch || statement.due > now {
                        continue;
                    }
                    match statement.schedule.next() {
                        Some(gap) => statement.due += gap,
                        None => statement.watch = false, // watched long enough
                    }
                    due.push(Due {
                        dialect: statement.dialect,
                        caches: caches.clone(),
                        open: statement.open.clone().unwrap_or_default(),
                        orphans: sent.range(..=at).map(|s| s.sql.clone()).collect(),
                    });
                }
                true
            });
        due
    }
}

/// How long after it was sent (or its connection dropped) a statement may
/// still run and be invalidated again: five minutes (beyond MariaDB's and
/// MySQL's default lock wait, 50 s; PostgreSQL waits for a lock without
/// end unless `lock_timeout` or `statement_timeout` is set).
const ORPHANS_WATCHED: Duration = Duration::from_secs(300);

/// The waits between the invalidations repeated while a statement that
/// was never answered may still land (it may be waiting for a lock, or
/// slow): a second while under five seconds are gone, then a fifth of the
/// time gone, for [`ORPHANS_WATCHED`]. A statement that lands `t` seconds
/// after the first wait began is stale for at most `max(1, t / 5)`
/// seconds, at the cost of about thirty bumps of what it may write.
pub(crate) fn while_it_may_land() -> WhileItMayLand {
    WhileItMayLand {
        gone: Duration::ZERO,
    }
}

/// The waits of [`while_it_may_land`].
pub(crate) struct WhileItMayLand {
    gone: Duration,
}

impl Iterator for WhileItMayLand {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let gap = (self.gone / 5).max(Duration::from_secs(1));
        self.gone += gap;
        (self.gone <= ORPHANS_WATCHED + gap).then_some(gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::tests::{run, tracker};

    /// Polls `done` for up to a minute (the watchdog may run late on a
    /// loaded machine); whether it came true.
    fn eventually(done: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// A write sent and never answered on a connection kept open is
    /// invalidated after a second, and again while it may land; once a
    /// later statement is answered, no more.
    #[test]
    fn a_write_in_flight_on_an_idle_connection_is_invalidated_again_until_answered() {
        let (t, epoch) = tracker();
        let mut t = t.for_async(true);
        t.on_sent(&"SELECT 1");
        t.on_sent(&"UPDATE t SET a = 1 -- binds: []");
        assert!(eventually(|| epoch().is_some()), "invalidated once");
        let first = epoch();
        assert!(eventually(|| epoch() != first), "and again");
        t.on_sent(&"SELECT 2");
        t.settle_in_flight("SELECT 2", None);
        t.on_finish(&"SELECT 2", None);
        let settled = epoch();
        std::thread::sleep(watchdog::TICK * 2 + Duration::from_secs(2));
        assert_eq!(epoch(), settled, "answered: no longer watched");
    }

    /// Inside a transaction, a write in flight cannot land without a later
    /// statement: not watched; a `COMMIT` in flight after it is, with what
    /// the transaction wrote before it.
    #[test]
    fn a_commit_in_flight_is_watched_with_what_its_transaction_wrote() {
        let (t, epoch) = tracker();
        let mut t = t.for_async(true);
        run(&mut t, "BEGIN");
        t.on_sent(&"UPDATE t SET a = 1");
        std::thread::sleep(watchdog::TICK * 2 + Duration::from_secs(1));
        assert_eq!(
            epoch(),
            None,
            "a write inside a transaction cannot land alone"
        );
        t.on_sent(&"COMMIT");
        assert!(eventually(|| epoch().is_some()), "the COMMIT may land");
    }

    /// The waits cover five minutes, each at most a second or a fifth of
    /// the time gone before it, in about thirty invalidations.
    #[test]
    fn orphans_are_invalidated_again_for_five_minutes_closer_together_early() {
        let mut gone = Duration::ZERO;
        let mut count = 0;
        for gap in while_it_may_land() {
            assert!(
                gap <= (gone / 5).max(Duration::from_secs(1)),
                "{gap:?} after {gone:?}"
            );
            gone += gap;
            count += 1;
        }
        assert!(gone >= ORPHANS_WATCHED, "{gone:?}");
        assert!(gone < ORPHANS_WATCHED * 2, "{gone:?}");
        assert!((20..=40).contains(&count), "{count} invalidations");
    }
}
