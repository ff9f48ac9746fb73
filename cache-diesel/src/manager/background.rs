//! Background refreshes: where they get their connections, and the few
//! threads they run on.
//!
//! A model with `#[cache(soft_timeout = .., refresh = "background")]`
//! refreshes an entry past its soft timeout away from the caller, while
//! every caller (the one that took the refresh lease included) is served the
//! old value. The refresh needs a connection of its own: register how to
//! get one, once per connection type, with [`refresh_connections`]: a pool
//! (`move || pool.get()`) or anything returning a connection or a handle
//! to one ([`RefreshConnection`]).
//!
//! Refreshes run on a fixed set of worker threads (2 by default), fed by a
//! bounded queue (64 by default; [`refresh_workers`] sets both before the
//! first refresh). A refresh that finds the queue full is not skipped: the
//! caller that took the refresh lease runs it inline, on its own
//! connection, as it does when no opener is registered; the other callers
//! are still served the old value. The queue's bound is what keeps a burst
//! of stale entries from holding more than `workers` connections.
//!
//! A queued refresh keeps the guarantees of an inline one: its value is
//! stamped with the tag versions read before the entry went stale, so a
//! write that lands meanwhile makes the refreshed entry invalid, never
//! current; and the entry's refresh lease stays taken until it lands (or
//! for at most the cache's `lease`, when a refresh waits that long in the
//! queue or fails: then another caller may refresh again).

use diesel::Connection;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};

/// What an opener returns: a connection, or a handle that reaches one
/// (an r2d2 `PooledConnection`, with the `r2d2` feature).
///
/// Implement it for a handle type of your own (one that derefs to the
/// connection) to use it as an opener's result.
pub trait RefreshConnection: Send + 'static {
    /// The connection the refresh runs its query on.
    type Connection: Connection + 'static;
    /// That connection.
    fn connection(&mut self) -> &mut Self::Connection;
}

#[cfg(feature = "sqlite")]
impl RefreshConnection for diesel::sqlite::SqliteConnection {
    type Connection = Self;
    fn connection(&mut self) -> &mut Self {
        self
    }
}

#[cfg(feature = "postgres-system-libpq")]
impl RefreshConnection for diesel::pg::PgConnection {
    type Connection = Self;
    fn connection(&mut self) -> &mut Self {
        self
    }
}

#[cfg(feature = "mysql")]
impl RefreshConnection for diesel::mysql::MysqlConnection {
    type Connection = Self;
    fn connection(&mut self) -> &mut Self {
        self
    }
}

#[cfg(feature = "r2d2")]
impl<C> RefreshConnection for crate::connections::Pooled<C>
where
    C: diesel::r2d2::R2D2Connection + Send + 'static,
{
    type Connection = C;
    fn connection(&mut self) -> &mut C {
        self
    }
}

/// Runs a refresh on a freshly opened `C`: `Err` when none could be opened.
type Runner<C> = Arc<dyn Fn(&mut dyn FnMut(&mut C)) -> Result<(), String> + Send + Sync>;

static RUNNERS: LazyLock<RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>> =
    LazyLock::new(Default::default);

fn register<C: 'static>(runner: Runner<C>) {
    RUNNERS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(TypeId::of::<C>(), Box::new(runner));
}

/// Registers how background refreshes get connections: `open` returns a
/// connection or a handle to one ([`RefreshConnection`]), or an error of
/// any kind (logged; the entry is refreshed later). From an r2d2 pool:
///
/// ```text
/// cache_diesel::refresh_connections(move || pool.get());
/// ```
///
/// It serves reads made on the connection type (`PgConnection`) and, for
/// a handle, reads made on the handle type too (`&mut pooled`). A later
/// call for the same type replaces it.
pub fn refresh_connections<R, E>(open: impl Fn() -> Result<R, E> + Send + Sync + 'static)
where
    R: RefreshConnection,
    E: Display,
{
    let open = Arc::new(open);
    let inner = open.clone();
    register::<R::Connection>(Arc::new(move |run| {
        let mut handle = inner().map_err(|e| e.to_string())?;
        run(handle.connection());
        Ok(())
    }));
    if TypeId::of::<R>() != TypeId::of::<R::Connection>() {
        register::<R>(Arc::new(move |run| {
            let mut handle = open().map_err(|e| e.to_string())?;
            run(&mut handle);
            Ok(())
        }));
    }
}

/// The registered way to run a refresh on a `C`, if any.
pub(crate) fn runner<C: 'static>() -> Option<Runner<C>> {
    let runners = RUNNERS.read().unwrap_or_else(|p| p.into_inner());
    runners
        .get(&TypeId::of::<C>())?
        .downcast_ref::<Runner<C>>()
        .cloned()
}

/// Worker threads by default (see [`refresh_workers`]).
const DEFAULT_WORKERS: usize = 2;
/// Queued refreshes by default.
const DEFAULT_QUEUE: usize = 64;

static CONFIG: Mutex<(usize, usize)> = Mutex::new((DEFAULT_WORKERS, DEFAULT_QUEUE));
static WORKERS: OnceLock<Workers> = OnceLock::new();

