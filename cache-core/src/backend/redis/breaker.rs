//! The circuit breaker in front of a Redis server.
//!
//! Closed, every call goes through. A failure that says the server is in
//! trouble (a connection that cannot be made, a timeout, an I/O error, a
//! dropped connection) opens it for `retry_after`: calls then fail at once.
//! When that has passed it is half-open: exactly one caller is admitted as
//! the probe and runs its real command with the normal timeouts, while the
//! others keep failing fast. The probe's success (or any answer from the
//! server, an error reply included) closes the breaker; its failure opens it
//! for another `retry_after`.
//!
//! The whole state is one atomic word, so a call on a closed breaker costs
//! one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The state word when closed.
const CLOSED: u64 = 0;
/// The state word while a probe runs (half-open).
const PROBING: u64 = u64::MAX;

/// A circuit breaker: closed, open until a time, or probing.
#[derive(Debug)]
pub(super) struct Breaker {
    /// [`CLOSED`], [`PROBING`], or the time (milliseconds since `epoch`,
    /// at least 1) before which calls fail fast.
    state: AtomicU64,
    epoch: Instant,
    retry_after: Duration,
}

/// Admission of one call; [`Ticket::succeeded`] or [`Ticket::failed`]
/// reports how it went. A probe's ticket dropped without a report (its
/// caller gave up, or panicked) counts as a failure, so the breaker is
/// never left half-open with no probe.
#[must_use]
pub(super) struct Ticket<'a> {
    breaker: &'a Breaker,
    probe: bool,
}

impl Breaker {
    /// A closed breaker that stays open `retry_after` after a failure.
    pub(super) fn new(retry_after: Duration) -> Self {
        Breaker {
            state: AtomicU64::new(CLOSED),
            epoch: Instant::now(),
            retry_after,
        }
    }

    /// How long it stays open after a failure.
    pub(super) fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Lets a call through (closed, or as the one probe once the open
    /// window has passed); `None`: fail fast.
    #[inline]
    pub(super) fn admit(&self) -> Option<Ticket<'_>> {
        let state = self.state.load(Ordering::Acquire);
        if state == CLOSED {
            return Some(Ticket {
                breaker: self,
                probe: false,
            });
        }
        self.admit_when_not_closed(state)
    }

    #[cold]
    fn admit_when_not_closed(&self, mut state: u64) -> Option<Ticket<'_>> {
        loop {
            if state == CLOSED {
                return Some(Ticket {
                    breaker: self,
                    probe: false,
                });
            }
            if state == PROBING || self.now_ms() < state {
                return None;
            }
            match self
                .state
                .compare_exchange(state, PROBING, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    return Some(Ticket {
                        breaker: self,
                        probe: true,
                    });
                }
                Err(now) => state = now,
            }
        }
    }

    /// True unless closed (open, or a probe is running).
    pub(super) fn is_open(&self) -> bool {
        self.state.load(Ordering::Acquire) != CLOSED
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(PROBING - 1)
    }

    /// The state word for "open until `retry_after` from now".
    fn open_until(&self) -> u64 {
        let retry = u64::try_from(self.retry_after.as_millis()).unwrap_or(u64::MAX);
        self.now_ms().saturating_add(retry).clamp(1, PROBING - 1)
    }
}

/// What a failure did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opened {
    /// It was closed and is now open.
    Now,
    /// A probe failed: open again.
    Again,
    /// It was already open, or a probe runs and will decide.
    Already,
}

impl Ticket<'_> {
    /// True for the half-open probe.
    pub(super) fn is_probe(&self) -> bool {
        self.probe
    }

    /// The call reached the server and got an answer: a probe closes the
    /// breaker. (A call admitted while closed changes nothing: the breaker
    /// may have opened meanwhile, and only a probe closes it.)
    pub(super) fn succeeded(mut self) -> bool {
        let probe = std::mem::take(&mut self.probe);
        if probe {
            self.breaker.state.store(CLOSED, Ordering::Release);
        }
        probe
    }

    /// The call found the server in trouble: the breaker opens (again) for
    /// `retry_after`.
    pub(super) fn failed(mut self) -> Opened {
        let breaker = self.breaker;
        let until = breaker.open_until();
        if std::mem::take(&mut self.probe) {
            breaker.state.store(until, Ordering::Release);
            return Opened::Again;
        }
        let mut state = breaker.state.load(Ordering::Acquire);
        loop {
            if state == PROBING {
                return Opened::Already; // the probe decides
            }
            match breaker.state.compare_exchange_weak(
                state,
                until.max(state),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if state == CLOSED => return Opened::Now,
                Ok(_) => return Opened::Already,
                Err(now) => state = now,
            }
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.probe {
            let breaker = self.breaker;
            breaker.state.store(breaker.open_until(), Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::sleep;

    // Long enough that the asserts made within it hold on a loaded
    // machine (a preemption of 30 ms passed the window of 30 ms).
    const WINDOW: Duration = Duration::from_millis(300);

    fn past_the_window() {
        sleep(WINDOW + Duration::from_millis(100));
    }

    #[test]
    fn closed_lets_every_call_through_and_a_success_changes_nothing() {
        let breaker = Breaker::new(WINDOW);
        for _ in 0..3 {
            let ticket = breaker.admit().unwrap();
            assert!(!ticket.is_probe());
            assert!(!ticket.succeeded());
        }
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_failure_opens_it_then_one_probe_at_a_time() {
        let breaker = Breaker::new(WINDOW);
        assert_eq!(breaker.admit().unwrap().failed(), Opened::Now);
        assert!(breaker.is_open());
        assert!(breaker.admit().is_none(), "fails fast while open");

        past_the_window();
        let probe = breaker.admit().unwrap();
        assert!(probe.is_probe());
        assert!(breaker.admit().is_none(), "one probe at a time");
        assert_eq!(probe.failed(), Opened::Again);
        assert!(breaker.admit().is_none(), "open again");

        past_the_window();
        let probe = breaker.admit().unwrap();
        assert!(probe.succeeded());
        assert!(!breaker.is_open());
        assert!(!breaker.admit().unwrap().is_probe());
    }

    #[test]
    fn a_probe_that_reports_nothing_reopens_it() {
        let breaker = Breaker::new(WINDOW);
        assert_eq!(breaker.admit().unwrap().failed(), Opened::Now);
        past_the_window();
        drop(breaker.admit().unwrap());
        assert!(breaker.admit().is_none());
        past_the_window();
        assert!(breaker.admit().unwrap().is_probe());
    }

    #[test]
    fn while_a_probe_runs_other_failures_leave_the_verdict_to_it() {
        let breaker = Breaker::new(WINDOW);
        let stale = breaker.admit().unwrap(); // admitted while closed
        assert_eq!(breaker.admit().unwrap().failed(), Opened::Now);
        past_the_window();
        let probe = breaker.admit().unwrap();
        assert_eq!(stale.failed(), Opened::Already);
        assert!(probe.succeeded());
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_zero_window_still_admits_one_probe_at_a_time() {
        let breaker = Breaker::new(Duration::ZERO);
        assert_eq!(breaker.admit().unwrap().failed(), Opened::Now);
        sleep(Duration::from_millis(2));
        let probe = breaker.admit().unwrap();
        assert!(probe.is_probe());
        assert!(breaker.admit().is_none());
        assert!(probe.succeeded());
    }
}
