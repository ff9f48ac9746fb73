//! The async driver (feature `tokio`): the same protocol as the sync one
//! (`read_through`, `tagged`), run over the store's non-blocking twin
//! ([`Backend::async_store`](crate::Backend::async_store)), with tokio's
//! timers for the waits. Nothing here blocks a runtime thread: a store
//! without a twin is not called at all (the source is read, uncached, and
//! the first such read is logged).

use crate::driver::cache::Cache;
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::driver::erased::{self, Ops};
use crate::driver::io::AsyncIo;
use crate::driver::read_hits::Kept;
use crate::driver::read_many::{Found, place};
use crate::driver::read_through::{Outcome, Plan, Shape};
use crate::error::Result;
use crate::stats::Counter;
use crate::timeout::Ttl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a read without a non-blocking store was logged already.
static NO_TWIN_LOGGED: AtomicBool = AtomicBool::new(false);

impl Cache {
    /// A read on a store with no non-blocking twin: counted, logged once.
    fn no_twin(&self, plan: &Plan<'_>) {
        self.count(Counter::Uncached, 1);
        if let Some(stats) = plan.stats {
            stats.add(Counter::Uncached, 1);
        }
        if !NO_TWIN_LOGGED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                backend = self.backend().kind(),
                "this cache store has no async client yet: async reads go to the database, uncached"
            );
        }
    }
}

impl Engine<'_> {
    /// [`Engine::read_through`] for async callers: the same protocol, its
    /// store calls and waits as futures, `load` a future too.
    pub async fn read_through_async<T, E, F>(
        &self,
        plan: &Plan<'_>,
        shape: impl Fn(&T) -> Shape,
        load: impl FnOnce() -> F,
    ) -> std::result::Result<(T, Outcome), E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Display,
        F: Future<Output = std::result::Result<T, E>>,
    {
        // A hit never waits (an in-process one does no I/O at all): the
        // task spends tokio's budget, so a loop of hits yields in turn.
        tokio::task::coop::consume_budget().await;
        let Some(store) = self.async_store() else {
            self.no_twin(plan);
            return load().await.map(|v| (v, Outcome::Uncached));
        };
        if let Some(hit) = self.kept_hit(plan) {
            return Ok(hit);
        }
        let io = AsyncIo(store.clone());
        let mut failed = None;
        let slot = &mut failed;
        let load = move || async move { erased::loaded(load().await, shape, slot) };
        let read = self
            .read_through_missed(&io, plan, Ops::of::<T>(), load)
            .await;
        erased::typed(read, failed)
    }

    /// [`Engine::read_through_many`] for async callers.
    pub async fn read_through_many_async<T, E, F>(
        &self,
        plans: &[Plan<'_>],
        shape: impl Fn(usize, &T) -> Shape,
        load: impl FnOnce(Vec<usize>) -> F,
    ) -> std::result::Result<Found<T>, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Display,
        F: Future<Output = std::result::Result<Vec<T>, E>>,
    {
        tokio::task::coop::consume_budget().await;
        let Some(store) = self.async_store() else {
            plans.iter().for_each(|plan| self.no_twin(plan));
            let all: Vec<usize> = (0..plans.len()).collect();
            let mut found = (0..plans.len()).map(|_| None).collect();
            let values = load(all.clone()).await?;
            place(&mut found, &all, values, Outcome::Uncached);
            return Ok(found);
        };
        let io = AsyncIo(store.clone());
        self.read_many_with(&io, plans, shape, load).await
    }

    /// [`Engine::read_hits`] for async callers.
    pub async fn read_hits_async<A: Kept, B: Kept>(
        &self,
        first: &Plan<'_>,
        rest: &[Plan<'_>],
        accept: impl FnOnce(&A, &[B]) -> bool,
    ) -> Option<(A, Vec<B>)> {
        let io = AsyncIo(self.async_store()?.clone());
        self.read_hits_with(&io, first, rest, accept).await
    }

    /// [`Engine::bump_tag_groups`] for async callers. A store without a
    /// non-blocking twin is written from a blocking task
    /// (`tokio::task::spawn_blocking`): a write must never be skipped.
    pub async fn bump_tag_groups_async(
        &self,
        groups: &[(&[String], Option<&str>)],
        tag_ttl: Ttl,
    ) -> Result<()> {
        let Some(store) = self.async_store() else {
            let cache = self.cache().clone();
            let owned: Vec<(Vec<String>, Option<String>)> = groups
                .iter()
                .map(|(tags, cover)| (tags.to_vec(), cover.map(str::to_owned)))
                .collect();
            let bumped = tokio::task::spawn_blocking(move || {
                let groups: Vec<(&[String], Option<&str>)> = owned
                    .iter()
                    .map(|(tags, cover)| (tags.as_slice(), cover.as_deref()))
                    .collect();
                cache.engine().bump_tag_groups(&groups, tag_ttl)
            });
            return bumped.await.unwrap_or_else(|e| {
                Err(crate::Error::Unavailable {
                    reason: format!("the blocking bump task failed: {e}"),
                })
            });
        };
        let io = AsyncIo(store.clone());
        self.bump_tag_groups_with(&io, groups, tag_ttl).await
    }

    /// Delivers what this cache owes (see `Engine::owe_tag_groups`) now,
    /// without blocking the runtime; true when nothing is owed any more.
    pub async fn settle_owed_async(&self) -> bool {
        if self.owed().is_clear() {
            return true;
        }
        let Some(store) = self.async_store() else {
            let cache = self.cache().clone();
            return tokio::task::spawn_blocking(move || cache.settle_owed())
                .await
                .unwrap_or(false);
        };
        let owed = self.owed().snapshot();
        let io = AsyncIo(store.clone());
        match self
            .deliver(&io, &[], crate::driver::owed::Debt::NO_TTL, owed)
            .await
        {
            Ok(()) => self.owed().is_clear(),
            Err(e) => {
                tracing::debug!(error = %e, "owed tag bumps still undeliverable");
                false
            }
        }
    }
}
