//! `cache-admin`: an operator's command against a running deployment's
//! shared cache (Redis, Redis Cluster, the tiered store's Redis), with the
//! URL syntax of `Cache::from_url`.
//!
//! ```text
//! cache-admin [--cache URL] invalidate <table>...   every entry of these tables
//! cache-admin [--cache URL] invalidate-all          every entry the managers keep
//! cache-admin [--cache URL] invalidate --tenant T   every entry of a tenant's view
//! cache-admin [--cache URL] stats                   entries per model (model@tenant) and table, tags, leases
//! cache-admin [--cache URL] inspect <model> <value> [--column <column>]
//!                                                   the detail entries of a row (column: id)
//! cache-admin [--cache URL] ping                    whether the cache answers
//! cache-admin [--cache URL] follow <database URL> [--slot S] [--publication P]
//!             [--table T]... [--replica-identity-full]
//!                                                   run a change-stream follower (PostgreSQL, MySQL)
//! cache-admin [--cache URL] follower                where the follower stands
//! ```
//!
//! `follow` runs until it is killed (a sidecar): one of any number of
//! followers of the deployment (processes of the application with a
//! `Follower`, other sidecars) is active at a time, chosen by a lease in
//! the cache; see the guide's chapter on the follower.
//!
//! The URL comes from `--cache`, else `CACHE_URL`; its `prefix` must be
//! the deployment's. After a manual fix in the database (psql, a
//! migration, another service), `invalidate <table>` makes every process
//! that shares the cache read the table's rows from the database again.
//! `stats` and `inspect` walk the keys under the prefix (`SCAN`, on every
//! master of a cluster): an operator's command, not a health check. Hits,
//! misses and fills are counted per process: scrape a service's `/metrics`.
//! An in-process cache (`memory://`, `locmem://`) lives inside its process
//! and cannot be reached from outside: refused.

use cache_diesel::Cache;
use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;

const USAGE: &str = "usage: cache-admin [--cache URL] <command>
  invalidate <table>...                      every entry of these tables
  invalidate-all                             every entry the managers keep
  invalidate --tenant <tenant>               every entry of a tenant's view (Cache::tenant)
  stats                                      entries per model (model@tenant) and table, tags, leases
  inspect <model> <value> [--column <col>]   the detail entries of a row (column: id)
  ping                                       whether the cache answers
  follow <database URL> [--slot S] [--publication P] [--table T]... [--replica-identity-full]
                                             run a change-stream follower (PostgreSQL, MySQL) until killed
  follower                                   the follower's position and lag
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
    // (The error names the URL, its passwords hidden.)
    let cache = Cache::from_url(&url).map_err(|e| e.to_string())?;
    if !cache.backend().capabilities().shared {
        return Err(
            "the URL names an in-process cache: it lives inside its process and cannot be \
             reached from outside"
                .into(),
        );
    }
    let (command, rest) = args.split_first().ok_or(USAGE)?;
    match (command.as_str(), rest) {
        ("invalidate", [flag, tenant]) if flag == "--tenant" => {
            (cache.invalidate_tenant(tenant))
                .map_err(|e| not_done(cache_diesel::Error::Invalidation(e)))?;
            Ok(format!("invalidated every entry of tenant {tenant}"))
        }
        ("invalidate", tables) if !tables.is_empty() => {
            let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
            cache_diesel::invalidate_tables_in(&cache, &tables).map_err(not_done)?;
            Ok(format!("invalidated every entry of {}", tables.join(", ")))
        }
        ("invalidate-all", []) => {
            cache_diesel::invalidate_everything(&cache).map_err(not_done)?;
            Ok("invalidated every entry".into())
        }
        ("stats", []) => stats(&cache),
        ("inspect", [model, value]) => inspect(&cache, model, "id", value),
        ("inspect", [model, value, flag, column]) if flag == "--column" => {
            inspect(&cache, model, column, value)
        }
        ("follow", [database, options @ ..]) => follow(cache, database, options),
        ("follower", []) => match cache.follower_position().map_err(|e| e.to_string())? {
            Some(at) => {
                let lag = std::time::SystemTime::now()
                    .duration_since(at)
                    .unwrap_or_default();
                Ok(format!(
                    "every change committed before {} ms ago is invalidated",
                    lag.as_millis()
                ))
            }
            None => Ok("no follower has published a position".into()),
        },
        ("ping", []) => match cache.has_key("cache-admin:ping") {
            Ok(_) => Ok(format!("{} answers", cache.backend().kind())),
            Err(e) => Err(e.to_string()),
        },
        _ => Err(USAGE.into()),
    }
}

