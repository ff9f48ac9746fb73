//! What the examples share: a tracked, counted SQLite connection, the blog
//! models, and the modules of the `rest_service` example.

pub mod blog;
pub mod rest;

use cache_diesel::CacheTracking;
use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An in-memory SQLite connection that is tracked (cache-aware, as
/// `cache_diesel::track` makes a connection: the setup to copy for every
/// connection that writes) and counts the queries it runs.
pub struct CountedSqlite {
    /// The connection.
    pub conn: SqliteConnection,
    queries: Arc<AtomicUsize>,
}

impl CountedSqlite {
    /// A fresh in-memory database after running `ddl`.
    pub fn open(ddl: &str) -> QueryResult<Self> {
        let mut conn = SqliteConnection::establish(":memory:")
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        diesel::sql_query(ddl).execute(&mut conn)?;
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        let count = move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        };
        // The tracker, with the counter beside it (`track(&mut conn)`
        // installs the tracker alone).
        conn.set_instrumentation(CacheTracking::for_connection::<SqliteConnection>().with(count));
        Ok(CountedSqlite { conn, queries })
    }

    /// Database queries run since the last call.
    pub fn queries(&self) -> usize {
        self.queries.swap(0, Ordering::Relaxed)
    }
}
