//! The configuration's unit tests: each store's URL and options, durations
//! and sizes, and what bad input says.

use super::*;

#[test]
fn memory_options() {
    let cfg = CacheConfig::from_url("memory://?max_entries=5&max_bytes=2k&timeout=none&version=3")
        .unwrap();
    assert_eq!(cfg.backend, BackendKind::Memory);
    assert_eq!((cfg.max_entries, cfg.max_bytes), (Some(5), Some(2048)));
    assert_eq!(cfg.default_timeout, None);
    assert_eq!(cfg.version, 3);
    let bytes_only = CacheConfig::from_url("memory://?max_bytes=16m").unwrap();
    assert_eq!(
        (bytes_only.max_entries, bytes_only.max_bytes),
        (None, Some(16 << 20)),
        "a byte bound alone replaces the default entry bound"
    );
    let default = CacheConfig::from_url("memory://").unwrap();
    assert_eq!(
        (default.max_entries, default.max_bytes),
        (Some(10_000), None)
    );
    assert!(CacheConfig::from_url("memory://?max_entries=5&max_entries=6").is_err());
}

#[test]
fn redis_keeps_its_own_options_and_hides_passwords() {
    let cfg = CacheConfig::from_url("redis://:secret@h:1/3?protocol=resp3&connect_timeout=250ms")
        .unwrap();
    assert_eq!(cfg.connect_timeout, Duration::from_millis(250));
    assert_eq!(
        cfg.backend,
        BackendKind::Redis {
            url: "redis://:secret@h:1/3?protocol=resp3".into()
        }
    );
    let err = CacheConfig::from_url("redis://:secret@h:1/3?timeout=soon")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("secret") && err.contains("timeout"), "{err}");
}

#[test]
fn cluster_urls_list_their_nodes() {
    let cfg = CacheConfig::from_url(
        "redis+cluster://:secret@10.0.0.1:7000,10.0.0.2:7001/?prefix=app&shards=32&replicas=2",
    )
    .unwrap();
    assert_eq!(
        cfg.backend,
        BackendKind::RedisCluster {
            nodes: vec![
                "redis://:secret@10.0.0.1:7000/".into(),
                "redis://:secret@10.0.0.2:7001/".into()
            ]
        }
    );
    assert_eq!(
        (cfg.key_prefix.as_str(), cfg.shards, cfg.replicas),
        ("app", 32, Some(2))
    );
    let plain = CacheConfig::from_url("REDIS+CLUSTER://h:1").unwrap();
    assert_eq!((plain.shards, plain.replicas), (16, None));
    for (url, says) in [
        ("redis+cluster://h:1,,h:2", "an empty host"),
        ("redis+cluster://h", "a port is needed"),
        ("redis+cluster://h:1/2", "one database"),
        ("redis+cluster://h:1?shards=0", "from 1 to 1024"),
        ("redis+cluster://h:1?shards=5000", "from 1 to 1024"),
        (
            "redis+cluster://h:1?local=1m",
            "local is not supported on a Redis Cluster",
        ),
        ("redis+cluster://h:1,u:pw@h:2", "goes before the first host"),
        ("redis+cluster://h:1?protocol=resp3", "unknown option"),
        ("redis://h:1?shards=4", "applies to a Redis Cluster"),
        ("redis+cluster://:pw@h:1?x=1", "***"),
    ] {
        let err = CacheConfig::from_url(url).unwrap_err().to_string();
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains(":pw@"), "{url}: {err}");
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    for (url, says) in [
        ("memory://?colour=red", "unknown option"),
        (
            "redis://127.0.0.1:6379?prefx=nc",
            "unknown option \"prefx\": accepted are prefix",
        ),
        (
            "rediss://127.0.0.1:6379?protocl=resp3",
            "and for redis:// also protocol",
        ),
        (
            "ftp://x",
            "unknown scheme \"ftp\": accepted are memory:// (or locmem://), redis://, \
             rediss://, redis+cluster://, redis+sentinel://, dummy://",
        ),
        ("unix:///tmp/redis.sock", "Unix sockets are not supported"),
        (
            "redis+unix:///tmp/redis.sock",
            "Unix sockets are not supported",
        ),
        ("memory://?max_entries=0", "positive"),
        ("memory://?write_through=maybe", "expected on or off"),
        ("memory://?verify=2", "a fraction from 0 to 1"),
        ("memory://?verify=NaN", "a fraction from 0 to 1"),
        ("memory://?verify=-0.1", "a fraction from 0 to 1"),
        ("memory://?verify_window=0", "non-zero"),
        ("memory://?schema_settle=soon", "a duration"),
        ("memory://?response_timeout=0", "non-zero"),
        ("memory://?max_value_size=0", "positive"),
        ("memory://?max_bytes=64kbbb", "k, m or g suffix"),
        ("redis://h:1/?max_entries=5", "in-process store"),
        ("rediss://h:1/?max_bytes=1m", "in-process store"),
        ("dummy://?max_entries=5", "in-process store"),
        ("redis://h:1/?tls_ca=/ca.pem", "rediss://"),
        ("not a url", "relative URL"),
    ] {
        let err = CacheConfig::from_url(url).unwrap_err().to_string();
        assert!(err.contains(says), "{url}: {err}");
    }
}

#[test]
fn durations_and_sizes() {
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
    assert_eq!(parse_duration("-1"), None);
    assert_eq!(parse_size("1MiB"), Some(1 << 20));
    assert_eq!(parse_size("12"), Some(12));
    assert_eq!(parse_size("x"), None);
    assert_eq!(parse_size(" 64KB "), Some(64 << 10));
    assert_eq!(parse_size("2g"), Some(2 << 30));
    assert_eq!(parse_size("7b"), Some(7));
    // One unit: these were read as 64 KiB and 64 bytes.
    assert_eq!(parse_size("64kbbbb"), None);
    assert_eq!(parse_size("64ib"), None);
    for bad in [
        "",
        "k",
        "1t",
        "1.5m",
        "-1",
        "+5",
        "1 m",
        "99999999999999999999g",
    ] {
        assert_eq!(parse_size(bad), None, "{bad}");
    }
}
