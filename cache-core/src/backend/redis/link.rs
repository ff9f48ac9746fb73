//! [`Link`]: a connection over any transport (this crate's plain one,
//! redis-rs's, or a cluster's), and what each does differently.

use super::cluster_link::ClusterLink;
use super::commands::{check_acknowledged, mget_reply, spread_pipeline};
use super::plain::PlainConn;
use bytes::Bytes;
use redis::{Cmd, ConnectionLike, RedisResult, Value};
use std::time::Duration;

/// A connection over any transport.
pub(super) enum Link {
    Plain(PlainConn),
    RedisRs(redis::Connection),
    Cluster(Box<ClusterLink>),
}

impl Link {
    /// Whether a connection idle in the pool a while still works (see
    /// `pool.rs`): a look at a plain connection's socket; a `PING` on
    /// redis-rs's (TLS, RESP3); a cluster connection reconnects itself.
    pub(super) fn is_alive(&mut self) -> bool {
        match self {
            Link::Plain(c) => c.is_alive(),
            Link::RedisRs(c) => c.is_open() && c.check_connection(),
            Link::Cluster(_) => true,
        }
    }

    pub(super) fn like(&mut self) -> &mut dyn ConnectionLike {
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
    pub(super) fn send_unanswered(&mut self, packed: &[u8], replies: usize) -> RedisResult<()> {
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
    /// `guarded`, `packed` ends with a hit's guard: see [`guard`](super::guard)).
    pub(super) fn mget(
        &mut self,
        packed: &[u8],
        n: usize,
        guarded: bool,
    ) -> RedisResult<Vec<Option<Bytes>>> {
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
    pub(super) fn write_spread(
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
    pub(super) fn on_node<T: redis::FromRedisValue>(
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
