//! The tiered store's non-blocking twin ([`AsyncStore`]): the same local
//! tier (a read it can answer completes at its first poll, with no I/O),
//! and past it the Redis store's twin ([`AsyncRedis`]: same pipelines,
//! same breaker and grace as the sync store). What a reply teaches the
//! tier, and what a write makes it forget, are the sync store's own
//! functions, called after the await instead of after the blocking call.

use super::TieredBackend;
use crate::backend::redis::redis_async::AsyncRedis;
use crate::backend::{Announce, AsyncStore, BoxFuture, Claim, Fetched, Noting, Swap};
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct AsyncTiered {
    tiered: Arc<TieredBackend>,
    remote: AsyncRedis,
}

impl std::fmt::Debug for AsyncTiered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncTiered")
            .field("remote", &self.remote)
            .finish()
    }
}

impl AsyncTiered {
    /// The twin of `tiered` (whose Redis is one server over TCP).
    pub(super) fn of(tiered: Arc<TieredBackend>) -> Option<Self> {
        let remote = AsyncRedis::of(tiered.remote.clone())?;
        Some(AsyncTiered { tiered, remote })
    }
}

impl AsyncStore for AsyncTiered {
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let tiered = &self.tiered;
            if let Some(claim) = claim {
                // As the sync store's `claiming_read`.
                let answer = self.remote.read_entry(key, tags, Some(claim)).await;
                tiered.claimed(claim);
                return answer;
            }
            if let Some(found) = tiered.local_answer(key, tags) {
                return Ok(found);
            }
            let before = tiered.before_reading(tags);
            let (mut fetched, ttl) = self.remote.read_entry_with_ttl(key, tags).await?;
            tiered.learn_reply(key, tags, before, &mut fetched, ttl);
            Ok(fetched)
        })
    }

    /// As the sync store's: one round trip for what the local tier lacks.
    fn read_entries<'a>(
        &'a self,
        reads: &'a [(&'a str, &'a [&'a str])],
    ) -> BoxFuture<'a, Result<Vec<Fetched>>> {
        Box::pin(async move {
            let tiered = &self.tiered;
            let (mut found, remote) = tiered.local_answers(reads);
            if remote.len() > 1 {
                let asked: Vec<(&str, &[&str])> = remote.iter().map(|&i| reads[i]).collect();
                let before = asked
                    .iter()
                    .map(|(_, tags)| tiered.before_reading(tags))
                    .collect();
                let replies = self.remote.read_entries_with_ttl(&asked).await?;
                tiered.learn_replies(reads, &remote, before, replies, &mut found);
            }
            let mut answers = Vec::with_capacity(reads.len());
            for ((key, tags), found) in reads.iter().zip(found) {
                answers.push(match found {
                    Some(found) => found,
                    None => self.read_entry(key, tags, None).await?,
                });
            }
            Ok(answers)
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
            let stored = self.remote.fill(key, bytes.clone(), ttl, release).await;
            self.tiered
                .filled(key, &bytes, ttl, release, stored.is_ok());
            stored
        })
    }

    fn create_versions<'a>(
        &'a self,
        entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>> {
        Box::pin(async move {
            let created = self.remote.create_versions(entry, tags, ttl).await;
            self.tiered.wrote_versions(tags);
            created
        })
    }

    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let written = self.remote.write_versions(tags, ttl).await;
            self.tiered.wrote_versions(tags);
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
            let added = self.remote.add_lease(entry, lease, ttl).await;
            self.tiered.wrote(&[lease]);
            added
        })
    }

    fn release_lease<'a>(&'a self, entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let released = self.remote.release_lease(entry, lease).await;
            self.tiered.wrote(&[lease]);
            released
        })
    }

    fn announce_and_note<'a>(
        &'a self,
        announce: Announce<'a>,
    ) -> BoxFuture<'a, Result<Option<Noting>>> {
        Box::pin(async move {
            let noted = self.remote.announce_and_note(announce).await;
            self.tiered.wrote_versions(announce.pending);
            self.tiered.wrote_versions(&[announce.own]);
            noted
        })
    }

    fn swap_and_fill<'a>(&'a self, swap: Swap<'a>) -> BoxFuture<'a, Result<Option<bool>>> {
        Box::pin(async move {
            let (tag, version, key, ttl) = (swap.tag, swap.version, swap.key, swap.ttl);
            let bytes = swap.bytes.clone();
            let bump = swap.bump;
            let swapped = self.remote.swap_and_fill(swap).await;
            self.tiered.wrote_versions(&[(tag, version)]);
            self.tiered.wrote_versions(bump);
            let put = matches!(swapped, Ok(Some(true)));
            self.tiered.filled(key, &bytes, ttl, None, put);
            swapped
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::EntryStore;

    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_write_through_the_twin_forgets_what_this_process_knew_even_when_it_fails() {
        let tiered = Arc::new(super::super::tests::unreachable());
        let twin = AsyncTiered::of(tiered.clone()).unwrap();
        let tags = &tiered.channel.tags;
        let claim = Claim {
            lease: "p:x:l",
            lease_ttl: Duration::from_secs(1),
            create: &[("p:t:a", 2)],
            tag_ttl: None,
        };
        run(async {
            for write in 0..3 {
                tags.learn("p:t:a", tags.before("p:t:a"), 1);
                let failed = match write {
                    0 => twin.write_versions(&[("p:t:a", 2)], None).await.is_err(),
                    1 => twin
                        .create_versions("p:d:x", &[("p:t:a", 2)], None)
                        .await
                        .is_err(),
                    _ => twin
                        .read_entry("p:d:x", &["p:t:a"], Some(&claim))
                        .await
                        .is_err(),
                };
                assert!(failed, "write {write}: Redis is not there");
                assert_eq!(tags.get("p:t:a"), None, "write {write}");
            }
        });
    }

    #[test]
    fn without_tracking_the_twin_answers_nothing_locally() {
        let tiered = Arc::new(super::super::tests::unreachable());
        let twin = AsyncTiered::of(tiered.clone()).unwrap();
        tiered.local.keep("p:d:x", &Bytes::from_static(b"1"), None);
        let tags = &tiered.channel.tags;
        // The tracking thread's failed connects forget every tag, and one
        // can land between the learning and the check: learn again then.
        let known = (0..1000).any(|_| {
            tags.learn("p:t:a", tags.before("p:t:a"), 1);
            tiered.local_read("p:d:x", &["p:t:a"]).is_some()
        });
        assert!(known, "known");
        let read = run(twin.read_entry("p:d:x", &["p:t:a"], None));
        assert!(
            read.is_err(),
            "not fresh: goes to Redis, which is not there"
        );
        assert!(tiered.kept("p:d:x").is_none());
    }
}
