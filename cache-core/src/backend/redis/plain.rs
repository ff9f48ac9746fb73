//! The connection for plain `redis://` URLs (TCP, RESP2): a socket and one
//! reusable read buffer.
//!
//! Why not redis-rs's own `Connection`: every hit is one `MGET`, and
//! redis-rs's parser (combine) cost two thirds of a whole hit's instructions
//! reading its four values, and zeroes an 8 KiB buffer on every reply
//! (callgrind; BENCHMARKS.md). Here a reply is framed by [`resp::frame`] and
//! the `MGET` values are copied straight out of the buffer. Every other
//! reply goes to redis-rs's parser once framed, and commands are still
//! redis-rs's `Cmd`s and scripts through [`redis::ConnectionLike`], so only
//! the transport is ours. `rediss://` and RESP3 URLs keep redis-rs's
//! connection.

use super::resp::{self, Frame};
use bytes::Bytes;
use redis::{ConnectionLike, RedisResult, Value};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::time::Duration;

/// The read buffer's usual size; it grows for a longer reply and shrinks
/// back after one over [`KEEP_AT_MOST`].
const BUFFER: usize = 16 * 1024;
const KEEP_AT_MOST: usize = 1024 * 1024;

/// A plain TCP connection speaking RESP2.
pub(super) struct PlainConn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    db: i64,
    /// False after an I/O or protocol error: the pool drops the connection.
    open: bool,
}

/// Where and how to connect.
pub(super) struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub settings: &'a redis::RedisConnectionInfo,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
}

impl PlainConn {
    /// Connects, authenticates and selects the database.
    pub(super) fn connect(target: &Target<'_>) -> RedisResult<Self> {
        let mut last_error = None;
        let mut stream = None;
        for addr in (target.host, target.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, target.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let stream = match (stream, last_error) {
            (Some(stream), _) => stream,
            (None, Some(e)) => return Err(e.into()),
            (None, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} resolves to no address", target.host),
                )
                .into());
            }
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(target.response_timeout))?;
        stream.set_write_timeout(Some(target.response_timeout))?;
        let settings = target.settings;
        let mut conn = PlainConn {
            stream,
            buf: vec![0; BUFFER],
            start: 0,
            end: 0,
            db: settings.db(),
            open: true,
        };
        if let Some(password) = settings.password() {
            let mut auth = redis::cmd("AUTH");
            if let Some(username) = settings.username() {
                auth.arg(username);
            }
            auth.arg(password).query::<()>(&mut conn)?;
        }
        if settings.db() != 0 {
            redis::cmd("SELECT")
                .arg(settings.db())
                .query::<()>(&mut conn)?;
        }
        Ok(conn)
    }

    /// Sends a packed `MGET` of `n` keys and reads its values.
    pub(super) fn mget(&mut self, packed: &[u8], n: usize) -> RedisResult<Vec<Option<Bytes>>> {
        self.send(packed)?;
        let range = self.read_frame()?;
        match resp::mget_values(&self.buf[range.clone()], n) {
            Some(values) => Ok(values),
            None => super::mget_reply(self.value(range)?.extract_error()?, n),
        }
    }

    fn send(&mut self, packed: &[u8]) -> RedisResult<()> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
            if self.buf.len() > KEEP_AT_MOST {
                self.buf = vec![0; BUFFER];
            }
        }
        let written = self.stream.write_all(packed);
        self.check(written)
    }

    /// Reads until a whole reply is buffered; returns where it is.
    fn read_frame(&mut self) -> RedisResult<Range<usize>> {
        let read = self.read_frame_io();
        self.check(read)
    }

    fn read_frame_io(&mut self) -> io::Result<Range<usize>> {
        loop {
            match resp::frame(&self.buf[self.start..self.end])? {
                Frame::Complete(len) => {
                    let range = self.start..self.start + len;
                    self.start += len;
                    return Ok(range);
                }
                Frame::Incomplete(need) => self.fill(need)?,
            }
        }
    }

    /// Reads until `buf[start..]` holds at least `need` bytes.
    fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.start + need > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
            if need > self.buf.len() {
                self.buf.resize(need.max(2 * self.buf.len()), 0);
            }
        }
        while self.end - self.start < need {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A framed reply as a redis-rs value.
    fn value(&mut self, range: Range<usize>) -> RedisResult<Value> {
        let value = redis::parse_redis_value(&self.buf[range]);
        if value.is_err() {
            self.open = false;
        }
        value
    }

    fn check<T>(&mut self, result: io::Result<T>) -> RedisResult<T> {
        result.map_err(|e| {
            self.open = false;
            e.into()
        })
    }
}

impl ConnectionLike for PlainConn {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        self.send(cmd)?;
        let range = self.read_frame()?;
        self.value(range)
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        self.send(cmd)?;
        for _ in 0..offset {
            self.read_frame()?;
        }
        (0..count)
            .map(|_| {
                let range = self.read_frame()?;
                self.value(range)
            })
            .collect()
    }

    fn get_db(&self) -> i64 {
        self.db
    }

    fn check_connection(&mut self) -> bool {
        redis::cmd("PING").query::<String>(self).is_ok()
    }

    fn is_open(&self) -> bool {
        self.open
    }
}
