//! A small pool of connections: idle ones are reused, at most `max` are
//! open, and a connection that failed is dropped, never handed out again.
//!
//! Why not r2d2: its `get()` retries a failed connect until its
//! `connection_timeout`, so a refused port, a wrong password or an unknown
//! host stalled every caller for the whole connect timeout, and it offers
//! no way to fail on the first error. Here a connect is attempted once, by
//! the caller that needs it, outside the lock, and its error is the
//! caller's at once. A caller that finds every connection busy waits at
//! most its `wait`, and gives up early when its `give_up` says so (the
//! circuit breaker opened meanwhile).
//!
//! Checkout and return each take the mutex once and touch the condition
//! variable only when someone waits (a notification is a system call, and
//! this is on every hit's path).
//!
//! A connection that sat idle for [`IDLE_CHECK`] or longer is checked
//! before it is handed out (the pool's `alive`: for a plain connection, a
//! peek at its socket that does not wait): a server's idle `timeout` (a
//! common production setting) closes connections nobody used for that
//! long, and a dead one handed out failed its caller's command and opened
//! the breaker. It is closed and another taken or opened instead. A busy
//! pool's connections are never idle that long, so a hit pays nothing.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A connection idle this long is checked before it is handed out. Redis's
/// `timeout` is whole seconds and closes a connection idle longer than it,
/// so none that was used less than a second ago can have been closed so.
pub(super) const IDLE_CHECK: Duration = Duration::from_millis(500);

/// Connections of type `C`.
pub(super) struct Pool<C> {
    state: Mutex<State<C>>,
    freed: Condvar,
    max: usize,
    /// Whether an idle connection still works (see [`IDLE_CHECK`]).
    alive: fn(&mut C) -> bool,
    /// `State::retired_mark`, read without the lock.
    retired_mark: std::sync::atomic::AtomicU64,
}

struct State<C> {
    /// Each with when it was returned.
    idle: Vec<(C, Instant)>,
    /// Bumped by [`Pool::retire_all`]: a connection handed out before is
    /// closed when it comes back.
    generation: u64,
    /// The highest mark [`Pool::retire_up_to`] retired for.
    retired_mark: u64,
    /// Connections open: idle, handed out, or being connected.
    open: usize,
    /// Callers waiting for a connection to be returned or a slot freed.
    waiters: usize,
}

/// Why [`Pool::get`] gave no connection.
#[derive(Debug)]
pub(super) enum Checkout<E> {
    /// Opening a new connection failed with this error.
    Connect(E),
    /// Every connection stayed busy for the whole wait.
    Busy,
    /// `give_up` said so while waiting.
    GaveUp,
}

impl<C> Pool<C> {
    /// A pool of at most `max` connections (at least one), whose idle
    /// ones are taken as working.
    #[cfg(test)]
    pub(super) fn new(max: usize) -> Self {
        Pool::checked(max, |_| true)
    }

