//! The Redis Cluster store's non-blocking twin ([`AsyncStore`]): the same
//! key layout as the sync store (its functions place every key), carried
//! by the Redis twin ([`AsyncRedis`]) over redis-rs's async cluster
//! connection, under the sync store's breaker and grace. A write of
//! versions goes one pipeline per master, as the sync store's does; if it
//! fails, the sync store's best-effort write runs on a blocking thread.

use super::{ClusterBackend, paired, placed, refs};
use crate::backend::redis::redis_async::AsyncRedis;
use crate::backend::{AsyncStore, BoxFuture, Claim, Fetched};
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct AsyncCluster {
    cluster: Arc<ClusterBackend>,
    redis: AsyncRedis,
}

impl std::fmt::Debug for AsyncCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncCluster")
            .field("redis", &self.redis)
            .finish()
    }
}

impl AsyncCluster {
    pub(super) fn of(cluster: Arc<ClusterBackend>) -> Option<Self> {
        let redis = AsyncRedis::of_cluster(cluster.redis.clone())?;
        Some(AsyncCluster { cluster, redis })
    }
}

impl AsyncStore for AsyncCluster {
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let c = &self.cluster;
            let copies = c.beside(key, tags);
            let entry = c.place(key);
            let Some(claim) = claim else {
                return self.redis.read_entry(&entry, &refs(&copies), None).await;
            };
            let leased = [claim.lease].into_iter();
            let placed = c.beside(key, leased.chain(claim.create.iter().map(|(t, _)| *t)));
            let create = paired(&placed[1..], claim.create.iter().map(|(_, v)| *v));
            let claim = Claim {
                lease: &placed[0],
                create: &create,
                ..*claim
            };
            let copies = refs(&copies);
            self.redis.read_entry(&entry, &copies, Some(&claim)).await
        })
    }

    fn fill<'a>(
        &'a self,
        key: &'a str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let c = &self.cluster;
            let lease = release.map(|lease| placed(c.shard_of(key), lease));
            let entry = c.place(key);
            self.redis.fill(&entry, bytes, ttl, lease.as_deref()).await
        })
    }

    fn create_versions<'a>(
        &'a self,
        entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>> {
        Box::pin(async move {
            let copies = self.cluster.beside(entry, tags.iter().map(|(t, _)| t));
            let tags = paired(&copies, tags.iter().map(|(_, v)| *v));
            self.redis.create_versions(entry, &tags, ttl).await
        })
    }

    /// Every shard's copy of each tag gets the tag's new version.
    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if tags.is_empty() {
                return Ok(());
            }
            let (copies, versions) = self.cluster.every_copy(tags);
            let versions = paired(&copies, versions);
            let written = self.redis.write_versions_by_master(&versions, ttl).await;
            if written.is_err() {
                self.redis.write_best_effort(&versions, ttl).await;
            }
            written
        })
    }

    fn add_lease<'a>(
        &'a self,
        entry: &'a str,
        lease: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let lease = placed(self.cluster.shard_of(entry), lease);
            self.redis.add_lease(entry, &lease, ttl).await
        })
    }

    fn release_lease<'a>(&'a self, entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let lease = placed(self.cluster.shard_of(entry), lease);
            self.redis.release_lease(entry, &lease).await
        })
    }
}
