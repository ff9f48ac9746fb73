//! The Redis backend: a pool of synchronous connections that never PINGs on
//! checkout, explicit connect and response timeouts, and a circuit breaker
//! ([`breaker`]): after a failure that says the server is in trouble (a
//! connection that cannot be made, a timeout, an I/O error, a dropped
//! connection), calls fail fast for `retry_after`, then one call probes.
//! A connection is tried once: one that cannot be made fails the call at
//! once ([`pool`]).
//!
//! Plain `redis://` URLs use this crate's own transport ([`plain`]);
//! `rediss://` and RESP3 URLs use redis-rs's connection, and a Redis
//! Cluster redis-rs's cluster connection (one connection per node, MOVED
//! and ASK redirections, topology refresh). Under Redis Sentinel, the
//! master is asked of the sentinels and asked again after any failure
//! ([`sentinel`]). All run redis-rs commands and
//! scripts. With [`RedisOptions::replicas`], every write of tag versions
//! waits (`WAIT`) until that many replicas have it: a failover then cannot
//! lose an acknowledged invalidation.

mod breaker;
mod cluster;
pub(crate) mod cluster_link;
mod commands;
mod connect;
mod direct;
mod failures;
pub(crate) mod guard;
mod link;
mod plain;
#[cfg(feature = "tokio")]
mod plain_async;
mod pool;
#[cfg(feature = "tokio")]
pub(crate) mod redis_async;
mod resp;
#[cfg(fuzzing)]
#[doc(hidden)]
pub use resp::fuzz_reply;
mod run;
pub(crate) mod sentinel;
mod stores;

use self::breaker::Breaker;
use self::direct::Direct;
use self::link::Link;
use self::pool::Pool;
use redis::cluster::ClusterClient;
use std::sync::LazyLock;
use std::time::Duration;

/// Adds to a counter only if it exists (Django raises on a missing key,
/// while a bare `INCRBY` would create it).
static INCR_EXISTING: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 0 then return false end \
         return redis.call('INCRBY', KEYS[1], ARGV[1])",
    )
});

const SCAN_BATCH: u32 = 1000;

/// Redis storage.
pub struct RedisBackend {
    pool: Pool<Link>,
    server: Server,
    shown_url: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    /// Replicas that must have a write of tag versions before it counts.
    replicas: u32,
    breaker: Breaker,
    /// Whether the server takes `SET .. NX GET` (until it refuses it once).
    set_nx_get: std::sync::atomic::AtomicBool,
    /// Whether the server takes `SET .. GET` (until it refuses it once):
    /// without it, hooks do not write through.
    set_get: std::sync::atomic::AtomicBool,
    /// Until when (ms after `started`) entries read are not served: see
    /// [`RedisBackend::serves_entries`].
    no_hits_until: std::sync::atomic::AtomicU64,
    /// Until when (ms after `started`) [`RedisBackend::write_best_effort`]
    /// does nothing (a node did not answer it in time).
    no_best_effort_until: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
    /// Entries deleted because the server would not send them (see
    /// [`RedisBackend::with_read`]).
    dropped: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("url", &self.shown_url)
            .finish()
    }
}

/// What a backend talks to (one per store: its size does not matter; with
/// redis-rs's `cluster-async` a `ClusterClient` outweighs a `Client`).
#[allow(clippy::large_enum_variant)]
enum Server {
    /// One server (`redis://`, `rediss://`).
    Single(redis::Client),
    /// A Redis Cluster; its hits go straight to their node.
    Cluster(ClusterClient, Box<Direct>),
    /// The master of a service under Redis Sentinel, found again after
    /// a failure (`redis+sentinel://`).
    Sentinel(std::sync::Arc<sentinel::Sentinels>),
}

/// Options for [`RedisBackend::connect`].
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Wait at most this long for a connection.
    pub connect_timeout: Duration,
    /// Wait at most this long for an answer.
    pub response_timeout: Duration,
    /// After a failure that says the server is in trouble (a connection
    /// that cannot be made, a timeout, an I/O error, a dropped connection),
    /// calls fail fast for this long; then one call probes the server while
    /// the others keep failing fast, and its success closes the breaker.
    pub retry_after: Duration,
    /// At most this many connections.
    pub pool_size: u32,
    /// For `rediss://`: a PEM root certificate to trust instead of the web roots.
    pub tls_ca: Option<std::path::PathBuf>,
    /// After every write of tag versions, wait (`WAIT`) until this many
    /// replicas have it, at most half the response timeout; fewer is an
    /// error (the bumps are then owed and retried). Replication is
    /// asynchronous: without this, a failover can lose an invalidation the
    /// master acknowledged, and entries stamped before it validate again.
    /// 0: do not wait.
    pub replicas: u32,
}

/// A `SCAN MATCH` pattern for the keys starting with `prefix`.
pub(super) fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_globs_of_themselves() {
        assert_eq!(glob_prefix("a*b[:"), "a\\*b\\[:*");
        assert_eq!(glob_prefix("app:"), "app:*");
    }
}
