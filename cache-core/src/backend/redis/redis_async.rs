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

use super::cluster_link::masters_of;
use super::commands::{
    NOT_REPLICATED, announce_pipeline, batch_fetched, batch_keys, batch_ttl_pipeline,
    check_acknowledged, claim_pipeline, create_pipeline, deletes_instead, entry_keys, fetched,
    fill_pipeline, mget_reply, set_cmd, spread_pipeline, swap_pipeline, tag_cmds,
    ttl_read_pipeline,
};
use super::direct::{Direct, Node};
use super::failures::{closed_by_peer, server_in_trouble, unsendable, unsendable_at};
use super::plain_async::AsyncPlain;
use super::sentinel::Sentinels;
use super::{RedisBackend, Server, guard};
use crate::backend::{Announce, AsyncStore, BoxFuture, Claim, Fetched, Noting, Swap};
use crate::error::Result;
use crate::protocol::stamp::{parse_version, version_text};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{
    AsyncConnectionConfig, Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, RedisFuture,
    RedisResult, Value,
};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::{Handle, Id};

/// Connections kept, one per runtime that used the store lately.
const RUNTIMES_REMEMBERED: usize = 8;
/// Idle connections of our own kept for the hit path, all runtimes together.
const IDLE_KEPT: usize = 64;

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

