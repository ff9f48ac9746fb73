//! Misses under load: single-flight in a process, leases across processes
//! (a second `Cache` instance has its own flights, as a second process
//! would), a lease holder that hangs, serve-stale with a refresh that
//! succeeds and one that fails, and the counters that report them. The
//! suites that read a database run on SQLite, PostgreSQL and MySQL (MariaDB).

use cache_core::__engine::WithEngine;
use cache_core::__engine::{Lookup, Namespace, Outcome, Plan, Shape};
use cache_core::{Cache, CacheConfig, StatsSnapshot};
use cache_diesel::{ModelQueries, RefreshConnection, UpdateQuery};
use cache_tests::consistency::{
    self, BackgroundRow, BackgroundRowCache, VersionedRow, VersionedRowCache,
};
use cache_tests::services;
use cache_tests::slow_db::{SlowBackend, SlowDb};
use cache_tests::unique;
use diesel::dsl::Eq;
use diesel::prelude::*;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn cache(url: &str, prefix: &str, options: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    for pair in options.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        assert!(cache_core::__engine::apply_option(&mut cfg, k, v, url).unwrap());
    }
    Cache::new(cfg).unwrap()
}

/// A database the suites below run on (each also names what it asks of
/// the models on it).
trait Rows: SlowBackend + RefreshConnection<Connection = Self> {}
impl<C: SlowBackend + RefreshConnection<Connection = C>> Rows for C {}

fn concurrent_misses_in_a_process_run_one_query<C: Rows>()
where
    VersionedRow: ModelQueries<C>,
{
    let Some(db) = SlowDb::<C>::create("single_flight", Duration::from_millis(100)) else {
        return;
    };
    let manager = VersionedRowCache::new(cache("memory://", &unique::prefix("sf"), ""));
    let threads = 16;
    let barrier = Barrier::new(threads);
    let versions: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = db.connect();
                    barrier.wait();
                    manager.get(&mut conn, 1).unwrap().version
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(versions, vec![7; threads]);
    assert_eq!(
        db.selects.load(Ordering::SeqCst),
        1,
        "one query for {threads} concurrent misses"
    );
    let stats = manager.stats();
    assert_eq!(
        (stats.fills, stats.shared + stats.hits),
        (1, threads as u64 - 1),
        "{stats:?}"
    );
}

fn a_second_process_waits_on_the_lease_instead_of_querying<C: Rows>()
where
    VersionedRow: ModelQueries<C> + UpdateQuery<C, Eq<consistency::consistency_rows::version, i32>>,
{
    if let Some(url) = services::redis_url() {
        waits_on_the_lease::<C>(&url, "lease", false);
    }
}

/// The same with a local tier, each process holding a copy of the entry
/// that a write has just invalidated: the waiting process must see the
/// other's fill in Redis, not keep finding its own stale copy until the
/// lease runs out.
fn a_second_process_with_a_local_tier_waits_on_the_lease_too<C: Rows>()
where
    VersionedRow: ModelQueries<C> + UpdateQuery<C, Eq<consistency::consistency_rows::version, i32>>,
{
    if let Some(url) = services::tiered_url() {
        waits_on_the_lease::<C>(&url, "lease_tiered", true);
    }
}

fn waits_on_the_lease<C: Rows>(url: &str, test: &str, invalidated_copies: bool)
where
    VersionedRow: ModelQueries<C> + UpdateQuery<C, Eq<consistency::consistency_rows::version, i32>>,
{
    let prefix = unique::prefix(test);
    let Some(db) = SlowDb::<C>::create(test, Duration::from_millis(300)) else {
        return;
    };
    // A lease far longer than the load: the wait ends with the fill, on
    // a loaded machine too.
    let (first, second) = (
        VersionedRowCache::new(cache(url, &prefix, "lease=60s")),
        VersionedRowCache::new(cache(url, &prefix, "lease=60s")),
    );
    let expected = if invalidated_copies {
        let mut conn = db.connect();
        for manager in [&first, &second] {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while manager.cache().local_tier_ready() != Some(true) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "tracking never came up"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            for _ in 0..3 {
                assert_eq!(manager.get(&mut conn, 1).unwrap().version, 7);
            }
        }
        first
            .update(&mut conn, 1, consistency::consistency_rows::version.eq(8))
            .unwrap();
        std::thread::sleep(Duration::from_millis(30)); // past the window
        db.selects.store(0, Ordering::SeqCst);
        8
    } else {
        7
    };
    let barrier = Barrier::new(2);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            let mut conn = db.connect();
            barrier.wait();
            first.get(&mut conn, 1).unwrap()
        });
        let b = s.spawn(|| {
            let mut conn = db.connect();
            barrier.wait();
            // The first has run its query, so it holds the lease (taken
            // before the query; its fill comes after the query's delay).
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while db.selects.load(Ordering::SeqCst) == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the first never queried"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            second.get(&mut conn, 1).unwrap()
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.version, b.version), (expected, expected));
    assert_eq!(
        db.selects.load(Ordering::SeqCst),
        1,
        "the second waited for the first's fill"
    );
    let s = second.stats();
    assert_eq!(
        (s.lease_waits, s.lease_timeouts),
        (1, 0),
        "the wait ended with the fill, not with the lease: {s:?}"
    );
    let _ = first.cache().clear();
}

