//! Serving entries only while the change-stream follower keeps up.
//!
//! A follower (cache-diesel's `Follower`) reads the database's change
//! stream and bumps the tags of every committed change, whoever wrote it.
//! After each pass it publishes, in the shared store, the moment up to
//! which every change the database had committed is invalidated
//! ([`Engine::publish_follower_position`]). A cache configured with
//! `follower_bound` (`?follower_bound=5s`) watches that moment from a
//! thread of its own and, while it is older than the bound (the follower
//! is behind, stopped, or never started), serves no entry: every read
//! goes to the database (counted as [`Counter::FollowerHeld`]) and fills
//! as usual. A fill is safe then: it holds what the database said after
//! the change, stamped with the tag versions read before it, so the
//! follower's later bump invalidates it if anything changed since. A
//! stale entry is one filled *before* a change whose bump has not landed
//! yet, and no such entry is served past the bound (plus one watch
//! period).
//!
//! The watch reads one key every [`watch_period`] of the bound; it never
//! touches a read's path, which pays one relaxed atomic load.

use super::{Cache, WeakCache};
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::error::Result;
use crate::key::Key;
use crate::stats::Counter;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The low-level key of the follower's position (at version 0, shared by
/// caches of every `version`): one per cache prefix.
const POSITION: &str = "cache_diesel:follower:position";

/// How long a published position lives: a follower publishes at least
/// every second while it runs, so a position this old is a dead one's.
const POSITION_TTL: Duration = Duration::from_secs(3600);

/// Whether this cache serves entries, as its follower watch last decided.
#[derive(Debug)]
pub(crate) struct Gate {
    /// A follower bound is configured and the follower is past it.
    held: AtomicBool,
    /// The follower's lag the watch last saw, in ms (`u64::MAX`: none).
    lag_ms: AtomicU64,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            held: AtomicBool::new(false),
            lag_ms: AtomicU64::new(u64::MAX),
        }
    }
}

impl Gate {
    /// Whether entries are held back (reads go to the database).
    #[inline]
    pub(crate) fn held(&self) -> bool {
        self.held.load(Ordering::Relaxed)
    }
}

/// How often the watch reads the follower's position: a fifth of the
/// bound, between 20 ms and 1 s.
pub(crate) fn watch_period(bound: Duration) -> Duration {
    (bound / 5).clamp(Duration::from_millis(20), Duration::from_secs(1))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Cache {
    /// The follower's lag as this cache's watch last saw it (`None`:
    /// no `follower_bound` configured, or no position published yet).
    pub fn follower_lag(&self) -> Option<Duration> {
        match self.gate().lag_ms.load(Ordering::Relaxed) {
            u64::MAX => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Whether this cache holds its entries back because its follower is
    /// behind its bound (see the module docs): a read that found a valid
    /// entry goes to the database instead, counted.
    #[inline]
    pub(crate) fn entries_held(&self) -> bool {
        let held = self.gate().held();
        if held {
            self.count(Counter::FollowerHeld, 1);
        }
        held
    }

    /// Reads the follower's position once and opens or closes the gate.
    fn watch_once(&self, bound: Duration) {
        let lag = match self.engine().follower_position() {
            Ok(Some(at)) => Some(
                now_ms().saturating_sub(
                    at.duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64),
                ),
            ),
            Ok(None) => None,
            // The store is failing: reads fail open to the database anyway.
            Err(_) => return,
        };
        let gate = self.gate();
        gate.lag_ms
            .store(lag.unwrap_or(u64::MAX), Ordering::Relaxed);
        let held = lag.is_none_or(|ms| ms > bound.as_millis() as u64);
        if gate.held.swap(held, Ordering::Relaxed) != held {
            let prefix = &self.config().key_prefix;
            match lag {
                _ if !held => tracing::info!(
                    prefix,
                    "cache: the follower caught up; serving entries again"
                ),
                Some(ms) => tracing::warn!(
                    prefix,
                    lag_ms = ms,
                    bound_ms = bound.as_millis() as u64,
                    "cache: the change-stream follower is behind its bound; reads go to the database until it catches up"
                ),
                None => tracing::warn!(
                    prefix,
                    "cache: no change-stream follower has published its position; reads go to the database until one does"
                ),
            }
        }
    }
}

impl Engine<'_> {
    /// Publishes that every change the database committed up to `covered`
    /// has been invalidated (what a change-stream follower says after each
    /// pass). Readers with a `follower_bound` serve entries only while
    /// this is recent enough.
    pub fn publish_follower_position(&self, covered: SystemTime) -> Result<()> {
        let ms = covered
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.set(Key::new(POSITION).version(0), &ms, POSITION_TTL)
    }

    /// The moment up to which the follower last said every committed
    /// change is invalidated, if it said so.
    pub fn follower_position(&self) -> Result<Option<SystemTime>> {
        Ok(self
            .get::<u64>(Key::new(POSITION).version(0))?
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)))
    }
}

/// Starts the watch of `cache`'s follower (a thread that ends with the
/// cache), holding entries back until the first position read says the
/// follower is within `bound`.
pub(crate) fn start_watch(cache: &Cache, bound: Duration) {
    cache.gate().held.store(true, Ordering::Relaxed);
    cache.gate().lag_ms.store(u64::MAX, Ordering::Relaxed);
    cache.watch_once(bound);
    let weak: WeakCache = cache.downgrade();
    let spawned = std::thread::Builder::new()
        .name("cache-follower-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(watch_period(bound));
                let Some(cache) = weak.upgrade() else { return };
                cache.watch_once(bound);
            }
        });
    if let Err(e) = spawned {
        // Held for good: never stale, never cached.
        tracing::error!(error = %e, "cache: the follower watch could not start; reads go to the database");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_held_until_the_follower_is_within_its_bound() {
        let cache = Cache::from_url("memory://?prefix=gate&follower_bound=1s").unwrap();
        assert!(cache.gate().held(), "no position yet");
        assert_eq!(cache.follower_lag(), None);
        cache
            .engine()
            .publish_follower_position(SystemTime::now())
            .unwrap();
        cache.watch_once(Duration::from_secs(1));
        assert!(!cache.gate().held());
        assert!(cache.follower_lag().unwrap() < Duration::from_secs(1));
        cache
            .engine()
            .publish_follower_position(SystemTime::now() - Duration::from_secs(5))
            .unwrap();
        cache.watch_once(Duration::from_secs(1));
        assert!(cache.gate().held(), "five seconds behind a bound of one");
        assert!(cache.follower_lag().unwrap() >= Duration::from_secs(5));
    }

    #[test]
    fn a_cache_without_a_bound_never_holds() {
        let cache = Cache::from_url("memory://?prefix=gate2").unwrap();
        assert!(!cache.gate().held());
        assert_eq!(cache.follower_lag(), None);
    }

    #[test]
    fn the_period_is_a_fifth_of_the_bound_within_limits() {
        assert_eq!(watch_period(Duration::from_secs(5)), Duration::from_secs(1));
        assert_eq!(
            watch_period(Duration::from_millis(500)),
            Duration::from_millis(100)
        );
        assert_eq!(
            watch_period(Duration::from_millis(10)),
            Duration::from_millis(20)
        );
        assert_eq!(
            watch_period(Duration::from_secs(60)),
            Duration::from_secs(1)
        );
    }
}
