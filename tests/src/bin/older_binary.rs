//! A program built before a migration: its `table!` of `deploy_items`
//! knows `id` and `title` only, as a binary of the previous release does
//! while a newer one (the suite's `rolling_deploys` tests) already reads
//! the columns the migration added. It writes through its hooks, on a
//! tracked connection and the shared cache it is given, what it reads on
//! its standard input, one command a line, and answers each with `ok` (or
//! `error: ..`):
//!
//! ```text
//! update <id> <title>
//! insert <id> <title>
//! delete <id>
//! ```
//!
//! Usage: `older_binary <postgres|mysql|sqlite> <database URL> <schema or
//! -> <cache URL> <cache key prefix>`.

use cache_diesel::{Cache, CacheConfig, CacheTracking, Cached};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

diesel::table! {
    /// The table as the previous release's schema file has it.
    deploy_items (id) {
        id -> Integer,
        title -> Text,
    }
}

/// The previous release's model: every column it knows, mapped.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize, Cached)]
#[diesel(table_name = deploy_items)]
#[cache(key = "deploy_item_before")]
pub struct Item {
    pub id: i32,
    pub title: String,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, url, schema, cache_url, prefix] = &args[..] else {
        eprintln!(
            "usage: older_binary <postgres|mysql|sqlite> <database URL> <schema or -> <cache URL> <prefix>"
        );
        std::process::exit(2);
    };
    let mut config = CacheConfig::from_url(cache_url).expect("cache URL");
    config.key_prefix = prefix.clone();
    let cache = Cache::new(config).expect("cache");
    let items = ItemCache::new(cache.clone());
    match db.as_str() {
        "postgres" => {
            let mut conn = PgConnection::establish(url).expect("PostgreSQL");
            if schema != "-" {
                conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
                    .expect("search_path");
            }
            serve(conn, &cache, &items)
        }
        "mysql" => serve(
            MysqlConnection::establish(url).expect("MySQL"),
            &cache,
            &items,
        ),
        "sqlite" => serve(
            SqliteConnection::establish(url).expect("SQLite"),
            &cache,
            &items,
        ),
        other => panic!("unknown database {other}"),
    }
}

/// Runs the commands of the standard input on `conn`, tracked.
fn serve<C>(mut conn: C, cache: &Cache, items: &ItemCache)
where
    C: Connection + 'static,
    Item: cache_diesel::UpdateQuery<C, diesel::dsl::Eq<deploy_items::title, String>>
        + cache_diesel::InsertQuery<C, Item>
        + cache_diesel::ModelQueries<C>,
{
    let tracking = CacheTracking::for_connection::<C>().for_caches([cache.clone()]);
    conn.set_instrumentation(tracking);
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        let outcome = match words[..] {
            ["update", id, title] => items
                .update(
                    &mut conn,
                    id.parse().unwrap(),
                    deploy_items::title.eq(title.to_owned()),
                )
                .map(drop),
            ["insert", id, title] => {
                let item = Item {
                    id: id.parse().unwrap(),
                    title: title.to_owned(),
                };
                items.insert_execute(&mut conn, item).map(drop)
            }
            ["delete", id] => items.delete(&mut conn, id.parse().unwrap()).map(drop),
            _ => {
                eprintln!("unknown command: {line}");
                continue;
            }
        };
        let mut out = stdout.lock();
        match outcome {
            Ok(()) => writeln!(out, "ok"),
            Err(e) => writeln!(out, "error: {e}"),
        }
        .and_then(|()| out.flush())
        .expect("stdout");
    }
}
