//! What a manager call can fail with. Cache failures are not among them:
//! managers fail open and serve from the database.

/// An error from a model manager.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `get` found no row.
    #[error("{model} {id} not found")]
    NotFound {
        /// The model's type name.
        model: &'static str,
        /// The value looked up (`7`, or `slug="intro"`).
        id: String,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// A write hook inside a transaction on a connection without
    /// [`track`](crate::track): its invalidation could not wait for the
    /// commit (nothing was written).
    #[error(
        "a cache write hook inside a transaction needs a tracked connection: call cache_diesel::track (or use TrackConnections on the pool)"
    )]
    UntrackedTransaction,
    /// A bulk write (`update_where`) was given a filter with a window
    /// (`limit`, `offset` or `after`), which SQL `UPDATE` cannot honour
    /// (nothing was written).
    #[error(
        "{model}: update_where takes conditions only; this filter has a limit, an offset or an `after` cursor"
    )]
    WindowedWrite {
        /// The model's type name.
        model: &'static str,
    },
    /// An explicit invalidation (`invalidate_all`, `invalidate_id`, a
    /// cached query's `invalidate`, `invalidate_everything`) could not be
    /// delivered to the cache now. It is owed: this process reads nothing
    /// that depends on it from the cache until it is delivered, and retries
    /// it in the background; other processes see it once it is.
    #[error("the cache was not told of the invalidation yet (owed, retried): {0}")]
    Invalidation(#[source] cache_core::Error),
    /// A read through a connection source ([`Manager::from_pool`](crate::Manager::from_pool))
    /// missed, and no connection could be checked out to read the database.
    #[error("no database connection could be checked out for a cache miss: {0}")]
    Checkout(#[source] CheckoutError),
    /// An operator's reading of the cache ([`Manager::verify_entries`](crate::Manager::verify_entries))
    /// could not read it: the store failed, or cannot list its keys (an
    /// in-process store, which only its own process reaches).
    #[error("the cache could not be read: {0}")]
    Store(#[source] cache_core::Error),
    /// A list order that did not parse (`"-price".parse()` of a model
    /// without `order_by(price)`).
    #[error(transparent)]
    InvalidOrder(#[from] crate::keys::filter::ParseOrderError),
}

/// Why no connection could be checked out.
pub type CheckoutError = Box<dyn std::error::Error + Send + Sync>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
