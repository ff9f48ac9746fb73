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
//! and ASK redirections, topology refresh). All run redis-rs commands and
//! scripts. With [`RedisOptions::replicas`], every write of tag versions
//! waits (`WAIT`) until that many replicas have it: a failover then cannot
//! lose an acknowledged invalidation.

mod breaker;
mod cluster_link;
mod direct;
pub(crate) mod guard;
#[cfg(feature = "tokio")]
pub(crate) mod nonblocking;
#[cfg(feature = "tokio")]
mod nonblocking_conn;
mod plain;
mod pool;
mod resp;

use self::breaker::{Breaker, Opened, Ticket};
use self::cluster_link::ClusterLink;
use self::direct::Direct;
use self::plain::{PlainConn, Target};
use self::pool::{Checkout, Pool};
use super::{Backend, Capabilities, Claim, EntryStore, Fetched, Incr, TagStore};
use crate::config::redact;
use crate::error::{Error, Result};
use crate::protocol::stamp::{parse_version, version_text};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::{Cmd, ConnectionAddr, ConnectionLike, ErrorKind, RedisError, RedisResult, Value};
use std::sync::{Arc, LazyLock};
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
}

/// A connection over any transport.
enum Link {
    Plain(PlainConn),
    RedisRs(redis::Connection),
    Cluster(Box<ClusterLink>),
}

impl Link {
    /// Whether a connection idle in the pool a while still works (see
    /// `pool.rs`): a look at a plain connection's socket; a `PING` on
    /// redis-rs's (TLS, RESP3); a cluster connection reconnects itself.
    fn is_alive(&mut self) -> bool {
        match self {
            Link::Plain(c) => c.is_alive(),
            Link::RedisRs(c) => c.is_open() && c.check_connection(),
            Link::Cluster(_) => true,
        }
    }

    fn like(&mut self) -> &mut dyn ConnectionLike {
        match self {
            Link::Plain(c) => c,
            Link::RedisRs(c) => c,
            Link::Cluster(c) => &mut c.conn,
        }
    }

    /// Sends packed commands (`replies` of them) and, on the plain
    /// transport, does not wait for their replies: the connection's next
    /// user reads them (see [`PlainConn::send_unanswered`]). redis-rs's
    /// connection waits.
    fn send_unanswered(&mut self, packed: &[u8], replies: usize) -> RedisResult<()> {
        match self {
            Link::Plain(c) => c.send_unanswered(packed, replies),
            other => {
                // Error replies come back as values: made errors here.
                for reply in other.like().req_packed_commands(packed, 0, replies)? {
                    reply.extract_error()?;
                }
                Ok(())
            }
        }
    }

    /// Sends a packed `MGET` of `n` keys and reads its values (with
    /// `guarded`, `packed` ends with a hit's guard: see [`guard`]).
    fn mget(&mut self, packed: &[u8], n: usize, guarded: bool) -> RedisResult<Vec<Option<Bytes>>> {
        match self {
            Link::Plain(c) => c.mget(packed, n, guarded),
            // One command as a command: a cluster connection splits an
            // `MGET` across slots, which it does not do in a pipeline.
            other if !guarded => {
                mget_reply(other.like().req_packed_command(packed)?.extract_error()?, n)
            }
            other => {
                let mut values = other.like().req_packed_commands(packed, 0, 2)?;
                let (Some(guard), Some(found), None) = (values.pop(), values.pop(), values.pop())
                else {
                    return Err(mget_reply(Value::Nil, n).unwrap_err());
                };
                guard.extract_error()?;
                mget_reply(found.extract_error()?, n)
            }
        }
    }

    /// Runs `cmds` (each with its key), whose keys may lie in different
    /// slots of a cluster,
    /// then, with `replicas` > 0, waits until that many replicas have the
    /// writes (`WAIT`, at most `wait`): an error if fewer acknowledged. (On
    /// a cluster, see [`ClusterLink::write_spread`].)
    fn write_spread(
        &mut self,
        cmds: Vec<(&str, Cmd)>,
        replicas: u32,
        wait: Duration,
    ) -> RedisResult<()> {
        if let Link::Cluster(c) = self {
            return c.write_spread(cmds, replicas, wait);
        }
        let pipe = spread_pipeline(cmds, replicas, wait);
        if replicas == 0 {
            return pipe.exec(self.like());
        }
        let (acknowledged,): (i64,) = pipe.query(self.like())?;
        check_acknowledged(acknowledged, replicas, wait)
    }

    /// Runs `cmd` on the cluster node `node`, or where it routes itself
    /// (`None`, and always on a single server).
    fn on_node<T: redis::FromRedisValue>(
        &mut self,
        node: Option<&(String, u16)>,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        match self {
            Link::Cluster(c) => c.on_node(node.map(|(h, p)| (h.as_str(), *p)), cmd),
            other => cmd.query(other.like()),
        }
    }
}

impl ConnectionLike for Link {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        self.like().req_packed_command(cmd)
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        self.like().req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Plain(c) => c.get_db(),
            Link::RedisRs(c) => c.get_db(),
            Link::Cluster(c) => c.conn.get_db(),
        }
    }

    fn check_connection(&mut self) -> bool {
        self.like().check_connection()
    }

    fn is_open(&self) -> bool {
        match self {
            Link::Plain(c) => c.is_open(),
            Link::RedisRs(c) => c.is_open(),
            Link::Cluster(c) => c.conn.is_open(),
        }
    }
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

impl RedisBackend {
    /// A backend for `url` (`redis://` or `rediss://`). Connects lazily: a
    /// server that is down now is an error at the first call, not here.
    pub fn connect(url: &str, options: RedisOptions) -> Result<Self> {
        let shown_url = redact(url);
        let client = if url.starts_with("rediss:") {
            tls_client(url, &shown_url, options.tls_ca.as_deref())?
        } else {
            redis::Client::open(url).map_err(|e| Error::config(&shown_url, e.to_string()))?
        };
        Ok(Self::over(Server::Single(client), shown_url, &options))
    }

