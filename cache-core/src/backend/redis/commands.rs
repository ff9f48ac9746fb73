//! The commands and pipelines the backend sends, and the replies it reads
//! back.

use super::guard;
use crate::backend::{Announce, Claim, Fetched, Noting, Swap};
use crate::error::Error;
use crate::protocol::stamp::{PENDING_FLOOR, parse_version, version_text};
use crate::timeout::Ttl;
use bytes::Bytes;
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisResult, Value};
use std::time::Duration;

/// The writes `cmds` in one pipeline, their replies ignored, then with
/// `replicas` > 0 a `WAIT` for that many replicas, at most `wait`: its
/// reply is the pipeline's one.
pub(super) fn spread_pipeline(
    cmds: Vec<(&str, Cmd)>,
    replicas: u32,
    wait: Duration,
) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (_, cmd) in cmds {
        pipe.add_command(cmd).ignore();
    }
    if replicas > 0 {
        pipe.cmd("WAIT")
            .arg(replicas)
            .arg(wait.as_millis().max(1) as u64);
    }
    pipe
}

/// A `WAIT`'s reply: an error if fewer than `replicas` acknowledged.
/// What a write of tag versions that too few replicas acknowledged says.
pub(super) const NOT_REPLICATED: &str = "a write of tag versions was not replicated";

pub(super) fn check_acknowledged(
    acknowledged: i64,
    replicas: u32,
    wait: Duration,
) -> RedisResult<()> {
    if acknowledged < i64::from(replicas) {
        return Err(RedisError::from((
            ErrorKind::Client,
            NOT_REPLICATED,
            format!(
                "{acknowledged} of {replicas} replicas acknowledged within {wait:?} \
                 (replicas= in the cache URL: 0 for a server without replicas)"
            ),
        )));
    }
    Ok(())
}

/// One pipeline for a claim
/// ([`EntryStore::read_entry`](crate::backend::EntryStore::read_entry)
/// with a [`Claim`]): create the absent tags (plain `SET NX`, which every
/// server takes; the `MGET` after it reads whose version won), take the
/// lease, read the entry and the versions. Its replies: the lease's `SET`,
/// the `MGET`.
pub(super) fn claim_pipeline(keys: &[&str], claim: &Claim<'_>) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (tag, version) in claim.create {
        let mut create = set_cmd(tag, &version_text(*version), claim.tag_ttl);
        create.arg("NX");
        pipe.add_command(create).ignore();
    }
    let mut set = set_cmd(claim.lease, b"1", Some(claim.lease_ttl));
    set.arg("NX");
    pipe.add_command(set);
    pipe.cmd("MGET").arg(keys);
    pipe
}

/// An `MGET` of the entry and its tags, then the entry's `PTTL`, then the
/// hit's guard: see
/// [`RedisBackend::read_entry_with_ttl`](super::RedisBackend::read_entry_with_ttl)
/// and [`guard`].
pub(super) fn ttl_read_pipeline(key: &str, tags: &[&str]) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.cmd("MGET").arg(key).arg(tags);
    pipe.cmd("PTTL").arg(key);
    pipe.add_command(guard::guard_cmd(key));
    pipe
}

/// A fill: the entry's `SET` and, with `release`, the lease's `DEL`.
pub(super) fn fill_pipeline(
    key: &str,
    bytes: &[u8],
    ttl: Ttl,
    release: Option<&str>,
) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.add_command(set_cmd(key, bytes, ttl));
    if let Some(lease) = release {
        pipe.cmd("DEL").arg(lease);
    }
    pipe
}

/// `SET tag version NX GET` per tag (Redis 7.0 and later).
pub(super) fn create_pipeline(tags: &[(&str, u64)], ttl: Ttl) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for (tag, version) in tags {
        let mut cmd = set_cmd(tag, &version_text(*version), ttl);
        cmd.arg("NX").arg("GET");
        pipe.add_command(cmd);
    }
    pipe
}

