//! Cache configuration: from a URL, from `CACHE_URL`, or in code.
//!
//! ```text
//! memory://?max_entries=10000&max_bytes=64m      the default
//! redis://[:password@]host:port/db?prefix=app    Redis
//! rediss://host:port/db                          Redis over TLS (feature `tls`)
//! redis+cluster://[:password@]host:port,host:port,...   a Redis Cluster
//! redis+sentinel://[:password@]host:port,host:port/mymaster/db   under Sentinel
//! dummy://                                       stores nothing
//! ```
//!
//! Query options, accepted by every scheme: `prefix`, `timeout` (the default
//! timeout: a duration or `none` for never), `version`, `max_value_size`,
//! `connect_timeout`, `response_timeout`, `retry_after`; `max_entries` and
//! `max_bytes` for memory; `pool_size` and `tls_ca` (a PEM root
//! certificate file) for Redis; `local` (a size: puts a coherent
//! in-process tier of that many bytes in front of Redis, see
//! [`TieredBackend`](crate::backend::TieredBackend)) and `local_window`
//! for `redis://`; `replicas` (wait for that many replicas after every
//! invalidation; 1 by default on a cluster and under Sentinel, 0 on one
//! server) for Redis;
//! `shards` for a cluster (see
//! [`ClusterBackend`](crate::backend::ClusterBackend)); `sentinel_password`
//! for the sentinels (the URL's password is the master's). Durations are `500ms`,
//! `2s`, `5m`, `1h` or bare seconds; sizes are bytes with an optional
//! `k`/`m`/`g` (binary) suffix.

use crate::error::{Error, Result};
use crate::timeout::Ttl;
use std::time::Duration;
use url::Url;

mod multi_host;

/// The most shards a layout takes (a bump writes one key per shard and tag).
pub const MAX_SHARDS: u16 = 1024;

/// The longest `local_window` accepted.
const MAX_LOCAL_WINDOW: Duration = Duration::from_secs(10);

/// The environment variable read by [`CacheConfig::from_env`].
pub const CACHE_URL_ENV: &str = "CACHE_URL";

/// Which backend stores the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendKind {
    /// In-process, bounded (S3-FIFO-like eviction).
    Memory,
    /// Redis at this URL (`redis://` or `rediss://`, without this crate's options).
    Redis {
        /// The connection URL handed to redis-rs.
        url: String,
    },
    /// Stores nothing, as Django's `DummyCache`.
    Dummy,
    /// A Redis Cluster, found from these nodes (`redis+cluster://` URLs).
    RedisCluster {
        /// Some of the cluster's nodes, `redis://[:password@]host:port` each.
        nodes: Vec<String>,
    },
    /// The master of a service under Redis Sentinel (`redis+sentinel://`
    /// URLs), found through its sentinels and found again after a failover.
    RedisSentinel(SentinelConfig),
}

/// A Redis master found through Sentinel: [`BackendKind::RedisSentinel`].
#[derive(Clone, PartialEq, Eq)]
pub struct SentinelConfig {
    /// The sentinels, `(host, port)` each, asked in turn.
    pub sentinels: Vec<(String, u16)>,
    /// The master's name in the sentinels' configuration (`mymaster`).
    pub service: String,
    /// The database selected on the master.
    pub db: i64,
    /// The master's user name (ACL), if any.
    pub username: Option<String>,
    /// The master's password, if any.
    pub password: Option<String>,
    /// The sentinels' password (their `requirepass`), if any.
    pub sentinel_password: Option<String>,
}

impl std::fmt::Debug for SentinelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |p: &Option<String>| p.as_ref().map(|_| "***");
        f.debug_struct("SentinelConfig")
            .field("sentinels", &self.sentinels)
            .field("service", &self.service)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("sentinel_password", &hidden(&self.sentinel_password))
            .finish()
    }
}

