//! The plain `redis://` transport against the real server: values of every
//! size (across the read buffer's bounds, and with CRLF inside), replies
//! that arrive a few bytes at a time, the database number of the URL, and
//! ACL users (right and wrong passwords, a server error that leaves the
//! connection usable), and a reply of several megabytes (120,000 values)
//! read within the response timeout.

use cache_core::{Cache, CacheConfig, Error, Timeout};
use cache_tests::proxy::Proxy;
use cache_tests::redis_server::RedisServer;
use cache_tests::{services, unique};
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// The other tests of this file take it shared; the 120,000-key test
/// alone, so that its reply is read within the response timeout without
/// competing for the CPU with the megabytes the others move.
static TURNS: RwLock<()> = RwLock::new(());

fn cache(url: &str, prefix: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(url).unwrap();
    cfg.key_prefix = prefix.to_owned();
    cfg.max_value_size = 4 << 20;
    Cache::new(cfg).unwrap()
}

/// A value of `len` characters with CRLFs and RESP-looking text inside.
fn value(len: usize) -> String {
    "$5\r\n*2\r\n-ERR:1\r\n".chars().cycle().take(len).collect()
}

/// Stores values of many sizes, reads them back one by one and all at once.
fn round_trips(cache: &Cache) {
    let sizes = [0, 1, 100, 16 * 1024 - 40, 16 * 1024, 70_000, 2 << 20, 3, 5];
    for (i, len) in sizes.iter().enumerate() {
        cache
            .set(format!("v{i}").as_str(), &value(*len), Timeout::Default)
            .unwrap();
    }
    for (i, len) in sizes.iter().enumerate() {
        let got: Option<String> = cache.get(format!("v{i}").as_str()).unwrap();
        assert_eq!(got.map(|v| v.len()), Some(*len), "value {i}");
    }
    let keys: Vec<String> = (0..sizes.len())
        .map(|i| format!("v{i}"))
        .chain(["missing".to_owned()])
        .collect();
    let all: HashMap<String, String> = cache.get_many(keys.iter().map(String::as_str)).unwrap();
    assert_eq!(all.len(), sizes.len());
    for (i, len) in sizes.iter().enumerate() {
        assert_eq!(all[&format!("v{i}")], value(*len), "value {i}");
    }
    assert_eq!(cache.incr("v1", 1).ok(), None, "not an integer");
    cache.set("n", &1, Timeout::Default).unwrap();
    assert_eq!(cache.incr("n", 41).unwrap(), 42);
}

#[test]
fn values_of_every_size_round_trip() {
    let _turn = TURNS.read().unwrap_or_else(PoisonError::into_inner);
    let Some(url) = services::redis_url() else {
        return;
    };
    let cache = cache(&url, &unique::prefix("transport"));
    round_trips(&cache);
    cache.clear().unwrap();
}

#[test]
fn replies_that_arrive_a_few_bytes_at_a_time_read_the_same() {
    let _turn = TURNS.read().unwrap_or_else(PoisonError::into_inner);
    let Some(url) = services::redis_url() else {
        return;
    };
    let proxy = Proxy::dribbling(&services::redis_address(&url));
    let cache = cache(
        &format!("redis://127.0.0.1:{}/", proxy.port()),
        &unique::prefix("dribble"),
    );
    round_trips(&cache);
    cache.clear().unwrap();
}

#[test]
fn the_database_of_the_url_is_the_one_written() {
    let _turn = TURNS.read().unwrap_or_else(PoisonError::into_inner);
    let Some(url) = services::redis_url() else {
        return;
    };
    let base = format!("redis://{}", services::redis_address(&url));
    let prefix = unique::prefix("select");
    let cache = cache(&format!("{base}/7"), &prefix);
    cache.set("k", &"in db 7", Timeout::Default).unwrap();
    let pattern = format!("{prefix}:*");
    assert_eq!(keys_matching(&format!("{base}/7"), &pattern), 1);
    assert_eq!(keys_matching(&format!("{base}/0"), &pattern), 0);
    cache.clear().unwrap();
    assert_eq!(keys_matching(&format!("{base}/7"), &pattern), 0);
}

