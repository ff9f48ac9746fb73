//! Where a binary log stream starts: a position in the server's log and,
//! on MariaDB, the GTID state there (the same place as every server of a
//! replication topology names it, so a follower resumes on another server
//! after a failover), and the stream opened there.

use super::{DEADLINE, Failure, timely};
use futures_util::StreamExt;
use mysql_async::binlog::events::{Event, EventData};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, BinlogStreamRequest, Conn, Opts};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// A place in the binary log: the file, and the offset just past an
/// event. Files are numbered in order (`name.000042`), so positions
/// compare as pairs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(super) struct Position {
    pub(super) file: String,
    pub(super) offset: u64,
}

impl Position {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (file, offset) = text.rsplit_once(':')?;
        Some(Position {
            file: file.to_owned(),
            offset: offset.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.offset)
    }
}

/// A MariaDB GTID state: for each replication domain, the server id and
/// sequence number of its last transaction (`0-1-42,1-7-3`, as
/// `@@gtid_binlog_pos` writes it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct GtidState(BTreeMap<u32, (u32, u64)>);

impl GtidState {
    /// `None` unless every part is `domain-server-sequence` (an empty
    /// text is the empty state).
    pub(super) fn parse(text: &str) -> Option<Self> {
        let mut state = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut numbers = part.split('-');
            let (Some(domain), Some(server), Some(sequence), None) = (
                numbers.next(),
                numbers.next(),
                numbers.next(),
                numbers.next(),
            ) else {
                return None;
            };
            let domain = domain.parse().ok()?;
            let at = (server.parse().ok()?, sequence.parse().ok()?);
            if state.insert(domain, at).is_some() {
                return None;
            }
        }
        Some(GtidState(state))
    }

    /// The state once the transaction `gtid` is applied.
    pub(super) fn apply(&mut self, gtid: Gtid) {
        self.0.insert(gtid.domain, (gtid.server, gtid.sequence));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for GtidState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (domain, (server, sequence))) in self.0.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(f, "{comma}{domain}-{server}-{sequence}")?;
        }
        Ok(())
    }
}

/// One transaction's MariaDB GTID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gtid {
    pub(super) domain: u32,
    pub(super) server: u32,
    pub(super) sequence: u64,
}

impl Gtid {
    /// The GTID a MariaDB GTID event (`data`: sequence number, 8 bytes,
    /// then domain id, 4, little-endian) of server `server` names.
    pub(super) fn of_event(server: u32, data: &[u8]) -> Option<Gtid> {
        Some(Gtid {
            sequence: u64::from_le_bytes(data.get(..8)?.try_into().ok()?),
            domain: u32::from_le_bytes(data.get(8..12)?.try_into().ok()?),
            server,
        })
    }
}

/// Where a follower resumes, as it is stored in the cache: `file:offset`,
/// then ` gtid=<state>` on MariaDB (a stored text without it, as an
/// earlier version wrote, resumes by position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resume {
    pub(super) at: Position,
    pub(super) gtid: Option<GtidState>,
}

impl Resume {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (at, gtid) = match text.split_once(" gtid=") {
            Some((at, gtid)) => (at, Some(GtidState::parse(gtid)?)),
            None => (text, None),
        };
        Some(Resume {
            at: Position::parse(at)?,
            gtid,
        })
    }

    /// The GTID state to start from, when there is one to start from.
    pub(super) fn by_gtid(&self) -> Option<&GtidState> {
        self.gtid.as_ref().filter(|g| !g.is_empty())
    }
}

impl std::fmt::Display for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.gtid {
            Some(gtid) => write!(f, "{} gtid={gtid}", self.at),
            None => write!(f, "{}", self.at),
        }
    }
}

/// MariaDB's GTID state now (read before the position, it is at or before
/// it); `None` on MySQL.
pub(super) async fn gtid_now(conn: &mut Conn, mariadb: bool) -> Result<Option<GtidState>, Failure> {
    if !mariadb {
        return Ok(None);
    }
    let state: Option<String> = timely(conn.query_first("SELECT @@gtid_binlog_pos")).await?;
    Ok(state.as_deref().and_then(GtidState::parse))
}

/// MariaDB's GTID state at `at` in its log (read once, when a follower
/// resumes from a position stored without one); `None` on MySQL or when
/// the server cannot say.
pub(super) async fn gtid_at(conn: &mut Conn, mariadb: bool, at: &Position) -> Option<GtidState> {
    if !mariadb {
        return None;
    }
    let state: Option<Option<String>> =
        timely(conn.exec_first("SELECT BINLOG_GTID_POS(?, ?)", (&at.file, at.offset)))
            .await
            .ok()?;
    state.flatten().as_deref().and_then(GtidState::parse)
}

/// Where the server's binary log stands now.
pub(super) async fn master_position(conn: &mut Conn) -> Result<Position, Failure> {
    let row: Option<mysql_async::Row> = timely(conn.query_first("SHOW MASTER STATUS")).await?;
    let row = row.ok_or("the server keeps no binary log (log_bin is off)")?;
    let file: Option<String> = row.get_opt(0).and_then(Result::ok);
    let offset: Option<u64> = row.get_opt(1).and_then(Result::ok);
    match (file, offset) {
        (Some(file), Some(offset)) => Ok(Position { file, offset }),
        _ => Err("SHOW MASTER STATUS said no position".into()),
    }
}

