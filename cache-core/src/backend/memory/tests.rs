//! The in-process store's own behaviour (the conformance suite covers
//! what every store shares).

use super::*;
use crate::backend::{Backend, EntryStore, Incr, Swap, TagStore};
use crate::error::Error;
use std::time::Duration;

#[test]
fn a_decoded_entry_is_held_once_and_still_known_by_its_bytes() {
    let m = MemoryBackend::new(None, None);
    let v1 = Bytes::from_static(b"first");
    m.fill("e", v1.clone(), None, None).unwrap();
    let (bytes, raw) = m.lookup("e").unwrap();
    assert_eq!(bytes, v1, "not decoded yet: the bytes");
    assert!(raw.decoded().is_none());
    let decoded = raw.decoded_as(1u8);
    m.keep_decoded("e", &raw, &decoded);
    let (bytes, kept) = m.lookup("e").unwrap();
    assert!(bytes.is_empty(), "decoded: the bytes are gone");
    assert!(Arc::ptr_eq(&kept, &decoded) && kept.decoded().is_some());
    m.keep_decoded("e", &raw, &raw.decoded_as(2u8));
    assert!(
        Arc::ptr_eq(&m.kept("e").unwrap(), &decoded),
        "a second decoder of the bytes does not replace the first"
    );
    assert!(m.same("e", &v1).is_some(), "still known to be those bytes");
    assert!(
        Arc::ptr_eq(&m.keep("e", &v1, None), &decoded),
        "kept, not replaced"
    );
    let v2 = Bytes::from_static(b"second");
    assert!(m.same("e", &v2).is_none());
    let other = m.keep("e", &v2, None);
    assert!(!Arc::ptr_eq(&other, &decoded), "other bytes replace it");
    assert_eq!(m.lookup("e").unwrap().0, v2);
    m.keep_decoded("e", &raw, &decoded);
    assert!(
        Arc::ptr_eq(&m.kept("e").unwrap(), &other),
        "a decoding of bytes replaced meanwhile is not kept"
    );
    m.keep_decoded("absent", &raw, &decoded);
    assert!(m.kept("absent").is_none(), "nor one of bytes gone");
}

#[test]
fn the_longest_lifetimes_are_stored_not_a_panic() {
    let m = MemoryBackend::new(None, None);
    m.set("k", Bytes::from_static(b"v"), Some(Duration::MAX))
        .unwrap();
    assert!(
        m.add("a", Bytes::from_static(b"v"), Some(Duration::MAX))
            .unwrap()
    );
    assert!(m.touch("k", Some(Duration::MAX)).unwrap());
    m.set_many(&[("m", Bytes::from_static(b"v"))], Some(Duration::MAX))
        .unwrap();
    assert_eq!(m.get("k").unwrap(), Some(Bytes::from_static(b"v")));
}

#[test]
fn add_touch_and_incr_see_a_deadline_that_passed_as_absent() {
    let m = MemoryBackend::new(Some(100), None);
    // Long enough for the four calls below on a loaded machine.
    let short = Some(Duration::from_millis(300));
    assert!(m.add("a", Bytes::from_static(b"1"), short).unwrap());
    assert!(
        !m.add("a", Bytes::from_static(b"2"), None).unwrap(),
        "live: kept"
    );
    assert_eq!(m.incr("a", 2).unwrap(), Incr::Value(3));
    assert!(m.touch("a", short).unwrap());
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(m.get("a").unwrap(), None, "past its deadline");
    assert_eq!(m.incr("a", 1).unwrap(), Incr::Missing);
    assert!(!m.touch("a", None).unwrap());
    assert!(
        m.add("a", Bytes::from_static(b"9"), None).unwrap(),
        "expired: replaced"
    );
    assert_eq!(m.get("a").unwrap(), Some(Bytes::from_static(b"9")));
    assert!(!m.touch("absent", None).unwrap());
    assert_eq!(m.get("absent").unwrap(), None, "a touch inserts nothing");
    assert_eq!(m.incr("absent", 1).unwrap(), Incr::Missing);
    m.set("text", Bytes::from_static(b"x"), None).unwrap();
    assert_eq!(m.incr("text", 1).unwrap(), Incr::NotAnInteger);
    m.set("max", Bytes::from(i64::MAX.to_string()), None)
        .unwrap();
    assert_eq!(m.incr("max", 1).unwrap(), Incr::Overflow);
}

