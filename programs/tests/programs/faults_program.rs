//! The fault program, briefly: Redis killed, stopped, cut off, full,
//! demoted, holding writes, in each state in which it refuses commands,
//! killing clients, closing idle connections; writers killed between their
//! COMMIT and their bump; the writers' PostgreSQL sessions read-only, timed
//! out and killed. Under the managers' readers and writers (the readers
//! with a `Cache` of their own, as another process), no read fails and
//! none is stale. (Its throughput figures are benchmarks: see
//! RELIABILITY.md.)

use cache_tests::services;
use std::process::Command;

/// The faults this test applies, in the program's order: every fault the
/// program knows (RELIABILITY.md, "Every fault"), in two runs so that each
/// gets a one-second window.
const FAULTS: [&str; 19] = [
    "kill",
    "stop",
    "partition",
    "oom",
    "readonly",
    "pause-writes",
    "noreplicas",
    "misconf",
    "busy",
    "masterdown",
    "loading",
    "maxclients",
    "client-kill",
    "idle-timeout",
    "writer-killed",
    "db-readonly",
    "db-timeout",
    "db-kill",
    "db-serialization",
];

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
    // One program at a time: each runs 8 readers, 2 writers and its
    // faults' own sessions, and two at once on CI's two cores starved a
    // program's writers through a whole `db-` fault (`failed_writes=0`)
    // now and then.
    let _turn = crate::one_at_a_time();
    // A one-second window per fault (14 s over the baseline and 13 faults):
    // long enough for reads to go on after a held write's guard timed out.
    // The idle timeout begins a run of its own, with two-second windows:
    // after the fault before it, the readers' breaker would probe only
    // when the burst begins, and the burst (1 s) would fall in the grace
    // that follows (3 s).
    let run = |faults: &str, seconds: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_faults"))
            .args(["--db", "postgres", "--seconds", seconds, "--faults", faults])
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let stdout = run(&FAULTS[..13].join(","), "14") + &run(&FAULTS[13..].join(","), "14");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("fault=")).collect();
    assert_eq!(lines.len(), FAULTS.len(), "{stdout}");
    for (line, fault) in lines.iter().zip(FAULTS) {
        assert!(line.starts_with(&format!("fault={fault} ")), "{line}");
        assert!(
            line.contains(" failed_reads=0 ") && line.contains(" stale_reads=0 "),
            "{line}"
        );
        assert!(
            field(line, "reads") > 0,
            "reads went on while faulted: {line}"
        );
    }
    // The server closed every pooled connection while they were idle: the
    // reads after are cache hits again.
    assert!(field(lines[13], "hits") > 0, "{}", lines[13]);
    // The db- faults failed the writers' writes (their sessions read-only,
    // timed out, losing to another) while the readers went on with hits.
    // (`db-kill` fails only the writes its kills land in: none, at times.)
    for line in &lines[15..] {
        if !line.starts_with("fault=db-kill ") {
            assert!(field(line, "failed_writes") > 0, "{line}");
        }
        assert!(field(line, "hits") > 0, "{line}");
    }
    // Writers were killed after their COMMIT, and none of their writes was
    // read stale (its line says so).
    let killed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("writer-killed: "))
        .unwrap_or_else(|| panic!("no writer-killed summary: {stdout}"));
    let count = |n: usize| -> u64 {
        killed
            .split(' ')
            .nth(n)
            .and_then(|n| n.parse().ok())
            .unwrap()
    };
    assert!(count(0) > 0 && count(7) > 0, "writer-killed: {killed}");
}

/// The number `name=` holds on `line`.
fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {name}= on {line}"))
}
