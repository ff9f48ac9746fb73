//! The stampede program: one cold key, a 50 ms query, many concurrent
//! misses. Protected, the database sees one query (one per process for the
//! in-process cache, at most one per process on Redis); unprotected, many.

use cache_tests::services;
use std::process::Command;

/// `flag`: `--no-protection` (plain cache-aside) or `--async` (tasks on
/// the async API).
fn run(cache: &str, processes: u32, flag: Option<&str>) -> Option<(u64, u64)> {
    if cache != "memory" {
        services::redis_url()?;
    }
    let _turn = crate::one_at_a_time();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stampede"));
    cmd.args([
        "--cache",
        cache,
        "--threads",
        "32",
        "--processes",
        &processes.to_string(),
    ]);
    cmd.args(flag);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap_or_default();
    let field = |name: &str| -> u64 {
        last.split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {last:?}"))
    };
    Some((field("db_queries="), field("requests=")))
}

#[test]
fn one_query_per_cold_key_in_memory() {
    assert_eq!(run("memory", 1, None), Some((1, 32)));
    assert_eq!(
        run("memory", 2, None),
        Some((2, 64)),
        "processes do not share an in-process cache"
    );
    let (unprotected, _) = run("memory", 1, Some("--no-protection")).unwrap();
    assert!(
        unprotected > 1,
        "without protection every early miss queries: {unprotected}"
    );
}

#[test]
fn tasks_on_the_async_api_run_one_query_per_cold_key() {
    assert_eq!(run("memory", 1, Some("--async")), Some((1, 32)));
    if let Some(result) = run("redis", 2, Some("--async")) {
        assert_eq!(result, (1, 64), "tasks in two processes, one query");
    }
}

#[test]
fn one_query_per_cold_key_across_processes_on_redis() {
    let Some((queries, requests)) = run("redis", 2, None) else {
        return;
    };
    assert_eq!(requests, 64);
    assert!(
        (1..=2).contains(&queries),
        "at most one per process: {queries}"
    );
    let (unprotected, _) = run("redis", 2, Some("--no-protection")).unwrap();
    assert!(unprotected > 2, "without protection: {unprotected}");
}

/// On a Redis Cluster of the program's own.
#[test]
fn one_query_per_cold_key_across_processes_on_a_cluster() {
    let Some((queries, requests)) = run("cluster", 2, None) else {
        return;
    };
    assert_eq!(requests, 64);
    assert!(
        (1..=2).contains(&queries),
        "at most one per process: {queries}"
    );
}

#[test]
fn one_query_per_cold_key_across_processes_with_a_local_tier() {
    let Some((queries, requests)) = run("tiered", 2, None) else {
        return;
    };
    assert_eq!(requests, 64);
    assert!(
        (1..=2).contains(&queries),
        "at most one per process: {queries}"
    );
}
