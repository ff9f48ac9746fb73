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

/// A span the OpenTelemetry stdout exporter printed: its name, ids and
/// attributes (`key: Value` as printed, e.g. `String(Static("get"))`).
#[derive(Debug, Default)]
struct Exported {
    name: String,
    span_id: String,
    parent: String,
    attributes: Vec<(String, String)>,
    /// Past its attributes: its events' and links' follow.
    done: bool,
}

impl Exported {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `otel_traces`'s output by step (its `== what` lines), each with the
/// spans exported during it.
fn exported_by_step(out: &str) -> Vec<(String, Vec<Exported>)> {
    let mut steps: Vec<(String, Vec<Exported>)> = Vec::new();
    for line in out.lines() {
        if let Some(what) = line.strip_prefix("== ") {
            steps.push((what.to_owned(), Vec::new()));
            continue;
        }
        let Some((_, spans)) = steps.last_mut() else {
            continue;
        };
        // (One tab: the span's; two: its instrumentation scope's.)
        if let Some(name) = line.strip_prefix("\tName         : ") {
            spans.push(Exported {
                name: name.to_owned(),
                ..Exported::default()
            });
        } else if let Some(span) = spans.last_mut() {
            if let Some(id) = line.strip_prefix("\tSpanId       : ") {
                span.span_id = id.to_owned();
            } else if let Some(id) = line.strip_prefix("\tParentSpanId : ") {
                span.parent = id.to_owned();
            } else if line == "\tEvents:" || line == "\tLinks:" {
                span.done = true;
            } else if let Some(kv) = line.strip_prefix("\t\t ->  ")
                && !span.done
                && let Some((k, v)) = kv.split_once(": ")
            {
                span.attributes.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    steps
}

#[test]
fn otel_traces_exports_the_cache_spans() {
    let out = run(env!("CARGO_BIN_EXE_otel_traces"));
    let steps = exported_by_step(&out);
    let names = |i: usize| -> Vec<&str> { steps[i].1.iter().map(|s| s.name.as_str()).collect() };
    let whats: Vec<&str> = steps.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(
        whats,
        [
            "get(1): miss",
            "get(1): hit",
            "all(open): miss",
            "update(1): the hook invalidates",
            "get(1): hit, the row the update wrote",
            "all(open): miss, the update invalidated the lists",
        ],
        "{out}"
    );
    // Every step is its `request` span, exported last (it ends last).
    for (i, (what, spans)) in steps.iter().enumerate() {
        let request = spans
            .last()
            .unwrap_or_else(|| panic!("{what}: no span\n{out}"));
        assert_eq!(request.name, "request", "{what}: {:?}\n{out}", names(i));
    }

    // A miss: `cache.miss` with its fields, the query and fill inside it.
    for i in [0, 2, 5] {
        let spans = &steps[i].1;
        let misses: Vec<&Exported> = spans.iter().filter(|s| s.name == "cache.miss").collect();
        assert_eq!(misses.len(), 1, "{}: {:?}\n{out}", steps[i].0, names(i));
        let miss = misses[0];
        for field in ["source", "kind", "key", "outcome"] {
            assert!(
                miss.attribute(field).is_some(),
                "{}: cache.miss without {field}: {miss:?}\n{out}",
                steps[i].0
            );
        }
        assert!(
            miss.attribute("outcome").unwrap().contains("Loaded"),
            "{miss:?}\n{out}"
        );
        let request = spans.last().unwrap();
        assert_eq!(miss.parent, request.span_id, "{miss:?}\n{out}");
        for inner in ["cache.query", "cache.fill"] {
            assert!(
                spans
                    .iter()
                    .any(|s| s.name == inner && s.parent == miss.span_id),
                "{}: no {inner} in cache.miss: {:?}\n{out}",
                steps[i].0,
                names(i)
            );
        }
    }
    let kind = |i: usize| {
        let miss = steps[i].1.iter().find(|s| s.name == "cache.miss").unwrap();
        miss.attribute("kind").unwrap().to_owned()
    };
    assert_ne!(kind(0), kind(2), "a detail and a list: {out}");
    let first = steps[0].1.iter().find(|s| s.name == "cache.miss").unwrap();
    assert!(
        first.attribute("key").is_some_and(|k| k.contains(":id:1")),
        "{first:?}\n{out}"
    );

    // A hit: no span of the cache's, the request's alone.
    for i in [1, 4] {
        assert_eq!(names(i), ["request"], "{}\n{out}", steps[i].0);
    }

    // The hook write: `cache.invalidate`, of the model, why `update`.
    let invalidate = steps[3]
        .1
        .iter()
        .find(|s| s.name == "cache.invalidate")
        .unwrap_or_else(|| panic!("no cache.invalidate: {:?}\n{out}", names(3)));
    assert!(
        invalidate
            .attribute("why")
            .is_some_and(|w| w.contains("update"))
            && invalidate.attribute("model").is_some()
            && invalidate.attribute("tags").is_some(),
        "{invalidate:?}\n{out}"
    );
    assert!(!names(3).contains(&"cache.miss"), "{out}");
}
