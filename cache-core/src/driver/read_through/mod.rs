//! Read-through with every protection at once: versioned tags (no stale
//! fills), single-flight in the process, a lease across processes, and
//! serve-stale past a soft timeout. Fail-open: cache failures are logged and
//! the source of truth is read instead.
//!
//! On a miss the first caller in the process leads; callers that miss the
//! same key with the same stamp meanwhile wait for its result (a caller
//! whose stamp differs saw a newer invalidation and must not share an older
//! read). On a shared store the leader's second read is also its claim
//! ([`Claim`]: absent tags created, the lease taken, in one round trip;
//! the first read creates nothing there): if another process holds the
//! lease, the leader polls every
//! `lease_tick` for that process's fill, at most `lease` long, then reads
//! the source itself. A lease holder that dies delays others by at most the
//! lease. Past an entry's soft timeout, one caller (the one that takes the
//! refresh lease) reloads it while the others are served the old value; a
//! refresh that fails is logged and the old value served until its hard
//! timeout.
//!
//! Here a read's plan, what it gets back, and its way from the first read
//! to a hit, a shared load or a stale value served; in `fill`, a flight
//! leader's miss (its load and fill); in `lease`, the lease across
//! processes (the leader's claim, the absent tags it creates, the wait for
//! another process's fill).

mod fill;
mod lease;

use crate::driver::cache::Cache;
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::driver::erased::{self, Loaded, Ops, Value};
use crate::driver::io::{Blocking, Io, block_now};
pub use crate::driver::lookup::Shape;
pub use crate::driver::refresh::Refresh;
use crate::driver::tagged::{Lookup, Stamp};
use crate::key::Namespace;
use crate::log_limit::Cause;
use crate::stats::{Counter, Stats};
use crate::timeout::Ttl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;

/// How one read-through call is keyed and filled.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    /// The entry's backend key.
    pub key: &'a str,
    /// The backend keys of the tags it is read with.
    pub tags: &'a [&'a str],
    /// Lifetime of tags created on a miss.
    pub tag_ttl: Ttl,
    /// The entry's own tag, if it has one: its index in `tags`, and the
    /// lifetime it is created with instead of `tag_ttl`. For a tag that
    /// only short-lived entries depend on (a row's unique-value tag, which
    /// only that value's detail entries read): created for an entry that
    /// lives seconds, it need not live days. A shorter lifetime is always
    /// safe (a tag that expires is created anew with a new random version,
    /// which no old entry holds); it only costs misses.
    pub own_tag: Option<(usize, Duration)>,
    /// Whether a miss may be filled (not inside a transaction).
    pub fill: bool,
    /// Past this age an entry is refreshed by one caller while the others
    /// are served the old value.
    pub soft_timeout: Option<Duration>,
    /// Counters to count into besides the cache's own (a manager's).
    pub stats: Option<&'a Stats>,
    /// Refresh past the soft timeout elsewhere (a worker): called by the
    /// one caller that took the refresh lease, with the [`Refresh`] to
    /// complete; returns it back when it cannot take it, and the caller
    /// then refreshes inline.
    pub background: Option<&'a (dyn Fn(Refresh) -> Option<Refresh> + Sync)>,
    /// What reads (a model or a query's label) and which kind of read
    /// (`detail`, `list`, ..): the fields of a miss's span.
    pub source: (&'a str, &'a str),
}

impl<'a> Plan<'a> {
    /// A plan for `key` read with `tags`, with the defaults a plain read
    /// has: a miss fills, tags created on a miss live forever, no own tag,
    /// no soft timeout, no counters besides the cache's, no refresh worker.
    pub fn new(key: &'a str, tags: &'a [&'a str]) -> Self {
        Plan {
            key,
            tags,
            tag_ttl: None,
            own_tag: None,
            fill: true,
            soft_timeout: None,
            source: ("", ""),
            stats: None,
            background: None,
        }
    }
}

/// The key of a miss's flight: its entry's key and the stamp it read
/// (callers that read different versions must not share a load).
pub(crate) fn flight_key(plan: &Plan<'_>, stamp: &Stamp) -> String {
    format!("{}#{:?}", plan.key, stamp.versions())
}

/// Where a read-through value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid entry.
    Hit,
    /// The source, then filled (or not, inside a transaction).
    Loaded,
    /// Another caller's load in this process.
    Shared,
    /// Another process's fill, after waiting on its lease.
    AfterLease,
    /// An entry past its soft timeout, while another caller refreshes it.
    StaleServed,
    /// The source, because the cache failed.
    Uncached,
}

