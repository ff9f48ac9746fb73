//! Following PostgreSQL: a logical replication slot read with `pgoutput`
//! over libpq's replication protocol (`stream`), its publication and slot
//! kept over the SQL interface (`slot`).

use super::changes::{Known, Relations, Seen};
use super::pgoutput::{self, Message};
use super::stream::{Received, Stream};
use super::{Batch, CHECK_EVERY, Count, Follower, PUBLISH_EVERY, names, slot};
use cache_core::__engine::WithEngine;
use cache_core::Key;
use diesel::{Connection, PgConnection};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where a stream stands, between passes.
struct Tail {
    /// The position confirmed to the server (the slot's).
    confirmed: u64,
    /// The furthest keepalive position seen between transactions.
    idle_end: u64,
    /// Whether the last message read is inside a transaction.
    in_transaction: bool,
    /// A question to the server in flight: its insert position and when
    /// it was asked (what is covered once the stream passes it).
    asked: Option<(u64, SystemTime)>,
    last_ask: Option<Instant>,
    /// When a status was last sent, and whether the server asked for one.
    last_status: Instant,
    reply_owed: bool,
}

impl Default for Tail {
    fn default() -> Self {
        Tail {
            confirmed: 0,
            idle_end: 0,
            in_transaction: false,
            asked: None,
            last_ask: None,
            last_status: Instant::now(),
            reply_owed: false,
        }
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

impl Follower {
    /// Follows PostgreSQL until [`Follower::stop`] (see [`Follower::run`]).
    pub(super) fn follow_postgres(&self) {
        let s = &*self.shared;
        let mut relations = Relations::default();
        let mut conn: Option<PgConnection> = None;
        let mut stream: Option<Stream> = None;
        let mut tail = Tail::default();
        let mut checked = Instant::now();
        let mut backoff = super::FIRST_BACKOFF;
        while !s.stop.load(Ordering::Relaxed) {
            let Some(c) = self.session(&mut conn, &mut backoff, || self.start(&mut relations))
            else {
                // (The stream goes with its connection.)
                stream = None;
                continue;
            };
            if checked.elapsed() >= CHECK_EVERY {
                checked = Instant::now();
                if let Err(e) = self.bound_retained(c, &mut relations, &mut stream) {
                    self.failed("check the slot", &e);
                    (conn, stream) = (None, None);
                    continue;
                }
            }
            let st = match stream.as_mut() {
                Some(st) => st,
                None => match Stream::start(&s.url, &s.options.slot, &s.options.publication) {
                    Ok(st) => {
                        tail = Tail::default();
                        stream.insert(st)
                    }
                    Err(e) => {
                        self.failed("stream the slot", &e);
                        conn = None;
                        continue;
                    }
                },
            };
            match self.stream_pass(c, &mut relations, st, &mut tail) {
                // Nothing arrived: wait for the stream (or the next
                // question to the server).
                Ok(0) => st.wait(s.options.poll.min(PUBLISH_EVERY)),
                Ok(_) => {}
                Err(e) => {
                    let text = e.to_string();
                    stream = None;
                    if text.contains("publication") && text.contains("does not exist") {
                        // Dropped under us: the slot's WAL cannot be
                        // decoded without it, even once it is back. A new
                        // slot (a gap, at the next start).
                        tracing::warn!(slot = %s.options.slot, error = %text, "cache follower: the publication is gone; the slot is made anew");
                        if let Err(e) = slot::drop_slot_when_free(c, &s.options.slot) {
                            self.failed("drop the slot", &e);
                        }
                    } else {
                        self.failed("follow", &e);
                    }
                    conn = None;
                }
            }
        }
    }

    /// One pass on a connection of its own (see [`Follower::follow_once`]).
    pub(super) fn follow_postgres_once(&self, confirm: bool) -> Result<usize, String> {
        let mut relations = Relations::default();
        let mut conn = self.start(&mut relations).map_err(|e| e.to_string())?;
        self.pass(&mut conn, &mut relations, confirm)
            .map(|(n, _)| n)
            .map_err(|e| e.to_string())
    }

    /// Connects and prepares the slot; after a gap, invalidates every
    /// followed table.
    fn start(&self, relations: &mut Relations) -> Result<PgConnection, Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let mut conn = PgConnection::establish(&s.url)?;
        let start = slot::prepare(&mut conn, &s.options)?;
        self.add(Count::Starts, 1);
        // Whatever this process knew of the relations, it learns anew.
        *relations = Relations::default();
        if start == slot::Start::Gap {
            self.gap(&mut conn)?;
        }
        Ok(conn)
    }

    /// Invalidates every followed table (and what reads it): the stream
    /// does not hold what was committed before now.
    fn gap(&self, conn: &mut PgConnection) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        self.add(Count::Gaps, 1);
        let mut tags = Vec::new();
        for table in slot::published_tables(conn, &s.options.publication)? {
            let mut all = names(&table);
            if let Some(oid) = slot::oid_of(conn, &table)? {
                all.extend(slot::readers(conn, oid)?.iter().flat_map(|r| names(r)));
            }
            for name in all {
                tags.push(crate::keys::table_tag(
                    &s.cache,
                    &name.to_lowercase(),
                    crate::keys::TableTag::Epoch,
                ));
            }
        }
        tracing::warn!(slot = %s.options.slot, tables = tags.len(), "cache follower: the stream starts here; every followed table invalidated");
        self.bump(tags.into_iter().collect())?;
        Ok(())
    }

