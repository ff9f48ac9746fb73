//! The driver: the cache over the store roles (`crate::backend`), written
//! once as `async` code over an `Io` (`io`) and driven by the sync API
//! (`cache`, through `Blocking`) and the async one (`cache_async`).
//!
//! `cache` (the typed API; in it `follower_gate`, entries served only
//! while the change-stream follower keeps up), `tagged` (versioned tags: read, fill, bump,
//! create), `read_through` (single-flight, leases, serve-stale), `refresh`
//! (a refresh handed to a worker), `owed` (bumps a failed write still
//! owes), `intent` (bumps announced before a commit), `flight` (one loader
//! per key), `io` (the store calls that do I/O, as futures), `read_many`
//! (batch reads), `lookup` (what a tagged read found, how a fill and a
//! loaded value are stored: the words those modules share), `read_hits` (a read and what it will need next, in one
//! round trip, answered only when all hit), `erased` (the driver's values
//! without their type, so its code is compiled once), `write_through` (a written row put
//! in place), `served_age` (a hit's entry's age, for the metrics), `cache_async` (feature `tokio`).

pub(crate) mod cache;
#[cfg(feature = "tokio")]
pub(crate) mod cache_async;
pub(crate) mod erased;
pub(crate) mod flight;
pub(crate) mod intent;
pub(crate) mod io;
pub(crate) mod lookup;
pub(crate) mod owed;
pub(crate) mod read_hits;
pub(crate) mod read_many;
pub(crate) mod read_through;
pub(crate) mod refresh;
pub(crate) mod served_age;
pub(crate) mod tagged;
pub(crate) mod write_through;
