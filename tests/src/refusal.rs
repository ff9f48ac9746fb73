//! The states in which a Redis of a test's own answers but refuses (or
//! holds) writes, or every command, as its documentation lists them: how
//! each is brought about on a running server and how it is lifted. Used by
//! the refused-write tests and by the `faults` program.

use crate::redis_server::RedisServer;
use redis::Connection;
use std::thread;
use std::time::{Duration, Instant};

/// The arguments a server needs for every state here (`dir` set at run
/// time for `MISCONF`, `DEBUG RELOAD` for `LOADING`).
pub const SERVER_ARGS: &[&str] = &[
    "--enable-protected-configs",
    "yes",
    "--enable-debug-command",
    "yes",
];

/// How long [`Refusal::Loading`] keeps the server loading, about.
pub const LOADING_FOR: Duration = Duration::from_secs(1);

/// A state of a running Redis in which writes (or all commands) are
/// refused or held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `maxmemory` reached under the default `noeviction`: `OOM` replies
    /// to writes that allocate (a `DEL` is still taken).
    Oom,
    /// A demoted master: a replica of a master that does not answer keeps
    /// its data and serves reads; every write is `READONLY`.
    ReadOnly,
    /// `CLIENT PAUSE .. WRITE`: writes are held, reads answered.
    PauseWrites,
    /// `min-replicas-to-write` with no replica: `NOREPLICAS` to writes.
    NoReplicas,
    /// A snapshot that failed to save with `stop-writes-on-bgsave-error`:
    /// `MISCONF` to writes (and to `PING`).
    Misconf,
    /// A script that runs past `busy-reply-threshold`: `BUSY` to every
    /// command until it is killed.
    Busy,
    /// A replica of a master that is down, told not to serve stale data:
    /// `MASTERDOWN` to reads too.
    MasterDown,
    /// The dataset being loaded (`DEBUG RELOAD`, slowed by
    /// `key-load-delay` to about [`LOADING_FOR`]): `LOADING` to every
    /// command.
    Loading,
    /// Every connection closed (`CLIENT KILL`) and `maxclients` reached:
    /// a new connection is refused with `ERR max number of clients
    /// reached` (the admin connection is the one client left).
    MaxClients,
}

impl Refusal {
    /// Every state, in the order the `faults` program applies them.
    pub const ALL: [Refusal; 9] = [
        Refusal::Oom,
        Refusal::ReadOnly,
        Refusal::PauseWrites,
        Refusal::NoReplicas,
        Refusal::Misconf,
        Refusal::Busy,
        Refusal::MasterDown,
        Refusal::Loading,
        Refusal::MaxClients,
    ];

