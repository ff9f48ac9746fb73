//! The lease across processes: a leader's second read (also its claim),
//! the absent tags it creates, and the wait for another process's fill.

use super::Plan;
use crate::backend::Claim;
use crate::driver::cache::Cache;
use crate::driver::erased::{Ops, Value};
use crate::driver::io::Io;
use crate::driver::tagged::{Lookup, Stamp};
use crate::key::Namespace;
use crate::protocol::stamp::new_version;
use std::time::Instant;

/// What a flight leader's claim got.
pub(super) enum Claimed {
    /// The lease, under this key: the leader loads, fills and releases it.
    Leased(String),
    /// Another process holds this lease: the leader waits for its fill.
    HeldElsewhere(String),
}

/// How waiting on another process's lease ended.
pub(super) enum Waited<T> {
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
pub(super) struct Held<'a, I: Io> {
    pub(super) io: &'a I,
    pub(super) entry: &'a str,
    pub(super) lease: Option<String>,
}

impl<I: Io> Held<'_, I> {
    pub(super) async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            let _ = self.io.release_lease(self.entry, &lease).await;
        }
    }

    /// The fill released it.
    pub(super) fn filled(mut self) {
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

impl Cache {
    /// A flight leader's read before it loads. On a shared store it also
    /// claims, in the same round trip: it creates the tags the first read
    /// found absent (with versions of its own) and asks for the fill's
    /// lease, keyed by the versions the fill will be stamped with, so that
    /// a caller that saw a newer invalidation never waits for an older
    /// fill. When another process created one of those tags first, the
    /// lease was keyed by versions that lost: it is given back and asked
    /// for again under the versions that won (two more round trips, only
    /// in that race). A claim that failed gives its lease back, if it can.
    pub(super) async fn second_read(
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
    pub(super) async fn wait_for_fill(
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
    pub(super) fn uses_leases(&self) -> bool {
        self.backend().capabilities().shared
    }
}
