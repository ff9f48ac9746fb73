//! `cache-admin`: an operator's commands against a running deployment's
//! shared cache, as a library ([`Admin`]) and as the binary this crate
//! ships (`cargo install cache-diesel --bin cache-admin`).

mod census;
mod follow;

use crate::model::{CachedModel, ModelQueries};
use crate::{Cache, Manager};
use diesel::Connection;
use std::process::ExitCode;

const USAGE: &str = "usage: cache-admin [--cache URL] <command>
  invalidate <table>...                      every entry of these tables
  invalidate-all                             every entry the managers keep
  invalidate --tenant <tenant>               every entry of a tenant's view (Cache::tenant)
  stats                                      entries per model (model@tenant) and table, tags, leases
  inspect <model> <value> [--column <col>]   the detail entries of a row (column: id)
  verify <model> [--database URL] [--sample N]
                                             N (100) of a model's detail entries against the database
                                             (models an Admin was told of; database: DATABASE_URL)
  ping                                       whether the cache answers
  follow <database URL> [--slot S] [--publication P] [--table T]... [--replica-identity-full]
                                             run a change-stream follower (PostgreSQL, MySQL) until killed
  follower                                   the follower's position and lag
The URL is --cache's, else CACHE_URL's, with the deployment's prefix.";

/// A model's `verify`: connects to the database at a URL, verifies a
/// sample of the model's entries in the cache.
type Verify = Box<dyn Fn(&Cache, &str, usize) -> Result<String, String>>;

/// `cache-admin`, the operator's tool, with the models a deployment's
/// own build of it knows.
///
/// ```text
/// cache-admin [--cache URL] invalidate <table>...   every entry of these tables
/// cache-admin [--cache URL] invalidate-all          every entry the managers keep
/// cache-admin [--cache URL] invalidate --tenant T   every entry of a tenant's view
/// cache-admin [--cache URL] stats                   entries per model (model@tenant) and table, tags, leases
/// cache-admin [--cache URL] inspect <model> <value> [--column <column>]
///                                                   the detail entries of a row (column: id)
/// cache-admin [--cache URL] verify <model> [--database URL] [--sample N]
///                                                   a sample of a model's entries against the database
/// cache-admin [--cache URL] ping                    whether the cache answers
/// cache-admin [--cache URL] follow <database URL> [--slot S] [--publication P]
///             [--table T]... [--replica-identity-full]
///                                                   run a change-stream follower (PostgreSQL, MySQL)
/// cache-admin [--cache URL] follower                where the follower stands
/// ```
///
/// The cache's URL comes from `--cache`, else `CACHE_URL`; its `prefix`
/// must be the deployment's. After a manual fix in the database (psql, a
/// migration, another service), `invalidate <table>` makes every process
/// that shares the cache read the table's rows from the database again.
/// `stats`, `inspect` and `verify` walk the keys under the prefix (`SCAN`,
/// on every master of a cluster): an operator's commands, not health
/// checks. Hits, misses and fills are counted per process: scrape a
/// service's `/metrics`. An in-process cache (`memory://`, `locmem://`)
/// lives inside its process and cannot be reached from outside: refused.
///
/// `follow` runs until it is killed (a sidecar): one of any number of
/// followers of the deployment (processes of the application with a
/// [`Follower`](crate::Follower), other sidecars) is active at a time,
/// chosen by a lease in the cache; see the guide's chapter on the
/// follower.
///
/// `verify` needs the model's type to read its entries and its rows: the
/// `cache-admin` this crate ships knows none. A deployment builds its own,
/// a binary of its crate that names its models
/// ([`Manager::verify_entries`] says what is compared and when an entry
/// counts stale):
///
/// ```no_run
/// # use diesel::prelude::*;
/// # use cache_diesel::Cached;
/// # use serde::{Deserialize, Serialize};
/// # diesel::table! { products (id) { id -> Integer, title -> Text } }
/// # #[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
/// # #[diesel(table_name = products)]
/// # pub struct Product { pub id: i32, pub title: String }
/// // src/bin/cache-admin.rs
/// fn main() -> std::process::ExitCode {
///     cache_diesel::Admin::new()
///         .verifies::<Product, SqliteConnection>()
///         .main()
/// }
/// ```
///
/// Then `cache-admin --cache redis://.. verify product --database
/// postgres://.. --sample 500` prints what it found (`listed=..
/// sampled=.. verified=.. skipped=.. raced=.. stale=..`, then each stale
/// entry's key and age), deletes the stale entries, and exits with 1 when
/// there were any.
#[derive(Default)]
pub struct Admin {
    verifiers: Vec<(&'static crate::ModelInfo, Verify)>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let models: Vec<&str> = self.verifiers.iter().map(|(info, _)| info.name).collect();
        f.debug_struct("Admin").field("verifies", &models).finish()
    }
}

