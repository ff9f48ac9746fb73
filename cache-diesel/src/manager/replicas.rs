//! Reads from a streaming read replica that cannot fill the cache with
//! what the replica has not replayed yet: [`Replicated`] (its docs say how
//! and what it costs), and the positions each database gives
//! ([`ReplicaPosition`]).

use crate::error::CheckoutError;
use crate::error::{Error, Result};
use crate::manager::source::{ConnectionSource, Missed};
use cache_core::__engine::WithEngine;
use diesel::{Connection, QueryResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many (tag, version) positions a source remembers; past it, it
/// forgets them all (and asks the primary again as it meets them).
const REMEMBERED: usize = 100_000;

/// A connection to a database that replicates by position: the primary
/// tells where its writes end, a replica tells whether it has replayed that
/// far. Implemented for PostgreSQL's connections (WAL positions) and
/// MySQL's and MariaDB's (GTIDs).
pub trait ReplicaPosition: Connection {
    /// On the primary: a position every transaction committed so far ends
    /// at or before (PostgreSQL: `pg_current_wal_insert_lsn()`).
    fn primary_position(&mut self) -> QueryResult<String>;

    /// On a replica: whether it has replayed every write up to `position`,
    /// so that a query it starts now sees them (PostgreSQL:
    /// `pg_last_wal_replay_lsn() >= position`; a server that is not in
    /// recovery, a primary, has).
    fn has_replayed(&mut self, position: &str) -> QueryResult<bool>;
}

/// PostgreSQL: the WAL insert position, which every committed transaction's
/// commit record ends at or before, `synchronous_commit = off` included (a
/// flush or write position can be behind such a commit).
#[cfg(feature = "postgres-system-libpq")]
impl ReplicaPosition for diesel::PgConnection {
    fn primary_position(&mut self) -> QueryResult<String> {
        use diesel::RunQueryDsl;
        diesel::select(sql::pg_primary()).get_result(self)
    }

    fn has_replayed(&mut self, position: &str) -> QueryResult<bool> {
        use diesel::RunQueryDsl;
        diesel::select(sql::pg_replayed(position)?).get_result(self)
    }
}

/// MariaDB: the GTIDs of its binary log (`@@gtid_binlog_pos`), and
/// `MASTER_GTID_WAIT(position, 0)` on the replica; MySQL: `gtid_executed`,
/// and `GTID_SUBSET` of the replica's. The primary needs its binary log
/// (and MySQL `gtid_mode = ON`).
#[cfg(feature = "mysql")]
impl ReplicaPosition for diesel::MysqlConnection {
    fn primary_position(&mut self) -> QueryResult<String> {
        use diesel::RunQueryDsl;
        match diesel::select(sql::mariadb_primary()).get_result(self) {
            Ok(position) => Ok(position),
            Err(_) => diesel::select(sql::mysql_primary()).get_result(self),
        }
    }

    fn has_replayed(&mut self, position: &str) -> QueryResult<bool> {
        use diesel::RunQueryDsl;
        match diesel::select(sql::mariadb_replayed(position)?).get_result(self) {
            Ok(replayed) => Ok(replayed),
            Err(_) => diesel::select(sql::mysql_replayed(position)?).get_result(self),
        }
    }
}

/// The positions' SQL, shared with the async connections. A position is
/// written into the statement (as a literal, not a bind: these are
/// expressions of `SELECT` alone), so it is checked to be one a server
/// gives first.
#[cfg(any(
    feature = "postgres-system-libpq",
    feature = "async-postgres",
    feature = "mysql",
    feature = "async-mysql"
))]
pub(crate) mod sql {
    use diesel::dsl::sql;
    use diesel::expression::SqlLiteral;
    use diesel::sql_types::{Bool, Text};

    /// PostgreSQL: `pg_current_wal_insert_lsn()` as text.
    #[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
    pub(crate) fn pg_primary() -> SqlLiteral<Text> {
        sql::<Text>("pg_current_wal_insert_lsn()::text")
    }

