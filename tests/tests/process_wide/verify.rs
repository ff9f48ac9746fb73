//! Sampled verification (`?verify=1`): a hit is re-read from the database
//! off the request path; a right one counts `verified`, a write behind the
//! cache's back (untracked SQL, no hook) is found as `verified_stale` and
//! its entry deleted, and a hook write racing the re-read is never
//! counted stale. On PostgreSQL, over the in-process store and Redis. (Its
//! own test binary: the rereads' connection source is process-wide.)

use cache_core::StatsSnapshot;
use cache_diesel::{Cache, CacheConfig};
use cache_tests::consistency::{self, VersionedRowCache, consistency_rows};
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// Waits (at most a minute: the verifier runs on its own thread) until
/// `done` holds of the manager's stats; returns them.
fn until(rows: &VersionedRowCache, done: impl Fn(&StatsSnapshot) -> bool) -> StatsSnapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = rows.stats();
        if done(&stats) || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sampled_hits_are_verified_and_a_stale_one_is_found() {
    let Some(mut db) = db::postgres("verify") else {
        return;
    };
    consistency::seed(&mut db.conn);
    let (url, schema) = (
        services::database_url().unwrap(),
        db.schema().unwrap().to_owned(),
    );
    cache_diesel::refresh_connections(move || -> Result<PgConnection, String> {
        let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
        (conn.batch_execute(&format!("SET search_path TO \"{schema}\"")))
            .map_err(|e| e.to_string())?;
        Ok(conn)
    });
    let stores = ["memory://".to_owned()]
        .into_iter()
        .chain(services::redis_url());
    for (n, store) in stores.enumerate() {
        let mut config = CacheConfig::from_url(&store).unwrap();
        config.key_prefix = unique::prefix("verify");
        config.verify = 1.0;
        config.verify_window = Duration::from_millis(200);
        let rows = VersionedRowCache::new(Cache::new(config).unwrap());
        let id = 1 + 2 * n as i32;
        let conn = &mut db.conn;

        // A right hit.
        rows.get(conn, id).unwrap();
        rows.get(conn, id).unwrap();
        let stats = until(&rows, |s| s.verified == 1);
        assert_eq!(
            (stats.verified, stats.verified_stale, stats.verify_raced),
            (1, 0, 0),
            "{store}: {stats:?}"
        );

        // A write behind the cache's back: the next hit serves the old row.
        let mut other = db.another();
        other
            .batch_execute(&format!(
                "UPDATE consistency_rows SET version = 5 WHERE id = {id}"
            ))
            .unwrap();
        let conn = &mut db.conn;
        assert_eq!(rows.get(conn, id).unwrap().version, 0, "{store}: stale");
        let stats = until(&rows, |s| s.verified_stale == 1);
        assert_eq!(
            (stats.verified, stats.verified_stale),
            (1, 1),
            "{store}: {stats:?}"
        );
        // Its entry was deleted: the next read is the database's.
        assert_eq!(rows.get(conn, id).unwrap().version, 5, "{store}: deleted");

        // A hook write right after a hit: verified or raced, never stale.
        let next = id + 1;
        rows.get(conn, next).unwrap();
        rows.get(conn, next).unwrap();
        rows.update(conn, next, consistency_rows::version.eq(9))
            .unwrap();
        let stats = until(&rows, |s| s.verified + s.verify_raced == 2);
        assert_eq!(
            (stats.verified + stats.verify_raced, stats.verified_stale),
            (2, 1),
            "{store}: {stats:?}"
        );
        assert_eq!(stats.verify_dropped, 0, "{store}: {stats:?}");
    }
}
