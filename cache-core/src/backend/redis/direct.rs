//! A cluster's hits sent straight to the master that serves their slot,
//! over this crate's plain transport ([`super::plain`]) instead of
//! redis-rs's cluster connection, which parses every command to route it
//! and every reply into a generic value (measured: a cluster hit cost
//! 1.22-1.57x a one-server hit through it, with the servers' own round
//! trips equal).
//!
//! The slot map is learned from `CLUSTER NODES` (through the cluster
//! connection) and forgotten at the first error; a node that no longer
//! serves a slot says so (`MOVED`), and the read then goes the redis-rs
//! way, which follows redirections.

use super::cluster_link::{Master, hash_tag};
use super::plain::PlainConn;
use super::pool::Pool;
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
    pub(super) fn new(settings: redis::RedisConnectionInfo, pool_size: usize) -> Self {
        Direct {
            settings,
            map: RwLock::new(None),
            pool_size,
        }
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
        let slot = u16::try_from(crate::backend::cluster::slot(tag)).ok()?;
        let map = self.map.read().ok()?.clone()?;
        let (_, _, node) = map
            .ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&slot))?;
        Some(map.nodes[*node].clone())
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
        if let Ok(mut current) = self.map.write() {
            *current = Some(Arc::new(map));
        }
    }
}
