//! `cache-admin`: an operator's command against a running deployment's
//! shared cache (Redis, Redis Cluster, the tiered store's Redis), with the
//! URL syntax of `Cache::from_url`.
//!
//! ```text
//! cache-admin [--cache URL] invalidate <table>...   every entry of these tables
//! cache-admin [--cache URL] invalidate-all          every entry the managers keep
//! cache-admin [--cache URL] ping                    whether the cache answers
//! ```
//!
//! The URL comes from `--cache`, else `CACHE_URL`; its `prefix` must be
//! the deployment's. After a manual fix in the database (psql, a
//! migration, another service), `invalidate <table>` makes every process
//! that shares the cache read the table's rows from the database again.
//! An in-process cache (`memory://`, `locmem://`) lives inside its process
//! and cannot be reached from outside: refused.

use cache_diesel::Cache;
use std::process::ExitCode;

const USAGE: &str =
    "usage: cache-admin [--cache URL] <invalidate <table>... | invalidate-all | ping>
  The URL is --cache's, else CACHE_URL's, with the deployment's prefix.";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cache-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Why an invalidation was not made (this process exits without retrying
/// what it owes).
fn not_done(e: cache_diesel::Error) -> String {
    format!("not invalidated, run it again once the cache answers: {e}")
}

/// Runs the command in `args`; what it did, or why it failed.
fn run(mut args: Vec<String>) -> Result<String, String> {
    let url = match args.iter().position(|a| a == "--cache") {
        Some(at) if at + 1 < args.len() => {
            let url = args.remove(at + 1);
            args.remove(at);
            url
        }
        Some(_) => return Err(format!("--cache needs a URL\n{USAGE}")),
        None => std::env::var("CACHE_URL")
            .map_err(|_| format!("no --cache and no CACHE_URL\n{USAGE}"))?,
    };
    let cache = Cache::from_url(&url).map_err(|e| format!("{url}: {e}"))?;
    if !cache.backend().capabilities().shared {
        return Err(format!(
            "{url} is an in-process cache: it lives inside its process and cannot be reached from outside"
        ));
    }
    let (command, rest) = args.split_first().ok_or(USAGE)?;
    match (command.as_str(), rest) {
        ("invalidate", tables) if !tables.is_empty() => {
            let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
            cache_diesel::invalidate_tables_in(&cache, &tables).map_err(not_done)?;
            Ok(format!("invalidated every entry of {}", tables.join(", ")))
        }
        ("invalidate-all", []) => {
            cache_diesel::invalidate_everything(&cache).map_err(not_done)?;
            Ok("invalidated every entry".into())
        }
        ("ping", []) => match cache.has_key("cache-admin:ping") {
            Ok(_) => Ok(format!("{} answers", cache.backend().kind())),
            Err(e) => Err(e.to_string()),
        },
        _ => Err(USAGE.into()),
    }
}
