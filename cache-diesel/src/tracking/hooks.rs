//! What the managers' reads and hook writes ask of the tracker: the read
//! policy inside a transaction, and hook invalidations deferred to the
//! commit or run now.

use super::{CacheTracking, Deferred, diesel_in_transaction, tracker, warn_untracked};
use cache_core::{Cache, Ttl};
use diesel::Connection;
use std::collections::BTreeSet;

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

/// The caches a tracked connection's writes reach (the tracker's own
/// list, else every cache a manager of `table` uses); none on an untracked
/// connection, whose hook writes reach their manager's cache only.
pub(crate) fn tracked_caches(conn: &mut impl Tracked, table: &str) -> Vec<Cache> {
    match conn.tracker() {
        None => Vec::new(),
        Some(t) => match &t.caches {
            Some(caches) => caches.clone(),
            None => crate::registry::caches_for(table),
        },
    }
}

/// A hook's invalidation, to keep until the commit.
pub(super) fn deferred<'a>(
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
