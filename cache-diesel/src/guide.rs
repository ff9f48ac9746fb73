// The guide's page: the line on `mod guide` in lib.rs; a blank line (or
// the links' definitions below would go on with its paragraph); the links
// as rustdoc renders them (`links!` below); README.md; the chapters.
//!
#![doc = self::links!()]
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

// The links of README.md and docs/guide/*.md as rustdoc renders them.
// Those files link each other by reference (`[Pools][pools.md]`) and end
// with the definitions GitHub reads (`[pools.md]: pools.md`); these come
// first in each page rustdoc renders, and in Markdown the first definition
// of a label wins. A chapter is its module; a file rustdoc has no page
// for, the repository's (`repository` in Cargo.toml). A label used there
// and missing here is a link to a file beside the page, which
// scripts/check-links reports.
macro_rules! links {
    () => {
        concat!(
            "[README.md]: crate::guide\n",
            "[models.md]: crate::guide::models\n",
            "[invalidation.md]: crate::guide::invalidation\n",
            "[invalidation.md#models-over-views]: crate::guide::invalidation#models-over-views\n",
            "[invalidation.md#precise-invalidation]: crate::guide::invalidation#precise-invalidation\n",
            "[invalidation.md#what-stays-coarse]: crate::guide::invalidation#what-stays-coarse\n",
            "[invalidation.md#when-the-cache-cannot-be-told]: crate::guide::invalidation#when-the-cache-cannot-be-told\n",
            "[invalidation.md#which-hooks-open-a-transaction-of-their-own]: crate::guide::invalidation#which-hooks-open-a-transaction-of-their-own\n",
            "[transactions.md]: crate::guide::transactions\n",
            "[transactions.md#exactly-what-is-caught]: crate::guide::transactions#exactly-what-is-caught\n",
            "[transactions.md#from-outside-cache-admin]: crate::guide::transactions#from-outside-cache-admin\n",
            "[transactions.md#not-caught]: crate::guide::transactions#not-caught\n",
            "[follower.md]: crate::guide::follower\n",
            "[async.md]: crate::guide::async_api\n",
            "[pools.md]: crate::guide::pools\n",
            "[pools.md#read-replicas]: crate::guide::pools#read-replicas\n",
            "[relations.md]: crate::guide::relations\n",
            "[misses-under-load.md]: crate::guide::misses_under_load\n",
            "[misses-under-load.md#to-opentelemetry]: crate::guide::misses_under_load#to-opentelemetry\n",
            "[cached-queries.md]: crate::guide::cached_queries\n",
            "[stores.md]: crate::guide::stores\n",
            "[stores.md#a-sick-cache-never-slows-reads]: crate::guide::stores#a-sick-cache-never-slows-reads\n",
            "[stores.md#redis-cluster]: crate::guide::stores#redis-cluster\n",
            "[stores.md#redis-sentinel]: crate::guide::stores#redis-sentinel\n",
            "[stores.md#the-tiered-store-redis-with-an-in-process-tier]: crate::guide::stores#the-tiered-store-redis-with-an-in-process-tier\n",
            "[low-level.md]: crate::guide::low_level\n",
            "[configuration.md]: crate::guide::configuration\n",
            "[guarantees.md]: crate::guide::guarantees\n",
            "[rest-service.md]: crate::guide::rest_service\n",
            "[crate::Admin]: crate::Admin\n",
            "[crate::Manager::verify_entries]: crate::Manager::verify_entries\n",
            "[dashboard.png]: ", env!("CARGO_PKG_REPOSITORY"), "/raw/HEAD/docs/guide/dashboard.png\n",
            "[BENCHMARKS.md]: ", env!("CARGO_PKG_REPOSITORY"), "/blob/HEAD/BENCHMARKS.md\n",
            "[RELIABILITY.md]: ", env!("CARGO_PKG_REPOSITORY"), "/blob/HEAD/RELIABILITY.md\n",
            "[CHANGELOG.md]: ", env!("CARGO_PKG_REPOSITORY"), "/blob/HEAD/CHANGELOG.md\n",
            "[docs/ARCHITECTURE.md]: ", env!("CARGO_PKG_REPOSITORY"), "/blob/HEAD/docs/ARCHITECTURE.md\n",
        )
    };
}
pub(crate) use links;

#[doc = links!()]
#[doc = include_str!("../../docs/guide/models.md")]
pub mod models {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/invalidation.md")]
pub mod invalidation {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/transactions.md")]
pub mod transactions {}

// Its example calls `Follower::postgres`: without PostgreSQL's feature the
// chapter is no doctest (every line of the example is shown, so no hidden
// `cfg` can stand in for this).
#[doc = links!()]
#[cfg_attr(
    any(not(doctest), feature = "postgres-system-libpq"),
    doc = include_str!("../../docs/guide/follower.md")
)]
#[cfg_attr(
    all(doctest, not(feature = "postgres-system-libpq")),
    doc = "Following the database (its example needs the `postgres` feature)."
)]
pub mod follower {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/async.md")]
pub mod async_api {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/pools.md")]
pub mod pools {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/relations.md")]
pub mod relations {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/misses-under-load.md")]
pub mod misses_under_load {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/cached-queries.md")]
pub mod cached_queries {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/stores.md")]
pub mod stores {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/low-level.md")]
pub mod low_level {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/configuration.md")]
pub mod configuration {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/guarantees.md")]
pub mod guarantees {}

#[doc = links!()]
#[doc = include_str!("../../docs/guide/rest-service.md")]
pub mod rest_service {}