    /// A backend for the Redis Cluster whose nodes include `nodes`
    /// (`redis://[:password@]host:port` each; the others are found from
    /// them). Connects lazily, as [`RedisBackend::connect`]. Keys are sent
    /// as they are: keys of one command or pipeline must share a slot
    /// (a hash tag), which the [`ClusterBackend`](crate::backend::ClusterBackend)
    /// layout sees to.
    pub fn connect_cluster(nodes: &[String], options: RedisOptions) -> Result<Self> {
        let shown_url = nodes
            .iter()
            .map(|n| redact(n))
            .collect::<Vec<_>>()
            .join(",");
        let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
            .connection_timeout(options.connect_timeout)
            .response_timeout(options.response_timeout)
            // One redirection (MOVED, ASK) or retry per call, with short
            // waits: a failing cluster fails the call, and the breaker
            // makes the next ones fail fast.
            .retries(1)
            // As the plain transport: a request is never held back.
            .tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true))
            .min_retry_wait(5)
            .max_retry_wait(50)
            .build()
            .map_err(|e| Error::config(&shown_url, e.to_string()))?;
        let first = nodes
            .first()
            .ok_or_else(|| Error::config(&shown_url, "no node"))?;
        let settings = redis::Client::open(first.as_str())
            .map_err(|e| Error::config(&shown_url, e.to_string()))?
            .get_connection_info()
            .redis_settings()
            .clone();
        let pool_size = usize::try_from(options.pool_size).unwrap_or(usize::MAX);
        // The nodes the slot map is asked of, to begin with.
        let seeds = nodes
            .iter()
            .filter_map(|n| {
                match redis::Client::open(n.as_str())
                    .ok()?
                    .get_connection_info()
                    .addr()
                {
                    redis::ConnectionAddr::Tcp(host, port) => Some((host.clone(), *port)),
                    _ => None,
                }
            })
            .collect();
        let direct = Box::new(Direct::new(settings, pool_size, seeds));
        Ok(Self::over(
            Server::Cluster(client, direct),
            shown_url,
            &options,
        ))
    }

    fn over(server: Server, shown_url: String, options: &RedisOptions) -> Self {
        RedisBackend {
            pool: Pool::checked(
                usize::try_from(options.pool_size).unwrap_or(usize::MAX),
                Link::is_alive,
            ),
            dropped: std::sync::atomic::AtomicU64::new(0),
            server,
            shown_url,
            connect_timeout: options.connect_timeout,
            response_timeout: options.response_timeout,
            replicas: options.replicas,
            breaker: Breaker::new(options.retry_after),
            set_nx_get: std::sync::atomic::AtomicBool::new(true),
            no_hits_until: std::sync::atomic::AtomicU64::new(0),
            no_best_effort_until: std::sync::atomic::AtomicU64::new(0),
            started: std::time::Instant::now(),
        }
    }

    /// After a write of tag versions failed (it is owed), on a cluster:
    /// writes them slot by slot to every node that takes them, outside the
    /// breaker. An invalidation that reaches the healthy nodes protects
    /// the processes that read there and never saw the trouble; a breaker
    /// opened by one failed node would otherwise stop it reaching any.
    /// Stops at a node that does not answer in time, and then does nothing
    /// for `retry_after` (a hung node must not slow every write).
    pub(crate) fn write_best_effort(&self, tags: &[(&str, u64)], ttl: Ttl) {
        use std::sync::atomic::Ordering::Relaxed;
        let now = self.started.elapsed();
        let Server::Cluster(_, direct) = &self.server else {
            return;
        };
        if (now.as_millis() as u64) < self.no_best_effort_until.load(Relaxed) {
            return;
        }
        let pause = || {
            let until = now + self.breaker.retry_after();
            self.no_best_effort_until
                .fetch_max(until.as_millis() as u64, Relaxed);
        };
        let sets: Vec<(&str, Cmd)> = tags
            .iter()
            .map(|(tag, version)| (*tag, version_cmd(tag, *version, ttl)))
            .collect();
        // A pipeline per master whose slots are known, each bounded by one
        // response timeout.
        if direct.knows_any_slots()
            && let Some(errors) = self.write_nodes(direct, &sets, 0, Duration::ZERO)
        {
            if errors.iter().any(RedisError::is_timeout) {
                pause();
            }
            return;
        }
        let Ok(mut conn) = self
            .pool
            .get(self.connect_timeout, || self.open_link(), || false)
        else {
            return;
        };
        let Link::Cluster(link) = &mut *conn else {
            return;
        };
        if link.write_slot_by_slot(&sets) {
            pause();
            conn.discard();
        } else if !conn.is_open() {
            conn.discard();
        }
    }

    /// Whether entries read now may be served. Not for a while after the
    /// server answers again following trouble (three `retry_after`s): bumps
    /// that other processes could not deliver meanwhile (owed, retried
    /// every `retry_after`), or that a failover lost on a cluster's
    /// unreachable master, may still be missing, and an entry they
    /// invalidate would validate. The versions are still read, so fills
    /// go on; reads go to the database. Nor while the breaker is open (a
    /// local tier, which needs no call to answer, asks too).
    pub(crate) fn serves_entries(&self) -> bool {
        if self.breaker.is_open() {
            return false;
        }
        let until = self
            .no_hits_until
            .load(std::sync::atomic::Ordering::Relaxed);
        // (No clock read unless there was trouble.)
        until == 0 || self.started.elapsed().as_millis() as u64 >= until
    }

    /// The server's host, port, user name and password, for a tracking
    /// connection of the tiered store (`None`: not plain TCP).
    pub(crate) fn tcp_address(&self) -> Option<(String, u16, Option<String>, Option<String>)> {
        let Server::Single(client) = &self.server else {
            return None;
        };
        let info = client.get_connection_info();
        let settings = info.redis_settings();
        match info.addr() {
            ConnectionAddr::Tcp(host, port) => Some((
                host.clone(),
                *port,
                settings.username().map(str::to_owned),
                settings.password().map(str::to_owned),
            )),
            _ => None,
        }
    }

    /// [`EntryStore::read_entry`] without a lease, plus the entry's
    /// remaining lifetime (`PTTL`; `None` when it has none), in one round
    /// trip: what a local tier keeps a copy for.
    pub(crate) fn read_entry_with_ttl(
        &self,
        key: &str,
        tags: &[&str],
    ) -> Result<(Fetched, Option<Duration>)> {
        let pipe = ttl_read_pipeline(key, tags);
        let keys = entry_keys(key, tags);
        let (found, ttl, _guard): (Value, i64, i64) = self.with_read(&keys, |c| pipe.query(c))?;
        self.ttl_read_reply((found, ttl), tags.len())
    }

    /// The reply of [`ttl_read_pipeline`] for `n` tags.
    fn ttl_read_reply(
        &self,
        (found, ttl): (Value, i64),
        n: usize,
    ) -> Result<(Fetched, Option<Duration>)> {
        let found = mget_reply(found, 1 + n).map_err(|e| self.map_error(e))?;
        let ttl = u64::try_from(ttl).ok().map(Duration::from_millis);
        Ok((fetched(found, false, self.serves_entries()), ttl))
    }

    /// One `SET NX` then `GET` per tag: for servers before 7.0, which
    /// refuse `SET .. NX GET`.
    fn create_one_by_one(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        tags.iter()
            .map(|(tag, mine)| {
                let text = version_text(*mine);
                if self.add(tag, text.clone(), ttl)? {
                    return Ok(*mine);
                }
                match self.get(tag)?.as_deref().and_then(parse_version) {
                    Some(theirs) => Ok(theirs),
                    // Gone again (evicted) or damaged: ours is as good as any.
                    None => self.set(tag, text, ttl).map(|()| *mine),
                }
            })
            .collect()
    }

    /// A new connection, tried once: a refusal, a wrong password, an
    /// unknown host or a database out of range is an error at once.
    fn open_link(&self) -> RedisResult<Link> {
        let client = match &self.server {
            Server::Single(client) => client,
            Server::Cluster(cluster, _) => {
                let link = cluster.get_connection()?;
                link.set_write_timeout(Some(self.response_timeout))?;
                return Ok(Link::Cluster(Box::new(ClusterLink::new(link))));
            }
        };
        let info = client.get_connection_info();
        let settings = info.redis_settings();
        Ok(match info.addr() {
            ConnectionAddr::Tcp(host, port) if !settings.protocol().supports_resp3() => {
                Link::Plain(PlainConn::connect(&Target {
                    host,
                    port: *port,
                    settings,
                    connect_timeout: self.connect_timeout,
                    response_timeout: self.response_timeout,
                })?)
            }
            _ => {
                let inner = client.get_connection_with_timeout(self.connect_timeout)?;
                inner.set_read_timeout(Some(self.response_timeout))?;
                inner.set_write_timeout(Some(self.response_timeout))?;
                Link::RedisRs(inner)
            }
        })
    }

    /// The `MGET` of an entry and its tags (`keys`), with the hit's guard
    /// behind it in the same round trip (see [`guard`]).
    fn read_guarded(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mut packed = resp::pack_mget(keys);
        guard::push_guard(&mut packed, keys[0]);
        if let Some(found) = self.mget_direct(keys, &packed, true) {
            return found;
        }
        self.with_read(keys, |c| c.mget(&packed, keys.len(), true))
    }

    /// Writes `cmds` (a `SET` or `DEL` of each tag), on a cluster straight
    /// to each master, then waits for `replicas` replicas to have them.
    fn write_tags(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let wait = self.response_timeout / 2;
        if let Some(written) = self.write_direct(&cmds, self.replicas, wait) {
            return written;
        }
        self.with_conn(|c| c.write_spread(cmds, self.replicas, wait))
    }

    /// [`RedisBackend::write_tags`] for deletions, which are sent again on
    /// a new connection when theirs turns out closed (a `DEL` sent twice
    /// deletes once; a version written twice could land after another
    /// writer's and bring back entries stamped with it). Under `CLIENT
    /// KILL`, the connection a bump's deletions took was killed with the
    /// one its versions went on: the bump was owed, and another process
    /// served the old row until it was delivered.
    fn delete_tags(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let wait = self.response_timeout / 2;
        self.write_direct(&cmds, self.replicas, wait)
            .unwrap_or_else(|| {
                self.run_link(Resend::Twice, |c, _| {
                    c.write_spread(cmds.clone(), self.replicas, wait)
                })
            })
    }

    /// The outcome of a write of tag versions that was `refused` (see
    /// [`deletes_instead`]), given that of deleting the tags instead.
    fn deleted_instead(&self, refused: Error, deleted: Result<()>) -> Result<()> {
        match deleted {
            Ok(()) => {
                tracing::warn!(
                    url = %self.shown_url, error = %refused,
                    "a write of tag versions was refused: the tags were deleted instead"
                );
                Ok(())
            }
            Err(e) => Err(Error::Backend {
                reason: format!("{refused}; deleting the tags instead failed too: {e}"),
            }),
        }
    }

    /// Runs `f` on a pooled connection, mapping failures to typed errors.
    /// While the breaker is open the call fails at once; once it is
    /// half-open, this call may be the probe. Never sent twice (see
    /// [`RedisBackend::with_conn_resending`]).
    fn with_conn<T>(&self, f: impl FnOnce(&mut Link) -> RedisResult<T>) -> Result<T> {
        self.with_conn_probing(|conn, _| f(conn))
    }

    /// [`RedisBackend::with_conn`], telling `f` whether its call is the
    /// breaker's probe (which must wait for an answer to prove anything).
    fn with_conn_probing<T>(&self, f: impl FnOnce(&mut Link, bool) -> RedisResult<T>) -> Result<T> {
        let mut f = Some(f);
        self.run_link(Resend::Never, |conn, probe| {
            (f.take().expect("a call that is never resent runs once"))(conn, probe)
        })
    }

    /// [`RedisBackend::with_conn_probing`] for a call that is safe to send
    /// twice (a `SET` of a value, `SET NX`, `DEL`, `EXISTS`, `PEXPIRE`; not
    /// an increment): when the pooled connection it was sent on turns out
    /// closed by the server (its idle `timeout` struck between the pool's
    /// check and the call), it is sent again on a new connection.
    fn with_conn_resending<T>(&self, mut f: impl FnMut(&mut Link) -> RedisResult<T>) -> Result<T> {
        self.run_link(Resend::Once, |conn, _| f(conn))
    }

    /// [`RedisBackend::with_conn_resending`] for a read of `keys`, sent
    /// again on a new connection whatever connection the server closed. A
    /// read that the server answers by closing the connection twice, while
    /// a new connection answers `PING`, is a reply the server will not
    /// send (over its `client-output-buffer-limit`): its largest value is
    /// deleted ([`RedisBackend::drop_unsendable`]) and the read made again.
    fn with_read<T>(&self, keys: &[&str], f: impl FnMut(&mut Link) -> RedisResult<T>) -> Result<T> {
        let mut f = f;
        self.run_link(Resend::Read(keys), |conn, _| f(conn))
    }

    /// The one way a call runs: see [`RedisBackend::with_conn`] and the
    /// others. A connection closed by the server instead of an answer
    /// (end of file, a reset) opens the breaker only if a new connection
    /// cannot answer a `PING` either: the server's idle `timeout` or one
    /// reply it will not send is not the server in trouble.
    fn run_link<T>(
        &self,
        resend: Resend<'_>,
        mut f: impl FnMut(&mut Link, bool) -> RedisResult<T>,
    ) -> Result<T> {
        let Some(ticket) = self.breaker.admit() else {
            return Err(self.failing_fast());
        };
        let probe = ticket.is_probe();
        let mut conn = match self.link(probe, false) {
            Ok(conn) => conn,
            Err(e) => return Err(self.checkout_failed(ticket, e)),
        };
        let mut result = f(&mut conn, probe);
        let mut resent = false;
        if result.as_ref().is_err_and(closed_by_peer) && resend.allows(conn.reused()) {
            conn.discard();
            drop(conn);
            tracing::debug!(url = %self.shown_url, "a connection was closed by the server: sending again on a new one");
            conn = match self.link(probe, true) {
                Ok(conn) => conn,
                Err(e) => return Err(self.checkout_failed(ticket, e)),
            };
            result = f(&mut conn, probe);
            resent = true;
        }
        if result.as_ref().is_err_and(closed_by_peer) {
            conn.discard();
            drop(conn);
            // The server, or this call? A new connection's PING tells.
            let mut check = match self.link(probe, true) {
                Ok(check) => check,
                Err(e) => return Err(self.checkout_failed(ticket, e)),
            };
            if redis::cmd("PING").query::<String>(&mut *check).is_err() {
                check.discard();
                let e = result.err().expect("failed");
                self.in_trouble(ticket, &e);
                return Err(self.map_error(e));
            }
            if let Resend::Read(keys) = resend
                && resent
            {
                self.drop_unsendable(&mut check, keys);
                result = f(&mut check, probe);
            }
            if let Err(e) = &result
                && closed_by_peer(e)
            {
                check.discard();
                result = Err(unsendable());
            }
            conn = check;
        }
        match &result {
            // Before the connection is dropped: a caller waiting for its
            // slot then finds the breaker open instead of connecting.
            Err(e) if server_in_trouble(e) => self.in_trouble(ticket, e),
            // Any answer, an error reply included, says the server works.
            _ => {
                self.answered(ticket);
            }
        }
        // A connection that failed is in an unknown state: dropped, not
        // returned. (A server's error reply leaves it usable.)
        if result.as_ref().is_err_and(breaks_connection) || !conn.is_open() {
            conn.discard();
        }
        result.map_err(|e| self.map_error(e))
    }

    /// A connection from the pool (with `new`, a new one), for a call that
    /// gives up waiting when the breaker opens unless it is the `probe`.
    fn link(
        &self,
        probe: bool,
        new: bool,
    ) -> std::result::Result<pool::Pooled<'_, Link>, Checkout<RedisError>> {
        let give_up = || !probe && self.breaker.is_open();
        if new {
            self.pool
                .get_new(self.connect_timeout, || self.open_link(), give_up)
        } else {
            self.pool
                .get(self.connect_timeout, || self.open_link(), give_up)
        }
    }

    /// The error of a call that got no connection (a connection that
    /// cannot be made opens the breaker).
    fn checkout_failed(&self, ticket: Ticket<'_>, e: Checkout<RedisError>) -> Error {
        match e {
            Checkout::Connect(e) => {
                self.in_trouble(ticket, &e);
                Error::Unavailable {
                    reason: format!("cannot connect to {}: {e}", self.shown_url),
                }
            }
            Checkout::GaveUp => self.failing_fast(),
            // (A probe's ticket dropped unreported opens the breaker again.)
            Checkout::Busy => Error::Unavailable {
                reason: format!(
                    "every connection to {} stayed busy for {:?}",
                    self.shown_url, self.connect_timeout
                ),
            },
        }
    }

    /// After a read of `keys` was answered by closing the connection
    /// twice (while the server answers): deletes its largest value when it
    /// is most of the reply (`STRLEN`, then `UNLINK`, on `conn`), counted
    /// ([`RedisBackend::dropped`]) and logged (at most once a minute).
    fn drop_unsendable(&self, conn: &mut Link, keys: &[&str]) {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("STRLEN").arg(*key);
        }
        let Ok(lengths) = pipe.query::<Vec<u64>>(conn) else {
            return;
        };
        let Some(at) = unsendable_at(&lengths) else {
            return;
        };
        if redis::cmd("UNLINK")
            .arg(keys[at])
            .query::<u64>(conn)
            .is_ok_and(|n| n > 0)
        {
            self.dropped_one(keys[at], lengths[at]);
        }
    }

    /// Counts and logs an entry deleted because the server would not send it.
    fn dropped_one(&self, key: &str, len: u64) {
        static LOGGED: crate::log_limit::LogLimit = crate::log_limit::LogLimit::new();
        self.dropped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(left_out) = LOGGED.check(Duration::from_secs(60)) {
            tracing::warn!(
                url = %self.shown_url, key, bytes = len,
                "Redis closed the connection instead of sending a cache entry (over its \
                 client-output-buffer-limit?): the entry was deleted (counted in `undecodable`){left_out}"
            );
        }
    }

    /// Entries deleted because the server would not send them.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A call got an answer: a probe's closes the breaker, and entries are
    /// served again after the grace (see [`RedisBackend::serves_entries`]).
    fn answered(&self, ticket: Ticket<'_>) {
        if ticket.succeeded() {
            let grace = self.breaker.retry_after() * 3;
            let until = self.started.elapsed() + grace;
            self.no_hits_until.fetch_max(
                until.as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            tracing::info!(
                url = %self.shown_url, ?grace,
                "cache backend answers again: entries are served again after the grace"
            );
        }
    }

    /// On a cluster, an `MGET` of keys of one slot sent straight to the
    /// master serving it over the plain transport (see [`direct`]); `None`
    /// when it cannot be (keys in several slots, no slot map, or the node
    /// answered with a redirection): the redis-rs way then.
    fn mget_direct(
        &self,
        keys: &[&str],
        packed: &[u8],
        guarded: bool,
    ) -> Option<Result<Vec<Option<Bytes>>>> {
        let Server::Cluster(_, direct) = &self.server else {
            return None;
        };
        if let Err(e) = self.learn_slots(direct)? {
            return Some(Err(e));
        }
        let Some((node, _)) = direct.node_for(keys) else {
            // No master serves the slot: redis-rs would wait on its retries,
            // and on the hung node.
            return direct
                .unserved(keys[0])
                .then(|| Err(self.map_error(no_master(1))));
        };
        let Some(ticket) = self.breaker.admit() else {
            return Some(Err(self.failing_fast()));
        };
        let probe = ticket.is_probe();
        let connect = || self.connect_node(direct, &node);
        let checkout = node.pool.get(self.connect_timeout, connect, || {
            !probe && self.breaker.is_open()
        });
        let mut conn = match checkout {
            Ok(conn) => conn,
            Err(Checkout::Connect(e)) => {
                self.in_trouble(ticket, &e);
                return Some(Err(Error::Unavailable {
                    reason: format!("cannot connect to {}:{}: {e}", node.host, node.port),
                }));
            }
            Err(Checkout::GaveUp) => return Some(Err(self.failing_fast())),
            // The redis-rs way has connections of its own.
            Err(Checkout::Busy) => return None,
        };
        match conn.mget(packed, keys.len(), guarded) {
            Ok(found) => {
                self.answered(ticket);
                Some(Ok(found))
            }
            // A node down or hung: the map stays (it ages out), so that
            // writes can still reach the other masters by it.
            Err(e) if server_in_trouble(&e) => {
                self.in_trouble(ticket, &e);
                conn.discard();
                Some(Err(self.map_error(e)))
            }
            // An answer (MOVED, ASK, CLUSTERDOWN, ...): the map is out of
            // date; redis-rs follows the redirection.
            Err(e) => {
                self.answered(ticket);
                if breaks_connection(&e) || !conn.is_open() {
                    conn.discard();
                }
                direct.forget();
                None
            }
        }
    }

    /// A plain connection to the cluster master `node`.
    fn connect_node(&self, direct: &Direct, node: &direct::Node) -> RedisResult<PlainConn> {
        PlainConn::connect(&Target {
            host: &node.host,
            port: node.port,
            settings: &direct.settings,
            connect_timeout: self.connect_timeout,
            response_timeout: self.response_timeout,
        })
    }

    /// Makes sure `direct` knows a recent slot map (see
    /// [`Direct::read_masters`]), under the breaker: `None` when it cannot
    /// be learned now (the breaker is open).
    fn learn_slots(&self, direct: &Direct) -> Option<Result<()>> {
        if direct.knows_slots() {
            return Some(Ok(()));
        }
        let ticket = self.breaker.admit()?;
        match direct.read_masters(self.connect_timeout, self.response_timeout) {
            Ok(masters) => {
                self.answered(ticket);
                direct.learn(masters);
                Some(Ok(()))
            }
            Err(e) => {
                if server_in_trouble(&e) {
                    self.in_trouble(ticket, &e);
                } else {
                    self.answered(ticket);
                }
                Some(Err(self.map_error(e)))
            }
        }
    }

    /// On a cluster, `cmds` (each with its key) written with one pipeline
    /// per master over the plain transport, whose deadline covers a whole
    /// reply (redis-rs's pipelines wait the response timeout once per
    /// reply: a hung master held a write of many keys for as long as it
    /// hung), then, with `replicas`, a `WAIT` in the same pipeline for as
    /// many of its replicas as could replace it. Every master gets its
    /// writes even if another fails; the first failure is returned. `None`
    /// when a key's master is not known (the redis-rs way then).
    fn write_direct(
        &self,
        cmds: &[(&str, Cmd)],
        replicas: u32,
        wait: Duration,
    ) -> Option<Result<()>> {
        let Server::Cluster(_, direct) = &self.server else {
            return None;
        };
        if let Err(e) = self.learn_slots(direct)? {
            return Some(Err(e));
        }
        let Some(ticket) = self.breaker.admit() else {
            return Some(Err(self.failing_fast()));
        };
        let errors = self.write_nodes(direct, cmds, replicas, wait)?;
        match errors.iter().find(|e| server_in_trouble(e)) {
            Some(e) => self.in_trouble(ticket, e),
            None => self.answered(ticket),
        }
        if errors.iter().any(|e| !server_in_trouble(e)) {
            // A redirection, say (`MOVED`): the map is out of date. Not
            // sent again the redis-rs way: a version written twice, the
            // second time after another writer's, would bring back entries
            // stamped with it. The caller deletes the tags instead.
            direct.forget();
        }
        errors
            .into_iter()
            .next()
            .map(|e| Err(self.map_error(e)))
            .or(Some(Ok(())))
    }

    /// The writes of [`RedisBackend::write_direct`], a pipeline per master,
    /// outside the breaker: the errors, or `None` when a key's master is
    /// not known.
    fn write_nodes(
        &self,
        direct: &Direct,
        cmds: &[(&str, Cmd)],
        replicas: u32,
        wait: Duration,
    ) -> Option<Vec<RedisError>> {
        let mut groups: Vec<(Arc<direct::Node>, u32, redis::Pipeline, Vec<&Cmd>)> = Vec::new();
        let mut unserved = 0;
        for (key, cmd) in cmds {
            let Some((node, node_replicas)) = direct.node_for(&[*key]) else {
                // No master serves the slot (the cluster is down): the others
                // still get theirs.
                if !direct.unserved(key) {
                    return None;
                }
                unserved += 1;
                continue;
            };
            let at = match groups.iter().position(|(n, ..)| Arc::ptr_eq(n, &node)) {
                Some(at) => at,
                None => {
                    groups.push((node, node_replicas, redis::pipe(), Vec::new()));
                    groups.len() - 1
                }
            };
            groups[at].2.add_command(cmd.clone()).ignore();
            groups[at].3.push(cmd);
        }
        let mut errors: Vec<RedisError> = Vec::new();
        for (node, node_replicas, mut pipe, sent) in groups {
            let needed = replicas.min(node_replicas);
            if needed > 0 {
                pipe.cmd("WAIT")
                    .arg(needed)
                    .arg(wait.as_millis().max(1) as u64);
            }
            let connect = || self.connect_node(direct, &node);
            let result = match node.pool.get(self.connect_timeout, connect, || false) {
                Ok(mut conn) => {
                    let mut result = pipe.query::<Vec<i64>>(&mut *conn);
                    if let Err(e) = &result
                        && let Some(followed) = self.follow_asks(direct, &sent, e, needed, wait)
                    {
                        // The pipeline's own `WAIT` reply went with its
                        // error: wait again here for what this master took.
                        result = followed.and_then(|()| {
                            if needed == 0 {
                                return Ok(Vec::new());
                            }
                            let mut again = redis::cmd("WAIT");
                            again.arg(needed).arg(wait.as_millis().max(1) as u64);
                            again.query::<i64>(&mut *conn).map(|n| vec![n])
                        });
                    }
                    if result.as_ref().is_err_and(breaks_connection) || !conn.is_open() {
                        conn.discard();
                    }
                    result
                }
                Err(Checkout::Connect(e)) => Err(e),
                Err(_) => Err(RedisError::from((
                    ErrorKind::Io,
                    "every connection to the node stayed busy",
                ))),
            };
            let failed = match result {
                Ok(acknowledged)
                    if needed > 0
                        && acknowledged.first().copied().unwrap_or(0) < i64::from(needed) =>
                {
                    Some(RedisError::from((
                        ErrorKind::Client,
                        NOT_REPLICATED,
                        format!(
                            "fewer than {needed} replicas of {}:{} acknowledged within {wait:?}",
                            node.host, node.port
                        ),
                    )))
                }
                Ok(_) => None,
                Err(e) => Some(e),
            };
            errors.extend(failed);
        }
        if unserved > 0 {
            errors.push(no_master(unserved));
        }
        Some(errors)
    }

    /// The writes of a master's pipeline (`sent`, in order) that it
    /// answered `ASK` in `e` (their keys have moved to the master that
    /// imports their slot, which is still this one's while it migrates),
    /// sent where it says, each behind an `ASKING`; with `needed`, a
    /// `WAIT` for as many replicas there. `None` when `e` holds any other
    /// failure.
    fn follow_asks(
        &self,
        direct: &Direct,
        sent: &[&Cmd],
        e: &RedisError,
        needed: u32,
        wait: Duration,
    ) -> Option<RedisResult<()>> {
        let mut by_node: Vec<(String, u16, redis::Pipeline)> = Vec::new();
        for (index, error) in e.clone().into_server_errors()?.iter() {
            if error.code() != "ASK" {
                return None;
            }
            // `ASK <slot> <host>:<port>`
            let (_, address) = error.details()?.split_once(' ')?;
            let (host, port) = address.rsplit_once(':')?;
            let port: u16 = port.parse().ok()?;
            let at = match by_node.iter().position(|(h, p, _)| h == host && *p == port) {
                Some(at) => at,
                None => {
                    by_node.push((host.to_owned(), port, redis::pipe()));
                    by_node.len() - 1
                }
            };
            by_node[at].2.cmd("ASKING").ignore();
            by_node[at]
                .2
                .add_command((*sent.get(*index)?).clone())
                .ignore();
        }
        for (host, port, mut pipe) in by_node {
            if needed > 0 {
                pipe.cmd("WAIT")
                    .arg(needed)
                    .arg(wait.as_millis().max(1) as u64);
            }
            let target = Target {
                host: &host,
                port,
                settings: &direct.settings,
                connect_timeout: self.connect_timeout,
                response_timeout: self.response_timeout,
            };
            let acknowledged =
                PlainConn::connect(&target).and_then(|mut conn| pipe.query::<Vec<i64>>(&mut conn));
            match acknowledged {
                Ok(acked)
                    if needed > 0 && acked.first().copied().unwrap_or(0) < i64::from(needed) =>
                {
                    return Some(Err(RedisError::from((
                        ErrorKind::Client,
                        NOT_REPLICATED,
                        format!(
                            "fewer than {needed} replicas of {host}:{port} acknowledged within {wait:?}"
                        ),
                    ))));
                }
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(()))
    }

    /// Opens the breaker after `error`; when that is news, closes the idle
    /// connections too (after a restart they are all dead, and each would
    /// fail a probe in turn).
    fn in_trouble(&self, ticket: Ticket<'_>, error: &RedisError) {
        let retry_after = self.breaker.retry_after();
        match ticket.failed() {
            Opened::Now => {
                tracing::warn!(
                    url = %self.shown_url, %error, ?retry_after,
                    "cache backend in trouble: calls fail fast until a probe gets an answer"
                );
                self.pool.drain_idle();
            }
            Opened::Again => {
                tracing::debug!(url = %self.shown_url, %error, "cache backend probe failed");
                self.pool.drain_idle();
            }
            Opened::Already => {}
        }
    }

    fn failing_fast(&self) -> Error {
        Error::Unavailable {
            reason: format!(
                "{} failed moments ago; calls fail fast until a probe (one every {:?}) gets an answer",
                self.shown_url,
                self.breaker.retry_after()
            ),
        }
    }

    fn map_error(&self, e: RedisError) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                timeout: self.response_timeout,
            }
        } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            Error::Unavailable {
                reason: e.to_string(),
            }
        } else {
            Error::Backend {
                reason: e.to_string(),
            }
        }
    }
}

