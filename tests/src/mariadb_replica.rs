//! A MariaDB primary and its replica, both the test's own: two `mariadbd`
//! on free ports over fresh data directories (`mariadb-install-db`), the
//! primary with its binary log, the replica replicating by GTID with
//! `MASTER_DELAY` (whole seconds: MariaDB has no finer delay) so that it
//! lags. The shared server has no binary log, so it cannot be the primary.
//!
//! A shell beside the servers stops them and removes their directory when
//! the test process exits (its stdin closes) or the pair is dropped.

use crate::services;
use crate::watched::{Watched, is_root, replayed_within};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io;
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the servers may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running primary and replica.
#[derive(Debug)]
pub struct MariaDbPair {
    primary_port: u16,
    replica_port: u16,
    /// The two servers (see the module docs).
    servers: Watched,
}

impl MariaDbPair {
    /// The process's one pair, started on first use with the replica
    /// `lag_seconds` behind; `None` (after one line) when it cannot be
    /// started outside CI. In CI that panics.
    pub fn shared(lag_seconds: u32) -> Option<&'static MariaDbPair> {
        static SHARED: OnceLock<Mutex<Option<&'static MariaDbPair>>> = OnceLock::new();
        let mut slot = SHARED.get_or_init(|| Mutex::new(None)).lock().unwrap();
        if slot.is_none() {
            let pair = match Self::start(lag_seconds) {
                Ok(pair) => pair,
                Err(e) if services::in_ci() => panic!("a MariaDB replica could not start: {e}"),
                Err(e) => {
                    println!("skipped: a MariaDB replica could not start ({e})");
                    return None;
                }
            };
            *slot = Some(Box::leak(Box::new(pair)));
        }
        *slot
    }

    /// Starts a primary and a replica `lag_seconds` behind it.
    pub fn start(lag_seconds: u32) -> io::Result<MariaDbPair> {
        Self::start_with(lag_seconds, false)
    }

    /// Starts a primary and a replica that both keep the binary log a
    /// change-stream follower reads (rows, full images and metadata; the
    /// replica logs what it replays, as a server a follower fails over to
    /// must), the replica not held back.
    pub fn start_logging() -> io::Result<MariaDbPair> {
        Self::start_with(0, true)
    }

    fn start_with(lag_seconds: u32, both_log: bool) -> io::Result<MariaDbPair> {
        let dir = std::env::temp_dir().join(format!(
            "cache-tests-mariadb-{}",
            crate::unique::prefix("pair")
        ));
        std::fs::create_dir_all(&dir)?;
        let root = is_root();
        let user = if root { "--user=root" } else { "" };
        let install = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--auth-root-authentication-method=normal"])
            .arg("--skip-test-db")
            .arg(format!("--datadir={}", dir.join("primary").display()))
            .args(root.then_some("--user=root"))
            .output()?;
        if !install.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(io::Error::other(format!(
                "mariadb-install-db: {}",
                String::from_utf8_lossy(&install.stderr).trim()
            )));
        }
        let copied = Command::new("cp")
            .arg("-a")
            .arg(dir.join("primary"))
            .arg(dir.join("replica"))
            .status()?;
        if !copied.success() {
            return Err(io::Error::other("copying the data directory failed"));
        }
        let free =
            || -> io::Result<u16> { Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()) };
        let (primary_port, replica_port) = (free()?, free()?);
        let server = |name: &str, port: u16, id: u32, extra: &str| {
            let d = dir.join(name);
            format!(
                "mariadbd --no-defaults --datadir={d} --port={port} --socket={d}.sock \
                 --bind-address=127.0.0.1 --server-id={id} {user} \
                 --innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
                 --innodb-flush-log-at-trx-commit=2 {extra} > {d}.log 2>&1 &",
                d = d.display()
            )
        };
        let log = |name: &str| {
            format!(
                "--log-bin={}/{name}-bin --binlog-format=ROW{}",
                dir.display(),
                if both_log {
                    " --binlog-row-image=FULL --binlog-row-metadata=FULL --log-slave-updates"
                } else {
                    ""
                }
            )
        };
        let replica_log = if both_log {
            log("replica")
        } else {
            String::new()
        };
        let script = format!(
            "{} p1=$!; {} p2=$!; read _; kill $p1 $p2; wait; rm -rf {}",
            server("primary", primary_port, 1, &log("primary")),
            server(
                "replica",
                replica_port,
                2,
                &format!("--read-only=1 {replica_log}")
            ),
            dir.display()
        );
        let mut shell = Command::new("sh");
        shell.args(["-c", &script]);
        let mut pair = MariaDbPair {
            primary_port,
            replica_port,
            servers: Watched::spawn(shell, dir)?,
        };
        let mut primary = pair.wait_for(primary_port)?;
        let mut replica = pair.wait_for(replica_port)?;
        primary
            .batch_execute("CREATE DATABASE test")
            .map_err(io::Error::other)?;
        replica
            .batch_execute(&format!(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary_port}, \
                 MASTER_USER='root', MASTER_USE_GTID=slave_pos, MASTER_DELAY={lag_seconds}; \
                 START SLAVE"
            ))
            .map_err(io::Error::other)?;
        if !pair.catch_up(START_TIMEOUT) {
            return Err(io::Error::other("the replica did not start replicating"));
        }
        Ok(pair)
    }

    /// Connects to the server on `port` once it answers.
    fn wait_for(&mut self, port: u16) -> io::Result<MysqlConnection> {
        let started = Instant::now();
        loop {
            match MysqlConnection::establish(&format!("mysql://root@127.0.0.1:{port}")) {
                Ok(conn) => return Ok(conn),
                Err(_) if started.elapsed() < START_TIMEOUT => {
                    if let Some(status) = self.servers.exited()? {
                        return Err(io::Error::other(format!("the servers exited ({status})")));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(io::Error::other(format!("no answer on {port}: {e}"))),
            }
        }
    }

    /// The primary's URL for `database`.
    pub fn primary_url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.primary_port)
    }

    /// The replica's URL for `database`.
    pub fn replica_url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.replica_port)
    }

    /// Waits until the replica has applied everything the primary had
    /// committed when this was called (at most `limit`); false on timeout.
    pub fn catch_up(&self, limit: Duration) -> bool {
        replayed_within::<MysqlConnection>(&self.primary_url(""), &self.replica_url(""), limit)
    }
}