    /// PostgreSQL: whether the server has replayed up to `position` (false
    /// when it is not in recovery: a server that replays nothing, a
    /// promoted replica or another primary, proves nothing).
    #[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
    pub(crate) fn pg_replayed(position: &str) -> diesel::QueryResult<SqlLiteral<Bool>> {
        let lsn = super::lsn(position).map(|_| position);
        let position = checked(lsn, position)?;
        Ok(sql::<Bool>(&format!(
            "COALESCE(pg_last_wal_replay_lsn() >= '{position}'::pg_lsn, FALSE)"
        )))
    }

    /// MariaDB: the GTIDs of the binary log.
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub(crate) fn mariadb_primary() -> SqlLiteral<Text> {
        sql::<Text>("@@GLOBAL.gtid_binlog_pos")
    }

    /// MySQL: the GTIDs executed.
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub(crate) fn mysql_primary() -> SqlLiteral<Text> {
        sql::<Text>("@@GLOBAL.gtid_executed")
    }

    /// MariaDB: whether the replica has applied `position` (a GTID list),
    /// without waiting.
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub(crate) fn mariadb_replayed(position: &str) -> diesel::QueryResult<SqlLiteral<Bool>> {
        let position = checked(gtids(position), position)?;
        Ok(sql::<Bool>(&format!(
            "MASTER_GTID_WAIT('{position}', 0) = 0"
        )))
    }

    /// MySQL: whether the replica has executed `position` (a GTID set).
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    pub(crate) fn mysql_replayed(position: &str) -> diesel::QueryResult<SqlLiteral<Bool>> {
        let position = checked(gtids(position), position)?;
        Ok(sql::<Bool>(&format!(
            "GTID_SUBSET('{position}', @@GLOBAL.gtid_executed) = 1"
        )))
    }

    /// Whether `position` reads as GTIDs (MariaDB's `0-1-5,1-2-9`, MySQL's
    /// `3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5`): no quote can be in it.
    #[cfg(any(feature = "mysql", feature = "async-mysql"))]
    fn gtids(position: &str) -> Option<()> {
        position
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b"-:,\n ".contains(&b))
            .then_some(())
    }

    /// `position`, if its check passed.
    fn checked<T>(check: Option<T>, position: &str) -> diesel::QueryResult<&str> {
        match check {
            Some(_) => Ok(position),
            None => Err(diesel::result::Error::DeserializationError(
                format!("not a replication position: {position:?}").into(),
            )),
        }
    }
}

/// A replica and its primary as one connection source
/// ([`Manager::from_pool`](crate::Manager::from_pool)): missed reads go to
/// the replica when it has replayed every write they could have seen
/// invalidated, to the primary otherwise.
///
/// A read that misses reads the tag versions first, queries the database,
/// then stores the rows stamped with those versions (see the guide's
/// invalidation chapter). On a replica that lags, a write whose bump the
/// read already saw may not be replayed yet: the fill would store the old
/// row under the new versions, and every process would serve it until the
/// next write or its timeout.
///
/// So a missed read through a [`Replicated`] source first learns the
/// primary position that covers the tag versions its stamp can reflect,
/// and reads the replica only if the replica has replayed that far:
///
/// 1. It reads the current versions of the tags its entry depends on (one
///    round trip to the cache). Every write whose bump the read's stamp
///    reflects committed before the version now current was written.
/// 2. Each (tag, version) this process has seen before has a known
///    position; for the others, it asks the primary for its position now
///    (one small query, shared by every tag of the read), which covers
///    every write committed before, and remembers it for that version.
/// 3. It asks the replica whether it has replayed the greatest of those
///    positions, and runs the query there if so; otherwise, or when the
///    replica cannot be reached, on the primary ([`ReplicaStats`] counts
///    each).
///
/// What this costs: a hit, nothing (none of it runs unless the cache
/// misses). A miss: one cache round trip and the replica's check, plus the
/// primary's position the first time this process meets a tag version
/// (a row just written, a list whose values just changed, a cold cache).
/// A read whose tags were bumped (or first met) less than the replica's
/// lag ago goes to the primary: with a replica 1 ms behind, about the reads
/// of what was written in the last millisecond; with one a minute behind,
/// the reads of everything written since.
///
/// ```no_run
/// # use cache_diesel::Cached;
/// # use diesel::prelude::*;
/// # use serde::{Deserialize, Serialize};
/// # diesel::table! { products (id) { id -> Integer, title -> Text } }
/// # #[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
/// # #[diesel(table_name = products)]
/// # pub struct Product { pub id: i32, pub title: String }
/// # #[cfg(feature = "postgres-system-libpq")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cache_diesel::{Checkout, Replicated};
/// let primary = Checkout(|| PgConnection::establish("postgres://primary/app").map(Box::new));
/// let replica = Checkout(|| PgConnection::establish("postgres://replica/app").map(Box::new));
/// let source = Replicated::new(replica, primary);
/// let product = Product::cache().from_pool(&source).get(7)?;
/// println!("{product:?}; replica reads: {}", source.stats().replica_reads);
/// # Ok(()) }
/// # #[cfg(not(feature = "postgres-system-libpq"))]
/// # fn main() {}
/// ```
///
/// Writes go to the primary as before (through its own connections and the
/// hooks or a tracked connection); [`ConnectionSource::checkout`] of a
/// `Replicated` source is the primary's.
#[derive(Debug)]
pub struct Replicated<R, P> {
    replica: R,
    primary: P,
    counts: Counts,
    /// Per tag key: the last version met and a primary position that
    /// covers every write committed before that version was written.
    positions: Mutex<HashMap<String, (u64, String)>>,
}