/// The entry and the tag versions to read for `key`: the entry first.
pub(super) fn entry_keys<'a>(key: &'a str, tags: &[&'a str]) -> Vec<&'a str> {
    let mut keys = Vec::with_capacity(1 + tags.len());
    keys.push(key);
    keys.extend_from_slice(tags);
    keys
}

/// The keys of one `MGET` for several entries' reads: the entries' keys
/// first, then each distinct tag once; and for each read, where its tags
/// are in that list.
pub(super) fn batch_keys<'a>(reads: &[(&'a str, &[&'a str])]) -> (Vec<&'a str>, Vec<Vec<usize>>) {
    let mut keys: Vec<&str> = reads.iter().map(|(key, _)| *key).collect();
    let mut at = std::collections::HashMap::new();
    let places = reads
        .iter()
        .map(|(_, tags)| {
            tags.iter()
                .map(|tag| {
                    *at.entry(*tag).or_insert_with(|| {
                        keys.push(tag);
                        keys.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    (keys, places)
}

/// Each read's [`Fetched`] out of the `MGET` reply of [`batch_keys`] (its
/// entries not served when `serve` is false).
pub(super) fn batch_fetched(
    found: Vec<Option<Bytes>>,
    places: &[Vec<usize>],
    serve: bool,
) -> Vec<Fetched> {
    places
        .iter()
        .enumerate()
        .map(|(i, tags)| Fetched {
            entry: found[i].clone().filter(|_| serve),
            memo: None,
            versions: tags
                .iter()
                .map(|&t| found[t].as_deref().and_then(parse_version))
                .collect(),
            leased: false,
        })
        .collect()
}

/// The pipeline of a batch read with lifetimes: one `MGET` of `keys`
/// ([`batch_keys`]), the `PTTL` of each of the first `entries` keys, the
/// guard.
pub(super) fn batch_ttl_pipeline(keys: &[&str], entries: usize) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.cmd("MGET").arg(keys);
    for key in &keys[..entries] {
        pipe.cmd("PTTL").arg(key);
    }
    pipe.add_command(guard::guard_cmd(keys[0]));
    pipe
}

/// What a batch read with lifetimes found: each key's bytes, each entry's
/// remaining lifetime.
pub(super) type BatchReply = (Vec<Option<Bytes>>, Vec<Option<Duration>>);

/// The `MGET` reply and each entry's remaining lifetime (`None`: none, or
/// no entry) out of the reply of [`batch_ttl_pipeline`].
pub(super) fn batch_ttl_reply(
    reply: Vec<Value>,
    keys: usize,
    entries: usize,
) -> RedisResult<BatchReply> {
    let mut reply = reply.into_iter();
    let found = mget_reply(reply.next().unwrap_or(Value::Nil), keys)?;
    let ttls = reply
        .take(entries)
        .map(|v| match v {
            Value::Int(ms) => u64::try_from(ms).ok().map(Duration::from_millis),
            _ => None,
        })
        .collect::<Vec<_>>();
    if ttls.len() != entries {
        return Err(RedisError::from((
            ErrorKind::Parse,
            "a batch read's reply is short",
        )));
    }
    Ok((found, ttls))
}

/// A lifetime in ms for `PX`, at most [`MAX_TTL`](crate::MAX_TTL) (Redis
/// refuses larger ones), at least 1.
pub(super) fn millis(d: Duration) -> u64 {
    crate::timeout::clamp(d).as_millis().max(1) as u64
}

pub(super) fn set_cmd(key: &str, value: &[u8], ttl: Ttl) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    if let Some(d) = ttl {
        cmd.arg("PX").arg(millis(d));
    }
    cmd
}

/// A write of `tag`'s new `version`: a `SET`, or, for a version marked
/// [`IF_PRESENT`](crate::protocol::stamp::IF_PRESENT), a `SET .. XX KEEPTTL`
/// (only where the tag exists, keeping its lifetime: Redis 6.0 and later).
pub(super) fn version_cmd(tag: &str, version: u64, ttl: Ttl) -> Cmd {
    match crate::protocol::stamp::version_to_write(version) {
        (version, false) => set_cmd(tag, &version_text(version), ttl),
        (version, true) => {
            let mut cmd = redis::cmd("SET");
            cmd.arg(tag)
                .arg(&version_text(version)[..])
                .arg("XX")
                .arg("KEEPTTL");
            cmd
        }
    }
}

/// The commands of a write of tag versions: a `SET` of each tag's new
/// version or, with `delete`, a `DEL` of each tag.
pub(super) fn tag_cmds<'a>(tags: &[(&'a str, u64)], ttl: Ttl, delete: bool) -> Vec<(&'a str, Cmd)> {
    tags.iter()
        .map(|(tag, version)| {
            let cmd = if delete {
                let mut del = redis::cmd("DEL");
                del.arg(*tag);
                del
            } else {
                version_cmd(tag, *version, ttl)
            };
            (*tag, cmd)
        })
        .collect()
}

/// Whether a write of tag versions that failed with `e` is delivered by
/// deleting the tags instead: the server answered with an error reply
/// (`OOM` under `noeviction`, which still takes `DEL`; a key of another
/// type), not a timeout, a broken connection or too few replicas. A
/// deleted tag invalidates every entry stamped with it, as a new version
/// does (see [`guard`]).
pub(super) fn deletes_instead(e: &Error) -> bool {
    matches!(e, Error::Backend { reason } if !reason.contains(NOT_REPLICATED))
}

pub(super) fn to_bytes(v: Option<Vec<u8>>) -> Option<Bytes> {
    v.map(Bytes::from)
}

/// The values of an `MGET` reply of `n` keys.
pub(super) fn mget_reply(reply: Value, n: usize) -> RedisResult<Vec<Option<Bytes>>> {
    let unexpected = |what: &'static str| -> RedisError {
        (
            ErrorKind::UnexpectedReturnType,
            "unexpected MGET reply",
            what.to_owned(),
        )
            .into()
    };
    let Value::Array(items) = reply else {
        return Err(unexpected("not an array"));
    };
    if items.len() != n {
        return Err(unexpected("wrong length"));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::BulkString(bytes) => Ok(Some(Bytes::from(bytes))),
            Value::Nil => Ok(None),
            _ => Err(unexpected("not a string")),
        })
        .collect()
}