impl Cache {
    pub(crate) fn count_both(&self, plan: &Plan<'_>, counter: Counter) {
        self.count(counter, 1);
        if let Some(stats) = plan.stats {
            stats.add(counter, 1);
        }
    }

    /// A valid decoded value kept for `plan.key` in this process, counted
    /// as a hit.
    pub(crate) fn kept_hit<T>(&self, plan: &Plan<'_>) -> Option<(T, Outcome)>
    where
        T: Clone + Send + Sync + 'static,
    {
        let digest = crate::backend::tags_digest(plan.tags);
        let value = self.engine().read_kept::<T>(plan.key, digest)?;
        if let Some(stats) = plan.stats {
            stats.add(Counter::Hit, 1);
        }
        Some((value, Outcome::Hit))
    }

    /// [`Engine::read_through`] over `io`, with an async `load`, once
    /// [`Cache::kept_hit`] did not answer: the driver both APIs run.
    ///
    /// Untyped (`erased.rs`): `ops` opens and seals the values, `load`
    /// loads one and says how to store it; an `Err` is the load's.
    pub(crate) async fn read_through_missed<F>(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        load: impl FnOnce() -> F,
    ) -> Result<(Value, Outcome), String>
    where
        F: Future<Output = Loaded>,
    {
        // Where misses claim (take a lease, create absent tags) in one round
        // trip with their second read, the first read creates nothing.
        // Elsewhere it creates them, each with its lifetime (`own_tag`).
        let create_here = !self.uses_leases();
        let first = self
            .read_tagged_leasing(
                io,
                ops.open,
                plan.key,
                plan.tags,
                plan.tag_ttl,
                None,
                true,
                create_here && plan.own_tag.is_none(),
                plan.stats,
            )
            .await;
        let first = match first {
            Ok((Lookup::Miss(mut stamp), leased)) if create_here && plan.own_tag.is_some() => self
                .create_absent(io, plan, &mut stamp.versions, false)
                .await
                .map(|()| (Lookup::Miss(stamp), leased)),
            first => first,
        };
        let lookup = match first.map(|(lookup, _)| lookup) {
            Ok(lookup) => lookup,
            Err(e) => {
                self.read_failed(std::slice::from_ref(plan), &e);
                return load().await.map(|(v, _)| (v, Outcome::Uncached));
            }
        };
        match lookup {
            Lookup::Hit {
                value,
                refresh_due: false,
                ..
            } => {
                if let Some(stats) = plan.stats {
                    stats.add(Counter::Hit, 1);
                }
                Ok((value, Outcome::Hit))
            }
            Lookup::Hit { value, stamp, .. } => {
                // A local copy in front of a shared store is past its soft
                // deadline: another process may have refreshed the entry.
                let capabilities = self.backend().capabilities();
                if capabilities.shared && capabilities.keeps_decoded {
                    self.backend().discard(plan.key);
                    if let Ok(Lookup::Hit {
                        value,
                        refresh_due: false,
                        ..
                    }) = self
                        .reread_shared(io, ops, plan.key, plan.tags, plan.tag_ttl, plan.stats)
                        .await
                    {
                        if let Some(stats) = plan.stats {
                            stats.add(Counter::Hit, 1);
                        }
                        return Ok((value, Outcome::Hit));
                    }
                }
                Ok(self
                    .refresh_or_serve(io, plan, ops, load, value, stamp)
                    .await)
            }
            Lookup::Miss(stamp) => {
                if let Some(stats) = plan.stats {
                    stats.add(Counter::Miss, 1);
                }
                // A miss's span (none on a hit): its lease wait, the query
                // (the caller's, inside `load`) and its fill within.
                let span = tracing::info_span!(
                    "cache.miss",
                    source = plan.source.0,
                    kind = plan.source.1,
                    key = plan.key,
                    outcome = tracing::field::Empty
                );
                // Nothing is filled inside a transaction, nor while a tag is
                // pending: a write announced its commit (`intent.rs`), and
                // what is read now may be from before it.
                let read = async {
                    if !plan.fill || stamp.is_pending() {
                        return load().await.map(|(v, _)| (v, Outcome::Loaded));
                    }
                    self.fill_miss(io, plan, ops, load, stamp).await
                };
                let read = read.instrument(span.clone()).await;
                match &read {
                    Ok((_, outcome)) => span.record("outcome", tracing::field::debug(outcome)),
                    Err(_) => span.record("outcome", "failed"),
                };
                read
            }
        }
    }

    /// The cache failed the read of `plans` with `e`: each is counted as
    /// an error and an uncached read, and the failure logged (once a
    /// period per cause); the caller reads the source.
    pub(crate) fn read_failed(&self, plans: &[Plan<'_>], e: &crate::error::Error) {
        for plan in plans {
            self.count_both(plan, Counter::Error);
            self.count_both(plan, Counter::Uncached);
        }
        let cause = match e {
            crate::error::Error::Owed => Cause::ReadOwed,
            _ => Cause::ReadFailed,
        };
        if let Some(more) = self.log_limit(cause) {
            let key = plans.first().map_or("", |p| p.key);
            tracing::warn!(key, keys = plans.len(), error = %e, "cache unavailable, reading the source{more}");
        }
    }

    async fn refresh_or_serve<F>(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        load: impl FnOnce() -> F,
        old: Value,
        stamp: Stamp,
    ) -> (Value, Outcome)
    where
        F: Future<Output = Loaded>,
    {
        let lease = self.keys().build(Namespace::Lease, &["refresh"], plan.key);
        let mine = plan.fill
            && io
                .add_lease(plan.key, &lease, self.config().lease)
                .await
                .unwrap_or(false);
        if !mine {
            self.count_both(plan, Counter::StaleServe);
            return (old, Outcome::StaleServed);
        }
        let mut refresh = Refresh::new(self, plan.key, stamp, plan.soft_timeout, lease);
        if let Some(spawn) = plan.background {
            match spawn(refresh) {
                None => {
                    self.count_both(plan, Counter::StaleServe);
                    return (old, Outcome::StaleServed);
                }
                Some(back) => refresh = back,
            }
        }
        let (stamp, lease) = refresh.into_parts();
        let Some(lease) = lease else {
            return (old, Outcome::StaleServed);
        };
        match load().await {
            Ok((value, shape)) => {
                if self
                    .store(io, plan, ops, &shape, &stamp, &value, Some(&lease))
                    .await
                    .is_none()
                {
                    let _ = io.release_lease(plan.key, &lease).await;
                }
                (value, Outcome::Loaded)
            }
            Err(e) => {
                tracing::error!(key = plan.key, error = %e, "refresh failed; serving the old value until its hard timeout");
                self.count_both(plan, Counter::StaleServe);
                (old, Outcome::StaleServed)
            }
        }
    }
}

impl Engine<'_> {
    /// The value under `plan.key`, from the cache when valid, else from
    /// `load` (then filled, stamped with the tag versions read before it).
    ///
    /// Values are `Clone`: an in-process backend keeps the decoded value of
    /// an entry and hands each hit a copy ([`Engine::read_tagged_shared`]).
    pub fn read_through<T, E>(
        &self,
        plan: &Plan<'_>,
        shape: impl Fn(&T) -> Shape,
        load: impl FnOnce() -> Result<T, E>,
    ) -> Result<(T, Outcome), E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Display,
    {
        // A hit on a store that keeps decoded values is answered here,
        // before the driver's future (about 1.9 KB) is built and polled.
        if let Some(hit) = self.kept_hit(plan) {
            return Ok(hit);
        }
        let io = Blocking(&**self.backend());
        let mut failed = None;
        let load = erased::sync_load(load, shape, &mut failed);
        let read = block_now(self.read_through_missed(&io, plan, Ops::of::<T>(), load));
        erased::typed(read, failed)
    }
}
