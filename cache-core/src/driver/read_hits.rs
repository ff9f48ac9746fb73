//! Hits only, in one round trip: a read that knows what it will need
//! besides its first entry (an id list's rows: the ids the list held the
//! last time it was read) reads them all at once, and is answered only
//! when every one is a valid hit. Anything else (a miss, a stale entry, one
//! due for a refresh, a failure) answers nothing, counts nothing and fills
//! nothing: the caller reads as usual, one entry after the other, with
//! every protection of a single read.

use crate::driver::cache::Cache;
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::driver::erased::{open_kept, take};
use crate::driver::io::{Blocking, Io, block_now};
use crate::driver::read_through::Plan;
use crate::stats::Counter;
use serde::de::DeserializeOwned;

/// A value [`Engine::read_hits`] reads: decoded once, kept in the process.
pub trait Kept: DeserializeOwned + Clone + Send + Sync + 'static {}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Kept for T {}

impl Cache {
    /// The driver of [`Engine::read_hits`] and its async twin.
    pub(crate) async fn read_hits_with<A: Kept, B: Kept>(
        &self,
        io: &impl Io,
        first: &Plan<'_>,
        rest: &[Plan<'_>],
        accept: impl FnOnce(&A, &[B]) -> bool,
    ) -> Option<(A, Vec<B>)> {
        if !self.engine().reads_hits_at_once() {
            return None;
        }
        let plans = || std::iter::once(first).chain(rest);
        let reads: Vec<(&str, &[&str])> = plans().map(|p| (p.key, p.tags)).collect();
        let found = io.read_entries(&reads).await.ok()?;
        if found.len() != reads.len() {
            return None;
        }
        let mut found = found.into_iter();
        let (head_open, open) = (open_kept::<A>, open_kept::<B>);
        let head = take::<A>(self.hit_in(io, head_open, reads[0], found.next()?).await?);
        let mut values = Vec::with_capacity(rest.len());
        for (&read, fetched) in reads[1..].iter().zip(found) {
            values.push(take::<B>(self.hit_in(io, open, read, fetched).await?));
        }
        if !accept(&head, &values) {
            return None;
        }
        plans().for_each(|plan| self.count_both(plan, Counter::Hit));
        Some((head, values))
    }
}

impl Engine<'_> {
    /// The values of `first`'s entry and of each of `rest`'s, when every
    /// one is a valid hit not due for a refresh and `accept` accepts them,
    /// read together in one round trip (and counted as hits); `None`
    /// otherwise, with nothing counted.
    ///
    /// A store that keeps decoded values in this process answers `None`
    /// at once: its hits do no I/O to save.
    pub fn read_hits<A: Kept, B: Kept>(
        &self,
        first: &Plan<'_>,
        rest: &[Plan<'_>],
        accept: impl FnOnce(&A, &[B]) -> bool,
    ) -> Option<(A, Vec<B>)> {
        let io = Blocking(&**self.backend());
        block_now(self.read_hits_with(&io, first, rest, accept))
    }

    /// Whether [`Engine::read_hits`] reads: the store keeps nothing
    /// decoded in this process, and no bump is owed (a read settles those
    /// first).
    pub fn reads_hits_at_once(&self) -> bool {
        self.backend().generation().is_none() && self.owed().is_clear()
    }
}
