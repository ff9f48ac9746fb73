//! Delivering invalidations: the deferred hook writes' bumps and the
//! unseen writes' at a transaction's end (owed on an async connection),
//! deferring a hook's to the commit, and a connection dropped mid-flight.

use super::hooks::Invalidation;
use super::{CacheTracking, Deferred, Pending, TagGroup};
use crate::tags::bump_groups;
use crate::unseen::Bumps;
use cache_core::Cache;
use std::collections::BTreeSet;

impl CacheTracking {
    /// The deferred hook writes' bumps, one round trip per cache (and tag
    /// lifetime), however many writes the transaction made; then the
    /// unseen writes', one per cache. On an async connection they are
    /// owed instead and delivered by a task (see `for_async`).
    pub(super) fn invalidate(&mut self, pending: &Pending, why: &str) {
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
        if self.is_async
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
    pub(crate) fn for_async(mut self, is_async: bool) -> Self {
        self.is_async = is_async;
        self
    }
}

/// A connection dropped while statements were in flight (cancelled, then
/// the connection closed): they may still run on the server, so what they
/// may write is invalidated now and again after each of
/// `while_it_may_land`'s waits.
#[cfg(feature = "async")]
impl Drop for CacheTracking {
    fn drop(&mut self) {
        if self.in_flight.is_empty() {
            return;
        }
        let orphans: Vec<String> = self.in_flight.drain(..).collect();
        // An orphan may be the `COMMIT` of what is open: what the open
        // transaction wrote may land later too, and a `COMMIT` replayed on
        // its own below would find nothing open.
        let mut open = self.reminder.clone().unwrap_or_default();
        for level in &self.levels {
            open.absorb(level.pending.clone());
        }
        for orphan in &orphans {
            self.on_orphan(orphan);
        }
        // What is still open can no longer commit; what the orphans wrote
        // outside a transaction is invalidated by now, and again below.
        self.end(false);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (dialect, caches) = (self.dialect, self.caches.clone());
            runtime.spawn(async move {
                for gap in while_it_may_land() {
                    tokio::time::sleep(gap).await;
                    let mut again = CacheTracking::new().for_async(true);
                    (again.dialect, again.caches) = (dialect, caches.clone());
                    if !open.is_empty() {
                        again.invalidate(&open, "a COMMIT may land after its connection's drop");
                    }
                    for orphan in &orphans {
                        again.on_orphan(orphan);
                    }
                    again.end(false);
                    for task in again.take_landing() {
                        let _ = task.await;
                    }
                }
            });
        }
    }
}

/// How long after its connection was dropped a cancelled statement may
/// still run and be invalidated again: five minutes (beyond MariaDB's and
/// MySQL's default lock wait, 50 s; PostgreSQL waits for a lock without
/// end unless `lock_timeout` or `statement_timeout` is set).
#[cfg(feature = "async")]
const ORPHANS_WATCHED: std::time::Duration = std::time::Duration::from_secs(300);

/// The waits between the invalidations repeated while a cancelled
/// statement whose connection was dropped may still land (it may be
/// waiting for a lock, or slow): a second while under five seconds are
/// gone, then a fifth of the time gone, for [`ORPHANS_WATCHED`]. A
/// statement that lands `t` seconds after the drop is stale for at most
/// `max(1, t / 5)` seconds, at the cost of about thirty bumps of what it
/// may write.
#[cfg(feature = "async")]
pub(crate) fn while_it_may_land() -> impl Iterator<Item = std::time::Duration> {
    use std::time::Duration;
    let mut gone = Duration::ZERO;
    std::iter::from_fn(move || {
        let gap = (gone / 5).max(Duration::from_secs(1));
        gone += gap;
        (gone <= ORPHANS_WATCHED + gap).then_some(gap)
    })
}

#[cfg(all(test, feature = "async"))]
mod tests {
    use super::*;
    use std::time::Duration;

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