#[test]
fn an_entry_heavier_than_a_shard_is_refused_and_counted() {
    // 64 KiB by bytes, values up to 1 KiB: shards of 64 KiB / 2^n.
    let m = MemoryBackend::with_max_value(None, Some(64 << 10), 1 << 10);
    let share = m.admitted();
    assert!(share >= (1 << 10), "a largest value fits a shard: {share}");
    m.set("small", Bytes::from(vec![0u8; 512]), None).unwrap();
    assert!(m.get("small").unwrap().is_some());
    assert_eq!(m.refused(), 0);
    let heavy = Bytes::from(vec![0u8; share as usize + 1]);
    m.set("heavy", heavy.clone(), None).unwrap();
    // Not "the key is held": an add that stores nothing says why.
    assert!(matches!(
        m.add("heavy2", heavy.clone(), None),
        Err(Error::ValueTooLarge { .. })
    ));
    assert_eq!(m.get("heavy").unwrap(), None);
    assert_eq!(m.refused(), 2, "both counted");
    assert_eq!(m.refused_entries(), 2);
    // A write that is not stored leaves nothing of the value it
    // replaces.
    m.set("small", heavy, None).unwrap();
    assert_eq!(m.get("small").unwrap(), None);
    assert!(m.largest_value() < share as usize && m.largest_value() >= 1 << 10);
}

#[test]
fn a_cache_whose_max_bytes_leave_no_room_for_max_value_size_lowers_it() {
    use crate::{Cache, CacheConfig, Timeout};
    for url in [
        "memory://?max_bytes=1m",
        "memory://?max_bytes=100k&max_value_size=100k",
        "memory://?max_bytes=1m&max_value_size=2m",
    ] {
        let cache = Cache::from_url(url).unwrap();
        let max = cache.config().max_value_size;
        let asked = CacheConfig::from_url(url).unwrap().max_value_size;
        assert!(max < asked, "{url}: {max}");
        // The largest value now allowed is stored and read back; one
        // byte more is refused, where both were accepted and the value
        // never stored.
        // Bytes that do not compress.
        let noise = |n: usize| {
            let mut x = 0x9e37_79b9_7f4a_7c15_u64;
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect::<Vec<u8>>()
        };
        let (mut fits, mut over) = (0, max + 1);
        while over - fits > 1 {
            let mid = (fits + over) / 2;
            if cache.encode("k", &noise(mid)).is_ok() {
                fits = mid;
            } else {
                over = mid;
            }
        }
        cache.set("k", &noise(fits), Timeout::Default).unwrap();
        let back = cache.get::<Vec<u8>>("k").unwrap();
        assert!(
            back == Some(noise(fits)),
            "{url}: {fits} bytes not read back"
        );
        assert!(matches!(
            cache.set("k", &noise(over), Timeout::Default),
            Err(Error::ValueTooLarge { .. })
        ));
    }
    let roomy = Cache::from_url("memory://?max_bytes=3m").unwrap();
    assert_eq!(roomy.config().max_value_size, 1 << 20, "room for 1 MiB");
}

#[test]
fn inserts_sweep_out_entries_past_their_deadline_now_and_then() {
    let mut m = MemoryBackend::new(Some(1_000), None);
    m.sweep_every_ms = 30;
    for i in 0..100 {
        m.set(
            &format!("k{i}"),
            Bytes::from_static(b"v"),
            Some(Duration::from_millis(500)),
        )
        .unwrap();
    }
    m.set("kept", Bytes::from_static(b"v"), None).unwrap();
    assert_eq!(m.entry_count(), 101);
    std::thread::sleep(Duration::from_millis(600));
    m.set("next", Bytes::from_static(b"v"), None).unwrap();
    assert_eq!(m.entry_count(), 2, "the 100 expired ones are gone");
}

#[test]
fn clear_drops_every_entry_and_version() {
    // Keys are held as hashes: a prefix cannot be told apart, so a
    // clear drops what other caches sharing the store hold too (they
    // miss).
    let m = MemoryBackend::new(None, None);
    for key in ["a:1", "a:2", "b:1"] {
        m.set(key, Bytes::from_static(b"v"), None).unwrap();
    }
    m.write_versions(&[("a:t", 7)], None).unwrap();
    m.clear("a:").unwrap();
    assert_eq!(
        ["a:1", "a:2", "b:1"].map(|k| m.has_key(k).unwrap()),
        [false, false, false]
    );
    assert_eq!(m.read_versions("a:1", &["a:t"]).unwrap(), [None]);
}

