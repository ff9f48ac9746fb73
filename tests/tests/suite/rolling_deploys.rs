//! Rolling deploys: a program built before a migration (the `older_binary`
//! of this package, whose `table!` of `deploy_items` knows `id` and
//! `title` only) writes through its hooks, tracked, while this program
//! reads lists filtered on, counts of and lookups by the columns the
//! migration added, through the same Redis. No model of one program sees
//! the other's, so only what both learn from the database's catalogue
//! keeps the reads fresh (`cache_diesel`'s `catalogue`, "Columns").
//!
//! - The older binary started after the migration: its catalogue lists
//!   columns its program does not map, so its writes invalidate every list
//!   with conditions and the lookups by those columns (each check read
//!   stale before).
//! - The older binary ran across the migration (PostgreSQL and MariaDB,
//!   whose `ALTER TABLE` adds a unique column): until it reads the
//!   catalogue again it writes as before, and this program's entries keyed
//!   by the new columns depend on the table's `list` tag until they
//!   settle.

use cache_diesel::{Cache, CacheConfig, Cached};
use cache_tests::{db, services, unique};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

diesel::table! {
    /// The table as this release's schema file has it.
    deploy_items (id) {
        id -> Integer,
        title -> Text,
        status -> Text,
        code -> Text,
    }
}

/// This release's model: lists by `status`, lookups by `code`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = deploy_items)]
#[cache(key = "deploy_item", filter(status), unique(code))]
pub struct DeployItem {
    pub id: i32,
    pub title: String,
    pub status: String,
    pub code: String,
}

/// The older binary, running.
struct Older {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Older {
    fn start(db: &str, url: &str, schema: &str, prefix: &str) -> Older {
        let redis = services::redis_url().expect("Redis");
        let mut child = Command::new(env!("CARGO_BIN_EXE_older_binary"))
            .args([db, url, schema, &redis, prefix])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("older_binary");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Older {
            child,
            stdin,
            stdout,
        }
    }

    /// Runs `command` (see `older_binary`) and waits for its answer.
    fn run(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("older_binary's stdin");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("older_binary's answer");
        assert_eq!(answer.trim(), "ok", "older_binary: {command}");
    }
}

impl Drop for Older {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn published() -> DeployItemFilter {
    DeployItemFilter::default().status("published".to_owned())
}

/// What this program reads through the cache, and what the database
/// holds (through a cache that keeps nothing): the published list's
/// titles, its count, and the row with code `c2`.
fn read<C>(items: &DeployItemCache, conn: &mut C) -> (Vec<String>, i64, Option<String>)
where
    C: Connection + 'static,
    DeployItem: cache_diesel::ModelQueries<C>,
{
    let list = items.all(conn, None, published()).expect("list");
    let count = items.count(conn, None, published()).expect("count");
    let row = items.find_by_code(conn, "c2".to_owned()).expect("lookup");
    let titles = list.iter().map(|r| r.title.clone()).collect();
    (titles, count, row.map(|r| r.title))
}

/// Reads through the cache and checks it against the database.
fn fresh<C>(items: &DeployItemCache, truth: &DeployItemCache, conn: &mut C, after: &str)
where
    C: Connection + 'static,
    DeployItem: cache_diesel::ModelQueries<C>,
{
    assert_eq!(read(items, conn), read(truth, conn), "stale after {after}");
}

/// The reader's cache, under `prefix`.
fn cache_of(prefix: &str) -> Cache {
    let mut config = CacheConfig::from_url(&services::redis_url().unwrap()).unwrap();
    config.key_prefix = prefix.to_owned();
    Cache::new(config).unwrap()
}

/// Writes through the older binary while this program's entries are warm
/// and settled: an update of a title, an insert, a delete.
fn writes_of_an_older_binary<C>(conn: &mut C, items: &DeployItemCache, older: &mut Older)
where
    C: Connection + 'static,
    DeployItem: cache_diesel::ModelQueries<C>,
{
    let truth = DeployItemCache::new(Cache::from_url("dummy://").unwrap());
    fresh(items, &truth, conn, "nothing");
    // Past the settling of this process's first sight of the columns:
    // entries keyed by them then depend on their values' tags alone.
    std::thread::sleep(cache_diesel_settling());
    fresh(items, &truth, conn, "nothing, settled");
    for (command, what) in [
        ("update 2 renamed", "an update of a title"),
        ("insert 9 added", "an insert (status and code by default)"),
        ("delete 1", "a delete"),
    ] {
        read(items, conn);
        older.run(command);
        fresh(items, &truth, conn, what);
    }
}

/// How long a column this process's catalogue first listed takes to
/// settle (`catalogue::SETTLING`), and a margin.
fn cache_diesel_settling() -> Duration {
    Duration::from_secs(16)
}

const ROWS: &str = "INSERT INTO deploy_items (id, title, status, code) VALUES
    (1, 'one', 'published', 'c1'), (2, 'two', 'published', 'c2'), (3, 'three', 'draft', 'c3')";

/// The table after the migration, on PostgreSQL and SQLite.
const AFTER: &str = "CREATE TABLE deploy_items (id integer PRIMARY KEY, title text NOT NULL,
    status text NOT NULL DEFAULT 'published', code text NOT NULL UNIQUE DEFAULT 'new')";

/// [`writes_of_an_older_binary`] with the older binary on the database
/// `kind` at `url` (and `schema`), for the test `test`.
fn older_binary_after<C>(conn: &mut C, kind: &str, url: &str, schema: &str, test: &str)
where
    C: Connection + 'static,
    DeployItem: cache_diesel::ModelQueries<C>,
{
    let prefix = unique::prefix(test);
    let items = DeployItemCache::new(cache_of(&prefix));
    let mut older = Older::start(kind, url, schema, &prefix);
    writes_of_an_older_binary(conn, &items, &mut older);
}

#[test]
fn an_older_binary_started_after_the_migration_leaves_nothing_stale_on_postgres() {
    let Some(mut db) = db::postgres("deploy_after_pg") else {
        return;
    };
    db.conn.batch_execute(&format!("{AFTER}; {ROWS}")).unwrap();
    let url = services::database_url().unwrap();
    let schema = db.schema().unwrap().to_owned();
    older_binary_after(&mut db.conn, "postgres", &url, &schema, "deploy_after_pg");
}

#[test]
fn an_older_binary_started_after_the_migration_leaves_nothing_stale_on_mysql() {
    let ddl = "CREATE TABLE deploy_items (id integer PRIMARY KEY, title varchar(64) NOT NULL,
        status varchar(32) NOT NULL DEFAULT 'published', code varchar(32) NOT NULL UNIQUE DEFAULT 'new')";
    let Some(mut db) = db::mysql_with("deploy_after_my", &[ddl]) else {
        return;
    };
    db.conn.batch_execute(ROWS).unwrap();
    let server = services::mysql_url().unwrap();
    let url = services::mysql_database_url(&server, db.database().unwrap());
    older_binary_after(&mut db.conn, "mysql", &url, "-", "deploy_after_my");
}

