//! Which copy of a per-core structure this thread uses: the counters'
//! stripes ([`crate::stats`]) and the read locks of the in-process store's
//! shards.
//!
//! Why the core a thread runs on, not an index chosen once per thread:
//! with more threads than copies, two threads running on two cores at once
//! shared a copy whenever their indices met (crossbeam's `ShardedLock`
//! hands exited threads' indices out again in any order; the stats' turn
//! counter wraps at 8), and every hit of each then moved that copy's cache
//! line between the cores: hits from 2, 8 or 32 threads on 2 cores ran at
//! 0.85-0.87 of one thread's rate in two of four `compare` runs, and 1.3-1.4
//! in the others. Two threads on two cores always hold different cores.
//!
//! The core is asked (`sched_getcpu`, a vDSO read on Linux) once every
//! [`ASK_EVERY`] calls and kept in between: a thread moved to another core
//! uses its old copy for a few calls at most, which costs speed, never
//! correctness (every copy is a full lock or a full set of counters).
//! Elsewhere than Linux, each thread takes the next index once.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls between two questions of the core a thread runs on.
const ASK_EVERY: u32 = 64;

thread_local! {
    /// This thread's last known core, and the calls left before asking again.
    static CORE: Cell<(usize, u32)> = const { Cell::new((0, 0)) };
}

/// A number standing for the core this thread runs on (taken modulo the
/// number of copies by the caller).
#[inline]
pub(crate) fn index() -> usize {
    CORE.with(|core| {
        let (index, left) = core.get();
        if left > 0 {
            core.set((index, left - 1));
            return index;
        }
        let index = current_core().unwrap_or_else(thread_turn);
        core.set((index, ASK_EVERY - 1));
        index
    })
}

/// The core this thread runs on now, if the system says.
#[cfg(target_os = "linux")]
fn current_core() -> Option<usize> {
    // SAFETY: `sched_getcpu` takes no argument and touches no memory of ours.
    usize::try_from(unsafe { libc::sched_getcpu() }).ok()
}

#[cfg(not(target_os = "linux"))]
fn current_core() -> Option<usize> {
    None
}

/// An index taken once per thread, in turn (where the core is not known).
fn thread_turn() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: Cell<Option<usize>> = const { Cell::new(None) };
    }
    MINE.with(|mine| match mine.get() {
        Some(turn) => turn,
        None => {
            let turn = NEXT.fetch_add(1, Ordering::Relaxed);
            mine.set(Some(turn));
            turn
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_index_between_questions_and_turns_differ() {
        CORE.with(|core| core.set((0, 0)));
        let first = index();
        let again: Vec<usize> = (1..ASK_EVERY).map(|_| index()).collect();
        assert!(again.iter().all(|i| *i == first), "kept between questions");
        let a = thread_turn();
        assert_eq!(thread_turn(), a, "a thread's turn is taken once");
        let b = std::thread::spawn(thread_turn).join().expect("thread");
        assert_ne!(a, b, "another thread takes another turn");
        #[cfg(target_os = "linux")]
        {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            assert!(current_core().is_some_and(|c| c < cores.max(1024)));
        }
    }
}