/// Everything that configures one cache.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// Which backend stores the entries.
    pub backend: BackendKind,
    /// Prepended to every key (Django's `KEY_PREFIX`).
    pub key_prefix: String,
    /// Lifetime used by [`Timeout::Default`](crate::Timeout::Default); `None` never expires.
    pub default_timeout: Ttl,
    /// Default key version (Django's `VERSION`): of the low-level API's
    /// keys, and of every manager and cached-query entry (a cache at
    /// another version reads none of them). Tags are shared by every
    /// version: a write through one invalidates the entries of all.
    pub version: u64,
    /// Largest encoded value stored (default 1 MiB, as memcached).
    pub max_value_size: usize,
    /// How long to wait for a connection to the backend.
    pub connect_timeout: Duration,
    /// How long to wait for the backend's whole answer to one request (a
    /// command or a pipeline).
    pub response_timeout: Duration,
    /// After a failure that says the server is in trouble (a refused or
    /// failed connection, a timeout, a dropped connection), calls fail fast
    /// for this long; then one call probes the server (a circuit breaker).
    pub retry_after: Duration,
    /// Memory backend: at most this many entries.
    pub max_entries: Option<u64>,
    /// Memory backend: at most this many bytes of keys and values.
    pub max_bytes: Option<u64>,
    /// Redis backend: at most this many pooled connections.
    pub pool_size: u32,
    /// How long a fill lease lasts: the longest a miss waits for another
    /// caller's fill (and a dead lease holder delays others).
    pub lease: Duration,
    /// How often a caller waiting on a lease polls for the fill.
    pub lease_tick: Duration,
    /// `rediss://`: trust this PEM root certificate (a private CA) instead
    /// of the public web roots.
    pub tls_ca: Option<std::path::PathBuf>,
    /// Redis: keep a coherent in-process tier of this many bytes in front
    /// of it (`?local=64m`).
    pub local_tier: Option<u64>,
    /// The local tier answers only while its proof of coherence is at most
    /// this old (`?local_window=10ms`).
    pub local_window: Duration,
    /// Redis: after every write of tag versions, wait until this many
    /// replicas have it (`?replicas=1`); `None`: 1 on a cluster and under
    /// Sentinel, 0 on one server. See `RedisOptions::replicas` (feature `unstable-store-api`).
    pub replicas: Option<u32>,
    /// Redis Cluster: how many shards keys are spread over (`?shards=16`).
    pub shards: u16,
    /// Serve entries only while the change-stream follower has invalidated
    /// every change committed more than this long ago
    /// (`?follower_bound=5s`); `None` (the default): no follower is
    /// expected. See cache-diesel's `Follower`.
    pub follower_bound: Option<Duration>,
    /// A hook write that returned its row puts it into its entry (cache-diesel's
    /// write-through; `?write_through=off` to invalidate it instead: two
    /// round trips fewer per write on a shared store).
    pub write_through: bool,
    /// The fraction of hits re-read from the database off the request
    /// path and compared with what was served (`?verify=0.001`; 0, the
    /// default: none). See cache-diesel's `verify` module.
    pub verify: f64,
    /// How long a sampled hit that differed from the database is given to
    /// be invalidated before it is re-checked and counted stale
    /// (`?verify_window=1s`): longer than a write's invalidation takes
    /// (and than `follower_bound` and `local_window`, where set).
    pub verify_window: Duration,
    /// How long after a process first finds a column in the database's
    /// catalogue the entries it keys by that column's values (lists
    /// filtered on it, lookups by it) also depend on every write of the
    /// table (`?schema_settle=15s`): a program built before a migration
    /// added the column cannot name its values, and writes as before
    /// until it reads the catalogue again (within 5 s). `0`: every
    /// program writing the cache's tables maps the columns readers key
    /// by (one binary; deploys that stop the old binary before migrating).
    /// See cache-diesel's guide, "Precise invalidation".
    pub schema_settle: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            backend: BackendKind::Memory,
            key_prefix: String::new(),
            default_timeout: Some(Duration::from_secs(300)),
            version: 1,
            max_value_size: 1024 * 1024,
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_millis(500),
            retry_after: Duration::from_secs(1),
            max_entries: Some(10_000),
            max_bytes: None,
            pool_size: 16,
            tls_ca: None,
            local_tier: None,
            local_window: Duration::from_millis(10),
            replicas: None,
            shards: 16,
            follower_bound: None,
            write_through: true,
            verify: 0.0,
            verify_window: Duration::from_secs(1),
            schema_settle: Duration::from_secs(15),
            lease: Duration::from_secs(2),
            lease_tick: Duration::from_millis(10),
        }
    }
}

