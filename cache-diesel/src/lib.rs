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
//! Its modules are private; what a user names is re-exported here. They
//! are, in the order a read and a write meet them:
//!
//! - `manager`, `manager_async`: the generic [`Manager`] every generated
//!   manager derefs to, its reads (sync and async).
//! - `source`, `source_async`: reads through a pool ([`Manager::from_pool`]),
//!   which check a connection out only on a miss.
//! - `replicas`, `replicas_async`: reads from a read replica that fill only
//!   what the replica has replayed ([`Replicated`]).
//! - `model`: the traits the derive implements ([`CachedModel`],
//!   [`ModelQueries`], ..).
//! - `form`: how rows are laid out in the cache ([`CacheForm`]: fields in
//!   order, timestamps as integers).
//! - `keys`, `values`, `tags`: the key and tag scheme: every backend key
//!   and tag key, and which tags each kind of read depends on.
//! - `filter`: list filter conditions ([`FilterOp`], [`Page`]).
//! - `query`: cached query functions (`#[cached_query]`) and their
//!   registry ([`query()`]).
//! - `writes`, `writes_async`, `held_commit`: the write hooks; and in
//!   `backends`, a folder per database, what only one database needs:
//!   `pg` (the update that returns the old row, an async hook's own
//!   transaction), `mysql` (the hooks' short transactions, the session
//!   settings the tracker reads), `sqlite` (the async writes).
//! - `tracking`, `tracking_async`: the cache-aware connection ([`track`],
//!   [`transaction`], [`track_async`]): invalidations wait for the commit;
//!   writes the hooks never saw are caught.
//! - `follower` (PostgreSQL): every change the database commits, whoever
//!   wrote it, invalidated from its logical replication stream
//!   ([`Follower`]).
//! - `sql_tables`: what a SQL statement does to the cache: reads, writes
//!   which tables, opens or ends a transaction, or cannot be told.
//! - `unseen`: what writes the hooks never saw invalidate; declared views,
//!   writing functions and uncached tables ([`invalidate_tables`]).
//! - `background`, `background_async`: connections and workers for
//!   background refreshes ([`refresh_connections`]).
//! - `pool` (feature `r2d2`): r2d2 pooled connections taken directly
//!   ([`Pooled`]), and [`TrackConnections`].
//! - `connections`: which Diesel connection types are supported (features).
//! - `read_metrics`: reads by kind and outcome, and their latency, in the
//!   `metrics` facade (feature `metrics`).
//! - `verify`, `verify_entries`: the right answer, checked in production:
//!   a sample of hits read again from the database (`?verify=`), and an
//!   operator's check of a model's entries ([`Manager::verify_entries`]).
//! - `admin`: the operator's `cache-admin` as a library ([`Admin`]), so a
//!   deployment's own build of it knows its models.
//! - [`guide`]: the user guide, one chapter a module (`docs/guide/`): models,
//!   invalidation, transactions and the write paths caught, async, pools,
//!   relations, misses under load, cached queries, the stores, the low-level
//!   API, configuration, guarantees.

#![warn(missing_docs)]

mod admin;
mod backends;
mod background;
#[cfg(feature = "async")]
mod background_async;
mod catalogue;
mod coarse_share;
mod connections;
mod error;
mod filter;
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
mod follower;
mod form;
mod held_commit;
mod id_lists;
#[cfg(feature = "async")]
mod id_lists_async;
mod keys;
mod manager;
#[cfg(feature = "async")]
mod manager_async;
mod many;
#[cfg(feature = "async")]
mod many_async;
mod model;
#[cfg(feature = "r2d2")]
mod pool;
mod query;
mod read_metrics;
mod registry;
mod replicas;
#[cfg(feature = "async")]
mod replicas_async;
mod rows;
mod sort_key;
mod source;
#[cfg(feature = "async")]
mod source_async;
mod sql_tables;
mod tags;
mod tracking;
#[cfg(feature = "async")]
mod tracking_async;
mod unseen;
mod values;
mod verify;
mod verify_entries;
mod write_metrics;
mod write_shape;
mod write_through;
mod writes;
#[cfg(feature = "async")]
mod writes_async;

