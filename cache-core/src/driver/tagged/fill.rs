//! Filling a tagged entry: the value sealed with its stamp and soft
//! deadline, and decoding one (an undecodable entry is a miss).

use super::FillOptions;
use crate::codec;
use crate::driver::cache::Cache;
use crate::driver::cache::engine::{Engine, WithEngine};
use crate::driver::io::{Blocking, Io, block_now};
use crate::error::{Error, Result};
use crate::log_limit::Cause;
use crate::protocol::envelope::{seal, soft_deadline, unseal};
use crate::protocol::stamp::Stamp;
use crate::stats::{Counter, Stats};
use crate::timeout::Ttl;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Cache {
    /// Counts an entry under `key` whose bytes did not decode (in the
    /// cache's counters and in `stats`), and logs it (at most once per
    /// period: see `log_limit.rs`).
    pub(super) fn undecodable(&self, key: &str, error: &codec::DecodeError, stats: Option<&Stats>) {
        self.count(Counter::Undecodable, 1);
        if let Some(stats) = stats {
            stats.add(Counter::Undecodable, 1);
        }
        if let Some(more) = self.log_limit(Cause::Undecodable) {
            tracing::warn!(key, error = %error, "undecodable cache entry, treated as a miss{more}");
        }
    }

    /// [`Engine::fill_tagged`], releasing the fill's `lease` in the same
    /// round trip.
    pub(crate) async fn fill_tagged_releasing<T: Serialize + ?Sized>(
        &self,
        io: &impl Io,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
        lease: Option<&str>,
    ) -> Result<Bytes> {
        let bytes = self.engine().encode_fill(key, stamp, options, value)?;
        self.fill_sealed(io, key, bytes, options.ttl, lease).await
    }

    /// Stores the sealed `bytes` of a fill under `key` (see
    /// [`Cache::fill_tagged_releasing`]); returns them.
    pub(crate) async fn fill_sealed(
        &self,
        io: &impl Io,
        key: &str,
        bytes: Bytes,
        ttl: Ttl,
        lease: Option<&str>,
    ) -> Result<Bytes> {
        io.fill(key, bytes.clone(), ttl, lease).await?;
        self.count(Counter::Fill, 1);
        Ok(bytes)
    }
}

impl Engine<'_> {
    /// Encodes a fill: the first `depends_on` versions of `stamp`, the soft
    /// deadline, the value. Refuses values over the maximum size.
    pub fn encode_fill<T: Serialize + ?Sized>(
        &self,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
    ) -> Result<Bytes> {
        let stamps = &stamp.versions[..options.depends_on.min(stamp.versions.len())];
        let bytes = seal(key, stamps, soft_deadline(options.soft), value).map_err(|reason| {
            self.count(Counter::Error, 1);
            Error::Encode {
                key: key.to_owned(),
                reason,
            }
        })?;
        self.check_size(key, bytes)
    }

    /// Decodes what [`Engine::encode_fill`] wrote under `key`, ignoring its
    /// stamp (for callers that were handed the bytes by the filler itself).
    /// Bytes that do not decode are counted (in the cache's counters and
    /// in `stats`), logged, and `None`.
    pub fn decode_fill<T: DeserializeOwned>(
        &self,
        key: &str,
        bytes: &[u8],
        stats: Option<&Stats>,
    ) -> Option<T> {
        match unseal::<T>(key, bytes) {
            Ok((_, _, value)) => Some(value),
            Err(e) => {
                self.undecodable(key, &e, stats);
                None
            }
        }
    }

    /// Stores `value` under `key`, stamped with `stamp`; returns the stored bytes.
    pub fn fill_tagged<T: Serialize + ?Sized>(
        &self,
        key: &str,
        stamp: &Stamp,
        options: FillOptions,
        value: &T,
    ) -> Result<Bytes> {
        let io = Blocking(&**self.backend());
        block_now(self.fill_tagged_releasing(&io, key, stamp, options, value, None))
    }
}
