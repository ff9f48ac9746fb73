//! A TCP proxy for tests of what crosses the wire: it can be cut (every
//! connection closed, new ones refused) and restored, and can hand the
//! server's replies back a few bytes at a time.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A running proxy (its threads live as long as the test process).
pub struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
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
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up_, open_, upstream) = (up.clone(), open.clone(), upstream.to_owned());
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
                let requests = (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || pump(requests.0, requests.1, None));
                thread::spawn(move || pump(server, client, piece));
            }
        });
        Proxy { port, up, open }
    }

    /// The local port it listens on.
    pub fn port(&self) -> u16 {
        self.port
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

/// Copies `from` to `to` until either closes, in writes of at most `piece`
/// bytes for reads of up to 4 KiB when given.
fn pump(mut from: TcpStream, mut to: TcpStream, piece: Option<usize>) {
    let mut buf = [0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
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
