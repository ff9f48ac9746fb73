//! How the twin's pipelines reach Redis: a multiplexed connection per
//! runtime, the hit path's connections of our own, each call under the
//! breaker's guard and its time limits.

use super::{AsyncRedis, Remote};
use crate::backend::redis::failures::{
    closed_by_peer, server_in_trouble, unsendable, unsendable_at,
};
use crate::backend::redis::plain_async::AsyncPlain;
use crate::backend::redis::{Server, guard};
use crate::error::Result;
use bytes::Bytes;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Cmd, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult,
    Value,
};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::{Handle, Id};

/// Connections kept, one per runtime that used the store lately.
const RUNTIMES_REMEMBERED: usize = 8;
/// Idle connections of our own kept for the hit path, all runtimes together.
const IDLE_KEPT: usize = 64;

/// A runtime's connection to one server or to a cluster.
#[derive(Clone)]
pub(super) enum Conn {
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

impl AsyncRedis {
    /// An `MGET` of `keys` over a connection of our own to `host:port`.
    pub(super) async fn mget_plain(
        &self,
        host: &str,
        port: u16,
        keys: &[&str],
    ) -> Result<Vec<Option<Bytes>>> {
        let mut packed = crate::backend::redis::resp::pack_mget(keys);
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
    pub(super) fn plain_server(&self) -> Option<(String, u16)> {
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

    /// This runtime's connection, made on first use.
    pub(super) async fn connection(&self, runtime: Id) -> RedisResult<Conn> {
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
    pub(super) async fn run<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T> {
        self.run_resending(pipe, true).await
    }

    /// [`AsyncRedis::run`], sent again on a new connection only if
    /// `resend` (a call that must not land twice, a write-through's swap,
    /// is not: another writer's swap may land between the two).
    pub(super) async fn run_resending<T: FromRedisValue>(
        &self,
        pipe: &Pipeline,
        resend: bool,
    ) -> Result<T> {
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
    pub(super) async fn guarded<T, F>(&self, call: impl FnOnce(Id) -> F) -> Result<T>
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

/// `step` within `limit`: a timeout error (which opens the breaker) if
/// Redis does not `what` (connect, answer) in time.
pub(super) async fn within<T>(
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
