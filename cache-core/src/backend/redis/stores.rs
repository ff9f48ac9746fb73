//! The store traits ([`TagStore`], [`EntryStore`], [`Backend`]) for
//! [`RedisBackend`], and the reads and writes of entries and tag versions
//! behind them.

use super::commands::{
    AnnounceReply, announce_pipeline, batch_fetched, batch_keys, batch_ttl_pipeline,
    batch_ttl_reply, claim_pipeline, create_pipeline, deletes_instead, entry_keys, fetched,
    fill_pipeline, mget_reply, millis, noting, set_cmd, swap_pipeline, tag_cmds, to_bytes,
    ttl_read_pipeline,
};
use super::failures::Resend;
use super::link::Link;
use super::sentinel::TrackedServer;
use super::{INCR_EXISTING, RedisBackend, SCAN_BATCH, Server, glob_prefix};
use super::{guard, resp};
use crate::backend::{
    Announce, Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Noting, Swap, TagStore,
};
use crate::error::{Error, Result};
use crate::protocol::stamp::{parse_version, version_text};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::{Cmd, ConnectionAddr, Value};
use std::time::Duration;
#[cfg(feature = "tokio")]
use {super::redis_async, crate::backend::AsyncStore, std::sync::Arc};

impl RedisBackend {
    /// The server (under Sentinel, its sentinels), user name and password,
    /// for a tracking connection of the tiered store (`None`: not plain TCP).
    pub(crate) fn tcp_address(&self) -> Option<(TrackedServer, Option<String>, Option<String>)> {
        let (server, settings) = match &self.server {
            Server::Single(client) => {
                let info = client.get_connection_info();
                let ConnectionAddr::Tcp(host, port) = info.addr() else {
                    return None;
                };
                (
                    TrackedServer::Fixed(host.clone(), *port),
                    info.redis_settings(),
                )
            }
            Server::Sentinel(sentinels) => (
                TrackedServer::Sentinel(sentinels.clone()),
                &sentinels.settings,
            ),
            Server::Cluster(..) => return None,
        };
        Some((
            server,
            settings.username().map(str::to_owned),
            settings.password().map(str::to_owned),
        ))
    }

    /// [`EntryStore::read_entry`] without a lease, plus the entry's
    /// remaining lifetime (`PTTL`; `None` when it has none), in one round
    /// trip: what a local tier keeps a copy for.
    pub(crate) fn read_entry_with_ttl(
        &self,
        key: &str,
        tags: &[&str],
    ) -> Result<(Fetched, Option<Duration>)> {
        let pipe = ttl_read_pipeline(key, tags);
        let keys = entry_keys(key, tags);
        let (found, ttl, _guard): (Value, i64, i64) = self.with_read(&keys, |c| pipe.query(c))?;
        self.ttl_read_reply((found, ttl), tags.len())
    }

    /// [`RedisBackend::read_entry_with_ttl`] for several entries, in one
    /// round trip (one `MGET`, a `PTTL` per entry, the guard): what a local
    /// tier's batch read asks of one server.
    pub(crate) fn read_entries_with_ttl(
        &self,
        reads: &[(&str, &[&str])],
    ) -> Result<Vec<(Fetched, Option<Duration>)>> {
        let (keys, places) = batch_keys(reads);
        let pipe = batch_ttl_pipeline(&keys, reads.len());
        let reply: Vec<Value> = self.with_read(&keys, |c| pipe.query(c))?;
        self.batch_ttl_fetched(reply, keys.len(), &places)
    }

    /// The reply of [`batch_ttl_pipeline`] for `n` keys, split by `places`
    /// ([`batch_keys`]).
    pub(super) fn batch_ttl_fetched(
        &self,
        reply: Vec<Value>,
        n: usize,
        places: &[Vec<usize>],
    ) -> Result<Vec<(Fetched, Option<Duration>)>> {
        let (found, ttls) =
            batch_ttl_reply(reply, n, places.len()).map_err(|e| self.map_error(e))?;
        let fetched = batch_fetched(found, places, self.serves_entries());
        Ok(fetched.into_iter().zip(ttls).collect())
    }

    /// The reply of [`ttl_read_pipeline`] for `n` tags.
    pub(super) fn ttl_read_reply(
        &self,
        (found, ttl): (Value, i64),
        n: usize,
    ) -> Result<(Fetched, Option<Duration>)> {
        let found = mget_reply(found, 1 + n).map_err(|e| self.map_error(e))?;
        let ttl = u64::try_from(ttl).ok().map(Duration::from_millis);
        Ok((fetched(found, false, self.serves_entries()), ttl))
    }

