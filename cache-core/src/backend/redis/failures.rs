//! What an error from the server says: the cluster in trouble, a
//! connection closed by the peer, a reply too large to send, a connection
//! left in an unknown state.

use super::guard;
use redis::{ErrorKind, RedisError};

/// The error of `keys` keys whose slot no master serves (a master failed,
/// and no replica replaced it yet): the cluster in trouble.
pub(super) fn no_master(keys: usize) -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        format!("no master serves the slot of {keys} key(s): the cluster is down or failing over"),
    ))
}

/// True when an error says the server is in trouble (as opposed to an
/// answer, such as most error replies; but one that says the server
/// refuses writes for a while counts, see [`guard`]): it opens the breaker.
pub(super) fn server_in_trouble(e: &RedisError) -> bool {
    e.is_timeout()
        || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || guard::refuses_writes(e)
}

/// True when the server (or the network) closed the connection: an end of
/// file, a reset, a broken pipe (a refused connection is not one).
pub(super) fn closed_by_peer(e: &RedisError) -> bool {
    e.is_connection_dropped() && !e.is_connection_refusal() && !e.is_timeout()
}

/// The error of a read whose reply the server will not send: it closes the
/// connection instead, while answering others (a reply over its
/// `client-output-buffer-limit`). Not the server in trouble.
pub(super) fn unsendable() -> RedisError {
    RedisError::from((
        ErrorKind::Client,
        "Redis closed the connection instead of sending a reply (over its client-output-buffer-limit?)",
    ))
}

/// Of a read's values' `lengths`, the one to delete because the server
/// will not send the reply: the largest, when it is most of the reply.
pub(super) fn unsendable_at(lengths: &[u64]) -> Option<usize> {
    let total: u64 = lengths.iter().sum();
    let (at, largest) = lengths.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (*largest > 0 && *largest >= total / 2).then_some(at)
}

/// Whether a call may be sent again after the server closed its connection.
#[derive(Clone, Copy)]
pub(super) enum Resend<'a> {
    /// Never (it may have been carried out: an increment).
    Never,
    /// Once, when the connection was idle in the pool (and closed there).
    Once,
    /// Once, whatever the connection: carried out twice, the same (`DEL`).
    Twice,
    /// A read of these keys: once, whatever the connection.
    Read(&'a [&'a str]),
}

impl Resend<'_> {
    pub(super) fn allows(self, reused: bool) -> bool {
        match self {
            Resend::Never => false,
            Resend::Once => reused,
            Resend::Twice | Resend::Read(_) => true,
        }
    }
}

/// True when a command's error leaves its connection in an unknown state.
pub(super) fn breaks_connection(e: &RedisError) -> bool {
    e.is_timeout() || e.is_io_error() || e.is_unrecoverable_error()
}
