//! A hook write's commit held open for its announcement (MySQL).
//!
//! On MySQL a hook writes in a short transaction of its own
//! (`mysql_atomic`): its old row, its write and its new row. The value tags
//! it touched (the old and new rows' values) are learned inside that
//! transaction, and on a shared store they must be announced before its
//! `COMMIT` (see `cache_core::Cache::announce_bumps`): a writer that dies
//! after the commit and before its bumps must not leave the lists it
//! changed valid. So a hook in autocommit asks ([`ask`]) that the
//! transaction `mysql_atomic` opens be left open; `mysql_atomic` says it
//! did ([`mark_held`]); the hook, which holds the typed outcome, names its
//! tags, announces them and commits ([`held`] tells it to).
//!
//! A thread-local flag: the hook and `mysql_atomic` run on one thread, one
//! inside the other (sync API only).

use std::cell::Cell;

/// Where the current thread's hook write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No hook asked.
    Idle,
    /// A hook asked; the transaction is not open yet.
    Asked,
    /// `mysql_atomic` left its transaction open for the hook.
    Held,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State::Idle) };
}

/// A hook's request; dropped, it is withdrawn (whatever happened).
#[must_use]
pub(crate) struct Asked(());

impl Drop for Asked {
    fn drop(&mut self) {
        STATE.with(|s| s.set(State::Idle));
    }
}

/// Asks that the next own transaction `mysql_atomic` opens on this thread
/// be left open for the caller to commit.
pub(crate) fn ask() -> Asked {
    STATE.with(|s| s.set(State::Asked));
    Asked(())
}

/// Whether a hook asked (and no transaction was held for it yet); the
/// request is taken: nested calls see none.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) fn take_request() -> bool {
    STATE.with(|s| {
        let asked = s.get() == State::Asked;
        if asked {
            s.set(State::Idle);
        }
        asked
    })
}

/// Says the transaction was left open, its write done.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) fn mark_held() {
    STATE.with(|s| s.set(State::Held));
}

/// Whether a transaction was left open for the caller (which must now
/// commit or roll it back).
pub(crate) fn held() -> bool {
    STATE.with(|s| {
        let held = s.get() == State::Held;
        s.set(State::Idle);
        held
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_taken_once_and_withdrawn_when_dropped() {
        assert!(!take_request());
        let asked = ask();
        assert!(take_request());
        assert!(!take_request(), "nested calls see no request");
        mark_held();
        assert!(held());
        assert!(!held());
        drop(asked);
        let asked = ask();
        drop(asked);
        assert!(!take_request(), "a dropped request is withdrawn");
    }
}