/// A TLS client. rustls needs a process-wide crypto provider: ring's is
/// installed unless the application installed one already.
#[cfg(feature = "tls")]
fn tls_client(url: &str, shown_url: &str, ca: Option<&std::path::Path>) -> Result<redis::Client> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let Some(ca) = ca else {
        return redis::Client::open(url).map_err(|e| Error::config(shown_url, e.to_string()));
    };
    let root_cert = std::fs::read(ca)
        .map_err(|e| Error::config(shown_url, format!("tls_ca {}: {e}", ca.display())))?;
    let certs = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    };
    redis::Client::build_with_tls(url, certs).map_err(|e| Error::config(shown_url, e.to_string()))
}

#[cfg(not(feature = "tls"))]
fn tls_client(_url: &str, shown_url: &str, _ca: Option<&std::path::Path>) -> Result<redis::Client> {
    Err(Error::config(
        shown_url,
        "rediss:// needs cache-core's `tls` feature",
    ))
}

/// The writes `cmds` in one pipeline, their replies ignored, then with
/// `replicas` > 0 a `WAIT` for that many replicas, at most `wait`: its
/// reply is the pipeline's one.
fn spread_pipeline(cmds: Vec<(&str, Cmd)>, replicas: u32, wait: Duration) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (_, cmd) in cmds {
        pipe.add_command(cmd).ignore();
    }
    if replicas > 0 {
        pipe.cmd("WAIT")
            .arg(replicas)
            .arg(wait.as_millis().max(1) as u64);
    }
    pipe
}

