//! A Redis Cluster: a key layout that keeps a hit to one command on one
//! node, over [`RedisBackend`] in cluster mode.
//!
//! A cluster refuses a command whose keys lie in different slots
//! (`CROSSSLOT`), and an entry's tags are shared by many entries, so they
//! cannot all sit in its slot. The layout keeps a *copy* of each tag next
//! to the entries that depend on it instead:
//!
//! - Every key is placed in one of `shards` shards (16 by default) by a
//!   hash of the key, and is stored as `{t}key`, where the hash tag `{t}`
//!   is the shard's: chosen so that the shards fall in evenly spaced parts
//!   of the slot space, which `redis-cli --cluster create` hands to the
//!   masters in contiguous ranges (so 16 shards spread over 2, 4, 8 or 16
//!   masters evenly, and over 3 within one shard).
//! - An entry's tags are read from, and created in, the entry's shard, and
//!   so is its fill lease: a hit is one `MGET` to one node, as on one
//!   server; a miss's claim and its fill are one pipeline each.
//! - A bump writes the tag's new version to every shard's copy: one
//!   pipeline per master over the plain transport (a deadline for the
//!   whole reply), ending in a `WAIT` until its replicas have it (see
//!   [`RedisOptions::replicas`]). If that fails (a node down or hung, the
//!   breaker open), the bump is owed, and every master that takes it
//!   still gets it. Every copy gets the same new version, and
//!   an entry is only ever checked against its own shard's copy, so the
//!   protocol holds shard by shard, exactly as on one server.
//!
//! The price: a bump writes `shards` keys per tag, and tags take `shards`
//! times the memory (a tag is about 60 bytes). The other way, reading the
//! tags where they live, costs a command per node touched on every hit.

#[cfg(feature = "tokio")]
mod cluster_async;

use super::redis::cluster_link::{SLOTS, slot};
use super::redis::{RedisBackend, RedisOptions, glob_prefix};
use super::{Backend, Capabilities, Claim, EntryStore, Fetched, Incr, TagStore};
use crate::config::MAX_SHARDS;
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// Storage in a Redis Cluster (`redis+cluster://` URLs).
pub struct ClusterBackend {
    pub(super) redis: Arc<RedisBackend>,
    /// Each shard's hash tag, `{n}`.
    shards: Vec<String>,
}

impl std::fmt::Debug for ClusterBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBackend")
            .field("redis", &self.redis)
            .field("shards", &self.shards.len())
            .finish()
    }
}

impl ClusterBackend {
    /// A backend for the cluster whose nodes include `nodes`
    /// (`redis://[:password@]host:port` each), with keys spread over
    /// `shards` shards (1 to [`MAX_SHARDS`]). Connects lazily.
    pub fn connect(nodes: &[String], shards: u16, options: RedisOptions) -> Result<Self> {
        Ok(ClusterBackend {
            redis: Arc::new(RedisBackend::connect_cluster(nodes, options)?),
            shards: shard_tags(shards.clamp(1, MAX_SHARDS)),
        })
    }

    /// The hash tag of the shard of `key`.
    pub(super) fn shard_of(&self, key: &str) -> &str {
        let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        &self.shards[(hash % self.shards.len() as u64) as usize]
    }

    /// `key` as stored: behind its own shard's hash tag.
    pub(super) fn place(&self, key: &str) -> String {
        placed(self.shard_of(key), key)
    }

    fn place_all(&self, keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| self.place(k)).collect()
    }

    /// `tags` as stored in the shard of the entry `entry` (where its reads,
    /// its claim's creations and its lease go).
    pub(super) fn beside(
        &self,
        entry: &str,
        tags: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Vec<String> {
        let shard = self.shard_of(entry);
        tags.into_iter()
            .map(|t| placed(shard, t.as_ref()))
            .collect()
    }

    /// Every shard's copy of each tag, each with its tag's version: what a
    /// write of versions writes.
    pub(super) fn every_copy(&self, tags: &[(&str, u64)]) -> (Vec<String>, Vec<u64>) {
        tags.iter()
            .flat_map(|(tag, v)| self.shards.iter().map(move |s| (placed(s, tag), *v)))
            .unzip()
    }
}

/// `copies` paired with `versions`, as the stores take them.
pub(super) fn paired(
    copies: &[String],
    versions: impl IntoIterator<Item = u64>,
) -> Vec<(&str, u64)> {
    copies.iter().map(String::as_str).zip(versions).collect()
}

/// `key` behind the hash tag `shard`.
pub(super) fn placed(shard: &str, key: &str) -> String {
    let mut out = String::with_capacity(shard.len() + key.len());
    out.push_str(shard);
    out.push_str(key);
    out
}

pub(super) fn refs(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect()
}

/// For each of `n` shards, the first hash tag `{k}` (k = 0, 1, ...) whose
/// slot lies in the shard's `1/n` of the slot space.
fn shard_tags(n: u16) -> Vec<String> {
    (0..u32::from(n))
        .map(|i| {
            let (from, to) = (i * SLOTS / u32::from(n), (i + 1) * SLOTS / u32::from(n));
            (0u32..)
                .map(|k| k.to_string())
                .find(|k| (from..to).contains(&slot(k.as_bytes())))
                .map(|k| format!("{{{k}}}"))
                .expect("every range of slots has a hash tag")
        })
        .collect()
}

