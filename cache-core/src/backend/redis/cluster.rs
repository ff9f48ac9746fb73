//! A cluster's direct paths: an `MGET` sent straight to the master of its
//! slot, writes of tag versions to each master (following `ASK`s), and the
//! best-effort write to every node that takes it after a failed one.

use super::commands::{NOT_REPLICATED, version_cmd};
use super::direct;
use super::direct::Direct;
use super::failures::{breaks_connection, no_master, server_in_trouble};
use super::link::Link;
use super::plain::{PlainConn, Target};
use super::pool::Checkout;
use super::{RedisBackend, Server};
use crate::error::{Error, Result};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::ConnectionLike;
use redis::{Cmd, ErrorKind, RedisError, RedisResult};
use std::sync::Arc;
use std::time::Duration;

impl RedisBackend {
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

    /// On a cluster, an `MGET` of keys of one slot sent straight to the
    /// master serving it over the plain transport (see [`direct`]); `None`
    /// when it cannot be (keys in several slots, no slot map, or the node
    /// answered with a redirection): the redis-rs way then.
    pub(super) fn mget_direct(
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
    pub(super) fn connect_node(
        &self,
        direct: &Direct,
        node: &direct::Node,
    ) -> RedisResult<PlainConn> {
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
    pub(super) fn learn_slots(&self, direct: &Direct) -> Option<Result<()>> {
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
    pub(super) fn write_direct(
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
    pub(super) fn write_nodes(
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
    pub(super) fn follow_asks(
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
}
