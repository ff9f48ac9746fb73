//! An entry's memo as the store holds it, lent to readers without a
//! reference counted: a hit writes no line of the entry.
//!
//! Why: a hit took the memo's `Arc` out of the shard (a count up, and down
//! once the value was cloned), so that the value's `Clone`, the
//! application's code, ran after the shard's lock was released. On two
//! cores reading the same entries, those two writes moved the count's line
//! between the cores on nearly every hit. Now a reader pins the epoch
//! (crossbeam-epoch: a write to a line of its own thread), finds the memo
//! under the shard's read lock, releases the lock, and reads the memo
//! through a plain reference until it unpins; the store, when it lets go
//! of a memo (replaced, removed, evicted, swept), defers dropping it until
//! every thread pinned at that moment has unpinned ([`Held`]'s `Drop`).
//! Only memos of decoded values are lent (a reader of bytes decodes, on
//! the slow path, and swaps the decoded memo in): a memo of bytes is
//! dropped at once, so a fill's bytes, replaced by its first reader's
//! decoded value, are not left waiting for the epoch (deferred, they raised
//! the resident bytes per cached row from 2.80 to 2.99-3.04 of the row's).
//!
//! The store's writes pin before they take a shard's lock ([`writing`]):
//! crossbeam collects deferred drops only in a thread's outermost pin, so
//! a memo's value (the application's `Drop`) is never dropped under a lock
//! of the store's. After the lock, a write that let memos go hands them to
//! the global queue and collects what is due: a thread that writes once
//! and then idles does not keep up to 63 values (crossbeam's bag) alive.

use crate::backend::{Kept, Memo};
use std::any::Any;
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::sync::Arc;

/// A memo the store holds, released through the epoch.
#[derive(Debug)]
pub(super) struct Held(ManuallyDrop<Memo>);

impl Held {
    pub(super) fn new(memo: Memo) -> Self {
        Held(ManuallyDrop::new(memo))
    }

    /// The memo, counted (for callers that keep it).
    pub(super) fn memo(&self) -> Memo {
        Memo::clone(&self.0)
    }

    /// Whether this is `memo`.
    pub(super) fn is(&self, memo: &Memo) -> bool {
        Arc::ptr_eq(&self.0, memo)
    }

    /// The memo, uncounted, if it holds a decoded value (a memo of bytes
    /// is never lent, so it is dropped at once when let go): valid while
    /// the calling thread stays pinned from before it found this `Held`
    /// (see [`lend`]).
    pub(super) fn lendable(&self) -> Option<*const Kept<dyn Any + Send + Sync>> {
        self.0.decoded().map(|_| Arc::as_ptr(&self.0))
    }
}

impl std::ops::Deref for Held {
    type Target = Kept<dyn Any + Send + Sync>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Clone for Held {
    fn clone(&self) -> Self {
        Held::new(self.memo())
    }
}

thread_local! {
    /// Whether this thread let a memo go since its last write's flush.
    static LET_GO: Cell<bool> = const { Cell::new(false) };
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: taken once, here, and never used again.
        let memo = unsafe { ManuallyDrop::take(&mut self.0) };
        if memo.decoded().is_none() {
            // Never lent ([`Held::lendable`]): no reader holds it uncounted.
            return;
        }
        crossbeam_epoch::pin().defer(move || drop(memo));
        LET_GO.with(|let_go| let_go.set(true));
    }
}

/// This thread pinned for a write of the store, to take before its lock
/// and drop after it.
pub(super) struct Writing(crossbeam_epoch::Guard);

/// Pins for a write (see the module's documentation).
pub(super) fn writing() -> Writing {
    Writing(crossbeam_epoch::pin())
}

impl Drop for Writing {
    fn drop(&mut self) {
        if LET_GO.with(|let_go| let_go.replace(false)) {
            self.0.flush();
        }
    }
}

/// `read` of the memo `find` finds (under a shard's lock, as a pointer
/// from [`Held::lendable`]), after `find` returns: `false` if none.
#[inline]
pub(super) fn lend(
    find: impl FnOnce() -> Option<*const Kept<dyn Any + Send + Sync>>,
    read: &mut dyn FnMut(&Kept<dyn Any + Send + Sync>),
) -> bool {
    let pinned = crossbeam_epoch::pin();
    let Some(kept) = find() else {
        return false;
    };
    // SAFETY: `kept` was a `Held`'s memo when `find` saw it, after this
    // thread pinned; a `Held` that lets its memo go defers the drop until
    // every thread pinned then has unpinned, so the memo lives at least
    // until `pinned` is dropped, below.
    read(unsafe { &*kept });
    drop(pinned);
    true
}
