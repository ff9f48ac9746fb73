//! Following MySQL and MariaDB: the row-based binary log, read as a
//! replica reads it (mysql_async's binlog stream, on a tokio runtime of
//! the follower's own thread), from the position the follower keeps in
//! the cache.
//!
//! - A row event bumps what `changes` says of its rows (the table's
//!   columns from the log's table map); a statement in the log (DDL,
//!   `TRUNCATE`, anything logged as text) bumps the epochs of the tables
//!   the SQL scanner finds in it, and the whole cache's when it finds
//!   none it can name.
//! - Foreign keys' cascades are not in the log (the server applies them
//!   again on a replica): a change of a table bumps the epochs of the
//!   tables whose keys cascade from it, and of the views over either.
//! - The place (`file:offset`, and the GTID state on MariaDB: see
//!   `start`) is stored in the cache, at version 0,
//!   once the bumps of the transactions before it landed: a store that
//!   lost it (restarted empty) lost its entries too, and a follower that
//!   finds none invalidates every followed table before it starts. A
//!   position the server no longer has (its binary logs purged) is a gap
//!   too: the server's retention bounds the disk, never the follower.

mod catalogue;
mod start;
mod tables;

use super::binlog;
use super::changes::Known;
use super::{Batch, CHECK_EVERY, Count, Follower, PUBLISH_EVERY};
use crate::keys::{TableTag, table_tag};
use cache_core::__engine::WithEngine;
use cache_core::Key;
use catalogue::{Catalogue, bare, readers};
use futures_util::StreamExt;
use mysql_async::binlog::events::EventData;
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, Conn, Opts};
use start::{
    Gtid, GtidState, Position, Resume, gtid_at, gtid_now, listed, master_position, open_stream,
};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

/// The longest any one call to the server may take.
pub(super) const DEADLINE: Duration = Duration::from_secs(10);
/// Silence past which the stream is taken for dead (the server sends a
/// heartbeat each second when idle).
const SILENCE: Duration = Duration::from_secs(5);
/// MariaDB's GTID event (its transactions' first event).
const MARIADB_GTID: u8 = 162;
/// The event that ends the group of an `XA PREPARE`.
const XA_PREPARE: u8 = 38;
/// MariaDB's GTID event flag: a transaction of one statement (DDL), with
/// no `COMMIT` or `XID` after it.
const GTID_STANDALONE: u8 = 1;
/// `ER_MASTER_FATAL_ERROR_READING_BINLOG`: the position is not in the
/// server's binary logs (purged, or from another server).
const LOG_GONE: u16 = 1236;

/// One connection's worth of following: the stream, the server as the
/// follower asks it, and where the stream stands.
struct Session {
    stream: BinlogStream,
    server: Server,
    /// Just past the last event read.
    at: Position,
    /// Just past the last transaction read whole.
    end: Position,
    /// On MariaDB, the GTID state at `end`; the GTID of the transaction
    /// being read.
    gtid: Option<GtidState>,
    pending_gtid: Option<Gtid>,
    /// Where to resume, as stored in the cache.
    stored: String,
    in_transaction: bool,
    /// The tables seen, by table id (`None`: not followed).
    tables: HashMap<u64, Option<Known>>,
    /// A question to the server in flight: its position then, and when.
    asked: Option<(Position, SystemTime)>,
    last_ask: Option<Instant>,
    last_event: Instant,
}

/// The server as the follower asks it: a connection for questions, the
/// database followed, and what the catalogue said.
struct Server {
    conn: Conn,
    db: String,
    catalogue: HashMap<String, Catalogue>,
    /// The server's collations' character sets.
    charsets: binlog::Charsets,
}

impl Session {
    /// Where to resume: past the last transaction read whole.
    fn resume(&self) -> Resume {
        Resume {
            at: self.end.clone(),
            gtid: self.gtid.clone(),
        }
    }
}

