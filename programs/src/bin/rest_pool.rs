//! Cached detail reads of `rest_service` with a pool of 16 connections and
//! with a pool of 1: its reads go through the pool
//! (`Manager::from_pool`), which is asked for a connection only on a miss,
//! so hits should not queue for the one connection.
//!
//! ```text
//! cargo build --release -p cache-examples --bin rest_service
//! cargo run --release -p cache-programs --bin rest_pool -- [--seconds 5] [--clients 16] [--async] [--cache redis|tiered]
//! ```
//!
//! Each run starts the service on PostgreSQL (a schema of its own) and
//! Redis (a prefix of its own), creates a book, reads it once (the miss),
//! then `--clients` threads read it over keep-alive HTTP/1.1 connections
//! for `--seconds`. The last line:
//! `pool_16_rps=.. pool_1_rps=.. pool_1_over_pool_16=..`.

use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Args {
    seconds: u64,
    clients: usize,
    is_async: bool,
    cache: String,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 5,
        clients: 16,
        is_async: false,
        cache: "redis".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--clients" => args.clients = value()?.parse().map_err(|e| format!("{e}"))?,
            "--cache" => args.cache = value()?,
            "--async" => args.is_async = true,
            _ => {
                return Err(format!(
                    "unknown argument {arg}; usage: rest_pool [--seconds N] [--clients N] [--async] [--cache redis|tiered]"
                ));
            }
        }
    }
    Ok(args)
}

/// The service, killed when dropped.
struct Service(Child, String);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rest_service` with a pool of `pool` connections.
fn start(args: &Args, database: &str, cache: &str, pool: u32) -> Result<Service, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("rest_service");
    if !bin.exists() {
        return Err(format!(
            "{} not found: cargo build --release -p cache-examples --bin rest_service",
            bin.display()
        ));
    }
    let mut cmd = Command::new(bin);
    cmd.args(["--port", "0"])
        .env("DATABASE_URL", database)
        .env("CACHE_URL", cache)
        .env("POOL_SIZE", pool.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if args.is_async {
        cmd.arg("--async");
    }
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or(format!("no address: {line:?}"))?
        .to_owned();
    Ok(Service(child, address))
}

/// One HTTP/1.1 request on `stream`; the status and the body.
fn request(
    stream: &mut BufReader<TcpStream>,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .get_mut()
        .write_all(head.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut status_line = String::new();
    stream
        .read_line(&mut status_line)
        .map_err(|e| e.to_string())?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("bad status line {status_line:?}"))?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).map_err(|e| e.to_string())?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().map_err(|e| format!("{e}"))?;
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn connect(address: &str) -> Result<BufReader<TcpStream>, String> {
    let stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(BufReader::new(stream))
}

/// Requests a second of cached reads of one book with a pool of `pool`.
fn measure(args: &Args, database: &str, redis: &str, pool: u32) -> Result<f64, String> {
    let prefix = cache_tests::unique::prefix(&format!("rest_pool_{pool}"));
    let cache = match args.cache.as_str() {
        "tiered" => format!("{redis}?prefix={prefix}&local=64m"),
        _ => format!("{redis}?prefix={prefix}"),
    };
    let service = start(args, database, &cache, pool)?;
    let mut setup = connect(&service.1)?;
    let (_, author) = request(&mut setup, "POST", "/authors", r#"{"name":"Bench"}"#)?;
    let author: serde_json::Value = serde_json::from_str(&author).map_err(|e| e.to_string())?;
    let book = format!(
        r#"{{"author_id":{},"title":"Benchmarked","published_year":2026}}"#,
        author["id"]
    );
    let (status, book) = request(&mut setup, "POST", "/books", &book)?;
    let book: serde_json::Value = serde_json::from_str(&book).map_err(|e| e.to_string())?;
    if status != 201 {
        return Err(format!("POST /books: {status} {book}"));
    }
    let path = format!("/books/{}", book["id"]);
    request(&mut setup, "GET", &path, "")?; // the miss
    let done = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let failed = std::sync::Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.clients {
            s.spawn(|| {
                let run = || -> Result<(), String> {
                    let mut stream = connect(&service.1)?;
                    while !done.load(Ordering::Relaxed) {
                        let (status, _) = request(&mut stream, "GET", &path, "")?;
                        if status != 200 {
                            return Err(format!("GET {path}: {status}"));
                        }
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                };
                if let Err(e) = run() {
                    *failed.lock().unwrap() = Some(e);
                    done.store(true, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(args.seconds));
        done.store(true, Ordering::Relaxed);
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e);
    }
    let _ = cache_core::Cache::from_url(&cache).and_then(|c| c.clear());
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

fn run() -> Result<String, String> {
    let args = args()?;
    let url = services::database_url().ok_or("no PostgreSQL")?;
    let redis = services::redis_url().ok_or("no Redis")?;
    let schema = cache_tests::unique::prefix("rest_pool").to_ascii_lowercase();
    let mut admin = PgConnection::establish(&url).map_err(|e| e.to_string())?;
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .map_err(|e| e.to_string())?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let database = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let measured = [16, 1].map(|pool| {
        let rps = measure(&args, &database, &redis, pool);
        if let Ok(rps) = &rps {
            println!("pool={pool} clients={} rps={rps:.0}", args.clients);
        }
        rps
    });
    let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    let [sixteen, one] = measured;
    let (sixteen, one) = (sixteen?, one?);
    Ok(format!(
        "pool_16_rps={sixteen:.0} pool_1_rps={one:.0} pool_1_over_pool_16={:.2}",
        one / sixteen
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rest_pool: {e}");
            ExitCode::FAILURE
        }
    }
}
