//! Batch reads (a manager's `get_many`): many entries and their tags in one
//! round trip where the store can, the misses loaded by one call of the
//! caller's loader (one query), each filled with the stamp read before
//! that load.
//!
//! The protections of a single read (`read_through/`) hold, with these
//! departures. A miss leads the flight of its key when none is in the air
//! (single-flight in the process, shared with single reads: callers that
//! miss the same key meanwhile wait for this batch's load); a key another
//! caller is loading is loaded by the batch's own query too (it costs no
//! query more, and waiting for it would let two batches wait on each
//! other) and left for that caller to fill. Across processes a batch takes
//! no fill lease: its misses are one query already, and a lease per key
//! would cost a round trip each. An entry past its soft timeout is served
//! as a hit and left for a single read to refresh.

use crate::driver::cache::Cache;
use crate::driver::cache::engine::Engine;
use crate::driver::erased::{Ops, Value, open_kept, take, take_lookup};
use crate::driver::flight::{Leader, Role};
use crate::driver::io::{Blocking, Io, block_now};
use crate::driver::read_through::{Outcome, Plan, Shape, flight_key};
use crate::driver::tagged::{Lookup, Stamp};
use crate::stats::Counter;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::{Future, ready};

/// What a batch read found for each plan, in order: the value and where
/// it came from; `None` only where the loader returned fewer values than
/// it was asked for (a bug of the loader's).
pub type Found<T> = Vec<Option<(T, Outcome)>>;

/// A miss this batch loads and fills: its plan's index, its stamp, and
/// the flight it leads (none: a flight nobody may join).
struct Filling<'f> {
    at: usize,
    stamp: Stamp,
    leader: Option<Leader<'f>>,
}

impl Cache {
    /// The driver of [`Engine::read_through_many`] and its async twin.
    pub(crate) async fn read_many_with<T, E, F>(
        &self,
        io: &impl Io,
        plans: &[Plan<'_>],
        shape: impl Fn(usize, &T) -> Shape,
        load: impl FnOnce(Vec<usize>) -> F,
    ) -> Result<Found<T>, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Display,
        F: Future<Output = Result<Vec<T>, E>>,
    {
        let mut found: Found<T> = (0..plans.len()).map(|_| None).collect();
        // Decoded values kept in this process answer without I/O.
        let mut rest = Vec::new();
        for (at, plan) in plans.iter().enumerate() {
            match self.kept_hit(plan) {
                Some(hit) => found[at] = Some(hit),
                None => rest.push(at),
            }
        }
        if rest.is_empty() {
            return Ok(found);
        }
        let reads: Vec<(&str, &[&str])> = rest
            .iter()
            .map(|&at| (plans[at].key, plans[at].tags))
            .collect();
        let lookups = match self
            .read_tagged_batch(io, open_kept::<T>, &reads, plans[rest[0]].stats)
            .await
        {
            Ok(lookups) => lookups
                .into_iter()
                .map(take_lookup::<T>)
                .collect::<Vec<_>>(),
            Err(e) => {
                let failed: Vec<Plan<'_>> = rest.iter().map(|&at| plans[at]).collect();
                self.read_failed(&failed, &e);
                let values = load(rest.clone()).await?;
                place(&mut found, &rest, values, Outcome::Uncached);
                return Ok(found);
            }
        };
        // Loaded and not filled: inside a transaction, while a write is
        // pending, and keys another caller is loading (it fills them).
        let mut plain = Vec::new();
        let mut filling = Vec::new();
        for (&at, lookup) in rest.iter().zip(lookups) {
            let plan = &plans[at];
            let mut stamp = match lookup {
                Lookup::Hit { value, .. } => {
                    if let Some(stats) = plan.stats {
                        stats.add(Counter::Hit, 1);
                    }
                    found[at] = Some((value, Outcome::Hit));
                    continue;
                }
                Lookup::Miss(stamp) => stamp,
            };
            if let Some(stats) = plan.stats {
                stats.add(Counter::Miss, 1);
            }
            // Not filled inside a transaction, nor while a write announced
            // its commit (see `read_through_missed`).
            if !plan.fill || stamp.is_pending() {
                plain.push(at);
                continue;
            }
            // A stamp that found a tag absent is completed here, and its
            // load leads no flight: a caller that joins later may have read
            // after a write this load would not see (see `fill_miss`); so
            // while the store serves no entries.
            if stamp.versions().contains(&0) || !self.backend().serves_entries() {
                match self
                    .create_absent(io, plan, &mut stamp.versions, false)
                    .await
                {
                    Ok(()) => filling.push(Filling {
                        at,
                        stamp,
                        leader: None,
                    }),
                    Err(_) => plain.push(at),
                }
                continue;
            }
            match self.flights().join(flight_key(plan, &stamp)) {
                Role::Leader(leader) => filling.push(Filling {
                    at,
                    stamp,
                    leader: Some(leader),
                }),
                Role::Follower(_) => plain.push(at),
            }
        }
        let loading: Vec<usize> = plain
            .iter()
            .copied()
            .chain(filling.iter().map(|f| f.at))
            .collect();
        if loading.is_empty() {
            return Ok(found);
        }
        // A failed load drops the leaders: their followers load again.
        let mut values = load(loading).await?.into_iter();
        for &at in &plain {
            found[at] = values.next().map(|v| (v, Outcome::Loaded));
        }
        for Filling { at, stamp, leader } in filling {
            let Some(value) = values.next() else { break };
            let plan = &plans[at];
            let shaped = shape(at, &value);
            let value: Value = Box::new(value);
            let bytes = self
                .store(io, plan, Ops::of::<T>(), &shaped, &stamp, &value, None)
                .await;
            let value = take::<T>(value);
            if let Some(leader) = leader {
                leader.land(bytes);
            }
            found[at] = Some((value, Outcome::Loaded));
        }
        Ok(found)
    }
}

impl Engine<'_> {
    /// [`Engine::read_through`] for many `plans` at once (their keys
    /// distinct): the entries and their tags in one round trip where the
    /// store can, then at most one call of `load` with the indices (into
    /// `plans`) of the misses, which returns their values in that order.
    /// `shape` is given a plan's index and its loaded value.
    pub fn read_through_many<T, E>(
        &self,
        plans: &[Plan<'_>],
        shape: impl Fn(usize, &T) -> Shape,
        load: impl FnOnce(Vec<usize>) -> Result<Vec<T>, E>,
    ) -> Result<Found<T>, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Display,
    {
        let io = Blocking(&**self.backend());
        block_now(self.read_many_with(&io, plans, shape, |at| ready(load(at))))
    }
}

/// Puts `values`, loaded for the plans at `at`, in their places.
pub(crate) fn place<T>(found: &mut Found<T>, at: &[usize], values: Vec<T>, outcome: Outcome) {
    for (&at, value) in at.iter().zip(values) {
        found[at] = Some((value, outcome));
    }
}