    /// One `SET NX` then `GET` per tag: for servers before 7.0, which
    /// refuse `SET .. NX GET`.
    pub(super) fn create_one_by_one(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        tags.iter()
            .map(|(tag, mine)| {
                let text = version_text(*mine);
                if self.add(tag, text.clone(), ttl)? {
                    return Ok(*mine);
                }
                match self.get(tag)?.as_deref().and_then(parse_version) {
                    Some(theirs) => Ok(theirs),
                    // Gone again (evicted) or damaged: ours is as good as any.
                    None => self.set(tag, text, ttl).map(|()| *mine),
                }
            })
            .collect()
    }

    /// The `MGET` of an entry and its tags (`keys`), with the hit's guard
    /// behind it in the same round trip (see [`guard`]).
    pub(super) fn read_guarded(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mut packed = resp::pack_mget(keys);
        guard::push_guard(&mut packed, keys[0]);
        if let Some(found) = self.mget_direct(keys, &packed, true) {
            return found;
        }
        self.with_read(keys, |c| c.mget(&packed, keys.len(), true))
    }

    /// Writes `cmds` (a `SET` or `DEL` of each tag), on a cluster straight
    /// to each master, then waits for `replicas` replicas to have them.
    pub(super) fn write_tags(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let wait = self.response_timeout / 2;
        if let Some(written) = self.write_direct(&cmds, self.replicas, wait) {
            return written;
        }
        self.with_conn(|c| c.write_spread(cmds, self.replicas, wait))
    }

    /// [`RedisBackend::write_tags`] for deletions, which are sent again on
    /// a new connection when theirs turns out closed (a `DEL` sent twice
    /// deletes once; a version written twice could land after another
    /// writer's and bring back entries stamped with it). Under `CLIENT
    /// KILL`, the connection a bump's deletions took was killed with the
    /// one its versions went on: the bump was owed, and another process
    /// served the old row until it was delivered.
    pub(super) fn delete_tags(&self, cmds: Vec<(&str, Cmd)>) -> Result<()> {
        let wait = self.response_timeout / 2;
        self.write_direct(&cmds, self.replicas, wait)
            .unwrap_or_else(|| {
                self.run_link(Resend::Twice, |c, _| {
                    c.write_spread(cmds.clone(), self.replicas, wait)
                })
            })
    }

    /// The outcome of a write of tag versions that was `refused` (see
    /// [`deletes_instead`]), given that of deleting the tags instead.
    pub(super) fn deleted_instead(&self, refused: Error, deleted: Result<()>) -> Result<()> {
        match deleted {
            Ok(()) => {
                tracing::warn!(
                    url = %self.shown_url, error = %refused,
                    "a write of tag versions was refused: the tags were deleted instead"
                );
                Ok(())
            }
            Err(e) => Err(Error::Backend {
                reason: format!("{refused}; deleting the tags instead failed too: {e}"),
            }),
        }
    }
}

impl TagStore for RedisBackend {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        match self.write_tags(tag_cmds(tags, ttl, false)) {
            Err(refused) if deletes_instead(&refused) => {
                self.deleted_instead(refused, self.delete_tags(tag_cmds(tags, ttl, true)))
            }
            written => written,
        }
    }

    /// `SET tag version NX GET` per tag, pipelined (Redis 7.0 and later
    /// take NX with GET); an older server's syntax error switches this
    /// backend to one `SET NX` and `GET` per tag for good.
    fn create_versions(&self, _entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        if !self.set_nx_get.load(std::sync::atomic::Ordering::Relaxed) {
            return self.create_one_by_one(tags, ttl);
        }
        let pipe = create_pipeline(tags, ttl);
        let found = match self.with_conn_resending(|c| pipe.query::<Vec<Option<Vec<u8>>>>(c)) {
            Ok(found) => found,
            Err(Error::Backend { reason }) => {
                tracing::info!(error = %reason, "Redis refused SET NX GET (before 7.0?): creating tags one by one");
                self.set_nx_get
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                return self.create_one_by_one(tags, ttl);
            }
            Err(e) => return Err(e),
        };
        let mut versions = Vec::with_capacity(tags.len());
        for (theirs, (tag, mine)) in found.into_iter().zip(tags) {
            versions.push(match theirs {
                None => *mine,
                Some(bytes) => match parse_version(&bytes) {
                    Some(theirs) => theirs,
                    // Not a version (damaged): replaced by ours, which no
                    // entry can hold yet.
                    None => {
                        self.set(tag, version_text(*mine), ttl)?;
                        *mine
                    }
                },
            });
        }
        Ok(versions)
    }

    fn read_versions(&self, _entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        Ok(self
            .get_many(tags)?
            .into_iter()
            .map(|v| v.as_deref().and_then(parse_version))
            .collect())
    }

    /// One pipeline (`commands::swap_pipeline`), where the store writes
    /// through (not on a cluster, nor where bumps wait for replicas, nor
    /// on a server before 6.2).
    fn swap_and_fill(&self, swap: Swap<'_>) -> Result<Option<bool>> {
        if !self.writes_through() {
            return Ok(None);
        }
        let pipe = swap_pipeline(&swap);
        let (put,): (i64,) = self.with_conn(|c| pipe.query(c))?;
        Ok(Some(put == 1))
    }

    /// One pipeline (`commands::announce_pipeline`), where the store
    /// writes through (see `swap_and_fill`).
    fn announce_and_note(&self, announce: Announce<'_>) -> Result<Option<Noting>> {
        if !self.writes_through() {
            return Ok(None);
        }
        let pipe = announce_pipeline(&announce);
        self.noted(self.with_conn(|c| pipe.query(c)))
    }
}