#[derive(Debug, Default)]
struct Counts {
    replica_reads: AtomicU64,
    replica_behind: AtomicU64,
    replica_failed: AtomicU64,
}

/// What a [`Replicated`] source's reads did. Every read counted here was a
/// cache miss (hits ask no connection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicaStats {
    /// Reads answered by the replica.
    pub replica_reads: u64,
    /// Reads sent to the primary because the replica had not replayed the
    /// primary's position yet (it lagged).
    pub replica_behind: u64,
    /// Reads sent to the primary because the replica could not be asked
    /// (no connection, or its check failed).
    pub replica_failed: u64,
}

impl<R, P> Replicated<R, P> {
    /// Reads from `replica`, checked against `primary` (each a
    /// [`ConnectionSource`], or an `AsyncConnectionSource` for the async
    /// reads: pools or [`Checkout`](crate::Checkout) closures).
    pub fn new(replica: R, primary: P) -> Self {
        Replicated {
            replica,
            primary,
            counts: Counts::default(),
            positions: Mutex::default(),
        }
    }

    /// The replica's source.
    pub fn replica(&self) -> &R {
        &self.replica
    }

    /// The primary's source.
    pub fn primary(&self) -> &P {
        &self.primary
    }

    /// What its reads did so far (see [`ReplicaStats`]).
    pub fn stats(&self) -> ReplicaStats {
        let c = &self.counts;
        ReplicaStats {
            replica_reads: c.replica_reads.load(Ordering::Relaxed),
            replica_behind: c.replica_behind.load(Ordering::Relaxed),
            replica_failed: c.replica_failed.load(Ordering::Relaxed),
        }
    }

