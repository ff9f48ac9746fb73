//! A change-stream follower for one test: its own slot and publication
//! (named after the process and a counter, over the test schema's
//! tables), running on a thread, dropped with its slot and publication
//! when the test ends. Slots left by a test process that died are dropped
//! by the next one (a slot holds WAL back for as long as it exists). On
//! MySQL, a follower of the test's own database (its position is kept in
//! the test's cache: nothing to drop).

use crate::services;
use cache_core::__engine::WithEngine;
use cache_diesel::{Cache, Follower, FollowerOptions};
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// What every test slot's name starts with.
const SLOT_STEM: &str = "cachetest_";

/// A running follower of a test's tables.
pub struct Following {
    /// The follower (for its statistics).
    pub follower: Follower,
    thread: Option<JoinHandle<()>>,
    url: String,
    options: FollowerOptions,
    postgres: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Options naming a slot and publication of this process's own over
/// `tables` of `schema` (`REPLICA IDENTITY FULL` set).
pub fn options(schema: &str, tables: &[&str]) -> FollowerOptions {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{SLOT_STEM}{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    FollowerOptions {
        slot: name.clone(),
        publication: name,
        tables: tables.iter().map(|t| format!("{schema}.{t}")).collect(),
        replica_identity_full: true,
        lease: Duration::from_millis(600),
        ..FollowerOptions::default()
    }
}

impl Following {
    /// A follower of `tables` in `schema` for `cache`, not started (see
    /// [`Following::start`]); `None` when PostgreSQL is unreachable outside
    /// CI, or cannot decode logically (`wal_level` is not `logical`).
    pub fn new(cache: &Cache, schema: &str, tables: &[&str]) -> Option<Following> {
        Self::with_options(cache, options(schema, tables))
    }

    /// [`Following::new`] with `options`.
    pub fn with_options(cache: &Cache, options: FollowerOptions) -> Option<Following> {
        let url = services::database_url()?;
        let mut conn = PgConnection::establish(&url).ok()?;
        #[derive(QueryableByName)]
        struct Level {
            #[diesel(sql_type = Text)]
            wal_level: String,
        }
        let level: Vec<Level> = diesel::sql_query("SHOW wal_level").load(&mut conn).ok()?;
        if level.first().map(|l| l.wal_level.as_str()) != Some("logical") {
            let why = "PostgreSQL's wal_level is not logical (scripts/services.sh sets it)";
            if services::in_ci() {
                panic!("{why}");
            }
            println!("skipped: {why}");
            return None;
        }
        drop_orphans(&mut conn);
        Some(Following {
            follower: Follower::postgres(url.clone(), cache.clone(), options.clone()),
            thread: None,
            url,
            options,
            postgres: true,
        })
    }

    /// A follower of the MySQL database at `url` (a test's own) for
    /// `cache`, not started.
    pub fn mysql(cache: &Cache, url: &str) -> Following {
        let options = FollowerOptions {
            lease: Duration::from_millis(600),
            ..options("", &[])
        };
        Following {
            follower: Follower::mysql(url, cache.clone(), options.clone()),
            thread: None,
            url: url.to_owned(),
            options,
            postgres: false,
        }
    }

    /// Starts the follower on its thread and waits until it has published
    /// a position (it is active and caught up once).
    pub fn start(&mut self, cache: &Cache) {
        let since = SystemTime::now();
        self.thread = Some(self.follower.spawn().expect("a follower thread"));
        assert!(
            self.covered_since(cache, since, Duration::from_secs(30)),
            "the follower published no position within 30 s: {:?}",
            self.follower.stats()
        );
    }

    /// Waits until the follower says every change committed before this
    /// call is invalidated (at most `limit`); false on timeout.
    pub fn caught_up(&self, cache: &Cache, limit: Duration) -> bool {
        self.covered_since(cache, SystemTime::now(), limit)
    }

    fn covered_since(&self, cache: &Cache, since: SystemTime, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if cache
                .engine()
                .follower_position()
                .ok()
                .flatten()
                .is_some_and(|at| at >= since)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Stops the follower and waits for its thread.
    pub fn stop(&mut self) {
        self.follower.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The slot's name.
    pub fn slot(&self) -> &str {
        &self.options.slot
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        self.stop();
        if !self.postgres {
            return;
        }
        if let Ok(mut conn) = PgConnection::establish(&self.url) {
            drop_slot(&mut conn, &self.options.slot);
            let _ = diesel::sql_query(format!(
                "DROP PUBLICATION IF EXISTS \"{}\"",
                self.options.publication
            ))
            .execute(&mut conn);
        }
    }
}

/// Drops slot `slot` if it exists and no session is using it.
pub fn drop_slot(conn: &mut PgConnection, slot: &str) {
    // (One call naming the slot: a filter beside the call would not stop
    // the server from calling it on every slot.)
    let _ = diesel::sql_query(
        "SELECT 'dropped' AS name FROM (SELECT pg_drop_replication_slot($1)) AS d",
    )
    .bind::<Text, _>(slot)
    .load::<Name>(conn);
}

/// Drops the test slots (and publications) of test processes that are
/// gone.
fn drop_orphans(conn: &mut PgConnection) {
    let slots: Vec<Name> = diesel::sql_query(
        "SELECT slot_name::text AS name FROM pg_replication_slots WHERE slot_name LIKE 'cachetest\\_%'",
    )
    .load(conn)
    .unwrap_or_default();
    for Name { name } in slots {
        let pid = name
            .strip_prefix(SLOT_STEM)
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            drop_slot(conn, &name);
            let _ =
                diesel::sql_query(format!("DROP PUBLICATION IF EXISTS \"{name}\"")).execute(conn);
        }
    }
}