/// A plan on its own tag, for the cache-level tests.
fn plan<'a>(key: &'a str, tags: &'a [&'a str], soft: Option<Duration>) -> Plan<'a> {
    Plan {
        soft_timeout: soft,
        ..Plan::new(key, tags)
    }
}

fn shape(_: &String) -> Shape {
    Shape {
        depends_on: 1,
        ttl: Some(Duration::from_secs(60)),
    }
}

#[test]
fn a_hung_lease_holder_delays_others_by_at_most_the_lease() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = unique::prefix("dead_lease");
    let (holder, waiter) = (
        cache(&url, &prefix, "lease=500ms"),
        cache(&url, &prefix, "lease=500ms"),
    );
    let key = holder.engine().keys().build(Namespace::Query, &[], "slow");
    let tag = holder.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let started = Barrier::new(2);
    // The holder hangs until the waiter is done (at most a minute): a
    // waiter that waited for the holder rather than for the lease would
    // get "late" (after a minute), never "mine".
    let (done, hung) = std::sync::mpsc::channel::<()>();
    let hung = std::sync::Mutex::new(hung);
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            holder
                .engine()
                .read_through(&plan(&key, &tags, None), shape, || {
                    started.wait();
                    let _ = hung.lock().unwrap().recv_timeout(Duration::from_secs(60));
                    Ok::<_, String>("late".to_string())
                })
        });
        started.wait();
        let (value, outcome) = waiter
            .engine()
            .read_through(&plan(&key, &tags, None), shape, || {
                Ok::<_, String>("mine".to_string())
            })
            .unwrap();
        done.send(()).unwrap();
        assert_eq!(value, "mine", "{outcome:?}");
        outcome
    });
    assert_eq!(outcome, Outcome::Loaded);
    let StatsSnapshot {
        lease_waits,
        lease_timeouts,
        ..
    } = waiter.stats();
    // It waited on the lease, once. Whether the wait ended by taking the
    // expired lease or by running out (both one lease long) depends on
    // when its last poll ran; either way it loaded itself.
    assert_eq!(lease_waits, 1);
    assert!(lease_timeouts <= 1, "{lease_timeouts}");
    holder.clear().unwrap();
}

/// A holder that lets the lease go without a fill (here refused for size)
/// hands the load to a waiter at once, not one lease later.
#[test]
fn a_lease_let_go_without_a_fill_is_taken_over_at_once() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = unique::prefix("lease_handover");
    let (holder, waiter) = (
        cache(&url, &prefix, "lease=30s&max_value_size=100"),
        cache(&url, &prefix, "lease=30s"),
    );
    let key = holder.engine().keys().build(Namespace::Query, &[], "big");
    let tag = holder.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let loading = Barrier::new(2);
    let started = std::time::Instant::now();
    let (waited, outcome) = std::thread::scope(|s| {
        s.spawn(|| {
            holder
                .engine()
                .read_through(&plan(&key, &tags, None), shape, || {
                    loading.wait();
                    std::thread::sleep(Duration::from_millis(300));
                    Ok::<_, String>("x".repeat(1_000)) // refused: over 100 bytes
                })
        });
        loading.wait();
        let (value, outcome) = waiter
            .engine()
            .read_through(&plan(&key, &tags, None), shape, || {
                Ok::<_, String>("mine".to_owned())
            })
            .unwrap();
        assert_eq!(value, "mine");
        (started.elapsed(), outcome)
    });
    assert_eq!(outcome, Outcome::Loaded);
    let s = waiter.stats();
    assert_eq!((s.lease_waits, s.lease_timeouts), (1, 0), "{s:?}");
    assert!(
        waited < Duration::from_secs(10),
        "waited {waited:?}: the lease (30 s) was let go after 300 ms"
    );
    assert_eq!(
        waiter
            .engine()
            .read_through(&plan(&key, &tags, None), shape, || Ok::<_, String>(
                "again".to_owned()
            ))
            .unwrap(),
        ("mine".to_owned(), Outcome::Hit),
        "the waiter filled"
    );
    holder.clear().unwrap();
}

