//! A tag bump the backend refused is owed, not lost: reads that depend on
//! it go to the source until it is delivered, every read tries to deliver
//! it first, and a thread delivers it without any read, so that caches that
//! share the backend (other processes) stop serving the old entry too.

use cache_core::__engine::WithEngine;
use cache_core::__engine::{FillOptions, Lookup};
use cache_core::backend::{
    Capabilities, Claim, EntryStore, Fetched, Incr, Memo, MemoryBackend, TagClock, TagStore,
};
use cache_core::{Backend, Bytes, Cache, CacheConfig, Error, Result, Ttl};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// A slow reply: the write has landed, the writer waits for `release`.
type Stall = (mpsc::Sender<()>, mpsc::Receiver<()>);

/// The in-process backend, with writes that fail while `down` is set (or
/// the next `fail_next` ones), and a next write of versions that can stall.
#[derive(Debug)]
struct Flaky {
    inner: MemoryBackend,
    down: AtomicBool,
    fail_next: AtomicUsize,
    stall_next: Mutex<Option<Stall>>,
    /// The most versions one write that reached the store wrote.
    widest_write: AtomicUsize,
    /// Serves no entries, as a Redis just out of trouble does (its grace).
    grace: AtomicBool,
}

impl Flaky {
    fn up(&self) -> Result<()> {
        let failing_once = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing_once || self.down.load(Ordering::SeqCst) {
            return Err(Error::Unavailable {
                reason: "down for the test".into(),
            });
        }
        Ok(())
    }
}

impl TagStore for Flaky {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        self.up()?;
        self.widest_write.fetch_max(tags.len(), Ordering::SeqCst);
        self.inner.write_versions(tags, ttl)?;
        let stall = self.stall_next.lock().unwrap().take();
        if let Some((landed, release)) = stall {
            landed.send(()).unwrap();
            release.recv().unwrap();
        }
        Ok(())
    }
    fn create_versions(&self, entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        self.up()?;
        self.inner.create_versions(entry, tags, ttl)
    }
    fn read_versions(&self, entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        self.inner.read_versions(entry, tags)
    }
    fn generation(&self) -> Option<u64> {
        self.inner.generation()
    }
    fn tag_clock(&self) -> Option<&TagClock> {
        self.inner.tag_clock()
    }
}

impl EntryStore for Flaky {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        if claim.is_some() {
            self.up()?;
        }
        let mut fetched = self.inner.read_entry(key, tags, claim)?;
        if self.grace.load(Ordering::SeqCst) {
            fetched.entry = None;
            fetched.memo = None;
        }
        Ok(fetched)
    }
    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.up()?;
        self.inner.fill(key, bytes, ttl, release)
    }
    fn kept(&self, key: &str) -> Option<Memo> {
        self.inner
            .kept(key)
            .filter(|_| !self.grace.load(Ordering::SeqCst))
    }
    fn discard(&self, key: &str) {
        self.inner.discard(key)
    }
    fn keep_decoded(&self, key: &str, raw: &Memo, decoded: &Memo) {
        self.inner.keep_decoded(key, raw, decoded)
    }
}

impl Backend for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn serves_entries(&self) -> bool {
        !self.grace.load(Ordering::SeqCst)
    }
    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.up()?;
        self.inner.set(key, value, ttl)
    }
    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        self.up()?;
        self.inner.set_many(entries, ttl)
    }
    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        self.up()?;
        self.inner.add(key, value, ttl)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key)
    }
    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        self.inner.delete_many(keys)
    }
    fn has_key(&self, key: &str) -> Result<bool> {
        self.inner.has_key(key)
    }
    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        self.inner.touch(key, ttl)
    }
    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        self.inner.incr(key, delta)
    }
    fn clear(&self, prefix: &str) -> Result<()> {
        self.inner.clear(prefix)
    }
}

fn flaky() -> Arc<Flaky> {
    Arc::new(Flaky {
        inner: MemoryBackend::new(Some(1000), None),
        down: AtomicBool::new(false),
        fail_next: AtomicUsize::new(0),
        stall_next: Mutex::new(None),
        widest_write: AtomicUsize::new(0),
        grace: AtomicBool::new(false),
    })
}

/// A cache over `backend`, retrying owed bumps every `retry_after`.
fn cache_over(backend: Arc<Flaky>, retry_after: Duration) -> Cache {
    let mut config = CacheConfig::from_url("memory://").unwrap();
    config.retry_after = retry_after;
    Cache::with_backend(config, backend)
}

const OPTS: FillOptions = FillOptions {
    depends_on: 1,
    ttl: None,
    soft: None,
};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("t:{n}")).collect()
}

/// Reads `key` with `tags`, filling `value` on a miss; returns what was read.
fn read(cache: &Cache, key: &str, tags: &[String], value: &str) -> Result<String> {
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    match cache
        .engine()
        .read_tagged_shared::<String>(key, &tags, None)?
    {
        Lookup::Hit { value, .. } => Ok(value),
        Lookup::Miss(stamp) => {
            cache.engine().fill_tagged(key, &stamp, OPTS, value)?;
            Ok(format!("filled {value}"))
        }
    }
}

