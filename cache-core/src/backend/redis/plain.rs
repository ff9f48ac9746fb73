//! The connection for plain `redis://` URLs (TCP, RESP2): a socket and one
//! reusable read buffer.
//!
//! Why not redis-rs's own `Connection`: every hit is one `MGET`, and
//! redis-rs's parser (combine) cost two thirds of a whole hit's instructions
//! reading its four values, and zeroes an 8 KiB buffer on every reply
//! (callgrind; BENCHMARKS.md). Here a reply is framed by a [`Framer`] (in
//! time linear in its length, however it arrives) and the `MGET` values are
//! copied straight out of the buffer. Every other reply goes to redis-rs's
//! parser once framed, and commands are still redis-rs's `Cmd`s and
//! scripts through [`redis::ConnectionLike`], so only the transport is
//! ours. `rediss://` and RESP3 URLs keep redis-rs's connection.
//!
//! The response timeout bounds a request as a whole (writing it and reading
//! every byte of its replies), not each read: a server that dribbles a
//! reply a byte at a time is cut off like one that sends nothing.

use super::resp::{self, Frame, Framer};
use bytes::Bytes;
use redis::{ConnectionLike, ErrorKind, RedisError, RedisResult, ServerErrorKind, Value};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::time::{Duration, Instant};

/// The read buffer's usual size; it grows for a longer reply and shrinks
/// back after one over [`KEEP_AT_MOST`].
const BUFFER: usize = 16 * 1024;
const KEEP_AT_MOST: usize = 1024 * 1024;

/// At most this many replies owed ([`PlainConn::send_unanswered`]) before
/// they are read.
const MAX_OWED: usize = 64;

/// A socket timeout within this of the time left before the deadline is
/// left as it is (setting it is a system call, and a hit's single read
/// should not pay for one): the deadline is overrun by at most this much.
const SLACK: Duration = Duration::from_millis(1);

