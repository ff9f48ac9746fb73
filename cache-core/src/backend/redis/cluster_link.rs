//! A pooled connection to a Redis Cluster: redis-rs's cluster connection
//! (a connection per node, MOVED and ASK redirections, topology refresh),
//! plus what the store needs beyond single commands: writes whose keys lie
//! in many slots, commands on one node, and waiting for replicas.

use redis::cluster::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, ErrorKind, RedisError, RedisResult};
use std::time::{Duration, Instant};

/// The number of slots of a Redis Cluster.
pub(crate) const SLOTS: u32 = 16_384;

/// The cluster slot of a key with no hash tag: CRC16 (XMODEM) mod 16384,
/// as the Redis Cluster specification defines it, through the `crc16`
/// crate redis-rs uses for it (redis-rs computes the slot but does not
/// expose the number).
pub(crate) fn slot(key: &[u8]) -> u32 {
    u32::from(crc16::State::<crc16::XMODEM>::calculate(key)) % SLOTS
}

/// How long a read of the masters and their replicas is trusted.
const TOPOLOGY_TTL: Duration = Duration::from_secs(1);

pub(super) struct ClusterLink {
    pub(super) conn: ClusterConnection,
    /// The masters, as last read (`CLUSTER SLOTS`), and when.
    masters: Vec<Master>,
    read_at: Option<Instant>,
}

/// A master and how many replicas could replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Master {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) replicas: u32,
    /// The ranges of slots it serves.
    pub(super) slots: Vec<(u16, u16)>,
}

impl ClusterLink {
    pub(super) fn new(conn: ClusterConnection) -> Self {
        ClusterLink {
            conn,
            masters: Vec::new(),
            read_at: None,
        }
    }

    /// Runs `cmds` (each with its key), whose keys may lie in any slots (a pipeline per node,
    /// sent to every node before any reply is read). Then, unless
    /// `replicas` is 0, waits (`WAIT`, at most `wait` per master) until
    /// every master has that many replicas with the writes, or all it has
    /// that are not marked failed (a master without one cannot be replaced
    /// by one that lacks them). Fewer is an error.
    pub(super) fn write_spread(
        &mut self,
        cmds: Vec<(&str, Cmd)>,
        replicas: u32,
        wait: Duration,
    ) -> RedisResult<()> {
        let mut pipe = redis::cluster::cluster_pipe();
        for (_, cmd) in &cmds {
            pipe.add_command(cmd.clone()).ignore();
        }
        pipe.exec(&mut self.conn)?;
        if replicas == 0 {
            return Ok(());
        }
        if self.read_at.is_none_or(|at| at.elapsed() > TOPOLOGY_TTL) {
            self.read_topology()?;
        }
        if self.wait_for_replicas(replicas, wait)?.is_none() {
            return Ok(());
        }
        // A replica may have failed or a master been replaced since the
        // topology was read: read it again, and wait by it once more.
        self.read_topology()?;
        match self.wait_for_replicas(replicas, wait)? {
            None => Ok(()),
            Some(short) => Err(short),
        }
    }

    /// Writes `cmds` a slot at a time (a pipeline per hash tag), going on
    /// past a node that refuses or fails, but not past one that does not
    /// answer in time (each try would wait as long): true if one did not.
    pub(super) fn write_slot_by_slot(&mut self, cmds: &[(&str, Cmd)]) -> bool {
        let mut slots: Vec<(&[u8], redis::cluster::ClusterPipeline)> = Vec::new();
        for (key, cmd) in cmds {
            let tag = hash_tag(key.as_bytes());
            let at = match slots.iter().position(|(t, _)| *t == tag) {
                Some(at) => at,
                None => {
                    slots.push((tag, redis::cluster::cluster_pipe()));
                    slots.len() - 1
                }
            };
            slots[at].1.add_command(cmd.clone()).ignore();
        }
        for (_, pipe) in slots {
            if let Err(e) = pipe.exec(&mut self.conn)
                && e.is_timeout()
            {
                return true;
            }
        }
        false
    }

    /// `None` when every master had its replicas acknowledge; else the error.
    fn wait_for_replicas(
        &mut self,
        replicas: u32,
        wait: Duration,
    ) -> RedisResult<Option<RedisError>> {
        for master in self.masters.clone() {
            let needed = replicas.min(master.replicas);
            if needed == 0 {
                continue;
            }
            let mut cmd = redis::cmd("WAIT");
            cmd.arg(needed).arg(wait.as_millis().max(1) as u64);
            let acknowledged: i64 = self.on_node(Some((&master.host, master.port)), &cmd)?;
            if acknowledged < i64::from(needed) {
                return Ok(Some(RedisError::from((
                    ErrorKind::Client,
                    "a write of tag versions was not replicated",
                    format!(
                        "{acknowledged} of {needed} replicas of {}:{} acknowledged within {wait:?}",
                        master.host, master.port
                    ),
                ))));
            }
        }
        Ok(None)
    }

