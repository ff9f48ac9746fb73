//! The environment matrix every suite runs on: one macro, [`matrix!`](crate::matrix!),
//! and one list of environments.
//!
//! An environment is a database and a store, and for the shared bodies of
//! `api.rs` an API (sync or async). Every set below covers each database
//! (SQLite, PostgreSQL, MySQL/MariaDB), each store (in-process, Redis,
//! Redis behind a local tier, a Redis Cluster: the cluster is this
//! process's own, started on first use by
//! [`RedisCluster::shared`](crate::redis_cluster::RedisCluster::shared))
//! and each way a hook announces its writes to a shared store (SQLite's
//! held transaction, PostgreSQL's `RETURNING`, MySQL's locking reads). Not
//! every database on every store: the stores behave alike under every
//! database (they see keys and tags, not SQL), so PostgreSQL alone runs
//! on the tier and the cluster, which keeps the suite's time in bounds.
//!
//! | module | database | store |
//! |---|---|---|
//! | `sqlite_memory` | SQLite (a file of the test's own; `parts`: in memory) | in-process |
//! | `sqlite_redis` | SQLite (a file of the test's own) | Redis |
//! | `postgres_redis` | PostgreSQL (a schema of the test's own) | Redis |
//! | `postgres_tiered` | PostgreSQL | Redis with a local tier |
//! | `postgres_cluster` | PostgreSQL | a Redis Cluster |
//! | `mysql_redis` | MySQL/MariaDB (a database of the test's own) | Redis |
//!
//! A suite states how its checks take their environment and which set
//! applies, and gets a test per check and environment, in a module per
//! environment:
//!
//! | call | a check is | sets |
//! |---|---|---|
//! | `matrix!(env; stores; ..)` | `fn(&mut Env<C>)` ([`env::matrix`](crate::env::matrix)) | `stores` |
//! | `matrix!(parts; stores; ..)` | `fn(&mut TestDb<C>, &Cache)` ([`env::parts`](crate::env::parts)) | `stores` |
//! | `matrix!(async_env; stores; ..)` | `async fn(AsyncEnv<S, A>)` ([`async_env`](crate::async_env)) | `stores` |
//! | `matrix!(api Fixture; both_apis; ..)` | `fn(&mut Fixture<D>)`, `Fixture::open(ApiOpener<D>, test)` ([`api`](crate::api)) | `sync_api`, `async_api`, `both_apis` |
//! | `matrix!(api_method Fixture; both_apis; ..)` | a method `Fixture<D>::check(&mut self)` | as `api` |
//! | `matrix!(items mac; sync_api;)` | no checks: the module of each environment holds `mac!(env)`, for bodies that cannot be generic over the connection (a boxed condition) | any |
//! | `matrix!(db; databases; ..)` | `fn<C>()` generic over the connection, choosing its stores itself | `databases` (SQLite, PostgreSQL, MySQL) |
//! | `matrix!(backend Target; backends; ..)` | `fn(&Target)`, `Target::memory(test)` and so on | `backends` (the stores alone, and `dummy`) |
//!
//! Each check's test is skipped (returns) when its services are
//! unreachable outside CI, as the openers decide. A check that cannot hold
//! on some environment returns early there, with a comment saying why.

/// One test per check and environment; see [the module](mod@crate::matrix).
#[macro_export]
macro_rules! matrix {
    // The sets.
    ($kind:ident $($fixture:ident)?; stores; $($check:ident),* $(,)?) => {
        $crate::matrix!(@each [$kind $($fixture)?]
            [sqlite_memory, sqlite_redis, postgres_redis, postgres_tiered, postgres_cluster, mysql_redis]
            [$($check),*]);
    };
    ($kind:ident $($fixture:ident)?; sync_api; $($check:ident),* $(,)?) => {
        $crate::matrix!(@each [$kind $($fixture)?]
            [sync_sqlite_memory, sync_sqlite_redis, sync_postgres_redis, sync_postgres_tiered, sync_postgres_cluster, sync_mysql_redis]
            [$($check),*]);
    };
    ($kind:ident $($fixture:ident)?; async_api; $($check:ident),* $(,)?) => {
        $crate::matrix!(@each [$kind $($fixture)?]
            [async_sqlite_memory, async_sqlite_redis, async_postgres_redis, async_postgres_tiered, async_postgres_cluster, async_mysql_redis]
            [$($check),*]);
    };
    ($kind:ident $($fixture:ident)?; both_apis; $($check:ident),* $(,)?) => {
        $crate::matrix!($kind $($fixture)?; sync_api; $($check),*);
        $crate::matrix!($kind $($fixture)?; async_api; $($check),*);
    };
    ($kind:ident $($fixture:ident)?; backends; $($check:ident),* $(,)?) => {
        $crate::matrix!(@each [$kind $($fixture)?]
            [memory, redis, tiered, cluster, dummy]
            [$($check),*]);
    };
    ($kind:ident $($fixture:ident)?; databases; $($check:ident),* $(,)?) => {
        $crate::matrix!(@each [$kind $($fixture)?] [sqlite, postgres, mysql] [$($check),*]);
    };
    (@each $kind:tt [$($env:ident),*] $checks:tt) => {
        $( $crate::matrix!(@module $kind $env $checks); )*
    };
    // The ways a check takes its environment.
    (@module [env] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                if let Some(mut env) = $crate::env::matrix::$env(stringify!($check)) {
                    super::$check(&mut env)
                }
            }
        )* }
    };
    (@module [parts] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                if let Some((mut db, cache)) = $crate::env::parts::$env(stringify!($check)) {
                    super::$check(&mut db, &cache);
                    let _ = cache.clear();
                }
            }
        )* }
    };
    (@module [async_env] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                if let Some(env) = $crate::async_env::$env(stringify!($check)).await {
                    super::$check(env).await
                }
            }
        )* }
    };
    (@module [api $fixture:ident] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                let open = $crate::api::$env;
                if let Some(mut fixture) = super::$fixture::open(open, stringify!($check)) {
                    super::$check(&mut fixture)
                }
            }
        )* }
    };
    (@module [api_method $fixture:ident] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                let open = $crate::api::$env;
                if let Some(mut fixture) = super::$fixture::open(open, stringify!($check)) {
                    fixture.$check()
                }
            }
        )* }
    };
    (@module [items $items:ident] $env:ident []) => {
        mod $env {
            $items!($env);
        }
    };
    (@module [db] sqlite $checks:tt) => {
        $crate::matrix!(@db sqlite diesel::SqliteConnection $checks);
    };
    (@module [db] postgres $checks:tt) => {
        $crate::matrix!(@db postgres diesel::PgConnection $checks);
    };
    (@module [db] mysql $checks:tt) => {
        $crate::matrix!(@db mysql diesel::MysqlConnection $checks);
    };
    (@db $env:ident $conn:ty [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                super::$check::<$conn>()
            }
        )* }
    };
    (@module [backend $fixture:ident] $env:ident [$($check:ident),*]) => {
        mod $env { $(
            #[test]
            fn $check() {
                if let Some(target) = super::$fixture::$env(stringify!($check)) {
                    super::$check(&target)
                }
            }
        )* }
    };
}