/// Runs a follower of the database at `database` (PostgreSQL, or MySQL
/// and MariaDB for a `mysql://` URL) until killed.
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
fn follow(cache: Cache, database: &str, options: &[String]) -> Result<String, String> {
    let mut o = cache_diesel::FollowerOptions::default();
    let mut it = options.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--slot" => o.slot = value()?,
            "--publication" => o.publication = value()?,
            "--table" => o.tables.push(value()?),
            "--replica-identity-full" => o.replica_identity_full = true,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let follower = if database.starts_with("mysql:") {
        #[cfg(feature = "mysql-follower")]
        {
            cache_diesel::Follower::mysql(database, cache, o)
        }
        #[cfg(not(feature = "mysql-follower"))]
        return Err(
            "following MySQL needs cache-admin built with the mysql-follower feature".into(),
        );
    } else {
        #[cfg(feature = "postgres-system-libpq")]
        {
            cache_diesel::Follower::postgres(database, cache, o)
        }
        #[cfg(not(feature = "postgres-system-libpq"))]
        return Err(
            "following PostgreSQL needs cache-admin built with the postgres feature".into(),
        );
    };
    follower.run();
    Ok("stopped".into())
}

/// Without the `postgres` or `mysql-follower` feature, there is nothing
/// to follow.
#[cfg(not(any(feature = "postgres-system-libpq", feature = "mysql-follower")))]
fn follow(_: Cache, _: &str, _: &[String]) -> Result<String, String> {
    Err(
        "follow needs cache-admin built with the postgres or mysql-follower feature \
         (cargo install cache-diesel --features postgres,mysql-follower)"
            .into(),
    )
}

