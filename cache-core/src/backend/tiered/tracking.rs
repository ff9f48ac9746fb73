//! The tracking connection: Redis's server-assisted client-side caching
//! (RESP3 `CLIENT TRACKING ON BCAST PREFIX <tag prefix>`), which tells this
//! process of every write to a tag key, by anyone, as it happens.
//!
//! One connection per tiered cache, read by its own thread: every
//! invalidation message makes the [`TagTable`] forget the keys it names (a
//! null one, sent on `FLUSHALL`, forgets everything). A second thread sends
//! a `PING` every quarter of the freshness window while the tier is in use:
//! replies come in order with the invalidation messages, so the `PONG` of a
//! `PING` sent at `t` proves that every write acknowledged before `t` has
//! been forgotten here. The local tier answers only while such a proof is
//! younger than the window ([`Channel::fresh`]); a broken connection
//! forgets everything, and nothing is learned again until a new connection
//! tracks.

use super::tags::TagTable;
use crate::backend::redis::sentinel::TrackedServer;
use crate::timeout::monotonic_ns;
use std::collections::VecDeque;
use std::io::Read;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The name the tracking connections carry in `CLIENT LIST`.
pub const CONNECTION_NAME: &str = "cache-tracking";

/// A silent tracking connection is given up after this long (pings are
/// answered far sooner, even while the tier is idle).
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// While the tier is idle, pings only keep the connection checked.
const IDLE_PING: Duration = Duration::from_millis(250);
/// The tier counts as in use for this long after a read.
const IN_USE: Duration = Duration::from_secs(1);

/// Nanoseconds since [`BASE`]: what the channel's times count.
fn now_ns() -> u64 {
    monotonic_ns().saturating_sub(*BASE)
}

/// The monotonic clock when the first channel read it.
static BASE: LazyLock<u64> = LazyLock::new(monotonic_ns);

/// Where the tracking connection goes.
#[derive(Clone)]
pub(super) struct Target {
    /// The server, or under Sentinel its master now (asked again at each
    /// connection: a failover moves it).
    pub server: TrackedServer,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The tag keys' prefix, tracked in broadcast mode.
    pub prefix: String,
    pub connect_timeout: Duration,
    /// How long to wait before connecting again after a failure.
    pub retry_after: Duration,
}

/// What the tracking threads and the tier share.
pub(super) struct Channel {
    pub(super) tags: TagTable,
    /// A connection is tracking.
    up: AtomicBool,
    /// When the last answered `PING` was sent (ns since [`BASE`]).
    confirmed_at: AtomicU64,
    /// When the tier was last read (ns since [`BASE`], coarse).
    used_at: AtomicU64,
    window_ns: u64,
    /// The tier was dropped: the threads end.
    closed: AtomicBool,
    /// The live connection, to shut down on close.
    socket: Mutex<Option<TcpStream>>,
}

impl Channel {
    pub(super) fn new(tags: TagTable, window: Duration) -> Self {
        Channel {
            tags,
            up: AtomicBool::new(false),
            confirmed_at: AtomicU64::new(0),
            used_at: AtomicU64::new(0),
            window_ns: window.as_nanos().min(u128::from(u64::MAX)) as u64,
            closed: AtomicBool::new(false),
            socket: Mutex::new(None),
        }
    }

    /// Whether what the tier knows is at most one window old.
    pub(super) fn fresh(&self) -> bool {
        let now = now_ns();
        if now.saturating_sub(self.used_at.load(Ordering::Relaxed)) > 1_000_000 {
            self.used_at.store(now, Ordering::Relaxed);
        }
        self.up.load(Ordering::SeqCst)
            && now.saturating_sub(self.confirmed_at.load(Ordering::SeqCst)) <= self.window_ns
    }

    /// Whether a connection is tracking (fresh or not).
    pub(super) fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    fn in_use(&self) -> bool {
        now_ns().saturating_sub(self.used_at.load(Ordering::Relaxed)) < IN_USE.as_nanos() as u64
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.tags.flush();
    }