/// A `WAIT`'s reply: an error if fewer than `replicas` acknowledged.
/// What a write of tag versions that too few replicas acknowledged says.
const NOT_REPLICATED: &str = "a write of tag versions was not replicated";

fn check_acknowledged(acknowledged: i64, replicas: u32, wait: Duration) -> RedisResult<()> {
    if acknowledged < i64::from(replicas) {
        return Err(RedisError::from((
            ErrorKind::Client,
            NOT_REPLICATED,
            format!(
                "{acknowledged} of {replicas} replicas acknowledged within {wait:?} \
                 (replicas= in the cache URL: 0 for a server without replicas)"
            ),
        )));
    }
    Ok(())
}

/// One pipeline for a claim ([`EntryStore::read_entry`] with a [`Claim`]):
/// create the absent tags (plain `SET NX`, which every server takes; the
/// `MGET` after it reads whose version won), take the lease, read the
/// entry and the versions. Its replies: the lease's `SET`, the `MGET`.
fn claim_pipeline(keys: &[&str], claim: &Claim<'_>) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (tag, version) in claim.create {
        let mut create = set_cmd(tag, &version_text(*version), claim.tag_ttl);
        create.arg("NX");
        pipe.add_command(create).ignore();
    }
    let mut set = set_cmd(claim.lease, b"1", Some(claim.lease_ttl));
    set.arg("NX");
    pipe.add_command(set);
    pipe.cmd("MGET").arg(keys);
    pipe
}