/// Each key under the cache's prefix, without it (its namespace first:
/// `d:..` a detail, `l:..` a list, `t:..` a tag, `x:..` a lease, `q:..` a
/// cached query, `k:..` the low-level API's).
fn walk(cache: &Cache, mut each: impl FnMut(&str)) -> Result<(), String> {
    let head = cache.keys().namespace_prefix().to_owned();
    let listed = cache
        .backend()
        .keys_under(&head, &mut |keys| {
            for key in keys {
                if let Some(rest) = key.strip_prefix(head.as_str()) {
                    each(rest);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    if !listed {
        return Err(format!(
            "a {} store cannot list its keys",
            cache.backend().kind()
        ));
    }
    Ok(())
}

/// Entries per model and table (details, lists, counts), then the tags,
/// leases, cached queries' entries and low-level keys.
fn stats(cache: &Cache) -> Result<String, String> {
    let mut models: BTreeMap<(String, String), [u64; 3]> = BTreeMap::new();
    let mut tags = HashSet::new();
    let mut other: BTreeMap<&str, u64> = BTreeMap::new();
    walk(cache, |key| {
        // `{ns}:{version}:{model}:{table}:{hash}:..` (every version
        // counted); a list's next segment is its suffix, then `count:..`
        // for a count. A tenant's entries are counted apart.
        let (tenant, key) = tenant_of(key);
        let parts: Vec<&str> = key.splitn(7, ':').collect();
        let column = match parts.as_slice() {
            ["d", _, model, table, ..] => Some((model, table, 0)),
            ["l", _, model, table, _, _, rest] if rest.starts_with("count:") => {
                Some((model, table, 2))
            }
            ["l", _, model, table, ..] => Some((model, table, 1)),
            _ => None,
        };
        match (column, parts.first().copied()) {
            (Some((model, table, at)), _) => {
                let model = match tenant {
                    Some(tenant) => format!("{model}@{tenant}"),
                    None => model.to_string(),
                };
                models.entry((model, table.to_string())).or_default()[at] += 1
            }
            (None, Some("t")) => {
                tags.insert(key.into_owned());
            }
            (None, Some(ns)) => {
                let name = match ns {
                    "x" => "fill leases",
                    "q" => "cached query entries",
                    "k" => "low-level keys",
                    _ => "other keys",
                };
                *other.entry(name).or_default() += 1;
            }
            (None, None) => {}
        }
    })?;
    let mut out = format!(
        "{:<24} {:<24} {:>9} {:>9} {:>9}\n",
        "model", "table", "details", "lists", "counts"
    );
    for ((model, table), [details, lists, counts]) in &models {
        out += &format!("{model:<24} {table:<24} {details:>9} {lists:>9} {counts:>9}\n");
    }
    out += &format!("tags {}", tags.len());
    for (name, n) in &other {
        out += &format!(", {name} {n}");
    }
    out += "\n(hits, misses and fills are counted per process: scrape a service's /metrics)";
    Ok(out)
}

/// `key` (under the cache's prefix) without a tenant's segment
/// (`{ns}:%t{tenant}:..`, see `Cache::tenant`), and the tenant, as its
/// segment spells it.
fn tenant_of(key: &str) -> (Option<&str>, std::borrow::Cow<'_, str>) {
    if let Some((ns, rest)) = key.split_once(':')
        && let Some(tenanted) = rest.strip_prefix("%t")
        && let Some((tenant, rest)) = tenanted.split_once(':')
    {
        return (Some(tenant), format!("{ns}:{rest}").into());
    }
    (None, key.into())
}

/// The detail entries of `model`'s row whose `column` is `value` (one per
/// version and schema hash a deploy wrote), each with its size and decoded
/// value.
fn inspect(cache: &Cache, model: &str, column: &str, value: &str) -> Result<String, String> {
    // The model's cache key is its type's name in snake case (`Product`:
    // `product`) unless `#[cache(key = ..)]`: either spelling names it.
    let loose = |name: &str| name.replace('_', "").to_lowercase();
    let wanted = loose(model);
    let mut keys = Vec::new();
    let mut models = std::collections::BTreeSet::new();
    walk(cache, |key| {
        let full = key;
        let (_, key) = tenant_of(key);
        let parts = key.splitn(7, ':').collect::<Vec<_>>();
        if let ["d", _version, m, _table, _hash, c, v] = parts.as_slice() {
            if loose(m) == wanted && *c == column && *v == value {
                keys.push(format!("{}{full}", cache.keys().namespace_prefix()));
            }
            models.insert(m.to_string());
        }
    })?;
    if !models.iter().any(|m| loose(m) == wanted) {
        let known: Vec<String> = models.into_iter().collect();
        return Err(format!(
            "no detail entries of a model `{model}`; models with some: {}",
            known.join(", ")
        ));
    }
    if keys.is_empty() {
        return Ok(format!(
            "no cached {model} with {column} = {value} (a unique text value is written as its key has it: '\"tea\"')"
        ));
    }
    let mut out = Vec::new();
    for key in keys {
        let line = match cache.backend().get(&key).map_err(|e| e.to_string())? {
            None => format!("{key}: gone since the walk"),
            Some(bytes) => {
                let shown = cache
                    .decode_fill::<serde_json::Value>(&key, &bytes, None)
                    .map_or_else(|| "(undecodable)".to_owned(), |v| v.to_string());
                format!("{key}: {} bytes: {shown}", bytes.len())
            }
        };
        out.push(line);
    }
    out.push(
        "(an entry is served only while its tags hold: a write since makes the next read miss)"
            .into(),
    );
    Ok(out.join("\n"))
}
