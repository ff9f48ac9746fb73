//! The RESP2 wire format, as much of it as the plain connection needs:
//! packing `MGET`, finding where one reply ends, and reading an `MGET`
//! reply's values straight from its bytes.
//!
//! Every other reply is handed, once framed, to redis-rs's own parser
//! (`redis::parse_redis_value`), so its values and server errors mean exactly
//! what they mean to redis-rs.

use bytes::Bytes;
use std::io;

/// How much of a buffer the next reply takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    /// The reply is the first this many bytes.
    Complete(usize),
    /// The reply is longer than the buffer: at least this many bytes in all.
    Incomplete(usize),
}

/// Finds where one reply ends, resumably: it is fed the reply's bytes as
/// they arrive (each call with every byte of the one before and maybe more,
/// from the reply's first byte) and keeps its place between calls: the next
/// value's position, the values still to read, how far a header line has
/// been searched, the end of a bulk string being awaited. Framing a reply
/// therefore costs time linear in its length however it is cut into reads.
/// RESP3-only types are a protocol error: the plain connection never asks
/// for RESP3.
#[derive(Debug, Clone)]
pub(super) struct Framer {
    /// Where the next value's header starts.
    pos: usize,
    /// Values still to read: the reply itself, plus every array's items.
    pending: u64,
    /// The header line at `pos` holds no CR before this position.
    searched: usize,
    /// While a bulk string's body is awaited: where it ends (CRLF included).
    body_end: Option<usize>,
    /// Bytes looked at so far (tests of linearity).
    #[cfg(test)]
    examined: usize,
}

impl Framer {
    /// A framer at the start of a reply.
    pub(super) const fn new() -> Self {
        Framer {
            pos: 0,
            pending: 1,
            searched: 0,
            body_end: None,
            #[cfg(test)]
            examined: 0,
        }
    }

    /// Continues framing with `buf`, the reply's bytes so far. After
    /// `Complete` the framer starts over, for the next reply.
    pub(super) fn advance(&mut self, buf: &[u8]) -> io::Result<Frame> {
        loop {
            if let Some(end) = self.body_end {
                if end > buf.len() {
                    return Ok(Frame::Incomplete(end));
                }
                #[cfg(test)]
                {
                    self.examined += 2;
                }
                if &buf[end - 2..end] != b"\r\n" {
                    return Err(invalid("bulk string not followed by CRLF"));
                }
                (self.pos, self.searched, self.body_end) = (end, end, None);
            }
            if self.pending == 0 {
                let len = self.pos;
                *self = Framer::new();
                return Ok(Frame::Complete(len));
            }
            let Some(line_end) = self.line_end(buf)? else {
                return Ok(Frame::Incomplete(buf.len() + 1));
            };
            let (kind, line) = (buf[self.pos], &buf[self.pos + 1..line_end]);
            let next = line_end + 2;
            match kind {
                b'+' | b'-' | b':' => {}
                b'$' => {
                    if let Some(len) = length(line)? {
                        let end = next
                            .checked_add(len)
                            .and_then(|e| e.checked_add(2))
                            .ok_or_else(|| invalid("bulk string length overflows"))?;
                        self.body_end = Some(end);
                    }
                }
                b'*' => {
                    if let Some(items) = length(line)? {
                        self.pending = self
                            .pending
                            .checked_add(items as u64)
                            .ok_or_else(|| invalid("array length overflows"))?;
                    }
                }
                other => {
                    return Err(invalid(&format!(
                        "unexpected reply type byte {:?}",
                        char::from(other)
                    )));
                }
            }
            self.pending -= 1;
            (self.pos, self.searched) = (next, next);
        }
    }

    /// The index of the CR ending the header line at `pos`; `None` if the
    /// line is not all in `buf` yet. Searches only bytes not searched
    /// before.
    fn line_end(&mut self, buf: &[u8]) -> io::Result<Option<usize>> {
        let from = self.searched.max(self.pos);
        let Some(at) = buf[from..].iter().position(|&b| b == b'\r') else {
            #[cfg(test)]
            {
                self.examined += buf.len() - from;
            }
            self.searched = buf.len();
            return Ok(None);
        };
        let cr = from + at;
        #[cfg(test)]
        {
            self.examined += at + 2;
        }
        match buf.get(cr + 1) {
            None => {
                self.searched = cr;
                Ok(None)
            }
            Some(b'\n') if cr > self.pos => Ok(Some(cr)),
            Some(_) => Err(invalid("malformed line")),
        }
    }
}

/// Where the first reply in `buf` ends (framed from scratch).
#[cfg(test)]
pub(super) fn frame(buf: &[u8]) -> io::Result<Frame> {
    Framer::new().advance(buf)
}

/// The values of a complete `MGET` reply of `n` keys, or `None` when the
/// reply is something else (a server error, say): the caller then reads it
/// the slow way.
pub(super) fn mget_values(frame: &[u8], n: usize) -> Option<Vec<Option<Bytes>>> {
    let (kind, mut pos, count) = header(frame, 0)?;
    if kind != b'*' || count != Some(n) {
        return None;
    }
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let (kind, at, len) = header(frame, pos)?;
        if kind != b'$' {
            return None;
        }
        pos = at;
        values.push(match len {
            None => None,
            Some(len) => {
                let value = Bytes::copy_from_slice(frame.get(pos..pos.checked_add(len)?)?);
                pos += len + 2;
                Some(value)
            }
        });
    }
    Some(values)
}