/// A replica's stream of the binary log from `from` (by its GTID state
/// when it has one, else by its position), heartbeats each second, and the
/// position it starts at (the server's first event names it).
pub(super) async fn open_stream(
    opts: &Opts,
    from: &Resume,
) -> Result<(BinlogStream, Option<Position>), Failure> {
    let mut conn = timely(Conn::new(opts.clone())).await?;
    // (Nanoseconds: MySQL's and MariaDB's unit for it.)
    timely(conn.query_drop("SET @master_heartbeat_period = 1000000000")).await?;
    // MariaDB: its GTID events as they are (converted for replicas that do
    // not say they read them, which fails on an `XA PREPARE`'s: the
    // stream stopped there). MySQL ignores the variable.
    timely(conn.query_drop("SET @mariadb_slave_capability = 4")).await?;
    // A server id of its own among the replicas (they must differ).
    let server_id = 0x4000_0000
        | (std::process::id() << 8)
        | (SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            & 0xff);
    let request = match from.by_gtid() {
        Some(gtid) => {
            // As a MariaDB replica with `MASTER_USE_GTID`: the server finds
            // the place in its own log (an error if it has not the state's
            // transactions, as after a failover to a server that lacks
            // them: a gap). (The state is digits, dashes and commas.)
            timely(conn.query_drop(format!("SET @slave_connect_state = '{gtid}'"))).await?;
            BinlogStreamRequest::new(server_id)
                .with_filename(b"")
                .with_pos(4u64)
        }
        None => BinlogStreamRequest::new(server_id)
            .with_filename(from.at.file.as_bytes())
            .with_pos(from.at.offset),
    };
    let mut stream = timely(conn.get_binlog_stream(request)).await?;
    // The first event says whether the place is there (a rotate to it) or
    // not (an error).
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Ok(event))) => {
            let at = rotated_to(&event);
            Ok((stream, at))
        }
        Ok(Some(Err(e))) => Err(e.into()),
        Ok(None) => Err("the binary log stream ended at once".into()),
        Err(_) => Err("the binary log stream did not start in time".into()),
    }
}

/// `at` as the server lists its file: the rotate event a stream starts
/// with is read before the stream says it carries checksums, so its name
/// ends with one (the longest file name `SHOW BINARY LOGS` lists that
/// starts it is the file).
pub(super) async fn listed(conn: &mut Conn, at: Position) -> Result<Position, Failure> {
    let files: Vec<mysql_async::Row> = timely(conn.query("SHOW BINARY LOGS")).await?;
    files
        .into_iter()
        .filter_map(|row| row.get_opt::<String, _>(0).and_then(Result::ok))
        .filter(|file| at.file.starts_with(file.as_str()))
        .max_by_key(String::len)
        .map(|file| Position {
            file,
            offset: at.offset,
        })
        .ok_or_else(|| format!("the stream starts in a file the server does not list: {at}").into())
}

/// The position a rotate event names.
fn rotated_to(event: &Event) -> Option<Position> {
    match event.read_data().ok()?? {
        EventData::RotateEvent(rotate) => Some(Position {
            file: rotate.name().into_owned(),
            offset: rotate.position(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_file_then_offset() {
        let p = |t: &str| Position::parse(t).unwrap();
        assert!(p("log.000002:4") > p("log.000001:900"));
        assert!(p("log.000002:400") > p("log.000002:399"));
        assert_eq!(p("a:b:7").file, "a:b");
        assert_eq!(Position::parse("log.000001"), None);
        assert_eq!(p("log.000001:331").to_string(), "log.000001:331");
    }

    #[test]
    fn gtid_states_and_resumes_read_back_what_they_write() {
        let state = GtidState::parse("1-7-3, 0-1-42").unwrap();
        assert_eq!(state.to_string(), "0-1-42,1-7-3");
        assert_eq!(GtidState::parse("").unwrap(), GtidState::default());
        for bad in ["0-1", "0-1-2-3", "a-1-2", "0-1-2,0-3-4", "0--2"] {
            assert_eq!(GtidState::parse(bad), None, "{bad}");
        }
        let mut state = state;
        state.apply(Gtid {
            domain: 0,
            server: 2,
            sequence: 43,
        });
        assert_eq!(state.to_string(), "0-2-43,1-7-3");
        let resume = Resume::parse("bin.000003:1234 gtid=0-2-43,1-7-3").unwrap();
        assert_eq!(resume.at, Position::parse("bin.000003:1234").unwrap());
        assert_eq!(resume.gtid, Some(state));
        assert_eq!(resume.to_string(), "bin.000003:1234 gtid=0-2-43,1-7-3");
        // Stored by an earlier version: by position.
        let old = Resume::parse("bin.000003:1234").unwrap();
        assert_eq!(
            (old.to_string(), old.gtid),
            ("bin.000003:1234".into(), None)
        );
        assert_eq!(Resume::parse("bin.000003:1234 gtid=x"), None);
        let empty = Resume::parse("bin.000003:4 gtid=").unwrap();
        assert_eq!(empty.by_gtid(), None, "an empty state starts by position");
    }

    #[test]
    fn a_gtid_event_names_its_domain_and_sequence() {
        let mut data = 42u64.to_le_bytes().to_vec();
        data.extend(7u32.to_le_bytes());
        data.push(0);
        assert_eq!(
            Gtid::of_event(3, &data),
            Some(Gtid {
                domain: 7,
                server: 3,
                sequence: 42
            })
        );
        assert_eq!(Gtid::of_event(3, &data[..11]), None);
    }
}