impl TagStore for ClusterBackend {
    /// Every shard's copy of each tag gets the tag's new version.
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        let (copies, versions) = self.every_copy(tags);
        let versions = paired(&copies, versions);
        let written = self.redis.write_versions(&versions, ttl);
        if written.is_err() {
            self.redis.write_best_effort(&versions, ttl);
        }
        written
    }

    fn create_versions(&self, entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        let copies = self.beside(entry, tags.iter().map(|(t, _)| t));
        let tags = paired(&copies, tags.iter().map(|(_, v)| *v));
        self.redis.create_versions(entry, &tags, ttl)
    }

    fn read_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        let copies = self.beside(entry, tags);
        self.redis.read_versions(entry, &refs(&copies))
    }
}

impl EntryStore for ClusterBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        let copies = self.beside(key, tags);
        let entry = self.place(key);
        let Some(claim) = claim else {
            return self.redis.read_entry(&entry, &refs(&copies), None);
        };
        // The lease and the created tags, beside the entry.
        let placed = self.beside(
            key,
            [claim.lease]
                .into_iter()
                .chain(claim.create.iter().map(|(t, _)| *t)),
        );
        let create = paired(&placed[1..], claim.create.iter().map(|(_, v)| *v));
        let claim = Claim {
            lease: &placed[0],
            create: &create,
            ..*claim
        };
        self.redis.read_entry(&entry, &refs(&copies), Some(&claim))
    }

    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        let lease = release.map(|lease| placed(self.shard_of(key), lease));
        self.redis
            .fill(&self.place(key), bytes, ttl, lease.as_deref())
    }
}

impl Backend for ClusterBackend {
    fn serves_entries(&self) -> bool {
        self.redis.serves_entries()
    }

    fn kind(&self) -> &'static str {
        "cluster"
    }

    fn capabilities(&self) -> Capabilities {
        self.redis.capabilities()
    }

    fn dropped_entries(&self) -> u64 {
        self.redis.dropped()
    }

    #[cfg(feature = "tokio")]
    fn async_store(self: Arc<Self>) -> Option<Arc<dyn super::AsyncStore>> {
        cluster_async::AsyncCluster::of(self)
            .map(|twin| Arc::new(twin) as Arc<dyn super::AsyncStore>)
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.redis.get(&self.place(key))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.redis.get_many(&refs(&self.place_all(keys)))
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.redis.set(&self.place(key), value, ttl)
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        let keys: Vec<String> = entries.iter().map(|(k, _)| self.place(k)).collect();
        let entries: Vec<(&str, Bytes)> = keys
            .iter()
            .zip(entries)
            .map(|(key, (_, value))| (key.as_str(), value.clone()))
            .collect();
        self.redis.set_many(&entries, ttl)
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        self.redis.add(&self.place(key), value, ttl)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.redis.delete(&self.place(key))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        self.redis.delete_many(&refs(&self.place_all(keys)))
    }

    fn add_lease(&self, entry: &str, lease: &str, ttl: Duration) -> Result<bool> {
        let lease = placed(self.shard_of(entry), lease);
        self.redis.add(&lease, Bytes::from_static(b"1"), Some(ttl))
    }

    fn release_lease(&self, entry: &str, lease: &str) -> Result<()> {
        let lease = placed(self.shard_of(entry), lease);
        self.redis.delete(&lease).map(drop)
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        self.redis.has_key(&self.place(key))
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        self.redis.touch(&self.place(key), ttl)
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        self.redis.incr(&self.place(key), delta)
    }

    /// `SCAN` on every master for `{*}prefix*`, keeping the keys whose
    /// part after the hash tag starts with `prefix`.
    /// The keys as the other methods name them: without the hash tag that
    /// places them (a tag's copies, once each).
    fn keys_under(&self, prefix: &str, each: &mut dyn FnMut(&[String])) -> Result<bool> {
        let pattern = format!("{{*}}{}", glob_prefix(prefix));
        self.redis.scan_matching(&pattern, &mut |keys| {
            let keys: Vec<String> = keys
                .iter()
                .filter_map(|key| {
                    let close = key.iter().position(|b| *b == b'}')?;
                    let key = &key[close + 1..];
                    key.starts_with(prefix.as_bytes())
                        .then(|| String::from_utf8_lossy(key).into_owned())
                })
                .collect();
            each(&keys);
            Ok(())
        })?;
        Ok(true)
    }

    fn clear(&self, prefix: &str) -> Result<()> {
        let pattern = format!("{{*}}{}", glob_prefix(prefix));
        self.redis.unlink_matching(&pattern, |key| {
            key.iter()
                .position(|b| *b == b'}')
                .is_some_and(|close| key[close + 1..].starts_with(prefix.as_bytes()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_the_specifications() {
        // The specification's test vector, and keys checked with a real
        // server's CLUSTER KEYSLOT.
        assert_eq!(slot(b"123456789"), 0x31C3 % SLOTS);
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"x"), 16287);
    }

    #[test]
    fn shards_fall_in_evenly_spaced_slot_ranges() {
        for n in [1u16, 3, 16, 100] {
            let tags = shard_tags(n);
            assert_eq!(tags.len(), usize::from(n));
            for (i, tag) in tags.iter().enumerate() {
                let inner = tag.trim_start_matches('{').trim_end_matches('}');
                let s = slot(inner.as_bytes());
                let i = i as u32;
                assert!(
                    (i * SLOTS / u32::from(n)..(i + 1) * SLOTS / u32::from(n)).contains(&s),
                    "{tag}: slot {s}"
                );
            }
        }
    }
}
