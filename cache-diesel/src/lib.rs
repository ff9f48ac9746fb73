//! Cache managers for Diesel models.
//!
//! `#[derive(Cached)]` on a Diesel model generates a manager reachable as
//! `Model::cache()`: `all(conn, suffix, filter)`, `get(conn, id)`,
//! `find`, `get_by_<unique>`, separate list and detail timeouts, and write
//! hooks (`insert`, `insert_many`, `update`, `save`, `delete`,
//! `update_where`) that return the rows they wrote and invalidate exactly
//! what the write touched, through versioned tags (see
//! [`tags`](crate::Manager)). This crate re-exports `cache-core` (as
//! [`cache_core`], and its [`Cache`], [`CacheConfig`], [`Timeout`] and
//! [`caches`] at the root), so it is the only one a user depends on.
//!
//! Its modules are private; what a user names is re-exported here.
//! [`guide`] is the user guide, one chapter a module (`docs/guide/`):
//! models, invalidation, transactions and the write paths caught, async,
//! pools, relations, misses under load, cached queries, the stores, the
//! low-level API, configuration, guarantees.
//!
//! # The public traits, and why each is public
//!
//! Each is named in a bound a user writes, or implemented by a user for
//! a type of their own (the derive implements the model's):
//!
//! - [`CachedModel`]: what `#[derive(Cached)]` makes a model; the bound
//!   of code generic over models (`fn warm<M: CachedModel>(..)`).
//! - [`ModelQueries`], [`InsertQuery`], [`UpdateQuery`], [`WhereQuery`]
//!   and their async twins (feature `async`) `AsyncModelQueries`, `AsyncInsertQuery`,
//!   `AsyncUpdateQuery`, `AsyncDeleteQuery`, `AsyncWhereQuery`:
//!   the bounds of [`Manager`]'s reads and hooks on a connection type
//!   `C`, which a helper generic over the connection repeats
//!   (`where Product: ModelQueries<C>`); one impl per enabled connection
//!   type, from the derive.
//! - [`ConnectionSource`], `AsyncConnectionSource`: what
//!   [`Manager::from_pool`] reads through (implemented for r2d2's,
//!   deadpool's and bb8's pools and [`Checkout`]; for a pool of one's
//!   own, by hand).
//! - [`ReplicaPosition`], `AsyncReplicaPosition`: how [`Replicated`]
//!   asks a replica whether it replayed a write (implemented for
//!   PostgreSQL's and MySQL's connections).
//! - [`RefreshConnection`]: what [`refresh_connections`]' opener returns
//!   (implemented for Diesel's connections and r2d2's pooled ones; for a
//!   handle of one's own, implemented by hand).
//! - `TransactionFn` (feature `async`): the bound of
//!   `transaction_async`'s closure, which a wrapper around it repeats.
//!
//! What only generated code names (the row's cached form, list filters,
//! unique keys, the loaders) is in a hidden module, not in this API.

#![warn(missing_docs)]

// The modules, a layer each, the lowest first: each uses only modules
// above it in this list (`scripts/import-cycles` checks there is no cycle;
// docs/ARCHITECTURE.md walks through them).

/// How rows are laid out in the cache (`CacheForm`).
mod form;

/// The traits the derive implements ([`CachedModel`], [`ModelQueries`], ..).
mod model;

/// [`Rows`]: what a list read returns, shared with the cache.
mod rows;

/// Which caches hold entries of which tables.
mod registry;

/// Reads and invalidations reported to the `metrics` facade.
mod metrics;

/// What a SQL statement does to the cache, read from its text.
mod sql_tables;

/// The Diesel connection types supported (features), and r2d2's ([`Pooled`]).
mod connections;

/// The key and tag scheme, list filters, the database catalogue, tag bumps.
mod keys;

/// What a manager call can fail with ([`Error`]).
mod error;

/// The cache-aware connection ([`track`]) and what writes the hooks never saw invalidate.
mod tracking;

/// r2d2 pools made cache-aware ([`TrackConnections`]; feature `r2d2`).
#[cfg(feature = "r2d2")]
mod pool;

/// The [`Manager`] and its reads (pools, replicas, batches, id lists, verification).
mod manager;

/// The write hooks, sync and async, and what only one database's need.
mod writes;

/// Cached query functions (`#[cached_query]`) and their registry ([`query()`]).
mod query;

/// The change-stream follower: every committed change invalidated ([`Follower`]).
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
mod follower;

/// The operator's `cache-admin` as a library ([`Admin`]).
mod admin;

