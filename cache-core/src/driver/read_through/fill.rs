//! A flight leader's miss: its claim, its load, its fill (released with
//! the lease in the same round trip).

use super::lease::{Claimed, Held, Waited};
use super::{Outcome, Plan, Shape, flight_key};
use crate::driver::cache::Cache;
use crate::driver::erased::{Loaded, Ops, Value};
use crate::driver::flight::Role;
use crate::driver::io::Io;
use crate::driver::tagged::{FillOptions, Lookup, Stamp};
use crate::log_limit::Cause;
use crate::stats::Counter;
use bytes::Bytes;
use std::future::Future;
use tracing::Instrument;

impl Cache {
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

    pub(super) async fn fill_miss<F>(
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
}