#[test]
fn an_owed_bump_keeps_dependent_reads_off_the_cache_until_delivered() {
    let backend = flaky();
    // No retry thread within this test's span: reads deliver.
    let cache = cache_over(backend.clone(), Duration::from_secs(3600));
    let (row, other) = (tags(&["row"]), tags(&["other"]));
    assert_eq!(read(&cache, "e", &row, "old").unwrap(), "filled old");
    assert_eq!(read(&cache, "f", &other, "x").unwrap(), "filled x");
    assert_eq!(read(&cache, "e", &row, "-").unwrap(), "old");

    // Writes fail, reads still answer (with the old versions: without the
    // owed bump, "old" would be a valid hit).
    backend.down.store(true, Ordering::SeqCst);
    assert!(
        cache.engine().bump_tags(&row, None).is_err(),
        "the write's bump fails"
    );
    let err = read(&cache, "e", &row, "-").unwrap_err();
    assert!(matches!(err, Error::Owed), "{err:?}");
    backend.down.store(false, Ordering::SeqCst);
    // Reads try to deliver at most every 20 ms (none pays an attempt of
    // its own while the backend is down).
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        read(&cache, "e", &row, "new").unwrap(),
        "filled new",
        "the read delivered the bump first"
    );
    assert_eq!(read(&cache, "e", &row, "-").unwrap(), "new");
    assert_eq!(
        read(&cache, "f", &other, "-").unwrap(),
        "x",
        "others untouched"
    );
}

#[test]
fn reads_that_do_not_depend_on_an_owed_bump_still_hit() {
    let backend = flaky();
    let cache = cache_over(backend.clone(), Duration::from_secs(3600));
    let (row, other) = (tags(&["row"]), tags(&["other"]));
    read(&cache, "f", &other, "x").unwrap();
    read(&cache, "e", &row, "old").unwrap();
    backend.down.store(true, Ordering::SeqCst);
    assert!(cache.engine().bump_tags(&row, None).is_err());
    assert_eq!(read(&cache, "f", &other, "-").unwrap(), "x");
    let refused = read(&cache, "e", &row, "-").unwrap_err();
    assert!(refused.to_string().contains("not delivered"), "{refused}");
}

#[test]
fn a_thread_delivers_owed_bumps_for_caches_that_share_the_backend() {
    let backend = flaky();
    let writer = cache_over(backend.clone(), Duration::from_millis(20));
    // Another process's view: the same storage, no knowledge of the debt.
    let reader = cache_over(backend.clone(), Duration::from_secs(3600));
    let row = tags(&["row"]);
    read(&reader, "e", &row, "old").unwrap();

    backend.down.store(true, Ordering::SeqCst);
    assert!(writer.engine().bump_tags(&row, None).is_err());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read(&reader, "e", &row, "-").unwrap(), "old", "still owed");
    backend.down.store(false, Ordering::SeqCst);

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match read(&reader, "e", &row, "new").unwrap().as_str() {
            "old" if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            "old" => panic!("the owed bump was never delivered"),
            got => {
                assert_eq!(got, "filled new");
                break;
            }
        }
    }
    assert_eq!(writer.stats().invalidations, 1, "delivered once");
}

#[test]
fn a_later_bump_carries_what_is_owed() {
    let backend = flaky();
    let writer = cache_over(backend.clone(), Duration::from_secs(3600));
    let reader = cache_over(backend.clone(), Duration::from_secs(3600));
    let (row, other) = (tags(&["row"]), tags(&["other"]));
    read(&reader, "e", &row, "old").unwrap();
    backend.down.store(true, Ordering::SeqCst);
    assert!(writer.engine().bump_tags(&row, None).is_err());
    backend.down.store(false, Ordering::SeqCst);
    writer.engine().bump_tags(&other, None).unwrap();
    assert_eq!(read(&reader, "e", &row, "new").unwrap(), "filled new");
}

#[test]
fn a_bump_that_fails_while_an_older_debt_is_delivered_stays_owed() {
    let backend = flaky();
    let writer = cache_over(backend.clone(), Duration::from_secs(3600));
    let other = cache_over(backend.clone(), Duration::from_secs(3600));
    let (x, y) = (tags(&["x"]), tags(&["y"]));
    backend.fail_next.store(1, Ordering::SeqCst);
    assert!(
        writer.engine().bump_tags(&x, None).is_err(),
        "a first write owes x"
    );
    // A second write's bump carries x; its write lands, its reply is slow.
    let (landed_tx, landed) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    *backend.stall_next.lock().unwrap() = Some((landed_tx, release_rx));
    let second = {
        let writer = writer.clone();
        std::thread::spawn(move || writer.engine().bump_tags(&y, None))
    };
    landed.recv().unwrap();
    // Another process reads x's new version, then the old row.
    let x_refs: Vec<&str> = x.iter().map(String::as_str).collect();
    let Lookup::Miss(stamp) = other
        .engine()
        .read_tagged_shared::<String>("e", &x_refs, None)
        .unwrap()
    else {
        panic!("nothing was filled");
    };
    // A third write commits; its bump of x fails: x is owed again.
    backend.fail_next.store(1, Ordering::SeqCst);
    assert!(writer.engine().bump_tags(&x, None).is_err());
    release.send(()).unwrap();
    second.join().unwrap().unwrap();
    // The other process fills the old row, stamped before the third write.
    other
        .engine()
        .fill_tagged("e", &stamp, OPTS, "old row")
        .unwrap();
    assert_eq!(
        read(&writer, "e", &x, "new row").unwrap(),
        "filled new row",
        "the third write's bump was delivered before the read"
    );
}