/// How many keys of the database at `url` match `pattern` (by SCAN).
fn keys_matching(url: &str, pattern: &str) -> usize {
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let (mut cursor, mut found) = (0u64, 0);
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .query(&mut conn)
            .unwrap();
        found += keys.len();
        if next == 0 {
            return found;
        }
        cursor = next;
    }
}

/// The ids of the server's clients logged in as `user`.
fn client_ids(admin: &mut redis::Connection, user: &str) -> Vec<String> {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(admin).unwrap();
    let needle = format!(" user={user} ");
    list.lines()
        .filter(|line| line.contains(&needle))
        .filter_map(|line| {
            line.strip_prefix("id=")?
                .split(' ')
                .next()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn acl_users_authenticate_and_server_errors_leave_the_connection_usable() {
    let _turn = TURNS.read().unwrap_or_else(PoisonError::into_inner);
    let Some(url) = services::redis_url() else {
        return;
    };
    let prefix = unique::prefix("acl");
    let admin = std::sync::Mutex::new(
        redis::Client::open(url.as_str())
            .unwrap()
            .get_connection()
            .unwrap(),
    );
    let user = prefix.clone();
    redis::cmd("ACL")
        .arg(&["SETUSER", &user, "on", ">right-pw", "resetkeys"])
        .arg(format!("~{prefix}:*"))
        .arg("+@all")
        .query::<()>(&mut *admin.lock().unwrap())
        .unwrap();
    let at = services::redis_address(&url);
    let allowed = cache(&format!("redis://{user}:right-pw@{at}/"), &prefix);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        allowed.set("k", &"v", Timeout::Default).unwrap();
        assert_eq!(allowed.get::<String>("k").unwrap().as_deref(), Some("v"));

        let wrong = cache(&format!("redis://{user}:wrong-pw@{at}/"), &prefix);
        let err = wrong.get::<String>("k").unwrap_err();
        assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

        // The same user, keys outside its pattern: the server refuses.
        let foreign = cache(&format!("redis://{user}:right-pw@{at}/"), "elsewhere");
        let err = foreign.get::<String>("k").unwrap_err();
        assert!(err.to_string().to_lowercase().contains("noperm"), "{err}");
        // A server error is an answer, not a broken connection: the next
        // call runs on the same one.
        let connections = client_ids(&mut admin.lock().unwrap(), &user);
        assert_eq!(connections.len(), 2, "one per cache");
        let again = foreign.get::<String>("k").unwrap_err();
        assert_eq!(again.to_string(), err.to_string());
        assert_eq!(client_ids(&mut admin.lock().unwrap(), &user), connections);
        allowed.clear().unwrap();
    }));
    redis::cmd("ACL")
        .arg(&["DELUSER", &user])
        .query::<()>(&mut *admin.lock().unwrap())
        .unwrap();
    outcome.unwrap();
}

#[test]
fn a_get_many_of_120_000_keys_is_read_within_the_default_response_timeout() {
    let _turn = TURNS.write().unwrap_or_else(PoisonError::into_inner);
    // A server of its own: no other test's commands in its way.
    let Some(server) = RedisServer::for_test(&[]) else {
        return;
    };
    // The default timeouts: 500 ms bounds the whole request, 5 MB of keys
    // sent and 2 MB of values read (the reply framed quadratically took
    // minutes).
    let cache = cache(&server.url(), &unique::prefix("many"));
    let keys: Vec<String> = (0..120_000).map(|i| format!("key{i}")).collect();
    for chunk in keys.chunks(10_000) {
        let failed = cache
            .set_many(
                chunk.iter().map(|k| (k.as_str(), k.as_str())),
                Timeout::Default,
            )
            .unwrap();
        assert!(failed.is_empty());
    }
    let c = cache.clone();
    let wanted = keys.clone();
    let got: HashMap<String, String> = without_hanging(Duration::from_secs(60), move || {
        c.get_many(wanted.iter().map(String::as_str))
    })
    .unwrap();
    assert_eq!(got.len(), keys.len());
    assert!(keys.iter().all(|k| got[k] == *k));
}

/// Runs `f` on another thread; panics if it does not finish within `limit`
/// (a bound that tells a hang from a slow machine, not a speed test).
fn without_hanging<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the cache call hung")
}