    /// A pool of at most `max` connections (at least one); one idle for
    /// [`IDLE_CHECK`] is handed out only if `alive` says it works.
    pub(super) fn checked(max: usize, alive: fn(&mut C) -> bool) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                generation: 0,
                retired_mark: 0,
                open: 0,
                waiters: 0,
            }),
            freed: Condvar::new(),
            max: max.max(1),
            alive,
            retired_mark: Default::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // Nothing panics while holding the lock; a poisoned one is intact.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection (checked first if idle long, see
    /// [`IDLE_CHECK`]); else a new one from `connect` (tried once) when
    /// fewer than `max` are open; else the first one returned (or slot
    /// freed) within `wait`. A caller about to wait, or woken, gives up as
    /// soon as `give_up` is true.
    pub(super) fn get<E>(
        &self,
        wait: Duration,
        connect: impl FnOnce() -> Result<C, E>,
        give_up: impl Fn() -> bool,
    ) -> Result<Pooled<'_, C>, Checkout<E>> {
        self.checkout(wait, connect, give_up, false)
    }

    /// [`Pool::get`], but never an idle connection: a new one, or the
    /// first one returned while waiting (for a command resent after a
    /// reused connection turned out closed).
    pub(super) fn get_new<E>(
        &self,
        wait: Duration,
        connect: impl FnOnce() -> Result<C, E>,
        give_up: impl Fn() -> bool,
    ) -> Result<Pooled<'_, C>, Checkout<E>> {
        self.checkout(wait, connect, give_up, true)
    }

    fn checkout<E>(
        &self,
        wait: Duration,
        connect: impl FnOnce() -> Result<C, E>,
        give_up: impl Fn() -> bool,
        new: bool,
    ) -> Result<Pooled<'_, C>, Checkout<E>> {
        let mut deadline = None;
        let mut state = self.lock();
        loop {
            if !new && let Some((mut conn, since)) = state.idle.pop() {
                let generation = state.generation;
                if since.elapsed() < IDLE_CHECK {
                    return Ok(Pooled::new(self, conn, true, generation));
                }
                drop(state);
                if (self.alive)(&mut conn) {
                    return Ok(Pooled::new(self, conn, true, generation));
                }
                // Closed while idle (the server's `timeout`, say): not a
                // failure of anyone's; its slot is free for a new one.
                drop(conn);
                state = self.lock();
                state.open -= 1;
                continue;
            }
            if state.open < self.max {
                state.open += 1;
                let generation = state.generation;
                drop(state);
                let slot = Slot(self);
                let conn = connect().map_err(Checkout::Connect)?;
                std::mem::forget(slot);
                return Ok(Pooled::new(self, conn, false, generation));
            }
            if new && let Some((conn, _)) = state.idle.pop() {
                // Every slot taken: an idle connection makes room.
                state.open -= 1;
                drop(state);
                drop(conn);
                state = self.lock();
                continue;
            }
            if give_up() {
                return Err(Checkout::GaveUp);
            }
            let now = Instant::now();
            let deadline = *deadline.get_or_insert(now + wait);
            if now >= deadline {
                return Err(Checkout::Busy);
            }
            state.waiters += 1;
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.waiters -= 1;
            // Before taking a freed slot: a connection dropped because the
            // server is in trouble must not make room for another attempt.
            if give_up() {
                return Err(Checkout::GaveUp);
            }
        }
    }

    /// Closes every idle connection (after the server was found in
    /// trouble: they may all be dead) and wakes every waiter, so that
    /// each asks its `give_up` again.
    pub(super) fn drain_idle(&self) {
        let idle = {
            let mut state = self.lock();
            state.open -= state.idle.len();
            if state.waiters > 0 {
                self.freed.notify_all();
            }
            std::mem::take(&mut state.idle)
        };
        drop(idle); // closing sockets, outside the lock
    }

    /// [`Pool::drain_idle`], and every connection handed out now is closed
    /// when it comes back (under Sentinel, after trouble: they may all go
    /// to a master that was demoted, which answers reads and refuses
    /// writes, and a probe must not reuse one).
    pub(super) fn retire_all(&self) {
        let mut state = self.lock();
        let idle = self.retire(&mut state);
        drop(state);
        drop(idle); // closing sockets, outside the lock
    }

    /// [`Pool::retire_all`] once for each new `mark` (under Sentinel, the
    /// failovers announced): every caller that sees a new mark finds the
    /// pool retired, whoever retires it. Free when the mark is not new.
    pub(super) fn retire_up_to(&self, mark: u64) {
        use std::sync::atomic::Ordering;
        if mark <= self.retired_mark.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        if mark <= state.retired_mark {
            return;
        }
        state.retired_mark = mark;
        self.retired_mark.store(mark, Ordering::Release);
        let idle = self.retire(&mut state);
        drop(state);
        drop(idle);
    }

    /// Bumps the generation and takes the idle connections, under one
    /// lock (so that none is handed out in between with the new one).
    fn retire(&self, state: &mut State<C>) -> Vec<(C, Instant)> {
        state.generation += 1;
        state.open -= state.idle.len();
        if state.waiters > 0 {
            self.freed.notify_all();
        }
        std::mem::take(&mut state.idle)
    }

    /// Forgets a connection that was handed out (it has been dropped).
    fn release_slot(&self) {
        let mut state = self.lock();
        state.open -= 1;
        if state.waiters > 0 {
            self.freed.notify_one();
        }
    }

    fn put_back(&self, conn: C, generation: u64) {
        let now = Instant::now();
        let mut state = self.lock();
        if generation != state.generation {
            state.open -= 1;
            if state.waiters > 0 {
                self.freed.notify_one();
            }
            drop(state);
            drop(conn); // retired: closed, outside the lock
            return;
        }
        state.idle.push((conn, now));
        if state.waiters > 0 {
            self.freed.notify_one();
        }
    }

    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let state = self.lock();
        (state.idle.len(), state.open)
    }
}

