//! Shared support for the integration tests: where the real services are,
//! skipping (locally) or failing (in CI) when one is unreachable, a key
//! prefix of its own for every test, a TCP proxy that can be cut, and a
//! `redis-server` of a test's own that can be stopped, killed and restarted,
//! and a Redis Cluster of a test's (or a process's) own.

pub mod api;
pub mod async_env;
pub mod consistency;
pub mod counting;
pub mod db;
pub mod env;
pub mod failover;
pub mod following;
pub mod logs;
pub mod mariadb_replica;
pub mod matrix;
pub mod models;
pub mod pg_replica;
pub mod proxy;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod redis_server;
pub mod refusal;
pub mod services;
pub mod slow_db;
pub mod unique;
pub mod watched;