impl CacheConfig {
    /// Parses a cache URL and its options.
    ///
    /// ```
    /// use cache_core::{BackendKind, CacheConfig};
    /// let cfg = CacheConfig::from_url("redis://127.0.0.1:6379/2?prefix=app&timeout=60").unwrap();
    /// assert_eq!(cfg.backend, BackendKind::Redis { url: "redis://127.0.0.1:6379/2".into() });
    /// assert_eq!(cfg.key_prefix, "app");
    /// assert!(CacheConfig::from_url("memcached://x").is_err());
    /// ```
    pub fn from_url(raw: &str) -> Result<Self> {
        if let Some(rest) = strip_scheme(raw, "redis+cluster") {
            return Self::cluster_from_url(raw, rest);
        }
        if let Some(rest) = strip_scheme(raw, "redis+sentinel") {
            return Self::sentinel_from_url(raw, rest);
        }
        let mut url = Url::parse(raw).map_err(|e| Error::config(redact(raw), e.to_string()))?;
        let shown = redact(raw);
        let mut cfg = CacheConfig::default();
        let scheme = url.scheme().to_owned();
        let mut passthrough = Vec::new();
        let redis = matches!(scheme.as_str(), "redis" | "rediss");
        let mut named = std::collections::HashSet::new();
        for (name, value) in url.query_pairs() {
            if !named.insert(name.clone().into_owned()) {
                return Err(Error::config(shown, format!("option {name} given twice")));
            }
            if cfg.apply_option(&name, &value, &shown)? {
                continue;
            }
            if !(redis && REDIS_RS_OPTIONS.contains(&name.as_ref())) {
                return Err(Error::config(shown, unknown_option(&name)));
            }
            passthrough.push((name.into_owned(), value.into_owned()));
        }
        // A byte bound given alone replaces the default entry bound.
        if named.contains("max_bytes") && !named.contains("max_entries") {
            cfg.max_entries = None;
        }
        cfg.check_local_window(named.contains("local_window"), &shown)?;
        if named.contains("shards") {
            return Err(Error::config(
                shown,
                "shards= applies to a Redis Cluster (redis+cluster:// URLs)",
            ));
        }
        if !matches!(scheme.as_str(), "memory" | "locmem") {
            refuse_memory_bounds(&named, &shown)?;
        }
        if named.contains("tls_ca") && scheme != "rediss" {
            // Accepted, it would leave the connection in plain text.
            return Err(Error::config(
                shown,
                "tls_ca= applies to TLS connections: use a rediss:// URL",
            ));
        }
        if cfg.local_tier.is_some() && scheme != "redis" {
            return Err(Error::config(
                shown,
                "local= puts an in-process tier in front of Redis: it applies to redis:// URLs only",
            ));
        }
        cfg.backend = match scheme.as_str() {
            "memory" | "locmem" => BackendKind::Memory,
            "dummy" => BackendKind::Dummy,
            "redis" | "rediss" => {
                url.set_query(None);
                if !passthrough.is_empty() {
                    url.query_pairs_mut().extend_pairs(passthrough.drain(..));
                }
                BackendKind::Redis { url: url.into() }
            }
            "unix" | "redis+unix" => {
                return Err(Error::config(
                    shown,
                    "Unix sockets are not supported: use redis://host:port (or rediss://)",
                ));
            }
            other => {
                return Err(Error::config(
                    shown,
                    format!(
                        "unknown scheme {other:?}: accepted are memory:// (or locmem://), \
                         redis://, rediss://, redis+cluster://, redis+sentinel://, dummy://"
                    ),
                ));
            }
        };
        Ok(cfg)
    }

    /// The Redis URL, when the backend is Redis.
    pub fn backend_url(&self) -> Option<&String> {
        match &self.backend {
            BackendKind::Redis { url } => Some(url),
            _ => None,
        }
    }