#[test]
fn keys_that_differ_are_held_apart() {
    let m = MemoryBackend::new(None, None);
    let keys: Vec<String> = (0..10_000).map(|i| format!("p:d:{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        m.set(key, Bytes::from(i.to_string()), None).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(m.get(key).unwrap(), Some(Bytes::from(i.to_string())));
    }
    assert_eq!(m.get("p:d:").unwrap(), None);
    assert_eq!(m.get("").unwrap(), None);
}

#[test]
fn bounded_by_entries() {
    let m = MemoryBackend::new(Some(10), None);
    for i in 0..100 {
        m.set(&i.to_string(), Bytes::from_static(b"v"), None)
            .unwrap();
    }
    m.run_pending_tasks();
    assert!(m.entry_count() <= 10, "{}", m.entry_count());
}

#[test]
fn bounded_by_bytes_and_entries_together() {
    let m = MemoryBackend::new(Some(50), Some(10_000));
    let big = Bytes::from(vec![0u8; 1_000]);
    for i in 0..100 {
        m.set(&format!("b{i}"), big.clone(), None).unwrap();
    }
    m.run_pending_tasks();
    assert!(m.entry_count() <= 10, "bytes bound: {}", m.entry_count());
    let m = MemoryBackend::new(Some(5), Some(1 << 20));
    for i in 0..100 {
        m.set(&format!("s{i}"), Bytes::from_static(b"v"), None)
            .unwrap();
    }
    m.run_pending_tasks();
    assert!(m.entry_count() <= 5, "entries bound: {}", m.entry_count());
}

#[test]
fn threads_writing_and_reading_one_store_each_read_their_own_values() {
    // Shards behind per-thread read locks: writers take every thread's
    // lock of a shard. Eight threads over one bounded store, each writing,
    // reading, touching and deleting keys of its own among keys shared
    // with the others: a read answers the value last written under its
    // key by that key's writer, or nothing (evicted); never another's.
    let m = MemoryBackend::new(Some(500), Some(64 << 10));
    std::thread::scope(|s| {
        for t in 0..8u32 {
            let m = &m;
            s.spawn(move || {
                for i in 0..4_000u32 {
                    let key = format!("t{t}:{}", i % 97);
                    let value = Bytes::from(format!("{key}={i}"));
                    m.set(&key, value.clone(), None).unwrap();
                    // (Or nothing: evicted by another thread's writes.)
                    if let Some(read) = m.get(&key).unwrap() {
                        assert_eq!(read, value);
                    }
                    let shared = format!("shared:{}", i % 13);
                    if let Some(read) = m.get(&shared).unwrap() {
                        assert!(read.starts_with(shared.as_bytes()), "{read:?}");
                    }
                    m.set(&shared, Bytes::from(format!("{shared}={t}")), None)
                        .unwrap();
                    if i % 5 == 0 {
                        m.touch(&key, None).unwrap();
                        m.delete(&key).unwrap();
                        assert_eq!(m.get(&key).unwrap(), None);
                    }
                }
            });
        }
    });
    assert!(m.entry_count() <= 500, "{}", m.entry_count());
}

#[test]
fn the_smallest_bounds_a_url_accepts_still_store_what_fits() {
    // `max_entries=1&max_bytes=1m` made every entry weigh 1 MiB, over the
    // shard's hot section: nothing was stored. A store of a few KiB
    // computed its largest value for a 1 KiB key, and held no value.
    use crate::{Cache, CacheConfig, Timeout};
    // (URL, entries written and read back, the entry bound)
    for (url, written, bound) in [
        ("memory://?max_entries=1&max_bytes=1m", 1, Some(1)),
        ("memory://?max_entries=1", 1, Some(1)),
        ("memory://?max_entries=2&max_bytes=1k", 2, Some(2)),
        ("memory://?max_bytes=2k", 2, None),
        ("memory://?max_bytes=500", 1, None),
    ] {
        let mut config = CacheConfig::from_url(url).unwrap();
        config.key_prefix = "small".into();
        let cache = Cache::new(config).unwrap();
        assert!(cache.config().max_value_size >= 64, "{url}");
        let key = |i: i32| format!("k{i}");
        for i in 0..written {
            cache.set(key(i), &i, Timeout::Never).unwrap();
        }
        for i in 0..written {
            assert_eq!(cache.get::<i32>(&key(i)).unwrap(), Some(i), "{url}");
        }
        let Some(bound) = bound else { continue };
        // One more than the bound: the bound holds.
        cache.set(key(written), &written, Timeout::Never).unwrap();
        let held = (0..=written)
            .filter(|i| cache.get::<i32>(&key(*i)).unwrap().is_some())
            .count();
        assert!((1..=bound).contains(&held), "{url}: {held} held");
    }
}

#[test]
fn bounds_that_would_store_nothing_are_errors() {
    use crate::{Cache, CacheConfig, Error};
    // No room for any value: an error, where it was accepted and stored
    // nothing (max_value_size lowered to 0, with a warning).
    let tiny = Cache::from_url("memory://?max_bytes=40");
    assert!(matches!(tiny, Err(Error::Config { .. })), "{tiny:?}");
    let zero = CacheConfig::from_url("memory://?max_value_size=0");
    assert!(matches!(zero, Err(Error::Config { .. })), "{zero:?}");
    // Built by hand: the same bounds a URL refuses.
    for set in [
        (|c: &mut CacheConfig| c.max_bytes = Some(0)) as fn(&mut CacheConfig),
        |c| c.max_entries = Some(0),
        |c| c.max_value_size = 0,
    ] {
        let mut config = CacheConfig::from_url("memory://").unwrap();
        set(&mut config);
        let built = Cache::new(config);
        assert!(matches!(built, Err(Error::Config { .. })), "{built:?}");
    }
}

/// An entry filled under a key's text is found by the key's parts (a
/// scope and a verbatim name), and by nothing else: not another name, not
/// the same name under another scope, not a split of the text elsewhere.
#[test]
fn an_entry_is_found_by_its_key_in_parts() {
    use crate::key::{KeyBuilder, Namespace};
    let m = MemoryBackend::new(None, None);
    let keys = KeyBuilder::new("app");
    let scope = keys.scope(Namespace::Detail, &["product", "products", "h", "id"]);
    let other = keys.scope(Namespace::Detail, &["product", "products", "h", "sku"]);
    for name in ["7", "-12", "\"caf\u{e9}\"", ""] {
        m.fill(&scope.key(name), Bytes::from(name.to_owned()), None, None)
            .unwrap();
    }
    for name in ["7", "-12", "\"caf\u{e9}\"", ""] {
        let found = m.kept_by_parts(scope.parts(name).unwrap()).unwrap();
        assert_eq!(found.bytes().unwrap(), name.as_bytes(), "{name:?}");
        assert!(m.kept_by_parts(other.parts(name).unwrap()).is_none());
    }
    assert!(m.kept_by_parts(scope.parts("8").unwrap()).is_none());
    assert!(m.kept_by_parts(scope.parts("77").unwrap()).is_none());
    // Texts that differ only in where their last `:` is.
    assert_ne!(Hashed::of("a:b"), Hashed::of("a:b:"));
    assert_ne!(Hashed::of("ab"), Hashed::of("a:b"));
    assert_ne!(Hashed::of(":ab"), Hashed::of("ab"));
}

/// A memo lent to a reader (uncounted) outlives its entry's removal while
/// the reader reads it, and is dropped once the reader is done: the
/// epoch's deferral, which a reference count did before.
#[test]
fn a_lent_memo_outlives_its_removal_until_its_reader_is_done() {
    use crate::key::{KeyBuilder, Namespace};
    use std::sync::atomic::AtomicUsize;

    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted(u64);
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    /// Collects whatever is due, from a thread not pinned (many times:
    /// the epoch moves a step per collection, and deferred drops wait two).
    fn collect() {
        for _ in 0..256 {
            crossbeam_epoch::pin().flush();
        }
    }

    let m = MemoryBackend::new(None, None);
    let scope = KeyBuilder::new("app").scope(Namespace::Detail, &["p", "ps", "h", "id"]);
    let key = scope.key("1");
    m.fill(&key, Bytes::from_static(b"raw"), None, None)
        .unwrap();
    let raw = m.kept(&key).unwrap();
    m.keep_decoded(&key, &raw, &raw.decoded_as(Counted(41)));
    drop(raw);
    collect();
    let before = DROPS.load(Ordering::SeqCst);
    let mut seen = None;
    let lent = m.read_kept_by_parts(scope.parts("1").unwrap(), &mut |memo| {
        // The store lets the entry go (no lock is held here) and others
        // collect, while this reader still reads it.
        m.delete(&key).unwrap();
        std::thread::spawn(collect).join().unwrap();
        assert_eq!(DROPS.load(Ordering::SeqCst), before, "dropped while lent");
        seen = memo.decoded_ref::<Counted>().map(|c| c.0 + 1);
    });
    assert!(lent);
    assert_eq!(seen, Some(42), "the value read intact after its removal");
    assert!(m.kept(&key).is_none(), "removed");
    // Other tests' threads may hold the epoch back while pinned (and
    // preempted, on a loaded machine): collected within seconds.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while DROPS.load(Ordering::SeqCst) == before && std::time::Instant::now() < until {
        collect();
        std::thread::spawn(collect).join().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        before + 1,
        "dropped once read"
    );
}