/// A framed header at `pos`: its type byte, where its line ends, its length
/// (`None` for -1).
fn header(buf: &[u8], pos: usize) -> Option<(u8, usize, Option<usize>)> {
    let end = line_end(buf, pos).ok()??;
    let len = length(&buf[pos + 1..end]).ok()?;
    Some((buf[pos], end + 2, len))
}

/// The index of the CR ending the line that starts at `pos`; `None` if the
/// line is not all in `buf` yet.
fn line_end(buf: &[u8], pos: usize) -> io::Result<Option<usize>> {
    let Some(cr) = buf[pos..].iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    let cr = pos + cr;
    match buf.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') if cr > pos => Ok(Some(cr)),
        Some(_) => Err(invalid("malformed line")),
    }
}

/// A bulk string's or an array's length: `None` for -1 (nil).
fn length(line: &[u8]) -> io::Result<Option<usize>> {
    if line == b"-1" {
        return Ok(None);
    }
    if line.is_empty() || line.len() > 19 || !line.iter().all(u8::is_ascii_digit) {
        return Err(invalid("malformed length"));
    }
    let n = line.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    usize::try_from(n)
        .map(Some)
        .map_err(|_| invalid("length too large"))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("Redis protocol error: {what}"),
    )
}

/// One fuzz case (`fuzz/`, through `__engine`): `data`'s first byte is
/// how many bytes each read adds (less one), the rest is what the server
/// sent. Panics where the framer or the `MGET` fast path breaks a promise:
/// fed in pieces, the framer answers as fed whole; a complete reply is no
/// longer than the bytes; an `MGET` reply read by the fast path is what
/// redis-rs reads.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz_reply(data: &[u8]) {
    let Some((&step, buf)) = data.split_first() else {
        return;
    };
    let whole = Framer::new().advance(buf);
    let (mut framer, step, mut cut) = (Framer::new(), usize::from(step) + 1, 0);
    let pieces = loop {
        cut = (cut + step).min(buf.len());
        match framer.advance(&buf[..cut]) {
            Ok(Frame::Incomplete(need)) if cut < buf.len() => {
                assert!(need > cut, "needs {need} of {cut}");
            }
            other => break other,
        }
    };
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "fed whole, fed {step} at a time"),
        (Err(_), Err(_)) => {}
        _ => panic!("fed whole: {whole:?}; fed {step} at a time: {pieces:?}"),
    }
    let Ok(Frame::Complete(len)) = whole else {
        return;
    };
    assert!(len > 0 && len <= buf.len());
    let frame = &buf[..len];
    let n = match header(frame, 0) {
        Some((b'*', _, Some(n))) => n,
        _ => return,
    };
    if let Some(values) = mget_values(frame, n) {
        assert_eq!(values.len(), n);
        let parsed = redis::parse_redis_value(frame);
        let Ok(redis::Value::Array(items)) = parsed else {
            panic!("the fast path read {values:?}, redis-rs {parsed:?}");
        };
        assert_eq!(items.len(), n);
        for (value, item) in values.iter().zip(&items) {
            match (value, item) {
                (None, redis::Value::Nil) => {}
                (Some(v), redis::Value::BulkString(b)) if v[..] == b[..] => {}
                _ => panic!("the fast path read {value:?}, redis-rs {item:?}"),
            }
        }
    }
}

