//! A loop of hot detail hits on SQLite + the in-process cache, for
//! counting a hit's instructions under callgrind (the one figure a noisy
//! shared machine does not move).
//!
//! ```text
//! cargo build --release -p cache-programs --bin hot_hits
//! valgrind --tool=callgrind target/release/hot_hits 20000
//! valgrind --tool=callgrind target/release/hot_hits 40000
//! ```
//!
//! A hit's instructions: the difference of the two totals over 20,000.
//! `--tiered`: the same hits through a tiered store (Redis behind the
//! in-process tier; needs `REDIS_URL` or the local Redis).

use cache_diesel::{Cache, CacheConfig};
use cache_programs::bench::{self, BenchProductCache};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::hint::black_box;

fn main() {
    let hits: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let tiered = std::env::args().any(|a| a == "--tiered");
    let prefix = cache_tests::unique::prefix("hot-hits");
    let path = std::env::temp_dir().join(format!("{prefix}.sqlite"));
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("SQLite file");
    conn.batch_execute(&bench::ddl::<SqliteConnection>())
        .expect("DDL");
    for sql in bench::seed_sql() {
        conn.batch_execute(&sql).expect("seed");
    }
    let url = if tiered {
        let redis = cache_tests::services::redis_url().expect("--tiered needs Redis");
        cache_tests::services::with_local_tier(&redis)
    } else {
        "memory://".to_owned()
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.clone();
    let cache = Cache::new(cfg).expect("cache");
    while tiered && cache.local_tier_ready() != Some(true) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let manager = BenchProductCache::new(cache);
    let id = |i: usize| 1 + (i % 100) as i32;
    for i in 0..200 {
        manager.get(&mut conn, id(i)).expect("warm");
    }
    let started = std::time::Instant::now();
    for i in 0..hits {
        black_box(manager.get(&mut conn, id(i)).expect("hit"));
    }
    let elapsed = started.elapsed();
    let stats = manager.stats();
    assert_eq!(stats.fills, 100, "every counted read was a hit: {stats:?}");
    println!(
        "{hits} hits, {:.0} ns a hit (wall time: for a comparison within one run, use `compare`)",
        elapsed.as_nanos() as f64 / hits as f64
    );
    let _ = manager.cache().clear();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
