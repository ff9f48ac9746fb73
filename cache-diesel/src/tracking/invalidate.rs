//! Delivering invalidations: the deferred hook writes' bumps and the
//! unseen writes' at a transaction's end (owed on an async connection),
//! and deferring a hook's to the commit.

use super::hooks::Invalidation;
use super::{CacheTracking, Deferred, Pending, TagGroup};
use crate::keys::tag_bumps::bump_groups;
use crate::tracking::written_tables::Bumps;
#[cfg(feature = "async")]
use cache_core::__engine::WithEngine;
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
                first.cache.engine().owe_tag_groups(groups, first.ttl);
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
                        cache.engine().settle_owed_async().await;
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