/// An `MGET` of an entry and its tags, as [`Fetched`]; without the entry
/// unless `serve`.
pub(super) fn fetched(mut found: Vec<Option<Bytes>>, leased: bool, serve: bool) -> Fetched {
    if !serve {
        found[0] = None;
    }
    let versions = found
        .drain(1..)
        .map(|v| v.as_deref().and_then(parse_version))
        .collect();
    Fetched {
        entry: found.pop().flatten(),
        memo: None,
        versions,
        leased,
    }
}

/// A write-through's step (`TagStore::swap_and_fill`): the tag's new
/// version, and the entry if the tag held the expected one just before; a
/// tag that holds another writer's announcement (a pending version other
/// than the expected one) is left as it is, so that it still lapses if
/// that writer dies after its commit. Pending versions are the 19-digit
/// texts from ARGV[6] up (compared as text: Lua's numbers are doubles).
/// ARGV: version, tag lifetime in ms (0: none), expected, bytes, entry
/// lifetime in ms (0: none), the lowest pending version.
const SWAP_AND_FILL: &str = "local before = redis.call('GET', KEYS[1]) \
     if before ~= ARGV[3] and before and string.len(before) == 19 \
        and before >= ARGV[6] then return 0 end \
     if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) \
     else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end \
     if before ~= ARGV[3] then return 0 end \
     if ARGV[5] == '0' then redis.call('SET', KEYS[2], ARGV[4]) \
     else redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5]) end \
     return 1";