#[test]
fn an_older_binary_started_after_the_migration_leaves_nothing_stale_on_sqlite() {
    let Some(_) = services::redis_url() else {
        return;
    };
    let mut db = db::sqlite_file("deploy_after_lite");
    db.conn.batch_execute(&format!("{AFTER}; {ROWS}")).unwrap();
    let path = db.file().unwrap().to_owned();
    older_binary_after(&mut db.conn, "sqlite", &path, "-", "deploy_after_lite");
}

/// The older binary writes once (reading the catalogue: `id` and `title`,
/// every column it maps), the migration adds `status` and `code`, and it
/// writes again at once, before it reads the catalogue anew, while this
/// program's lists and lookups by the new columns are warm: they are not
/// settled yet, and depend on the `list` tag its writes bump.
fn an_older_binary_across_the_migration<C>(
    conn: &mut C,
    migration: &str,
    older: &mut Older,
    items: &DeployItemCache,
) where
    C: Connection + SimpleConnection + 'static,
    DeployItem: cache_diesel::ModelQueries<C>,
{
    let truth = DeployItemCache::new(Cache::from_url("dummy://").unwrap());
    older.run("update 3 three");
    conn.batch_execute(migration).unwrap();
    for (command, what) in [
        ("update 2 renamed", "an update of a title"),
        ("update 1 again", "another"),
        ("delete 2", "a delete"),
    ] {
        read(items, conn);
        older.run(command);
        fresh(items, &truth, conn, what);
    }
}

const BEFORE: &str =
    "INSERT INTO deploy_items (id, title) VALUES (1, 'one'), (2, 'two'), (3, 'three')";

#[test]
fn an_older_binary_running_across_the_migration_leaves_nothing_stale_on_postgres() {
    let Some(mut db) = db::postgres("deploy_across_pg") else {
        return;
    };
    db.conn
        .batch_execute(&format!(
            "CREATE TABLE deploy_items (id integer PRIMARY KEY, title text NOT NULL); {BEFORE}"
        ))
        .unwrap();
    let prefix = unique::prefix("deploy_across_pg");
    let cache = cache_of(&prefix);
    let url = services::database_url().unwrap();
    let mut older = Older::start("postgres", &url, db.schema().unwrap(), &prefix);
    let migration = "ALTER TABLE deploy_items ADD COLUMN status text NOT NULL DEFAULT 'published',
          ADD COLUMN code text;
        UPDATE deploy_items SET code = 'c' || id;
        ALTER TABLE deploy_items ALTER COLUMN code SET NOT NULL, ADD UNIQUE (code)";
    let items = DeployItemCache::new(cache);
    an_older_binary_across_the_migration(&mut db.conn, migration, &mut older, &items);
}

#[test]
fn an_older_binary_running_across_the_migration_leaves_nothing_stale_on_mysql() {
    let ddl = "CREATE TABLE deploy_items (id integer PRIMARY KEY, title varchar(64) NOT NULL)";
    let Some(mut db) = db::mysql_with("deploy_across_my", &[ddl]) else {
        return;
    };
    db.conn.batch_execute(BEFORE).unwrap();
    let prefix = unique::prefix("deploy_across_my");
    let cache = cache_of(&prefix);
    let server = services::mysql_url().unwrap();
    let url = services::mysql_database_url(&server, db.database().unwrap());
    let mut older = Older::start("mysql", &url, "-", &prefix);
    let migration =
        "ALTER TABLE deploy_items ADD COLUMN status varchar(32) NOT NULL DEFAULT 'published',
          ADD COLUMN code varchar(32);
        UPDATE deploy_items SET code = CONCAT('c', id);
        ALTER TABLE deploy_items MODIFY code varchar(32) NOT NULL, ADD UNIQUE (code)";
    let items = DeployItemCache::new(cache);
    an_older_binary_across_the_migration(&mut db.conn, migration, &mut older, &items);
}