    /// Past `max_retained_wal` (or lost by the server): drop the slot,
    /// create it anew, invalidate everything followed.
    fn bound_retained(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        stream: &mut Option<Stream>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let Some((retained, lost)) = slot::retained(conn, &s.options.slot)? else {
            // Dropped by someone: start over (a gap).
            *stream = None;
            *conn = self.start(relations)?;
            return Ok(());
        };
        if lost || retained > s.options.max_retained_wal {
            tracing::warn!(slot = %s.options.slot, retained, lost, "cache follower: the slot holds back too much WAL; dropping it");
            *stream = None;
            slot::drop_slot_when_free(conn, &s.options.slot)?;
            *conn = self.start(relations)?;
            return Ok(());
        }
        // A followed table dropped and created again is no longer in the
        // publication: added back, and what was written meanwhile is not
        // in the stream (a gap).
        let published = slot::published_tables(conn, &s.options.publication)?;
        let missing = s.options.tables.iter().any(|t| {
            let bare = t.rsplit('.').next().unwrap_or(t);
            !published.iter().any(|p| p == t || p == bare)
        });
        if missing {
            tracing::warn!(slot = %s.options.slot, "cache follower: a followed table left the publication (dropped and created again?); added back");
            slot::prepare(conn, &s.options)?;
            self.gap(conn)?;
        }
        Ok(())
    }

