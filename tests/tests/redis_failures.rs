//! An unreachable or silent Redis gives a typed error within the configured
//! timeouts, never a hang; calls fail fast while it is down, and the cache
//! recovers when it returns.

use cache_core::{Cache, CacheConfig, Error, Timeout};
use cache_tests::proxy::Proxy;
use cache_tests::{services, unique};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a call may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(10);

fn cache_at(port: u16, options: &str) -> Cache {
    let url = format!(
        "redis://127.0.0.1:{port}/0?connect_timeout=200ms&response_timeout=200ms&{options}"
    );
    let mut cfg = CacheConfig::from_url(&url).unwrap();
    cfg.key_prefix = unique::prefix("fail");
    Cache::new(cfg).unwrap()
}

/// Runs `f` on another thread; panics if it does not finish within `HANG`.
fn without_hanging<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).expect("the cache call hung")
}

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn closed_port_is_a_typed_error_and_then_fails_fast() {
    let cache = cache_at(closed_port(), "retry_after=30s");
    let c = cache.clone();
    let first = without_hanging(move || c.get::<i32>("k"));
    assert!(matches!(first, Err(Error::Unavailable { .. })), "{first:?}");
    let started = Instant::now();
    let second = cache.set("k", &1, Timeout::Default);
    assert!(
        matches!(&second, Err(Error::Unavailable { reason }) if reason.contains("moments ago")),
        "{second:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert_eq!(cache.stats().errors, 2);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // accept, read nothing, answer nothing
        }
    });
    let cache = cache_at(port, "");
    let result = without_hanging(move || cache.get::<i32>("k"));
    let err = result.expect_err("a silent server cannot produce a value");
    assert!(err.is_backend_failure(), "{err:?}");
}

#[test]
fn recovers_when_the_server_returns() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let port = closed_port();
    let cache = cache_at(port, "retry_after=50ms");
    assert!(cache.get::<i32>("k").is_err(), "nothing listens yet");

    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let _proxy = Proxy::on(listener, &services::redis_address(&url), None);
    thread::sleep(Duration::from_millis(80)); // past retry_after
    cache
        .set("k", &5, Timeout::Default)
        .expect("the server is back");
    assert_eq!(cache.get::<i32>("k").unwrap(), Some(5));
    cache.clear().unwrap();
}