/// A failure: the server's error code, when it said one.
pub(super) type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Whether opening a stream failed because the server's log has not the
/// place asked: by position, its own error for it; by GTID, any error of
/// the server's (over-invalidating what it cannot tell apart).
fn gone(e: &Failure, by_gtid: bool) -> bool {
    match e.downcast_ref::<mysql_async::Error>() {
        Some(mysql_async::Error::Server(s)) => by_gtid || s.code == LOG_GONE,
        _ => false,
    }
}

/// `f`, or an error past [`DEADLINE`].
pub(super) async fn timely<T, E: Into<Failure>>(
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(DEADLINE, f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err("the server did not answer in time".into()),
    }
}

impl Follower {
    /// The low-level key of the position kept in the cache.
    fn position_key(&self) -> Key<'static> {
        Key::new(format!(
            "cache_diesel:follower:{}:binlog",
            self.shared.options.slot
        ))
        .version(0)
    }

    /// Follows MySQL or MariaDB until [`Follower::stop`] (see
    /// [`Follower::run`]).
    pub(super) fn follow_mysql(&self) {
        let s = &*self.shared;
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                self.failed("start a runtime", &e);
                return;
            }
        };
        let mut session: Option<Session> = None;
        let mut checked = Instant::now();
        let mut backoff = super::FIRST_BACKOFF;
        while !s.stop.load(std::sync::atomic::Ordering::Relaxed) {
            let Some(se) = self.session(&mut session, &mut backoff, || self.mysql_start(&rt))
            else {
                continue;
            };
            if checked.elapsed() >= CHECK_EVERY {
                checked = Instant::now();
                // (What the catalogue said is asked again: views and keys
                // made since.)
                se.server.catalogue.clear();
                se.tables.clear();
            }
            if let Err(e) = self.binlog_pass(&rt, se) {
                self.failed("follow", &e);
                session = None;
            }
        }
    }

    /// One pass on a connection of its own, for tests (see
    /// [`Follower::follow_once`]): reads up to where the server stood
    /// when it began.
    pub(super) fn follow_mysql_once(&self, confirm: bool) -> Result<usize, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let mut se = self.mysql_start(&rt).map_err(|e| e.to_string())?;
        let target = rt
            .block_on(master_position(&mut se.server.conn))
            .map_err(|e| e.to_string())?;
        let mut batch = Batch::default();
        let mut read = 0;
        let began = Instant::now();
        while se.at < target || se.in_transaction {
            if began.elapsed() > DEADLINE {
                return Err("the stream did not reach the server's position".into());
            }
            let event = rt
                .block_on(timely(async {
                    se.stream
                        .next()
                        .await
                        .ok_or_else(|| Failure::from("the binary log stream ended"))?
                        .map_err(Failure::from)
                }))
                .map_err(|e| e.to_string())?;
            self.absorb_event(&rt, &mut se, event, &mut batch)
                .map_err(|e| e.to_string())?;
            read += 1;
        }
        self.settle(batch).map_err(|e| e.to_string())?;
        if confirm {
            let end = se.resume().to_string();
            self.shared
                .cache
                .set(self.position_key(), &end, cache_core::Timeout::Never)
                .map_err(|e| e.to_string())?;
        }
        Ok(read)
    }

    /// Connects, checks the server logs what the follower needs, finds the
    /// position to start from (after a gap: the server's, with every
    /// followed table invalidated), and opens the stream there.
    fn mysql_start(&self, rt: &tokio::runtime::Runtime) -> Result<Session, Failure> {
        let s = &*self.shared;
        let opts = Opts::from_url(&s.url)?;
        let db = opts
            .db_name()
            .ok_or("the follower's database URL names no database")?
            .to_owned();
        let mut conn = rt.block_on(timely(Conn::new(opts.clone())))?;
        type Setting = Option<String>;
        let settings: Option<(Setting, Setting, Setting)> = rt.block_on(timely(
            conn.query_first("SELECT @@binlog_format, @@binlog_row_image, @@binlog_row_metadata"),
        ))?;
        match settings {
            Some((Some(format), Some(image), Some(metadata)))
                if format.eq_ignore_ascii_case("ROW")
                    && image.eq_ignore_ascii_case("FULL")
                    && metadata.eq_ignore_ascii_case("FULL") => {}
            other => {
                return Err(format!(
                    "the server's binary log is {other:?}; the follower needs binlog_format = ROW, binlog_row_image = FULL, binlog_row_metadata = FULL"
                )
                .into());
            }
        }
        // (MariaDB lists collations without an id: `Option`s, as every
        // value read here, since a value that does not convert panics.)
        let collations: Vec<(Option<u64>, Option<String>)> = rt.block_on(timely(
            conn.query("SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS"),
        ))?;
        let charsets = collations
            .into_iter()
            .filter_map(|(id, set)| Some((u16::try_from(id?).ok()?, set?)))
            .collect();
        let version: Option<String> = rt.block_on(timely(conn.query_first("SELECT VERSION()")))?;
        let mariadb = version.is_some_and(|v| v.contains("MariaDB"));
        self.add(Count::Starts, 1);
        // (What the cache holds: after a gap, the place it stored.)
        let mut stored = s.cache.get::<String>(self.position_key())?;
        let mut start = match stored.as_deref().and_then(Resume::parse) {
            Some(resume) => resume,
            None => {
                let now = self.mysql_gap(rt, &mut conn, &db, mariadb)?;
                stored = Some(now.to_string());
                now
            }
        };
        if start.gtid.is_none() {
            // (Stored by a version that kept no GTID state.)
            start.gtid = rt.block_on(gtid_at(&mut conn, mariadb, &start.at));
        }
        let (stream, at) = match rt.block_on(open_stream(&opts, &start)) {
            Ok(opened) => opened,
            Err(e) if gone(&e, start.by_gtid().is_some()) => {
                // Not in this server's log: purged, or (after a failover)
                // never in it. A gap.
                tracing::warn!(slot = %s.options.slot, position = %start, error = %e, "cache follower: the binary log position is gone (purged, or another server's)");
                start = self.mysql_gap(rt, &mut conn, &db, mariadb)?;
                stored = Some(start.to_string());
                rt.block_on(open_stream(&opts, &start))?
            }
            Err(e) => return Err(e),
        };
        let at = match (start.by_gtid(), at) {
            // Started by GTID, the server's first event names the place.
            (Some(_), Some(at)) => rt.block_on(listed(&mut conn, at))?,
            (Some(_), None) => return Err("the stream named no place to start at".into()),
            (None, _) => start.at,
        };
        Ok(Session {
            stream,
            server: Server {
                conn,
                db,
                catalogue: HashMap::new(),
                charsets,
            },
            at: at.clone(),
            end: at,
            stored: stored.unwrap_or_default(),
            gtid: start.gtid,
            pending_gtid: None,
            in_transaction: false,
            tables: HashMap::new(),
            asked: None,
            last_ask: None,
            last_event: Instant::now(),
        })
    }

    /// Invalidates every followed table (and what reads it), and stores
    /// the server's position now as where the stream starts.
    fn mysql_gap(
        &self,
        rt: &tokio::runtime::Runtime,
        conn: &mut Conn,
        db: &str,
        mariadb: bool,
    ) -> Result<Resume, Failure> {
        let s = &*self.shared;
        self.add(Count::Gaps, 1);
        // (The place first: a change committed after it is in the stream;
        // one before it, invalidated below. The GTID state before the
        // position: at or before it.)
        let gtid = rt.block_on(gtid_now(conn, mariadb))?;
        let now = Resume {
            at: rt.block_on(master_position(conn))?,
            gtid,
        };
        let tables: Vec<String> = if s.options.tables.is_empty() {
            rt.block_on(timely(conn.exec(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
                (db,),
            )))?
        } else {
            s.options
                .tables
                .iter()
                .map(|t| bare(t).to_owned())
                .collect()
        };
        let mut tags = HashSet::new();
        for table in &tables {
            let table = table.to_lowercase();
            let readers = rt.block_on(readers(conn, db, &table))?;
            for name in std::iter::once(&table).chain(&readers) {
                tags.insert(table_tag(&s.cache, name, TableTag::Epoch));
            }
        }
        tracing::warn!(slot = %s.options.slot, tables = tables.len(), position = %now, "cache follower: the stream starts here; every followed table invalidated");
        self.bump(tags.into_iter().collect())?;
        s.cache.set(
            self.position_key(),
            &now.to_string(),
            cache_core::Timeout::Never,
        )?;
        Ok(now)
    }

    /// Reads what the stream holds now (waiting up to `poll` for the
    /// first event), bumps its tags, stores the position of the last
    /// transaction read whole; asks the server where it stands now and
    /// then, and publishes the position once the stream has passed it.
    fn binlog_pass(
        &self,
        rt: &tokio::runtime::Runtime,
        se: &mut Session,
    ) -> Result<usize, Failure> {
        let s = &*self.shared;
        if se.asked.is_none() && se.last_ask.is_none_or(|at| at.elapsed() >= PUBLISH_EVERY) {
            let started = SystemTime::now();
            se.asked = Some((rt.block_on(master_position(&mut se.server.conn))?, started));
            se.last_ask = Some(Instant::now());
        }
        let mut batch = Batch {
            in_transaction: se.in_transaction,
            ..Batch::default()
        };
        let mut read = 0;
        while read < s.options.batch {
            if read % 256 == 255 && !self.keep_lease() {
                return Err("lost the lease".into());
            }
            let wait = if read == 0 {
                s.options.poll.min(PUBLISH_EVERY)
            } else {
                Duration::ZERO
            };
            let next = rt.block_on(async { tokio::time::timeout(wait, se.stream.next()).await });
            let event = match next {
                Err(_) => break,
                Ok(None) => return Err("the binary log stream ended".into()),
                Ok(Some(Err(e))) => return Err(e.into()),
                Ok(Some(Ok(event))) => event,
            };
            se.last_event = Instant::now();
            self.absorb_event(rt, se, event, &mut batch)?;
            read += 1;
        }
        if se.last_event.elapsed() > SILENCE {
            return Err("the binary log stream is silent (no heartbeat)".into());
        }
        self.settle(batch)?;
        let resume = se.resume().to_string();
        if resume != se.stored {
            s.cache
                .set(self.position_key(), &resume, cache_core::Timeout::Never)?;
            se.stored = resume;
        }
        if let Some((asked, started)) = &se.asked
            && !se.in_transaction
            && se.at >= *asked
        {
            if let Err(e) = s.cache.engine().publish_follower_position(*started) {
                self.failed("publish the position", &e);
            }
            se.asked = None;
        }
        // (An unanswered question is asked again after a while.)
        if se
            .last_ask
            .is_some_and(|at| at.elapsed() >= Duration::from_secs(5))
        {
            se.asked = None;
        }
        Ok(read)
    }

    /// Reads one event into `batch`.
    fn absorb_event(
        &self,
        rt: &tokio::runtime::Runtime,
        se: &mut Session,
        event: mysql_async::binlog::events::Event,
        batch: &mut Batch,
    ) -> Result<(), Failure> {
        let s = &*self.shared;
        let header = event.header();
        // (Offsets only grow within a file: the events a stream starts
        // with, from the file's head, leave it where it is.)
        se.at.offset = se.at.offset.max(u64::from(header.log_pos()));
        if header.event_type_raw() == MARIADB_GTID {
            // seq_no (8), domain id (4), flags (1).
            se.pending_gtid = Gtid::of_event(header.server_id(), event.data());
            let flags = event.data().get(12).copied().unwrap_or(0);
            se.in_transaction = flags & GTID_STANDALONE == 0;
            batch.in_transaction = se.in_transaction;
            return Ok(());
        }
        if header.event_type_raw() == XA_PREPARE {
            // (A prepared XA transaction is bumped at its `PREPARE`, ahead
            // of its commit: early, never late.)
            self.transaction_ends(se, batch);
            return Ok(());
        }
        let Some(data) = event.read_data()? else {
            return Ok(());
        };
        match data {
            EventData::RotateEvent(rotate) => {
                se.at = Position {
                    file: rotate.name().into_owned(),
                    offset: rotate.position(),
                };
                if !se.in_transaction {
                    se.end = se.at.clone();
                }
            }
            EventData::XidEvent(_) => self.transaction_ends(se, batch),
            EventData::QueryEvent(query) => {
                let sql = query.query();
                match sql.trim().to_ascii_uppercase().as_str() {
                    "BEGIN" => {
                        se.in_transaction = true;
                        batch.in_transaction = true;
                    }
                    "COMMIT" | "ROLLBACK" => self.transaction_ends(se, batch),
                    _ => {
                        // A statement of another database, naming none of
                        // this one's: not this follower's.
                        let ours = query.schema().eq_ignore_ascii_case(&se.server.db)
                            || sql.to_lowercase().contains(&se.server.db.to_lowercase());
                        if ours {
                            self.statement(rt, se, &sql, batch)?;
                        }
                        // (`XA COMMIT` and `XA ROLLBACK` of a prepared
                        // transaction end a group of their own.)
                        let xa_end = sql
                            .trim_start()
                            .get(..3)
                            .is_some_and(|w| w.eq_ignore_ascii_case("XA "))
                            && !sql.to_ascii_uppercase().contains("START");
                        if !se.in_transaction || xa_end {
                            self.transaction_ends(se, batch);
                        }
                    }
                }
            }
            EventData::RowsEvent(rows) => {
                let id = rows.table_id();
                let Some(tme) = se.stream.get_tme(id) else {
                    tracing::error!(slot = %s.options.slot, table_id = id, "cache follower: rows of a table not described; the whole cache invalidated");
                    batch
                        .invalidation
                        .tags
                        .insert(crate::keys::all_tag(&s.cache));
                    return Ok(());
                };
                if !se.tables.contains_key(&id) {
                    let known = self.known(rt, &mut se.server, id, tme)?;
                    se.tables.insert(id, known);
                }
                let Some(Some(known)) = se.tables.get(&id) else {
                    return Ok(());
                };
                let cache = &s.cache;
                for row in rows.rows(tme) {
                    let (before, after) = match row {
                        Ok(images) => images,
                        Err(e) => {
                            tracing::error!(slot = %s.options.slot, error = %e, "cache follower: a row it cannot read; the table invalidated");
                            batch.invalidation.epoch(cache, known);
                            continue;
                        }
                    };
                    let old = before.as_ref().map(|b| binlog::old_row(&known.relation, b));
                    let new = after.as_ref().map(|a| binlog::tuple(&known.relation, a).0);
                    batch.invalidation.row_change(
                        cache,
                        known,
                        old.as_ref().map(|(kind, t)| (*kind, t)),
                        new.as_ref(),
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A transaction read whole.
    fn transaction_ends(&self, se: &mut Session, batch: &mut Batch) {
        se.in_transaction = false;
        batch.in_transaction = false;
        se.end = se.at.clone();
        if let (Some(state), Some(gtid)) = (&mut se.gtid, se.pending_gtid.take()) {
            state.apply(gtid);
        }
        // (The log's commit times are whole seconds: the lag counts from
        // the change's arrival.)
        batch.commits.push(SystemTime::now());
    }
}