pub use admin::Admin;
pub use background::{
    DEFAULT_QUEUE, DEFAULT_WORKERS, RefreshConnection, RefreshStats, refresh_connections,
    refresh_stats, refresh_workers,
};
#[cfg(feature = "async")]
pub use background_async::{MAX_REFRESH_TASKS, refresh_connections_async};
pub use cache_core::{self, Cache, CacheConfig, Timeout, caches};
pub use cache_derive::{Cached, cached_query};
pub use error::{Error, Result};
pub use filter::{BoxedCondition, FilterOp, Page, ParseOrderError};
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub use follower::{Follower, FollowerOptions, FollowerStats};
pub use form::{CacheForm, Form, FormRef};
pub use manager::Manager;
#[cfg(feature = "async")]
pub use model::{AsyncDeleteQuery, AsyncInsertQuery, AsyncModelQueries, AsyncUpdateQuery};
pub use model::{
    CachedModel, ColumnValue, InsertQuery, ListFilter, ModelInfo, ModelQueries, NoConnection,
    UniqueKey, UpdateQuery, Updated, UpdatedRows, WhereQuery,
};
#[cfg(feature = "r2d2")]
pub use pool::{Pooled, TrackConnections};
pub use query::{CachedQuery, query};
pub use replicas::{ReplicaPosition, ReplicaStats, Replicated};
#[cfg(feature = "async")]
pub use replicas_async::AsyncReplicaPosition;
pub use rows::Rows;
pub use source::{Checkout, CheckoutError, ConnectionSource, FromPool};
#[cfg(feature = "async")]
pub use source_async::AsyncConnectionSource;
pub use tracking::{CacheTracking, track, tracker, transaction};
#[cfg(any(feature = "deadpool", feature = "bb8"))]
pub use tracking_async::tracked_pool_config;
#[cfg(feature = "async")]
pub use tracking_async::{
    TransactionFn, invalidate_tables_async, landed_async, track_async, transaction_async,
};
pub use unseen::{
    declare_cascade, declare_function_writes, declare_uncached, declare_view,
    invalidate_everything, invalidate_tables, invalidate_tables_in,
};
pub use verify_entries::{EntriesVerified, StaleEntry};

/// What generated code names; not a stable API.
#[doc(hidden)]
pub mod __private {
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

    pub use crate::catalogue::folded_write_reaches;

    #[cfg(feature = "mysql")]
    pub use crate::backends::mysql::writes::{mysql_atomic, mysql_reset_insert_id};
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub use crate::backends::mysql::writes::{
        mysql_inserted, mysql_inserted_ids, mysql_key_changed, mysql_not_returnable,
    };
    #[cfg(feature = "async-mysql")]
    pub use crate::backends::mysql::writes_async::{
        MysqlAtomic, mysql_atomic_begin, mysql_atomic_end, mysql_body, mysql_reset_insert_id_async,
    };
    #[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
    pub use crate::backends::pg::update::{
        UpdateReturningOld, update_returning_old, update_where_returning_old,
    };
    #[cfg(any(
        feature = "sqlite",
        feature = "postgres-system-libpq",
        feature = "mysql",
        feature = "async-postgres",
        feature = "async-mysql"
    ))]
    pub use crate::connections::table_sql_name;
    pub use crate::connections::{LoadsFrom, assert_loads_from};
    pub use crate::filter::{
        BoxedCondition, FilterCondition, Page, append_key, append_page_key, deserialize_order,
        integer_key, integer_key_into, value_key, value_key_into,
    };
    pub use crate::form::{Field, Packed, Plain, too_short};
    pub use crate::keys::{DECLARED_MODELS, Declared};
    pub use crate::model::{RelationKind, Updated, UpdatedRows, WhereLoader, record_schema_hash};
    pub use crate::query::{CACHED_QUERIES, args_key, table_of};
    pub use crate::sort_key::{SortKeyFields, deserialize_sort_key};
    #[cfg(fuzzing)]
    pub use crate::sql_tables::fuzz_sql;
    pub use crate::values::op_value_keys;
    pub use crate::writes::MAX_PRECISE_BULK_ROWS;
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
