//! The fault program, briefly: Redis killed, stopped and cut off under the
//! managers' readers and writers; no read fails and none is stale. (Its
//! throughput figures are benchmarks: see RELIABILITY.md.)

use cache_tests::services;
use std::process::Command;

#[test]
fn no_read_fails_or_is_stale_whatever_happens_to_redis() {
    faults(&[]);
}

/// The same with a local tier, whose tracking connection goes through the
/// same proxy: it dies, hangs and is cut off with Redis.
#[test]
fn no_read_fails_or_is_stale_with_a_local_tier_either() {
    faults(&["--local"]);
}

fn faults(extra: &[&str]) {
    if services::database_url().is_none() {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_faults"))
        .args(["--db", "postgres", "--seconds", "4"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let faults: Vec<&str> = stdout.lines().filter(|l| l.starts_with("fault=")).collect();
    assert_eq!(faults.len(), 3, "{stdout}");
    for (line, fault) in faults.iter().zip(["kill", "stop", "partition"]) {
        assert!(line.starts_with(&format!("fault={fault} ")), "{line}");
        assert!(
            line.contains(" failed_reads=0 ") && line.contains(" stale_reads=0 "),
            "{line}"
        );
        let reads: u64 = line
            .split(' ')
            .find_map(|kv| kv.strip_prefix("reads="))
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(reads > 0, "reads went on while faulted: {line}");
    }
}
