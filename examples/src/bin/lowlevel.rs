//! The low-level cache API on the embedded default (in-process memory), or
//! on whatever `CACHE_URL` names (`redis://127.0.0.1:6379/0?prefix=demo`).
//!
//! `cargo run -p cache-examples --bin lowlevel`

use cache_core::{Cache, Key, Timeout};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize)]
struct Profile {
    name: String,
    karma: i64,
}

fn main() -> Result<(), cache_core::Error> {
    let cache = Cache::from_env()?;
    println!("cache: {cache:?}");
    cache.clear()?;

    let key = "profile:alice";
    println!("get {key}: {:?} (a miss)", cache.get::<Profile>(key)?);
    let profile = cache.get_or_set(
        key,
        || Profile {
            name: "Alice".into(),
            karma: 10,
        },
        Duration::from_secs(60),
    )?;
    println!("get_or_set {key}: {profile:?} (computed and stored)");
    println!("get {key}: {:?} (a hit)", cache.get::<Profile>(key)?);

    println!(
        "add {key}: stored={}",
        cache.add(
            key,
            &Profile {
                name: "Mallory".into(),
                karma: 0
            },
            Timeout::Default
        )?
    );
    cache.set("visits", &0, Timeout::Never)?;
    cache.incr("visits", 3)?;
    println!(
        "visits after incr(3), decr(1): {}",
        cache.decr("visits", 1)?
    );
    cache.set(
        Key::new(key).version(2),
        &Profile {
            name: "Alice v2".into(),
            karma: 11,
        },
        Timeout::Default,
    )?;
    println!(
        "version 2: {:?}",
        cache
            .get::<Profile>(Key::new(key).version(2))?
            .map(|p| p.name)
    );
    println!("delete {key}: existed={}", cache.delete(key)?);
    println!("stats: {:?}", cache.stats());
    Ok(())
}
