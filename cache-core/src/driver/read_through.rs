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

use crate::backend::Claim;
use crate::driver::cache::Cache;
use crate::driver::erased::{self, Loaded, Ops, Value};
use crate::driver::flight::Role;
use crate::driver::io::{Blocking, Io, block_now};
pub use crate::driver::refresh::Refresh;
use crate::driver::tagged::{FillOptions, Lookup, Stamp};
use crate::key::Namespace;
use crate::log_limit::Cause;
use crate::protocol::stamp::new_version;
use crate::stats::{Counter, Stats};
use crate::timeout::Ttl;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};
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

/// What a flight leader's claim got.
enum Claimed {
    /// The lease, under this key: the leader loads, fills and releases it.
    Leased(String),
    /// Another process holds this lease: the leader waits for its fill.
    HeldElsewhere(String),
}

/// How waiting on another process's lease ended.
enum Waited<T> {
    /// Its fill landed.
    Filled(T),
    /// It let the lease go without a fill that holds (its load failed, its
    /// fill was refused or stamped with versions since replaced, it died):
    /// the lease is the waiter's now, to fill with this stamp.
    Leased(Stamp),
    /// Neither within one lease, or the cache failed.
    GaveUp,
}

/// A fill lease held by a flight's leader while it loads: released by
/// [`Held::release`], by the fill ([`Held::filled`]), or, if the read is
/// dropped meanwhile, as it is dropped ([`Io::release_detached`]).
struct Held<'a, I: Io> {
    io: &'a I,
    entry: &'a str,
    lease: Option<String>,
}

impl<I: Io> Held<'_, I> {
    async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            let _ = self.io.release_lease(self.entry, &lease).await;
        }
    }

    /// The fill released it.
    fn filled(mut self) {
        self.lease = None;
    }
}

impl<I: Io> Drop for Held<'_, I> {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            self.io.release_detached(self.entry, &lease);
        }
    }
}