#[test]
fn past_the_soft_timeout_one_caller_refreshes_and_the_others_get_the_old_value() {
    let cache = cache("memory://", &unique::prefix("soft"), "lease=60s");
    let key = cache.engine().keys().build(Namespace::Query, &[], "soft");
    let tag = cache.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let soft = Some(Duration::from_millis(50));
    let p = plan(&key, &tags, soft);
    cache
        .engine()
        .read_through(&p, shape, || Ok::<_, String>("v1".to_string()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(80));
    let (in_refresh, was_served) = (Barrier::new(2), Barrier::new(2));
    let loads = AtomicUsize::new(0);
    let (refreshed, served) = std::thread::scope(|s| {
        let refresher = s.spawn(|| {
            cache.engine().read_through(&p, shape, || {
                loads.fetch_add(1, Ordering::SeqCst);
                in_refresh.wait();
                was_served.wait(); // refreshing until the other was served
                Ok::<_, String>("v2".to_string())
            })
        });
        in_refresh.wait();
        let served = cache.engine().read_through(&p, shape, || {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>("other".to_string())
        });
        was_served.wait();
        (refresher.join().unwrap().unwrap(), served.unwrap())
    });
    assert_eq!(refreshed, ("v2".to_string(), Outcome::Loaded));
    assert_eq!(served, ("v1".to_string(), Outcome::StaleServed));
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "exactly one caller refreshed"
    );
    // The refresh was stored (due again after 50 ms: looked at without a
    // refresh).
    match cache
        .engine()
        .read_tagged_shared::<String>(&key, &tags, None)
        .unwrap()
    {
        Lookup::Hit { value, .. } => assert_eq!(value, "v2"),
        Lookup::Miss(_) => panic!("the refresh was not stored"),
    }
    assert_eq!(cache.stats().stale_serves, 1);
}

#[test]
fn a_failed_refresh_keeps_serving_the_old_value_until_the_hard_timeout() {
    let cache = cache("memory://", &unique::prefix("soft_fail"), "lease=60s");
    let key = cache.engine().keys().build(Namespace::Query, &[], "soft");
    let tag = cache.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let p = plan(&key, &tags, Some(Duration::from_millis(30)));
    // Long enough for the reads below to come before it on a loaded
    // machine; waited out at the end.
    const HARD: Duration = Duration::from_millis(1500);
    let hard = |_: &String| Shape {
        depends_on: 1,
        ttl: Some(HARD),
    };
    cache
        .engine()
        .read_through(&p, hard, || Ok::<_, String>("old".to_string()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(60));
    let (logs_value, lines) = cache_tests::logs::capture(|| {
        cache
            .engine()
            .read_through(&p, hard, || Err::<String, _>("database down".to_string()))
            .unwrap()
    });
    assert_eq!(logs_value, ("old".to_string(), Outcome::StaleServed));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("refresh failed") && l.contains("database down")),
        "{lines:#?}"
    );
    let again = cache
        .engine()
        .read_through(&p, hard, || Ok::<_, String>("new".to_string()))
        .unwrap();
    assert_eq!(
        again,
        ("old".to_string(), Outcome::StaleServed),
        "the refresh lease is still held"
    );
    std::thread::sleep(HARD);
    let after = cache
        .engine()
        .read_through(&p, hard, || Ok::<_, String>("new".to_string()))
        .unwrap();
    assert_eq!(
        after,
        ("new".to_string(), Outcome::Loaded),
        "past the hard timeout: a miss"
    );
}

fn managers_count_what_they_do<C: Rows>()
where
    VersionedRow: ModelQueries<C> + UpdateQuery<C, Eq<consistency::consistency_rows::version, i32>>,
{
    let Some(db) = SlowDb::<C>::create("mgr_stats", Duration::ZERO) else {
        return;
    };
    let conn = &mut db.connect();
    let manager = VersionedRowCache::new(cache("memory://", &unique::prefix("stats"), ""));
    manager.get(conn, 1).unwrap();
    manager.get(conn, 1).unwrap();
    manager.find(conn, 2).unwrap();
    manager
        .update(conn, 1, consistency::consistency_rows::version.eq(2))
        .unwrap();
    let s = manager.stats();
    assert_eq!(
        (s.hits, s.misses, s.fills, s.invalidations),
        (1, 2, 2, 1),
        "{s:?}"
    );
    let _: Option<VersionedRow> = manager.find(conn, 1).unwrap();
}

