//! A write whose tag bumps could not reach Redis (the writer's path to it was
//! cut) stops being served stale, to other processes too, soon after Redis
//! is reachable again: the writer's cache owes the bumps and delivers them.

use cache_diesel::{Cache, CacheConfig};
use cache_tests::models::{NewProduct, ProductCache, products};
use cache_tests::proxy::Proxy;
use cache_tests::{db, services, unique};
use diesel::prelude::*;
use std::thread;
use std::time::{Duration, Instant};

fn cache_at(url: &str, prefix: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).unwrap()
}

#[test]
fn a_write_while_redis_was_unreachable_is_not_served_stale_once_it_returns() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let proxy = Proxy::start(&services::redis_address(&url));
    let prefix = unique::prefix("owed");
    let writer = ProductCache::new(cache_at(
        &format!(
            "redis://127.0.0.1:{}/?connect_timeout=200ms&response_timeout=200ms&retry_after=100ms",
            proxy.port()
        ),
        &prefix,
    ));
    // Another process: straight to Redis, the same keys.
    let reader = ProductCache::new(cache_at(&url, &prefix));
    let mut db = db::sqlite();
    let conn = &mut db.conn;
    writer.insert(conn, NewProduct::new("owed", 1)).unwrap();
    let id = reader.get_by_slug(conn, "owed".into()).unwrap().id;
    assert_eq!(reader.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(writer.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(reader.get(conn, id).unwrap().title, "Title of owed");
    assert_eq!(reader.stats().hits, 1, "cached now");

    proxy.cut();
    assert_eq!(
        writer
            .update(conn, id, products::title.eq("Renamed"))
            .unwrap()
            .map(|row| row.title)
            .as_deref(),
        Some("Renamed"),
        "the database write succeeds; its bumps fail"
    );
    assert_eq!(writer.get(conn, id).unwrap().title, "Renamed", "fails open");
    proxy.restore();

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let title = reader.get(conn, id).unwrap().title;
        if title == "Renamed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still served {title:?} 5 s after Redis returned"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(writer.get(conn, id).unwrap().title, "Renamed");
    let _ = reader.cache().clear();
}