    /// What this source knows of the position the replica must have
    /// replayed for a read whose entry depends on `tags`, now at
    /// `versions` (`None`: they could not be read): the greatest position
    /// known, and the (tag, version) pairs new to it, for which the
    /// primary must be asked (see [`Replicated::remember`]).
    pub(crate) fn known<'t>(
        &self,
        tags: &[&'t str],
        mut versions: Vec<Option<u64>>,
    ) -> (Option<String>, Vec<(&'t str, Option<u64>)>) {
        versions.resize(tags.len(), None);
        let mut greatest: Option<String> = None;
        let mut unknown = Vec::new();
        let known = self.positions.lock().unwrap_or_else(|p| p.into_inner());
        for (tag, version) in tags.iter().zip(versions) {
            match (version, known.get(*tag)) {
                (Some(v), Some((seen, position))) if *seen == v => {
                    greatest = Some(later(greatest, position));
                }
                _ => unknown.push((*tag, version)),
            }
        }
        (greatest, unknown)
    }

    /// Remembers `now`, the primary's position asked after the versions
    /// were read (so covering every write committed before any of them
    /// was written), for the `unknown` pairs; returns the position the
    /// replica must have replayed: the later of `now` and `greatest`.
    pub(crate) fn remember(
        &self,
        greatest: Option<String>,
        unknown: Vec<(&str, Option<u64>)>,
        now: String,
    ) -> String {
        let mut known = self.positions.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() + unknown.len() > REMEMBERED {
            known.clear();
        }
        for (tag, version) in unknown {
            if let Some(v) = version {
                known.insert(tag.to_owned(), (v, now.clone()));
            }
        }
        later(greatest, &now)
    }

    /// Counts a read the replica answered.
    pub(crate) fn answered(&self) {
        self.counts.replica_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a read sent to the primary, and why: `Ok(())` the replica
    /// lagged, `Err` it could not be asked.
    pub(crate) fn to_primary(&self, why: std::result::Result<(), &dyn std::fmt::Display>) {
        match why {
            Ok(()) => {
                self.counts.replica_behind.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("replica behind the primary: read from the primary");
            }
            Err(e) => {
                self.counts.replica_failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "replica unusable: read from the primary");
            }
        }
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "cache_replica_fallbacks_total",
            "why" => if why.is_ok() { "behind" } else { "failed" }
        )
        .increment(1);
    }
}

/// `required` unless it is a position that checks nothing: the primary
/// gave none (MySQL with `gtid_mode = OFF`, MariaDB without a binary log:
/// an empty one), and a replica would pass any check of it.
pub(crate) fn usable(required: Option<&str>) -> std::result::Result<Option<&str>, CheckoutError> {
    match required {
        Some(p) if p.trim().is_empty() => {
            Err("the primary gives no replication position (GTIDs or the binary log off?)".into())
        }
        other => Ok(other),
    }
}

/// A position covering both `a` and `b`, positions of one primary:
/// PostgreSQL's WAL positions (`16/B374D848`) by their order; MariaDB's
/// GTID lists (`0-1-5,1-2-9`) domain by domain; anything else (MySQL's GTID
/// sets) as both (`a,b`, a set's union).
fn later(a: Option<String>, b: &str) -> String {
    let Some(a) = a else {
        return b.to_owned();
    };
    if a == b {
        return a;
    }
    if let (Some(x), Some(y)) = (lsn(&a), lsn(b)) {
        return if x >= y { a } else { b.to_owned() };
    }
    if let (Some(mut x), Some(y)) = (mariadb_gtids(&a), mariadb_gtids(b)) {
        for (domain, server, seq) in y {
            match x.iter_mut().find(|(d, _, _)| *d == domain) {
                Some(mine) if mine.2 >= seq => {}
                Some(mine) => *mine = (domain, server, seq),
                None => x.push((domain, server, seq)),
            }
        }
        let parts: Vec<String> = x.iter().map(|(d, s, n)| format!("{d}-{s}-{n}")).collect();
        return parts.join(",");
    }
    format!("{a},{b}")
}

/// A PostgreSQL WAL position as its number.
fn lsn(position: &str) -> Option<u64> {
    let (high, low) = position.split_once('/')?;
    let hex = |part: &str| {
        (!part.is_empty() && part.len() <= 8)
            .then(|| u64::from_str_radix(part, 16).ok())
            .flatten()
    };
    Some(hex(high)? << 32 | hex(low)?)
}

/// A MariaDB GTID list as (domain, server, sequence) triples.
fn mariadb_gtids(position: &str) -> Option<Vec<(u32, u32, u64)>> {
    position
        .split(',')
        .map(|gtid| {
            let mut parts = gtid.trim().splitn(3, '-');
            Some((
                parts.next()?.parse().ok()?,
                parts.next()?.parse().ok()?,
                parts.next()?.parse().ok()?,
            ))
        })
        .collect()
}