/// An `MGET` of the entry and its tags, then the entry's `PTTL`, then the
/// hit's guard: see [`RedisBackend::read_entry_with_ttl`] and [`guard`].
fn ttl_read_pipeline(key: &str, tags: &[&str]) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.cmd("MGET").arg(key).arg(tags);
    pipe.cmd("PTTL").arg(key);
    pipe.add_command(guard::guard_cmd(key));
    pipe
}

/// A fill: the entry's `SET` and, with `release`, the lease's `DEL`.
fn fill_pipeline(key: &str, bytes: &[u8], ttl: Ttl, release: Option<&str>) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.add_command(set_cmd(key, bytes, ttl));
    if let Some(lease) = release {
        pipe.cmd("DEL").arg(lease);
    }
    pipe
}

/// `SET tag version NX GET` per tag (Redis 7.0 and later).
fn create_pipeline(tags: &[(&str, u64)], ttl: Ttl) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (tag, version) in tags {
        let mut cmd = set_cmd(tag, &version_text(*version), ttl);
        cmd.arg("NX").arg("GET");
        pipe.add_command(cmd);
    }
    pipe
}

/// The entry and the tag versions to read for `key`: the entry first.
fn entry_keys<'a>(key: &'a str, tags: &[&'a str]) -> Vec<&'a str> {
    let mut keys = Vec::with_capacity(1 + tags.len());
    keys.push(key);
    keys.extend_from_slice(tags);
    keys
}

/// The error of `keys` keys whose slot no master serves (a master failed,
/// and no replica replaced it yet): the cluster in trouble.
fn no_master(keys: usize) -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        format!("no master serves the slot of {keys} key(s): the cluster is down or failing over"),
    ))
}

