//! The consistency checker runs briefly on the database and cache pairs
//! (SQLite, PostgreSQL and MySQL; and PostgreSQL with a Redis Cluster
//! whose master is killed) and finds no stale read, also with
//! writers taking every write path; the naive pattern on the same workload
//! does find some. (Long
//! runs: see the README.)

use cache_tests::services;
use std::process::Command;

/// Runs the checker; returns its last line, parsed.
fn check(db: &str, cache: &str, flag: Option<&str>) -> Option<(u64, u64, u64)> {
    check_for(db, cache, flag, "2").map(|(stale, _, reads, writes)| (stale, reads, writes))
}

/// Runs the checker for `seconds`; returns stale reads, failed reads,
/// reads and writes.
fn check_for(
    db: &str,
    cache: &str,
    flag: Option<&str>,
    seconds: &str,
) -> Option<(u64, u64, u64, u64)> {
    if cache == "redis" {
        services::redis_url()?;
    }
    if db == "postgres" {
        services::database_url()?;
    }
    if db == "mysql" {
        services::mysql_url()?;
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_consistency"));
    cmd.args(["--db", db, "--cache", cache, "--seconds", seconds]);
    cmd.args(flag);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{db}/{cache}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    let field = |name: &str| -> u64 {
        last.split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {last:?}"))
    };
    Some((
        field("stale_reads"),
        field("failed_reads"),
        field("reads"),
        field("writes"),
    ))
}

/// A Redis Cluster of the checker's own loses a master halfway through a
/// ten-second run; its replica takes over about two seconds later.
#[test]
fn a_cluster_failover_serves_no_stale_read_and_fails_no_read() {
    let Some((stale, failed, reads, writes)) =
        check_for("postgres", "cluster", Some("--failover"), "10")
    else {
        return;
    };
    assert_eq!((stale, failed), (0, 0));
    assert!(
        reads > 1000 && writes > 100,
        "reads={reads} writes={writes}"
    );
}

#[test]
fn no_stale_reads_through_the_async_api() {
    for (db, cache) in [("sqlite", "memory"), ("postgres", "redis")] {
        let Some((stale, reads, writes)) = check(db, cache, Some("--async")) else {
            continue;
        };
        assert_eq!(stale, 0, "{db}/{cache}, async readers");
        assert!(
            reads > 100 && writes > 10,
            "{db}/{cache}: reads={reads} writes={writes}"
        );
    }
}

#[test]
fn no_stale_reads_on_any_pair() {
    for (db, cache) in [
        ("sqlite", "memory"),
        ("sqlite", "redis"),
        ("postgres", "memory"),
        ("postgres", "redis"),
        ("mysql", "redis"),
    ] {
        let Some((stale, reads, writes)) = check(db, cache, None) else {
            continue;
        };
        assert_eq!(stale, 0, "{db}/{cache}");
        assert!(
            reads > 100 && writes > 10,
            "{db}/{cache}: reads={reads} writes={writes}"
        );
    }
}

#[test]
fn the_naive_pattern_is_caught_serving_stale_rows() {
    let (stale, reads, _) = check("sqlite", "memory", Some("--naive")).unwrap();
    assert!(
        stale > 0,
        "the checker must be able to see a stale read ({reads} reads)"
    );
    if let Some((stale, reads, _)) = check("mysql", "redis", Some("--naive")) {
        assert!(stale > 0, "on MySQL too ({reads} reads)");
    }
}

#[test]
fn no_stale_reads_whatever_path_the_writes_take() {
    for (db, cache) in [
        ("sqlite", "memory"),
        ("postgres", "redis"),
        ("mysql", "redis"),
    ] {
        let Some((stale, reads, writes)) = check(db, cache, Some("--all-paths")) else {
            continue;
        };
        assert_eq!(stale, 0, "{db}/{cache}");
        assert!(
            reads > 100 && writes > 26,
            "{db}/{cache}: reads={reads} writes={writes} (every path twice)"
        );
    }
}
