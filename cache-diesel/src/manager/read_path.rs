//! One read's way through the cache: its plan, the read-through (a hit, or
//! the database and a fill), a refresh in the background, and its report
//! (the `metrics` facade, a debug line).

use crate::error::Result;
use crate::form::{CacheForm, Form, FormRef};
use crate::keys::tag_bumps::Tags;
use crate::manager::source::{Missed, Reader};
use crate::metrics::reads::Started;
use crate::metrics::reads::{Kind, ReadMetrics};
use crate::model::CachedModel;
use crate::tracking::ReadPolicy;
use cache_core::__engine::WithEngine;
use cache_core::__engine::{Outcome, Plan, Refresh, Shape};
use diesel::{Connection, QueryResult};
use std::sync::{Arc, Mutex};

use super::{Entry, Manager, OwnedLoad, ShapeFn};

/// One read's way through the cache (internal): its plan, the
/// read-through, a refresh in the background, its report.
impl<M: CachedModel> Manager<M> {
    /// The [`Plan`] of a read of `entry`, filled unless `fill` is false,
    /// refreshed past the soft timeout by `background` when given.
    pub(crate) fn plan<'a, T, S: ShapeFn<T>>(
        &'a self,
        entry: &'a Entry<'_, T, S>,
        fill: bool,
        background: Option<&'a (dyn Fn(Refresh) -> Option<Refresh> + Sync)>,
    ) -> Plan<'a> {
        Plan {
            key: &entry.key,
            tags: entry.deps.tags(),
            tag_ttl: Tags::<M>::ttl(),
            own_tag: entry.deps.own().map(|i| (i, Tags::<M>::own_ttl())),
            fill,
            soft_timeout: M::INFO.soft_timeout,
            stats: Some(&*self.stats),
            background,
            source: (M::INFO.name, entry.kind.as_str()),
        }
    }

    /// The [`Shape`] of a loaded value of `entry`.
    pub(crate) fn shape_of<T, S: ShapeFn<T>>(entry: &Entry<'_, T, S>, value: &T) -> Shape {
        let (depends_on, ttl) = (entry.shape)(value, entry.deps.depends_on());
        Shape {
            depends_on,
            ttl: Some(ttl),
        }
    }

    /// Logs where a read of `entry` was answered from (and times a hit).
    #[inline]
    pub(crate) fn report<T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        outcome: Outcome,
        filled: bool,
        started: Started,
    ) {
        let read = (M::INFO.name, entry.kind, entry.key.as_str());
        report(&self.reads, read, outcome, filled, started);
    }

    /// Records a hit of `kind` on `key` (in the metrics, a debug line).
    #[inline]
    pub(super) fn report_hit(
        &self,
        kind: Kind,
        key: &(impl std::fmt::Display + ?Sized),
        started: Started,
    ) {
        report_hit(&self.reads, (M::INFO.name, kind, &key), started);
    }

    /// The tables a read of `entry` depends on: the model's and the related.
    pub(crate) fn tables_of<'e, T, S: ShapeFn<T>>(
        entry: &'e Entry<'_, T, S>,
    ) -> impl Iterator<Item = &'e str> {
        std::iter::once(M::table()).chain(entry.related.iter().map(String::as_str))
    }

    /// Cache first; on a miss, the database (once per key and process, and
    /// across processes under a lease), then a fill stamped with the tag
    /// versions read before the query. Cache failures are logged and skipped.
    ///
    /// Inside a transaction nothing is filled (the transaction may read an
    /// older snapshot, or its own uncommitted writes), and a model the
    /// transaction wrote is read from the database only.
    pub(crate) fn read_through<C, T, S: ShapeFn<T>>(
        &self,
        reader: &mut impl Reader<C>,
        entry: Entry<'_, T, S>,
        load: impl FnOnce(&mut C) -> QueryResult<T>,
        background: Option<&(dyn Fn() -> OwnedLoad<C, T> + Sync)>,
    ) -> Result<T>
    where
        C: Connection + 'static,
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        let (model, kind, key) = (M::INFO.name, entry.kind.as_str(), entry.key.as_str());
        let missed_entry = [(key, entry.deps.tags())];
        let missed = Missed::new(&self.cache, &missed_entry);
        let policy = reader.policy(Self::tables_of(&entry));
        if policy == ReadPolicy::Bypass {
            tracing::debug!(
                model,
                kind,
                key,
                "cache bypassed: this transaction wrote a table it depends on"
            );
            return reader.load(missed, load);
        }
        let make = background;
        // The owned loader is built only when a refresh is handed out, not
        // on every read.
        let spawn = |refresh: Refresh| match background {
            Some(make) => self.refresh_in_background(&entry, make, refresh),
            None => Some(refresh),
        };
        // (A constant branch: a model without background refresh does not
        // compile the refresh's code.)
        let background = if const { M::INFO.background_refresh } {
            Some(&spawn as &(dyn Fn(Refresh) -> Option<Refresh> + Sync))
        } else {
            None
        };
        let plan = self.plan(&entry, policy == ReadPolicy::Normal, background);
        let shape = |Form(value): &Form<T>| Self::shape_of(&entry, value);
        let started = Started::now();
        let query = || {
            let _query = tracing::debug_span!("cache.query").entered();
            reader.load(missed, load).map(Form)
        };
        let (Form(value), outcome) = self.cache.engine().read_through(&plan, shape, query)?;
        self.report(&entry, outcome, plan.fill, started);
        if let (Outcome::Hit, Some(make)) = (outcome, make) {
            self.verify_hit(&entry, make, &value);
        }
        Ok(value)
    }

    /// Hands `refresh`, with an owned loader from `make`, to the refresh
    /// workers, if a connection source for `C` is registered
    /// ([`crate::refresh_connections`]) and their queue has room; gives it
    /// back otherwise, and the caller refreshes inline.
    pub(super) fn refresh_in_background<C, T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        make: &(dyn Fn() -> OwnedLoad<C, T> + Sync),
        refresh: Refresh,
    ) -> Option<Refresh>
    where
        C: Connection + 'static,
        T: CacheForm + 'static,
    {
        let Some(run) = crate::manager::background::runner::<C>() else {
            return Some(refresh);
        };
        let load = make();
        let shape = entry.refresh_shape();
        // The job owns the refresh; a full queue hands it back through here.
        let slot = Arc::new(Mutex::new(Some(refresh)));
        let taken = slot.clone();
        let job = Box::new(move || {
            let Some(refresh) = taken.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                return;
            };
            let key = refresh.key().to_owned();
            let mut load = Some(load);
            let mut loaded = None;
            let opened = run(&mut |conn: &mut C| {
                if let Some(load) = load.take() {
                    loaded = Some(load(conn).map_err(|e| e.to_string()));
                }
            });
            let outcome = opened
                .and_then(|()| loaded.unwrap_or_else(|| Err("the refresh did not run".into())))
                .and_then(|value| {
                    refresh
                        .complete(&FormRef(&value), shape(&value))
                        .map_err(|e| e.to_string())
                });
            match outcome {
                Ok(()) => {
                    tracing::debug!(model = M::INFO.name, key = %key, "cache refreshed in the background")
                }
                Err(e) => {
                    tracing::error!(model = M::INFO.name, key = %key, error = %e, "background refresh failed; serving the old value until its hard timeout")
                }
            }
        });
        match crate::manager::background::submit(job) {
            Ok(()) => None,
            Err(_) => {
                tracing::debug!(
                    model = M::INFO.name,
                    key = %entry.key,
                    "background refresh queue full; refreshing inline"
                );
                slot.lock().unwrap_or_else(|p| p.into_inner()).take()
            }
        }
    }
}

/// [`Manager::report`], compiled once: the model, kind and key of a
/// read.
fn report(
    reads: &ReadMetrics,
    read: (&str, Kind, &str),
    outcome: Outcome,
    filled: bool,
    started: Started,
) {
    let (model, kind, key) = read;
    match outcome {
        Outcome::Hit => return report_hit(reads, (model, kind, &key), started),
        Outcome::Loaded if filled => {
            let kind = kind.as_str();
            tracing::debug!(model, kind, key, "cache miss");
            tracing::debug!(model, kind, key, "cache fill");
        }
        other => tracing::debug!(model, kind = kind.as_str(), key, outcome = ?other, "cache miss"),
    }
    reads.record(kind, outcome, started);
}

/// [`Manager::report_hit`], compiled once.
fn report_hit(reads: &ReadMetrics, read: (&str, Kind, &dyn std::fmt::Display), started: Started) {
    let (model, kind, key) = read;
    reads.record(kind, Outcome::Hit, started);
    tracing::debug!(model, kind = kind.as_str(), %key, "cache hit")
}
