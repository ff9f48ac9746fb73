//! One conformance suite, run unchanged against every backend: memory,
//! Redis, Redis with a local tier (tiered), a Redis Cluster (three masters
//! and three replicas of this process's own) and dummy. The only differences
//! are where a dummy must differ (it stores nothing), expressed through
//! `Target::stores`.

use cache_core::__engine::Namespace;
use cache_core::__engine::WithEngine;
use cache_core::backend::Claim;
use cache_core::{Cache, CacheConfig, Error, Key, Timeout};
use cache_tests::{services, unique};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::Duration;

/// A cache under test with its own prefix, cleared when dropped.
struct Target {
    cache: Cache,
    stores: bool,
    base_url: String,
}

impl Target {
    fn memory(test: &str) -> Option<Self> {
        Some(Self::build("memory://", test, true))
    }

    fn redis(test: &str) -> Option<Self> {
        services::redis_url().map(|url| Self::build(&url, test, true))
    }

    fn tiered(test: &str) -> Option<Self> {
        services::tiered_url().map(|url| Self::build(&url, test, true))
    }

    fn cluster(test: &str) -> Option<Self> {
        cache_tests::redis_cluster::RedisCluster::shared().map(|url| Self::build(&url, test, true))
    }

    fn dummy(test: &str) -> Option<Self> {
        Some(Self::build("dummy://", test, false))
    }

    fn build(url: &str, test: &str, stores: bool) -> Self {
        let cache = Self::with_prefix(url, &unique::prefix(test), "");
        Target {
            cache,
            stores,
            base_url: url.to_owned(),
        }
    }

