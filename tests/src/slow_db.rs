//! A SQLite database whose queries on the checker's table are slow and
//! counted: the cold key of the stampede tests and program.

use crate::{consistency, db};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A SQLite file with the checker's rows; every query on the table from the
/// returned connections takes `delay` and is counted in `selects`.
pub struct SlowDb {
    /// The database file.
    pub path: String,
    /// Queries on the checker's table so far (this process).
    pub selects: Arc<AtomicUsize>,
    delay: Duration,
    /// Created here (and removed on drop), or opened.
    owned: bool,
}

impl SlowDb {
    /// A new database holding row 1 at version 7.
    pub fn new(test: &str, delay: Duration) -> Self {
        let path = db::sqlite_path(test);
        db::create_sqlite_file(&path)
            .batch_execute(&format!(
                "{}; INSERT INTO consistency_rows VALUES (1, 7)",
                consistency::DDL
            ))
            .unwrap();
        SlowDb {
            path,
            selects: Arc::default(),
            delay,
            owned: true,
        }
    }

    /// Opens an existing database file (another process's).
    pub fn open(path: &str, delay: Duration) -> Self {
        SlowDb {
            path: path.to_owned(),
            selects: Arc::default(),
            delay,
            owned: false,
        }
    }

    /// A connection whose queries on the table take `delay` and are counted.
    pub fn connect(&self) -> SqliteConnection {
        let mut conn = db::open_sqlite_file(&self.path);
        let (selects, delay) = (self.selects.clone(), self.delay);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery { query, .. } = event
                && query.to_string().contains("consistency_rows")
            {
                selects.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(delay);
            }
        });
        conn
    }
}

impl Drop for SlowDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path));
        }
    }
}
