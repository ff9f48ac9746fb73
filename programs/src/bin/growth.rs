//! What a reader waits while the in-process store grows: one thread fills
//! a `memory://` cache with `--entries` small entries (default 2,000,000)
//! while another reads 1,000 entries written first, over and over; prints
//! the reader's slowest reads and the fill's rate. A shard's table doubles
//! under its write lock, so the slowest read is about the largest
//! doubling: the shard count bounds it.
//!
//! ```text
//! cargo run --release -p cache-programs --bin growth -- [--entries 2000000]
//! ```

use cache_diesel::{Cache, CacheConfig, Timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let entries: u64 = args
        .iter()
        .position(|a| a == "--entries")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000_000);
    let mut cfg = CacheConfig::from_url("memory://").expect("memory URL");
    cfg.max_entries = Some(entries + 10_000);
    let cache = Cache::new(cfg).expect("cache");
    let hot = 1_000u64;
    for i in 0..hot {
        cache
            .set(format!("hot-{i}"), &i, Timeout::Never)
            .expect("set");
    }
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (cache, done) = (cache.clone(), done.clone());
        std::thread::spawn(move || {
            let mut waits = Vec::new();
            let mut i = 0u64;
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let found: Option<u64> = cache.get(format!("hot-{}", i % hot)).expect("get");
                waits.push(started.elapsed());
                assert_eq!(found, Some(i % hot), "a hot entry was lost");
                i += 1;
            }
            waits
        })
    };
    let started = Instant::now();
    for i in 0..entries {
        cache
            .set(format!("fill-{i}"), &i, Timeout::Never)
            .expect("set");
    }
    let fill = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut waits = reader.join().expect("reader");
    waits.sort();
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("entries            {entries}");
    println!(
        "fill               {:.0} sets/s",
        entries as f64 / fill.as_secs_f64()
    );
    println!("reads              {}", waits.len());
    println!("read p99.99        {:.3} ms", ms(at(0.9999)));
    println!("read max           {:.3} ms", ms(waits[waits.len() - 1]));
    let slow = waits
        .iter()
        .filter(|w| **w > Duration::from_millis(1))
        .count();
    println!("reads over 1 ms    {slow}");
}
