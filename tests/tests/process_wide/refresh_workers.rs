//! Background refreshes run on a bounded set of worker threads, with
//! connections from a pool. (Its own test binary: the workers and the
//! registered openers are process-wide.)

use cache_diesel::Cache;
use cache_tests::consistency::{self, BackgroundRowCache};
use cache_tests::{db, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const READERS: i32 = 50;
const WORKERS: usize = 3;

#[test]
fn fifty_stale_reads_refresh_on_at_most_the_worker_count_of_threads() {
    let path = db::sqlite_path("refresh_workers");
    let mut setup = db::create_sqlite_file(&path);
    setup.batch_execute(consistency::DDL).unwrap();
    for id in 1..=READERS {
        setup
            .batch_execute(&format!("INSERT INTO consistency_rows VALUES ({id}, 7)"))
            .unwrap();
    }
    let pool = Pool::builder()
        .max_size(WORKERS as u32 + 1)
        .build(ConnectionManager::<SqliteConnection>::new(&path))
        .unwrap();
    assert!(cache_diesel::refresh_workers(WORKERS, 64));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let (seen, opener_pool) = (threads.clone(), pool.clone());
    cache_diesel::refresh_connections(move || {
        seen.lock().unwrap().insert(std::thread::current().id());
        opener_pool.get()
    });
    let mut prefix = cache_diesel::CacheConfig::from_url("memory://").unwrap();
    prefix.key_prefix = unique::prefix("refresh_workers");
    let rows = BackgroundRowCache::new(Cache::new(prefix).unwrap());
    let mut conn = db::open_sqlite_file(&path);
    for id in 1..=READERS {
        assert_eq!(rows.get(&mut conn, id).unwrap().version, 7);
    }
    setup
        .batch_execute("UPDATE consistency_rows SET version = 8")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100)); // past the soft timeout
    let barrier = Barrier::new(READERS as usize);
    let served: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=READERS)
            .map(|id| {
                let (rows, barrier, path) = (&rows, &barrier, &path);
                s.spawn(move || {
                    let mut conn = db::open_sqlite_file(path);
                    barrier.wait();
                    rows.get(&mut conn, id).unwrap().version
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        served,
        vec![7; READERS as usize],
        "every stale read is served the old value"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut fresh = 0;
    while fresh < READERS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        fresh = (1..=READERS)
            .filter(|&id| rows.get(&mut conn, id).unwrap().version == 8)
            .count() as i32;
    }
    assert_eq!(fresh, READERS, "every refresh landed");
    let ran_on = threads.lock().unwrap().len();
    assert!(
        (1..=WORKERS).contains(&ran_on),
        "{READERS} refreshes ran on {ran_on} threads"
    );
    let stats = cache_diesel::refresh_stats();
    assert_eq!(
        (stats.threads, stats.queued, stats.ran_inline),
        (WORKERS, READERS as u64, 0),
        "{stats:?}"
    );

    // Read through a pooled connection, the refresh runs on a worker with
    // a pooled connection too.
    setup
        .batch_execute("UPDATE consistency_rows SET version = 9 WHERE id = 1")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let mut pooled = pool.get().unwrap();
    assert_eq!(
        rows.get(&mut pooled, 1).unwrap().version,
        8,
        "served the old value"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = 8;
    while seen == 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        seen = rows.get(&mut pooled, 1).unwrap().version;
    }
    assert_eq!(seen, 9, "the background refresh landed");
    assert_eq!(cache_diesel::refresh_stats().queued, READERS as u64 + 1);
    assert!(threads.lock().unwrap().len() <= WORKERS);
    drop((pooled, pool, conn, setup));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}