impl RedisBackend {
    /// Whether hooks may write through this store: not on a cluster (an
    /// entry and its row's tag lie in different slots), not where bumps
    /// wait for replicas (a swap does not wait), not on a server that
    /// refused `SET .. GET` (before 6.2).
    pub(super) fn writes_through(&self) -> bool {
        self.replicas == 0
            && !matches!(self.server, Server::Cluster(..))
            && self.set_get.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What an announcement's `reply` noted; a server that does not know
    /// `SET .. GET` (its syntax error) turns write-through off for good.
    pub(super) fn noted(&self, reply: Result<AnnounceReply>) -> Result<Option<Noting>> {
        match reply {
            Err(Error::Backend { reason }) if reason.contains("syntax error") => {
                tracing::info!(error = %reason, "Redis refused SET GET (before 6.2?): no write-through");
                self.set_get
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                Err(Error::Backend { reason })
            }
            reply => reply.map(|reply| Some(noting(reply))),
        }
    }
}

impl EntryStore for RedisBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        let keys = entry_keys(key, tags);
        let Some(claim) = claim else {
            let found = self.read_guarded(&keys)?;
            return Ok(fetched(found, false, self.serves_entries()));
        };
        let pipe = claim_pipeline(&keys, claim);
        let (added, found): (Option<String>, Value) =
            self.with_conn_resending(|c| pipe.query(c))?;
        let found = mget_reply(found, keys.len()).map_err(|e| self.map_error(e))?;
        Ok(fetched(found, added.is_some(), self.serves_entries()))
    }

    /// One `MGET` (and the hit's guard) for every entry and each distinct
    /// tag, on one server; a cluster's entries lie in several slots, and
    /// are read one by one.
    fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        if reads.len() < 2 || matches!(self.server, Server::Cluster(..)) {
            return crate::backend::one_by_one(self, reads);
        }
        let (keys, places) = batch_keys(reads);
        let found = self.read_guarded(&keys)?;
        Ok(batch_fetched(found, &places, self.serves_entries()))
    }

    /// Sent without waiting for the reply (but by a breaker's probe): the
    /// caller has its value already, and a failed fill only costs a later
    /// miss. The connection's next user reads the reply.
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        let pipe = fill_pipeline(key, &bytes, ttl, release);
        let replies = 1 + usize::from(release.is_some());
        self.run_link(Resend::Once, |c, probe| {
            if probe {
                pipe.query::<()>(c)
            } else {
                c.send_unanswered(&pipe.get_packed_pipeline(), replies)
            }
        })
    }
}

impl Backend for RedisBackend {
    fn serves_entries(&self) -> bool {
        RedisBackend::serves_entries(self)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    #[cfg(feature = "tokio")]
    fn async_store(self: Arc<Self>) -> Option<Arc<dyn AsyncStore>> {
        redis_async::AsyncRedis::of(self).map(|twin| Arc::new(twin) as Arc<dyn AsyncStore>)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: true,
            keeps_decoded: false,
        }
    }