/// True when an error says the server is in trouble (as opposed to an
/// answer, such as most error replies; but one that says the server
/// refuses writes for a while counts, see [`guard`]): it opens the breaker.
fn server_in_trouble(e: &RedisError) -> bool {
    e.is_timeout()
        || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || guard::refuses_writes(e)
}

/// True when the server (or the network) closed the connection: an end of
/// file, a reset, a broken pipe (a refused connection is not one).
fn closed_by_peer(e: &RedisError) -> bool {
    e.is_connection_dropped() && !e.is_connection_refusal() && !e.is_timeout()
}

/// The error of a read whose reply the server will not send: it closes the
/// connection instead, while answering others (a reply over its
/// `client-output-buffer-limit`). Not the server in trouble.
fn unsendable() -> RedisError {
    RedisError::from((
        ErrorKind::Client,
        "Redis closed the connection instead of sending a reply (over its client-output-buffer-limit?)",
    ))
}

/// Of a read's values' `lengths`, the one to delete because the server
/// will not send the reply: the largest, when it is most of the reply.
fn unsendable_at(lengths: &[u64]) -> Option<usize> {
    let total: u64 = lengths.iter().sum();
    let (at, largest) = lengths.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (*largest > 0 && *largest >= total / 2).then_some(at)
}