impl Missed<'_> {
    /// Every missed entry's tags, and their settled versions as the shared
    /// store has them now (each entry's read by its own key: a cluster
    /// keeps the tags' copies in the entry's slot); `None` where a version
    /// settles nothing or could not be read.
    pub(crate) fn versions(&self) -> (Vec<&str>, Vec<Option<u64>>) {
        let (mut tags, mut versions) = (Vec::new(), Vec::new());
        for (key, entry_tags) in self.entries {
            let read = self.cache.engine().tag_versions(key, entry_tags);
            versions.extend(read.unwrap_or_else(|_| vec![None; entry_tags.len()]));
            versions.resize(tags.len() + entry_tags.len(), None);
            tags.extend_from_slice(entry_tags);
        }
        (tags, versions)
    }
}

impl<R, P, C> ConnectionSource for Replicated<R, P>
where
    R: ConnectionSource<Connection = C>,
    P: ConnectionSource<Connection = C>,
    C: ReplicaPosition + 'static,
{
    type Connection = C;
    type Checked<'s>
        = P::Checked<'s>
    where
        Self: 's;

    /// The primary's connection.
    fn checkout(&self) -> std::result::Result<Self::Checked<'_>, CheckoutError> {
        self.primary.checkout()
    }

    fn read<T>(
        &self,
        missed: Missed<'_>,
        load: impl FnOnce(&mut C) -> QueryResult<T>,
    ) -> Result<T> {
        let (tags, versions) = missed.versions();
        let (greatest, unknown) = self.known(&tags, versions);
        let mut primary = None;
        let required = if unknown.is_empty() {
            greatest
        } else {
            let conn = primary.insert(self.primary.checkout().map_err(Error::Checkout)?);
            Some(self.remember(greatest, unknown, conn.primary_position()?))
        };
        let on_replica = usable(required.as_deref()).and_then(|required| {
            let mut replica = self.replica.checkout()?;
            let replayed = required.map_or(Ok(true), |p| replica.has_replayed(p))?;
            Ok((replayed, replica))
        });
        match on_replica {
            Ok((true, mut replica)) => {
                self.answered();
                return Ok(load(&mut replica)?);
            }
            Ok((false, _)) => self.to_primary(Ok(())),
            Err(e) => self.to_primary(Err(&e)),
        }
        let mut primary = match primary {
            Some(conn) => conn,
            None => self.primary.checkout().map_err(Error::Checkout)?,
        };
        Ok(load(&mut primary)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_merge_by_their_order() {
        // PostgreSQL: the greater WAL position, compared as numbers.
        assert_eq!(later(Some("0/9".into()), "0/10"), "0/10");
        assert_eq!(later(Some("1/0".into()), "0/FFFFFFFF"), "1/0");
        assert_eq!(later(None, "0/1"), "0/1");
        // MariaDB: domain by domain, the greater sequence number.
        assert_eq!(later(Some("0-1-99".into()), "0-1-100"), "0-1-100");
        assert_eq!(
            later(Some("0-1-7,1-2-9".into()), "1-2-3,2-1-1"),
            "0-1-7,1-2-9,2-1-1"
        );
        // Anything else (MySQL's GTID sets): both, a union.
        assert_eq!(later(Some("u:1-5".into()), "u:1-7"), "u:1-5,u:1-7");
    }

    #[test]
    fn a_position_that_checks_nothing_is_refused() {
        assert!(usable(Some("")).is_err());
        assert!(usable(Some(" \n")).is_err());
        assert_eq!(usable(Some("0-1-5")).unwrap(), Some("0-1-5"));
        assert_eq!(usable(None).unwrap(), None);
    }

    #[cfg(any(feature = "postgres-system-libpq", feature = "mysql"))]
    #[test]
    fn positions_written_into_sql_are_checked() {
        #[cfg(feature = "postgres-system-libpq")]
        {
            assert!(sql::pg_replayed("0/1D744C8").is_ok());
            assert!(sql::pg_replayed("0/1' OR TRUE --").is_err());
            assert!(sql::pg_replayed("1D744C8").is_err());
        }
        #[cfg(feature = "mysql")]
        {
            assert!(sql::mariadb_replayed("0-1-5,1-2-9").is_ok());
            assert!(sql::mysql_replayed("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5").is_ok());
            assert!(sql::mariadb_replayed("0-1-5') OR (1").is_err());
        }
    }
}