    /// Ends the threads (the tier is being dropped).
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Some(socket) = self.socket.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// Starts the thread that keeps a tracking connection up for `channel`.
pub(super) fn spawn(target: Target, channel: Arc<Channel>) -> io::Result<()> {
    std::thread::Builder::new()
        .name(CONNECTION_NAME.into())
        .spawn(move || keep_tracking(&target, &channel))
        .map(drop)
}

fn keep_tracking(target: &Target, channel: &Channel) {
    let mut failures = 0u32;
    while !channel.closed() {
        let started = Instant::now();
        let ended = track(target, channel);
        channel.down();
        if channel.closed() {
            return;
        }
        match ended {
            Err(e) if failures == 0 => tracing::warn!(
                error = %e,
                "cache tracking connection lost: the local tier is bypassed until it is back"
            ),
            Err(e) => tracing::debug!(error = %e, "cache tracking connection still failing"),
            Ok(()) => {}
        }
        // A connection that lived a while is retried at once; one that keeps
        // failing, once per `retry_after`.
        failures = if started.elapsed() > Duration::from_secs(5) {
            0
        } else {
            failures + 1
        };
        if failures > 1 {
            std::thread::sleep(target.retry_after.max(Duration::from_millis(10)));
        }
    }
}

/// One tracking connection, until it fails or the channel closes.
fn track(target: &Target, channel: &Channel) -> io::Result<()> {
    let switches = target.server.switches();
    let stream = connect(target)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream.try_clone()?;
    let mut hello = vec!["HELLO", "3"];
    if let Some(password) = &target.password {
        hello.extend([
            "AUTH",
            target.username.as_deref().unwrap_or("default"),
            password,
        ]);
    }
    hello.extend(["SETNAME", CONNECTION_NAME]);
    writer.write_all(&command(&hello))?;
    expect_answer(read_value(&mut reader, 0)?, "HELLO 3")?;
    writer.write_all(&command(&[
        "CLIENT",
        "TRACKING",
        "ON",
        "BCAST",
        "PREFIX",
        &target.prefix,
    ]))?;
    expect_answer(read_value(&mut reader, 0)?, "CLIENT TRACKING")?;
    *channel.socket.lock().unwrap_or_else(|e| e.into_inner()) = Some(stream.try_clone()?);
    if channel.closed() {
        return Ok(());
    }
    // Versions learned before this connection tracked may be stale.
    channel.tags.flush();
    // Nothing is known and everything from now on is tracked: coherent by
    // construction, until the first ping proves it again.
    channel.confirmed_at.fetch_max(now_ns(), Ordering::SeqCst);
    channel.up.store(true, Ordering::SeqCst);
    let pings = Mutex::new(VecDeque::new());
    let ended = AtomicBool::new(false);
    // A quarter window, at most the idle interval: the reply of every ping
    // comes far within READ_TIMEOUT, whatever the window.
    let every =
        Duration::from_nanos(channel.window_ns / 4).clamp(Duration::from_micros(200), IDLE_PING);
    let probe = probe(&target.prefix);
    std::thread::scope(|scope| {
        let pinger = scope.spawn(|| {
            ping(
                &mut writer,
                &probe,
                &pings,
                &ended,
                every,
                || channel.in_use(),
                || target.server.switches() != switches,
            )
        });
        let read = read_replies(&mut reader, channel, &pings);
        ended.store(true, Ordering::SeqCst);
        let _ = stream.shutdown(Shutdown::Both);
        let _ = pinger.join();
        read
    })
}

/// What the pinger sends: the guard of a hit (`redis/guard.rs`), then
/// `PING`. A server that refuses writes answers the guard with an error,
/// which ends the connection (the tier answers nothing until a new one
/// tracks); one that holds writes holds the `PING` behind it, so the tier
/// stops answering within its window. Either way its reads go to Redis,
/// whose hits carry the same guard.
fn probe(tag_prefix: &str) -> Vec<u8> {
    let guard = crate::backend::redis::guard::guard_key(tag_prefix);
    let mut out = command(&["DEL", &guard]);
    out.extend_from_slice(&command(&["PING"]));
    out
}

/// Sends `probe` (ending in a `PING`) every `every` while the tier is in
/// use, every [`IDLE_PING`] otherwise, noting when each was sent; ends the
/// connection once the server `moved` (a failover announced).
fn ping(
    writer: &mut TcpStream,
    probe: &[u8],
    pings: &Mutex<VecDeque<u64>>,
    ended: &AtomicBool,
    every: Duration,
    in_use: impl Fn() -> bool,
    moved: impl Fn() -> bool,
) {
    let mut last = Instant::now() - IDLE_PING;
    while !ended.load(Ordering::SeqCst) {
        std::thread::sleep(every);
        if moved() {
            // A failover: no more proofs from the old master.
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        if !in_use() && last.elapsed() < IDLE_PING {
            continue;
        }
        last = Instant::now();
        pings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(now_ns());
        if writer.write_all(probe).is_err() {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Reads invalidations and `PONG`s until the connection fails.
fn read_replies(
    reader: &mut impl BufRead,
    channel: &Channel,
    pings: &Mutex<VecDeque<u64>>,
) -> io::Result<()> {
    loop {
        let value = read_value(reader, 0)?;
        if channel.closed() {
            return Ok(());
        }
        match value {
            Resp::Push(items) => invalidate(channel, items),
            Resp::Simple(s) if s == b"PONG" => {
                let sent = pings.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                if let Some(sent) = sent {
                    channel.confirmed_at.fetch_max(sent, Ordering::SeqCst);
                }
            }
            Resp::Error(e) => return Err(io::Error::other(e)),
            _ => {}
        }
    }
}

fn invalidate(channel: &Channel, items: Vec<Resp>) {
    let mut items = items.into_iter();
    if !matches!(items.next(), Some(Resp::Bulk(kind)) if kind == b"invalidate") {
        return;
    }
    match items.next() {
        Some(Resp::Array(keys)) => {
            let mut names = Vec::with_capacity(keys.len());
            for key in keys {
                match key {
                    Resp::Bulk(k) => match String::from_utf8(k) {
                        Ok(k) => names.push(k),
                        // Not one of ours, but forgetting everything is safe.
                        Err(_) => return channel.tags.flush(),
                    },
                    _ => return channel.tags.flush(),
                }
            }
            channel.tags.forget(names.iter().map(String::as_str));
        }
        // A null: the server flushed its keys. Anything else is not
        // understood: forget everything.
        _ => channel.tags.flush(),
    }
}

fn connect(target: &Target) -> io::Result<TcpStream> {
    let (host, port) = target.server.address()?;
    let mut last = None;
    for addr in (host.as_str(), port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, target.connect_timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other(format!("{host} resolves to no address"))))
}

fn expect_answer(value: Resp, what: &str) -> io::Result<()> {
    match value {
        Resp::Error(e) => Err(io::Error::other(format!("{what}: {e}"))),
        _ => Ok(()),
    }
}

/// A command as RESP.
fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The RESP3 values the tracking connection reads (what it does not need
/// is read and dropped as `Other`).
#[derive(Debug, PartialEq)]
enum Resp {
    Simple(Vec<u8>),
    Error(String),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<Resp>),
    Push(Vec<Resp>),
    Other,
}

/// Longest line or string accepted: keys are short, and a reply that is not
/// is not from a Redis this connection understands.
const MAX_LEN: usize = 1 << 20;
const MAX_ITEMS: usize = 1 << 20;
const MAX_DEPTH: usize = 8;

fn read_value(r: &mut impl BufRead, depth: usize) -> io::Result<Resp> {
    if depth > MAX_DEPTH {
        return Err(invalid("nested too deep"));
    }
    let line = read_line(r)?;
    let (&kind, rest) = line.split_first().ok_or_else(|| invalid("empty line"))?;
    Ok(match kind {
        b'+' => Resp::Simple(rest.to_vec()),
        b'-' => Resp::Error(String::from_utf8_lossy(rest).into_owned()),
        b':' | b',' | b'#' | b'(' => Resp::Other,
        b'_' => Resp::Null,
        b'$' | b'=' | b'!' => match length(rest)? {
            None => Resp::Null,
            Some(n) => {
                let mut data = vec![0; n + 2];
                r.read_exact(&mut data)?;
                if !data.ends_with(b"\r\n") {
                    return Err(invalid("string not ended by CRLF"));
                }
                data.truncate(n);
                if kind == b'!' {
                    Resp::Error(String::from_utf8_lossy(&data).into_owned())
                } else {
                    Resp::Bulk(data)
                }
            }
        },
        b'*' | b'>' | b'~' | b'%' | b'|' => {
            let Some(n) = length(rest)? else {
                return Ok(Resp::Null);
            };
            let count = if matches!(kind, b'%' | b'|') {
                n * 2
            } else {
                n
            };
            if count > MAX_ITEMS {
                return Err(invalid("too many items"));
            }
            let items = (0..count)
                .map(|_| read_value(r, depth + 1))
                .collect::<io::Result<Vec<_>>>()?;
            match kind {
                b'>' => Resp::Push(items),
                // Attributes annotate the value that follows (a chain of
                // them is bounded by the depth, like any nesting).
                b'|' => return read_value(r, depth + 1),
                b'*' | b'~' => Resp::Array(items),
                _ => Resp::Other,
            }
        }
        _ => return Err(invalid("unknown type")),
    })
}

fn read_line(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LEN as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if !line.ends_with(b"\r\n") {
        return Err(invalid("line not ended by CRLF"));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn length(text: &[u8]) -> io::Result<Option<usize>> {
    let n: i64 = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| invalid("bad length"))?;
    if n < 0 {
        return Ok(None);
    }
    let n = usize::try_from(n).map_err(|_| invalid("bad length"))?;
    if n > MAX_LEN {
        return Err(invalid("too long"));
    }
    Ok(Some(n))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("tracking connection: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> io::Result<Resp> {
        read_value(&mut &bytes[..], 0)
    }

    #[test]
    fn invalidation_messages_are_read() {
        let msg = b">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\np:a\r\n$3\r\np:b\r\n";
        assert_eq!(
            parse(msg).unwrap(),
            Resp::Push(vec![
                Resp::Bulk(b"invalidate".to_vec()),
                Resp::Array(vec![
                    Resp::Bulk(b"p:a".to_vec()),
                    Resp::Bulk(b"p:b".to_vec())
                ]),
            ])
        );
        let flush = b">2\r\n$10\r\ninvalidate\r\n_\r\n";
        assert_eq!(
            parse(flush).unwrap(),
            Resp::Push(vec![Resp::Bulk(b"invalidate".to_vec()), Resp::Null])
        );
    }

    #[test]
    fn hello_maps_and_attributes_are_read_whole() {
        let mut input: &[u8] =
            b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n|1\r\n+a\r\n+b\r\n+PONG\r\n";
        assert_eq!(read_value(&mut input, 0).unwrap(), Resp::Other);
        assert_eq!(
            read_value(&mut input, 0).unwrap(),
            Resp::Simple(b"PONG".to_vec())
        );
        assert!(input.is_empty());
    }

    #[test]
    fn a_chain_of_attributes_is_bounded_not_a_stack_overflow() {
        let chain = "|0\r\n".repeat(100_000) + "+PONG\r\n";
        assert!(parse(chain.as_bytes()).is_err());
        let short = "|0\r\n".repeat(3) + "+PONG\r\n";
        assert_eq!(
            parse(short.as_bytes()).unwrap(),
            Resp::Simple(b"PONG".to_vec())
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b"?\r\n"[..],
            b"$5\r\nab\r\n",
            b"*99999999999\r\n",
            b"$-x\r\n",
            b"+no end",
            b"",
            b"\r\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "*1\r\n".repeat(20) + "+x\r\n";
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn an_invalidation_forgets_its_keys_and_a_null_forgets_all() {
        let channel = Channel::new(TagTable::new(100), Duration::from_millis(10));
        for k in ["a", "b", "c"] {
            channel.tags.learn(k, channel.tags.before(k), 1);
        }
        invalidate(
            &channel,
            vec![
                Resp::Bulk(b"invalidate".to_vec()),
                Resp::Array(vec![Resp::Bulk(b"a".to_vec())]),
            ],
        );
        assert_eq!(channel.tags.get("a"), None);
        assert!(channel.tags.get("b").is_some());
        invalidate(
            &channel,
            vec![Resp::Bulk(b"invalidate".to_vec()), Resp::Null],
        );
        assert_eq!(channel.tags.len(), 0);
    }
}
