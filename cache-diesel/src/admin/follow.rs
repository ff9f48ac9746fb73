//! `cache-admin follow`: a change-stream follower as a sidecar.

#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
use super::USAGE;
use crate::Cache;

/// Runs a follower of the database at `database` (PostgreSQL, or MySQL
/// and MariaDB for a `mysql://` URL) until killed.
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub(super) fn follow(cache: Cache, database: &str, options: &[String]) -> Result<String, String> {
    let mut o = crate::FollowerOptions::default();
    let mut it = options.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--slot" => o.slot = value()?,
            "--publication" => o.publication = value()?,
            "--table" => o.tables.push(value()?),
            "--replica-identity-full" => o.replica_identity_full = true,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let follower = if database.starts_with("mysql:") {
        #[cfg(feature = "mysql-follower")]
        {
            crate::Follower::mysql(database, cache, o)
        }
        #[cfg(not(feature = "mysql-follower"))]
        return Err(
            "following MySQL needs cache-admin built with the mysql-follower feature".into(),
        );
    } else {
        #[cfg(feature = "postgres-system-libpq")]
        {
            crate::Follower::postgres(database, cache, o)
        }
        #[cfg(not(feature = "postgres-system-libpq"))]
        return Err(
            "following PostgreSQL needs cache-admin built with the postgres feature".into(),
        );
    };
    follower.run();
    Ok("stopped".into())
}

/// Without the `postgres` or `mysql-follower` feature, there is nothing
/// to follow.
#[cfg(not(any(feature = "postgres-system-libpq", feature = "mysql-follower")))]
pub(super) fn follow(_: Cache, _: &str, _: &[String]) -> Result<String, String> {
    Err(
        "follow needs cache-admin built with the postgres or mysql-follower feature \
         (cargo install cache-diesel --features postgres,mysql-follower)"
            .into(),
    )
}