    /// The masters' addresses, read now.
    pub(super) fn masters(&mut self) -> RedisResult<Vec<(String, u16)>> {
        self.read_topology()?;
        Ok(self
            .masters
            .iter()
            .map(|m| (m.host.clone(), m.port))
            .collect())
    }

    /// Reads the masters and how many replicas could replace each
    /// (`CLUSTER NODES`): every replica the cluster has not marked failed,
    /// connected or not, synced or not (a replica cut off from its master
    /// can still be promoted, so a wait for it must fail).
    fn read_topology(&mut self) -> RedisResult<()> {
        // One node's view (redis-rs would ask every node and map the replies).
        let any = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
        let reply = self
            .conn
            .route_command(redis::cmd("CLUSTER").arg("NODES"), any)?;
        let text: String = redis::from_redis_value(reply)?;
        self.masters = masters_of(&text);
        self.read_at = Some(Instant::now());
        Ok(())
    }

    /// Runs `cmd` on the node at `node`, or where it routes itself.
    pub(super) fn on_node<T: redis::FromRedisValue>(
        &mut self,
        node: Option<(&str, u16)>,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        let Some((host, port)) = node else {
            return cmd.query(&mut self.conn);
        };
        let to = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
            host: host.to_owned(),
            port,
        });
        Ok(redis::from_redis_value(self.conn.route_command(cmd, to)?)?)
    }
}

/// The hash tag of a key (`{...}`, the whole key without one).
pub(super) fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|b| *b == b'{') else {
        return key;
    };
    match key[open + 1..].iter().position(|b| *b == b'}') {
        Some(len) if len > 0 => &key[open + 1..open + 1 + len],
        _ => key,
    }
}

/// The masters serving slots in a `CLUSTER NODES` reply (a line per
/// node: `id host:port@bus[,hostname] flags master-id ping pong epoch link
/// slot...`), each with the replicas not marked failed (`fail`; a replica
/// only suspected, `fail?`, still counts).
pub(super) fn masters_of(nodes: &str) -> Vec<Master> {
    let lines: Vec<Vec<&str>> = nodes
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() >= 8)
        .collect();
    let failed = |flags: &str| {
        flags
            .split(',')
            .any(|f| matches!(f, "fail" | "noaddr" | "handshake"))
    };
    lines
        .iter()
        .filter(|f| f[2].split(',').any(|flag| flag == "master") && !failed(f[2]) && f.len() > 8)
        .filter_map(|f| {
            let address = f[1].split(['@', ',']).next()?;
            let (host, port) = address.rsplit_once(':')?;
            let replicas = lines
                .iter()
                .filter(|r| r[3] == f[0] && !failed(r[2]))
                .count();
            let slots = f[8..]
                .iter()
                .filter(|range| !range.starts_with('['))
                .filter_map(|range| {
                    let (from, to) = range.split_once('-').unwrap_or((range, range));
                    Some((from.parse().ok()?, to.parse().ok()?))
                })
                .collect();
            Some(Master {
                host: host.to_owned(),
                port: port.parse().ok()?,
                replicas: u32::try_from(replicas).unwrap_or(u32::MAX),
                slots,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_are_read_with_their_replicas() {
        let nodes = "\
a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
a2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922
a3 127.0.0.1:7003@17003 master,fail - 0 0 3 disconnected
a4 127.0.0.1:7004@17004,host4 master - 0 0 4 connected 10923-16382 16383 [16383->-a1]
r1 127.0.0.1:7011@17011 slave a1 0 0 1 connected
r2 127.0.0.1:7012@17012 slave,fail? a1 0 0 1 disconnected
r3 127.0.0.1:7013@17013 slave,fail a2 0 0 2 disconnected
";
        let master = |port, replicas, slots: &[(u16, u16)]| Master {
            host: "127.0.0.1".into(),
            port,
            replicas,
            slots: slots.to_vec(),
        };
        assert_eq!(
            masters_of(nodes),
            vec![
                master(7001, 2, &[(0, 5460)]),
                master(7002, 0, &[(5461, 10922)]),
                master(7004, 0, &[(10923, 16382), (16383, 16383)])
            ]
        );
        assert!(masters_of("").is_empty());
    }

    #[test]
    fn hash_tags_are_the_specifications() {
        assert_eq!(hash_tag(b"{12}app:d:1"), b"12");
        assert_eq!(hash_tag(b"app{x}y{z}"), b"x");
        assert_eq!(hash_tag(b"{}app"), b"{}app");
        assert_eq!(hash_tag(b"plain"), b"plain");
    }
}
