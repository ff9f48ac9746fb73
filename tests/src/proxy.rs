//! A TCP proxy for tests of what crosses the wire: it can be cut (every
//! connection closed, new ones refused) and restored, and can hand the
//! server's replies back a few bytes at a time.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A running proxy (its threads live as long as the test process).
pub struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    requests: Arc<AtomicUsize>,
}

impl Proxy {
    /// Forwards connections on a free local port to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Proxy {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), upstream, None)
    }

    /// Like [`Proxy::start`], but replies of up to 4 KiB go back in writes
    /// of at most 3 bytes, each its own TCP segment (longer ones in 1 KiB
    /// pieces, so that megabytes still arrive in reasonable time).
    pub fn dribbling(upstream: &str) -> Proxy {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), upstream, Some(3))
    }

    /// Forwards connections accepted by `listener`; replies in writes of at
    /// most `piece` bytes when given.
    pub fn on(listener: TcpListener, upstream: &str, piece: Option<usize>) -> Proxy {
        Self::filtering(listener, upstream, piece, None)
    }

    /// Like [`Proxy::start`], but every read of a client's bytes is first
    /// shown to `stop`: when it answers true, those bytes are not forwarded
    /// and the connection is closed (a test's way to act at an exact point
    /// of a client's conversation, such as killing the client there).
    pub fn intercepting(
        upstream: &str,
        stop: impl Fn(&[u8]) -> bool + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::filtering(listener, upstream, None, Some(Arc::new(stop)))
    }

    fn filtering(
        listener: TcpListener,
        upstream: &str,
        piece: Option<usize>,
        stop: Option<Stop>,
    ) -> Proxy {
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (up_, open_, upstream) = (up.clone(), open.clone(), upstream.to_owned());
        let requests_ = requests.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up_.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused at once
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                client.set_nodelay(true).unwrap();
                let mut streams = open_.lock().unwrap();
                streams.push(client.try_clone().unwrap());
                streams.push(server.try_clone().unwrap());
                let upstream = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let counted = requests_.clone();
                let stop = stop.clone();
                thread::spawn(move || pump(upstream.0, upstream.1, None, Some(counted), stop));
                thread::spawn(move || pump(server, client, piece, None, None));
            }
        });
        Proxy {
            port,
            up,
            open,
            requests,
        }
    }

    /// The local port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many times a client's bytes arrived to be forwarded: one per
    /// round trip for a client that waits for each answer before it sends
    /// again (requests of a few KiB each).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Closes every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// See [`Proxy::intercepting`].
type Stop = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// Copies `from` to `to` until either closes (or `stop` says to stop), in
/// writes of at most `piece` bytes for reads of up to 4 KiB when given,
/// counting reads in `reads`.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    piece: Option<usize>,
    reads: Option<Arc<AtomicUsize>>,
    stop: Option<Stop>,
) {
    let mut buf = [0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || stop.as_ref().is_some_and(|stop| stop(&buf[..n])) {
            let _ = from.shutdown(Shutdown::Both);
            break;
        }
        if let Some(reads) = &reads {
            reads.fetch_add(1, Ordering::SeqCst);
        }
        let piece = match piece {
            Some(small) if n <= 4096 => small,
            Some(_) => 1024,
            None => n,
        };
        if buf[..n].chunks(piece).any(|c| to.write_all(c).is_err()) {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}
