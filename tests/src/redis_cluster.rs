//! A Redis Cluster of a test's own: three masters and three replicas on
//! free ports (`redis-server --cluster-enabled yes`, joined by
//! `redis-cli --cluster create`), persisting nothing.
//!
//! ```no_run
//! use cache_tests::redis_cluster::RedisCluster;
//!
//! let Some(mut cluster) = RedisCluster::for_test() else {
//!     return; // redis-server is not installed (outside CI)
//! };
//! let url = cluster.url(); // redis+cluster://127.0.0.1:<port>,...
//! let killed = cluster.kill_a_master(); // its replica takes over
//! # drop((url, killed));
//! ```
//!
//! [`RedisCluster::shared`] is one cluster for every test of a process
//! (`REDIS_CLUSTER_URL` names an existing one instead).

use crate::redis_server::RedisServer;
use crate::services::in_ci;
use std::io;
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How long the cluster may take to agree on its slots and replicas.
const FORM_TIMEOUT: Duration = Duration::from_secs(30);

/// Three masters and three replicas.
#[derive(Debug)]
pub struct RedisCluster {
    servers: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts six servers and joins them (each master gets one replica);
    /// returns once every node sees every slot served and every replica
    /// is in sync. `for_process`: see [`RedisServer::start_for_process`].
    pub fn start(for_process: bool) -> io::Result<RedisCluster> {
        let args = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            // A dead master is replaced after about two seconds.
            "--cluster-node-timeout",
            "1000",
        ];
        let mut servers = Vec::new();
        for _ in 0..6 {
            servers.push(if for_process {
                RedisServer::start_for_process(&args)?
            } else {
                RedisServer::start(&args)?
            });
        }
        let cluster = RedisCluster { servers };
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(cluster.addresses())
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&output.stdout)
            )));
        }
        cluster.wait_until_formed()?;
        Ok(cluster)
    }

    /// [`RedisCluster::start`] for a test: `None` (after printing one line)
    /// when it cannot be started outside CI; in CI, a panic.
    pub fn for_test() -> Option<RedisCluster> {
        Self::or_skip(Self::start(false))
    }

    /// One cluster for every test of this process, started on first use
    /// by a thread that lives as long as the process (so its servers die
    /// with it); or the cluster `REDIS_CLUSTER_URL` names. `None` as
    /// [`RedisCluster::for_test`].
    pub fn shared() -> Option<String> {
        static SHARED: OnceLock<Result<String, String>> = OnceLock::new();
        if let Ok(url) = std::env::var("REDIS_CLUSTER_URL") {
            return Some(url);
        }
        let url = SHARED.get_or_init(|| {
            crate::redis_server::remove_stale_dirs();
            let (sent, started) = std::sync::mpsc::channel();
            thread::Builder::new()
                .name("shared-redis-cluster".into())
                .spawn(move || match RedisCluster::start(true) {
                    Ok(cluster) => {
                        let _ = sent.send(Ok(cluster.url()));
                        // Lives (and keeps its servers) until the process ends.
                        loop {
                            thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = sent.send(Err(e.to_string()));
                    }
                })
                .map_err(|e| e.to_string())?;
            started
                .recv()
                .map_err(|e| e.to_string())
                .and_then(|started| started)
        });
        Self::or_skip(url.clone().map_err(io::Error::other))
    }

    fn or_skip<T>(started: io::Result<T>) -> Option<T> {
        match started {
            Ok(started) => Some(started),
            Err(e) if in_ci() => panic!("cannot start a Redis Cluster and CI is set: {e}"),
            Err(e) => {
                println!("skipped: cannot start a Redis Cluster ({e})");
                None
            }
        }
    }

    /// `redis+cluster://127.0.0.1:<port>,...` with every node.
    pub fn url(&self) -> String {
        format!("redis+cluster://{}/", self.addresses().join(","))
    }

    /// `127.0.0.1:<port>` of every node.
    pub fn addresses(&self) -> Vec<String> {
        self.servers
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port()))
            .collect()
    }

    /// Kills (SIGKILL) a master that is running and returns its port. Its
    /// replica is promoted once the others notice (about two seconds).
    pub fn kill_a_master(&mut self) -> u16 {
        let server = self
            .servers
            .iter_mut()
            .find(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("master"))
            .expect("a running master");
        server.kill();
        server.port()
    }

    /// Stops (SIGSTOP) a running master and returns its index (for
    /// [`RedisCluster::cont_all`]).
    pub fn stop_a_master(&self) -> u16 {
        let server = self
            .servers
            .iter()
            .find(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("master"))
            .expect("a running master");
        server.stop();
        server.port()
    }

    /// Stops (SIGSTOP) every replica, once it has what its master wrote so
    /// far, and closes the masters' connections to them (`CLIENT KILL
    /// TYPE replica`): what the masters write next reaches no replica, not
    /// even a socket's buffer, until [`RedisCluster::cont_all`]. Quick: the
    /// cluster marks a replica stopped for longer than the node timeout
    /// (one second) as failed.
    pub fn stop_and_cut_replicas(&self) {
        stop_and_cut_replicas(&self.servers);
    }

    /// Promotes every replica in a manual failover (`CLUSTER FAILOVER`:
    /// the master hands over once its replica has every write, so nothing
    /// is lost) and waits until the cluster has formed again: every
    /// former master now answers `MOVED` for its slots.
    pub fn swap_masters(&self) -> io::Result<()> {
        let replicas: Vec<u16> = self
            .servers
            .iter()
            .filter(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("slave"))
            .map(RedisServer::port)
            .collect();
        for port in &replicas {
            let mut conn = connect(*port).ok_or_else(|| io::Error::other("a replica"))?;
            redis::cmd("CLUSTER")
                .arg("FAILOVER")
                .exec(&mut conn)
                .map_err(io::Error::other)?;
        }
        let started = Instant::now();
        while replicas
            .iter()
            .any(|port| role(*port).as_deref() != Some("master"))
        {
            if started.elapsed() > FORM_TIMEOUT {
                return Err(io::Error::other("the replicas were not promoted"));
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.wait_until_formed()
    }

    /// The ports of the running masters.
    pub fn masters(&self) -> Vec<u16> {
        self.servers
            .iter()
            .filter(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("master"))
            .map(RedisServer::port)
            .collect()
    }

    /// The port of the master that holds a key matching `pattern` (`KEYS`).
    pub fn holder_of(&self, pattern: &str) -> Option<u16> {
        self.servers
            .iter()
            .filter(|s| s.pid().is_some() && role(s.port()).as_deref() == Some("master"))
            .map(RedisServer::port)
            .find(|port| {
                connect(*port)
                    .and_then(|mut c| redis::cmd("KEYS").arg(pattern).query(&mut c).ok())
                    .is_some_and(|keys: Vec<String>| !keys.is_empty())
            })
    }

    /// Brings the cluster down as losing a master and its replica at once
    /// does: stops (SIGSTOP) a master other than the one at `spare`, and
    /// its replica, and returns once the master at `spare` says the
    /// cluster is `fail` (about two seconds): from then on it answers
    /// every command `CLUSTERDOWN`, reads included (the default
    /// `cluster-allow-reads-when-down no`). [`RedisCluster::cont_all`]
    /// and [`RedisCluster::wait_until_formed`] bring it back.
    pub fn take_down_sparing(&self, spare: u16) -> io::Result<()> {
        let victim = self
            .servers
            .iter()
            .find(|s| {
                s.port() != spare
                    && s.pid().is_some()
                    && role(s.port()).as_deref() == Some("master")
            })
            .ok_or_else(|| io::Error::other("no other running master"))?;
        let nodes = info(victim.port(), "CLUSTER", Some("NODES"))
            .ok_or_else(|| io::Error::other("CLUSTER NODES"))?;
        // `<id> <ip:port@cport> <flags> <master id> ...`
        let fields = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let id = nodes
            .lines()
            .map(fields)
            .find(|f| f.get(2).is_some_and(|flags| flags.contains("myself")))
            .map(|f| f[0].clone())
            .ok_or_else(|| io::Error::other("no myself in CLUSTER NODES"))?;
        let replica_ports: Vec<u16> = nodes
            .lines()
            .map(fields)
            .filter(|f| f.get(3) == Some(&id))
            .filter_map(|f| f.get(1)?.split(['@', ':']).nth(1)?.parse().ok())
            .collect();
        victim.stop();
        for server in self.servers.iter() {
            if replica_ports.contains(&server.port()) {
                server.stop();
            }
        }
        let started = Instant::now();
        while !info(spare, "CLUSTER", Some("INFO"))
            .is_some_and(|i| i.contains("cluster_state:fail"))
        {
            if started.elapsed() > FORM_TIMEOUT {
                return Err(io::Error::other("the cluster did not go down"));
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Resumes (SIGCONT) every running server (stopped or not).
    pub fn cont_all(&self) {
        for server in self.servers.iter().filter(|s| s.pid().is_some()) {
            server.cont();
        }
    }

    /// Waits until every running node says the cluster is `ok` and every
    /// replica's link to its master is up.
    pub fn wait_until_formed(&self) -> io::Result<()> {
        let started = Instant::now();
        // Formed: every node says `ok`, has its master link up, and names
        // the same configuration epoch, three looks in a row (just after
        // a failover a node that has not heard of it yet may still answer
        // CLUSTERDOWN a moment after saying `ok`).
        let mut settled = 0;
        while started.elapsed() < FORM_TIMEOUT {
            let running: Vec<u16> = self
                .servers
                .iter()
                .filter(|s| s.pid().is_some())
                .map(RedisServer::port)
                .collect();
            let mut epochs = std::collections::HashSet::new();
            let ok = running.iter().all(|port| {
                let Some(cluster) = info(*port, "CLUSTER", Some("INFO")) else {
                    return false;
                };
                epochs.insert(
                    cluster
                        .lines()
                        .find(|l| l.starts_with("cluster_current_epoch:"))
                        .map(str::to_owned),
                );
                cluster.contains("cluster_state:ok")
                    && info(*port, "INFO", Some("replication")).is_some_and(|i| {
                        i.contains("role:master") || i.contains("master_link_status:up")
                    })
            });
            settled = if ok && epochs.len() == 1 {
                settled + 1
            } else {
                0
            };
            if settled == 3 {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the Redis Cluster did not form",
        ))
    }
}

/// `master` or `slave`, from `ROLE`.
pub fn role(port: u16) -> Option<String> {
    let mut conn = connect(port)?;
    let reply: Vec<redis::Value> = redis::cmd("ROLE").query(&mut conn).ok()?;
    match reply.first()? {
        redis::Value::BulkString(role) => Some(String::from_utf8_lossy(role).into_owned()),
        redis::Value::SimpleString(role) => Some(role.clone()),
        _ => None,
    }
}

/// Stops (SIGSTOP) the replicas among `servers` once they have every
/// write their masters acknowledged (`WAIT`: on a loaded machine the last
/// writes of a test may not have reached them yet, and a failover would
/// lose them), then closes the masters' connections to them.
pub(crate) fn stop_and_cut_replicas(servers: &[RedisServer]) {
    let running = servers.iter().filter(|s| s.pid().is_some());
    let (masters, replicas): (Vec<&RedisServer>, Vec<&RedisServer>) =
        running.partition(|s| role(s.port()).as_deref() == Some("master"));
    for master in &masters {
        let attached: i64 = info(master.port(), "INFO", Some("replication"))
            .and_then(|i| {
                i.lines()
                    .find_map(|l| l.trim().strip_prefix("connected_slaves:")?.parse().ok())
            })
            .expect("a master's replication section");
        let mut conn = connect(master.port()).expect("a running master");
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a read timeout");
        let synced: i64 = redis::cmd("WAIT")
            .arg(attached)
            .arg(20_000)
            .query(&mut conn)
            .expect("WAIT");
        assert_eq!(synced, attached, "every replica has the master's writes");
    }
    for replica in replicas {
        replica.stop();
    }
    for master in masters {
        let mut conn = connect(master.port()).expect("a running master");
        redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("replica")
            .exec(&mut conn)
            .expect("CLIENT KILL");
    }
}

/// The text a node answers to `command [section]`.
fn info(port: u16, command: &str, section: Option<&str>) -> Option<String> {
    let mut conn = connect(port)?;
    let mut cmd = redis::cmd(command);
    if let Some(section) = section {
        cmd.arg(section);
    }
    cmd.query(&mut conn).ok()
}

pub(crate) fn connect(port: u16) -> Option<redis::Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let conn = client
        .get_connection_with_timeout(Duration::from_millis(500))
        .ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    Some(conn)
}