/// `MGET keys..` in RESP.
pub(super) fn pack_mget(keys: &[&str]) -> Vec<u8> {
    let size = 16 + keys.iter().map(|k| k.len() + 16).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    push_header(&mut out, b'*', keys.len() + 1);
    out.extend_from_slice(b"$4\r\nMGET\r\n");
    for key in keys {
        push_header(&mut out, b'$', key.len());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `{marker}{n}\r\n` (without `fmt`, which costs more than the rest).
fn push_header(out: &mut Vec<u8>, marker: u8, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(marker);
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLIES: &[&[u8]] = &[
        b"+OK\r\n",
        b"-ERR wrong number of arguments\r\n",
        b":-42\r\n",
        b"$-1\r\n",
        b"$0\r\n\r\n",
        b"$5\r\na\r\nbc\r\n",
        b"*-1\r\n",
        b"*0\r\n",
        b"*3\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n+x\r\n",
    ];

    #[test]
    fn every_reply_is_framed_whole_and_every_prefix_is_incomplete() {
        for reply in REPLIES {
            let mut buf = reply.to_vec();
            buf.extend_from_slice(b"+next\r\n");
            assert_eq!(frame(&buf).unwrap(), Frame::Complete(reply.len()));
            for cut in 0..reply.len() {
                match frame(&reply[..cut]).unwrap() {
                    Frame::Incomplete(need) => assert!(need > cut && need <= reply.len()),
                    done => panic!(
                        "{:?} cut at {cut}: {done:?}",
                        String::from_utf8_lossy(reply)
                    ),
                }
            }
        }
    }

    /// Feeds `reply` to one framer a piece at a time (every prefix ending
    /// at one of `cuts`, then the whole): each piece short of the whole is
    /// incomplete, the whole is complete. Returns the bytes it examined.
    fn feed(reply: &[u8], cuts: impl IntoIterator<Item = usize>) -> usize {
        let mut framer = Framer::new();
        let mut buf = reply.to_vec();
        buf.extend_from_slice(b"+next\r\n");
        for cut in cuts {
            match framer.advance(&reply[..cut]).unwrap() {
                Frame::Incomplete(need) => assert!(need > cut && need <= reply.len()),
                done => panic!("cut at {cut} of {}: {done:?}", reply.len()),
            }
        }
        assert_eq!(framer.advance(&buf).unwrap(), Frame::Complete(reply.len()));
        let examined = framer.examined;
        // It starts over for the next reply.
        let rest = &buf[reply.len()..];
        assert_eq!(framer.advance(rest).unwrap(), Frame::Complete(rest.len()));
        examined
    }

    #[test]
    fn a_framer_fed_piece_by_piece_frames_every_reply_as_a_whole() {
        for reply in REPLIES {
            feed(reply, 0..reply.len());
            feed(reply, (0..reply.len()).step_by(3));
            feed(reply, []);
        }
    }

    #[test]
    fn a_reply_fed_a_byte_at_a_time_is_framed_in_linear_work() {
        // Many small values (an MGET's reply), long lines, a long bulk
        // string: the shapes the old rescanning framer was quadratic in.
        let mut reply = b"*20003\r\n".to_vec();
        for i in 0..20_000 {
            reply.extend_from_slice(format!("$6\r\nv{i:05}\r\n").as_bytes());
        }
        reply.extend_from_slice(format!("+{}\r\n", "s".repeat(50_000)).as_bytes());
        reply.extend_from_slice(format!("-ERR {}\r\n", "e".repeat(50_000)).as_bytes());
        reply.extend_from_slice(format!("$100000\r\n{}\r\n", "b".repeat(100_000)).as_bytes());
        let len = reply.len();
        let examined = feed(&reply, 0..len);
        assert!(examined <= 2 * len, "examined {examined} bytes of {len}");
        // Fed whole, or in 1000-byte pieces, no more.
        assert!(feed(&reply, []) <= len);
        assert!(feed(&reply, (0..len).step_by(1000)) <= 2 * len);

        // What the bound rules out: framing from scratch after every
        // byte, as the transport did, examines each prefix again.
        let small = &reply[..4000];
        let from_scratch: usize = (0..small.len())
            .map(|cut| {
                let mut framer = Framer::new();
                let _ = framer.advance(&small[..cut]);
                framer.examined
            })
            .sum();
        assert!(from_scratch > 100 * small.len(), "{from_scratch}");
    }

    #[test]
    fn garbage_fed_a_byte_at_a_time_is_still_a_protocol_error() {
        for bad in [
            &b"?x\r\n"[..],
            b"$3\r\nabcde\r\n",
            b"+a\rb\r\n",
            b"*2\r\n:1\r\n\r\n",
        ] {
            let mut framer = Framer::new();
            let failed = (1..=bad.len()).any(|cut| framer.advance(&bad[..cut]).is_err());
            assert!(failed, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn frames_agree_with_redis_rs() {
        for reply in REPLIES {
            let Frame::Complete(len) = frame(reply).unwrap() else {
                panic!("incomplete");
            };
            assert!(redis::parse_redis_value(&reply[..len]).is_ok());
        }
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for bad in [
            &b"?x\r\n"[..],
            b"$x\r\n",
            b"$-2\r\n",
            b"$3\r\nabcde\r\n",
            b"*\r\n",
            b"+a\rb\r\n",
            b"\r\n",
            b"$99999999999999999999\r\n",
            b"%1\r\n",
        ] {
            assert!(frame(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn mget_values_are_read_from_the_reply() {
        let reply = b"*3\r\n$2\r\nv1\r\n$-1\r\n$0\r\n\r\n";
        assert_eq!(
            mget_values(reply, 3).unwrap(),
            vec![Some(Bytes::from_static(b"v1")), None, Some(Bytes::new())]
        );
        assert_eq!(mget_values(reply, 2), None);
        assert_eq!(mget_values(b"-ERR no\r\n", 1), None);
        assert_eq!(mget_values(b"*1\r\n:1\r\n", 1), None);
    }

    #[test]
    fn mget_is_packed_as_resp() {
        assert_eq!(
            pack_mget(&["a", "key:2"]),
            b"*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$5\r\nkey:2\r\n"
        );
        let long_key = "k".repeat(1234);
        for keys in [vec!["a", "key:2"], vec![long_key.as_str()]] {
            assert_eq!(
                pack_mget(&keys),
                redis::cmd("MGET").arg(&keys).get_packed_command()
            );
        }
    }
}
