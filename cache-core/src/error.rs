//! The error type of the low-level cache API.

use std::time::Duration;

/// Everything the low-level cache API can report.
///
/// Decoding failures are deliberately absent: bytes that do not decode as the
/// requested type are a miss (logged at `warn`), never an error and never a
/// wrong value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The cache URL or one of its options could not be understood.
    #[error("invalid cache configuration {url:?}: {reason}")]
    Config {
        /// The URL (password removed) or option that was rejected.
        url: String,
        /// What was wrong and what is accepted.
        reason: String,
    },

    /// The backend could not be reached within the connect timeout, or is
    /// known to be down (calls fail fast until the retry interval passes).
    #[error("cache backend unavailable: {reason}")]
    Unavailable {
        /// What happened.
        reason: String,
    },

    /// The read depends on a tag whose bump this process owes (an earlier
    /// write's invalidation, not delivered yet): its entry may be one the
    /// bump invalidates, so the source is read instead. Not a failure of
    /// the backend by itself.
    #[error("an earlier write's tag bumps are not delivered yet")]
    Owed,

    /// The backend did not answer within the response timeout.
    #[error("cache backend did not answer within {timeout:?}")]
    Timeout {
        /// The configured response timeout.
        timeout: Duration,
    },

    /// The backend answered with an error.
    #[error("cache backend error: {reason}")]
    Backend {
        /// The backend's own message.
        reason: String,
    },

    /// A value larger than the configured maximum was refused.
    #[error("value for key {key:?} is {size} bytes, over the maximum of {max} bytes")]
    ValueTooLarge {
        /// The caller's key.
        key: String,
        /// The encoded size.
        size: usize,
        /// The configured maximum (`max_value_size`).
        max: usize,
    },

    /// The value could not be encoded (a `Serialize` impl failed).
    #[error("value for key {key:?} could not be encoded: {reason}")]
    Encode {
        /// The caller's key.
        key: String,
        /// The serializer's message.
        reason: String,
    },

    /// `incr`, `decr` or `incr_version` on a key that is not in the cache.
    #[error("key {key:?} not found")]
    KeyNotFound {
        /// The caller's key.
        key: String,
    },

    /// `incr` or `decr` on a value that is not an integer.
    #[error("value for key {key:?} is not an integer")]
    NotAnInteger {
        /// The caller's key.
        key: String,
    },

    /// `incr` or `decr` would overflow a 64-bit signed integer.
    #[error("incrementing key {key:?} would overflow")]
    Overflow {
        /// The caller's key.
        key: String,
    },
}

impl Error {
    pub(crate) fn config(url: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config {
            url: url.into(),
            reason: reason.into(),
        }
    }

    /// True when the error says the backend is down or slow (as opposed to a
    /// problem with this call's input). Model managers fail open on these.
    pub fn is_backend_failure(&self) -> bool {
        matches!(
            self,
            Error::Unavailable { .. } | Error::Timeout { .. } | Error::Backend { .. } | Error::Owed
        )
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
