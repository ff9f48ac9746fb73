//! The [`AsyncStore`] itself: each of the store's calls as the pipelines
//! it runs (built by the sync store's functions).

use super::AsyncRedis;
use crate::backend::redis::commands::{
    announce_pipeline, batch_fetched, batch_keys, claim_pipeline, create_pipeline, deletes_instead,
    entry_keys, fetched, fill_pipeline, mget_reply, set_cmd, swap_pipeline, tag_cmds,
};
use crate::backend::redis::{Server, guard};
use crate::backend::{Announce, AsyncStore, BoxFuture, Claim, Fetched, Noting, Swap};
use crate::error::Result;
use crate::protocol::stamp::{parse_version, version_text};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::Value;
use std::time::Duration;

impl AsyncStore for AsyncRedis {
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let keys = entry_keys(key, tags);
            let plain = match (claim, self.plain_server(), &self.redis.server) {
                (None, Some(server), _) => Some(server),
                (None, None, Server::Cluster(_, direct)) => self.master_of(direct, &keys).await?,
                _ => None,
            };
            if let Some((host, port)) = plain {
                match self.mget_plain(&host, port, &keys).await {
                    Ok(found) => return Ok(fetched(found, false, self.redis.serves_entries())),
                    // A cluster node's answer (MOVED, ASK, CLUSTERDOWN):
                    // the map is out of date; redis-rs follows it.
                    Err(crate::Error::Backend { .. })
                        if let Server::Cluster(_, direct) = &self.redis.server =>
                    {
                        direct.forget();
                    }
                    Err(e) => return Err(e),
                }
            }
            let (leased, found) = match claim {
                None => {
                    let mut pipe = redis::pipe();
                    pipe.cmd("MGET").arg(&keys);
                    pipe.add_command(guard::guard_cmd(keys[0]));
                    let (found, _guard): (Value, i64) = self.run(&pipe).await?;
                    (false, found)
                }
                Some(claim) => {
                    let (added, found): (Option<String>, Value) =
                        self.run(&claim_pipeline(&keys, claim)).await?;
                    (added.is_some(), found)
                }
            };
            let found = mget_reply(found, keys.len()).map_err(|e| self.redis.map_error(e))?;
            Ok(fetched(found, leased, self.redis.serves_entries()))
        })
    }

    /// One `MGET` (and the hit's guard) on one server, as the sync store's.
    fn read_entries<'a>(
        &'a self,
        reads: &'a [(&'a str, &'a [&'a str])],
    ) -> BoxFuture<'a, Result<Vec<Fetched>>> {
        Box::pin(async move {
            if reads.len() < 2 || matches!(self.redis.server, Server::Cluster(..)) {
                return crate::backend::store_async::one_by_one(self, reads).await;
            }
            let (keys, places) = batch_keys(reads);
            let found = match self.plain_server() {
                Some((host, port)) => self.mget_plain(&host, port, &keys).await?,
                None => {
                    let mut pipe = redis::pipe();
                    pipe.cmd("MGET").arg(&keys);
                    pipe.add_command(guard::guard_cmd(keys[0]));
                    let (found, _guard): (Value, i64) = self.run(&pipe).await?;
                    mget_reply(found, keys.len()).map_err(|e| self.redis.map_error(e))?
                }
            };
            Ok(batch_fetched(found, &places, self.redis.serves_entries()))
        })
    }

    fn fill<'a>(
        &'a self,
        key: &'a str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.run(&fill_pipeline(key, &bytes, ttl, release)).await })
    }

    fn create_versions<'a>(
        &'a self,
        _entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>> {
        Box::pin(async move {
            if tags.is_empty() {
                return Ok(Vec::new());
            }
            let found: Vec<Option<Vec<u8>>> = self.run(&create_pipeline(tags, ttl)).await?;
            let mut versions = Vec::with_capacity(tags.len());
            for (theirs, (tag, mine)) in found.into_iter().zip(tags) {
                match theirs.as_deref().map(parse_version) {
                    None => versions.push(*mine),
                    Some(Some(theirs)) => versions.push(theirs),
                    // Not a version (damaged): replaced by ours, which no
                    // entry can hold yet.
                    Some(None) => {
                        let mut pipe = redis::pipe();
                        pipe.add_command(set_cmd(tag, &version_text(*mine), ttl));
                        self.run::<()>(&pipe).await?;
                        versions.push(*mine);
                    }
                }
            }
            Ok(versions)
        })
    }

    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if tags.is_empty() {
                return Ok(());
            }
            match self.write_tags(tag_cmds(tags, ttl, false)).await {
                Err(refused) if deletes_instead(&refused) => {
                    let deleted = self.write_tags(tag_cmds(tags, ttl, true)).await;
                    self.redis.deleted_instead(refused, deleted)
                }
                written => written,
            }
        })
    }

    fn add_lease<'a>(
        &'a self,
        _entry: &'a str,
        lease: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut set = set_cmd(lease, b"1", Some(ttl));
            set.arg("NX");
            let mut pipe = redis::pipe();
            pipe.add_command(set);
            let (added,): (Option<String>,) = self.run(&pipe).await?;
            Ok(added.is_some())
        })
    }

    fn release_lease<'a>(&'a self, _entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("DEL").arg(lease).ignore();
            self.run::<()>(&pipe).await
        })
    }

    /// As the sync store's (the same pipeline), where it writes through.
    fn announce_and_note<'a>(
        &'a self,
        announce: Announce<'a>,
    ) -> BoxFuture<'a, Result<Option<Noting>>> {
        Box::pin(async move {
            if !self.redis.writes_through() {
                return Ok(None);
            }
            let reply = self.run(&announce_pipeline(&announce)).await;
            self.redis.noted(reply)
        })
    }

    /// As the sync store's (the same `EVAL`), where it writes through.
    fn swap_and_fill<'a>(&'a self, swap: Swap<'a>) -> BoxFuture<'a, Result<Option<bool>>> {
        Box::pin(async move {
            if !self.redis.writes_through() {
                return Ok(None);
            }
            let pipe = swap_pipeline(&swap);
            let (put,): (i64,) = self.run_resending(&pipe, false).await?;
            Ok(Some(put == 1))
        })
    }
}
