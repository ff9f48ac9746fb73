//! The invalidation-latency program, briefly: two processes on the tiered
//! store, one writing through the managers and one reading, the tracking
//! connections killed at half time; no read is served an old row past the
//! freshness window, and the latency line is there. (Its latency figures
//! are benchmarks, not asserted: see BENCHMARKS.md.)

use cache_tests::services;
use std::process::Command;

#[test]
fn no_stale_read_past_the_window_even_when_tracking_is_killed() {
    if services::database_url().is_none() || services::tiered_url().is_none() {
        return;
    }
    let _turn = crate::one_at_a_time();
    let out = Command::new(env!("CARGO_BIN_EXE_coherence"))
        .args(["--seconds", "3", "--kill-tracking"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("kill-tracking: killed ")),
        "{stdout}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    let field = |name: &str| -> u64 {
        last.split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {last:?}"))
    };
    assert_eq!(field("stale_after_window"), 0, "{stdout}");
    assert!(field("writes") > 100 && field("reads") > 1000, "{stdout}");
    // The latency figures are the program's to report, not a bound here: a
    // clean-clone CI run beside a release build saw p99 72 ms (max 90 ms)
    // with no stale read. Only their consistency is asserted.
    let p99 = field("invalidation_p99_us");
    assert!(p99 <= field("invalidation_max_us"), "{stdout}");
}
