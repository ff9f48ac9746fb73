//! The slot read over PostgreSQL's streaming replication protocol
//! (`START_REPLICATION .. LOGICAL`, a replication connection through
//! libpq, which the `postgres` feature links already): changes arrive as
//! they are committed, decoded once, where the SQL interface
//! (`pg_logical_slot_peek_binary_changes`) decodes, at every call, the
//! WAL from the slot's restart position on, which PostgreSQL moves only
//! every 15 seconds or so: a change waits tens to hundreds of
//! milliseconds for its bumps over the SQL interface (BENCHMARKS.md,
//! `design.follower_sql_interface_lag`).
//!
//! No crate fits: `tokio-postgres` has no replication connections, and
//! the replication crates bring a runtime and a second client library. So
//! this is libpq's copy API, in a few calls, behind a safe type: a
//! connection owned by one value, freed on drop; every buffer libpq hands
//! out freed with `PQfreemem`; non-blocking reads.
//!
//! The protocol: <https://www.postgresql.org/docs/current/protocol-replication.html>.

use pq_sys::*;
use std::ffi::{CStr, CString};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

/// What the server sent.
#[derive(Debug)]
pub(crate) enum Received {
    /// A pgoutput message (`XLogData`'s payload).
    Data(Vec<u8>),
    /// A keepalive: the server has sent everything before `wal_end`;
    /// it wants a status update now if `reply`.
    Keepalive { wal_end: u64, reply: bool },
}

/// A replication connection streaming one slot.
pub(crate) struct Stream {
    conn: *mut PGconn,
}

// The connection is used by one thread at a time (it moves with the
// follower's loop).
unsafe impl Send for Stream {}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: `conn` came from `PQconnectdb` and is finished once.
        unsafe { PQfinish(self.conn) };
    }
}

fn error_of(conn: *const PGconn) -> String {
    // SAFETY: libpq returns a NUL-terminated message owned by `conn`.
    unsafe { CStr::from_ptr(PQerrorMessage(conn)) }
        .to_string_lossy()
        .trim()
        .to_owned()
}

