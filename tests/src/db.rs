//! Test databases with a query counter built on Diesel's instrumentation:
//! SQLite (in memory, or in a temporary file when several connections must
//! share it), PostgreSQL (one schema per test, dropped afterwards) and
//! MySQL/MariaDB (one database per test, dropped afterwards).

use crate::models::{MYSQL_DDL, POSTGRES_DDL, SQLITE_DDL};
use crate::services;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Opens another connection to the same database.
type Reopen<C> = std::sync::Arc<dyn Fn() -> C + Send + Sync>;

/// A connection whose queries are counted.
pub struct TestDb<C: Connection + 'static> {
    /// The connection (its `search_path` is the test's own schema on PostgreSQL).
    pub conn: C,
    queries: Arc<AtomicUsize>,
    schema: Option<String>,
    database: Option<String>,
    file: Option<std::path::PathBuf>,
    reopen: Option<Reopen<C>>,
}

/// Counts the queries a connection starts.
pub fn query_counter(queries: Arc<AtomicUsize>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            queries.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl<C: Connection + 'static> TestDb<C> {
    fn new(mut conn: C) -> Self {
        let queries = Arc::new(AtomicUsize::new(0));
        conn.set_instrumentation(query_counter(queries.clone()));
        TestDb {
            conn,
            queries,
            schema: None,
            database: None,
            file: None,
            reopen: None,
        }
    }

    /// Queries run since the last call (and resets the count).
    pub fn take_queries(&self) -> usize {
        self.queries.swap(0, Ordering::SeqCst)
    }

    /// Runs `f` and returns its result with the number of queries it ran.
    pub fn counted<T>(&mut self, f: impl FnOnce(&mut C) -> T) -> (T, usize) {
        self.take_queries();
        let out = f(&mut self.conn);
        (out, self.take_queries())
    }

    /// The query counter (for counting inside closures that hold the connection).
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.queries.clone()
    }

    /// The PostgreSQL schema holding this test's tables.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The MySQL database holding this test's tables.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The SQLite file holding this test's tables.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref().and_then(std::path::Path::to_str)
    }

    /// Replaces the connection's instrumentation (the query count stops).
    pub fn instrument(&mut self, instrumentation: impl Instrumentation) {
        self.conn.set_instrumentation(instrumentation);
    }

    /// Makes the connection cache-aware (`cache_diesel::track`), still
    /// counted; writes behind the hooks invalidate `cache` only (other tests'
    /// databases have tables of the same names).
    pub fn track(&mut self, cache: &cache_diesel::Cache) {
        let counter = query_counter(self.queries.clone());
        let tracking =
            cache_diesel::CacheTracking::for_connection::<C>().for_caches([cache.clone()]);
        self.conn.set_instrumentation(tracking.with(counter));
    }

    /// Opens another connection to the same database (and schema), from
    /// any thread: `None` for an in-memory SQLite database.
    pub fn opener(&self) -> Option<Reopen<C>> {
        self.reopen.clone()
    }

    /// Another connection to the same database (and schema), uncounted and
    /// untracked. Panics for an in-memory SQLite database.
    pub fn another(&self) -> C {
        (self
            .reopen
            .as_ref()
            .expect("use sqlite_file() for a second connection"))()
    }
}

/// A fresh in-memory SQLite database with the test tables.
pub fn sqlite() -> TestDb<SqliteConnection> {
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
    for ddl in SQLITE_DDL {
        diesel::sql_query(*ddl)
            .execute(&mut conn)
            .expect("SQLite DDL");
    }
    TestDb::new(conn)
}

/// A path for a SQLite file of this test's own in the temporary directory.
pub fn sqlite_path(test: &str) -> String {
    let path = std::env::temp_dir().join(format!("{}.sqlite", crate::unique::prefix(test)));
    path.to_string_lossy().into_owned()
}

/// A connection to the SQLite file at `path`, shared with others: the busy
/// timeout is set first, as other connections may be writing already.
pub fn open_sqlite_file(path: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path).expect("SQLite file");
    conn.batch_execute("PRAGMA busy_timeout = 30000;")
        .expect("busy timeout");
    conn
}

/// Creates the SQLite file at `path` in WAL mode (stored in the file, so it
/// is set once, here) and returns a connection to it.
pub fn create_sqlite_file(path: &str) -> SqliteConnection {
    let mut conn = open_sqlite_file(path);
    conn.batch_execute("PRAGMA journal_mode = WAL;")
        .expect("WAL");
    conn
}

