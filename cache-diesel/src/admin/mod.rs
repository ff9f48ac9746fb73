//! `cache-admin`: an operator's commands against a running deployment's
//! shared cache, as a library ([`Admin`]) and as the binary this crate
//! ships (`cargo install --path cache-diesel --bin cache-admin` from a
//! checkout).

mod census;
mod follow;

use crate::model::{CachedModel, ModelQueries};
use crate::{Cache, EntriesVerified, Manager};
use cache_core::__engine::WithEngine;
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
type Verify = Box<dyn Fn(&Cache, &str, usize) -> Result<EntriesVerified, String>>;

/// Why a command failed: anything (said on stderr), or the stale entries
/// `verify` found (its report, on stdout, as a clean run's is).
enum Failed {
    Because(String),
    Found(String),
}

impl From<String> for Failed {
    fn from(why: String) -> Self {
        Failed::Because(why)
    }
}

impl From<&str> for Failed {
    fn from(why: &str) -> Self {
        Failed::Because(why.to_owned())
    }
}

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
/// `Follower` (features `postgres`, `mysql-follower`), other sidecars) is active at a time,
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
/// Then `cache-admin --cache redis://..?prefix=app verify product
/// --database app.db --sample 500` prints what it found on stdout
/// (`listed=.. sampled=.. verified=.. skipped=.. raced=.. stale=..`, then
/// each stale entry's key and age), deletes the stale entries, and exits
/// with 1 when there were any. Without `--sample` it reads 100 entries;
/// without `--database`, the database `DATABASE_URL` names. A prefix or a
/// model with no entries is an error (naming the models that have some),
/// not a clean run.
#[derive(Default)]
pub struct Admin {
    verifiers: Vec<(&'static crate::model::ModelInfo, Verify)>,
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
            Manager::<M>::new(cache.clone())
                .verify_entries(&mut conn, sample)
                .map_err(|e| e.to_string())
        });
        self.verifiers.push((&<M as CachedModel>::INFO, verify));
        self
    }

    /// Runs the command in the process's arguments and exits with its
    /// status: what it did on stdout (a `verify` that found stale entries
    /// too, exiting with 1), why it failed on stderr.
    pub fn main(&self) -> ExitCode {
        match self.command(std::env::args().skip(1).collect()) {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(Failed::Found(report)) => {
                println!("{report}");
                ExitCode::FAILURE
            }
            Err(Failed::Because(e)) => {
                eprintln!("cache-admin: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs the command in `args` (without the program's name): what it
    /// did, or why it failed (for a `verify` that found stale entries, its
    /// report).
    pub fn run<I: IntoIterator<Item = String>>(&self, args: I) -> Result<String, String> {
        self.command(args.into_iter().collect())
            .map_err(|e| match e {
                Failed::Because(text) | Failed::Found(text) => text,
            })
    }

    /// [`Admin::run`], its failures told apart.
    fn command(&self, mut args: Vec<String>) -> Result<String, Failed> {
        let url = match take_option(&mut args, "--cache")? {
            Some(url) => url,
            None => std::env::var("CACHE_URL")
                .map_err(|_| format!("no --cache and no CACHE_URL\n{USAGE}"))?,
        };
        // (The error names the URL, its passwords hidden.)
        let cache = Cache::from_url(&url).map_err(|e| e.to_string())?;
        if !cache.backend().capabilities().shared {
            return Err(format!(
                "the URL names an in-process cache ({}), which no other process reaches: a \
                 deployment's shared cache is a Redis",
                cache.backend().kind()
            )
            .into());
        }
        let (command, rest) = args.split_first().ok_or(USAGE)?;
        let done = match (command.as_str(), rest) {
            ("invalidate", [flag, tenant]) if flag == "--tenant" => {
                (cache.invalidate_tenant(tenant))
                    .map_err(|e| not_done(crate::Error::Invalidation(e)))?;
                format!("invalidated every entry of tenant {tenant}")
            }
            ("invalidate", tables) if !tables.is_empty() => {
                let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
                crate::invalidate_tables_in(&cache, &tables).map_err(not_done)?;
                format!("invalidated every entry of {}", tables.join(", "))
            }
            ("invalidate-all", []) => {
                crate::invalidate_everything(&cache).map_err(not_done)?;
                "invalidated every entry".into()
            }
            ("stats", []) => census::stats(&cache)?,
            ("inspect", [model, value]) => census::inspect(&cache, model, "id", value)?,
            ("inspect", [model, value, flag, column]) if flag == "--column" => {
                census::inspect(&cache, model, column, value)?
            }
            ("verify", [model, options @ ..]) => {
                return self.verify(&cache, model, options.to_vec());
            }
            ("follow", [database, options @ ..]) => follow::follow(cache, database, options)?,
            ("follower", []) => match cache
                .engine()
                .follower_position()
                .map_err(|e| e.to_string())?
            {
                Some(at) => {
                    let lag = std::time::SystemTime::now()
                        .duration_since(at)
                        .unwrap_or_default();
                    format!(
                        "every change committed before {} ms ago is invalidated",
                        lag.as_millis()
                    )
                }
                None => "no follower has published a position".into(),
            },
            ("ping", []) => match cache.has_key("cache-admin:ping") {
                Ok(_) => format!("{} answers", cache.backend().kind()),
                Err(e) => return Err(e.to_string().into()),
            },
            _ => return Err(USAGE.into()),
        };
        Ok(done)
    }

    /// `verify <model> [--database URL] [--sample N]`.
    fn verify(
        &self,
        cache: &Cache,
        model: &str,
        mut options: Vec<String>,
    ) -> Result<String, Failed> {
        let database = match take_option(&mut options, "--database")? {
            Some(url) => url,
            None => std::env::var("DATABASE_URL")
                .map_err(|_| format!("verify: no --database and no DATABASE_URL\n{USAGE}"))?,
        };
        let sample = match take_option(&mut options, "--sample")? {
            Some(n) => n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("--sample takes a number of entries, 1 or more, not {n:?}")
            })?,
            None => DEFAULT_SAMPLE,
        };
        match options.first() {
            Some(flag) if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}").into());
            }
            Some(stray) => return Err(format!("unexpected argument {stray:?}\n{USAGE}").into()),
            None => {}
        }
        let wanted = census::loose(model);
        let found = self.verifiers.iter().find(|(info, _)| {
            census::loose(info.name) == wanted || census::loose(info.key) == wanted
        });
        let Some((info, verify)) = found else {
            let known: Vec<&str> = self.verifiers.iter().map(|(info, _)| info.name).collect();
            return Err(if known.is_empty() {
                format!(
                    "verify reads a model's entries and rows with its type, and this cache-admin \
                     knows no model: build one of your crate that names {model}'s type \
                     (cache_diesel::Admin::new().verifies::<YourModel, YourConnection>().main())"
                )
            } else {
                format!(
                    "this cache-admin verifies {}, not {model}",
                    known.join(", ")
                )
            }
            .into());
        };
        let report = verify(cache, &database, sample)?;
        if report.listed == 0 {
            // (A prefix or a model name that is not the deployment's reads
            // nothing: not a clean bill.)
            let models = census::models_with_details(cache)?;
            return Err(census::none_of(info.key, &models).into());
        }
        match report.stale.is_empty() {
            true => Ok(report.to_string()),
            false => Err(Failed::Found(report.to_string())),
        }
    }
}

/// How many entries `verify` samples without `--sample`.
const DEFAULT_SAMPLE: usize = 100;

/// The value of `flag` in `args`, both removed; an error when the flag
/// has no value or is given twice.
fn take_option(args: &mut Vec<String>, flag: &str) -> Result<Option<String>, String> {
    let value = match args.iter().position(|a| a == flag) {
        Some(at) if at + 1 < args.len() => {
            let value = args.remove(at + 1);
            args.remove(at);
            value
        }
        Some(_) => return Err(format!("{flag} needs a value\n{USAGE}")),
        None => return Ok(None),
    };
    match args.iter().any(|a| a == flag) {
        true => Err(format!("{flag} is given twice\n{USAGE}")),
        false => Ok(Some(value)),
    }
}

/// Why an invalidation was not made (this process exits without retrying
/// what it owes).
fn not_done(e: crate::Error) -> String {
    format!("not invalidated, run it again once the cache answers: {e}")
}
