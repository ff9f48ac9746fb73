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
//! - [`config`]: URLs (`memory://`, `redis://`, `rediss://`, `dummy://`) and options.
//! - [`cache`]: the typed API ([`Cache`]).
//! - [`backend`]: where bytes are stored ([`Backend`] and its implementations).
//! - [`key`]: prefixes, namespaces, versions, escaping and hashing of keys.
//! - [`codec`]: MessagePack values, integers as decimal text; `compress`:
//!   LZ4 for large entries.
//! - [`registry`]: named caches ([`caches`]).
//! - [`read_through`]: misses under load: single-flight, leases, serve-stale.
//! - [`tagged`]: entries stamped with versioned tags (the invalidation protocol);
//!   tag bumps a failed write still owes are kept and delivered (`owed`).
//! - [`stats`], [`timeout`], [`error`].

#![warn(missing_docs)]

pub mod backend;
pub mod cache;
pub mod codec;
mod compress;
pub mod config;
pub mod error;
mod flight;
pub mod key;
mod owed;
mod protocol;
pub mod read_through;
mod refresh;
pub mod registry;
pub mod stats;
pub mod tagged;
pub mod timeout;

pub use backend::Backend;
pub use bytes::Bytes;
pub use cache::{Cache, WeakCache};
pub use config::{BackendKind, CacheConfig};
pub use error::{Error, Result};
pub use key::{Key, KeyBuilder, KeyScope, Namespace};
pub use read_through::{Outcome, Plan, Refresh, Shape};
pub use registry::{Caches, caches};
pub use stats::StatsSnapshot;
pub use stats::{Counter, Stats};
pub use tagged::{FillOptions, Lookup, Stamp};
pub use timeout::{MAX_TTL, Timeout, Ttl};