/// Sets how many threads run background refreshes and how many refreshes
/// may wait for one (by default two threads and a queue of 64). Takes
/// effect only before the first background refresh (the threads start
/// then); returns whether it did. Zeros count as one.
pub fn refresh_workers(workers: usize, queue: usize) -> bool {
    let mut config = CONFIG.lock().unwrap_or_else(|p| p.into_inner());
    if WORKERS.get().is_some() {
        return false;
    }
    *config = (workers.max(1), queue.max(1));
    true
}

/// What the background refresh workers did (process-wide).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Worker threads started (at most the configured count).
    pub threads: usize,
    /// Refreshes handed to the workers.
    pub queued: u64,
    /// Refreshes that found the queue full and ran inline instead.
    pub ran_inline: u64,
    /// Refreshes the workers finished (stored, failed or panicked).
    pub finished: u64,
    /// Refreshes handed to tokio tasks by the async API (feature `async`).
    pub tasks: u64,
}

/// The workers' counters so far (and the async API's refresh tasks).
pub fn refresh_stats() -> RefreshStats {
    let mut stats = match WORKERS.get() {
        Some(w) => w.stats(),
        None => RefreshStats::default(),
    };
    stats.tasks = REFRESH_TASKS.load(Ordering::Relaxed);
    stats
}

/// Refreshes handed to tokio tasks (`background_async`).
pub(crate) static REFRESH_TASKS: AtomicU64 = AtomicU64::new(0);

/// A refresh waiting for a worker.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads fed by a bounded queue.
struct Workers {
    queue: SyncSender<Job>,
    threads: AtomicUsize,
    queued: AtomicU64,
    ran_inline: AtomicU64,
    finished: Arc<AtomicU64>,
}

impl Workers {
    fn start(workers: usize, queue: usize, name: &str) -> Workers {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let finished = Arc::new(AtomicU64::new(0));
        let mut threads = 0;
        for i in 0..workers {
            let (rx, finished) = (rx.clone(), finished.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || work(&rx, &finished));
            match spawned {
                Ok(_) => threads += 1,
                Err(e) => tracing::error!(error = %e, "cannot start a background refresh thread"),
            }
        }
        Workers {
            queue: tx,
            threads: AtomicUsize::new(threads),
            queued: AtomicU64::new(0),
            ran_inline: AtomicU64::new(0),
            finished,
        }
    }

    /// Queues `job`; gives it back when the queue is full (or no worker runs).
    fn submit(&self, job: Job) -> Result<(), Job> {
        if self.threads.load(Ordering::Relaxed) == 0 {
            return Err(job);
        }
        match self.queue.try_send(job) {
            Ok(()) => {
                self.queued.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                self.ran_inline.fetch_add(1, Ordering::Relaxed);
                Err(job)
            }
        }
    }

    fn stats(&self) -> RefreshStats {
        RefreshStats {
            threads: self.threads.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            ran_inline: self.ran_inline.load(Ordering::Relaxed),
            finished: self.finished.load(Ordering::Relaxed),
            tasks: 0,
        }
    }
}

fn work(queue: &Mutex<Receiver<Job>>, finished: &AtomicU64) {
    loop {
        let job = match queue.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            tracing::error!("a background refresh panicked; its entry is refreshed again later");
        }
        finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// Hands a refresh to the workers (starting them on first use); gives it
/// back when the queue is full, for the caller to run inline.
pub(crate) fn submit(job: Job) -> Result<(), Job> {
    WORKERS
        .get_or_init(|| {
            let (workers, queue) = *CONFIG.lock().unwrap_or_else(|p| p.into_inner());
            Workers::start(workers, queue, "cache-refresh")
        })
        .submit(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Barrier;
    use std::time::Duration;

    #[test]
    fn a_full_queue_gives_the_refresh_back_and_workers_stay_few() {
        let workers = Workers::start(2, 3, "test-refresh");
        let gate = Arc::new(Barrier::new(3)); // both workers and this thread
        let seen = Arc::new(Mutex::new(HashSet::new()));
        // Two jobs occupy both workers until the gate opens ...
        for _ in 0..2 {
            let (gate, seen) = (gate.clone(), seen.clone());
            let job: Job = Box::new(move || {
                seen.lock().unwrap().insert(std::thread::current().id());
                gate.wait();
            });
            assert!(workers.submit(job).is_ok());
        }
        // ... once both have started them, three more fill the queue ...
        while seen.lock().unwrap().len() < 2 {
            std::thread::sleep(Duration::from_millis(1));
        }
        for _ in 0..3 {
            let seen = seen.clone();
            let job: Job = Box::new(move || {
                seen.lock().unwrap().insert(std::thread::current().id());
            });
            assert!(workers.submit(job).is_ok());
        }
        // ... and the next is handed back, to run inline.
        assert!(workers.submit(Box::new(|| {})).is_err());
        gate.wait();
        while workers.stats().finished < 5 {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(seen.lock().unwrap().len(), 2, "five jobs on two threads");
        let stats = workers.stats();
        assert_eq!(
            (
                stats.threads,
                stats.queued,
                stats.ran_inline,
                stats.finished
            ),
            (2, 5, 1, 5)
        );
    }

    #[test]
    fn a_panicking_refresh_does_not_take_its_worker_down() {
        let workers = Workers::start(1, 4, "test-panic");
        assert!(workers.submit(Box::new(|| panic!("boom"))).is_ok());
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Job = Box::new(move || tx.send(()).unwrap());
        assert!(workers.submit(job).is_ok());
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the worker ran the next job");
    }
}