fn a_background_refresh_serves_every_caller_the_old_value_until_it_lands<C: Rows>()
where
    BackgroundRow: ModelQueries<C>,
{
    let Some(db) = SlowDb::<C>::create("background", Duration::from_millis(50)) else {
        return;
    };
    let path = db.path.clone();
    cache_diesel::refresh_connections(move || Ok::<_, String>(C::open(&path)));
    let rows = BackgroundRowCache::new(cache("memory://", &unique::prefix("background"), ""));
    let mut conn = db.connect();
    assert_eq!(rows.get(&mut conn, 1).unwrap().version, 7);
    // Behind the cache's back (no hook, untracked): only the soft timeout brings it in.
    db.connect()
        .batch_execute("UPDATE consistency_rows SET version = 8 WHERE id = 1")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let selects = db.selects.load(Ordering::SeqCst);
    assert_eq!(
        rows.get(&mut conn, 1).unwrap().version,
        7,
        "the refreshing caller is served the old value too"
    );
    assert_eq!(
        db.selects.load(Ordering::SeqCst),
        selects,
        "its own connection ran nothing"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = 7;
    while seen == 7 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        seen = rows.get(&mut conn, 1).unwrap().version;
    }
    assert_eq!(seen, 8, "the background refresh landed");
    assert!(rows.stats().stale_serves >= 1);
}

#[test]
fn a_fill_refused_for_size_releases_its_lease() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = unique::prefix("refused_lease");
    let (first, second) = (
        cache(&url, &prefix, "max_value_size=100"),
        cache(&url, &prefix, "max_value_size=100"),
    );
    let key = first.engine().keys().build(Namespace::Query, &[], "big");
    let tag = first.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = [tag.as_str()];
    let big = || Ok::<_, String>("x".repeat(1_000));
    for cache in [&first, &first, &second] {
        let (value, outcome) = cache
            .engine()
            .read_through(&plan(&key, &tags, None), shape, big)
            .unwrap();
        assert_eq!((value.len(), outcome), (1_000, Outcome::Loaded));
    }
    let (a, b) = (first.stats(), second.stats());
    assert_eq!(
        (a.lease_waits, b.lease_waits),
        (0, 0),
        "no read waits on a refused fill's lease"
    );
    assert_eq!((a.refused, b.refused), (2, 1));
    first.clear().unwrap();
}

/// A caller that read after a write never shares a load that began before
/// it, even when both found the row's tag absent (the writer's bump then
/// evicted): the flight of a leader that found a tag absent takes no new
/// followers once it has claimed, that is before its query.
#[test]
fn a_read_after_a_write_never_shares_a_load_from_before_it() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = unique::prefix("flight_after_write");
    let cache = cache(&url, &prefix, "");
    let key = cache.engine().keys().build(Namespace::Query, &[], "row");
    let tag = cache.engine().keys().build(Namespace::Tag, &[], "row");
    let tags = [tag.as_str()];
    let (loading, go) = (Barrier::new(2), Barrier::new(2));
    let (leader, follower) = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            cache
                .engine()
                .read_through(&plan(&key, &tags, None), shape, || {
                    let value = "before the write".to_owned();
                    loading.wait();
                    go.wait();
                    Ok::<_, String>(value)
                })
        });
        loading.wait();
        // A write commits and bumps the tag, which is then evicted.
        cache
            .engine()
            .bump_tags(std::slice::from_ref(&tag), None)
            .unwrap();
        cache.backend().delete(&tag).unwrap();
        let follower = s.spawn(|| {
            cache
                .engine()
                .read_through(&plan(&key, &tags, None), shape, || {
                    Ok::<_, String>("after the write".to_owned())
                })
        });
        std::thread::sleep(Duration::from_millis(100)); // it would have joined by now
        go.wait();
        (leader.join().unwrap(), follower.join().unwrap())
    });
    assert_eq!(leader.unwrap().0, "before the write");
    let (value, outcome) = follower.unwrap();
    assert_eq!(value, "after the write", "{outcome:?}");
    let _ = cache.clear();
}

cache_tests::matrix!(
    db; databases;
    concurrent_misses_in_a_process_run_one_query,
    a_second_process_waits_on_the_lease_instead_of_querying,
    a_second_process_with_a_local_tier_waits_on_the_lease_too,
    managers_count_what_they_do,
    a_background_refresh_serves_every_caller_the_old_value_until_it_lands,
);