/// Readers lending the memos that writers replace and remove all the
/// while read whole values only (run under valgrind's memcheck once, with
/// no invalid read: `valgrind target/debug/deps/cache_core-* lent_memos`).
#[test]
fn lent_memos_stay_whole_under_concurrent_writes() {
    use crate::key::{KeyBuilder, Namespace};
    let m = MemoryBackend::new(Some(64), None);
    let scope = KeyBuilder::new("app").scope(Namespace::Detail, &["p", "ps", "h", "id"]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..2u64 {
            let (m, scope, stop) = (&m, &scope, &stop);
            s.spawn(move || {
                for n in 0..20_000u64 {
                    let key = scope.key(&(n % 16).to_string());
                    m.fill(&key, Bytes::from(vec![7u8; 32]), None, None)
                        .unwrap();
                    if let Some(raw) = m.kept(&key) {
                        let value = (n, format!("{n}:{w}").repeat(4));
                        m.keep_decoded(&key, &raw, &raw.decoded_as(value));
                    }
                    if n % 5 == 0 {
                        m.delete(&key).unwrap();
                    }
                }
                stop.store(true, Ordering::SeqCst);
            });
        }
        for _ in 0..2 {
            let (m, scope, stop) = (&m, &scope, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    for i in 0..16 {
                        m.read_kept_by_parts(scope.parts(&i.to_string()).unwrap(), &mut |memo| {
                            if let Some((n, text)) = memo.decoded_ref::<(u64, String)>() {
                                assert!(text.starts_with(&format!("{n}:")), "{n} {text}");
                            } else {
                                assert_eq!(memo.bytes().unwrap().as_ref(), &[7u8; 32]);
                            }
                        });
                    }
                }
            });
        }
    });
}

