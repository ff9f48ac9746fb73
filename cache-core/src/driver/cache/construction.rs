//! How a [`Cache`] is made: from its configuration (each store with its
//! options, the bounds checked), from a URL or the environment, over a
//! store of one's own, or unusable.

use super::{Cache, Inner};
use crate::backend::{
    Backend, ClusterBackend, DummyBackend, MemoryBackend, RedisBackend, RedisOptions,
    TieredBackend, TieredOptions,
};
use crate::config::{BackendKind, CacheConfig};
use crate::driver::flight::Flights;
use crate::driver::owed::OwedBumps;
use crate::error::{Error, Result};
use crate::key::KeyBuilder;
use crate::log_limit::LogLimits;
use crate::stats::Stats;
use std::sync::{Arc, OnceLock};

/// The Redis options of `config`; `replicas` unless it names its own.
fn redis_options(config: &CacheConfig, replicas: u32) -> RedisOptions {
    RedisOptions {
        connect_timeout: config.connect_timeout,
        response_timeout: config.response_timeout,
        retry_after: config.retry_after,
        pool_size: config.pool_size,
        tls_ca: config.tls_ca.clone(),
        replicas: config.replicas.unwrap_or(replicas),
    }
}

/// Lowers `max_value_size` to `largest`, the largest value the store can
/// hold (an in-process store whose `max_bytes` is under `max_value_size`):
/// a larger value is then refused by `set` with [`Error::ValueTooLarge`]
/// rather than accepted and never stored. A store with no room for any
/// value is an error: accepted, it would store nothing.
fn lower_max_value_to(config: &mut CacheConfig, largest: usize) -> Result<()> {
    if largest >= config.max_value_size {
        return Ok(());
    }
    if largest == 0 {
        return Err(Error::config(
            format!("max_bytes={}", config.max_bytes.unwrap_or(0)),
            "leaves no room for any value (an entry weighs its key, its value and 64 bytes): \
             give at least a few KiB",
        ));
    }
    tracing::warn!(
        max_value_size = config.max_value_size,
        max_bytes = config.max_bytes,
        lowered_to = largest,
        "max_value_size lowered to the largest value max_bytes leaves room for"
    );
    config.max_value_size = largest;
    Ok(())
}

/// The bounds a [`CacheConfig`] built by hand may carry that no URL
/// accepts: zero, which would store nothing.
fn check_bounds(config: &CacheConfig) -> Result<()> {
    let zero = [
        ("max_value_size", config.max_value_size == 0),
        ("max_bytes", config.max_bytes == Some(0)),
        ("max_entries", config.max_entries == Some(0)),
        ("local", config.local_tier == Some(0)),
    ];
    match zero.iter().find(|(_, zero)| *zero) {
        Some((name, _)) => Err(Error::config(
            format!("{name}=0"),
            "a bound of 0 would store nothing: give a positive bound, or none",
        )),
        None => Ok(()),
    }
}

/// `redis`, behind a local tier when the configuration asks for one.
fn with_local_tier(redis: RedisBackend, config: &CacheConfig) -> Result<Arc<dyn Backend>> {
    Ok(match config.local_tier {
        None => Arc::new(redis),
        Some(local_bytes) => Arc::new(TieredBackend::new(
            redis,
            &KeyBuilder::versioned(&config.key_prefix, config.version),
            TieredOptions {
                local_bytes,
                window: config.local_window,
                connect_timeout: config.connect_timeout,
                retry_after: config.retry_after,
            },
        )?),
    })
}

impl Cache {
    /// A cache built from its configuration. Never connects eagerly: a Redis
    /// server that is down is reported by the first call that needs it.
    pub fn new(mut config: CacheConfig) -> Result<Self> {
        check_bounds(&config)?;
        let backend: Arc<dyn Backend> = match &config.backend {
            BackendKind::Memory => {
                let memory = MemoryBackend::with_max_value(
                    config.max_entries,
                    config.max_bytes,
                    config.max_value_size,
                );
                lower_max_value_to(&mut config, memory.largest_value())?;
                Arc::new(memory)
            }
            BackendKind::Dummy => Arc::new(DummyBackend),
            BackendKind::RedisCluster { nodes } => Arc::new(ClusterBackend::connect(
                nodes,
                config.shards,
                redis_options(&config, 1),
            )?),
            BackendKind::Redis { url } => with_local_tier(
                RedisBackend::connect(url, redis_options(&config, 0))?,
                &config,
            )?,
            BackendKind::RedisSentinel(sentinel) => with_local_tier(
                RedisBackend::connect_sentinel(sentinel, redis_options(&config, 1))?,
                &config,
            )?,
        };
        Ok(Self::over(config, backend))
    }

    /// A cache over a backend you built (any [`Backend`] implementation);
    /// `config.backend` is ignored. With the `unstable-store-api` feature.
    #[cfg(feature = "unstable-store-api")]
    pub fn with_backend(config: CacheConfig, backend: Arc<dyn Backend>) -> Self {
        Self::over(config, backend)
    }

    /// A cache over `backend`.
    fn over(config: CacheConfig, backend: Arc<dyn Backend>) -> Self {
        let stats = Stats::default();
        stats.report_as("cache", &config.key_prefix);
        let cache = Cache {
            inner: Arc::new(Inner {
                backend,
                keys: KeyBuilder::versioned(&config.key_prefix, config.version),
                config,
                stats,
                flights: Flights::default(),
                owed: OwedBumps::default(),
                refusals: Default::default(),
                logs: LogLimits::default(),
                async_store: OnceLock::new(),
                gate: Default::default(),
            }),
            tenant: None,
        };
        if let Some(bound) = cache.inner.config.follower_bound {
            super::follower_gate::start_watch(&cache, bound);
        }
        cache
    }

    /// A cache whose every call fails with [`Error::Unavailable`] saying
    /// `why`: what to use when the configured one is unusable (a `CACHE_URL`
    /// that does not parse), so that readers fall back to their source,
    /// count the failures and log them, as for a cache that is down.
    pub(crate) fn unusable(why: &Error) -> Self {
        let backend = Arc::new(crate::backend::UnusableBackend {
            reason: format!("the cache configuration is unusable: {why}"),
        });
        Self::over(CacheConfig::default(), backend)
    }

    /// A cache from a URL (see [`CacheConfig::from_url`]).
    pub fn from_url(url: &str) -> Result<Self> {
        Self::new(CacheConfig::from_url(url)?)
    }

    /// A cache from `CACHE_URL`, or in-process memory when it is unset.
    pub fn from_env() -> Result<Self> {
        Self::new(CacheConfig::from_env()?)
    }
}