/// A fresh SQLite database in a temporary file (WAL, busy timeout), so that
/// several connections can share it.
pub fn sqlite_file(test: &str) -> TestDb<SqliteConnection> {
    let url = sqlite_path(test);
    let path = std::path::PathBuf::from(&url);
    let mut conn = create_sqlite_file(&url);
    let open = move || open_sqlite_file(&url);
    for ddl in SQLITE_DDL {
        diesel::sql_query(*ddl)
            .execute(&mut conn)
            .expect("SQLite DDL");
    }
    let mut db = TestDb::new(conn);
    db.file = Some(path);
    db.reopen = Some(std::sync::Arc::new(open));
    db
}

/// A PostgreSQL connection whose `search_path` is a fresh schema holding the
/// test tables; `None` (after one line) when the server is unreachable
/// outside CI.
pub fn postgres(test: &str) -> Option<TestDb<PgConnection>> {
    let url = services::database_url()?;
    let schema = postgres_schema_name(test);
    let search_path = format!("SET search_path TO \"{schema}\"");
    let open = move || {
        let mut conn =
            PgConnection::establish(&url).unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        conn.batch_execute(&search_path).expect("search_path");
        conn
    };
    let mut conn = open();
    conn.batch_execute(&format!(
        "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\""
    ))
    .expect("create schema");
    for ddl in POSTGRES_DDL {
        diesel::sql_query(*ddl)
            .execute(&mut conn)
            .expect("PostgreSQL DDL");
    }
    let mut db = TestDb::new(conn);
    db.schema = Some(schema);
    db.reopen = Some(std::sync::Arc::new(open));
    Some(db)
}

/// A MySQL/MariaDB connection to a fresh database holding the test tables
/// (`ddl`: the statements that create them); `None` (after one line) when
/// the server is unreachable outside CI.
pub fn mysql_with(test: &str, ddl: &[&str]) -> Option<TestDb<MysqlConnection>> {
    let server = services::mysql_url()?;
    let database = mysql_database_name(test);
    let mut admin =
        MysqlConnection::establish(&server).unwrap_or_else(|e| panic!("MySQL at {server}: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE `{database}`"))
        .expect("create database");
    let url = services::mysql_database_url(&server, &database);
    let open =
        move || MysqlConnection::establish(&url).unwrap_or_else(|e| panic!("MySQL at {url}: {e}"));
    // The database is dropped with the TestDb, also when the DDL fails.
    let mut db = TestDb::new(open());
    db.database = Some(database);
    for ddl in ddl {
        diesel::sql_query(*ddl)
            .execute(&mut db.conn)
            .expect("MySQL DDL");
    }
    db.reopen = Some(std::sync::Arc::new(open));
    Some(db)
}

/// A database name of the test's own (MySQL's names are at most 64
/// characters: a long one keeps its unique tail).
pub fn mysql_database_name(test: &str) -> String {
    name_within(test, 64)
}

/// A schema name of the test's own: PostgreSQL cuts identifiers at 63
/// bytes, which cut the unique tail off a long test's name, so that two
/// variants of one test named the same schema (`create schema` failed, or
/// one dropped the other's tables); a long one keeps its unique tail.
pub fn postgres_schema_name(test: &str) -> String {
    name_within(test, 63)
}

/// [`crate::unique::prefix`] of `test` in lower case, at most `limit`
/// bytes, keeping its unique tail.
fn name_within(test: &str, limit: usize) -> String {
    let name = crate::unique::prefix(test).to_ascii_lowercase();
    match name.len() {
        n if n > limit => format!("t_{}", &name[n - (limit - 2)..]),
        _ => name,
    }
}

/// [`mysql_with`] the shared models' tables.
pub fn mysql(test: &str) -> Option<TestDb<MysqlConnection>> {
    mysql_with(test, MYSQL_DDL)
}

impl<C: Connection + 'static> Drop for TestDb<C> {
    fn drop(&mut self) {
        if let Some(database) = &self.database {
            let _ = self
                .conn
                .batch_execute(&format!("DROP DATABASE `{database}`"));
        }
        if let Some(schema) = &self.schema {
            let _ = self
                .conn
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"));
        }
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}