/// A quoted string literal of the replication grammar.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Stream {
    /// Connects to `url` as a replication connection and starts streaming
    /// `slot` (from its confirmed position) with `publication`.
    pub(crate) fn start(url: &str, slot: &str, publication: &str) -> Result<Stream, String> {
        let sep = if url.contains('?') { '&' } else { '?' };
        let conninfo = CString::new(format!("{url}{sep}replication=database"))
            .map_err(|_| "a database URL holding a NUL".to_owned())?;
        // SAFETY: a valid C string; the connection is owned by `Stream`
        // from here on (and finished by its drop, even when it failed).
        let stream = Stream {
            conn: unsafe { PQconnectdb(conninfo.as_ptr()) },
        };
        if stream.conn.is_null() {
            return Err("libpq could not allocate a connection".into());
        }
        // SAFETY: a live connection.
        if unsafe { PQstatus(stream.conn) } != ConnStatusType::CONNECTION_OK {
            return Err(error_of(stream.conn));
        }
        let command = format!(
            "START_REPLICATION SLOT \"{}\" LOGICAL 0/0 (proto_version '1', publication_names {})",
            slot.replace('"', "\"\""),
            literal(&format!("\"{}\"", publication.replace('"', "\"\"")))
        );
        let command = CString::new(command).map_err(|_| "a name holding a NUL".to_owned())?;
        // SAFETY: a live connection and a C string; the result is cleared.
        unsafe {
            let result = PQexec(stream.conn, command.as_ptr());
            let status = PQresultStatus(result);
            PQclear(result);
            if status != ExecStatusType::PGRES_COPY_BOTH {
                return Err(error_of(stream.conn));
            }
            if PQsetnonblocking(stream.conn, 1) != 0 {
                return Err(error_of(stream.conn));
            }
        }
        Ok(stream)
    }

    /// The next message if one has arrived (`Ok(None)`: none yet).
    pub(crate) fn try_next(&mut self) -> Result<Option<Received>, String> {
        let mut buffer: *mut std::os::raw::c_char = std::ptr::null_mut();
        // SAFETY: a live connection; a buffer libpq allocates is copied
        // and freed before it is dropped.
        let bytes = unsafe {
            if PQconsumeInput(self.conn) == 0 {
                return Err(error_of(self.conn));
            }
            let n = PQgetCopyData(self.conn, &mut buffer, 1);
            match n {
                0 => return Ok(None),
                -1 => return Err(format!("the stream ended: {}", self.ending())),
                n if n < 0 => return Err(error_of(self.conn)),
                n => {
                    let copy = std::slice::from_raw_parts(buffer as *const u8, n as usize).to_vec();
                    PQfreemem(buffer.cast());
                    copy
                }
            }
        };
        parse(&bytes).map(Some)
    }

    /// Why the server ended the stream: the error of the copy's result.
    fn ending(&mut self) -> String {
        let mut why = String::new();
        // SAFETY: a live connection; each result is read, then cleared.
        unsafe {
            loop {
                let result = PQgetResult(self.conn);
                if result.is_null() {
                    break;
                }
                let message = CStr::from_ptr(PQresultErrorMessage(result))
                    .to_string_lossy()
                    .trim()
                    .to_owned();
                PQclear(result);
                if !message.is_empty() {
                    why = message;
                }
            }
        }
        if why.is_empty() {
            error_of(self.conn)
        } else {
            why
        }
    }

    /// Waits until the connection has something to read, at most
    /// `timeout` (a signal or an error: it returns early, and the next
    /// read says).
    pub(crate) fn wait(&self, timeout: Duration) {
        // SAFETY: a live connection's socket, polled for input.
        unsafe {
            let fd = PQsocket(self.conn);
            if fd < 0 {
                return;
            }
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            libc::poll(&mut poll, 1, timeout.as_millis().min(60_000) as libc::c_int);
        }
    }

    /// Tells the server everything up to `flushed` is applied (the slot's
    /// confirmed position moves there); asks for a keepalive if `reply`.
    pub(crate) fn confirm(&mut self, flushed: u64, reply: bool) -> Result<(), String> {
        let mut message = Vec::with_capacity(34);
        message.push(b'r');
        for position in [flushed, flushed, flushed] {
            message.extend(position.to_be_bytes());
        }
        message.extend(pg_now().to_be_bytes());
        message.push(u8::from(reply));
        // SAFETY: a live connection and a buffer of the length given.
        unsafe {
            if PQputCopyData(self.conn, message.as_ptr().cast(), message.len() as i32) != 1 {
                return Err(error_of(self.conn));
            }
            // Non-blocking: a flush that could not finish goes on at the
            // next call.
            if PQflush(self.conn) < 0 {
                return Err(error_of(self.conn));
            }
        }
        Ok(())
    }
}

/// Now, in microseconds since 2000-01-01.
fn pg_now() -> i64 {
    let us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros() as i64;
    us - PG_EPOCH_US
}

/// A copy message of the stream.
fn parse(bytes: &[u8]) -> Result<Received, String> {
    let u64_at = |at: usize| {
        bytes
            .get(at..at + 8)
            .map(|b| u64::from_be_bytes(b.try_into().expect("8")))
            .ok_or_else(|| format!("a stream message of {} bytes", bytes.len()))
    };
    match bytes.first() {
        // XLogData: start, end, send time, then the message.
        Some(b'w') if bytes.len() >= 25 => Ok(Received::Data(bytes[25..].to_vec())),
        // Primary keepalive: WAL end, send time, reply requested.
        Some(b'k') if bytes.len() >= 18 => Ok(Received::Keepalive {
            wal_end: u64_at(1)?,
            reply: bytes[17] == 1,
        }),
        _ => Err(format!(
            "a stream message of {} bytes not understood",
            bytes.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_keepalives_are_read_and_others_refused() {
        let mut w = vec![b'w'];
        w.extend([0u8; 24]);
        w.extend(b"B..");
        assert!(matches!(parse(&w), Ok(Received::Data(d)) if d == b"B.."));
        let mut k = vec![b'k'];
        k.extend(42u64.to_be_bytes());
        k.extend(0i64.to_be_bytes());
        k.push(1);
        assert!(matches!(
            parse(&k),
            Ok(Received::Keepalive {
                wal_end: 42,
                reply: true
            })
        ));
        assert!(parse(&k[..10]).is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"x123").is_err());
    }
}
