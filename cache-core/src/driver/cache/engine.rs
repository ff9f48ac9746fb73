//! [`Engine`]: the cache's operations that the Diesel managers and the
//! derive's generated code call (tagged reads and fills, bumps, announces,
//! read-through), apart from [`Cache`]'s own API so that they are not
//! part of it: reached only through `cache_core::__engine`.

use crate::config::CacheConfig;
use crate::driver::cache::Cache;
use crate::error::{Error, Result};
use crate::key::KeyBuilder;
use crate::log_limit::{Cause, Suppressed};

/// A [`Cache`] seen as the engine under the managers: `cache.engine()`.
#[derive(Clone, Copy)]
pub struct Engine<'a>(&'a Cache);

/// `cache.engine()`, for the code that drives the cache from outside this
/// crate.
pub trait WithEngine {
    /// The engine's view of this cache.
    fn engine(&self) -> Engine<'_>;
}

impl WithEngine for Cache {
    #[inline]
    fn engine(&self) -> Engine<'_> {
        Engine(self)
    }
}

impl std::ops::Deref for Engine<'_> {
    type Target = Cache;

    #[inline]
    fn deref(&self) -> &Cache {
        self.0
    }
}

impl<'a> Engine<'a> {
    /// The cache this is the engine of.
    #[inline]
    pub fn cache(self) -> &'a Cache {
        self.0
    }

    /// The key builder, carrying this cache's prefix (a tenant's keys
    /// under [`Cache::tenant`]).
    #[inline]
    pub fn keys(self) -> &'a KeyBuilder {
        self.0.keys()
    }

    /// Whether a log line of `cause` goes out now: at most one per cause
    /// and period (10 s) in this cache; `Some` with how many were left out
    /// since the last (end the message with it: `"..{}"`), `None` when
    /// this one is left out (and counted).
    pub fn log_limit(self, cause: Cause) -> Option<Suppressed> {
        self.0.log_limit(cause)
    }
}

/// A cache whose every call fails with [`Error::Unavailable`] saying `why`:
/// what a manager uses when its configured cache is unusable (a `CACHE_URL`
/// that does not parse), so that its readers fall back to their source,
/// count the failures and log them, as for a cache that is down.
pub fn unusable_cache(why: &Error) -> Cache {
    Cache::unusable(why)
}

/// Sets one option of `config` by its URL name (`shown_url`, the URL as
/// errors show it); `Ok(false)` when the name is not one of cache-core's
/// options. For tests that set options one by one.
pub fn apply_option(
    config: &mut CacheConfig,
    name: &str,
    value: &str,
    shown_url: &str,
) -> Result<bool> {
    config.apply_option(name, value, shown_url)
}
