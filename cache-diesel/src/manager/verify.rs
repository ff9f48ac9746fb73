//! Sampled verification: a fraction of hits (`?verify=0.001` in the cache
//! URL; none by default) is re-read from the database off the request
//! path and compared with what was served, so that a deployment sees
//! whether what it serves is right (`verified`, `verified_stale` in each
//! manager's stats and in the `metrics` facade).
//!
//! The hit itself only draws the sample (a thread-local generator) and,
//! when drawn, hands a job to one verifier thread through a bounded queue:
//! a full queue drops the job (`verify_dropped`), never delays the read.
//! The job runs the read's own query on a connection from the source
//! registered for the connection type ([`crate::refresh_connections`]; no
//! source: dropped, logged once) and compares the cached forms.
//!
//! A difference is not yet a stale read: a write may have committed
//! between the hit and the re-read, its invalidation on its way. So a
//! difference is re-checked once the verification window has passed
//! (`?verify_window=1s`, longer than an invalidation takes to land, the
//! tiered store's window and a follower's bound): the row is read, the
//! entry is read from the cache as a hit would read it, and the row is read
//! again. Only when both reads of the row agree (nothing was written
//! meanwhile) and the cache still serves, as valid, something else, is the
//! hit counted stale (`verified_stale`, with a rate-limited warning naming
//! the model, the entry and how long it has been wrong at least) and the
//! entry deleted. Anything else (the entry invalidated or refreshed, the
//! row still changing) counts `verify_raced`. A write and its revert both
//! inside the re-check (A, B, A) can still hide a stale entry, never
//! invent one.
//!
//! Verified: lookups by a unique value (`get`, `find`, `get_by_..`) and
//! counts, on the sync API and the async one (whose rereads run as tasks
//! on the hit's runtime, with connections from `refresh_connections_async`).
//! Not lists: an order the query leaves open would differ without being
//! wrong.

use crate::form::CacheForm;
use crate::keys::tag_bumps::Tags;
use crate::manager::{Entry, Manager, OwnedLoad, ShapeFn};
use crate::metrics::reads::Kind;
use crate::model::CachedModel;
use cache_core::__engine::WithEngine;
use cache_core::__engine::{Cause, Counter, Lookup, Stats};
use cache_core::{Bytes, Cache, Ttl};
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Jobs that may wait for the verifier.
const QUEUE: usize = 256;
/// Differences that may wait for their re-check.
const RECHECKS: usize = 1024;

/// Whether this hit is one of the `verify` fraction of `cache`'s hits.
#[inline]
pub(crate) fn sampled(cache: &Cache) -> bool {
    let fraction = cache.config().verify;
    fraction > 0.0 && draw() < fraction
}

/// A uniform draw in [0, 1) from this thread's generator (xorshift64*).
pub(crate) fn draw() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// A non-zero seed that differs between threads (each `RandomState` is
/// keyed anew).
fn seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8) | 1
}

/// What a verification reads: the row (or count) as the database holds
/// it now. Called up to three times.
pub(crate) type Reread = Box<dyn FnMut() -> Option<Bytes> + Send>;

/// A sampled hit to verify.
pub(crate) struct Sample {
    /// The manager's model and the read's kind (for the log line).
    pub(crate) model: &'static str,
    pub(crate) kind: &'static str,
    /// The entry's key and tags, read again at the re-check.
    pub(crate) key: String,
    pub(crate) tags: Vec<String>,
    pub(crate) tag_ttl: Ttl,
    /// What was served, in its cached form.
    pub(crate) served: Bytes,
    /// The cached form of the valid entry under a key and tags, if any
    /// (the one function of the check that depends on the type).
    pub(crate) entry_form: fn(&Cache, &str, &[&str], Ttl) -> Option<Bytes>,
    /// When.
    pub(crate) at: Instant,
    pub(crate) cache: Cache,
    pub(crate) stats: Arc<Stats>,
}