/// A slot taken for a connection being opened; freed if that fails (or
/// panics).
struct Slot<'a, C>(&'a Pool<C>);

impl<C> Drop for Slot<'_, C> {
    fn drop(&mut self) {
        self.0.release_slot();
    }
}

/// A connection handed out by [`Pool::get`]: back to the pool when
/// dropped, unless [`Pooled::discard`] was called.
pub(super) struct Pooled<'a, C> {
    pool: &'a Pool<C>,
    /// `None` only once dropped.
    conn: Option<C>,
    keep: bool,
    reused: bool,
    /// The pool's generation when it was opened or taken.
    generation: u64,
}

impl<'a, C> Pooled<'a, C> {
    fn new(pool: &'a Pool<C>, conn: C, reused: bool, generation: u64) -> Self {
        Pooled {
            pool,
            conn: Some(conn),
            keep: true,
            reused,
            generation,
        }
    }

    /// Whether it was idle in the pool (not opened for this caller).
    pub(super) fn reused(&self) -> bool {
        self.reused
    }

    /// Closes the connection instead of returning it (it failed: its state
    /// is unknown).
    pub(super) fn discard(&mut self) {
        self.keep = false;
    }
}

impl<C> std::ops::Deref for Pooled<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn
            .as_ref()
            .expect("a pooled connection until dropped")
    }
}

impl<C> std::ops::DerefMut for Pooled<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .expect("a pooled connection until dropped")
    }
}