/// A plain TCP connection speaking RESP2.
pub(super) struct PlainConn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// Where the reply at `start` has been framed to.
    framer: Framer,
    response_timeout: Duration,
    /// When the request being answered must be answered in full.
    deadline: Instant,
    /// The socket's timeouts as last set.
    read_timeout: Duration,
    write_timeout: Duration,
    /// Reads made (tests of the buffer's growth).
    #[cfg(test)]
    reads: usize,
    db: i64,
    /// False after an I/O or protocol error: the pool drops the connection.
    open: bool,
    /// Replies to requests sent without waiting ([`PlainConn::send_unanswered`]),
    /// read and dropped before the next request.
    owed: usize,
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
            framer: Framer::new(),
            response_timeout: target.response_timeout,
            deadline: Instant::now(),
            read_timeout: target.response_timeout,
            write_timeout: target.response_timeout,
            #[cfg(test)]
            reads: 0,
            db: settings.db(),
            open: true,
            owed: 0,
        };
        if let Some(password) = settings.password() {
            conn.authenticate(settings.username(), password)?;
        }
        if settings.db() != 0 {
            redis::cmd("SELECT")
                .arg(settings.db())
                .query::<()>(&mut conn)?;
        }
        Ok(conn)
    }

    /// `AUTH`; like redis-rs, again without the user name when the server
    /// (before Redis 6) takes only a password.
    fn authenticate(&mut self, username: Option<&str>, password: &str) -> RedisResult<()> {
        let auth = |conn: &mut Self, username: Option<&str>| {
            let mut auth = redis::cmd("AUTH");
            auth.arg(username).arg(password);
            auth.query::<()>(conn)
        };
        match (auth(self, username), username) {
            (Err(e), Some(_)) if e.to_string().contains("wrong number of arguments") => {
                auth(self, None)
            }
            (result, _) => result,
        }
    }

    /// Sends a packed `MGET` of `n` keys and reads its values; with
    /// `guarded`, `packed` ends with a hit's guard (`guard.rs`), whose
    /// error reply fails the read.
    pub(super) fn mget(
        &mut self,
        packed: &[u8],
        n: usize,
        guarded: bool,
    ) -> RedisResult<Vec<Option<Bytes>>> {
        self.send(packed)?;
        let range = self.read_frame()?;
        let values = match resp::mget_values(&self.buf[range.clone()], n) {
            Some(values) => Ok(values),
            None => self
                .value(range)
                .and_then(|v| super::commands::mget_reply(v.extract_error()?, n)),
        };
        if guarded {
            // Read even after an error, so no reply is left unread.
            let range = self.read_frame_io_checked()?;
            self.value(range)?.extract_error()?;
        }
        values
    }

    /// Whether the connection still works, by a look at its socket that
    /// does not wait (for one idle in the pool a while, see `pool.rs`):
    /// not if the server closed it (end of file, a reset) or sent bytes
    /// nobody asked for (but replies owed may have come).
    pub(super) fn is_alive(&mut self) -> bool {
        if !self.open || self.start != self.end {
            return false;
        }
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let peeked = self.stream.peek(&mut [0u8; 1]);
        if self.stream.set_nonblocking(false).is_err() {
            return false;
        }
        match peeked {
            Ok(0) => false,
            Ok(_) => self.owed > 0,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        }
    }

    /// Sends `packed`, `replies` commands, without waiting for their
    /// replies: they are read, and dropped, ahead of the reply to the
    /// connection's next request, which is sent at once behind them (Redis
    /// answers in order), so that nobody waits for them. A reply that is
    /// an error is logged then; the caller learns only that the request was
    /// written (a fill's lease is released by the same requests, so nothing
    /// waits on it meanwhile).
    pub(super) fn send_unanswered(&mut self, packed: &[u8], replies: usize) -> RedisResult<()> {
        if self.owed >= MAX_OWED {
            // A connection used for nothing but these: read them now.
            self.deadline = Instant::now() + self.response_timeout;
            self.read_owed()?;
        }
        self.send(packed)?;
        self.owed += replies;
        Ok(())
    }

    /// Reads and drops the replies owed (within the current deadline).
    fn read_owed(&mut self) -> RedisResult<()> {
        while self.owed > 0 {
            let range = self.read_frame_io_checked()?;
            self.owed -= 1;
            if let Value::ServerError(e) = self.value(range)? {
                tracing::warn!(error = ?e, "a cache write sent without waiting failed");
            }
        }
        Ok(())
    }

    /// Reads until the reply to the request sent last is buffered (after
    /// the replies owed); returns where it is.
    fn read_frame(&mut self) -> RedisResult<Range<usize>> {
        if self.owed > 0 {
            self.read_owed()?;
        }
        self.read_frame_io_checked()
    }

    fn send(&mut self, packed: &[u8]) -> RedisResult<()> {
        if self.start != self.end {
            // A RESP2 server sends nothing unasked: these are the rest of a
            // reply nobody read, and would be taken for the next one.
            self.open = false;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unread reply bytes on a Redis connection",
            )
            .into());
        }
        (self.start, self.end) = (0, 0);
        if self.buf.len() > KEEP_AT_MOST {
            self.buf = vec![0; BUFFER];
        }
        let now = Instant::now();
        self.deadline = now + self.response_timeout;
        let written = self.write_all(packed, now);
        self.check(written)
    }

    /// Writes all of `data` before the deadline (`now` is the time).
    fn write_all(&mut self, mut data: &[u8], now: Instant) -> io::Result<()> {
        let mut now = Some(now);
        while !data.is_empty() {
            let left = self.time_left(now.take().unwrap_or_else(Instant::now))?;
            if far_apart(self.write_timeout, left) {
                self.stream.set_write_timeout(Some(left))?;
                self.write_timeout = left;
            }
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(e) if retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// What is left before the deadline at `now`; a timeout error if
    /// nothing is.
    fn time_left(&self, now: Instant) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "Redis did not answer in full within {:?}",
                    self.response_timeout
                ),
            ));
        }
        Ok(left)
    }

    /// Reads until a whole reply is buffered; returns where it is. The
    /// connection counts as broken until it has (whatever interrupts it).
    fn read_frame_io_checked(&mut self) -> RedisResult<Range<usize>> {
        self.open = false;
        let read = self.read_frame_io();
        self.open = read.is_ok();
        Ok(read?)
    }

    fn read_frame_io(&mut self) -> io::Result<Range<usize>> {
        self.framer = Framer::new();
        loop {
            match self.framer.advance(&self.buf[self.start..self.end])? {
                Frame::Complete(len) => {
                    let range = self.start..self.start + len;
                    self.start += len;
                    return Ok(range);
                }
                Frame::Incomplete(need) => self.fill(need)?,
            }
        }
    }

    /// Reads until `buf[start..]` holds at least `need` bytes, or the
    /// deadline passes. The buffer doubles when full: geometric growth
    /// keeps a long reply's copying linear, and since a full buffer holds
    /// only bytes that arrived, it never gets ahead of them by more than
    /// its size (a length is the server's word, not memory to set aside).
    fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.start > 0 && need > self.buf.len() - self.start {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        while self.end - self.start < need {
            if self.end == self.buf.len() {
                self.buf.resize(2 * self.buf.len(), 0);
            }
            self.read_some()?;
        }
        Ok(())
    }

    /// One read into the free end of the buffer, with the socket's timeout
    /// set to what is left before the deadline.
    fn read_some(&mut self) -> io::Result<()> {
        loop {
            let left = self.time_left(Instant::now())?;
            if far_apart(self.read_timeout, left) {
                self.stream.set_read_timeout(Some(left))?;
                self.read_timeout = left;
            }
            #[cfg(test)]
            {
                self.reads += 1;
            }
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
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

/// True when a socket timeout of `set` should be changed to `left`.
fn far_apart(set: Duration, left: Duration) -> bool {
    set > left + SLACK || left > set + SLACK
}

/// True for an error after which the call is simply made again: an
/// interruption, or a socket timeout that expired before the deadline
/// (within [`SLACK`], or coarser than it); [`PlainConn::time_left`] then
/// says whether time is left.
fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
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
        // The first `offset` replies are a transaction's MULTI and QUEUED
        // ones: an error among them aborts it (as in redis-rs).
        let mut queued_errors = Vec::new();
        for i in 0..offset {
            let range = self.read_frame()?;
            if let Value::ServerError(e) = self.value(range)? {
                queued_errors.push(format!("command {}: {e:?}", i.saturating_sub(1)));
            }
        }
        let replies = (0..count)
            .map(|_| {
                let range = self.read_frame()?;
                self.value(range)
            })
            .collect::<RedisResult<Vec<Value>>>()?;
        if queued_errors.is_empty() {
            Ok(replies)
        } else {
            Err(RedisError::from((
                ErrorKind::Server(ServerErrorKind::ExecAbort),
                "Transaction aborted",
                queued_errors.join("; "),
            )))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connection to a fake server that answers every request with the
    /// next of `replies` (raw bytes, sent as they are).
    fn fake(replies: &'static [&'static [u8]]) -> PlainConn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            for reply in replies {
                if matches!(socket.read(&mut request), Ok(0) | Err(_)) {
                    return;
                }
                socket.write_all(reply).unwrap();
            }
            while matches!(socket.read(&mut request), Ok(n) if n > 0) {}
        });
        PlainConn::connect(&Target {
            host: "127.0.0.1",
            port,
            settings: &redis::RedisConnectionInfo::default(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_millis(300),
        })
        .unwrap()
    }

    #[test]
    fn a_huge_announced_length_is_no_allocation_and_no_panic() {
        let mut conn = fake(&[b"$9999999999999999999\r\nabc"]);
        let err = redis::cmd("GET")
            .arg("k")
            .query::<Vec<u8>>(&mut conn)
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        assert!(!conn.is_open());
        assert!(conn.buf.len() <= BUFFER);
    }

    #[test]
    fn bytes_nobody_asked_for_break_the_connection() {
        let mut conn = fake(&[b"+OK\r\n:7\r\n", b":8\r\n"]);
        assert_eq!(redis::cmd("SET").query::<String>(&mut conn).unwrap(), "OK");
        assert!(conn.is_open());
        // Not the stray `:7` taken for this command's reply.
        let err = redis::cmd("INCR").query::<i64>(&mut conn).unwrap_err();
        assert!(err.is_io_error(), "{err}");
        assert!(!conn.is_open());
    }

    #[test]
    fn replies_not_waited_for_are_read_by_the_next_request_not_taken_for_its_reply() {
        // A fill and a lease release, then a GET sent behind them at once:
        // the fill's reply is an error (logged), the GET's is its own.
        let mut conn = fake(&[b"-OOM command not allowed\r\n:1\r\n$1\r\nx\r\n"]);
        let mut pipe = redis::pipe();
        pipe.cmd("SET").arg("k").arg("v").cmd("DEL").arg("lease");
        conn.send_unanswered(&pipe.get_packed_pipeline(), 2)
            .unwrap();
        assert_eq!(conn.owed, 2);
        let got: Vec<u8> = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
        assert_eq!(got, b"x");
        assert_eq!(conn.owed, 0);
        assert!(conn.is_open());
    }

    #[test]
    fn replies_owed_that_never_come_time_the_next_request_out() {
        let mut conn = fake(&[]);
        conn.send_unanswered(b"*1\r\n$4\r\nPING\r\n", 1).unwrap();
        let err = redis::cmd("GET")
            .arg("k")
            .query::<Option<Vec<u8>>>(&mut conn)
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        assert!(!conn.is_open());
    }

    #[test]
    fn a_reply_longer_than_the_buffer_grows_it_and_then_shrinks_it() {
        const BIG: usize = KEEP_AT_MOST + 10;
        static REPLY: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
            let mut reply = format!("*2\r\n${BIG}\r\n").into_bytes();
            reply.extend(std::iter::repeat_n(b'x', BIG));
            reply.extend_from_slice(b"\r\n$-1\r\n");
            reply
        });
        let mut conn = fake(Box::leak(Box::new([REPLY.as_slice(), b"+PONG\r\n"])));
        let values = conn.mget(&resp::pack_mget(&["a", "b"]), 2, false).unwrap();
        assert_eq!(values[0].as_ref().map(Bytes::len), Some(BIG));
        assert_eq!(values[1], None);
        assert_eq!(
            redis::cmd("PING").query::<String>(&mut conn).unwrap(),
            "PONG"
        );
        assert_eq!(conn.buf.len(), BUFFER);
    }

    #[test]
    fn a_long_reply_of_small_values_is_read_in_few_reads() {
        // 2 MB of small values, sent at once: the buffer grows by doubling,
        // so every read fills a large free space (the old growth, to one
        // byte past what it held, made each read past 16 KiB get one byte).
        const N: usize = 200_000;
        static REPLY: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
            let mut reply = format!("*{N}\r\n").into_bytes();
            for i in 0..N {
                reply.extend_from_slice(format!("$5\r\n{:05}\r\n", i % 100_000).as_bytes());
            }
            reply
        });
        let mut conn = fake(Box::leak(Box::new([REPLY.as_slice()])));
        // (The fake server answers any request: a short one will do.)
        let values = conn.mget(&resp::pack_mget(&["k"]), N, false).unwrap();
        assert_eq!(values.len(), N);
        assert_eq!(values[12_345].as_deref(), Some(&b"12345"[..]));
        assert!(
            conn.reads < REPLY.len() / 1000,
            "{} reads for {} bytes",
            conn.reads,
            REPLY.len()
        );
        assert!(conn.buf.len() <= 2 * REPLY.len());
    }

    #[test]
    fn an_error_queued_in_a_transaction_aborts_it() {
        let mut conn = fake(&[
            b"+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCHCMD'\r\n-EXECABORT Transaction discarded\r\n",
        ]);
        let err = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg("k")
            .arg(1)
            .cmd("NOSUCHCMD")
            .query::<()>(&mut conn)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server(ServerErrorKind::ExecAbort));
        assert!(err.to_string().contains("NOSUCHCMD"), "{err}");
        assert!(conn.is_open());
    }

    #[test]
    fn a_server_error_answers_the_mget_and_leaves_the_connection_open() {
        let mut conn = fake(&[b"-NOPERM no\r\n", b"*1\r\n$1\r\nv\r\n"]);
        let err = conn.mget(&resp::pack_mget(&["a"]), 1, false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server(ServerErrorKind::NoPerm));
        assert!(conn.is_open());
        let values = conn.mget(&resp::pack_mget(&["a"]), 1, false).unwrap();
        assert_eq!(values, vec![Some(Bytes::from_static(b"v"))]);
    }
}