impl Sample {
    /// The sample of a hit (compiled once, not per model): the model and
    /// kind, the entry's key, tags and their lifetime, what was served.
    fn new(
        (model, kind): (&'static str, &'static str),
        (key, tags, tag_ttl): (&str, &[&str], Ttl),
        served: Bytes,
        entry_form: fn(&Cache, &str, &[&str], Ttl) -> Option<Bytes>,
        cache: &Cache,
        stats: Arc<Stats>,
    ) -> Sample {
        Sample {
            model,
            kind,
            key: key.to_owned(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            tag_ttl,
            served,
            entry_form,
            at: Instant::now(),
            cache: cache.clone(),
            stats,
        }
    }
}

/// A job for the verifier: the first comparison, returning the re-check
/// to run once the window has passed, if the values differed.
type Job = Box<dyn FnOnce() -> Option<Recheck> + Send>;
/// A re-check, when it is due, and the stats to count it dropped into.
type Recheck = (Instant, Box<dyn FnOnce() + Send>, Arc<Stats>);

/// Hands `sample` to the verifier, with `reread` to read the database.
pub(crate) fn submit(sample: Sample, reread: Reread) {
    let stats = sample.stats.clone();
    let job: Job = Box::new(move || first_check(sample, reread));
    if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = verifier().try_send(job) {
        stats.add(Counter::VerifyDropped, 1);
    }
}

/// The cached form of `value`, as bytes to compare.
pub(crate) fn form<T: CacheForm>(value: &T) -> Option<Bytes> {
    crate::form::form_bytes(value).ok().map(Bytes::from)
}

/// The cached form of the valid entry of `T` under `key` and `tags`.
fn entry_form<T>(cache: &Cache, key: &str, tags: &[&str], tag_ttl: Ttl) -> Option<Bytes>
where
    T: CacheForm + Clone + Send + Sync + 'static,
{
    match cache
        .engine()
        .read_tagged_shared::<crate::form::Form<T>>(key, tags, tag_ttl)
    {
        Ok(Lookup::Hit { value, .. }) => form(&value.0),
        _ => None,
    }
}

/// Compares what was served with the database now.
/// How long after a difference it is checked again: the verification
/// window, and not before a follower's bound or the local tier's window
/// (writes within them may not have been invalidated yet, by design).
pub(crate) fn window(cache: &Cache) -> Duration {
    let config = cache.config();
    (config.verify_window)
        .max(config.follower_bound.unwrap_or_default())
        .max(config.local_window)
}

fn first_check(sample: Sample, mut reread: Reread) -> Option<Recheck> {
    let now = reread()?;
    if now == sample.served {
        sample.stats.add(Counter::Verified, 1);
        return None;
    }
    let due = Instant::now() + window(&sample.cache);
    let stats = sample.stats.clone();
    Some((due, Box::new(move || recheck(sample, reread)), stats))
}

/// After the window: stale only if the database held still across a read
/// of the entry that is still valid and holds something else.
fn recheck(sample: Sample, mut reread: Reread) {
    let Sample {
        model,
        kind,
        key,
        tags,
        tag_ttl,
        at,
        cache,
        stats,
        entry_form,
        ..
    } = sample;
    let raced = || stats.add(Counter::VerifyRaced, 1);
    let Some(before) = reread() else {
        return;
    };
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let entry = entry_form(&cache, &key, &tags, tag_ttl);
    let Some(after) = reread() else {
        return;
    };
    let Some(entry) = entry else {
        return raced();
    };
    if before != after || entry == before {
        return raced();
    }
    stats.add(Counter::VerifiedStale, 1);
    let wrong_for = at.elapsed();
    if let Some(more) = cache.engine().log_limit(Cause::StaleServed) {
        tracing::warn!(
            model,
            kind,
            key = %key,
            wrong_for_at_least = ?wrong_for,
            "a sampled hit served what the database no longer holds; its entry is deleted{more}"
        );
    }
    if let Err(e) = cache.backend().delete(&key) {
        tracing::warn!(key = %key, error = %e, "could not delete a stale entry");
    }
}

/// The verifier's queue, its thread started on first use.
fn verifier() -> &'static SyncSender<Job> {
    static QUEUED: OnceLock<SyncSender<Job>> = OnceLock::new();
    QUEUED.get_or_init(|| {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("cache-verify".into())
            .spawn(move || run(&rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the cache verifier thread");
        }
        tx
    })
}

/// The verifier's loop: jobs as they come, re-checks as they fall due (in
/// order: every window is the same).
fn run(jobs: &Receiver<Job>) {
    let mut due: VecDeque<Recheck> = VecDeque::new();
    loop {
        while due.front().is_some_and(|(at, ..)| *at <= Instant::now()) {
            if let Some((_, check, _)) = due.pop_front() {
                guarded(check);
            }
        }
        let wait = match due.front() {
            Some((at, ..)) => at.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        match jobs.recv_timeout(wait) {
            Ok(job) => {
                let recheck = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                match recheck {
                    Ok(Some(recheck)) if due.len() < RECHECKS => due.push_back(recheck),
                    Ok(Some((.., stats))) => stats.add(Counter::VerifyDropped, 1),
                    Ok(None) => {}
                    Err(_) => tracing::error!("a cache verification panicked"),
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Runs `check`, a panic logged.
fn guarded(check: Box<dyn FnOnce() + Send>) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)).is_err() {
        tracing::error!("a cache verification panicked");
    }
}

/// Sampled verification of hits (internal): a hit drawn, read again off
/// the request path.
impl<M: CachedModel> Manager<M> {
    /// After a hit of `entry` that served `value`: if drawn, hands it to
    /// the verifier, which rereads it with loaders from `make` on a
    /// connection from the source registered for `C`.
    pub(crate) fn verify_hit<C, T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        make: &(dyn Fn() -> OwnedLoad<C, T> + Sync),
        value: &T,
    ) where
        C: diesel::Connection + 'static,
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        if !self.draws(entry) {
            return;
        }
        let Some(run) = crate::manager::background::runner::<C>() else {
            return self.no_source::<C>();
        };
        let Some(sample) = self.sample(entry, value) else {
            return;
        };
        let mut loads: Vec<OwnedLoad<C, T>> = (0..3).map(|_| make()).collect();
        let reread: Reread = Box::new(move || {
            let load = loads.pop()?;
            let (mut load, mut read) = (Some(load), None);
            let opened = run(&mut |conn| read = load.take().map(|load| load(conn)));
            reread_of(opened, read).and_then(|v| form(&v))
        });
        submit(sample, reread);
    }

    /// [`Manager::verify_hit`] of an async read: the rereads run as tasks
    /// on the runtime of the hit, on connections from the source
    /// registered with `refresh_connections_async`.
    #[cfg(feature = "async")]
    pub(crate) fn verify_hit_async<C, T, S: ShapeFn<T>>(
        &self,
        entry: &Entry<'_, T, S>,
        make: &(dyn Fn() -> crate::manager::background_async::OwnedLoad<C, T> + Sync),
        value: &T,
    ) where
        C: diesel_async::AsyncConnection + 'static,
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        if !self.draws(entry) {
            return;
        }
        let (Some(open), Ok(runtime)) = (
            crate::manager::background_async::opener::<C>(),
            tokio::runtime::Handle::try_current(),
        ) else {
            return self.no_source::<C>();
        };
        let Some(sample) = self.sample(entry, value) else {
            return;
        };
        let mut loads: Vec<_> = (0..3).map(|_| make()).collect();
        let reread: Reread = Box::new(move || {
            let load = loads.pop()?;
            let (tx, rx) = std::sync::mpsc::channel();
            let open = open.clone();
            runtime.spawn(async move {
                let read = match open().await {
                    Ok(mut conn) => Some(load(&mut conn).await),
                    Err(e) => {
                        tracing::debug!(error = %e, "verify: no connection");
                        None
                    }
                };
                let _ = tx.send(read);
            });
            // (A runtime shut down meanwhile drops the task: no answer.)
            match rx.recv_timeout(REREAD_WAIT) {
                Ok(read) => reread_of(Ok::<(), String>(()), read).and_then(|v| form(&v)),
                Err(_) => None,
            }
        });
        submit(sample, reread);
    }

    /// Whether this hit of `entry` is to be verified.
    fn draws<T, S: ShapeFn<T>>(&self, entry: &Entry<'_, T, S>) -> bool {
        matches!(entry.kind, Kind::Detail | Kind::Count) && sampled(self.cache())
    }

    /// A drawn hit without a connection source: dropped, said once.
    fn no_source<C>(&self) {
        self.tally(Counter::VerifyDropped);
        no_source_said(std::any::type_name::<C>());
    }

    /// The sample of a hit of `entry` that served `value` (none if it
    /// does not encode).
    fn sample<T, S: ShapeFn<T>>(&self, entry: &Entry<'_, T, S>, value: &T) -> Option<Sample>
    where
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        let served = form(value)?;
        Some(Sample::new(
            (M::INFO.name, entry.kind.as_str()),
            (&entry.key, entry.deps.tags(), Tags::<M>::ttl()),
            served,
            entry_form::<T>,
            self.cache(),
            self.stats_handle(),
        ))
    }
}

/// Says once that drawn hits go unverified for want of a connection
/// source (compiled once).
fn no_source_said(connection: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            connection,
            "verify= is set, but no connection source is registered for sampled hits' \
             rereads (cache_diesel::refresh_connections, refresh_connections_async): \
             not verified"
        )
    });
}

/// How long a reread on the async runtime is waited for.
#[cfg(feature = "async")]
const REREAD_WAIT: Duration = Duration::from_secs(30);

/// What a reread read: the value, or `None` (logged) when no connection
/// was `opened` or the query failed.
fn reread_of<T, E: std::fmt::Display>(
    opened: Result<(), E>,
    read: Option<diesel::QueryResult<T>>,
) -> Option<T> {
    match (opened, read) {
        (Ok(()), Some(Ok(value))) => return Some(value),
        (Err(e), _) => reread_failed("no connection", &e),
        (_, Some(Err(e))) => reread_failed("the reread failed", &e),
        (_, None) => {}
    }
    None
}

/// Logs why a reread read nothing (compiled once).
fn reread_failed(what: &str, error: &dyn std::fmt::Display) {
    tracing::debug!(error = %error, "verify: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough() {
        let n = 100_000;
        let under: usize = (0..n).filter(|_| draw() < 0.01).count();
        assert!((700..1300).contains(&under), "{under} of {n} under 0.01");
        assert!((0..n).map(|_| draw()).all(|d| (0.0..1.0).contains(&d)));
    }
}
