//! Redis under Sentinel (`redis+sentinel://`), each test on a deployment of
//! its own (a master, two replicas, three sentinels): the master is found
//! through the sentinels and found again after a failover, by the sync
//! store, its async twin and the tiered store's tracking connection; an
//! invalidation the master acknowledged survives the failover (it waits
//! for a replica), and without that wait it can be lost; a sentinel that
//! hangs or a service nobody knows costs a read its deadline, never the
//! read.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{FillOptions, Lookup, Namespace};
use cache_core::{Cache, CacheConfig};
use cache_tests::async_env;
use cache_tests::failover::{fill_entries_of_one_tag, still_served};
use cache_tests::models::{NewProduct, ProductCache, products};
use cache_tests::redis_sentinel::RedisSentinel;
use cache_tests::{db, env, unique};
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// Short deadlines: a failover is noticed at once and the master asked
/// again every 100 ms.
const FAST: &str = "connect_timeout=200ms&response_timeout=200ms&retry_after=100ms";

fn cache(url: &str, prefix: &str, options: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(&format!("{url}?{FAST}&{options}")).expect("sentinel URL");
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).expect("cache")
}

/// Waits (at most 30 s) until `hit` holds, polling.
fn eventually(what: &str, mut hit: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hit() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads go to the master the sentinels name; the master is killed; every
/// read still answers (from the database while no master is known), a
/// write made meanwhile is seen, and hits come back from the new master.
#[test]
fn reads_follow_the_master_through_a_failover() {
    let Some(mut deployment) = RedisSentinel::for_test() else {
        return;
    };
    let mut db = db::sqlite();
    let products = ProductCache::new(cache(&deployment.url(), &unique::prefix("follow"), ""));
    let id = products
        .insert(&mut db.conn, NewProduct::new("tea", 1))
        .unwrap()
        .id;
    products.get(&mut db.conn, id).unwrap();
    products.get(&mut db.conn, id).unwrap();
    assert_eq!(products.stats().hits, 1, "a hit on the first master");
    let old = deployment.kill_master();
    products.get(&mut db.conn, id).unwrap();
    products
        .update(&mut db.conn, id, products::title.eq("green tea"))
        .unwrap();
    let new = deployment.wait_for_new_master(old).unwrap();
    assert_ne!(new, old);
    for _ in 0..20 {
        let read = products.get(&mut db.conn, id).unwrap();
        assert_eq!(read.title, "green tea", "a read after the write");
    }
    let before = products.stats().hits;
    eventually("hits from the new master", || {
        let read = products.get(&mut db.conn, id).unwrap();
        assert_eq!(read.title, "green tea");
        products.stats().hits > before
    });
}

/// Fills 100 entries of one tag, stops both replicas and cuts them off,
/// bumps the tag, kills the master and lets a replica (which never got the
/// bump) take over; returns how many entries another process still serves
/// once the writer has delivered what it owes.
fn stale_after_failover(options: &str) -> Option<usize> {
    let mut deployment = RedisSentinel::for_test()?;
    let url = deployment.url();
    let prefix = unique::prefix("acked");
    let writer = cache(&url, &prefix, options);
    let (tag, entries) = fill_entries_of_one_tag(&writer, 100);
    let master = deployment.master_port().expect("a master");
    let replicas: Vec<u16> = deployment.replica_ports();
    deployment.stop_and_cut_replicas();
    let bumped = writer.engine().bump_tags(std::slice::from_ref(&tag), None);
    assert_eq!(
        bumped.is_ok(),
        options.contains("replicas=0"),
        "a bump no replica acknowledged fails (and is owed): {bumped:?}"
    );
    deployment.kill_master();
    for port in &replicas {
        deployment.server(*port).unwrap().cont();
    }
    deployment.wait_for_new_master(master).unwrap();
    let reader = cache(&url, &prefix, "");
    Some(still_served(&reader, &tag, &entries, || {
        let _ = writer
            .engine()
            .read_tagged::<String>(&entries[0], &[&tag], None);
    }))
}

#[test]
fn an_acknowledged_invalidation_survives_a_failover() {
    if let Some(stale) = stale_after_failover("") {
        assert_eq!(stale, 0, "entries stamped before the bump were served");
    }
}

/// The hole the wait closes, shown: without it, the bump is acknowledged
/// by the master alone and lost with it.
#[test]
fn without_waiting_for_replicas_a_failover_loses_the_invalidation() {
    if let Some(stale) = stale_after_failover("replicas=0") {
        assert!(stale > 0, "the promoted replica serves the old entries");
    }
}

/// The async twin (its multiplexed connections and its own hit path) finds
/// the master, and finds the new one after a failover.
#[test]
fn async_reads_follow_the_master_through_a_failover() {
    let Some(mut deployment) = RedisSentinel::for_test() else {
        return;
    };
    let Some(db) = db::postgres("sentinel_async") else {
        return;
    };
    let url = deployment.url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cache = cache(&url, &unique::prefix("async"), "");
        let mut env = async_env::postgres_over(env::Env::new(db, cache))
            .await
            .expect("PostgreSQL");
        let p = ProductCache::new(env.sync.cache.clone());
        let id = p
            .insert(&mut env.sync.db.conn, NewProduct::new("tea", 1))
            .unwrap()
            .id;
        p.get_async(&mut env.conn, id).await.unwrap();
        p.get_async(&mut env.conn, id).await.unwrap();
        assert_eq!(p.stats().hits, 1, "an async hit on the first master");
        let old = deployment.kill_master();
        p.get_async(&mut env.conn, id).await.unwrap();
        p.update_async(&mut env.conn, id, products::title.eq("green tea"))
            .await
            .unwrap();
        deployment.wait_for_new_master(old).unwrap();
        let before = p.stats().hits;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let read = p.get_async(&mut env.conn, id).await.unwrap();
            assert_eq!(read.title, "green tea", "a read after the write");
            if p.stats().hits > before {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no async hit from the new master"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

/// The tiered store's tracking connection follows the master: after a
/// failover, a write by another cache is seen by the tiered one, and its
/// local tier answers again.
#[test]
fn the_local_tier_follows_the_master_through_a_failover() {
    let Some(mut deployment) = RedisSentinel::for_test() else {
        return;
    };
    let url = deployment.url();
    let prefix = unique::prefix("tiered");
    let tiered = cache(&url, &prefix, "local=1m");
    let other = cache(&url, &prefix, "");
    let ready = |c: &Cache| c.local_tier_ready() == Some(true);
    eventually("the local tier tracks", || ready(&tiered));
    let keys = tiered.engine().keys();
    let tag = keys.build(Namespace::Tag, &[], "t");
    let entry = keys.build(Namespace::Detail, &[], "e");
    let fill = FillOptions {
        depends_on: 1,
        ttl: None,
        soft: None,
    };
    let read = |c: &Cache| c.engine().read_tagged::<String>(&entry, &[&tag], None);
    let fill_with = |c: &Cache, value: &str| {
        if let Ok(Lookup::Miss(stamp)) = read(c) {
            let _ = c.engine().fill_tagged(&entry, &stamp, fill, value);
        }
    };
    fill_with(&tiered, "one");
    assert!(matches!(read(&tiered), Ok(Lookup::Hit { value, .. }) if value == "one"));
    let old = deployment.kill_master();
    deployment.wait_for_new_master(old).unwrap();
    eventually("the local tier tracks the new master", || {
        fill_with(&tiered, "one");
        ready(&tiered) && matches!(read(&tiered), Ok(Lookup::Hit { .. }))
    });
    // Another process invalidates on the new master: the tier forgets.
    eventually("the other cache bumps", || {
        other
            .engine()
            .bump_tags(std::slice::from_ref(&tag), None)
            .is_ok()
    });
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !matches!(read(&tiered), Ok(Lookup::Hit { value, .. }) if value == "one"),
        "the local tier served an entry invalidated on the new master"
    );
}

/// A sentinel that accepts connections and never answers (SIGSTOP) costs
/// the first connection its deadline; the next sentinel names the master.
/// A service no sentinel knows is an error, and reads answer from the
/// database.
#[test]
fn a_hung_sentinel_or_an_unknown_service_costs_a_deadline_not_the_read() {
    let Some(deployment) = RedisSentinel::for_test() else {
        return;
    };
    deployment.sentinels()[0].stop();
    let mut db = db::sqlite();
    let products = ProductCache::new(cache(&deployment.url(), &unique::prefix("hung"), ""));
    let id = products
        .insert(&mut db.conn, NewProduct::new("tea", 1))
        .unwrap()
        .id;
    products.get(&mut db.conn, id).unwrap();
    eventually("a hit through the second sentinel", || {
        products.get(&mut db.conn, id).unwrap();
        products.stats().hits > 0
    });
    deployment.sentinels()[0].cont();
    let unknown = deployment.url().replace("/mymaster", "/nosuch");
    let products = ProductCache::new(cache(&unknown, &unique::prefix("unknown"), ""));
    for _ in 0..3 {
        assert_eq!(products.get(&mut db.conn, id).unwrap().slug, "tea");
    }
    let stats = products.stats();
    assert_eq!(stats.hits, 0);
    assert!(stats.errors > 0, "{stats:?}");
}

/// A manual failover (`SENTINEL FAILOVER`): the old master lives on, and
/// answers as a master for up to ten seconds until the sentinels demote
/// it. A cache that was using it follows the sentinels' announcement: a
/// write made afterwards through a new cache (on the new master) is seen
/// at once, and hits come back from the new master.
#[test]
fn a_manual_failover_moves_everyone_to_the_new_master() {
    let Some(deployment) = RedisSentinel::for_test() else {
        return;
    };
    let mut db = db::sqlite();
    let prefix = unique::prefix("manual");
    let reader = ProductCache::new(cache(&deployment.url(), &prefix, ""));
    let id = reader
        .insert(&mut db.conn, NewProduct::new("tea", 1))
        .unwrap()
        .id;
    reader.get(&mut db.conn, id).unwrap();
    reader.get(&mut db.conn, id).unwrap();
    assert_eq!(reader.stats().hits, 1);
    let old = deployment.master_port().unwrap();
    // Through the last sentinel of the URL: the others, asked first, name
    // the old master until they hear of the failover (about two seconds),
    // and the old master says it is one until the sentinels demote it
    // (about ten).
    let mut sentinel = redis::Client::open(format!(
        "redis://127.0.0.1:{}/",
        deployment.sentinels()[2].port()
    ))
    .unwrap()
    .get_connection()
    .unwrap();
    redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg(cache_tests::redis_sentinel::SERVICE)
        .exec(&mut sentinel)
        .unwrap();
    // Only the sentinel that led it names the new master at once.
    eventually("the leading sentinel names a new master", || {
        deployment.master_named_by(2).is_some_and(|p| {
            p != old && cache_tests::redis_cluster::role(p).as_deref() == Some("master")
        })
    });
    assert_eq!(
        cache_tests::redis_cluster::role(old).as_deref(),
        Some("master"),
        "the old master is not demoted yet (else this test shows nothing)"
    );
    // (A new process asks now; an older one heard the announcement: a
    // message on a local connection, which 500 ms is ample for.)
    std::thread::sleep(Duration::from_millis(500));
    let writer = ProductCache::new(cache(&deployment.url(), &prefix, ""));
    writer
        .update(&mut db.conn, id, products::title.eq("green tea"))
        .unwrap();
    for _ in 0..20 {
        assert_eq!(
            reader.get(&mut db.conn, id).unwrap().title,
            "green tea",
            "the reader saw the write made on the new master"
        );
    }
    let before = reader.stats().hits;
    eventually("hits from the new master", || {
        assert_eq!(reader.get(&mut db.conn, id).unwrap().title, "green tea");
        reader.stats().hits > before
    });
}