    fn dropped_entries(&self) -> u64 {
        self.dropped()
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.with_read(&[key], |c| {
            redis::cmd("GET").arg(key).query::<Option<Vec<u8>>>(c)
        })
        .map(to_bytes)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Packed by hand, and on plain connections read straight from the
        // reply's bytes: this is every hit's command, and `Cmd`, redis-rs's
        // parser and the typed conversion cost more than the rest of the
        // hit's own work (callgrind).
        let packed = resp::pack_mget(keys);
        if let Some(found) = self.mget_direct(keys, &packed, false) {
            return found;
        }
        self.with_read(keys, |c| c.mget(&packed, keys.len(), false))
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.with_conn_resending(|c| set_cmd(key, &value, ttl).query::<()>(c))
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let sets: Vec<(&str, Cmd)> = entries
            .iter()
            .map(|(key, value)| (*key, set_cmd(key, value, ttl)))
            .collect();
        if let Some(written) = self.write_direct(&sets, 0, Duration::ZERO) {
            return written;
        }
        self.with_conn(|c| c.write_spread(sets, 0, Duration::ZERO))
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        let mut cmd = set_cmd(key, &value, ttl);
        cmd.arg("NX");
        self.with_conn_resending(|c| cmd.query::<Option<String>>(c))
            .map(|ok| ok.is_some())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.with_conn_resending(|c| redis::cmd("DEL").arg(key).query::<u64>(c))
            .map(|n| n > 0)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.with_conn_resending(|c| redis::cmd("DEL").arg(keys).query::<u64>(c))
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        self.with_conn_resending(|c| redis::cmd("EXISTS").arg(key).query::<u64>(c))
            .map(|n| n > 0)
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        match ttl {
            Some(d) => self
                .with_conn_resending(|c| {
                    redis::cmd("PEXPIRE")
                        .arg(key)
                        .arg(millis(d))
                        .query::<u64>(c)
                })
                .map(|n| n > 0),
            None => self
                .with_conn_resending(|c| {
                    redis::pipe()
                        .cmd("EXISTS")
                        .arg(key)
                        .cmd("PERSIST")
                        .arg(key)
                        .ignore()
                        .query::<(u64,)>(c)
                })
                .map(|(n,)| n > 0),
        }
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        let outcome = self.with_conn(|c| {
            let answer = INCR_EXISTING.key(key).arg(delta).invoke::<Option<i64>>(c);
            match answer {
                Ok(Some(n)) => Ok(Ok(Incr::Value(n))),
                Ok(None) => Ok(Ok(Incr::Missing)),
                Err(e) if e.is_timeout() || e.is_io_error() => Err(e),
                Err(e) => Ok(Err(e)),
            }
        })?;
        outcome.or_else(|e| {
            let text = e.to_string();
            if text.contains("overflow") {
                Ok(Incr::Overflow)
            } else if text.contains("not an integer") {
                Ok(Incr::NotAnInteger)
            } else {
                Err(self.map_error(e))
            }
        })
    }

    fn clear(&self, prefix: &str) -> Result<()> {
        self.unlink_matching(&glob_prefix(prefix), |_| true)
    }

    fn keys_under(&self, prefix: &str, each: &mut dyn FnMut(&[String])) -> Result<bool> {
        self.scan_matching(&glob_prefix(prefix), &mut |keys| {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect();
            each(&keys);
            Ok(())
        })?;
        Ok(true)
    }
}

impl RedisBackend {
    /// Removes the keys that match the `SCAN` pattern `pattern` and that
    /// `wanted` accepts, on every master of a cluster.
    pub(crate) fn unlink_matching(
        &self,
        pattern: &str,
        wanted: impl Fn(&[u8]) -> bool,
    ) -> Result<()> {
        self.scan_matching(pattern, &mut |keys| {
            let keys: Vec<&Vec<u8>> = keys.iter().filter(|k| wanted(k)).collect();
            if !keys.is_empty() {
                self.with_conn_resending(|c| redis::cmd("UNLINK").arg(&keys).query::<u64>(c))?;
            }
            Ok(())
        })
    }

    /// Calls `each` with every batch of the keys that match the `SCAN`
    /// pattern `pattern`, on every master of a cluster.
    pub(crate) fn scan_matching(
        &self,
        pattern: &str,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<()>,
    ) -> Result<()> {
        let nodes: Vec<Option<(String, u16)>> = match self.server {
            Server::Single(_) | Server::Sentinel(_) => vec![None],
            Server::Cluster(..) => self
                .with_conn(|c| match c {
                    Link::Cluster(c) => c.masters(),
                    _ => Ok(Vec::new()),
                })?
                .into_iter()
                .map(Some)
                .collect(),
        };
        for node in &nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH);
                let (next, keys): (u64, Vec<Vec<u8>>) =
                    self.with_conn_resending(|c| c.on_node(node.as_ref(), &scan))?;
                each(keys)?;
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }
}
