//! The `cache-admin` command from outside, as an operator runs it: usage
//! errors, an in-process cache refused (it cannot be reached from another
//! process), `ping` against Redis. (Its `invalidate` is tested against a
//! running service in cache-examples' `rest_service` test, and against
//! another process's reads in the suite's `write_paths`.) Being an
//! integration test of this package, it also makes `cargo test` build the
//! binary for those tests.

use std::process::{Command, Output};

fn admin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cache-admin"))
        .args(args)
        .env_remove("CACHE_URL")
        .output()
        .expect("cache-admin runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn without_a_command_it_prints_its_usage_and_fails() {
    let out = admin(&["--cache", "redis://127.0.0.1:6379/"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("usage: cache-admin"),
        "{}",
        text(&out.stderr)
    );
    let out = admin(&["ping"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no --cache and no CACHE_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_in_process_cache_is_refused() {
    let out = admin(&["--cache", "memory://", "invalidate", "products"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("in-process cache"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ping_says_whether_redis_answers() {
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let out = admin(&["--cache", &redis, "ping"]);
    if !out.status.success() && std::env::var("CI").is_err() {
        println!(
            "skipped: Redis at {redis} does not answer ({})",
            text(&out.stderr)
        );
        return;
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("answers"),
        "{}",
        text(&out.stdout)
    );
    // A port nothing listens on: an error, not a hang.
    let out = admin(&[
        "--cache",
        "redis://127.0.0.1:1/?connect_timeout=200ms",
        "ping",
    ]);
    assert!(!out.status.success());
}
