//! What the replica helpers (`pg_replica`, `mariadb_replica`) share: servers
//! run by a shell that stops them and removes their directory when its
//! stdin closes (the helper is dropped, or the test process exits), and
//! the wait until a replica has replayed what its primary committed.

use cache_diesel::ReplicaPosition;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Servers started by a watching shell.
#[derive(Debug)]
pub struct Watched {
    child: Child,
    stdin: Option<ChildStdin>,
    dir: PathBuf,
}

impl Watched {
    /// Runs `shell` (a `sh -c` command whose script ends by reading stdin,
    /// then stopping its servers) with stdin piped; `dir` goes with it.
    pub fn spawn(mut shell: Command, dir: PathBuf) -> io::Result<Watched> {
        let mut child = shell.stdin(Stdio::piped()).spawn()?;
        let stdin = child.stdin.take();
        Ok(Watched { child, stdin, dir })
    }

    /// The shell's exit status, if it exited (its servers did not start).
    pub fn exited(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Stops the servers and waits for the shell.
    pub fn stop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let _ = self.child.wait();
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until the replica at `replica_url` has replayed everything the
/// primary at `primary_url` had committed when this was called (at most
/// `limit`); false on timeout or when either cannot be reached.
pub fn replayed_within<C: ReplicaPosition>(
    primary_url: &str,
    replica_url: &str,
    limit: Duration,
) -> bool {
    let Ok(mut primary) = C::establish(primary_url) else {
        return false;
    };
    let Ok(position) = primary.primary_position() else {
        return false;
    };
    let Ok(mut replica) = C::establish(replica_url) else {
        return false;
    };
    let started = Instant::now();
    while started.elapsed() < limit {
        if replica.has_replayed(&position).unwrap_or(false) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// True when this process runs as root (PostgreSQL refuses to; `mariadbd`
/// then needs `--user`).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
