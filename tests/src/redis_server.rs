//! A `redis-server` of a test's own, for faults that cannot be done to the
//! shared server: stopping it (SIGSTOP, a hung server whose port still
//! accepts connections), killing it, restarting it empty on the same port,
//! or starting it with options of its own (`--requirepass`, say).
//!
//! ```no_run
//! use cache_tests::redis_server::RedisServer;
//!
//! let Some(mut server) = RedisServer::for_test(&[]) else {
//!     return; // redis-server is not installed (outside CI)
//! };
//! let url = server.url(); // redis://127.0.0.1:<port>/
//! server.stop(); // connections are accepted, commands never answered
//! server.cont(); // answers again, with every key it had
//! server.kill(); // connections reset, the port refused
//! server.restart(); // the same port, empty
//! # drop(url);
//! ```
//!
//! The server binds 127.0.0.1 on a free port, persists nothing (`--save ""`,
//! `--appendonly no`), and works in a directory of its own under the
//! system's temporary directory (its log is `redis.log` there, kept until
//! the server is dropped). Dropping a [`RedisServer`] kills the process
//! (stopped or not) and removes the directory.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a starting server may take to answer its first PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A `redis-server` child process on a port of its own.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra_args: Vec<String>,
    /// A configuration file's text, written to `redis.conf` in its
    /// directory (once: a sentinel rewrites it) and given first.
    config: Option<String>,
    /// Killed by the kernel when the thread that started it ends
    /// (`PR_SET_PDEATHSIG`): for servers kept until the process exits.
    dies_with_thread: bool,
}

impl RedisServer {
    /// Starts `redis-server` on a free port, with `extra_args` appended to
    /// its command line (e.g. `["--requirepass", "secret"]`), and waits
    /// until it answers PING. Fails when `redis-server` cannot be run or
    /// does not answer within 10 s.
    pub fn start(extra_args: &[&str]) -> io::Result<RedisServer> {
        Self::start_with(extra_args, None, false)
    }

    /// [`RedisServer::start`] with a configuration file of this text
    /// (e.g. a sentinel's `sentinel monitor ..` lines, with `--sentinel`
    /// among `extra_args`).
    pub fn start_with_config(config: &str, extra_args: &[&str]) -> io::Result<RedisServer> {
        Self::start_with(extra_args, Some(config.to_owned()), false)
    }

    /// [`RedisServer::start`] for a server that outlives every test of a
    /// process (statics are never dropped): the kernel kills it when the
    /// thread that starts it ends, so start it from a thread that lives
    /// as long as the process.
    pub fn start_for_process(extra_args: &[&str]) -> io::Result<RedisServer> {
        Self::start_with(extra_args, None, true)
    }

    fn start_with(
        extra_args: &[&str],
        config: Option<String>,
        dies_with_thread: bool,
    ) -> io::Result<RedisServer> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cache-tests-redis-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let mut server = RedisServer {
            child: None,
            port: 0,
            dir,
            extra_args: extra_args.iter().map(|a| (*a).to_owned()).collect(),
            config,
            dies_with_thread,
        };
        // A free port can be taken by someone else between finding it and
        // the server binding it: try a few.
        // A cluster node also listens on its port + 10,000 (the cluster
        // bus): it refuses to start on a port above 55,535, which the
        // kernel's ephemeral range (to 60,999) hands out one time in five.
        let cluster = extra_args.contains(&"--cluster-enabled");
        let mut last_error = None;
        for _ in 0..5 {
            server.port = free_port()?;
            while cluster && server.port > 55_535 {
                server.port = free_port()?;
            }
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    /// [`RedisServer::start`] for a test: `None` (after printing one line)
    /// when the server cannot be started outside CI; in CI, a panic.
    pub fn for_test(extra_args: &[&str]) -> Option<RedisServer> {
        match RedisServer::start(extra_args) {
            Ok(server) => Some(server),
            Err(e) if crate::services::in_ci() => {
                panic!("cannot start redis-server and CI is set: {e}")
            }
            Err(e) => {
                println!("skipped: cannot start redis-server ({e})");
                None
            }
        }
    }

    /// The port it listens on (the same across [`RedisServer::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`, without a password.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Sends one command straight to the server (never through a proxy in
    /// front of it) on a connection of its own, opened for it and closed
    /// after: a test's admin commands (`CONFIG SET`, `REPLICAOF`, `CLIENT
    /// PAUSE`), which no fault the test makes (an idle timeout, say) can
    /// close under it. Waits at most 5 s for the connection and the reply.
    pub fn command(&self, args: &[&str]) -> redis::RedisResult<redis::Value> {
        let wait = Duration::from_secs(5);
        let mut conn = redis::Client::open(self.url())?.get_connection_with_timeout(wait)?;
        conn.set_read_timeout(Some(wait))?;
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query(&mut conn)
    }

    /// The server's process id, while it runs (stopped or not).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The directory it works in (its log is `redis.log` there).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the process (SIGSTOP): the kernel still accepts connections
    /// on its port, but nothing is answered until [`RedisServer::cont`].
    pub fn stop(&self) {
        self.signal("STOP");
    }

    /// Resumes a stopped process (SIGCONT); it answers what it was sent.
    pub fn cont(&self) {
        self.signal("CONT");
    }

    /// Kills the process (SIGKILL) and waits for it: connections are reset
    /// and the port refuses new ones.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the process if it runs and starts a new, empty one on the
    /// same port with the same arguments; returns once it answers PING.
    ///
    /// # Panics
    ///
    /// If the new server does not start (the port taken meanwhile, say).
    pub fn restart(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.dir.join("dump.rdb"));
        self.spawn()
            .unwrap_or_else(|e| panic!("redis-server did not restart on {}: {e}", self.port));
    }

    fn signal(&self, name: &str) {
        let pid = self.pid().expect("the server is not running");
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{name} {pid}: {status}");
    }

    /// Starts the process on `self.port` and waits for its first answer.
    fn spawn(&mut self) -> io::Result<()> {
        let mut command = Command::new("redis-server");
        if self.dies_with_thread {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe; nothing else runs
            // between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        if let Some(config) = &self.config {
            let file = self.dir.join("redis.conf");
            if !file.exists() {
                std::fs::write(&file, config)?;
            }
            command.arg(file);
        }
        let mut child = command
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "redis-server on port {} exited at start ({status}); see {}",
                    self.port,
                    self.dir.join("redis.log").display()
                )));
            }
            if answers_ping(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("redis-server on port {} did not answer PING", self.port),
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill(); // SIGKILL ends a stopped process too
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the working directories of servers whose test process is gone
/// (servers kept for a whole process are never dropped, so their
/// directories are left behind).
pub fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cache-tests-redis-"))
        else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A port nothing listens on at the moment of asking (a closed port, for a
/// replica of nobody, say).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// True when something on `port` answers PING with a RESP reply (`+PONG`,
/// or an error such as `-NOAUTH` from a server with a password).
fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 1];
    stream.write_all(b"PING\r\n").is_ok()
        && matches!(stream.read(&mut reply), Ok(1) if matches!(reply[0], b'+' | b'-'))
}
