//! A PostgreSQL streaming replica of the test server (`DATABASE_URL`),
//! started by the test itself: `pg_basebackup` of the server into a
//! directory of its own, then a second `postgres` on a free port, in hot
//! standby, replaying with `recovery_min_apply_delay` so that it lags.
//!
//! The server's `pg_hba.conf` must allow replication connections from
//! 127.0.0.1 (`scripts/services.sh` adds it). PostgreSQL does not run as
//! root: when the tests do, the replica runs as the `postgres` user
//! (`setpriv`). Its directory and process go when it is dropped, or, for
//! the process's one replica ([`PgReplica::shared`]), when the test process
//! exits (a shell beside it stops it and removes its directory when its
//! stdin closes).

use crate::services;
use crate::watched::{Watched, is_root, replayed_within};
use diesel::prelude::*;
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a base backup and the replica's start may take together.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running replica.
#[derive(Debug)]
pub struct PgReplica {
    port: u16,
    dir: PathBuf,
    /// The server (see the module docs).
    server: Watched,
    primary_url: String,
}

impl PgReplica {
    /// The process's one replica, started on first use with `lag`
    /// (`recovery_min_apply_delay`); `None` (after one line) when it cannot
    /// be started outside CI. In CI that fails the test.
    pub fn shared(lag: Duration) -> Option<&'static PgReplica> {
        static SHARED: OnceLock<Mutex<Option<&'static PgReplica>>> = OnceLock::new();
        let mut slot = SHARED.get_or_init(|| Mutex::new(None)).lock().unwrap();
        if slot.is_none() {
            *slot = Some(Box::leak(Box::new(Self::for_test(lag)?)));
        }
        *slot
    }

    /// A replica of the test server lagging by `lag`; `None` (after one
    /// line) when it cannot be started outside CI. In CI that panics.
    pub fn for_test(lag: Duration) -> Option<PgReplica> {
        let primary = services::database_url()?;
        match Self::start(&primary, lag) {
            Ok(replica) => Some(replica),
            Err(e) if services::in_ci() => panic!("a PostgreSQL replica could not start: {e}"),
            Err(e) => {
                println!("skipped: a PostgreSQL replica could not start ({e})");
                None
            }
        }
    }

    /// Starts a replica of the server at `primary_url`, lagging by `lag`.
    pub fn start(primary_url: &str, lag: Duration) -> io::Result<PgReplica> {
        let bin = pg_bindir()?;
        let parsed = url::Url::parse(primary_url).map_err(io::Error::other)?;
        let dir = std::env::temp_dir().join(format!(
            "cache-tests-pg-replica-{}-{}",
            std::process::id(),
            crate::unique::prefix("r")
        ));
        let data = dir.join("data");
        std::fs::create_dir_all(&dir)?;
        as_postgres_owner(&dir)?;
        let backup = postgres_user(bin.join("pg_basebackup"))
            .args(["-h", parsed.host_str().unwrap_or("127.0.0.1")])
            .args(["-p", &parsed.port().unwrap_or(5432).to_string()])
            .args(["-U", parsed.username()])
            .arg("-D")
            .arg(&data)
            .args(["-R", "-X", "stream", "-c", "fast"])
            .output()?;
        if !backup.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(io::Error::other(format!(
                "pg_basebackup: {}",
                String::from_utf8_lossy(&backup.stderr).trim()
            )));
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        // The server's own configuration lives outside its data directory
        // on Debian: the copy gets a minimal one.
        std::fs::write(data.join("postgresql.conf"), conf(lag))?;
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        )?;
        as_postgres_owner(&data.join("postgresql.conf"))?;
        as_postgres_owner(&data.join("pg_hba.conf"))?;
        let script = format!(
            "{postgres} -D {data} -p {port} -c listen_addresses=127.0.0.1 \
             -c unix_socket_directories={dir} > {dir}/log 2>&1 & pid=$!; \
             read _; kill -INT $pid; wait $pid; rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
        );
        let mut shell = postgres_user("sh".into());
        shell.args(["-c", &script]);
        let mut replica = PgReplica {
            port,
            server: Watched::spawn(shell, dir.clone())?,
            dir,
            primary_url: primary_url.to_owned(),
        };
        let started = Instant::now();
        loop {
            match PgConnection::establish(&replica.url()) {
                Ok(mut conn) => {
                    let in_recovery: bool =
                        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "pg_is_in_recovery()",
                        ))
                        .get_result(&mut conn)
                        .map_err(io::Error::other)?;
                    if !in_recovery {
                        return Err(io::Error::other("the copy is not in recovery"));
                    }
                    return Ok(replica);
                }
                Err(_) if started.elapsed() < START_TIMEOUT => {
                    if let Some(status) = replica.server.exited()? {
                        return Err(io::Error::other(format!(
                            "the replica exited ({status}): {}",
                            replica.log()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => {
                    replica.server.stop();
                    return Err(io::Error::other(format!("the replica did not answer: {e}")));
                }
            }
        }
    }

    /// The replica's URL, for the primary's database.
    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&self.primary_url).expect("the primary's URL parsed before");
        url.set_port(Some(self.port)).expect("a port");
        url.to_string()
    }

    /// The primary's URL.
    pub fn primary_url(&self) -> &str {
        &self.primary_url
    }

    /// Replays with `lag` from now on (`recovery_min_apply_delay`, reloaded).
    pub fn set_lag(&self, lag: Duration) -> io::Result<()> {
        let path = self.dir.join("data").join("postgresql.conf");
        std::fs::write(&path, conf(lag))?;
        let mut conn = PgConnection::establish(&self.url()).map_err(io::Error::other)?;
        diesel::sql_query("SELECT pg_reload_conf()")
            .execute(&mut conn)
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// Waits until the replica has replayed everything the primary had
    /// committed when this was called (at most `limit`); false on timeout.
    pub fn catch_up(&self, limit: Duration) -> bool {
        replayed_within::<PgConnection>(&self.primary_url, &self.url(), limit)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

/// The replica's configuration file.
fn conf(lag: Duration) -> String {
    format!(
        "hot_standby = on\nrecovery_min_apply_delay = '{}ms'\nshared_buffers = '16MB'\n\
         max_standby_streaming_delay = -1\nfsync = off\n",
        lag.as_millis()
    )
}

/// The directory of the server's programs (`pg_config --bindir`).
fn pg_bindir() -> io::Result<PathBuf> {
    let out = Command::new("pg_config").arg("--bindir").output()?;
    if !out.status.success() {
        return Err(io::Error::other("pg_config --bindir failed"));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// `program` run as the `postgres` user when this process is root.
fn postgres_user(program: PathBuf) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Gives `path` to the `postgres` user when this process is root.
fn as_postgres_owner(path: &std::path::Path) -> io::Result<()> {
    if !is_root() {
        return Ok(());
    }
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()?;
    if !status.success() {
        return Err(io::Error::other("chown postgres failed"));
    }
    Ok(())
}
