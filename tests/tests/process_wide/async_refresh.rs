//! Background refreshes on the async API run as tasks, with connections
//! from the registered async opener (`refresh_connections_async`), while
//! every reader is served the old value. (Its own test binary: openers are
//! process-wide.)

use cache_diesel::{Cache, CacheConfig};
use cache_tests::consistency::{self, BackgroundRow, BackgroundRowCache, VersionedRowCache};
use cache_tests::db::{self, query_counter};
use cache_tests::{services, unique};
use diesel::connection::SimpleConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Rows per test: the two tests together stay within the refreshes that
/// may run at once (past that, a reader refreshes inline, by design).
const ROWS: i32 = cache_diesel::__private::MAX_REFRESH_TASKS as i32 / 2;

fn cache(url: &str, test: &str) -> BackgroundRowCache {
    let mut config = CacheConfig::from_url(url).unwrap();
    config.key_prefix = unique::prefix(test);
    BackgroundRowCache::new(Cache::new(config).unwrap())
}

/// Fills every row's entry at version 7 through `conn`, moves the rows to
/// version 8 behind the cache's back (`write`), and after the soft timeout
/// reads them all at once from as many tasks, each on a connection of its
/// own (`open`): every reader gets 7 at once and runs no query, and the
/// refreshes land 8 through `opened` connections of the opener.
async fn stale_reads_refresh_in_tasks<A, F, Fut>(
    rows: Arc<BackgroundRowCache>,
    open: F,
    write: impl FnOnce(),
    opened: Arc<AtomicUsize>,
) where
    A: AsyncConnection + 'static,
    BackgroundRow: cache_diesel::AsyncModelQueries<A>,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = A>,
{
    let queries = Arc::new(AtomicUsize::new(0));
    let mut conn = open().await;
    for id in 1..=ROWS {
        assert_eq!(rows.get_async(&mut conn, id).await.unwrap().version, 7);
    }
    write();
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the soft timeout
    let mut readers = Vec::new();
    for id in 1..=ROWS {
        let mut conn = open().await;
        conn.set_instrumentation(query_counter(queries.clone()));
        let rows = rows.clone();
        readers.push(tokio::spawn(async move {
            rows.get_async(&mut conn, id).await.unwrap().version
        }));
    }
    let mut served = Vec::new();
    for reader in readers {
        served.push(reader.await.unwrap());
    }
    assert_eq!(
        served,
        vec![7; ROWS as usize],
        "every stale read is served the old value"
    );
    assert_eq!(
        queries.load(Ordering::SeqCst),
        0,
        "no reader refreshed inline"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut fresh = 0;
    while fresh < ROWS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        fresh = 0;
        for id in 1..=ROWS {
            fresh += i32::from(rows.get_async(&mut conn, id).await.unwrap().version == 8);
        }
    }
    assert_eq!(fresh, ROWS, "every refresh landed");
    assert!(
        cache_diesel::refresh_stats().tasks >= ROWS as u64,
        "the refreshes are counted as tasks"
    );
    let opened = opened.load(Ordering::SeqCst);
    assert!(
        (1..=ROWS as usize).contains(&opened),
        "{ROWS} refreshes opened {opened} connections"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_refreshes_in_tasks() {
    let path = db::sqlite_path("async_refresh");
    let mut setup = db::create_sqlite_file(&path);
    setup.batch_execute(consistency::DDL).unwrap();
    for id in 1..=ROWS {
        setup
            .batch_execute(&format!("INSERT INTO consistency_rows VALUES ({id}, 7)"))
            .unwrap();
    }
    let opened = Arc::new(AtomicUsize::new(0));
    let (count, opener_path) = (opened.clone(), path.clone());
    cache_diesel::refresh_connections_async(move || {
        count.fetch_add(1, Ordering::SeqCst);
        let path = opener_path.clone();
        async move {
            let conn: SyncConnectionWrapper<_> =
                SyncConnectionWrapper::new(db::open_sqlite_file(&path));
            Ok::<_, std::convert::Infallible>(Box::new(conn))
        }
    });
    let rows = Arc::new(cache("memory://", "async_refresh_sqlite"));
    let open = || {
        let path = path.clone();
        async move { SyncConnectionWrapper::new(db::open_sqlite_file(&path)) }
    };
    let write = || {
        setup
            .batch_execute("UPDATE consistency_rows SET version = 8")
            .unwrap()
    };
    stale_reads_refresh_in_tasks(rows, open, write, opened).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_redis_refreshes_in_tasks_with_a_deadpool_pool() {
    use diesel_async::pooled_connection::AsyncDieselConnectionManager;
    use diesel_async::pooled_connection::deadpool::Pool;
    let (Some(mut setup), Some(redis)) = (db::postgres("async_refresh"), services::redis_url())
    else {
        return;
    };
    setup.conn.batch_execute(consistency::DDL).unwrap();
    for id in 1..=ROWS {
        setup
            .conn
            .batch_execute(&format!("INSERT INTO consistency_rows VALUES ({id}, 7)"))
            .unwrap();
    }
    let schema = setup.schema().unwrap().to_owned();
    let url = services::database_url().unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url.clone());
    let pool = Pool::builder(manager).max_size(4).build().unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    cache_diesel::refresh_connections_async(move || {
        count.fetch_add(1, Ordering::SeqCst);
        let pool = pool.clone();
        async move { pool.get().await }
    });
    let rows = Arc::new(cache(&redis, "async_refresh_postgres"));
    let open = || {
        let url = url.clone();
        async move { AsyncPgConnection::establish(&url).await.unwrap() }
    };
    let write = || {
        setup
            .conn
            .batch_execute("UPDATE consistency_rows SET version = 8")
            .unwrap()
    };
    stale_reads_refresh_in_tasks(rows, open, write, opened).await;
    sampled_async_hits_are_verified(&url, &redis, &mut setup.conn).await;
}

/// Sampled verification on the async API (`?verify=1`), its rereads on
/// connections from the opener registered above: a right hit counts
/// `verified`, one stale behind the cache's back (untracked SQL on
/// `behind`) `verified_stale`, and its entry is deleted.
async fn sampled_async_hits_are_verified(
    url: &str,
    redis: &str,
    behind: &mut diesel::PgConnection,
) {
    let mut config = CacheConfig::from_url(redis).unwrap();
    config.key_prefix = unique::prefix("async_verify");
    config.verify = 1.0;
    config.verify_window = Duration::from_millis(200);
    let rows = VersionedRowCache::new(Cache::new(config).unwrap());
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let until = async |done: &dyn Fn(&cache_core::StatsSnapshot) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&rows.stats()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        rows.stats()
    };
    for _ in 0..2 {
        rows.get_async(&mut conn, 1).await.unwrap();
    }
    let stats = until(&|s| s.verified == 1).await;
    assert_eq!((stats.verified, stats.verified_stale), (1, 0), "{stats:?}");
    behind
        .batch_execute("UPDATE consistency_rows SET version = 5 WHERE id = 1")
        .unwrap();
    let served = rows.get_async(&mut conn, 1).await.unwrap().version;
    assert_eq!(served, 8, "stale");
    let stats = until(&|s| s.verified_stale == 1).await;
    assert_eq!((stats.verified, stats.verified_stale), (1, 1), "{stats:?}");
    assert_eq!(rows.get_async(&mut conn, 1).await.unwrap().version, 5);
}
