//! A cluster's hits sent straight to the master that serves their slot,
//! over this crate's plain transport ([`super::plain`]) instead of
//! redis-rs's cluster connection, which parses every command to route it
//! and every reply into a generic value (measured: BENCHMARKS.md,
//! `design.cluster_hit_via_redis_rs`).
//!
//! The slot map is learned from `CLUSTER NODES`, asked of one node after
//! another over the plain transport, no other node asked once a response
//! timeout has passed (redis-rs's cluster connection, asked first, connected to every node
//! and retried: against a cluster with a hung master it took about six
//! seconds a call), and forgotten at the first redirection; a node that no
//! longer serves a slot says so (`MOVED`), and the read then goes the
//! redis-rs way, which follows redirections.

use super::cluster_link::{Master, hash_tag, masters_of, slot};
use super::plain::{PlainConn, Target};
use super::pool::Pool;
use redis::RedisResult;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a slot map (and its replica counts) is trusted.
const MAP_TTL: Duration = Duration::from_secs(1);

/// The slot map and a pool of plain connections per master.
pub(super) struct Direct {
    /// Authentication for every node (from the first node's URL).
    pub(super) settings: redis::RedisConnectionInfo,
    map: RwLock<Option<Arc<SlotMap>>>,
    pool_size: usize,
    /// The nodes of the URLs.
    seeds: Vec<(String, u16)>,
    /// Every node the map may be asked of: the masters last learned, then
    /// the seeds.
    nodes: RwLock<Vec<(String, u16)>>,
    /// Where the next reading of the map starts among `nodes` (a node
    /// that did not answer is not asked first again).
    next: AtomicUsize,
}

struct SlotMap {
    /// `(first, last, node)` per range of slots.
    ranges: Vec<(u16, u16, usize)>,
    /// Each master, with how many replicas could replace it.
    nodes: Vec<(Arc<Node>, u32)>,
    learned: Instant,
}

/// A master and its plain connections.
pub(super) struct Node {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) pool: Pool<PlainConn>,
}

impl Direct {
    pub(super) fn new(
        settings: redis::RedisConnectionInfo,
        pool_size: usize,
        nodes: Vec<(String, u16)>,
    ) -> Self {
        Direct {
            settings,
            map: RwLock::new(None),
            pool_size,
            nodes: RwLock::new(nodes.clone()),
            seeds: nodes,
            next: AtomicUsize::new(0),
        }
    }

    /// The masters (`CLUSTER NODES`), asked of the known nodes one after
    /// another until one answers, each within `connect_timeout` and
    /// `response_timeout`, and no other is asked once `response_timeout`
    /// has passed: one hung node costs a call one of each, not one per
    /// node. Of the failures, a node in trouble's is returned (it opens the
    /// breaker) rather than another's error reply.
    pub(super) fn read_masters(
        &self,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> RedisResult<Vec<Master>> {
        let nodes = self.nodes.read().map(|n| n.clone()).unwrap_or_default();
        let started = Instant::now();
        let first = self.next.load(Ordering::Relaxed);
        let mut failed = None;
        for i in 0..nodes.len() {
            if failed.is_some() && started.elapsed() >= response_timeout {
                break;
            }
            let (host, port) = &nodes[(first + i) % nodes.len()];
            let target = Target {
                host,
                port: *port,
                settings: &self.settings,
                connect_timeout,
                response_timeout,
            };
            let asked = PlainConn::connect(&target).and_then(|mut conn| {
                redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query::<String>(&mut conn)
            });
            match asked {
                Ok(text) => return Ok(masters_of(&text)),
                Err(e) => {
                    self.next.store(first + i + 1, Ordering::Relaxed);
                    if !failed
                        .as_ref()
                        .is_some_and(super::failures::server_in_trouble)
                    {
                        failed = Some(e);
                    }
                }
            }
        }
        Err(failed.unwrap_or_else(|| {
            redis::RedisError::from((redis::ErrorKind::Client, "no cluster node to ask"))
        }))
    }

    /// Whether a slot map is known and recent.
    pub(super) fn knows_slots(&self) -> bool {
        self.map
            .read()
            .is_ok_and(|m| m.as_ref().is_some_and(|m| m.learned.elapsed() < MAP_TTL))
    }

    /// Whether any slot map is known, however old.
    pub(super) fn knows_any_slots(&self) -> bool {
        self.map.read().is_ok_and(|m| m.is_some())
    }

    /// The master serving `keys`, if they share a slot and the map knows
    /// it, with how many replicas could replace it.
    pub(super) fn node_for(&self, keys: &[&str]) -> Option<(Arc<Node>, u32)> {
        let tag = hash_tag(keys.first()?.as_bytes());
        if keys[1..].iter().any(|k| hash_tag(k.as_bytes()) != tag) {
            return None;
        }
        let slot = u16::try_from(slot(tag)).ok()?;
        let map = self.map.read().ok()?.clone()?;
        let (_, _, node) = map
            .ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&slot))?;
        Some(map.nodes[*node].clone())
    }

    /// Whether the map is known and no master in it serves `key`'s slot:
    /// its master failed and no replica replaced it yet (the cluster is
    /// down, or failing over).
    pub(super) fn unserved(&self, key: &str) -> bool {
        let Ok(slot) = u16::try_from(slot(hash_tag(key.as_bytes()))) else {
            return false;
        };
        self.map.read().is_ok_and(|m| {
            m.as_ref().is_some_and(|m| {
                !m.ranges
                    .iter()
                    .any(|(first, last, _)| (*first..=*last).contains(&slot))
            })
        })
    }

    /// Forgets the slot map (it may be out of date).
    pub(super) fn forget(&self) {
        if let Ok(mut map) = self.map.write() {
            *map = None;
        }
    }

    /// Learns the slot map, keeping the connections of masters it knew.
    pub(super) fn learn(&self, masters: Vec<Master>) {
        let known: Vec<Arc<Node>> = self
            .map
            .read()
            .ok()
            .and_then(|m| m.clone())
            .map(|m| m.nodes.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        let mut map = SlotMap {
            ranges: Vec::new(),
            nodes: Vec::new(),
            learned: Instant::now(),
        };
        for master in masters {
            let node = known
                .iter()
                .find(|n| n.host == master.host && n.port == master.port)
                .cloned()
                .unwrap_or_else(|| {
                    Arc::new(Node {
                        host: master.host.clone(),
                        port: master.port,
                        pool: Pool::checked(self.pool_size, PlainConn::is_alive),
                    })
                });
            let at = map.nodes.len();
            map.nodes.push((node, master.replicas));
            map.ranges
                .extend(master.slots.iter().map(|(first, last)| (*first, *last, at)));
        }
        // Asked next time: these masters, then the seeds (bounded).
        let mut nodes: Vec<(String, u16)> = map
            .nodes
            .iter()
            .map(|(n, _)| (n.host.clone(), n.port))
            .collect();
        for seed in &self.seeds {
            if !nodes.contains(seed) {
                nodes.push(seed.clone());
            }
        }
        if let Ok(mut asked) = self.nodes.write() {
            *asked = nodes;
        }
        if let Ok(mut current) = self.map.write() {
            *current = Some(Arc::new(map));
        }
    }
}
