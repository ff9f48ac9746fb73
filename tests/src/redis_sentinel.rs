//! Redis under Sentinel, of a test's own: a master, two replicas and three
//! sentinels (`redis-server --sentinel`, quorum 2) on free ports,
//! persisting nothing. A master killed is replaced by a replica about two
//! seconds later (`down-after-milliseconds 1000`), and the other replica
//! follows the new master.
//!
//! ```no_run
//! use cache_tests::redis_sentinel::RedisSentinel;
//!
//! let Some(mut deployment) = RedisSentinel::for_test() else {
//!     return; // redis-server is not installed (outside CI)
//! };
//! let url = deployment.url(); // redis+sentinel://127.0.0.1:<port>,.../mymaster
//! let killed = deployment.kill_master();
//! let promoted = deployment.wait_for_new_master(killed).unwrap();
//! # drop((url, promoted));
//! ```

use crate::redis_cluster::{connect, role};
use crate::redis_server::RedisServer;
use crate::services::in_ci;
use std::io;
use std::thread;
use std::time::{Duration, Instant};

/// The service's name in the sentinels' configuration.
pub const SERVICE: &str = "mymaster";

/// How long the deployment may take to form, or to fail over.
const FORM_TIMEOUT: Duration = Duration::from_secs(60);

/// A master, two replicas, three sentinels.
#[derive(Debug)]
pub struct RedisSentinel {
    /// The data servers; the first started as the master.
    servers: Vec<RedisServer>,
    sentinels: Vec<RedisServer>,
}

impl RedisSentinel {
    /// Starts the servers and the sentinels; returns once the replicas are
    /// in sync and every sentinel knows both replicas and both other
    /// sentinels (so that a failover can be voted at once).
    pub fn start() -> io::Result<RedisSentinel> {
        crate::redis_server::remove_stale_dirs();
        let master = RedisServer::start(&[])?;
        let port = master.port().to_string();
        let mut servers = vec![master];
        for _ in 0..2 {
            servers.push(RedisServer::start(&["--replicaof", "127.0.0.1", &port])?);
        }
        let config = format!(
            "sentinel monitor {SERVICE} 127.0.0.1 {port} 2\n\
             sentinel down-after-milliseconds {SERVICE} 1000\n\
             sentinel failover-timeout {SERVICE} 5000\n"
        );
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            sentinels.push(RedisServer::start_with_config(&config, &["--sentinel"])?);
        }
        let deployment = RedisSentinel { servers, sentinels };
        deployment.wait_until(|d| {
            d.sentinels.iter().all(|s| {
                count(s.port(), "replicas") == Some(2) && count(s.port(), "sentinels") == Some(2)
            }) && d.servers[1..]
                .iter()
                .all(|r| info_has(r.port(), "master_link_status:up"))
        })?;
        Ok(deployment)
    }

    /// [`RedisSentinel::start`] for a test: `None` (after printing one
    /// line) when it cannot be started outside CI; in CI, a panic.
    pub fn for_test() -> Option<RedisSentinel> {
        match Self::start() {
            Ok(started) => Some(started),
            Err(e) if in_ci() => panic!("cannot start Redis under Sentinel and CI is set: {e}"),
            Err(e) => {
                println!("skipped: cannot start Redis under Sentinel ({e})");
                None
            }
        }
    }

    /// `redis+sentinel://127.0.0.1:<port>,.../mymaster` with every sentinel.
    pub fn url(&self) -> String {
        let sentinels: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port()))
            .collect();
        format!("redis+sentinel://{}/{SERVICE}", sentinels.join(","))
    }

    /// The port of the master the sentinels name now.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinels
            .iter()
            .find_map(|s| master_named_by(s.port()))
    }

    /// The ports of the running data servers that say they are replicas.
    pub fn replica_ports(&self) -> Vec<u16> {
        self.servers
            .iter()
            .filter(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("slave"))
            .map(RedisServer::port)
            .collect()
    }

    /// The port of the master the sentinel at `index` names now.
    pub fn master_named_by(&self, index: usize) -> Option<u16> {
        master_named_by(self.sentinels[index].port())
    }

    /// Stops (SIGSTOP) the replicas once they have every write the
    /// master acknowledged, and closes the master's connections to them:
    /// what the master writes next reaches no replica until
    /// [`RedisServer::cont`].
    pub fn stop_and_cut_replicas(&self) {
        crate::redis_cluster::stop_and_cut_replicas(&self.servers);
    }

    /// The data server on `port`.
    pub fn server(&mut self, port: u16) -> Option<&mut RedisServer> {
        self.servers.iter_mut().find(|s| s.port() == port)
    }

    /// The sentinels.
    pub fn sentinels(&self) -> &[RedisServer] {
        &self.sentinels
    }

    /// Kills (SIGKILL) the master and returns its port.
    pub fn kill_master(&mut self) -> u16 {
        let port = self
            .servers
            .iter()
            .find(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("master"))
            .expect("a running master")
            .port();
        self.server(port).expect("its server").kill();
        port
    }

    /// Waits until every sentinel names a master other than `old` that
    /// says it is one, and returns its port.
    pub fn wait_for_new_master(&self, old: u16) -> io::Result<u16> {
        self.wait_until(|d| {
            let named: Vec<Option<u16>> = d
                .sentinels
                .iter()
                .map(|s| master_named_by(s.port()))
                .collect();
            matches!(named[0], Some(p) if p != old && role(p).as_deref() == Some("master"))
                && named.iter().all(|n| *n == named[0])
        })?;
        self.master_port()
            .ok_or_else(|| io::Error::other("no master named"))
    }

    fn wait_until(&self, done: impl Fn(&RedisSentinel) -> bool) -> io::Result<()> {
        let started = Instant::now();
        while !done(self) {
            if started.elapsed() > FORM_TIMEOUT {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "Redis under Sentinel did not settle in {FORM_TIMEOUT:?}; logs in {}",
                        self.sentinels[0].dir().display()
                    ),
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

/// The master's port a sentinel names.
fn master_named_by(sentinel: u16) -> Option<u16> {
    let mut conn = connect(sentinel)?;
    let (_, port): (String, u16) = redis::cmd("SENTINEL")
        .arg("get-master-addr-by-name")
        .arg(SERVICE)
        .query(&mut conn)
        .ok()?;
    Some(port)
}

/// How many `replicas` or `sentinels` (the others) a sentinel knows.
fn count(sentinel: u16, what: &str) -> Option<usize> {
    let mut conn = connect(sentinel)?;
    let known: Vec<redis::Value> = redis::cmd("SENTINEL")
        .arg(what)
        .arg(SERVICE)
        .query(&mut conn)
        .ok()?;
    Some(known.len())
}

fn info_has(port: u16, line: &str) -> bool {
    connect(port)
        .and_then(|mut c| {
            redis::cmd("INFO")
                .arg("replication")
                .query::<String>(&mut c)
                .ok()
        })
        .is_some_and(|info| info.lines().any(|l| l.trim() == line))
}