/// The `EVAL` of [`SWAP_AND_FILL`] for `swap` (its text sent each time: a
/// write-through is a write's step, and the server caches the script),
/// then a `SET` of each of `swap.bump`'s versions: one reply, the
/// `EVAL`'s. Not to be sent twice: another writer's swap may land between
/// the two, and the second would write this one's version back over it.
pub(super) fn swap_pipeline(swap: &Swap<'_>) -> Pipeline {
    let mut pipe = redis::pipe();
    pipe.add_command(swap_cmd(swap));
    for (_, cmd) in tag_cmds(swap.bump, swap.bump_ttl, false) {
        pipe.add_command(cmd).ignore();
    }
    pipe
}

/// The swap's `EVAL` (see [`swap_pipeline`]).
fn swap_cmd(swap: &Swap<'_>) -> Cmd {
    let ms = |ttl: Ttl| ttl.map_or(0, |d| d.as_millis().max(1) as u64);
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(SWAP_AND_FILL)
        .arg(2)
        .arg(swap.tag)
        .arg(swap.key)
        .arg(version_text(swap.version).as_ref())
        .arg(ms(swap.tag_ttl))
        .arg(version_text(swap.expected).as_ref())
        .arg(swap.bytes.as_ref())
        .arg(ms(swap.ttl))
        .arg(version_text(PENDING_FLOOR).as_ref());
    cmd
}

/// A write-through's announcement (`TagStore::announce_and_note`): a `SET
/// .. PX` per pending tag, `SET own token PX .. GET` (Redis 6.2 and
/// later), `MGET` of the tags; its reply is read by [`noting`]. Safe to
/// send twice: the exchange then reads its own token back, which is
/// pending, and nothing is put.
pub(super) fn announce_pipeline(announce: &Announce<'_>) -> Pipeline {
    let mut pipe = redis::pipe();
    for (tag, version) in announce.pending {
        pipe.add_command(version_cmd(tag, *version, announce.ttl))
            .ignore();
    }
    let (own, token) = announce.own;
    let mut exchange = version_cmd(own, token, announce.ttl);
    exchange.arg("GET");
    pipe.add_command(exchange);
    pipe.cmd("MGET").arg(announce.tags);
    pipe
}

/// The reply of an [`announce_pipeline`]: the own tag's version before,
/// and the tags' versions after.
pub(super) type AnnounceReply = (Option<Vec<u8>>, Vec<Option<Vec<u8>>>);

/// What an [`announce_pipeline`]'s reply says.
pub(super) fn noting((before, found): AnnounceReply) -> Noting {
    Noting {
        before: before.as_deref().and_then(parse_version),
        versions: found
            .iter()
            .map(|v| v.as_deref().and_then(parse_version))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::Value;

    #[test]
    fn a_batch_reads_each_tag_once_and_splits_the_reply() {
        let (a, b): (&[&str], &[&str]) = (&["t1", "t2"], &["t2", "t3"]);
        let (keys, places) = batch_keys(&[("e1", a), ("e2", b)]);
        assert_eq!(keys, ["e1", "e2", "t1", "t2", "t3"]);
        assert_eq!(places, [vec![2, 3], vec![3, 4]]);
        let v = |n: u64| Some(version_text(n));
        let found = vec![Some(Bytes::from_static(b"x")), None, v(1), v(2), None];
        let fetched = batch_fetched(found.clone(), &places, true);
        assert_eq!(fetched[0].entry.as_deref(), Some(&b"x"[..]));
        assert_eq!(fetched[0].versions, [Some(1), Some(2)]);
        assert_eq!(fetched[1].entry, None);
        assert_eq!(fetched[1].versions, [Some(2), None]);
        assert_eq!(batch_fetched(found, &places, false)[0].entry, None);
    }

    #[test]
    fn mget_replies_are_checked() {
        let ok = Value::Array(vec![Value::BulkString(b"v".to_vec()), Value::Nil]);
        assert_eq!(
            mget_reply(ok.clone(), 2).unwrap(),
            vec![Some(Bytes::from_static(b"v")), None]
        );
        assert!(mget_reply(ok, 3).is_err());
        assert!(mget_reply(Value::Nil, 1).is_err());
        assert!(mget_reply(Value::Array(vec![Value::Int(1)]), 1).is_err());
    }
}