    /// Reads `CACHE_URL`; the default (in-process memory) when it is unset.
    pub fn from_env() -> Result<Self> {
        Self::from_env_var(CACHE_URL_ENV)
    }

    /// Reads a URL from the environment variable `var`; the default when unset.
    pub fn from_env_var(var: &str) -> Result<Self> {
        match std::env::var(var) {
            Ok(url) if !url.trim().is_empty() => Self::from_url(url.trim()),
            _ => Ok(CacheConfig::default()),
        }
    }

    /// Sets one option by its URL name; `Ok(false)` when the name is not one
    /// of this crate's options (`__engine::apply_option`, for tests).
    pub(crate) fn apply_option(
        &mut self,
        name: &str,
        value: &str,
        shown_url: &str,
    ) -> Result<bool> {
        let bad = |what: &str| {
            Error::config(
                shown_url,
                format!("option {name}={value:?}: expected {what}"),
            )
        };
        match name {
            "prefix" | "key_prefix" => self.key_prefix = value.to_owned(),
            "timeout" => {
                self.default_timeout = match value {
                    "none" | "never" => None,
                    v => Some(
                        parse_duration(v)
                            .ok_or_else(|| bad("a duration (e.g. 300, 5m) or none"))?,
                    ),
                }
            }
            "version" => self.version = value.parse().map_err(|_| bad("a non-negative integer"))?,
            "max_value_size" => {
                self.max_value_size = parse_size(value)
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad("a positive size (e.g. 1048576, 1m)"))?
                    as usize
            }
            "connect_timeout" => {
                self.connect_timeout = parse_nonzero(value)
                    .ok_or_else(|| bad("a non-zero duration (e.g. 1s, 500ms)"))?
            }
            "response_timeout" => {
                self.response_timeout = parse_nonzero(value)
                    .ok_or_else(|| bad("a non-zero duration (e.g. 1s, 500ms)"))?
            }
            "retry_after" => {
                self.retry_after =
                    parse_duration(value).ok_or_else(|| bad("a duration (e.g. 1s)"))?
            }
            "max_entries" => {
                self.max_entries = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("a positive integer"))?,
                )
            }
            "max_bytes" => {
                self.max_bytes = Some(parse_size(value).filter(|n| *n > 0).ok_or_else(|| {
                    bad("a positive size in bytes, with an optional k, m or g suffix (e.g. 64m)")
                })?)
            }
            "tls_ca" => self.tls_ca = Some(value.into()),
            "local" => {
                self.local_tier = Some(parse_size(value).filter(|n| *n > 0).ok_or_else(|| {
                    bad("a positive size in bytes, with an optional k, m or g suffix (e.g. 64m)")
                })?)
            }
            "local_window" => {
                self.local_window =
                    parse_nonzero(value).ok_or_else(|| bad("a non-zero duration (e.g. 10ms)"))?
            }
            "lease" => {
                self.lease =
                    parse_nonzero(value).ok_or_else(|| bad("a non-zero duration (e.g. 2s)"))?
            }
            "lease_tick" => {
                self.lease_tick =
                    parse_nonzero(value).ok_or_else(|| bad("a non-zero duration (e.g. 10ms)"))?
            }
            "replicas" => {
                self.replicas = Some(value.parse().map_err(|_| bad("a non-negative integer"))?)
            }
            "shards" => {
                self.shards = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_SHARDS).contains(n))
                    .ok_or_else(|| bad("an integer from 1 to 1024"))?
            }
            "follower_bound" => {
                self.follower_bound = Some(
                    parse_nonzero(value)
                        .ok_or_else(|| bad("a non-zero duration (e.g. 5s, 500ms)"))?,
                )
            }
            "write_through" => {
                self.write_through = match value {
                    "on" | "true" => true,
                    "off" | "false" => false,
                    _ => return Err(bad("on or off")),
                }
            }
            "verify" => {
                self.verify = value
                    .parse()
                    .ok()
                    .filter(|f: &f64| (0.0..=1.0).contains(f))
                    .ok_or_else(|| bad("a fraction from 0 to 1 (e.g. 0.001)"))?
            }
            "verify_window" => {
                self.verify_window =
                    parse_nonzero(value).ok_or_else(|| bad("a non-zero duration (e.g. 1s)"))?
            }
            "schema_settle" => {
                self.schema_settle = parse_duration(value)
                    .ok_or_else(|| bad("a duration (e.g. 15s, or 0 for none)"))?
            }
            "pool_size" => {
                self.pool_size = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad("a positive integer"))?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The query options of a Redis URL that redis-rs reads itself.
