//! The real services the suites talk to, from `REDIS_URL`, `DATABASE_URL`
//! and `MYSQL_URL` (defaulting to this machine's servers).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Default Redis address when `REDIS_URL` is unset.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Default PostgreSQL address when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL URL, or `None` (after printing one line) when it is
/// unreachable outside CI. In CI an unreachable server fails the test.
pub fn database_url() -> Option<String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    match tcp_reachable(&url, 5432) {
        Ok(_) => Some(url),
        Err(why) => unavailable("PostgreSQL", &url, &why),
    }
}

/// Default MySQL/MariaDB server when `MYSQL_URL` is unset (the suites
/// create a database of their own on it).
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// The MySQL/MariaDB URL, or `None` (after printing one line) when it is
/// unreachable outside CI. In CI an unreachable server fails the test.
pub fn mysql_url() -> Option<String> {
    let url = std::env::var("MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_owned());
    match tcp_reachable(&url, 3306) {
        Ok(_) => Some(url),
        Err(why) => unavailable("MySQL", &url, &why),
    }
}

/// `url` (a `mysql://` URL) with its database replaced by `database`.
pub fn mysql_database_url(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a MySQL URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

fn tcp_reachable(url: &str, default_port: u16) -> Result<TcpStream, String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let port = parsed.port().unwrap_or(default_port);
    let addr: SocketAddr = (host, port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())
}

/// True when the `CI` environment variable is set (to anything but empty/false/0).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The Redis URL, or `None` (after printing one line) when it is unreachable
/// outside CI. In CI an unreachable server fails the test.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    match ping_redis(&url) {
        Ok(()) => Some(url),
        Err(why) => unavailable("Redis", &url, &why),
    }
}

/// The Redis of [`redis_url`] with a local tier in front (`local=16m`):
/// the tiered store.
pub fn tiered_url() -> Option<String> {
    redis_url().map(|url| with_local_tier(&url))
}

/// `url` (a `redis://` URL) with `local=16m` added to its options.
pub fn with_local_tier(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}local=16m")
}

/// `host:port` of a Redis URL (for a proxy in front of it).
pub fn redis_address(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("a Redis URL");
    format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port().unwrap_or(6379)
    )
}

fn unavailable(service: &str, url: &str, why: &str) -> Option<String> {
    if in_ci() {
        panic!("{service} at {url} is unreachable and CI is set: {why}");
    }
    println!("skipped: {service} at {url} is unreachable ({why})");
    None
}

fn ping_redis(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let port = parsed.port().unwrap_or(6379);
    let addr: SocketAddr = (host, port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    if url::Url::parse(url).is_ok_and(|u| u.password().is_some()) {
        return Ok(()); // reachable; AUTH is the client's business
    }
    stream.write_all(b"PING\r\n").map_err(|e| e.to_string())?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).map_err(|e| e.to_string())?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(format!("unexpected reply {reply:?}"))
    }
}