/// Whether a call may be sent again after the server closed its connection.
#[derive(Clone, Copy)]
enum Resend<'a> {
    /// Never (it may have been carried out: an increment).
    Never,
    /// Once, when the connection was idle in the pool (and closed there).
    Once,
    /// Once, whatever the connection: carried out twice, the same (`DEL`).
    Twice,
    /// A read of these keys: once, whatever the connection.
    Read(&'a [&'a str]),
}

impl Resend<'_> {
    fn allows(self, reused: bool) -> bool {
        match self {
            Resend::Never => false,
            Resend::Once => reused,
            Resend::Twice | Resend::Read(_) => true,
        }
    }
}

/// True when a command's error leaves its connection in an unknown state.
fn breaks_connection(e: &RedisError) -> bool {
    e.is_timeout() || e.is_io_error() || e.is_unrecoverable_error()
}

/// A lifetime in ms for `PX`, at most [`MAX_TTL`](crate::MAX_TTL) (Redis
/// refuses larger ones), at least 1.
fn millis(d: Duration) -> u64 {
    crate::timeout::clamp(d).as_millis().max(1) as u64
}

fn set_cmd(key: &str, value: &[u8], ttl: Ttl) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    if let Some(d) = ttl {
        cmd.arg("PX").arg(millis(d));
    }
    cmd
}

/// A write of `tag`'s new `version`: a `SET`, or, for a version marked
/// [`IF_PRESENT`](crate::protocol::stamp::IF_PRESENT), a `SET .. XX KEEPTTL`
/// (only where the tag exists, keeping its lifetime: Redis 6.0 and later).
fn version_cmd(tag: &str, version: u64, ttl: Ttl) -> Cmd {
    match crate::protocol::stamp::version_to_write(version) {
        (version, false) => set_cmd(tag, &version_text(version), ttl),
        (version, true) => {
            let mut cmd = redis::cmd("SET");
            cmd.arg(tag)
                .arg(&version_text(version)[..])
                .arg("XX")
                .arg("KEEPTTL");
            cmd
        }
    }
}

/// The commands of a write of tag versions: a `SET` of each tag's new
/// version or, with `delete`, a `DEL` of each tag.
fn tag_cmds<'a>(tags: &[(&'a str, u64)], ttl: Ttl, delete: bool) -> Vec<(&'a str, Cmd)> {
    tags.iter()
        .map(|(tag, version)| {
            let cmd = if delete {
                let mut del = redis::cmd("DEL");
                del.arg(*tag);
                del
            } else {
                version_cmd(tag, *version, ttl)
            };
            (*tag, cmd)
        })
        .collect()
}

/// Whether a write of tag versions that failed with `e` is delivered by
/// deleting the tags instead: the server answered with an error reply
/// (`OOM` under `noeviction`, which still takes `DEL`; a key of another
/// type), not a timeout, a broken connection or too few replicas. A
/// deleted tag invalidates every entry stamped with it, as a new version
/// does (see [`guard`]).
fn deletes_instead(e: &Error) -> bool {
    matches!(e, Error::Backend { reason } if !reason.contains(NOT_REPLICATED))
}

fn to_bytes(v: Option<Vec<u8>>) -> Option<Bytes> {
    v.map(Bytes::from)
}

/// The values of an `MGET` reply of `n` keys.
fn mget_reply(reply: Value, n: usize) -> RedisResult<Vec<Option<Bytes>>> {
    let unexpected = |what: &'static str| -> RedisError {
        (
            ErrorKind::UnexpectedReturnType,
            "unexpected MGET reply",
            what.to_owned(),
        )
            .into()
    };
    let Value::Array(items) = reply else {
        return Err(unexpected("not an array"));
    };
    if items.len() != n {
        return Err(unexpected("wrong length"));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::BulkString(bytes) => Ok(Some(Bytes::from(bytes))),
            Value::Nil => Ok(None),
            _ => Err(unexpected("not a string")),
        })
        .collect()
}

/// An `MGET` of an entry and its tags, as [`Fetched`]; without the entry
/// unless `serve`.
fn fetched(mut found: Vec<Option<Bytes>>, leased: bool, serve: bool) -> Fetched {
    if !serve {
        found[0] = None;
    }
    let versions = found
        .drain(1..)
        .map(|v| v.as_deref().and_then(parse_version))
        .collect();
    Fetched {
        entry: found.pop().flatten(),
        memo: None,
        versions,
        leased,
    }
}

impl TagStore for RedisBackend {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        match self.write_tags(tag_cmds(tags, ttl, false)) {
            Err(refused) if deletes_instead(&refused) => {
                self.deleted_instead(refused, self.delete_tags(tag_cmds(tags, ttl, true)))
            }
            written => written,
        }
    }

    /// `SET tag version NX GET` per tag, pipelined (Redis 7.0 and later
    /// take NX with GET); an older server's syntax error switches this
    /// backend to one `SET NX` and `GET` per tag for good.
    fn create_versions(&self, _entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        if !self.set_nx_get.load(std::sync::atomic::Ordering::Relaxed) {
            return self.create_one_by_one(tags, ttl);
        }
        let pipe = create_pipeline(tags, ttl);
        let found = match self.with_conn_resending(|c| pipe.query::<Vec<Option<Vec<u8>>>>(c)) {
            Ok(found) => found,
            Err(Error::Backend { reason }) => {
                tracing::info!(error = %reason, "Redis refused SET NX GET (before 7.0?): creating tags one by one");
                self.set_nx_get
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                return self.create_one_by_one(tags, ttl);
            }
            Err(e) => return Err(e),
        };
        let mut versions = Vec::with_capacity(tags.len());
        for (theirs, (tag, mine)) in found.into_iter().zip(tags) {
            versions.push(match theirs {
                None => *mine,
                Some(bytes) => match parse_version(&bytes) {
                    Some(theirs) => theirs,
                    // Not a version (damaged): replaced by ours, which no
                    // entry can hold yet.
                    None => {
                        self.set(tag, version_text(*mine), ttl)?;
                        *mine
                    }
                },
            });
        }
        Ok(versions)
    }

    fn read_versions(&self, _entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        Ok(self
            .get_many(tags)?
            .into_iter()
            .map(|v| v.as_deref().and_then(parse_version))
            .collect())
    }
}

