//! A typed cache with in-process, Redis and dummy backends: Django's
//! low-level cache API for Rust, and the foundation of the Diesel model
//! managers in `cache-diesel`. This crate knows nothing of Diesel.
//!
//! ```
//! use cache_core::{Cache, Timeout};
//! let cache = Cache::from_url("memory://").unwrap();   // or Cache::from_env()
//! cache.set("answer", &42, Timeout::Default).unwrap();
//! assert_eq!(cache.get::<i64>("answer").unwrap(), Some(42));
//! ```
//!
//! The public API is what a user of the low-level cache needs, at the
//! root: [`Cache`] and its configuration ([`CacheConfig`], from URLs
//! `memory://`, `redis://` (`?local=` for a local tier), `rediss://`,
//! `dummy://`), [`Key`], [`Timeout`], [`caches`], [`StatsSnapshot`], and
//! the [`Backend`] trait of the store a cache runs on. The author of a
//! store of their own turns on the `unstable-store-api` feature, as
//! Diesel's third-party backends do theirs: it makes the `backend` module
//! public (the store roles, the memo and lease protocol, the stores' own
//! types) and adds `Cache::with_backend`; what it exposes may change in
//! any release. What the Diesel managers need beyond that is in a hidden
//! module and not part of the API.
//!
//! Inside, one folder per layer: `protocol` (entry bytes and stamps, no
//! I/O), `backend` (store roles and stores) and `driver` (the cache over
//! the roles: `cache`, the typed API; `tagged`, versioned tags: read,
//! fill, bump; `read_through`, single-flight, leases, serve-stale;
//! `refresh`; `owed`, bumps a failed write still owes; `intent`, bumps
//! announced before a commit; `flight`; `read_many`, batch reads; `io` and
//! `cache_async`, the async entry points; every async file of the crate is
//! named `*_async`); then the utilities at the root: `config`, `key`,
//! `codec` and `strict` (decoding that misses no field), `compress`,
//! `registry`, `stats`, `log_limit` (one log line per cause per period),
//! `per_cpu` (which copy of a per-core structure a thread uses),
//! `timeout`, `error`.

#![warn(missing_docs)]

#[cfg(feature = "unstable-store-api")]
pub mod backend;
#[cfg(not(feature = "unstable-store-api"))]
mod backend;
mod driver;
mod protocol;

mod codec;
mod compress;
mod config;
mod error;
mod key;
mod key_hash;
mod log_limit;
mod per_cpu;
mod registry;
mod stats;
mod strict;
mod timeout;

pub use backend::Backend;
pub use bytes::Bytes;
pub use config::{BackendKind, CACHE_URL_ENV, CacheConfig, SentinelConfig};
pub use driver::cache::{Cache, WeakCache};
pub use error::{Error, Result};
pub use key::Key;
pub use registry::{Caches, caches};
pub use stats::StatsSnapshot;
pub use timeout::{MAX_TTL, Timeout, Ttl};

/// What the Diesel managers (`cache-diesel`) and this workspace's tests use
/// of the engine: not part of the API, and may change in any release.
#[doc(hidden)]
pub mod __engine {
    pub use crate::backend::BoxFuture;
    #[cfg(fuzzing)]
    pub use crate::backend::redis::fuzz_reply;
    pub use crate::backend::{TagHasher, digest_of_hashes, tag_hash, tags_digest};
    pub use crate::codec::{FormError, FormReader, FormWriter, MAGIC, value_len};
    pub use crate::driver::cache::engine::{Engine, WithEngine, apply_option, unusable_cache};
    pub use crate::driver::intent::{ANNOUNCE_HOLD, PENDING_TEXT};
    pub use crate::driver::read_hits::Kept;
    pub use crate::driver::read_many::Found;
    pub use crate::driver::read_through::{Outcome, Plan, Refresh, Shape};
    pub use crate::driver::served_age::take as take_served_age;
    pub use crate::driver::tagged::{FillOptions, Lookup, Stamp};
    pub use crate::driver::write_through::{Noted, PutWritten};
    pub use crate::key::{KeyBuilder, KeyParts, KeyScope, MAX_KEY_LEN, Namespace};
    pub use crate::log_limit::{Cause, LogLimit, Suppressed};
    pub use crate::protocol::envelope::filled_at as entry_filled_at;
    pub use crate::stats::{Counter, Stats};
}
