//! A Redis that answers reads but refuses writes.
//!
//! Versioned tags rely on every write's bump reaching the server. A server
//! can be up and answer `MGET` while it refuses or holds writes:
//!
//! | state | bump (`SET`) | `DEL` | the hit's guard (`DEL` of a key never written) |
//! |---|---|---|---|
//! | `maxmemory` reached under `noeviction` | `OOM` | accepted | accepted |
//! | a replica (a demoted master) | `READONLY` | `READONLY` | `READONLY` |
//! | a failed snapshot (`stop-writes-on-bgsave-error`) | `MISCONF` | `MISCONF` | `MISCONF` |
//! | too few replicas (`min-replicas-to-write`) | `NOREPLICAS` | `NOREPLICAS` | `NOREPLICAS` |
//! | `CLIENT PAUSE .. WRITE` | held | held | held |
//!
//! Two measures keep every process from serving what a refused bump should
//! have invalidated:
//!
//! - A bump refused by an error reply deletes its tags instead
//!   (`RedisBackend::write_versions`): a deleted tag invalidates every
//!   entry stamped with it, as a new version would, and `DEL` is what a
//!   full server still accepts.
//! - Every hit's `MGET` is followed, in the same round trip, by a `DEL`
//!   of a key nothing writes ([`guard_key`]): a server that would refuse
//!   or hold a write refuses or holds the guard, so the hit is not served
//!   ([`refuses_writes`] opens the breaker; a held guard times out, which
//!   opens it too). A server that refuses writes therefore serves no entry
//!   to anyone, and after it accepts writes again, entries wait for the
//!   breaker's grace (three `retry_after`s), within which the bumps other
//!   processes owe are retried. Deleting a key that does not exist changes
//!   nothing, is not replicated and costs the server a lookup.

use redis::RedisError;

/// The key a hit's guard deletes: `g` (a namespace nothing writes) under
/// the prefix of `key`, behind `key`'s hash tag if it has one (so that on
/// a cluster it lies in `key`'s slot, as one command's keys must).
pub(crate) fn guard_key(key: &str) -> String {
    let (head, tail) = guard_parts(key);
    [head, tail].concat()
}

/// [`guard_key`] in two parts: a slice of `key`, then `g` or `:g`.
fn guard_parts(key: &str) -> (&str, &'static str) {
    let tag_end = if key.starts_with('{') {
        key.find('}').map_or(0, |i| i + 1)
    } else {
        0
    };
    match key[tag_end..].find(':') {
        Some(i) => (&key[..tag_end + i + 1], "g"),
        // Not a key of the cache's shape: a key under it nothing writes.
        None => (key, ":g"),
    }
}

/// Appends the guard of a read of `first_key` (its reply, `:0`, follows
/// the read's) to `packed`, allocating nothing (it rides every hit).
pub(super) fn push_guard(packed: &mut Vec<u8>, first_key: &str) {
    use std::io::Write as _;
    let (head, tail) = guard_parts(first_key);
    packed.extend_from_slice(b"*2\r\n$3\r\nDEL\r\n$");
    // (Writing to a Vec cannot fail.)
    let _ = write!(packed, "{}\r\n", head.len() + tail.len());
    packed.extend_from_slice(head.as_bytes());
    packed.extend_from_slice(tail.as_bytes());
    packed.extend_from_slice(b"\r\n");
}

/// The guard as a redis-rs command, for pipelines.
pub(super) fn guard_cmd(first_key: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("DEL");
    cmd.arg(guard_key(first_key));
    cmd
}

/// The error replies of a server that refuses writes (or every command)
/// for a while: a write's invalidation cannot reach it, so its entries
/// cannot be trusted and the breaker opens (`CLUSTERDOWN`: a cluster
/// that lost every copy of some slots refuses reads and writes alike, on
/// every node, under the default `cluster-allow-reads-when-down no`; a
/// read handed on to redis-rs would wait on its retries and the hung
/// node). `OOM` is not one: a full
/// server still deletes, so bumps are delivered as deletions and reads
/// go on.
pub(super) fn refuses_writes(e: &RedisError) -> bool {
    let refusal = |code: &str| {
        matches!(
            code,
            "READONLY"
                | "MISCONF"
                | "NOREPLICAS"
                | "MASTERDOWN"
                | "LOADING"
                | "BUSY"
                | "CLUSTERDOWN"
        )
    };
    // A pipeline's error holds each failed command's (its `code` is none).
    e.clone()
        .into_server_errors()
        .is_some_and(|errors| errors.iter().any(|(_, e)| refusal(e.code())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_lies_under_the_prefix_and_in_the_slot_of_the_key() {
        assert_eq!(guard_key("app:d:product:x:id:7"), "app:g");
        assert_eq!(guard_key("{12}app:d:product"), "{12}app:g");
        assert_eq!(guard_key(":d:x"), ":g");
        assert_eq!(guard_key("app:t:"), "app:g");
        // Not one of ours: still never a key of the cache.
        assert_eq!(guard_key("plain"), "plain:g");
    }

    #[test]
    fn a_refusal_is_seen_in_a_reply_and_in_a_pipeline() {
        let reply = |text: &[u8]| match redis::parse_redis_value(text).unwrap() {
            redis::Value::ServerError(e) => RedisError::from(e),
            other => panic!("{other:?}"),
        };
        assert!(refuses_writes(&reply(
            b"-NOREPLICAS Not enough good replicas\r\n"
        )));
        assert!(refuses_writes(&reply(b"-READONLY You can't write\r\n")));
        assert!(!refuses_writes(&reply(b"-OOM command not allowed\r\n")));
        assert!(!refuses_writes(&reply(b"-ERR wrong\r\n")));
        let mut pipe = redis::pipe();
        pipe.cmd("MGET").arg("k").cmd("DEL").arg("g");
        let replies = vec![
            redis::Value::Array(vec![redis::Value::Nil]),
            redis::parse_redis_value(b"-MISCONF no snapshot\r\n").unwrap(),
        ];
        let failed = pipe
            .query::<(redis::Value, i64)>(&mut Replies(Some(replies)))
            .unwrap_err();
        assert!(refuses_writes(&failed), "{failed:?}");
    }

    /// A connection that answers one pipeline with `replies`.
    struct Replies(Option<Vec<redis::Value>>);

    impl redis::ConnectionLike for Replies {
        fn req_packed_command(&mut self, _: &[u8]) -> redis::RedisResult<redis::Value> {
            unreachable!()
        }
        fn req_packed_commands(
            &mut self,
            _: &[u8],
            _: usize,
            _: usize,
        ) -> redis::RedisResult<Vec<redis::Value>> {
            Ok(self.0.take().unwrap())
        }
        fn get_db(&self) -> i64 {
            0
        }
        fn check_connection(&mut self) -> bool {
            true
        }
        fn is_open(&self) -> bool {
            true
        }
    }

    #[test]
    fn the_packed_guard_is_a_del_of_the_guard_key() {
        let mut packed = Vec::new();
        push_guard(&mut packed, "{3}p:l:x");
        assert_eq!(packed, b"*2\r\n$3\r\nDEL\r\n$6\r\n{3}p:g\r\n");
        assert_eq!(guard_cmd("{3}p:l:x").get_packed_command(), packed);
    }
}
