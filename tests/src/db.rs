//! Test databases with a query counter built on Diesel's instrumentation:
//! SQLite in memory (one database per test) and PostgreSQL (one schema per
//! test, dropped afterwards).

use crate::models::{POSTGRES_DDL, SQLITE_DDL};
use crate::services;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A connection whose queries are counted.
pub struct TestDb<C: Connection> {
    /// The connection (its `search_path` is the test's own schema on PostgreSQL).
    pub conn: C,
    queries: Arc<AtomicUsize>,
    schema: Option<String>,
}

/// Counts the queries a connection starts.
pub fn query_counter(queries: Arc<AtomicUsize>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            queries.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl<C: Connection> TestDb<C> {
    fn new(mut conn: C, schema: Option<String>) -> Self {
        let queries = Arc::new(AtomicUsize::new(0));
        conn.set_instrumentation(query_counter(queries.clone()));
        TestDb {
            conn,
            queries,
            schema,
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
}

/// A fresh in-memory SQLite database with the test tables.
pub fn sqlite() -> TestDb<SqliteConnection> {
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
    for ddl in SQLITE_DDL {
        diesel::sql_query(*ddl)
            .execute(&mut conn)
            .expect("SQLite DDL");
    }
    TestDb::new(conn, None)
}

/// A PostgreSQL connection whose `search_path` is a fresh schema holding the
/// test tables; `None` (after one line) when the server is unreachable
/// outside CI.
pub fn postgres(test: &str) -> Option<TestDb<PgConnection>> {
    let url = services::database_url()?;
    let mut conn =
        PgConnection::establish(&url).unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
    let schema = crate::unique::prefix(test).to_ascii_lowercase();
    diesel::sql_query(format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .expect("create schema");
    diesel::sql_query(format!("SET search_path TO \"{schema}\""))
        .execute(&mut conn)
        .expect("search_path");
    for ddl in POSTGRES_DDL {
        diesel::sql_query(*ddl)
            .execute(&mut conn)
            .expect("PostgreSQL DDL");
    }
    Some(TestDb::new(conn, Some(schema)))
}

impl<C: Connection> Drop for TestDb<C> {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            let _ = self
                .conn
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"));
        }
    }
}
