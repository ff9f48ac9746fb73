//! A database whose queries on the checker's table are slow and counted:
//! the cold key of the stampede tests and program. SQLite (a file) by
//! default; PostgreSQL (a schema of its own) and MySQL/MariaDB (a database
//! of its own) too.

use crate::{consistency, db, services};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A database a [`SlowDb`] can live in.
pub trait SlowBackend: Connection + Sized + 'static {
    /// Creates a database for `test` holding the checker's table; returns
    /// where it is (`None`, after one line, when the server is unreachable
    /// outside CI).
    fn create(test: &str) -> Option<String>;
    /// A connection to the database at `location`.
    fn open(location: &str) -> Self;
    /// Removes the database at `location`.
    fn remove(location: &str);
}

impl SlowBackend for SqliteConnection {
    fn create(test: &str) -> Option<String> {
        let path = db::sqlite_path(test);
        db::create_sqlite_file(&path)
            .batch_execute(consistency::DDL)
            .unwrap();
        Some(path)
    }

    fn open(location: &str) -> Self {
        db::open_sqlite_file(location)
    }

    fn remove(location: &str) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{location}{suffix}"));
        }
    }
}

impl SlowBackend for MysqlConnection {
    fn create(test: &str) -> Option<String> {
        let server = services::mysql_url()?;
        let database = db::mysql_database_name(test);
        MysqlConnection::establish(&server)
            .expect("MySQL")
            .batch_execute(&format!("CREATE DATABASE `{database}`"))
            .unwrap();
        if let Err(e) = Self::open(&database).batch_execute(consistency::DDL) {
            Self::remove(&database);
            panic!("MySQL DDL: {e}");
        }
        Some(database)
    }

    fn open(location: &str) -> Self {
        let server = services::mysql_url().expect("MySQL reachable");
        MysqlConnection::establish(&services::mysql_database_url(&server, location)).expect("MySQL")
    }

    fn remove(location: &str) {
        if let Some(server) = services::mysql_url()
            && let Ok(mut conn) = MysqlConnection::establish(&server)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE `{location}`"));
        }
    }
}

impl SlowBackend for PgConnection {
    fn create(test: &str) -> Option<String> {
        let url = services::database_url()?;
        let schema = db::postgres_schema_name(test);
        PgConnection::establish(&url)
            .expect("PostgreSQL")
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .unwrap();
        if let Err(e) = Self::open(&schema).batch_execute(consistency::DDL) {
            Self::remove(&schema);
            panic!("PostgreSQL DDL: {e}");
        }
        Some(schema)
    }

    fn open(location: &str) -> Self {
        let url = services::database_url().expect("PostgreSQL reachable");
        let mut conn = PgConnection::establish(&url).expect("PostgreSQL");
        conn.batch_execute(&format!("SET search_path TO \"{location}\""))
            .expect("search_path");
        conn
    }

    fn remove(location: &str) {
        if let Some(url) = services::database_url()
            && let Ok(mut conn) = PgConnection::establish(&url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA \"{location}\" CASCADE"));
        }
    }
}

/// The checker's rows in a database of type `C`; every query on the table
/// from the returned connections takes `delay` and is counted in `selects`.
pub struct SlowDb<C: SlowBackend = SqliteConnection> {
    /// Where the database is (a file for SQLite, a database name for MySQL).
    pub path: String,
    /// Queries on the checker's table so far (this process).
    pub selects: Arc<AtomicUsize>,
    delay: Duration,
    /// Created here (and removed on drop), or opened.
    owned: bool,
    connection: PhantomData<fn() -> C>,
}

impl<C: SlowBackend> SlowDb<C> {
    /// A new database holding row 1 at version 7 (`None`: its server is
    /// unreachable outside CI).
    pub fn create(test: &str, delay: Duration) -> Option<Self> {
        let path = C::create(test)?;
        C::open(&path)
            .batch_execute("INSERT INTO consistency_rows VALUES (1, 7)")
            .unwrap();
        Some(SlowDb {
            path,
            selects: Arc::default(),
            delay,
            owned: true,
            connection: PhantomData,
        })
    }

    /// Opens an existing database (another process's).
    pub fn open(path: &str, delay: Duration) -> Self {
        SlowDb {
            path: path.to_owned(),
            selects: Arc::default(),
            delay,
            owned: false,
            connection: PhantomData,
        }
    }

    /// A connection whose queries on the table take `delay` and are counted.
    pub fn connect(&self) -> C {
        let mut conn = C::open(&self.path);
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

impl SlowDb {
    /// A new SQLite database holding row 1 at version 7.
    pub fn new(test: &str, delay: Duration) -> Self {
        Self::create(test, delay).expect("SQLite needs no server")
    }
}

impl<C: SlowBackend> Drop for SlowDb<C> {
    fn drop(&mut self) {
        if self.owned {
            C::remove(&self.path);
        }
    }
}