    fn with_prefix(url: &str, prefix: &str, options: &str) -> Cache {
        let mut cfg = CacheConfig::from_url(url).expect("test URL parses");
        cfg.key_prefix = prefix.to_owned();
        for pair in options.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap();
            assert!(
                cache_core::__engine::apply_option(&mut cfg, name, value, url).unwrap(),
                "{name}"
            );
        }
        Cache::new(cfg).expect("cache builds")
    }

    /// Another cache on the same backend kind (and, for Redis, server).
    fn sibling(&self, prefix: &str, options: &str) -> Cache {
        Self::with_prefix(&self.base_url, prefix, options)
    }

    /// What a storing backend returns, or what a dummy returns.
    fn expect<T>(&self, stored: T, dummy: T) -> T {
        if self.stores { stored } else { dummy }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.cache.clear();
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Row {
    id: i64,
    title: String,
    created_at: chrono::DateTime<chrono::Utc>,
    day: chrono::NaiveDate,
    uid: uuid::Uuid,
    attrs: serde_json::Value,
    blob: Vec<u8>,
    note: Option<String>,
    missing: Option<i32>,
    price: f64,
}

fn sample_row() -> Row {
    Row {
        id: 7,
        title: "Café \u{1F600}".into(),
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap(),
        day: chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        uid: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        attrs: serde_json::json!({"a": [1, -2, 3.5, null, true], "b": {"c": "d"}, "big": u64::MAX}),
        blob: vec![0, 1, 127, 128, 255],
        note: Some("n".into()),
        missing: None,
        price: 9.99,
    }
}

// Long enough that the calls between a `set` with it and the read that
// expects the value still there fit in it on a loaded machine.
const SHORT: Duration = Duration::from_millis(1000);
const PAST_SHORT: Duration = Duration::from_millis(1300);

fn round_trips_diesel_column_types(t: &Target) {
    let row = sample_row();
    t.cache.set("row", &row, Timeout::Default).unwrap();
    t.cache
        .set("rows", &vec![row.clone(), row.clone()], Timeout::Default)
        .unwrap();
    assert_eq!(
        t.cache.get::<Row>("row").unwrap(),
        t.expect(Some(row.clone()), None)
    );
    let rows = t.cache.get::<Vec<Row>>("rows").unwrap();
    assert_eq!(rows.map(|r| r.len()), t.expect(Some(2), None));
    t.cache.set("s", "text", Timeout::Default).unwrap();
    assert_eq!(
        t.cache.get::<String>("s").unwrap(),
        t.expect(Some("text".into()), None)
    );
    t.cache.set("neg", &-12i64, Timeout::Default).unwrap();
    assert_eq!(
        t.cache.get::<i64>("neg").unwrap(),
        t.expect(Some(-12), None)
    );
}

fn stored_none_is_not_a_miss(t: &Target) {
    t.cache
        .set("nothing", &None::<i32>, Timeout::Default)
        .unwrap();
    assert_eq!(
        t.cache.get::<Option<i32>>("nothing").unwrap(),
        t.expect(Some(None), None)
    );
    assert_eq!(t.cache.get::<Option<i32>>("absent").unwrap(), None);
    assert_eq!(t.cache.get_or("absent", 5).unwrap(), 5);
    t.cache.set("present", &3, Timeout::Default).unwrap();
    assert_eq!(t.cache.get_or("present", 5).unwrap(), t.expect(3, 5));
}

fn add_stores_only_if_absent(t: &Target) {
    assert!(t.cache.add("a", "first", Timeout::Default).unwrap());
    assert_eq!(
        t.cache.add("a", "second", Timeout::Default).unwrap(),
        t.expect(false, true)
    );
    assert_eq!(
        t.cache.get::<String>("a").unwrap(),
        t.expect(Some("first".into()), None)
    );
    assert!(t.cache.add("z", "x", Duration::ZERO).unwrap());
    assert!(!t.cache.has_key("z").unwrap());
}

/// The store roles the protocol uses: tag versions written, created (or
/// found) and read; an entry read with its tags' versions, a lease taken
/// with the read, a fill stored with its lease released.
fn the_store_roles(t: &Target) {
    let backend = t.cache.backend();
    let keys = t.cache.engine().keys();
    let (a, b) = (
        keys.build(Namespace::Tag, &[], "a"),
        keys.build(Namespace::Tag, &[], "b"),
    );
    let (entry, lease) = (
        keys.build(Namespace::List, &[], "e"),
        keys.build(Namespace::Lease, &[], "e"),
    );
    backend.write_versions(&[(&a, 7)], None).unwrap();
    let versions = backend
        .create_versions(&entry, &[(&a, 1), (&b, 2)], None)
        .unwrap();
    assert_eq!(
        versions,
        t.expect(vec![7, 2], vec![1, 2]),
        "a was there; b is ours now"
    );
    assert_eq!(
        backend.read_versions(&entry, &[&a, &b]).unwrap(),
        t.expect(vec![Some(7), Some(2)], vec![None, None])
    );
    assert!(
        backend
            .create_versions(&entry, &[], None)
            .unwrap()
            .is_empty()
    );
    backend.write_versions(&[(&a, 8), (&b, 9)], None).unwrap();
    assert_eq!(
        backend.read_versions(&entry, &[&b, &a]).unwrap(),
        t.expect(vec![Some(9), Some(8)], vec![None, None])
    );
    let generation = backend.generation();
    backend.write_versions(&[(&a, 10)], None).unwrap();
    if let (Some(before), Some(after)) = (generation, backend.generation()) {
        assert!(after > before, "a write of a version moves the generation");
    }
    let lease_ttl = Duration::from_secs(5);
    assert!(backend.add_lease(&entry, &lease, lease_ttl).unwrap());
    assert_eq!(
        backend.add_lease(&entry, &lease, lease_ttl).unwrap(),
        !t.stores,
        "held"
    );
    backend
        .fill(&entry, bytes_of(b"v"), None, Some(&lease))
        .unwrap();
    assert!(
        backend.add_lease(&entry, &lease, lease_ttl).unwrap(),
        "the fill released the lease"
    );
    backend.release_lease(&entry, &lease).unwrap();
    let read = backend.read_entry(&entry, &[&a, &b], None).unwrap();
    assert_eq!(
        (read.entry, read.versions, read.leased),
        t.expect(
            (Some(bytes_of(b"v")), vec![Some(10), Some(9)], false),
            (None, vec![None, None], false)
        )
    );
    // A claim made with a read: absent tags created (present ones kept),
    // the lease taken once, and the read sees the fill and the versions.
    let shared = backend.capabilities().shared;
    let c = keys.build(Namespace::Tag, &[], "c");
    let create = [(a.as_str(), 55), (c.as_str(), 77)];
    let claim = Claim {
        lease: &lease,
        lease_ttl: Duration::from_secs(5),
        create: &create,
        tag_ttl: None,
    };
    let read = backend.read_entry(&entry, &[&a, &c], Some(&claim)).unwrap();
    assert!(read.leased);
    assert_eq!(read.entry, t.expect(Some(bytes_of(b"v")), None));
    assert_eq!(
        read.versions,
        t.expect(vec![Some(10), Some(77)], vec![None, None])
    );
    let again = backend.read_entry(&entry, &[], Some(&claim)).unwrap();
    assert_eq!(again.leased, !t.stores, "held by the first");
    assert_eq!(
        shared,
        t.base_url.starts_with("redis"),
        "only Redis is shared"
    );
}

/// A sparse tag (a value tag: one per value a column ever held) is bumped
/// only where it exists, keeping its lifetime: a bump creates none, and
/// one that exists still expires when it would have.
fn a_sparse_tag_is_bumped_only_where_it_exists(t: &Target) {
    let (backend, keys) = (t.cache.backend(), t.cache.engine().keys());
    let entry = keys.build(Namespace::List, &[], "e");
    let present = keys.sparse_tag(&["table", "f", "column"], "1");
    let absent = keys.sparse_tag(&["table", "f", "column"], "2");
    let plain = keys.build(Namespace::Tag, &["table"], "list");
    // Long enough to outlive the create, the bump (a cluster's may wait
    // 250 ms for a replica) and the read on a loaded machine.
    let short = SHORT * 2;
    backend
        .create_versions(&entry, &[(&present, 5)], Some(short))
        .unwrap();
    let tags = [present.clone(), absent.clone(), plain.clone()];
    t.cache
        .engine()
        .bump_tags(&tags, Some(Duration::from_secs(3600)))
        .unwrap();
    let versions = backend
        .read_versions(&entry, &[&present, &absent, &plain])
        .unwrap();
    if !t.stores {
        assert_eq!(versions, [None, None, None]);
        return;
    }
    assert!(
        matches!(versions[0], Some(v) if v != 5),
        "the present one bumped: {versions:?}"
    );
    assert_eq!(versions[1], None, "the absent one not created");
    assert!(versions[2].is_some(), "a plain tag is created by its bump");
    // Its lifetime is the one it had (2 s), not the bump's hour.
    sleep(short * 2);
    let versions = backend.read_versions(&entry, &[&present, &plain]).unwrap();
    assert_eq!(versions[0], None, "the bump kept its lifetime");
    assert!(versions[1].is_some());
}

fn delete_and_has_key(t: &Target) {
    t.cache.set("d", &1, Timeout::Default).unwrap();
    assert_eq!(t.cache.has_key("d").unwrap(), t.expect(true, false));
    assert_eq!(t.cache.delete("d").unwrap(), t.expect(true, false));
    assert!(!t.cache.delete("d").unwrap());
    assert!(!t.cache.has_key("d").unwrap());
}

fn entries_expire(t: &Target) {
    t.cache.set("short", &1, SHORT).unwrap();
    t.cache.set("long", &2, Timeout::Never).unwrap();
    t.cache.set("dflt", &3, Timeout::Default).unwrap();
    assert_eq!(
        t.cache.get::<i32>("short").unwrap(),
        t.expect(Some(1), None)
    );
    sleep(PAST_SHORT);
    assert_eq!(t.cache.get::<i32>("short").unwrap(), None);
    assert!(!t.cache.has_key("short").unwrap());
    assert_eq!(t.cache.get::<i32>("long").unwrap(), t.expect(Some(2), None));
    assert_eq!(t.cache.get::<i32>("dflt").unwrap(), t.expect(Some(3), None));
    assert!(
        t.cache.add("short", &4, Timeout::Default).unwrap(),
        "an expired key counts as absent"
    );
}

fn zero_timeout_stores_nothing(t: &Target) {
    t.cache.set("z", &1, Timeout::Default).unwrap();
    t.cache.set("z", &2, Duration::ZERO).unwrap();
    assert_eq!(t.cache.get::<i32>("z").unwrap(), None);
    let zero = t.sibling(&unique::prefix("zero"), "timeout=0");
    zero.set("k", &1, Timeout::Default).unwrap();
    assert_eq!(zero.get::<i32>("k").unwrap(), None);
}

/// `Duration::MAX` panicked in the in-process backend and
/// was refused by Redis; lifetimes are clamped to `MAX_TTL`.
fn the_longest_lifetimes_are_stored(t: &Target) {
    t.cache.set("forever", &1, Duration::MAX).unwrap();
    assert!(t.cache.add("forever2", &2, Duration::MAX).unwrap());
    assert_eq!(
        t.cache.touch("forever", Duration::MAX).unwrap(),
        t.expect(true, false)
    );
    t.cache
        .engine()
        .bump_tags(
            &[t.cache.engine().keys().build(Namespace::Tag, &[], "t")],
            Some(Duration::MAX),
        )
        .unwrap();
    assert_eq!(
        t.cache.get::<i32>("forever").unwrap(),
        t.expect(Some(1), None)
    );
}

fn touch_changes_lifetime(t: &Target) {
    t.cache.set("t", &1, SHORT).unwrap();
    assert_eq!(
        t.cache.touch("t", Timeout::Never).unwrap(),
        t.expect(true, false)
    );
    t.cache.set("u", &1, Timeout::Never).unwrap();
    assert_eq!(t.cache.touch("u", SHORT).unwrap(), t.expect(true, false));
    sleep(PAST_SHORT);
    assert_eq!(t.cache.get::<i32>("t").unwrap(), t.expect(Some(1), None));
    assert_eq!(t.cache.get::<i32>("u").unwrap(), None);
    assert!(!t.cache.touch("absent", Timeout::Default).unwrap());
    t.cache.set("v", &1, Timeout::Never).unwrap();
    assert_eq!(
        t.cache.touch("v", Duration::ZERO).unwrap(),
        t.expect(true, false)
    );
    assert!(!t.cache.has_key("v").unwrap());
}

fn incr_and_decr(t: &Target) {
    assert!(matches!(
        t.cache.incr("missing", 1),
        Err(Error::KeyNotFound { .. })
    ));
    assert!(
        !t.cache.has_key("missing").unwrap(),
        "incr must not create the key"
    );
    t.cache.set("n", &10, Timeout::Default).unwrap();
    if !t.stores {
        assert!(matches!(
            t.cache.incr("n", 1),
            Err(Error::KeyNotFound { .. })
        ));
        return;
    }
    assert_eq!(t.cache.incr("n", 5).unwrap(), 15);
    assert_eq!(t.cache.decr("n", 20).unwrap(), -5);
    assert_eq!(t.cache.get::<i64>("n").unwrap(), Some(-5));
    t.cache.set("s", "ten", Timeout::Default).unwrap();
    assert!(matches!(
        t.cache.incr("s", 1),
        Err(Error::NotAnInteger { .. })
    ));
    assert_eq!(t.cache.get::<String>("s").unwrap().as_deref(), Some("ten"));
    t.cache.set("max", &i64::MAX, Timeout::Default).unwrap();
    assert!(matches!(
        t.cache.incr("max", 1),
        Err(Error::Overflow { .. })
    ));
    assert_eq!(t.cache.get::<i64>("max").unwrap(), Some(i64::MAX));
    t.cache.set("ttl", &1, SHORT).unwrap();
    t.cache.incr("ttl", 1).unwrap();
    sleep(PAST_SHORT);
    assert!(!t.cache.has_key("ttl").unwrap(), "incr keeps the lifetime");
}

fn incr_is_atomic(t: &Target) {
    if !t.stores {
        return;
    }
    t.cache.set("c", &0, Timeout::Default).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    t.cache.incr("c", 1).unwrap();
                }
            });
        }
    });
    assert_eq!(t.cache.get::<i64>("c").unwrap(), Some(400));
}