impl Admin {
    /// The commands of the shipped `cache-admin`: `verify` knows no model.
    pub fn new() -> Self {
        Self::default()
    }

    /// `verify` knows model `M`, whose rows it reads on a connection of
    /// type `C` to the database `--database` (or `DATABASE_URL`) names.
    pub fn verifies<M, C>(mut self) -> Self
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let verify: Verify = Box::new(|cache: &Cache, database: &str, sample: usize| {
            let mut conn = C::establish(database)
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            let found = Manager::<M>::new(cache.clone())
                .verify_entries(&mut conn, sample)
                .map_err(|e| e.to_string())?;
            let line = found.to_string();
            if found.stale.is_empty() {
                Ok(line)
            } else {
                Err(line)
            }
        });
        self.verifiers.push((&<M as CachedModel>::INFO, verify));
        self
    }

    /// Runs the command in the process's arguments, prints what it did
    /// (or why it failed, to stderr) and exits with its status.
    pub fn main(&self) -> ExitCode {
        match self.run(std::env::args().skip(1)) {
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

    /// Runs the command in `args` (without the program's name): what it
    /// did, or why it failed (stale entries found by `verify` are a
    /// failure).
    pub fn run<I: IntoIterator<Item = String>>(&self, args: I) -> Result<String, String> {
        let mut args: Vec<String> = args.into_iter().collect();
        let url = match take_option(&mut args, "--cache")? {
            Some(url) => url,
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
                    .map_err(|e| not_done(crate::Error::Invalidation(e)))?;
                Ok(format!("invalidated every entry of tenant {tenant}"))
            }
            ("invalidate", tables) if !tables.is_empty() => {
                let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
                crate::invalidate_tables_in(&cache, &tables).map_err(not_done)?;
                Ok(format!("invalidated every entry of {}", tables.join(", ")))
            }
            ("invalidate-all", []) => {
                crate::invalidate_everything(&cache).map_err(not_done)?;
                Ok("invalidated every entry".into())
            }
            ("stats", []) => census::stats(&cache),
            ("inspect", [model, value]) => census::inspect(&cache, model, "id", value),
            ("inspect", [model, value, flag, column]) if flag == "--column" => {
                census::inspect(&cache, model, column, value)
            }
            ("verify", [model, options @ ..]) => self.verify(&cache, model, options.to_vec()),
            ("follow", [database, options @ ..]) => follow::follow(cache, database, options),
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

    /// `verify <model> [--database URL] [--sample N]`.
    fn verify(
        &self,
        cache: &Cache,
        model: &str,
        mut options: Vec<String>,
    ) -> Result<String, String> {
        let database = match take_option(&mut options, "--database")? {
            Some(url) => url,
            None => std::env::var("DATABASE_URL")
                .map_err(|_| format!("verify: no --database and no DATABASE_URL\n{USAGE}"))?,
        };
        let sample = match take_option(&mut options, "--sample")? {
            Some(n) => n
                .parse()
                .map_err(|_| format!("--sample takes a number of entries, not {n:?}"))?,
            None => 100,
        };
        if let Some(other) = options.first() {
            return Err(format!("unknown option {other}\n{USAGE}"));
        }
        let wanted = census::loose(model);
        let found = self.verifiers.iter().find(|(info, _)| {
            census::loose(info.name) == wanted || census::loose(info.key) == wanted
        });
        let Some((_, verify)) = found else {
            let known: Vec<&str> = self.verifiers.iter().map(|(info, _)| info.name).collect();
            return Err(if known.is_empty() {
                format!(
                    "verify reads {model}'s entries and rows with its type: build a cache-admin \
                     of your crate that names it (cache_diesel::Admin::new().verifies::<{model}, \
                     YourConnection>().main())"
                )
            } else {
                format!(
                    "this cache-admin verifies {}, not {model}",
                    known.join(", ")
                )
            });
        };
        verify(cache, &database, sample)
    }
}

/// The value of `flag` in `args`, both removed; an error when the flag
/// has no value.
fn take_option(args: &mut Vec<String>, flag: &str) -> Result<Option<String>, String> {
    match args.iter().position(|a| a == flag) {
        Some(at) if at + 1 < args.len() => {
            let value = args.remove(at + 1);
            args.remove(at);
            Ok(Some(value))
        }
        Some(_) => Err(format!("{flag} needs a value\n{USAGE}")),
        None => Ok(None),
    }
}

/// Why an invalidation was not made (this process exits without retrying
/// what it owes).
fn not_done(e: crate::Error) -> String {
    format!("not invalidated, run it again once the cache answers: {e}")
}
