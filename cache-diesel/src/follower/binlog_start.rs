//! Where a binary log stream starts: a position in the server's log, and
//! the stream opened there.

use super::mysql::{DEADLINE, Failure, timely};
use futures_util::StreamExt;
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, BinlogStreamRequest, Conn, Opts};
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

/// A replica's stream of the binary log from `at`, heartbeats each second.
pub(super) async fn open_stream(opts: &Opts, at: &Position) -> Result<BinlogStream, Failure> {
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
    let request = BinlogStreamRequest::new(server_id)
        .with_filename(at.file.as_bytes())
        .with_pos(at.offset);
    let mut stream = timely(conn.get_binlog_stream(request)).await?;
    // The first event says whether the position is there (a rotate to
    // it) or not (an error).
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Ok(_))) => Ok(stream),
        Ok(Some(Err(e))) => Err(e.into()),
        Ok(None) => Err("the binary log stream ended at once".into()),
        Err(_) => Err("the binary log stream did not start in time".into()),
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
}