fn many_at_once(t: &Target) {
    let small = t.sibling(&unique::prefix("many"), "max_value_size=64");
    small.set("b", &"old", Timeout::Default).unwrap();
    let failed = small
        .set_many(
            [
                ("a", "x".repeat(3)),
                ("b", "y".repeat(100)),
                ("c", "z".into()),
            ],
            Timeout::Default,
        )
        .unwrap();
    assert_eq!(failed, vec!["b".to_string()]);
    let got: HashMap<String, String> = small.get_many(["a", "b", "c", "d"]).unwrap();
    let expected: HashMap<String, String> = if t.stores {
        [
            ("a".to_string(), "xxx".to_string()),
            ("c".into(), "z".into()),
        ]
        .into()
    } else {
        HashMap::new()
    };
    assert_eq!(got, expected);
    assert_eq!(small.delete_many(["a", "c", "d"]).unwrap(), t.expect(2, 0));
    assert!(small.get_many::<String, _>(["a", "c"]).unwrap().is_empty());
    assert!(small.get_many::<String, [&str; 0]>([]).unwrap().is_empty());
    small.clear().unwrap();
}

fn get_or_set_runs_only_on_a_miss(t: &Target) {
    let calls = AtomicUsize::new(0);
    let make = || {
        calls.fetch_add(1, Ordering::SeqCst);
        vec![1, 2, 3]
    };
    assert_eq!(
        t.cache.get_or_set("g", make, Timeout::Default).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(
        t.cache.get_or_set("g", make, Timeout::Default).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(calls.load(Ordering::SeqCst), t.expect(1, 2));
    let failed: Result<i32, Error> = t.cache.get_or_try_set(
        "h",
        || {
            Err(Error::KeyNotFound {
                key: "from closure".into(),
            })
        },
        Timeout::Default,
    );
    assert!(matches!(failed, Err(Error::KeyNotFound { key }) if key == "from closure"));
    assert!(!t.cache.has_key("h").unwrap());
}

fn versions_are_separate(t: &Target) {
    t.cache.set("v", "one", Timeout::Default).unwrap();
    t.cache
        .set(Key::new("v").version(2), "two", Timeout::Default)
        .unwrap();
    assert_eq!(
        t.cache.get::<String>("v").unwrap(),
        t.expect(Some("one".into()), None)
    );
    assert_eq!(
        t.cache.get::<String>(Key::new("v").version(2)).unwrap(),
        t.expect(Some("two".into()), None)
    );
    if !t.stores {
        assert!(matches!(
            t.cache.incr_version("v", 1),
            Err(Error::KeyNotFound { .. })
        ));
        return;
    }
    assert_eq!(
        t.cache.incr_version(Key::new("v").version(2), 1).unwrap(),
        3
    );
    assert_eq!(
        t.cache.get::<String>(Key::new("v").version(2)).unwrap(),
        None
    );
    assert_eq!(
        t.cache
            .get::<String>(Key::new("v").version(3))
            .unwrap()
            .as_deref(),
        Some("two")
    );
    assert_eq!(
        t.cache.decr_version(Key::new("v").version(3), 2).unwrap(),
        1
    );
    assert_eq!(t.cache.get::<String>("v").unwrap().as_deref(), Some("two"));
    // A move by 0 leaves the value where it is (it deleted it).
    assert_eq!(t.cache.incr_version("v", 0).unwrap(), 1);
    assert_eq!(t.cache.get::<String>("v").unwrap().as_deref(), Some("two"));
    let v2 = t.sibling(&t.cache.config().key_prefix.clone(), "version=2");
    assert_eq!(
        v2.get::<String>("v").unwrap(),
        None,
        "a cache's default version separates keys"
    );
}

fn awkward_keys_never_collide(t: &Target) {
    let long = "k".repeat(10_000);
    let longer = format!("{long}k");
    let keys = [
        "a:b",
        "a",
        "a b",
        "a\nb",
        "a*",
        "*",
        "{tag}",
        "%7Btag%7D",
        "#x",
        "%23x",
        "ключ",
        "🔑",
        "",
        "a\0b",
        &long,
        &longer,
    ];
    for (i, key) in keys.iter().enumerate() {
        t.cache.set(*key, &i, Timeout::Default).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            t.cache.get::<usize>(*key).unwrap(),
            t.expect(Some(i), None),
            "key {:?}",
            &key[..key.len().min(20)]
        );
    }
    assert_eq!(t.cache.delete(&longer).unwrap(), t.expect(true, false));
    assert_eq!(
        t.cache.get::<usize>(&long).unwrap(),
        t.expect(Some(keys.len() - 2), None)
    );
}

fn oversized_values_are_refused(t: &Target) {
    let big = vec![7u8; 1024 * 1024 + 1];
    // What a refused value was to replace goes (as Django's memcached
    // backends do): no old value read after a write that returned.
    t.cache.set("big", &"old", Timeout::Default).unwrap();
    let err = t
        .cache
        .set(
            "big",
            &serde_json::Value::String(String::from_utf8(vec![b'a'; big.len()]).unwrap()),
            Timeout::Default,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::ValueTooLarge { max, .. } if max == 1024 * 1024),
        "{err}"
    );
    assert!(err.to_string().contains("over the maximum"), "{err}");
    assert!(!t.cache.has_key("big").unwrap());
    let value = t
        .cache
        .get_or_set("big", || big.clone(), Timeout::Default)
        .unwrap();
    assert_eq!(value, big, "the value comes back though it was not stored");
    assert!(!t.cache.has_key("big").unwrap());
    assert_eq!(
        t.cache.stats().refused,
        2,
        "set and get_or_set each refused it"
    );
}

