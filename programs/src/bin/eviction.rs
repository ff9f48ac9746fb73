//! Hit ratio of the in-process store's eviction (a change of its table
//! must keep it: an earlier in-process table of its own with CLOCK lost 3.4 points on the
//! Zipf trace and was reverted) against quick_cache 0.7 used bare and an
//! exact LRU of the same capacity, on the same trace: keys drawn from a
//! Zipf distribution (skew `--s`, default 0.9) over `--keys` keys (default
//! 1,000,000), `--accesses` reads (default 3,000,000), each miss filled;
//! capacity `--capacity` entries (default 100,000, `max_entries`). Also a
//! scan: the same trace with one pass over every key in the middle, which
//! an LRU lets flush its hot set. Prints `store_hit_ratio=..
//! quick_cache_hit_ratio=.. lru_hit_ratio=..` for each trace.
//!
//! ```sh
//! cargo run --release -p cache-programs --bin eviction -- [--s 0.9] [--capacity 100000]
//! ```

use cache_core::{Cache, CacheConfig, Timeout};
use std::collections::{BTreeMap, HashMap};

/// An exact LRU of `capacity` keys: a recency counter per key, ordered.
struct Lru {
    capacity: usize,
    tick: u64,
    at: HashMap<u64, u64>,
    by_tick: BTreeMap<u64, u64>,
}

impl Lru {
    fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            tick: 0,
            at: HashMap::new(),
            by_tick: BTreeMap::new(),
        }
    }

    /// Reads `key`; true on a hit. A miss inserts it, evicting the least
    /// recently read key when full.
    fn read(&mut self, key: u64) -> bool {
        self.tick += 1;
        let hit = match self.at.insert(key, self.tick) {
            Some(old) => {
                self.by_tick.remove(&old);
                true
            }
            None => false,
        };
        self.by_tick.insert(self.tick, key);
        if self.at.len() > self.capacity
            && let Some((_, oldest)) = self.by_tick.pop_first()
        {
            self.at.remove(&oldest);
        }
        hit
    }
}

/// A Zipf sampler over `1..=n` with skew `s` (inverse of the cumulative
/// distribution, by binary search), fed by a xorshift generator.
struct Zipf {
    cumulative: Vec<f64>,
    state: u64,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / (k as f64).powf(s);
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.into_iter().map(|c| c / total).collect();
        Zipf {
            cumulative,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let u = (self.state >> 11) as f64 / (1u64 << 53) as f64;
        self.cumulative.partition_point(|c| *c < u) as u64
    }
}

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (keys, accesses) = (arg("--keys", 1e6) as usize, arg("--accesses", 3e6) as usize);
    let (capacity, s) = (arg("--capacity", 1e5) as usize, arg("--s", 0.9));
    let mut zipf = Zipf::new(keys, s);
    let trace: Vec<u64> = (0..accesses).map(|_| zipf.next()).collect();
    let mut scanned = trace.clone();
    let middle = scanned.len() / 2;
    scanned.splice(middle..middle, 0..keys as u64);
    for (name, trace) in [("zipf", &trace), ("zipf_with_a_scan", &scanned)] {
        let mut config = CacheConfig::from_url("memory://").expect("memory URL");
        config.max_entries = Some(capacity as u64);
        let cache = Cache::new(config).expect("an in-process cache");
        let mut lru = Lru::new(capacity);
        let quick = quick_cache::sync::Cache::<u64, u64>::new(capacity);
        let (mut store_hits, mut lru_hits, mut quick_hits) = (0u64, 0u64, 0u64);
        // Counted over the second half only: both warm.
        let from = trace.len() / 2;
        for (i, &key) in trace.iter().enumerate() {
            let k = key.to_string();
            let hit = cache.get::<u64>(&k).ok().flatten().is_some();
            if !hit {
                let _ = cache.set(&k, &key, Timeout::Default);
            }
            let lru_hit = lru.read(key);
            let quick_hit = quick.get(&key).is_some();
            if !quick_hit {
                quick.insert(key, key);
            }
            if i >= from {
                store_hits += u64::from(hit);
                lru_hits += u64::from(lru_hit);
                quick_hits += u64::from(quick_hit);
            }
        }
        let n = (trace.len() - from) as f64;
        println!(
            "{name}: keys={keys} capacity={capacity} s={s} store_hit_ratio={:.3} quick_cache_hit_ratio={:.3} lru_hit_ratio={:.3}",
            store_hits as f64 / n,
            quick_hits as f64 / n,
            lru_hits as f64 / n
        );
    }
}