pub use admin::Admin;
pub use cache_core::{self, Cache, CacheConfig, Timeout, caches};
pub use cache_derive::{Cached, cached_query};
#[cfg(feature = "r2d2")]
pub use connections::Pooled;
pub use error::{CheckoutError, Error, Result};
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub use follower::{Follower, FollowerOptions, FollowerStats};
pub use form::{Form, FormRef};
pub use keys::filter::{BoxedCondition, FilterOp, Page, ParseOrderError};
pub use manager::Manager;
pub use manager::background::{
    RefreshConnection, RefreshStats, refresh_connections, refresh_stats, refresh_workers,
};
#[cfg(feature = "async")]
pub use manager::background_async::refresh_connections_async;
pub use manager::replicas::{ReplicaPosition, ReplicaStats, Replicated};
#[cfg(feature = "async")]
pub use manager::replicas_async::AsyncReplicaPosition;
pub use manager::source::{Checkout, ConnectionSource, FromPool};
#[cfg(feature = "async")]
pub use manager::source_async::AsyncConnectionSource;
pub use manager::verify_entries::{EntriesVerified, StaleEntry};
#[cfg(feature = "async")]
pub use model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncModelQueries, AsyncUpdateQuery, AsyncWhereQuery,
};
pub use model::{
    CachedModel, InsertQuery, ModelQueries, NoConnection, UpdateQuery, Updated, UpdatedRows,
    WhereQuery,
};
#[cfg(feature = "r2d2")]
pub use pool::TrackConnections;
pub use query::{CachedQuery, query};
pub use rows::Rows;
#[cfg(any(feature = "deadpool", feature = "bb8"))]
pub use tracking::tracking_async::tracked_pool_config;
#[cfg(feature = "async")]
pub use tracking::tracking_async::{
    TransactionFn, invalidate_tables_async, landed_async, track_async, transaction_async,
};
pub use tracking::written_tables::{
    declare_cascade, declare_function_writes, declare_uncached, declare_view,
    invalidate_everything, invalidate_tables, invalidate_tables_in,
};
pub use tracking::{CacheTracking, track, tracker, transaction};

/// What generated code names; not a stable API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "async")]
    pub use crate::manager::background_async::MAX_REFRESH_TASKS;
    pub use diesel;
    pub use std::sync::OnceLock;
    pub use std::time::Duration;

    /// At most this many values of a single-column key in one `load_many`
    /// query: under SQLite's 32,766 and MySQL's 65,535 bound parameters.
    pub const MANY_CHUNK: usize = 5_000;
    /// At most this many values of a composite key in one `load_many`
    /// query, as an `OR` of conditions: well under SQLite's expression
    /// depth of 1,000.
    pub const MANY_CHUNK_COMPOSITE: usize = 100;

    pub use crate::keys::catalogue::folded_write_reaches;

    #[cfg(any(
        feature = "sqlite",
        feature = "postgres-system-libpq",
        feature = "mysql",
        feature = "async-postgres",
        feature = "async-mysql"
    ))]
    pub use crate::connections::table_sql_name;
    pub use crate::connections::{LoadsFrom, assert_loads_from};
    pub use crate::form::{CacheForm, Field, FormError, FormReader, FormWriter, Packed, Plain};
    pub use crate::keys::condition_values::op_value_keys;
    pub use crate::keys::filter::{
        BoxedCondition, FilterCondition, KeyFields, Page, append_key, append_page_key,
        deserialize_order, integer_key, integer_key_into, value_key, value_key_into,
    };
    pub use crate::keys::sort_key::{SortKeyFields, deserialize_sort_key};
    pub use crate::keys::{DECLARED_MODELS, Declared};
    #[cfg(feature = "async")]
    pub use crate::model::{AsyncWhereLoader, async_where_loader};
    pub use crate::model::{
        ColumnValue, ListFilter, ModelInfo, RelationKind, UniqueKey, Updated, UpdatedRows,
        WhereLoader, record_schema_hash,
    };
    pub use crate::query::{CACHED_QUERIES, args_key, table_of};
    #[cfg(fuzzing)]
    pub use crate::sql_tables::fuzz_sql;
    pub use crate::writes::MAX_PRECISE_BULK_ROWS;
    #[cfg(feature = "mysql")]
    pub use crate::writes::mysql::writes::{mysql_atomic, mysql_reset_insert_id};
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub use crate::writes::mysql::writes::{
        mysql_inserted, mysql_inserted_ids, mysql_key_changed, mysql_not_returnable,
    };
    #[cfg(feature = "async-mysql")]
    pub use crate::writes::mysql::writes_async::{
        MysqlAtomic, mysql_atomic_begin, mysql_atomic_end, mysql_body, mysql_reset_insert_id_async,
    };
    #[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
    pub use crate::writes::pg::update::{
        UpdateReturningOld, update_returning_old, update_where_returning_old,
    };
    #[cfg(feature = "sqlite")]
    pub use crate::writes::sqlite_atomic;
    pub use linkme;
    pub use serde;

    /// What the generated sync reads import: Diesel's prelude.
    pub mod prelude {
        pub use diesel::prelude::*;
    }

    /// What the generated async reads import: Diesel's prelude with
    /// diesel-async's `RunQueryDsl` in place of Diesel's.
    #[cfg(feature = "async")]
    pub mod async_prelude {
        pub use diesel::prelude::*;
        pub use diesel_async::RunQueryDsl;
    }
    #[cfg(feature = "async")]
    pub use cache_core::__engine::BoxFuture;
    #[cfg(feature = "async")]
    pub use diesel_async;
}

/// The user guide (`docs/guide/`), whose examples compile and run as doctests.
pub mod guide;
