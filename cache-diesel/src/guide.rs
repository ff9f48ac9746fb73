#![doc = include_str!("../../README.md")]
//! ## Chapters
//!
//! The rest of the guide, one chapter a module, in reading order (their
//! sources are `docs/guide/*.md`; every example in them runs as a doctest):
//!
//! - [`models`](crate::guide::models): `#[cache(..)]` options, composite keys, list pages, what the
//!   write hooks return and cost on each database.
//! - [`invalidation`](crate::guide::invalidation): tags, precise invalidation of lists, and what stays
//!   coarse.
//! - [`transactions`](crate::guide::transactions): tracked connections, the write paths caught and not
//!   caught, `cache-admin`.
//! - [`follower`](crate::guide::follower): every committed write, whoever wrote it, from
//!   PostgreSQL's change stream; the lag bound.
//! - [`async_api`](crate::guide::async_api): the same managers on diesel-async connections.
//! - [`pools`](crate::guide::pools): r2d2 pools and `TrackConnections`, reads through a pool,
//!   read replicas.
//! - [`relations`](crate::guide::relations): `select_related` and `prefetch`.
//! - [`misses_under_load`](crate::guide::misses_under_load): single-flight, leases, serve-stale, stats.
//! - [`cached_queries`](crate::guide::cached_queries): `#[cached_query]` functions.
//! - [`stores`](crate::guide::stores): a sick cache, the tiered store, Redis Cluster, Sentinel, a store of
//!   your own.
//! - [`low_level`](crate::guide::low_level): Django's low-level cache API.
//! - [`configuration`](crate::guide::configuration): cache URLs and their options.
//! - [`guarantees`](crate::guide::guarantees): the consistency checker, and what the stores guarantee.
//! - [`rest_service`](crate::guide::rest_service): the example axum service.

#[doc = include_str!("../../docs/guide/models.md")]
pub mod models {}

#[doc = include_str!("../../docs/guide/invalidation.md")]
pub mod invalidation {}

#[doc = include_str!("../../docs/guide/transactions.md")]
pub mod transactions {}

#[doc = include_str!("../../docs/guide/follower.md")]
pub mod follower {}

#[doc = include_str!("../../docs/guide/async.md")]
pub mod async_api {}

#[doc = include_str!("../../docs/guide/pools.md")]
pub mod pools {}

#[doc = include_str!("../../docs/guide/relations.md")]
pub mod relations {}

#[doc = include_str!("../../docs/guide/misses-under-load.md")]
pub mod misses_under_load {}

#[doc = include_str!("../../docs/guide/cached-queries.md")]
pub mod cached_queries {}

#[doc = include_str!("../../docs/guide/stores.md")]
pub mod stores {}

#[doc = include_str!("../../docs/guide/low-level.md")]
pub mod low_level {}

#[doc = include_str!("../../docs/guide/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../../docs/guide/guarantees.md")]
pub mod guarantees {}

#[doc = include_str!("../../docs/guide/rest-service.md")]
pub mod rest_service {}
