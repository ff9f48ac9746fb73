//! The async hit path's own connection: a tokio TCP stream speaking RESP2
//! with the sync transport's framing (`resp.rs`), the reply read by the
//! task that asked (no I/O task in between, as redis-rs's multiplexed
//! connection has: a hit through it cost 1.3x to 1.7x a sync hit, see
//! BENCHMARKS.md). Used for `MGET`s only; every other command goes
//! through the multiplexed connection.

use super::resp::{self, Frame, Framer};
use bytes::Bytes;
use redis::{RedisConnectionInfo, RedisResult, Value};
use std::io;
use std::ops::Range;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The read buffer's first size, and the largest one kept between requests.
const BUFFER: usize = 16 * 1024;
const KEEP_AT_MOST: usize = 1024 * 1024;

/// One connection. It is only returned to its pool after a whole reply
/// was read, so a request cancelled halfway (its future dropped) drops it.
pub(super) struct AsyncPlain {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// When it was last put back in its pool.
    returned: std::time::Instant,
}

impl AsyncPlain {
    /// Connects, authenticates and selects the database (the caller bounds
    /// the time).
    pub(super) async fn connect(
        host: &str,
        port: u16,
        settings: &RedisConnectionInfo,
    ) -> RedisResult<Self> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        let mut conn = AsyncPlain {
            stream,
            buf: vec![0; BUFFER],
            start: 0,
            end: 0,
            returned: std::time::Instant::now(),
        };
        if let Some(password) = settings.password() {
            let mut auth = redis::cmd("AUTH");
            auth.arg(settings.username()).arg(password);
            conn.command(&auth.get_packed_command()).await?;
        }
        if settings.db() != 0 {
            let mut select = redis::cmd("SELECT");
            select.arg(settings.db());
            conn.command(&select.get_packed_command()).await?;
        }
        Ok(conn)
    }

    /// Sends a packed `MGET` of `n` keys and reads its values; with
    /// `guarded`, `packed` ends with a hit's guard (`guard.rs`), whose
    /// error reply fails the read.
    pub(super) async fn mget(
        &mut self,
        packed: &[u8],
        n: usize,
        guarded: bool,
    ) -> RedisResult<Vec<Option<Bytes>>> {
        let range = self.request(packed).await?;
        let values = match resp::mget_values(&self.buf[range.clone()], n) {
            Some(values) => Ok(values),
            None => self
                .value(range)
                .and_then(|v| super::commands::mget_reply(v.extract_error()?, n)),
        };
        if guarded {
            // Read even after an error, so no reply is left unread.
            let range = self.read_reply().await?;
            self.value(range)?.extract_error()?;
        }
        values
    }

    /// Marks it returned to its pool now.
    pub(super) fn returned(&mut self) {
        self.returned = std::time::Instant::now();
    }

    /// Whether it is usable: unless it sat idle a while (see `pool.rs`),
    /// taken as it is; else a look at its socket that does not wait says
    /// whether the server closed it (or sent bytes nobody asked for).
    pub(super) fn is_alive(&self) -> bool {
        if self.start != self.end {
            return false;
        }
        if self.returned.elapsed() < super::pool::IDLE_CHECK {
            return true;
        }
        let mut byte = [0u8; 1];
        let mut buf = tokio::io::ReadBuf::new(&mut byte);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match self.stream.poll_peek(&mut cx, &mut buf) {
            std::task::Poll::Pending => true,
            std::task::Poll::Ready(Ok(_) | Err(_)) => false,
        }
    }

    /// Sends `count` packed commands and reads their replies.
    pub(super) async fn replies(&mut self, packed: &[u8], count: usize) -> RedisResult<Vec<Value>> {
        let mut values = Vec::with_capacity(count);
        let range = self.request(packed).await?;
        values.push(self.value(range)?);
        while values.len() < count {
            let range = self.read_reply().await?;
            values.push(self.value(range)?);
        }
        Ok(values)
    }

    /// A command whose reply only matters as success or error.
    async fn command(&mut self, packed: &[u8]) -> RedisResult<()> {
        let range = self.request(packed).await?;
        self.value(range)?.extract_error().map(drop)
    }

    /// Sends `packed` and reads one whole reply; returns where it is.
    async fn request(&mut self, packed: &[u8]) -> io::Result<Range<usize>> {
        if self.start != self.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unread reply bytes on a Redis connection",
            ));
        }
        (self.start, self.end) = (0, 0);
        if self.buf.len() > KEEP_AT_MOST {
            self.buf = vec![0; BUFFER];
        }
        self.stream.write_all(packed).await?;
        self.read_reply().await
    }

    /// Reads the next whole reply; returns where it is.
    async fn read_reply(&mut self) -> io::Result<Range<usize>> {
        let mut framer = Framer::new();
        loop {
            match framer.advance(&self.buf[self.start..self.end])? {
                Frame::Complete(len) => {
                    let range = self.start..self.start + len;
                    self.start += len;
                    return Ok(range);
                }
                Frame::Incomplete(need) => {
                    // The buffer doubles when full (see `PlainConn::fill`).
                    while self.end - self.start < need {
                        if self.end == self.buf.len() {
                            self.buf.resize(2 * self.buf.len(), 0);
                        }
                        match self.stream.read(&mut self.buf[self.end..]).await? {
                            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                            n => self.end += n,
                        }
                    }
                }
            }
        }
    }

    /// A framed reply as a redis-rs value.
    fn value(&self, range: Range<usize>) -> RedisResult<Value> {
        redis::parse_redis_value(&self.buf[range])
    }
}