fn undecodable_bytes_are_a_miss(t: &Target) {
    t.cache
        .set("text", "not a number", Timeout::Default)
        .unwrap();
    assert_eq!(t.cache.get::<i32>("text").unwrap(), None);
    let bkey = t
        .cache
        .engine()
        .keys()
        .user_key("garbage", t.cache.config().version);
    for garbage in [
        &b"\xff\xfe garbage"[..],
        b"",
        b"12abc",
        // The codec's header (format 4), then a byte MessagePack never
        // writes; and a string in format 1, which wrote structs as arrays
        // (foreign now: no build reads it).
        &[cache_core::__engine::MAGIC, 4, 0xc1],
        &[cache_core::__engine::MAGIC, 1, 0xa1, b'x'],
    ] {
        t.cache
            .backend()
            .set(&bkey, bytes_of(garbage), None)
            .unwrap();
        assert_eq!(
            t.cache.get::<String>("garbage").unwrap(),
            None,
            "{garbage:?}"
        );
    }
    assert_eq!(t.cache.stats().undecodable, t.expect(6, 0));
    t.cache.set("garbage", "fixed", Timeout::Default).unwrap();
    assert_eq!(
        t.cache.get::<String>("garbage").unwrap(),
        t.expect(Some("fixed".into()), None)
    );
}

