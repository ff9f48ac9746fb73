//! The follower checker runs briefly: writers that are not this library
//! (plain SQL of every shape) against followers in processes of their
//! own leave no read stale past the window, also while the active
//! follower is killed; without a follower the same run reads stale. On
//! PostgreSQL and on MariaDB (the binary log).

use cache_tests::services;
use std::process::Command;

/// Runs `follow` for a few seconds; its last line's fields.
fn follow(flags: &[&str]) -> Option<std::collections::HashMap<String, f64>> {
    if flags.contains(&"mysql") {
        services::mysql_url()?;
    } else {
        services::database_url()?;
    }
    let _turn = crate::one_at_a_time();
    let out = Command::new(env!("CARGO_BIN_EXE_follow"))
        .args(["--cache", "redis", "--rate", "300"])
        .args(flags)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let no_follower = flags.contains(&"--no-follower");
    assert!(
        out.status.success() || no_follower,
        "{flags:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        stdout
            .split_whitespace()
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_owned(), v.parse().ok()?))
            })
            .collect(),
    )
}

#[test]
fn foreign_writes_are_followed_and_without_a_follower_read_stale() {
    let Some(followed) = follow(&["--seconds", "4"]) else {
        return;
    };
    assert_eq!(followed["stale_reads_past_window"], 0.0, "{followed:?}");
    assert!(
        followed["changes"] > 0.0 && followed["reads"] > 0.0,
        "{followed:?}"
    );
    let Some(alone) = follow(&["--seconds", "4", "--no-follower"]) else {
        return;
    };
    assert!(
        alone["stale_reads_past_window"] > 0.0,
        "the check sees stale reads: {alone:?}"
    );
}

#[test]
fn a_killed_follower_is_replaced_and_nothing_is_served_stale() {
    let Some(killed) = follow(&["--seconds", "8", "--fault", "kill"]) else {
        return;
    };
    assert_eq!(killed["stale_reads_past_window"], 0.0, "{killed:?}");
    assert!(killed["kills"] >= 1.0, "{killed:?}");
    assert_eq!(killed["failed_reads"], 0.0, "{killed:?}");
}

#[test]
fn mysql_foreign_writes_are_followed_also_while_the_follower_is_killed() {
    let Some(killed) = follow(&["--db", "mysql", "--seconds", "8", "--fault", "kill"]) else {
        return;
    };
    assert_eq!(killed["stale_reads_past_window"], 0.0, "{killed:?}");
    assert!(
        killed["kills"] >= 1.0 && killed["changes"] > 0.0,
        "{killed:?}"
    );
    assert_eq!(killed["failed_reads"], 0.0, "{killed:?}");
}
