//! The examples run, on the embedded default, and show what they claim.

use std::process::Command;

fn run(exe: &str) -> String {
    let out = Command::new(exe)
        .env_remove("CACHE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{exe}: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The lines of `text` that contain `needle`, in order.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

/// The lines of `out` that show `read`: a miss, a hit, then after the
/// update of row 1 to "Green tea" `after` (`"queries: 1 (miss"`, or a hit
/// where the update put the row in place).
fn miss_hit_update(out: &str, read: &str, after: &str) {
    let reads = lines_with(out, read);
    assert_eq!(reads.len(), 3, "{out}");
    assert!(reads[0].contains("queries: 1 (miss)"), "{out}");
    assert!(reads[1].contains("queries: 0 (hit)"), "{out}");
    assert!(
        reads[2].contains("Green tea") && reads[2].contains(after),
        "{out}"
    );
}

#[test]
fn quickstart_shows_miss_hit_update_hit() {
    let out = run(env!("CARGO_BIN_EXE_quickstart"));
    // (The sync hook on a tracked connection puts the row it wrote.)
    miss_hit_update(&out, "get(1)", "queries: 0 (hit");
    let lists = lines_with(&out, "all(active)");
    assert!(lists[2].contains("queries: 1 (miss"), "{out}");
    assert!(
        out.contains("get(42)       -> Product id=42 not found"),
        "{out}"
    );
}

#[test]
fn async_quickstart_shows_miss_hit_update_hit() {
    let out = run(env!("CARGO_BIN_EXE_async_quickstart"));
    // (The async hook on a tracked connection puts the row it wrote.)
    miss_hit_update(&out, "get_async(1)", "queries: 0 (hit");
    let lists = lines_with(&out, "all_async");
    assert!(
        lists[0].contains("2 rows") && lists[1].contains("queries: 0 (hit)"),
        "{out}"
    );
}

#[test]
fn users_flow_logs_miss_then_hits_around_the_update() {
    let out = run(env!("CARGO_BIN_EXE_users_flow"));
    let events: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("key=") && l.contains(":id:1"))
        .filter_map(|l| {
            ["cache miss", "cache hit"]
                .into_iter()
                .find(|e| l.contains(e))
        })
        .collect();
    assert_eq!(
        events,
        // (After the update, hits: it put the row it wrote in place.)
        [
            "cache miss",
            "cache hit",
            "cache hit",
            "cache hit",
            "cache miss"
        ],
        "{out}"
    );
    assert!(
        out.contains("get(1) -> Ada Lovelace (0 database queries)"),
        "{out}"
    );
    assert!(out.contains("not found"), "{out}");
}

#[test]
fn lowlevel_tour_runs() {
    let out = run(env!("CARGO_BIN_EXE_lowlevel"));
    assert!(
        out.contains("(a hit)") && out.contains("visits after incr(3), decr(1): 2"),
        "{out}"
    );
}

#[test]
fn blog_shows_the_queries_each_step_saves() {
    let out = run(env!("CARGO_BIN_EXE_blog"));
    let queries = |step: &str| -> usize {
        let line = out
            .lines()
            .find(|l| l.starts_with(step))
            .unwrap_or_else(|| panic!("{step}: {out}"));
        line[step.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(queries("get(1): miss (join + comments + tags)"), 3, "{out}");
    assert_eq!(queries("get(1) again: hit"), 0, "{out}");
    assert_eq!(queries("all() again: hit"), 0, "{out}");
    assert_eq!(queries("summaries: prefetch_for_list = false"), 1, "{out}");
    assert!(
        out.contains("category now Some(\"Rust (the language)\")"),
        "{out}"
    );
    assert!(out.contains("tags [\"sql\"]"), "{out}");
}
