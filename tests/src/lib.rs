//! Shared support for the integration tests: where the real services are,
//! skipping (locally) or failing (in CI) when one is unreachable, a key
//! prefix of its own for every test, and a TCP proxy that can be cut.

pub mod bench;
pub mod consistency;
pub mod db;
pub mod env;
pub mod logs;
pub mod models;
pub mod proxy;
pub mod services;
pub mod slow_db;
pub mod unique;