/// A runtime's connection to one server or to a cluster.
#[derive(Clone)]
enum Conn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
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

    /// On a cluster: the versions of `tags` (in any slots) written as the
    /// sync store's `write_direct` writes them: one pipeline per master,
    /// found by the slot map shared with the sync store (learned here,
    /// `CLUSTER NODES`, when it is not recent), ending in a `WAIT` for as
    /// many of its replicas as could replace it (at most `replicas`, at
    /// most `wait`); every master is tried, the first failure returned.
    /// Through the breaker; each step within its timeout.
    pub(crate) async fn write_versions_by_master(
        &self,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> Result<()> {
        match self.write_by_master(tag_cmds(tags, ttl, false)).await {
            Err(refused) if deletes_instead(&refused) => {
                let deleted = self.write_by_master(tag_cmds(tags, ttl, true)).await;
                self.redis.deleted_instead(refused, deleted)
            }
            written => written,
        }
    }

    /// [`AsyncRedis::write_versions_by_master`]'s writes of `cmds`.
    async fn write_by_master(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let (replicas, wait) = (self.redis.replicas, self.redis.response_timeout / 2);
        let Server::Cluster(_, direct) = &self.redis.server else {
            return Err(crate::Error::Backend {
                reason: "a write by master on one server".into(),
            });
        };
        let (connect, respond) = (self.redis.connect_timeout, self.redis.response_timeout);
        self.guarded(async |runtime| {
            let conn = within(connect, "connect", self.connection(runtime)).await?;
            let Conn::Cluster(mut conn) = conn else {
                unreachable!("a cluster's twin holds cluster connections");
            };
            if !direct.knows_slots() {
                learn_slots(&mut conn, direct, respond).await?;
            }
            let mut groups: Vec<(Arc<Node>, u32, Pipeline, usize)> = Vec::new();
            for (key, cmd) in &cmds {
                let Some((node, node_replicas)) = direct.node_for(&[*key]) else {
                    direct.forget();
                    return Err(RedisError::from((
                        ErrorKind::Client,
                        "no master known for a key's slot",
                    )));
                };
                let at = match groups.iter().position(|(n, ..)| Arc::ptr_eq(n, &node)) {
                    Some(at) => at,
                    None => {
                        groups.push((node, node_replicas, redis::pipe(), 0));
                        groups.len() - 1
                    }
                };
                groups[at].2.add_command(cmd.clone());
                groups[at].3 += 1;
            }
            let mut errors: Vec<RedisError> = Vec::new();
            for (node, node_replicas, mut pipe, mut count) in groups {
                let needed = replicas.min(node_replicas);
                if needed > 0 {
                    pipe.cmd("WAIT")
                        .arg(needed)
                        .arg(wait.as_millis().max(1) as u64);
                    count += 1;
                }
                let route = SingleNodeRoutingInfo::ByAddress {
                    host: node.host.clone(),
                    port: node.port,
                };
                let sent = conn.route_pipeline(pipe, 0, count, route);
                let replies = match within(respond, "answer", sent).await {
                    Ok(replies) => replies,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                let mut acknowledged = 0;
                for reply in replies {
                    match reply.extract_error() {
                        Ok(Value::Int(n)) => acknowledged = n,
                        Ok(_) => {}
                        Err(e) => errors.push(e),
                    }
                }
                if needed > 0 && acknowledged < i64::from(needed) {
                    errors.push(RedisError::from((
                        ErrorKind::Client,
                        NOT_REPLICATED,
                        format!(
                            "fewer than {needed} replicas of {}:{} acknowledged within {wait:?}",
                            node.host, node.port
                        ),
                    )));
                }
            }
            if errors.iter().any(|e| !server_in_trouble(e)) {
                direct.forget(); // a redirection, say: the map is out of date
            }
            // The breaker opens if any master was in trouble.
            let first = errors.iter().position(server_in_trouble).unwrap_or(0);
            match errors.into_iter().nth(first) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
        .await
    }

    /// On a cluster, the master serving `keys` (one slot), by the slot map
    /// shared with the sync store, learned first if it is not recent:
    /// where a hit goes straight to, as the sync store's do (`direct.rs`).
    /// `None`: not known (the redis-rs way then).
    async fn master_of(&self, direct: &Direct, keys: &[&str]) -> Result<Option<(String, u16)>> {
        if !direct.knows_slots() {
            if self.redis.breaker.is_open() {
                return Ok(None);
            }
            let respond = self.redis.response_timeout;
            self.guarded(async |runtime| {
                let connect = self.connection(runtime);
                let Conn::Cluster(mut conn) =
                    within(self.redis.connect_timeout, "connect", connect).await?
                else {
                    unreachable!("a cluster's twin holds cluster connections");
                };
                learn_slots(&mut conn, direct, respond).await
            })
            .await?;
        }
        Ok(direct
            .node_for(keys)
            .map(|(node, _)| (node.host.clone(), node.port)))
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

    /// An `MGET` of `keys` over a connection of our own to `host:port`.
    async fn mget_plain(&self, host: &str, port: u16, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mut packed = super::resp::pack_mget(keys);
        guard::push_guard(&mut packed, keys[0]);
        self.guarded(async |runtime| {
            let taken = loop {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                let at = idle
                    .iter()
                    .rposition(|(id, (h, p), _)| *id == runtime && h == host && *p == port);
                match at.map(|at| idle.swap_remove(at).2) {
                    // Closed while idle (the server's `timeout`): dropped.
                    Some(conn) if !conn.is_alive() => continue,
                    taken => break taken,
                }
            };
            let mut conn = match taken {
                Some(conn) => conn,
                None => self.new_plain(host, port).await?,
            };
            let respond = self.redis.response_timeout;
            let mut values = within(respond, "answer", conn.mget(&packed, keys.len(), true)).await;
            // Closed by the server instead of answering: a read is sent
            // again on a new connection, and if that is closed too while
            // the server answers a `PING`, the server will not send this
            // reply (see `RedisBackend::with_read`).
            if values.as_ref().is_err_and(closed_by_peer) {
                conn = self.new_plain(host, port).await?;
                values = within(respond, "answer", conn.mget(&packed, keys.len(), true)).await;
            }
            if values.as_ref().is_err_and(closed_by_peer) {
                conn = self.new_plain(host, port).await?;
                let ping = redis::cmd("PING").get_packed_command();
                within(respond, "answer", conn.replies(&ping, 1)).await?;
                let mut strlen = redis::pipe();
                for key in keys {
                    strlen.cmd("STRLEN").arg(*key);
                }
                let packed_strlen = strlen.get_packed_pipeline();
                let lengths = within(respond, "answer", conn.replies(&packed_strlen, keys.len()))
                    .await?
                    .iter()
                    .map(|v| redis::from_redis_value::<u64>(v.clone()).unwrap_or(0))
                    .collect::<Vec<u64>>();
                if let Some(at) = unsendable_at(&lengths) {
                    let unlink = redis::cmd("UNLINK").arg(keys[at]).get_packed_command();
                    let unlinked = within(respond, "answer", conn.replies(&unlink, 1)).await?;
                    if matches!(unlinked.first(), Some(Value::Int(n)) if *n > 0) {
                        self.redis.dropped_one(keys[at], lengths[at]);
                    }
                }
                values = within(respond, "answer", conn.mget(&packed, keys.len(), true)).await;
                if values.as_ref().is_err_and(closed_by_peer) {
                    return Err(unsendable());
                }
            }
            let values = values?;
            conn.returned();
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() >= IDLE_KEPT {
                idle.remove(0);
            }
            idle.push((runtime, (host.to_owned(), port), conn));
            Ok(values)
        })
        .await
    }

    /// Where the hit path's own connections go now: the server, or under
    /// Sentinel the master last found (`None` while it is not known: the
    /// multiplexed connection, which asks the sentinels, serves the hit).
    fn plain_server(&self) -> Option<(String, u16)> {
        match &self.remote {
            Remote::Sentinel(sentinels) => sentinels.known(),
            _ => self.plain.clone(),
        }
    }

    /// A new connection of our own to `host:port`, within the connect
    /// timeout.
    async fn new_plain(&self, host: &str, port: u16) -> RedisResult<AsyncPlain> {
        let settings = match (&self.remote, &self.redis.server) {
            (Remote::Single(client), _) => client.get_connection_info().redis_settings(),
            (Remote::Sentinel(sentinels), _) => &sentinels.settings,
            (_, Server::Cluster(_, direct)) => &direct.settings,
            _ => unreachable!("a cluster's twin is over a cluster"),
        };
        let connect = AsyncPlain::connect(host, port, settings);
        within(self.redis.connect_timeout, "connect", connect).await
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

    /// This runtime's connection, made on first use.
    async fn connection(&self, runtime: Id) -> RedisResult<Conn> {
        // Read before the master is looked up: a connection made to a
        // master an announcement replaced carries an old stamp.
        let stamp = self.stamp();
        if let Some((.., conn)) = self
            .conns()
            .iter()
            .find(|(id, made, _)| *id == runtime && *made == stamp)
        {
            return Ok(conn.clone());
        }
        let (connect, respond) = (self.redis.connect_timeout, self.redis.response_timeout);
        let conn = match &self.remote {
            Remote::Single(_) | Remote::Sentinel(_) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(connect))
                    .set_response_timeout(Some(respond));
                Conn::Single(
                    self.server_client()
                        .await?
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                )
            }
            Remote::Cluster(client) => {
                let config = redis::cluster::ClusterConfig::new()
                    .set_connection_timeout(connect)
                    .set_response_timeout(respond);
                Conn::Cluster(client.get_async_connection_with_config(config).await?)
            }
        };
        let mut conns = self.conns();
        conns.retain(|(id, made, _)| *id != runtime && *made == stamp);
        if conns.len() >= RUNTIMES_REMEMBERED {
            conns.remove(0);
        }
        conns.push((runtime, stamp, conn.clone()));
        Ok(conn)
    }

    /// A client for the one server: under Sentinel, the master last found
    /// or asked of the sentinels now (blocking, within the timeouts: off
    /// the runtime's threads).
    async fn server_client(&self) -> RedisResult<redis::Client> {
        let sentinels = match &self.remote {
            Remote::Single(client) => return Ok(client.clone()),
            Remote::Sentinel(sentinels) => sentinels,
            Remote::Cluster(_) => {
                return Err(RedisError::from(std::io::Error::other(
                    "a cluster has no one server",
                )));
            }
        };
        let (host, port) = match sentinels.known() {
            Some(master) => master,
            None => {
                let sentinels = sentinels.clone();
                tokio::task::spawn_blocking(move || sentinels.master())
                    .await
                    .map_err(|e| RedisError::from(std::io::Error::other(e)))??
            }
        };
        sentinels.client_for(&host, port)
    }

    /// Under Sentinel, the failovers announced so far; 0 otherwise.
    fn stamp(&self) -> u64 {
        match &self.remote {
            Remote::Sentinel(sentinels) => sentinels.switches(),
            _ => 0,
        }
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, Vec<(Id, u64, Conn)>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `pipe` over this runtime's multiplexed connection (see
    /// [`AsyncRedis::guarded`]).
    ///
    /// Every pipeline run here is safe to send twice (reads, `SET`s of
    /// values and versions, `SET NX`, `DEL`): when the connection was made
    /// before this call and the server closed it (its idle `timeout`:
    /// redis-rs's connection does not reconnect), it is sent again on a
    /// new one, and only that one's failure counts.
    async fn run<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T> {
        self.run_resending(pipe, true).await
    }

    /// [`AsyncRedis::run`], sent again on a new connection only if
    /// `resend` (a call that must not land twice, a write-through's swap,
    /// is not: another writer's swap may land between the two).
    async fn run_resending<T: FromRedisValue>(&self, pipe: &Pipeline, resend: bool) -> Result<T> {
        let (connect, respond) = (self.redis.connect_timeout, self.redis.response_timeout);
        self.guarded(async |runtime| {
            let reused = self.conns().iter().any(|(id, ..)| *id == runtime);
            let mut conn = within(connect, "connect", self.connection(runtime)).await?;
            let first = within(respond, "answer", pipe.query_async::<T>(&mut conn)).await;
            match first {
                Err(e) if resend && reused && closed_by_peer(&e) => {
                    tracing::debug!(error = %e, "a connection was closed by the server: sending again on a new one");
                    self.conns().retain(|(id, ..)| *id != runtime);
                    let mut conn = within(connect, "connect", self.connection(runtime)).await?;
                    within(respond, "answer", pipe.query_async::<T>(&mut conn)).await
                }
                other => other,
            }
        })
        .await
    }

    /// Runs `call` (given this runtime's id; its steps bound by their own
    /// timeouts, [`within`]) through the breaker: while it is open the
    /// call fails at once; a failure or a timeout opens it and drops this
    /// runtime's connections.
    async fn guarded<T, F>(&self, call: impl FnOnce(Id) -> F) -> Result<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        let redis = &self.redis;
        let Some(ticket) = redis.breaker.admit() else {
            return Err(redis.failing_fast());
        };
        let runtime = Handle::current().id();
        let result = call(runtime).await;
        match &result {
            Err(e) if server_in_trouble(e) => {
                redis.in_trouble(ticket, e);
                // Under Sentinel every runtime's: the master may have moved.
                let all = matches!(self.remote, Remote::Sentinel(_));
                self.conns().retain(|(id, ..)| !all && *id != runtime);
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.retain(|(id, ..)| !all && *id != runtime);
            }
            _ => redis.answered(ticket),
        }
        result.map_err(|e| redis.map_error(e))
    }
}

impl AsyncStore for AsyncRedis {
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let keys = entry_keys(key, tags);
            let plain = match (claim, self.plain_server(), &self.redis.server) {
                (None, Some(server), _) => Some(server),
                (None, None, Server::Cluster(_, direct)) => self.master_of(direct, &keys).await?,
                _ => None,
            };
            if let Some((host, port)) = plain {
                match self.mget_plain(&host, port, &keys).await {
                    Ok(found) => return Ok(fetched(found, false, self.redis.serves_entries())),
                    // A cluster node's answer (MOVED, ASK, CLUSTERDOWN):
                    // the map is out of date; redis-rs follows it.
                    Err(crate::Error::Backend { .. })
                        if let Server::Cluster(_, direct) = &self.redis.server =>
                    {
                        direct.forget();
                    }
                    Err(e) => return Err(e),
                }
            }
            let (leased, found) = match claim {
                None => {
                    let mut pipe = redis::pipe();
                    pipe.cmd("MGET").arg(&keys);
                    pipe.add_command(guard::guard_cmd(keys[0]));
                    let (found, _guard): (Value, i64) = self.run(&pipe).await?;
                    (false, found)
                }
                Some(claim) => {
                    let (added, found): (Option<String>, Value) =
                        self.run(&claim_pipeline(&keys, claim)).await?;
                    (added.is_some(), found)
                }
            };
            let found = mget_reply(found, keys.len()).map_err(|e| self.redis.map_error(e))?;
            Ok(fetched(found, leased, self.redis.serves_entries()))
        })
    }

    /// One `MGET` (and the hit's guard) on one server, as the sync store's.
    fn read_entries<'a>(
        &'a self,
        reads: &'a [(&'a str, &'a [&'a str])],
    ) -> BoxFuture<'a, Result<Vec<Fetched>>> {
        Box::pin(async move {
            if reads.len() < 2 || matches!(self.redis.server, Server::Cluster(..)) {
                return crate::backend::store_async::one_by_one(self, reads).await;
            }
            let (keys, places) = batch_keys(reads);
            let found = match self.plain_server() {
                Some((host, port)) => self.mget_plain(&host, port, &keys).await?,
                None => {
                    let mut pipe = redis::pipe();
                    pipe.cmd("MGET").arg(&keys);
                    pipe.add_command(guard::guard_cmd(keys[0]));
                    let (found, _guard): (Value, i64) = self.run(&pipe).await?;
                    mget_reply(found, keys.len()).map_err(|e| self.redis.map_error(e))?
                }
            };
            Ok(batch_fetched(found, &places, self.redis.serves_entries()))
        })
    }

    fn fill<'a>(
        &'a self,
        key: &'a str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.run(&fill_pipeline(key, &bytes, ttl, release)).await })
    }

    fn create_versions<'a>(
        &'a self,
        _entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>> {
        Box::pin(async move {
            if tags.is_empty() {
                return Ok(Vec::new());
            }
            let found: Vec<Option<Vec<u8>>> = self.run(&create_pipeline(tags, ttl)).await?;
            let mut versions = Vec::with_capacity(tags.len());
            for (theirs, (tag, mine)) in found.into_iter().zip(tags) {
                match theirs.as_deref().map(parse_version) {
                    None => versions.push(*mine),
                    Some(Some(theirs)) => versions.push(theirs),
                    // Not a version (damaged): replaced by ours, which no
                    // entry can hold yet.
                    Some(None) => {
                        let mut pipe = redis::pipe();
                        pipe.add_command(set_cmd(tag, &version_text(*mine), ttl));
                        self.run::<()>(&pipe).await?;
                        versions.push(*mine);
                    }
                }
            }
            Ok(versions)
        })
    }

    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if tags.is_empty() {
                return Ok(());
            }
            match self.write_tags(tag_cmds(tags, ttl, false)).await {
                Err(refused) if deletes_instead(&refused) => {
                    let deleted = self.write_tags(tag_cmds(tags, ttl, true)).await;
                    self.redis.deleted_instead(refused, deleted)
                }
                written => written,
            }
        })
    }

    fn add_lease<'a>(
        &'a self,
        _entry: &'a str,
        lease: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut set = set_cmd(lease, b"1", Some(ttl));
            set.arg("NX");
            let mut pipe = redis::pipe();
            pipe.add_command(set);
            let (added,): (Option<String>,) = self.run(&pipe).await?;
            Ok(added.is_some())
        })
    }

    fn release_lease<'a>(&'a self, _entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("DEL").arg(lease).ignore();
            self.run::<()>(&pipe).await
        })
    }

    /// As the sync store's (the same pipeline), where it writes through.
    fn announce_and_note<'a>(
        &'a self,
        announce: Announce<'a>,
    ) -> BoxFuture<'a, Result<Option<Noting>>> {
        Box::pin(async move {
            if !self.redis.writes_through() {
                return Ok(None);
            }
            let reply = self.run(&announce_pipeline(&announce)).await;
            self.redis.noted(reply)
        })
    }

    /// As the sync store's (the same `EVAL`), where it writes through.
    fn swap_and_fill<'a>(&'a self, swap: Swap<'a>) -> BoxFuture<'a, Result<Option<bool>>> {
        Box::pin(async move {
            if !self.redis.writes_through() {
                return Ok(None);
            }
            let pipe = swap_pipeline(&swap);
            let (put,): (i64,) = self.run_resending(&pipe, false).await?;
            Ok(Some(put == 1))
        })
    }
}

/// Learns the cluster's slot map (`CLUSTER NODES` on any node) into
/// `direct`, within `limit`.
async fn learn_slots(
    conn: &mut ClusterConnection,
    direct: &Direct,
    limit: Duration,
) -> RedisResult<()> {
    let any = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
    let nodes = conn.route_command(redis::cmd("CLUSTER").arg("NODES").clone(), any);
    let text: String = redis::from_redis_value(within(limit, "answer", nodes).await?)?;
    direct.learn(masters_of(&text));
    Ok(())
}

/// `step` within `limit`: a timeout error (which opens the breaker) if
/// Redis does not `what` (connect, answer) in time.
async fn within<T>(
    limit: Duration,
    what: &str,
    step: impl Future<Output = RedisResult<T>>,
) -> RedisResult<T> {
    match tokio::time::timeout(limit, step).await {
        Ok(result) => result,
        Err(_) => Err(RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("Redis did not {what} within {limit:?}"),
        ))),
    }
}
