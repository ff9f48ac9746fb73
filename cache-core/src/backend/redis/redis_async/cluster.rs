//! On a Redis Cluster: a write of versions as one pipeline per master, and
//! the slot map the hit path goes by.

use super::AsyncRedis;
use super::connections::{Conn, within};
use crate::backend::redis::Server;
use crate::backend::redis::cluster_link::masters_of;
use crate::backend::redis::commands::{NOT_REPLICATED, deletes_instead, tag_cmds};
use crate::backend::redis::direct::{Direct, Node};
use crate::backend::redis::failures::server_in_trouble;
use crate::error::Result;
use crate::timeout::Ttl;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisResult, Value};
use std::sync::Arc;
use std::time::Duration;

impl AsyncRedis {
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
    pub(super) async fn master_of(
        &self,
        direct: &Direct,
        keys: &[&str],
    ) -> Result<Option<(String, u16)>> {
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
