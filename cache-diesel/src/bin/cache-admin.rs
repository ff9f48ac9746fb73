//! `cache-admin`: an operator's commands against a running deployment's
//! shared cache (Redis, Redis Cluster, the tiered store's Redis), with the
//! URL syntax of `Cache::from_url`: `cache-admin` without arguments lists
//! them, and `cache_diesel::Admin` says what each does. This build knows
//! no model: `verify` needs a deployment's own build (`Admin::verifies`).

fn main() -> std::process::ExitCode {
    cache_diesel::Admin::new().main()
}
