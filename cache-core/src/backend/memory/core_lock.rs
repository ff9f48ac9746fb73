//! A reader-writer lock with a read lock per core: a reader locks the copy
//! of the core it runs on ([`crate::per_cpu`]), a writer every copy.
//!
//! Why not crossbeam's `ShardedLock`, used before: it has the same shape,
//! but picks a reader's copy by an index it hands each thread once (of 8,
//! exited threads' indices handed out again in any order), so two threads
//! running on two cores at once often shared a copy and moved its line
//! between the cores on every hit (see `per_cpu`). Here two cores never
//! share one, up to [`MAX_COPIES`] cores.

use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::sync::{PoisonError, RwLock};

/// The most copies of the read lock (the number of cores, rounded up to a
/// power of two, up to this).
const MAX_COPIES: usize = 64;

/// A value behind a read lock per core.
pub(super) struct CoreLock<T> {
    copies: Box<[CachePadded<RwLock<()>>]>,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached as `&T` by readers holding one copy's read
// lock, and as `&mut T` only by a writer holding every copy's write lock:
// as for `RwLock<T>`, sharing the lock shares `&T` between threads (`Sync`)
// and moves `&mut T` between them (`Send`).
unsafe impl<T: Send + Sync> Sync for CoreLock<T> {}

impl<T> CoreLock<T> {
    pub(super) fn new(value: T) -> Self {
        let cores = std::thread::available_parallelism().map_or(8, |n| n.get());
        let copies = cores.next_power_of_two().min(MAX_COPIES);
        CoreLock {
            copies: (0..copies)
                .map(|_| CachePadded::new(RwLock::new(())))
                .collect(),
            value: UnsafeCell::new(value),
        }
    }

    /// `f` of the value, read-locked. (A lock poisoned by a panic elsewhere
    /// is taken anyway: the callers keep their value consistent between
    /// calls.)
    #[inline]
    pub(super) fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let copy = &self.copies[crate::per_cpu::index() & (self.copies.len() - 1)];
        let _held = copy.read().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: a writer holds every copy's write lock, so none holds
        // this one while its read lock is held.
        f(unsafe { &*self.value.get() })
    }

    /// `f` of the value, write-locked (every copy, in order).
    pub(super) fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _held: Vec<_> = self
            .copies
            .iter()
            .map(|copy| copy.write().unwrap_or_else(PoisonError::into_inner))
            .collect();
        // SAFETY: every copy's write lock is held: no reader, no other
        // writer.
        f(unsafe { &mut *self.value.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::CoreLock;
    use std::sync::Arc;

    #[test]
    fn writers_exclude_readers_and_each_other() {
        let lock = Arc::new(CoreLock::new((0u64, 0u64)));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..2_000 {
                        if t % 2 == 0 {
                            lock.write(|(a, b)| {
                                *a += 1;
                                *b += 1;
                            });
                        } else {
                            lock.read(|(a, b)| assert_eq!(a, b, "a write seen half done"));
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no reader saw a write half done");
        }
        assert_eq!(lock.read(|(a, _)| *a), 4 * 2_000, "no write lost");
    }
}
