//! A cache that fails every call logs a handful of lines, not one per
//! call: with Redis unreachable (a port nobody listens on), 1,000 reads
//! and 100 writes through a model manager log at most one line per cause
//! and period (10 s), each later one with the count of those left out.
//! Explicit invalidations return the failure. Run on the sync and the
//! async API. This binary installs its own
//! subscriber, which counts every WARN and ERROR event of the process;
//! its tests take turns.

use cache_core::__engine::WithEngine;
use cache_diesel::Cache;
use cache_tests::api::{Api, ProductOps};
use cache_tests::models::{NewProduct, Product, ProductCache, ProductFilter, products};
use diesel::prelude::*;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard, Once};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

/// The WARN and ERROR events of the process, as text.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Counts WARN and ERROR events into [`LINES`].
struct Counting;

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counting {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let level = *event.metadata().level();
        if level <= tracing::Level::WARN {
            let mut text = Text(level.to_string());
            event.record(&mut text);
            LINES.lock().unwrap_or_else(|p| p.into_inner()).push(text.0);
        }
    }
}

/// This test's turn, with the counted lines emptied.
fn counting() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    static TURN: Mutex<()> = Mutex::new(());
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Counting))
            .expect("no other global subscriber in this binary");
        tracing::callsite::rebuild_interest_cache();
    });
    let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    LINES.lock().unwrap_or_else(|p| p.into_inner()).clear();
    turn
}

fn counted_lines() -> Vec<String> {
    std::mem::take(&mut *LINES.lock().unwrap_or_else(|p| p.into_inner()))
}

/// A cache at a port nobody listens on.
fn unreachable_cache() -> Cache {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Cache::from_url(&format!(
        "redis://127.0.0.1:{port}?connect_timeout=200ms&response_timeout=200ms"
    ))
    .unwrap()
}

fn a_dead_cache_logs_a_handful_of_lines<D: Api>(api: &mut D)
where
    Product: ProductOps<D>,
{
    let _turn = counting();
    let seeding = ProductCache::new(Cache::from_url("dummy://").unwrap());
    api.insert(&seeding, NewProduct::new("a", 1)).unwrap();
    api.insert(&seeding, NewProduct::new("b", 1)).unwrap();
    let p = ProductCache::new(unreachable_cache());
    let (mut reads, mut writes) = (0, 0);
    for round in 0..10 {
        for i in 0..100 {
            if i % 2 == 0 {
                assert_eq!(api.get(&p, 1).unwrap().slug, "a", "from the database");
            } else {
                let rows = api.all(&p, Some("all"), ProductFilter::default()).unwrap();
                assert_eq!(rows.len(), 2);
            }
            reads += 1;
        }
        for i in 0..10 {
            let title = format!("t{round}-{i}");
            api.update(&p, 2, products::title.eq(title)).unwrap();
            writes += 1;
        }
    }
    // An explicit invalidation says it could not be delivered (hook
    // writes, above, fail open); the row is still read from the database.
    let undelivered =
        |r: cache_diesel::Result<()>| matches!(r, Err(cache_diesel::Error::Invalidation(_)));
    assert!(undelivered(api.invalidate_all(&p)), "invalidate_all");
    assert!(undelivered(api.invalidate_id(&p, 2)), "invalidate_id");
    assert_eq!(api.get(&p, 2).unwrap().title, "t9-9");
    reads += 1;
    let lines = counted_lines();
    let stats = p.stats();
    eprintln!(
        "{reads} reads and {writes} writes on a dead cache: {} WARN/ERROR lines; stats {stats:?}",
        lines.len()
    );
    assert_eq!(stats.uncached, reads, "every read was served uncached");
    assert!(lines.len() <= 8, "{} lines: {lines:#?}", lines.len());
    // Each cause still says it once.
    let has = |level: &str, text: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(level) && l.contains(text))
    };
    assert!(
        has("WARN", "cache unavailable, reading the source"),
        "{lines:#?}"
    );
    assert!(has("WARN", "tag bumps owed"), "{lines:#?}");
    assert!(has("ERROR", "cache invalidation failed"), "{lines:#?}");
}

#[test]
fn sync_api() {
    let (mut api, _) = cache_tests::api::sync_sqlite_memory("log_limits_sync").unwrap();
    a_dead_cache_logs_a_handful_of_lines(&mut api);
}

#[test]
fn async_api() {
    let (mut api, _) = cache_tests::api::async_sqlite_memory("log_limits_async").unwrap();
    a_dead_cache_logs_a_handful_of_lines(&mut api);
}

/// A cache's limit is its own: another cache's failures do not silence it.
#[test]
fn each_cache_logs_its_own_causes() {
    let _turn = counting();
    let (first, second) = (unreachable_cache(), unreachable_cache());
    for cache in [&first, &second] {
        let tags =
            vec![
                cache
                    .engine()
                    .keys()
                    .build(cache_core::__engine::Namespace::Tag, &[], "t"),
            ];
        for _ in 0..50 {
            assert!(cache.engine().bump_tags(&tags, None).is_err());
        }
    }
    let owed: Vec<String> = counted_lines()
        .into_iter()
        .filter(|l| l.contains("tag bumps owed"))
        .collect();
    assert_eq!(owed.len(), 2, "one per cache: {owed:#?}");
}