impl EntryStore for RedisBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        let keys = entry_keys(key, tags);
        let Some(claim) = claim else {
            let found = self.read_guarded(&keys)?;
            return Ok(fetched(found, false, self.serves_entries()));
        };
        let pipe = claim_pipeline(&keys, claim);
        let (added, found): (Option<String>, Value) =
            self.with_conn_resending(|c| pipe.query(c))?;
        let found = mget_reply(found, keys.len()).map_err(|e| self.map_error(e))?;
        Ok(fetched(found, added.is_some(), self.serves_entries()))
    }

    /// Sent without waiting for the reply (but by a breaker's probe): the
    /// caller has its value already, and a failed fill only costs a later
    /// miss. The connection's next user reads the reply.
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        let pipe = fill_pipeline(key, &bytes, ttl, release);
        let replies = 1 + usize::from(release.is_some());
        self.run_link(Resend::Once, |c, probe| {
            if probe {
                pipe.query::<()>(c)
            } else {
                c.send_unanswered(&pipe.get_packed_pipeline(), replies)
            }
        })
    }
}

impl Backend for RedisBackend {
    fn serves_entries(&self) -> bool {
        RedisBackend::serves_entries(self)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    #[cfg(feature = "tokio")]
    fn nonblocking(self: Arc<Self>) -> Option<Arc<dyn super::AsyncStore>> {
        nonblocking::AsyncRedis::of(self).map(|twin| Arc::new(twin) as Arc<dyn super::AsyncStore>)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: true,
            keeps_decoded: false,
        }
    }

    fn dropped_entries(&self) -> u64 {
        self.dropped()
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.with_read(&[key], |c| {
            redis::cmd("GET").arg(key).query::<Option<Vec<u8>>>(c)
        })
        .map(to_bytes)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Packed by hand, and on plain connections read straight from the
        // reply's bytes: this is every hit's command, and `Cmd`, redis-rs's
        // parser and the typed conversion cost more than the rest of the
        // hit's own work (callgrind).
        let packed = resp::pack_mget(keys);
        if let Some(found) = self.mget_direct(keys, &packed, false) {
            return found;
        }
        self.with_read(keys, |c| c.mget(&packed, keys.len(), false))
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.with_conn_resending(|c| set_cmd(key, &value, ttl).query::<()>(c))
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let sets: Vec<(&str, Cmd)> = entries
            .iter()
            .map(|(key, value)| (*key, set_cmd(key, value, ttl)))
            .collect();
        if let Some(written) = self.write_direct(&sets, 0, Duration::ZERO) {
            return written;
        }
        self.with_conn(|c| c.write_spread(sets, 0, Duration::ZERO))
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        let mut cmd = set_cmd(key, &value, ttl);
        cmd.arg("NX");
        self.with_conn_resending(|c| cmd.query::<Option<String>>(c))
            .map(|ok| ok.is_some())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.with_conn_resending(|c| redis::cmd("DEL").arg(key).query::<u64>(c))
            .map(|n| n > 0)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.with_conn_resending(|c| redis::cmd("DEL").arg(keys).query::<u64>(c))
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        self.with_conn_resending(|c| redis::cmd("EXISTS").arg(key).query::<u64>(c))
            .map(|n| n > 0)
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        match ttl {
            Some(d) => self
                .with_conn_resending(|c| {
                    redis::cmd("PEXPIRE")
                        .arg(key)
                        .arg(millis(d))
                        .query::<u64>(c)
                })
                .map(|n| n > 0),
            None => self
                .with_conn_resending(|c| {
                    redis::pipe()
                        .cmd("EXISTS")
                        .arg(key)
                        .cmd("PERSIST")
                        .arg(key)
                        .ignore()
                        .query::<(u64,)>(c)
                })
                .map(|(n,)| n > 0),
        }
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        let outcome = self.with_conn(|c| {
            let answer = INCR_EXISTING.key(key).arg(delta).invoke::<Option<i64>>(c);
            match answer {
                Ok(Some(n)) => Ok(Ok(Incr::Value(n))),
                Ok(None) => Ok(Ok(Incr::Missing)),
                Err(e) if e.is_timeout() || e.is_io_error() => Err(e),
                Err(e) => Ok(Err(e)),
            }
        })?;
        outcome.or_else(|e| {
            let text = e.to_string();
            if text.contains("overflow") {
                Ok(Incr::Overflow)
            } else if text.contains("not an integer") {
                Ok(Incr::NotAnInteger)
            } else {
                Err(self.map_error(e))
            }
        })
    }

    fn clear(&self, prefix: &str) -> Result<()> {
        self.unlink_matching(&glob_prefix(prefix), |_| true)
    }
}

impl RedisBackend {
    /// Removes the keys that match the `SCAN` pattern `pattern` and that
    /// `wanted` accepts, on every master of a cluster.
    pub(crate) fn unlink_matching(
        &self,
        pattern: &str,
        wanted: impl Fn(&[u8]) -> bool,
    ) -> Result<()> {
        let nodes: Vec<Option<(String, u16)>> = match self.server {
            Server::Single(_) => vec![None],
            Server::Cluster(..) => self
                .with_conn(|c| match c {
                    Link::Cluster(c) => c.masters(),
                    _ => Ok(Vec::new()),
                })?
                .into_iter()
                .map(Some)
                .collect(),
        };
        for node in &nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH);
                let (next, mut keys): (u64, Vec<Vec<u8>>) =
                    self.with_conn_resending(|c| c.on_node(node.as_ref(), &scan))?;
                keys.retain(|k| wanted(k));
                if !keys.is_empty() {
                    self.with_conn_resending(|c| redis::cmd("UNLINK").arg(&keys).query::<u64>(c))?;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }
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
    use redis::Value;

    #[test]
    fn prefixes_are_globs_of_themselves() {
        assert_eq!(glob_prefix("a*b[:"), "a\\*b\\[:*");
        assert_eq!(glob_prefix("app:"), "app:*");
    }

    #[test]
    fn mget_replies_are_checked() {
        let ok = Value::Array(vec![Value::BulkString(b"v".to_vec()), Value::Nil]);
        assert_eq!(
            mget_reply(ok.clone(), 2).unwrap(),
            vec![Some(Bytes::from_static(b"v")), None]
        );
        assert!(mget_reply(ok, 3).is_err());
        assert!(mget_reply(Value::Nil, 1).is_err());
        assert!(mget_reply(Value::Array(vec![Value::Int(1)]), 1).is_err());
    }
}