#[test]
fn a_long_outage_owes_a_bounded_debt_that_still_invalidates_everything_written() {
    let backend = flaky();
    let writer = cache_over(backend.clone(), Duration::from_secs(3600));
    let reader = cache_over(backend.clone(), Duration::from_secs(3600));
    let row_tags = |i: usize| tags(&["a:epoch", &format!("a:row{i}")]);
    for i in 0..3 {
        read(&reader, &format!("e{i}"), &row_tags(i), "old").unwrap();
    }
    backend.down.store(true, Ordering::SeqCst);
    for i in 0..20_000 {
        let written = tags(&[&format!("a:row{i}"), "a:list"]);
        assert!(
            writer
                .engine()
                .bump_tags_within(&written, Some("t:a:epoch"), None)
                .is_err()
        );
    }
    backend.down.store(false, Ordering::SeqCst);
    writer
        .engine()
        .bump_tags(&tags(&["unrelated"]), None)
        .unwrap(); // pays the debt too
    let widest = backend.widest_write.load(Ordering::SeqCst);
    assert!(
        widest <= 4096,
        "the debt stayed bounded: {widest} tags in one write"
    );
    for i in 0..3 {
        assert_eq!(
            read(&reader, &format!("e{i}"), &row_tags(i), "new").unwrap(),
            "filled new",
            "row {i}"
        );
    }
}

/// While a shared store serves no entries (the grace after trouble, when
/// bumps other processes owe may not have landed), a miss's load is shared
/// only with callers that missed before it began: a caller that starts
/// after a write returned, whose bump the writer (another process) owes,
/// loads for itself. It used to join the load begun before the write, and
/// be served the row as it was (a stale read the `faults` program saw once
/// after `pause-writes`).
#[test]
fn in_the_grace_a_load_is_not_shared_with_callers_that_came_after_it() {
    assert_eq!(second_caller_across_an_owed_write(true), "after the write");
}

/// The same when the load began before the trouble: a caller in the grace
/// joins no flight in the air.
#[test]
fn in_the_grace_no_caller_joins_a_load_begun_before_it() {
    assert_eq!(second_caller_across_an_owed_write(false), "after the write");
}

/// A first caller's load blocks; meanwhile the store enters its grace
/// (before that load when `grace_first`), a write's bump is owed by
/// another cache, and a second caller reads: what it is served.
fn second_caller_across_an_owed_write(grace_first: bool) -> String {
    use cache_core::__engine::{Plan, Shape};
    use std::convert::Infallible;
    let backend = flaky();
    // A follower waits for its leader up to the lease: longer than the test.
    let mut config = CacheConfig::from_url("memory://").unwrap();
    (config.retry_after, config.lease) = (Duration::from_secs(600), Duration::from_secs(600));
    let reader = Cache::with_backend(config.clone(), backend.clone());
    let writer = Cache::with_backend(config, backend.clone());
    let tags = tags(&["row"]);
    writer.engine().bump_tags(&tags, None).unwrap(); // every stamp whole
    backend.grace.store(grace_first, Ordering::SeqCst);
    let tag_keys: Vec<&str> = tags.iter().map(String::as_str).collect();
    let plan = Plan::new("entry", &tag_keys);
    let shape = |_: &String| Shape {
        depends_on: 1,
        ttl: None,
    };
    let (loading, loading_rx) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            reader.engine().read_through(&plan, shape, || {
                loading.send(()).unwrap();
                released.lock().unwrap().recv().unwrap();
                Ok::<_, Infallible>("before the write".to_owned())
            })
        });
        loading_rx.recv().unwrap();
        backend.grace.store(true, Ordering::SeqCst);
        // The write commits; its bump fails and is owed by the writer.
        backend.fail_next.store(1, Ordering::SeqCst);
        assert!(writer.engine().bump_tags(&tags, None).is_err());
        let (done, second) = mpsc::channel();
        let (reader, plan) = (&reader, &plan);
        s.spawn(move || {
            let read = reader.engine().read_through(plan, shape, || {
                Ok::<_, Infallible>("after the write".to_owned())
            });
            done.send(read.unwrap().0).unwrap();
        });
        let got = second.recv_timeout(Duration::from_secs(10));
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        got.unwrap_or_else(|_| second.recv().unwrap())
    })
}