const REDIS_RS_OPTIONS: &[&str] = &["protocol", "db", "user", "pass"];

fn unknown_option(name: &str) -> String {
    format!(
        "unknown option {name:?}: accepted are prefix, timeout, version, max_value_size, \
         connect_timeout, response_timeout, retry_after, max_entries, max_bytes, pool_size, \
         tls_ca, lease, lease_tick, local, local_window, replicas, follower_bound, \
         write_through, verify, verify_window, schema_settle, \
         shards (a cluster's), \
         sentinel_password (under Sentinel), and for redis:// also {}",
        REDIS_RS_OPTIONS.join(", ")
    )
}

/// An error when `named` holds an option that only bounds the in-process
/// store (a URL of another scheme would otherwise take it and ignore it).
fn refuse_memory_bounds(named: &std::collections::HashSet<String>, shown: &str) -> Result<()> {
    match ["max_entries", "max_bytes"]
        .into_iter()
        .find(|name| named.contains(*name))
    {
        Some(bound) => Err(Error::config(
            shown,
            format!(
                "{bound}= bounds the in-process store (memory:// URLs); Redis is bounded \
                 by its own maxmemory, and a local tier by local=<size>"
            ),
        )),
        None => Ok(()),
    }
}

/// What follows `scheme://` in `raw`, if it has that scheme (any case).
fn strip_scheme<'a>(raw: &'a str, scheme: &str) -> Option<&'a str> {
    let (head, rest) = raw.split_once("://")?;
    head.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The URL with any password replaced by `***`, for messages and logs
/// (in the user info, and the value of any query option whose name
/// looks like a password's).
pub fn redact(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            redact_query(url.as_str())
        }
        Ok(_) => redact_query(raw),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// `raw` with the value of every query option whose name (decoded, in
/// any case) looks like a password's (`pas`, misspelt too; `pw`,
/// `secret`) replaced by `***`; a fragment (`#..`, which
/// an unencoded `#` in a password starts) is dropped.
fn redact_query(raw: &str) -> String {
    let raw = raw.split('#').next().unwrap_or_default();
    let Some((head, query)) = raw.split_once('?') else {
        return raw.to_owned();
    };
    let options: Vec<String> = query
        .split('&')
        .map(|option| {
            let (name, _) = option.split_once('=').unwrap_or((option, ""));
            let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            let lower = decoded.to_ascii_lowercase();
            if lower.contains("pas") || lower.contains("pw") || lower.contains("secret") {
                format!("{name}=***")
            } else {
                option.to_owned()
            }
        })
        .collect();
    format!("{head}?{}", options.join("&"))
}

/// `500ms`, `2s`, `1.5s`, `5m`, `1h`, or bare seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

fn parse_nonzero(text: &str) -> Option<Duration> {
    parse_duration(text).filter(|d| !d.is_zero())
}

/// Bytes with an optional binary `k`, `m` or `g` suffix.
/// (`64k`, `64kb` and `64KiB` alike; one unit, not `64kbbb`.)
pub fn parse_size(text: &str) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let digits = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits);
    let factor = match unit {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(factor)
}

impl CacheConfig {
    /// The checks of `local_window=` once every option is applied (`given`:
    /// the URL named it): it needs a local tier and is bounded.
    fn check_local_window(&self, given: bool, shown: &str) -> Result<()> {
        if given && self.local_tier.is_none() {
            return Err(Error::config(
                shown,
                "local_window= applies to a local tier: add local=<size>",
            ));
        }
        if self.local_window > MAX_LOCAL_WINDOW {
            return Err(Error::config(
                shown,
                format!(
                    "local_window= is at most {MAX_LOCAL_WINDOW:?}: it bounds how late another \
                     process's write may be seen"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