/// A memo checked at its tags' clock time stays checked while other tags
/// are written (the store's generation moves on each), and stops being so
/// at a write of one of its own tags, at a swap of one, and at a clear.
#[test]
fn a_memo_stays_checked_until_one_of_its_own_tags_is_written() {
    use crate::backend::{TagTime, tags_digest};
    let m = MemoryBackend::new(None, None);
    let tags = ["t:row:1", "t:epoch"];
    m.write_versions(&[(tags[0], 1), (tags[1], 1)], None)
        .unwrap();
    let clock = m.tag_clock().expect("the in-process store keeps a clock");
    let memo = Kept::holding(Bytes::from_static(b"v"));
    let checked_now =
        |memo: &Memo| memo.still_checked(Some(clock), || m.generation(), tags_digest(&tags));
    let time = clock.time_of(&tags).unwrap();
    assert!(matches!(time, TagTime::Clock { .. }));
    memo.checked(time, &tags);
    assert!(checked_now(&memo));
    // Other rows' tags: the generation moves, the memo's time does not
    // (a tag sharing a slot with one of the memo's would move it: skipped).
    let generation = m.generation().unwrap();
    let others: Vec<String> = (0..200)
        .map(|i| format!("t:row:{}", i + 2))
        .filter(|t| {
            let probe = crate::backend::TagClock::new();
            probe.tick(t);
            probe.time_of(&tags) == crate::backend::TagClock::new().time_of(&tags)
        })
        .collect();
    assert!(others.len() > 150, "most tags share no slot with two");
    for other in &others {
        m.write_versions(&[(other.as_str(), 2)], None).unwrap();
    }
    assert!(m.generation().unwrap() > generation);
    assert!(checked_now(&memo), "other tags' writes leave it checked");
    // A memo checked under other tags is not checked under these.
    assert!(!memo.still_checked(Some(clock), || m.generation(), tags_digest(&tags[..1])));
    // Its own tag written: no longer.
    m.write_versions(&[(tags[1], 2)], None).unwrap();
    assert!(!checked_now(&memo), "its own tag's write");
    memo.checked(clock.time_of(&tags).unwrap(), &tags);
    assert!(checked_now(&memo), "checked again");
    let swap = Swap {
        tag: tags[0],
        version: 5,
        tag_ttl: None,
        expected: 1,
        bump: &[],
        bump_ttl: None,
        key: "e",
        bytes: Bytes::from_static(b"w"),
        ttl: None,
    };
    m.swap_and_fill(swap).unwrap();
    assert!(!checked_now(&memo), "its own tag swapped");
    memo.checked(clock.time_of(&tags).unwrap(), &tags);
    Backend::clear(&m, "").unwrap();
    assert!(!checked_now(&memo), "a clear forgets every version");
}