/// What a loaded value needs when stored.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// How many of the plan's tags it depends on.
    pub depends_on: usize,
    /// Its hard lifetime. `Some(Duration::ZERO)`: do not store it (the
    /// loaded value is returned, and the lease given back).
    pub ttl: Ttl,
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

    /// The value under `plan.key`, from the cache when valid, else from
    /// `load` (then filled, stamped with the tag versions read before it).
    ///
    /// Values are `Clone`: an in-process backend keeps the decoded value of
    /// an entry and hands each hit a copy ([`Cache::read_tagged_shared`]).
    #[doc(hidden)]
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

    /// A valid decoded value kept for `plan.key` in this process, counted
    /// as a hit.
    pub(crate) fn kept_hit<T>(&self, plan: &Plan<'_>) -> Option<(T, Outcome)>
    where
        T: Clone + Send + Sync + 'static,
    {
        let digest = crate::backend::tags_digest(plan.tags);
        let value = self.read_kept::<T>(plan.key, digest)?;
        if let Some(stats) = plan.stats {
            stats.add(Counter::Hit, 1);
        }
        Some((value, Outcome::Hit))
    }

    /// [`Cache::read_through`] over `io`, with an async `load`, once
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

    /// Fills `plan.key` and, in the same round trip, releases `lease`
    /// (`None` when the fill failed: the lease is the caller's to release).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        shape: &Shape,
        stamp: &Stamp,
        value: &Value,
        lease: Option<&str>,
    ) -> Option<Bytes> {
        if shape.ttl.is_some_and(|ttl| ttl.is_zero()) {
            return None;
        }
        let options = FillOptions {
            depends_on: shape.depends_on,
            ttl: shape.ttl,
            soft: plan.soft_timeout,
        };
        let filled = match (ops.encode_fill)(self, plan.key, stamp, options, value) {
            Ok(bytes) => {
                self.fill_sealed(io, plan.key, bytes, options.ttl, lease)
                    .await
            }
            Err(e) => Err(e),
        };
        match filled {
            Ok(bytes) => {
                if let Some(stats) = plan.stats {
                    stats.add(Counter::Fill, 1);
                }
                Some(bytes)
            }
            Err(crate::error::Error::ValueTooLarge { .. }) => {
                // Counted in the cache's `refused` and logged by check_size;
                // the caller's stats count it too.
                if let Some(stats) = plan.stats {
                    stats.add(Counter::Refused, 1);
                }
                None
            }
            Err(e) => {
                if e.is_backend_failure() {
                    self.count_both(plan, Counter::Error);
                } else if let (crate::error::Error::Encode { .. }, Some(stats)) = (&e, plan.stats) {
                    // Counted in the cache's `errors` by `encode_fill`.
                    stats.add(Counter::Error, 1);
                }
                if let Some(more) = self.log_limit(Cause::FillFailed) {
                    tracing::warn!(key = plan.key, error = %e, "cache fill failed{more}");
                }
                None
            }
        }
    }

    async fn fill_miss<F>(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        load: impl FnOnce() -> F,
        stamp: Stamp,
    ) -> Result<(Value, Outcome), String>
    where
        F: Future<Output = Loaded>,
    {
        let flight_key = flight_key(plan, &stamp);
        let mut rounds = 0;
        let leader = loop {
            // While the store serves no entries, a caller joins no flight in
            // the air: one begun before it may not see a write that returned
            // since and whose bump another process owes (see the close below).
            if !self.backend().serves_entries() {
                break self.flights().alone(flight_key.clone());
            }
            let follower = match self.flights().join(flight_key.clone()) {
                Role::Leader(leader) => break leader,
                Role::Follower(follower) => follower,
            };
            let landed = io.follow(&follower, self.config().lease).await;
            if let Some(value) =
                landed.and_then(|bytes| (ops.decode_fill)(self, plan.key, &bytes, plan.stats))
            {
                self.count_both(plan, Counter::Shared);
                return Ok((value, Outcome::Shared));
            }
            // The leader failed, was cancelled (an async read dropped) or
            // took too long; its fill may have landed anyway.
            if let Ok(Lookup::Hit { value, .. }) = self
                .reread_shared(io, ops, plan.key, plan.tags, plan.tag_ttl, plan.stats)
                .await
            {
                self.count_both(plan, Counter::Shared);
                return Ok((value, Outcome::Shared));
            }
            // Its followers fly again: one leads, the others wait for it
            // (a flight whose leader is gone is out of the air), rather
            // than all loading at once; twice at most.
            rounds += 1;
            if rounds > 2 {
                return load().await.map(|(v, _)| (v, Outcome::Loaded));
            }
        };
        // A caller that missed just before another's flight landed (and
        // ended) leads a new flight: the fill may be there already.
        let mut lease = None;
        // What the fill is stamped with: the versions read by the second
        // read, or the first's if it saw every tag (then they are whole).
        let complete = !stamp.versions().contains(&0);
        let mut fill_stamp = complete.then(|| stamp.clone());
        let second = self.second_read(io, plan, ops, &stamp).await;
        if !complete || !self.backend().serves_entries() {
            // Every caller that finds a tag absent keys its flight alike,
            // whenever it read (a tag bumped and then evicted is absent
            // again): one that joins after this point may have read after
            // a write this load would not see. Those that joined before
            // read before the query starts. So do callers while a shared
            // store serves no entries (trouble, or the grace after it):
            // another process may owe the bump of a write that returned
            // after this load began, so a stamp read since proves nothing.
            leader.close();
        }
        match second {
            Ok((Lookup::Hit { value, .. }, _)) => {
                self.count_both(plan, Counter::Shared);
                return Ok((value, Outcome::Shared));
            }
            Ok((Lookup::Miss(read), Some(Claimed::Leased(key)))) => {
                fill_stamp = Some(read);
                lease = Some(key);
            }
            Ok((Lookup::Miss(read), Some(Claimed::HeldElsewhere(key)))) => {
                fill_stamp = Some(read);
                self.count_both(plan, Counter::LeaseWait);
                let waited = self.wait_for_fill(io, plan, ops, &key);
                match waited
                    .instrument(tracing::debug_span!("cache.lease_wait"))
                    .await
                {
                    Waited::Filled(value) => {
                        drop(leader); // local followers re-read the cache
                        return Ok((value, Outcome::AfterLease));
                    }
                    Waited::Leased(read) => {
                        fill_stamp = Some(read);
                        lease = Some(key);
                    }
                    Waited::GaveUp => self.count_both(plan, Counter::LeaseTimeout),
                }
            }
            Ok((Lookup::Miss(read), None)) => fill_stamp = Some(read),
            Err(e) => tracing::debug!(key = plan.key, error = %e, "lease unavailable"),
        }
        // Released after the fill, or at once on failure; a holder that dies
        // holds it one lease long; a read dropped while it loads (an async
        // caller cancelled) lets it go as it is dropped.
        let held = Held {
            io,
            entry: plan.key,
            lease,
        };
        let (value, shaped) = match load().await {
            Ok(loaded) => loaded,
            Err(e) => {
                held.release().await;
                return Err(e); // the leader drops: followers fly again
            }
        };
        // (Not under a stamp read pending since the first read: a binary
        // from before writer tokens would take a token for a version.)
        let bytes = match fill_stamp {
            Some(stamp) if !stamp.is_pending() => {
                let lease = held.lease.as_deref();
                let store = self.store(io, plan, ops, &shaped, &stamp, &value, lease);
                store.instrument(tracing::debug_span!("cache.fill")).await
            }
            _ => None,
        };
        match bytes {
            None => held.release().await,
            Some(_) => held.filled(),
        }
        leader.land(bytes);
        Ok((value, Outcome::Loaded))
    }

    /// A flight leader's read before it loads. On a shared store it also
    /// claims, in the same round trip: it creates the tags the first read
    /// found absent (with versions of its own) and asks for the fill's
    /// lease, keyed by the versions the fill will be stamped with, so that
    /// a caller that saw a newer invalidation never waits for an older
    /// fill. When another process created one of those tags first, the
    /// lease was keyed by versions that lost: it is given back and asked
    /// for again under the versions that won (two more round trips, only
    /// in that race). A claim that failed gives its lease back, if it can.
    async fn second_read(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        first: &Stamp,
    ) -> crate::error::Result<(Lookup<Value>, Option<Claimed>)> {
        if !self.uses_leases() {
            let (lookup, _) = self.later_read(io, plan, ops, None).await?;
            return Ok((lookup, None));
        }
        let mut versions = first.versions().to_vec();
        // The claim creates its tags with one lifetime: if the entry's own
        // tag is absent along with others (rare: a shared tag expired or
        // was evicted), the others are created first, in a round trip of
        // their own, and the claim creates the own tag.
        let own_absent = plan
            .own_tag
            .is_some_and(|(i, _)| versions.get(i) == Some(&0));
        let absent = versions.iter().filter(|v| **v == 0).count();
        if own_absent && absent > 1 {
            self.create_absent(io, plan, &mut versions, true).await?;
        }
        let tag_ttl = match plan.own_tag {
            Some((_, ttl)) if own_absent => Some(ttl),
            _ => plan.tag_ttl,
        };
        let mut create = Vec::new();
        for (tag, version) in plan.tags.iter().zip(&mut versions) {
            if *version == 0 {
                *version = new_version();
                create.push((*tag, *version));
            }
        }
        for _ in 0..2 {
            let lease = self.keys().build(
                Namespace::Lease,
                &["fill"],
                &format!("{}#{versions:?}", plan.key),
            );
            let claim = Claim {
                lease: &lease,
                lease_ttl: self.config().lease,
                create: &create,
                tag_ttl,
            };
            let claimed = self.later_read(io, plan, ops, Some(&claim)).await;
            let (lookup, leased) = match claimed {
                Ok(claimed) => claimed,
                Err(e) => {
                    // The lease may have been taken before the failure (a
                    // reply that timed out): not held for a whole lease.
                    let _ = io.release_lease(plan.key, &lease).await;
                    return Err(e);
                }
            };
            let won = match &lookup {
                Lookup::Miss(read) => read.versions() == versions.as_slice(),
                Lookup::Hit { .. } => true,
            };
            if leased && (!won || matches!(lookup, Lookup::Hit { .. })) {
                let _ = io.release_lease(plan.key, &lease).await;
            }
            match lookup {
                Lookup::Miss(read) if !won => {
                    versions = read.versions().to_vec();
                    create.clear();
                }
                Lookup::Miss(read) if leased => {
                    return Ok((Lookup::Miss(read), Some(Claimed::Leased(lease))));
                }
                lookup => return Ok((lookup, Some(Claimed::HeldElsewhere(lease)))),
            }
        }
        // Tags that keep changing under the claim: load without a lease.
        let (lookup, _) = self.later_read(io, plan, ops, None).await?;
        Ok((lookup, None))
    }

    /// Creates the tags of `plan` that `versions` has as 0 (absent), each
    /// with its lifetime (`plan.own_tag`'s own, `plan.tag_ttl` for the
    /// others; one round trip per lifetime), except the own tag when
    /// `but_own`; writes the versions they hold now (ours, or another
    /// process's that created one first) into `versions`.
    pub(crate) async fn create_absent(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        versions: &mut [u64],
        but_own: bool,
    ) -> crate::error::Result<()> {
        let own = plan.own_tag.map(|(i, _)| i);
        for own_group in [false, true] {
            if own_group && but_own {
                continue;
            }
            let group: Vec<usize> = (0..versions.len().min(plan.tags.len()))
                .filter(|&i| versions[i] == 0 && (own == Some(i)) == own_group)
                .collect();
            if group.is_empty() {
                continue;
            }
            let ttl = match plan.own_tag {
                Some((_, ttl)) if own_group => Some(ttl),
                _ => plan.tag_ttl,
            };
            let mine: Vec<(&str, u64)> = group
                .iter()
                .map(|&i| (plan.tags[i], new_version()))
                .collect();
            let held = io.create_versions(plan.key, &mine, ttl).await?;
            if held.len() != group.len() {
                return Err(crate::error::Error::Backend {
                    reason: format!("{} replies to {} tag creations", held.len(), group.len()),
                });
            }
            for (i, version) in group.into_iter().zip(held) {
                versions[i] = version;
            }
        }
        Ok(())
    }

    /// A read after the caller's first (not counted as a hit or a miss)
    /// that creates absent tags, with `claim` made in the same round trip.
    async fn later_read(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        claim: Option<&Claim<'_>>,
    ) -> crate::error::Result<(Lookup<Value>, bool)> {
        self.read_tagged_leasing(
            io,
            ops.open,
            plan.key,
            plan.tags,
            plan.tag_ttl,
            claim,
            false,
            true,
            plan.stats,
        )
        .await
    }

    /// Polls for another process's fill, at most one lease long; each poll
    /// also asks for the `lease` (one round trip), so that a holder that
    /// lets it go without a fill that holds for this caller (or dies, and
    /// the lease expires) hands the load over at once.
    async fn wait_for_fill(
        &self,
        io: &impl Io,
        plan: &Plan<'_>,
        ops: Ops,
        lease: &str,
    ) -> Waited<Value> {
        let deadline = crate::timeout::deadline(self.config().lease);
        let claim = Claim {
            lease,
            lease_ttl: self.config().lease,
            create: &[],
            tag_ttl: plan.tag_ttl,
        };
        while Instant::now() < deadline {
            io.sleep(self.config().lease_tick).await;
            match self.later_read(io, plan, ops, Some(&claim)).await {
                Ok((Lookup::Hit { value, .. }, leased)) => {
                    if leased {
                        let _ = io.release_lease(plan.key, lease).await;
                    }
                    return Waited::Filled(value);
                }
                Ok((Lookup::Miss(read), true)) => return Waited::Leased(read),
                Ok((Lookup::Miss(_), false)) => {}
                Err(_) => break,
            }
        }
        Waited::GaveUp
    }

    /// Whether misses take a lease: only where other processes share the cache.
    fn uses_leases(&self) -> bool {
        self.backend().capabilities().shared
    }
}
