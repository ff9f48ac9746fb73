//! The Redis store's non-blocking twin ([`AsyncStore`]), for the async
//! driver: redis-rs's multiplexed tokio connection (one per runtime: a
//! connection's I/O task lives on the runtime that made it), the same
//! commands as the sync store (the pipelines are built by the same
//! functions), and the same breaker and grace, shared with the sync store:
//! a failure seen by either opens the fail-fast window for both. A read
//! of an entry (the hit path) goes over a connection of our own instead
//! (`plain_async.rs`), on `redis://` without RESP3, as the sync
//! store's hits do.
//!
//! On a Redis Cluster (for the cluster layout's twin, which places the
//! keys) it is redis-rs's async cluster connection instead, one per
//! runtime; hits go straight to the master of their slot over a connection
//! of our own, by the slot map the sync store keeps (`direct.rs`), and a
//! write of versions is one pipeline per master
//! ([`AsyncRedis::write_versions_by_master`]).
//!
//! Here the twin, what it connects to, and the calls the other stores
//! make of it besides the [`AsyncStore`]'s; in `store`, the [`AsyncStore`];
//! in `connections`, how its pipelines reach Redis (a connection per
//! runtime, the hit path's own, the breaker's guard); in `cluster`, a
//! cluster's writes by master and its slot map.

mod cluster;
mod connections;
mod store;

use super::commands::{
    batch_keys, batch_ttl_pipeline, check_acknowledged, spread_pipeline, ttl_read_pipeline,
};
use super::plain_async::AsyncPlain;
use super::sentinel::Sentinels;
use super::{RedisBackend, Server};
use crate::backend::Fetched;
use crate::error::Result;
use crate::timeout::Ttl;
use connections::Conn;
use redis::cluster::ClusterClient;
use redis::{Cmd, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Id;

pub(crate) struct AsyncRedis {
    pub(crate) redis: Arc<RedisBackend>,
    remote: Remote,
    /// Each with its runtime and, under Sentinel, the failovers announced
    /// before it was made (one made before the last is not used).
    conns: Mutex<Vec<(Id, u64, Conn)>>,
    /// Where the hit path's own connections go (`None`: TLS, a Unix
    /// socket or RESP3, which go through redis-rs; under Sentinel, the
    /// master last found, see [`AsyncRedis::plain_server`]).
    plain: Option<(String, u16)>,
    /// Each with its runtime and its server (a cluster's: its master).
    idle: Mutex<Vec<Idle>>,
}

/// An idle connection of our own: its runtime, its server, the connection.
type Idle = (Id, (String, u16), AsyncPlain);

/// What the twin connects to (one per store: its size does not matter).
#[allow(clippy::large_enum_variant)]
enum Remote {
    Single(redis::Client),
    /// A Redis Cluster (redis-rs's async cluster connection: a multiplexed
    /// connection per node, redirections followed). Its commands and
    /// pipelines must keep to one slot, which the cluster layout sees to.
    Cluster(ClusterClient),
    /// The master of a service under Sentinel, as the sync store finds it.
    Sentinel(Arc<Sentinels>),
}

impl std::fmt::Debug for AsyncRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRedis")
            .field("url", &self.redis.shown_url)
            .finish()
    }
}

impl AsyncRedis {
    /// The twin of `redis`, when it talks to one server (see
    /// [`AsyncRedis::of_cluster`] for a cluster).
    pub(crate) fn of(redis: Arc<RedisBackend>) -> Option<Self> {
        let (remote, plain) = match &redis.server {
            Server::Single(client) => {
                let info = client.get_connection_info();
                let plain = match info.addr() {
                    redis::ConnectionAddr::Tcp(host, port)
                        if !info.redis_settings().protocol().supports_resp3() =>
                    {
                        Some((host.clone(), *port))
                    }
                    _ => None,
                };
                (Remote::Single(client.clone()), plain)
            }
            Server::Sentinel(sentinels) => (Remote::Sentinel(sentinels.clone()), None),
            Server::Cluster(..) => return None,
        };
        Some(AsyncRedis {
            remote,
            redis,
            conns: Mutex::new(Vec::new()),
            plain,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// [`RedisBackend::read_entry_with_ttl`], not blocking: what the
    /// tiered store's twin reads past its local tier.
    pub(crate) async fn read_entry_with_ttl(
        &self,
        key: &str,
        tags: &[&str],
    ) -> Result<(Fetched, Option<Duration>)> {
        let (found, ttl, _guard): (Value, i64, i64) =
            self.run(&ttl_read_pipeline(key, tags)).await?;
        self.redis.ttl_read_reply((found, ttl), tags.len())
    }

    /// [`RedisBackend::read_entries_with_ttl`], not blocking.
    pub(crate) async fn read_entries_with_ttl(
        &self,
        reads: &[(&str, &[&str])],
    ) -> Result<Vec<(Fetched, Option<Duration>)>> {
        let (keys, places) = batch_keys(reads);
        let reply: Vec<Value> = self.run(&batch_ttl_pipeline(&keys, reads.len())).await?;
        self.redis.batch_ttl_fetched(reply, keys.len(), &places)
    }

    /// The twin of `redis` in cluster mode, for the cluster layout's twin
    /// (which places every key; this one only carries commands).
    pub(crate) fn of_cluster(redis: Arc<RedisBackend>) -> Option<Self> {
        let Server::Cluster(client, _) = &redis.server else {
            return None;
        };
        Some(AsyncRedis {
            remote: Remote::Cluster(client.clone()),
            redis,
            conns: Mutex::new(Vec::new()),
            plain: None,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// After a failed write of tag versions on a cluster: the sync store's
    /// best-effort write to every node that takes it (outside the breaker,
    /// paused after a node that does not answer in time), on a blocking
    /// thread.
    pub(crate) async fn write_best_effort(&self, tags: &[(&str, u64)], ttl: Ttl) {
        let redis = self.redis.clone();
        let tags: Vec<(String, u64)> = tags.iter().map(|(t, v)| ((*t).to_owned(), *v)).collect();
        let _ = tokio::task::spawn_blocking(move || {
            let tags: Vec<(&str, u64)> = tags.iter().map(|(t, v)| (t.as_str(), *v)).collect();
            redis.write_best_effort(&tags, ttl);
        })
        .await;
    }

    /// Writes `cmds` (a `SET` or `DEL` of each tag) in one pipeline, then
    /// waits for the store's `replicas` to have them.
    async fn write_tags(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let (replicas, wait) = (self.redis.replicas, self.redis.response_timeout / 2);
        let pipe = spread_pipeline(cmds, replicas, wait);
        if replicas == 0 {
            return self.run::<()>(&pipe).await;
        }
        let (acknowledged,): (i64,) = self.run(&pipe).await?;
        check_acknowledged(acknowledged, replicas, wait).map_err(|e| self.redis.map_error(e))
    }
}
