//! The integration suite: one test binary, a module per topic, against the
//! real PostgreSQL, MariaDB and Redis of the machine (`scripts/services.sh`)
//! and servers the tests start themselves (a Redis Cluster, a TLS Redis, a
//! Redis to kill). Shared helpers, models and the environment matrix live
//! in `tests/src` (the `cache_tests` crate; the matrix: `matrix.rs`). Two
//! other binaries hold what changes process-wide state (`process_wide`:
//! background refresh openers and workers, the `CACHE_URL` variable;
//! `log_limits`: a global subscriber that counts every warning of the
//! process). The checker programs, and the tests that run them briefly
//! (one at a time: each loads both cores), are the `cache-programs`
//! package (`programs/`).
//!
//! Run one topic with `cargo test -p cache-tests --test suite <module>::`.

// The manager and its options.
mod cached_form;
mod composite_keys;
mod declared_schema;
mod list_pages;
mod manager;
mod manager_more;
mod model_keys;
mod relations;
mod sql_names;

// Writes and invalidation.
mod batch_reads;
mod cached_query;
mod commit_bumps;
mod follower;
mod follower_mysql;
mod id_lists;
mod kept_hits;
mod mysql_sessions;
mod no_stale_reads;
mod owed_bumps;
mod pg_sessions;
mod precise_invalidation;
mod read_replicas;
mod rolling_deploys;
mod schema_pictures;
mod tenants;
mod text_filters;
mod two_caches;
mod write_hooks;
mod write_paths;
mod write_through;

// The async API.
mod async_api;
mod async_stores;
mod async_tracking;

// The stores.
mod conformance;
mod large_values;
mod redis_cluster;
mod redis_failures;
mod redis_sentinel;
mod redis_tls;
mod redis_transport;
mod redis_wire;
mod tiered;

// Load, pools, databases' transports, observability, installing.
mod from_pool;
mod install;
mod metrics;
mod misses_under_load;
mod pools;
mod postgres_tls;
mod traces;
mod verify_entries;