    /// One pass: peek, invalidate, advance. Returns how many changes it
    /// read, and the moment up to which every commit is now invalidated.
    fn pass(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        confirm: bool,
    ) -> Result<(usize, Option<SystemTime>), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let started = SystemTime::now();
        let (inserted, flushed) = slot::wal_positions(conn)?;
        let rows = match slot::peek(conn, &s.options) {
            Ok(rows) => rows,
            Err(e) => {
                let text = e.to_string();
                if text.contains(&format!(
                    "replication slot \"{}\" does not exist",
                    s.options.slot
                )) {
                    // Dropped under us: a gap (the next start makes one).
                    *conn = self.start(relations)?;
                    return Ok((0, None));
                }
                if text.contains("publication") && text.contains("does not exist") {
                    // Dropped under us: the slot's WAL cannot be decoded
                    // without it, even once it is back. A new slot (a gap).
                    tracing::warn!(slot = %s.options.slot, error = %text, "cache follower: the publication is gone; the slot is made anew");
                    slot::drop_slot(conn, &s.options.slot)?;
                    *conn = self.start(relations)?;
                    return Ok((0, None));
                }
                return Err(e.into());
            }
        };
        let mut batch = Batch::default();
        for row in &rows {
            self.absorb(conn, relations, &row.data, &mut batch)?;
        }
        let (end, last_commit) = (batch.end, batch.commits.last().copied());
        self.settle(batch)?;
        if let Some(end) = end.filter(|_| confirm) {
            slot::advance(conn, &s.options.slot, end)?;
        }
        // Caught up (a short batch): every commit whose WAL the peek
        // could read is invalidated: those that returned before a pass
        // began whose insert position is now flushed. Else, those up to
        // the last one read.
        let covered = if rows.len() >= s.options.batch {
            last_commit
        } else {
            self.flushed_since(inserted, started, flushed)
        };
        Ok((rows.len(), covered))
    }

    /// The low-level key of the shape last followed of relation `id`.
    fn shape_key(&self, id: u32) -> Key<'static> {
        Key::new(format!(
            "cache_diesel:follower:{}:relation:{id}",
            self.shared.options.slot
        ))
        .version(0)
    }

    /// Reads one pgoutput message into `batch`: a relation's description
    /// (its shape checked, its readers and keys asked of the catalogue on
    /// first sight), a transaction's end, or a change's tags.
    fn absorb(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        bytes: &[u8],
        batch: &mut Batch,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let s = &*self.shared;
        let message = match pgoutput::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                // Not understood: everything this cache holds.
                tracing::error!(slot = %s.options.slot, error = %e, "cache follower: a change it cannot read; the whole cache invalidated");
                batch
                    .invalidation
                    .tags
                    .insert(crate::keys::all_tag(&s.cache));
                return Ok(());
            }
        };
        match &message {
            Message::Relation(relation) => {
                if relations.see(relation) == Seen::New {
                    let readers = slot::readers(conn, relation.id)?
                        .iter()
                        .flat_map(|r| names(r))
                        .collect();
                    let key = slot::primary_key(conn, relation.id)?;
                    let unique = slot::unique_columns(conn, relation.id)?;
                    let known = Known::new(relation.clone(), readers, key, unique);
                    // A shape other than the one last followed (or none
                    // recorded): DDL may have rewritten values without a
                    // change in the stream.
                    let shape = shape_of(relation);
                    let key = self.shape_key(relation.id);
                    if s.cache.get::<String>(key.clone()).ok().flatten().as_deref()
                        != Some(shape.as_str())
                    {
                        batch.invalidation.epoch(&s.cache, &known);
                        batch.shapes.push((key, shape));
                    }
                    relations.keep(known);
                }
            }
            Message::Begin => batch.in_transaction = true,
            Message::Commit { end_lsn, timestamp } => {
                batch.in_transaction = false;
                batch.end = Some(*end_lsn);
                batch.commits.push(pg_time(*timestamp));
            }
            other => {
                if let Err(id) = batch.invalidation.message(&s.cache, relations, other) {
                    tracing::error!(slot = %s.options.slot, relation = id, "cache follower: a change of a relation not described; the whole cache invalidated");
                    batch
                        .invalidation
                        .tags
                        .insert(crate::keys::all_tag(&s.cache));
                }
            }
        }
        Ok(())
    }

    /// Reads what the stream holds now (up to `batch` messages), bumps its
    /// tags, then confirms the transactions whose bumps landed; asks the
    /// server where it stands now and then, and publishes the position
    /// once the stream has passed it. Returns how many messages it read.
    fn stream_pass(
        &self,
        conn: &mut PgConnection,
        relations: &mut Relations,
        stream: &mut Stream,
        tail: &mut Tail,
    ) -> Result<usize, Box<dyn std::error::Error>> {
        let s = &*self.shared;
        if tail.asked.is_none() && tail.last_ask.is_none_or(|at| at.elapsed() >= PUBLISH_EVERY) {
            let started = SystemTime::now();
            let (inserted, _) = slot::wal_positions(conn)?;
            stream.confirm(tail.confirmed, true)?;
            tail.asked = Some((inserted, started));
            tail.last_ask = Some(Instant::now());
            tail.last_status = Instant::now();
        }
        let mut batch = Batch {
            in_transaction: tail.in_transaction,
            ..Batch::default()
        };
        let mut covered = None;
        let mut read = 0;
        while read < s.options.batch {
            // A long transaction keeps the lease (another follower taking
            // it would start the transaction over, and so on).
            if read % 256 == 255 && !self.keep_lease() {
                return Err("lost the lease".into());
            }
            match stream.try_next()? {
                None => break,
                Some(Received::Data(bytes)) => self.absorb(conn, relations, &bytes, &mut batch)?,
                Some(Received::Keepalive { wal_end, reply }) => {
                    // Everything before `wal_end` has been sent: between
                    // transactions, the slot may move there.
                    if !batch.in_transaction {
                        tail.idle_end = tail.idle_end.max(wal_end);
                    }
                    if let Some((inserted, started)) = tail.asked
                        && wal_end >= past_page_header(inserted)
                    {
                        covered = Some(started);
                        tail.asked = None;
                    }
                    tail.reply_owed |= reply;
                }
            }
            read += 1;
        }
        tail.in_transaction = batch.in_transaction;
        let end = batch.end;
        self.settle(batch)?;
        if let Some(end) = end {
            tail.confirmed = tail.confirmed.max(end);
        }
        if !tail.in_transaction {
            tail.confirmed = tail.confirmed.max(tail.idle_end);
        }
        if end.is_some() || tail.reply_owed || tail.last_status.elapsed() >= Duration::from_secs(1)
        {
            stream.confirm(tail.confirmed, false)?;
            tail.reply_owed = false;
            tail.last_status = Instant::now();
        }
        if let Some(covered) = covered
            && let Err(e) = s.cache.engine().publish_follower_position(covered)
        {
            self.failed("publish the position", &e);
        }
        // (An unanswered question is asked again after a while.)
        if tail
            .last_ask
            .is_some_and(|at| at.elapsed() >= Duration::from_secs(5))
        {
            tail.asked = None;
        }
        Ok(read)
    }

    /// The latest pass start all of whose commits are flushed (so read
    /// by a peek that began after `flushed` was): this pass's start when
    /// its insert position `inserted` is, else an earlier one's.
    fn flushed_since(
        &self,
        inserted: u64,
        started: SystemTime,
        flushed: u64,
    ) -> Option<SystemTime> {
        let mut pending = self
            .shared
            .unflushed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        pending.push_back((inserted, started));
        let mut covered = None;
        while pending.front().is_some_and(|(at, _)| *at <= flushed) {
            covered = pending.pop_front().map(|(_, t)| t);
        }
        // (Bounded: a server that never flushes is not followed anyway.)
        while pending.len() > 10_000 {
            pending.pop_front();
        }
        covered
    }
}