impl<C> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.keep {
            self.pool.put_back(conn, self.generation);
        } else {
            drop(conn);
            self.pool.release_slot();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    const LONG: Duration = Duration::from_secs(10);

    fn never() -> bool {
        false
    }

    #[test]
    fn idle_connections_are_reused_and_failed_ones_dropped() {
        let pool = Pool::new(4);
        let made = AtomicUsize::new(0);
        let connect = || Ok::<_, ()>(made.fetch_add(1, Ordering::SeqCst));
        let first = *pool.get(LONG, connect, never).unwrap();
        assert_eq!(*pool.get(LONG, connect, never).unwrap(), first, "reused");
        assert_eq!(pool.counts(), (1, 1));
        pool.get(LONG, connect, never).unwrap().discard();
        assert_eq!(pool.counts(), (0, 0), "dropped, not returned");
        assert_eq!(*pool.get(LONG, connect, never).unwrap(), 1, "a new one");
    }

    #[test]
    fn a_failed_connect_is_the_callers_error_at_once_and_frees_its_slot() {
        let pool = Pool::<u32>::new(1);
        let tries = AtomicUsize::new(0);
        let refused = || {
            tries.fetch_add(1, Ordering::SeqCst);
            Err("refused")
        };
        let started = Instant::now();
        assert!(matches!(
            pool.get(LONG, refused, never),
            Err(Checkout::Connect("refused"))
        ));
        assert!(started.elapsed() < LONG / 2, "no retrying until a timeout");
        assert_eq!(tries.load(Ordering::SeqCst), 1, "tried once");
        assert_eq!(pool.counts(), (0, 0));
        assert!(pool.get(LONG, || Ok::<_, ()>(1), never).is_ok());
    }

    #[test]
    fn at_most_max_are_open_and_a_busy_pool_waits_at_most_its_wait() {
        let pool = Pool::new(2);
        let connect = || Ok::<_, ()>(0u8);
        let a = pool.get(LONG, connect, never).unwrap();
        let b = pool.get(LONG, connect, never).unwrap();
        let wait = Duration::from_millis(30);
        let started = Instant::now();
        assert!(matches!(
            pool.get(wait, connect, never),
            Err(Checkout::Busy)
        ));
        assert!(started.elapsed() >= wait);
        drop((a, b));
        assert_eq!(pool.counts(), (2, 2));
    }

    #[test]
    fn a_waiter_gets_the_connection_returned_or_the_slot_freed() {
        let pool = Arc::new(Pool::new(1));
        let held = pool.get(LONG, || Ok::<_, ()>(7), never).unwrap();
        let ready = Arc::new(Barrier::new(2));
        let waiter = {
            let (pool, ready) = (pool.clone(), ready.clone());
            thread::spawn(move || {
                ready.wait();
                *pool.get(LONG, || Ok::<_, ()>(8), never).unwrap()
            })
        };
        ready.wait();
        thread::sleep(Duration::from_millis(20));
        drop(held);
        assert_eq!(waiter.join().unwrap(), 7);

        let mut held = pool.get(LONG, || Ok::<_, ()>(9), never).unwrap();
        held.discard();
        let waiter = {
            let (pool, ready) = (pool.clone(), ready.clone());
            thread::spawn(move || {
                ready.wait();
                *pool.get(LONG, || Ok::<_, ()>(8), never).unwrap()
            })
        };
        ready.wait();
        thread::sleep(Duration::from_millis(20));
        drop(held);
        assert_eq!(waiter.join().unwrap(), 8, "a new connection");
    }

    #[test]
    fn a_connection_idle_long_is_checked_and_a_dead_one_replaced() {
        // Connections are numbers; odd ones are dead.
        let pool = Pool::checked(2, |c: &mut u32| c.is_multiple_of(2));
        let made = AtomicUsize::new(0);
        let connect = || Ok::<_, ()>(made.fetch_add(1, Ordering::SeqCst) as u32);
        let (a, b) = (
            pool.get(LONG, connect, never).unwrap(),
            pool.get(LONG, connect, never).unwrap(),
        );
        assert_eq!((*a, *b), (0, 1));
        drop((a, b));
        let again = pool.get(LONG, connect, never).unwrap();
        assert_eq!(
            (*again, again.reused()),
            (1, true),
            "not idle long: not checked"
        );
        drop(again);
        thread::sleep(IDLE_CHECK + Duration::from_millis(50));
        let checked = pool.get(LONG, connect, never).unwrap();
        assert_eq!(*checked, 0, "1 was dead: closed, 0 taken");
        let new = pool.get(LONG, connect, never).unwrap();
        assert_eq!((*new, new.reused()), (2, false), "1's slot reused");
        drop(checked);
        let fresh = pool.get_new(LONG, connect, never).unwrap();
        assert_eq!(
            (*fresh, fresh.reused()),
            (3, false),
            "0 closed to make room"
        );
        assert_eq!(pool.counts(), (0, 2));
    }

    #[test]
    fn draining_wakes_waiters_that_then_give_up() {
        let pool = Arc::new(Pool::new(1));
        let held = pool.get(LONG, || Ok::<_, ()>(1), never).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (pool, stop) = (pool.clone(), stop.clone());
            thread::spawn(move || {
                let started = Instant::now();
                let got = pool.get(LONG, || Ok::<_, ()>(2), || stop.load(Ordering::SeqCst));
                (matches!(got, Err(Checkout::GaveUp)), started.elapsed())
            })
        };
        thread::sleep(Duration::from_millis(20));
        stop.store(true, Ordering::SeqCst);
        pool.drain_idle();
        let (gave_up, took) = waiter.join().unwrap();
        assert!(gave_up && took < LONG / 2, "{gave_up} {took:?}");
        drop(held);
        assert_eq!(pool.counts(), (1, 1));
        pool.drain_idle();
        assert_eq!(pool.counts(), (0, 0));
    }
}