    /// The state's name in the `faults` program.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::Oom => "oom",
            Refusal::ReadOnly => "readonly",
            Refusal::PauseWrites => "pause-writes",
            Refusal::NoReplicas => "noreplicas",
            Refusal::Misconf => "misconf",
            Refusal::Busy => "busy",
            Refusal::MasterDown => "masterdown",
            Refusal::Loading => "loading",
            Refusal::MaxClients => "maxclients",
        }
    }

    /// Puts `server` (started with [`SERVER_ARGS`]) in the state, through
    /// `admin`, a connection to it that stays open.
    pub fn start(self, admin: &mut Connection, server: &RedisServer) {
        match self {
            Refusal::Oom => config(admin, "maxmemory", "1"),
            Refusal::ReadOnly => {
                let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let port = nobody.local_addr().unwrap().port();
                drop(nobody);
                run(admin, &["REPLICAOF", "127.0.0.1", &port.to_string()]);
            }
            Refusal::PauseWrites => run(admin, &["CLIENT", "PAUSE", "600000", "WRITE"]),
            Refusal::NoReplicas => config(admin, "min-replicas-to-write", "1"),
            Refusal::Misconf => {
                // A snapshot into a directory nothing can be written to.
                config(admin, "stop-writes-on-bgsave-error", "yes");
                config(admin, "save", "3600 1");
                config(admin, "dir", "/proc");
                run(admin, &["BGSAVE"]);
                wait(admin, "the snapshot to fail", |info| {
                    info.contains("rdb_last_bgsave_status:err")
                });
            }
            Refusal::Busy => {
                config(admin, "busy-reply-threshold", "10");
                let url = server.url();
                thread::spawn(move || {
                    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
                    let _ = redis::cmd("EVAL")
                        .arg(&["while true do end", "0"])
                        .query::<()>(&mut conn);
                });
                thread::sleep(Duration::from_millis(200));
            }
            Refusal::MasterDown => {
                config(admin, "replica-serve-stale-data", "no");
                Refusal::ReadOnly.start(admin, server);
            }
            Refusal::Loading => {
                // 50 µs a key: so many keys load for about LOADING_FOR,
                // answering `LOADING` every 1 KiB read.
                let keys = LOADING_FOR.as_micros() / 50;
                run(admin, &["DEBUG", "POPULATE", &keys.to_string(), "loading:"]);
                config(admin, "key-load-delay", "50");
                config(admin, "loading-process-events-interval-bytes", "1024");
                let url = server.url();
                thread::spawn(move || {
                    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
                    let _ = redis::cmd("DEBUG").arg("RELOAD").query::<()>(&mut conn);
                });
                wait(admin, "the server to load", |info| {
                    info.contains("loading:1")
                });
            }
            Refusal::MaxClients => {
                // The limit first: killed in the other order, clients
                // reconnected in between (a local tier's tracking
                // connection, say) keep their connections through the
                // state, while the writers' do not.
                config(admin, "maxclients", "1");
                run(
                    admin,
                    &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
                );
            }
        }
    }

    /// Lifts the state [`start`](Self::start) brought about.
    pub fn end(self, admin: &mut Connection, server: &RedisServer) {
        match self {
            Refusal::Oom => config(admin, "maxmemory", "0"),
            Refusal::ReadOnly => run(admin, &["REPLICAOF", "NO", "ONE"]),
            Refusal::PauseWrites => run(admin, &["CLIENT", "UNPAUSE"]),
            Refusal::NoReplicas => config(admin, "min-replicas-to-write", "0"),
            Refusal::Misconf => {
                config(admin, "stop-writes-on-bgsave-error", "no");
                config(admin, "save", "");
                config(admin, "dir", &server.dir().to_string_lossy());
            }
            Refusal::Busy => {
                // The admin connection is refused too (BUSY) but for this.
                let until = Instant::now() + Duration::from_secs(20);
                while redis::cmd("SCRIPT").arg("KILL").query::<()>(admin).is_err() {
                    assert!(Instant::now() < until, "the script was not killed");
                    thread::sleep(Duration::from_millis(20));
                }
            }
            Refusal::MasterDown => Refusal::ReadOnly.end(admin, server),
            Refusal::Loading => {
                // `INFO` is refused while loading; `loading:0` once done.
                wait(admin, "the load to end", |info| info.contains("loading:0"));
                config(admin, "key-load-delay", "0");
                // A restart must not load the snapshot back.
                let _ = std::fs::remove_file(server.dir().join("dump.rdb"));
            }
            Refusal::MaxClients => config(admin, "maxclients", "10000"),
        }
    }
}

/// `CONFIG SET name value`.
fn config(admin: &mut Connection, name: &str, value: &str) {
    run(admin, &["CONFIG", "SET", name, value]);
}

/// Runs an admin command, which must succeed.
fn run(admin: &mut Connection, args: &[&str]) {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    if let Err(e) = cmd.query::<redis::Value>(admin) {
        panic!("{}: {e}", args.join(" "));
    }
}

/// Polls `INFO` every 20 ms until `done` holds of it (20 s at most).
fn wait(admin: &mut Connection, what: &str, done: impl Fn(&str) -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let info: redis::RedisResult<String> = redis::cmd("INFO").query(admin);
        if info.is_ok_and(|info| done(&info)) {
            return;
        }
        assert!(Instant::now() < until, "waited 20 s for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}