/// What of a relation, changed, may mean its rows changed unseen: its
/// name, and its columns' names, types and key flags.
fn shape_of(relation: &pgoutput::Relation) -> String {
    let mut shape = format!("{}.{}", relation.namespace, relation.name);
    for c in &relation.columns {
        shape.push_str(&format!(" {}:{}:{}", c.name, c.type_oid, u8::from(c.key)));
    }
    shape
}

/// A WAL position, back at the start of its page when it is just past
/// the page's header (24 bytes, 40 at a segment's start): the insert
/// position counts the next page's header, which no record holds, and
/// the stream's positions stop at the end of the last record.
fn past_page_header(position: u64) -> u64 {
    match position % 8192 {
        offset @ 1..=40 => position - offset,
        _ => position,
    }
}

/// A PostgreSQL timestamp (µs since 2000-01-01) as a `SystemTime`.
fn pg_time(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros((us + PG_EPOCH_US).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A position just past a page's header is the page's start (found by
    /// an outside probe: an idle server whose last record ended on a page
    /// boundary was never caught up with).
    #[test]
    fn a_position_past_a_page_header_is_the_page_start() {
        assert_eq!(past_page_header(0x38B7_2018), 0x38B7_2000);
        assert_eq!(
            past_page_header(0x0100_0028),
            0x0100_0000,
            "a segment's long header"
        );
        assert_eq!(past_page_header(0x38B7_2000), 0x38B7_2000);
        assert_eq!(
            past_page_header(0x38B7_2030),
            0x38B7_2030,
            "inside a record"
        );
    }
}