fn bytes_of(b: &[u8]) -> cache_core::Bytes {
    cache_core::Bytes::copy_from_slice(b)
}

fn clear_removes_only_its_namespace(t: &Target) {
    let base = unique::prefix("clear");
    let mine = t.sibling(&base, "");
    let neighbours = [
        t.sibling(&format!("{base}x"), ""),
        t.sibling(&format!("{base}:k"), ""),
        t.sibling("", ""),
    ];
    mine.set("k", &1, Timeout::Default).unwrap();
    mine.set(Key::new("k").version(9), &1, Timeout::Default)
        .unwrap();
    for n in &neighbours {
        n.set(format!("{base}-k"), &2, Timeout::Default).unwrap();
    }
    mine.clear().unwrap();
    assert!(!mine.has_key("k").unwrap());
    assert!(!mine.has_key(Key::new("k").version(9)).unwrap());
    for n in &neighbours {
        assert_eq!(
            n.get::<i32>(&format!("{base}-k")).unwrap(),
            t.expect(Some(2), None)
        );
        n.delete(format!("{base}-k")).unwrap();
    }
}

fn stats_count_hits_and_misses(t: &Target) {
    t.cache.set("s", &1, Timeout::Default).unwrap();
    let _ = t.cache.get::<i32>("s").unwrap();
    let _ = t.cache.get::<i32>("nope").unwrap();
    let stats = t.cache.stats();
    assert_eq!((stats.hits, stats.misses), t.expect((1, 1), (0, 2)));
    assert_eq!(stats.writes, 1);
}

cache_tests::matrix!(
    backend Target; backends;
    round_trips_diesel_column_types,
    stored_none_is_not_a_miss,
    add_stores_only_if_absent,
    the_store_roles,
    a_sparse_tag_is_bumped_only_where_it_exists,
    delete_and_has_key,
    entries_expire,
    zero_timeout_stores_nothing,
    the_longest_lifetimes_are_stored,
    touch_changes_lifetime,
    incr_and_decr,
    incr_is_atomic,
    many_at_once,
    get_or_set_runs_only_on_a_miss,
    versions_are_separate,
    awkward_keys_never_collide,
    oversized_values_are_refused,
    undecodable_bytes_are_a_miss,
    clear_removes_only_its_namespace,
    stats_count_hits_and_misses,
);
