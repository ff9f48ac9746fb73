//! Loops of detail hits on SQLite + the in-process cache, for counting
//! what a hit costs under callgrind (figures a noisy shared machine does
//! not move).
//!
//! ```text
//! cargo build --release -p cache-programs --bin hot_hits
//! valgrind --tool=callgrind target/release/hot_hits 20000
//! valgrind --tool=callgrind target/release/hot_hits 40000
//! ```
//!
//! A hot hit's instructions: the difference of the two totals over
//! 20,000. `--tiered`: the same hits through a tiered store (Redis behind
//! the in-process tier; needs `REDIS_URL` or the local Redis).
//!
//! `--100k`: hits among 100,000 entries (the 10,000 rows read with a
//! stride, as `compare`'s `memory_hit_ns_100k`), in `stride_hits`, then
//! the same rows read from a plain map (its floor) in `stride_floor`. The
//! cache lines each loop brings in from beyond a 1 MiB cache (this
//! machine's L2):
//!
//! ```text
//! valgrind --tool=callgrind --cache-sim=yes --LL=1048576,16,64 \
//!   --toggle-collect='hot_hits::stride_*' target/release/hot_hits --100k 20000
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep stride_
//! ```
//!
//! (`DLmr` over 5 x 20,000: lines read from beyond the L2 a read.) It
//! prints the wall time a read of each loop, the median of 5 rounds.

use cache_diesel::{Cache, CacheConfig, Timeout};
use cache_programs::bench::{self, BenchProduct, BenchProductCache};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

fn main() {
    let hits: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let tiered = std::env::args().any(|a| a == "--tiered");
    let at_size = std::env::args().any(|a| a == "--100k");
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
    if at_size {
        cfg.max_entries = Some(200_000);
    }
    let cache = Cache::new(cfg).expect("cache");
    while tiered && cache.local_tier_ready() != Some(true) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let manager = BenchProductCache::new(cache);
    if at_size {
        at_100k(&manager, &mut conn, hits);
    } else {
        hot(&manager, &mut conn, hits);
    }
    let _ = manager.cache().clear();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// `hits` hits on 100 ids, after a read of each.
fn hot(manager: &BenchProductCache, conn: &mut SqliteConnection, hits: usize) {
    let id = |i: usize| 1 + (i % 100) as i32;
    for i in 0..200 {
        manager.get(conn, id(i)).expect("warm");
    }
    let started = std::time::Instant::now();
    for i in 0..hits {
        black_box(manager.get(conn, id(i)).expect("hit"));
    }
    let elapsed = started.elapsed();
    let stats = manager.stats();
    assert_eq!(stats.fills, 100, "every counted read was a hit: {stats:?}");
    println!(
        "{hits} hits, {:.0} ns a hit (wall time: for a comparison within one run, use `compare`)",
        elapsed.as_nanos() as f64 / hits as f64
    );
}

/// The rows' ids read with a stride: every read far from the last.
fn stride_id(i: usize) -> i32 {
    1 + ((i * 7_919) % bench::PRODUCTS as usize) as i32
}

/// `hits` hits among 100,000 entries, then as many reads of the same rows
/// from a plain map of 100,000 entries, each loop after a pass over every
/// row (`compare`'s `memory_hit_ns_100k` and its floor).
fn at_100k(manager: &BenchProductCache, conn: &mut SqliteConnection, hits: usize) {
    for id in 1..=bench::PRODUCTS {
        manager.get(conn, id).expect("fill");
    }
    let fillers = 90_000;
    for i in 0..fillers {
        let key = format!("filler-{i}");
        manager
            .cache()
            .set(key, &i, Timeout::Never)
            .expect("filler");
    }
    let mut floor: HashMap<i32, Arc<BenchProduct>> = HashMap::with_capacity(100_000);
    for id in 1..=bench::PRODUCTS {
        floor.insert(id, Arc::new(manager.get(conn, id).expect("hit")));
    }
    let model = floor[&1].as_ref().clone();
    for n in 0..fillers {
        floor.insert(1_000_000 + n, Arc::new(model.clone()));
    }
    for i in 0..bench::PRODUCTS as usize {
        black_box(manager.get(conn, stride_id(i)).expect("warm"));
    }
    for i in 0..bench::PRODUCTS as usize {
        black_box(floor.get(&stride_id(i)).map(|row| row.as_ref().clone()));
    }
    // Rounds of each loop in turn (a neighbour's load hits both alike),
    // each figure the median of its rounds' wall time a read.
    let mut ns = [Vec::new(), Vec::new()];
    for _ in 0..5 {
        let started = std::time::Instant::now();
        stride_hits(manager, conn, hits);
        ns[0].push(started.elapsed().as_nanos() as f64 / hits as f64);
        let started = std::time::Instant::now();
        stride_floor(&floor, hits);
        ns[1].push(started.elapsed().as_nanos() as f64 / hits as f64);
    }
    let [hit, map] = ns.map(|mut ns| {
        ns.sort_by(f64::total_cmp);
        ns[ns.len() / 2]
    });
    // Each read timed alone, as `compare` times them (no overlap between
    // reads: the latency of each one's chain of loads).
    let [one_hit, one_map] = bench::measure_side_by_side(hits, |k, i| {
        if k == 0 {
            black_box(manager.get(conn, stride_id(i)).expect("hit"));
        } else {
            black_box(floor.get(&stride_id(i)).map(|row| row.as_ref().clone()));
        }
    });
    let stats = manager.stats();
    assert_eq!(
        stats.fills,
        u64::from(bench::PRODUCTS.unsigned_abs()),
        "every counted read was a hit: {stats:?}"
    );
    println!(
        "{hits} hits among 100,000 entries, 5 rounds: {hit:.0} ns a hit, its map floor {map:.0} ns, ratio {:.2} (wall time); each timed alone: {:.0} ns, floor {:.0} ns, ratio {:.2}",
        hit / map,
        one_hit.median_ns,
        one_map.median_ns,
        one_hit.median_ns / one_map.median_ns
    );
}

#[inline(never)]
fn stride_hits(manager: &BenchProductCache, conn: &mut SqliteConnection, hits: usize) {
    for i in 0..hits {
        black_box(manager.get(conn, stride_id(i)).expect("hit"));
    }
}

#[inline(never)]
fn stride_floor(floor: &HashMap<i32, Arc<BenchProduct>>, hits: usize) {
    for i in 0..hits {
        black_box(floor.get(&stride_id(i)).map(|row| row.as_ref().clone()));
    }
}
