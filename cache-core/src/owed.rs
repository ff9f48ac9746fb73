//! Tag bumps that a write could not deliver: the backend failed (Redis
//! unreachable or timing out) after the write had committed.
//!
//! A lost bump would leave every entry stamped with the old versions valid
//! again once the backend answers (a partition, not a restart). So the cache
//! keeps what it owes and delivers it before anything else: every tagged
//! read first tries to settle, and one that cannot settle reads the source
//! instead if it depends on an owed tag; a thread retries every
//! `retry_after` until the debt is paid, so that other processes, which
//! cannot know, stop seeing the old entries within that interval of the
//! backend's return.

use crate::timeout::Ttl;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The owed bumps of one cache.
#[derive(Debug, Default)]
pub(crate) struct OwedBumps {
    /// Whether anything is owed: the only thing a read looks at otherwise.
    any: AtomicBool,
    owed: Mutex<Owed>,
    /// Whether a retry thread is running.
    retrying: AtomicBool,
    /// Whether a reader is delivering (one at a time: while the backend is
    /// slow, the others need not each wait for a write of their own).
    delivering: AtomicBool,
}

#[derive(Debug, Default)]
struct Owed {
    /// Each owed tag: when it was last owed (a number from `next`), and the
    /// lifetime asked for.
    tags: HashMap<String, (u64, Ttl)>,
    next: u64,
}

/// What was owed at one moment: the tags, when each was owed, and the
/// longest lifetime among them (`None`: never expires).
#[derive(Debug, PartialEq)]
pub(crate) struct Debt {
    owed: Vec<(String, u64)>,
    ttl: Ttl,
}

impl Debt {
    /// The shortest lifetime: what [`Debt::ttl_along`] takes to add nothing.
    pub(crate) const NO_TTL: Ttl = Some(std::time::Duration::ZERO);

    /// Nothing owed.
    fn none() -> Self {
        Debt {
            owed: Vec::new(),
            ttl: Self::NO_TTL,
        }
    }

    /// The lifetime to write these tags with, along with others of `ttl`.
    pub(crate) fn ttl_along(&self, ttl: Ttl) -> Ttl {
        longest(self.ttl, ttl)
    }

    /// The tags.
    pub(crate) fn tags(&self) -> impl Iterator<Item = &String> {
        self.owed.iter().map(|(tag, _)| tag)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.owed.is_empty()
    }
}

/// The longer of two tag lifetimes (`None` is forever).
fn longest(a: Ttl, b: Ttl) -> Ttl {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

impl OwedBumps {
    /// Whether nothing is owed (one atomic load).
    pub(crate) fn is_clear(&self) -> bool {
        !self.any.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Owed> {
        self.owed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `tags` as owed (again), with lifetime `ttl`.
    pub(crate) fn add(&self, tags: impl IntoIterator<Item = String>, ttl: Ttl) {
        let mut owed = self.lock();
        for tag in tags {
            owed.next += 1;
            let when = owed.next;
            let entry = owed.tags.entry(tag).or_insert((when, ttl));
            *entry = (when, longest(entry.1, ttl));
        }
        self.any.store(!owed.tags.is_empty(), Ordering::SeqCst);
    }

    /// What is owed now, to deliver (empty when nothing is).
    pub(crate) fn snapshot(&self) -> Debt {
        let mut debt = Debt::none();
        if self.is_clear() {
            return debt;
        }
        let owed = self.lock();
        for (tag, (when, ttl)) in &owed.tags {
            debt.owed.push((tag.clone(), *when));
            debt.ttl = longest(debt.ttl, *ttl);
        }
        debt
    }

    /// Records that `debt` was delivered: each of its tags is paid unless
    /// it was owed again since the snapshot (a write whose bump failed
    /// after the delivery's own write: it still owes a newer version).
    pub(crate) fn paid(&self, debt: &Debt) {
        if debt.is_empty() {
            return;
        }
        let mut owed = self.lock();
        for (tag, when) in &debt.owed {
            if owed.tags.get(tag).is_some_and(|(now, _)| now == when) {
                owed.tags.remove(tag);
            }
        }
        self.any.store(!owed.tags.is_empty(), Ordering::SeqCst);
    }

    /// Whether any of `tags` is owed.
    pub(crate) fn owes_any(&self, tags: &[&str]) -> bool {
        !self.is_clear() && {
            let owed = self.lock();
            tags.iter().any(|t| owed.tags.contains_key(*t))
        }
    }

    /// Runs `deliver` unless another reader is delivering; `None` if one is.
    pub(crate) fn deliver_once<T>(&self, deliver: impl FnOnce() -> T) -> Option<T> {
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        if self.delivering.swap(true, Ordering::SeqCst) {
            return None;
        }
        let _release = Release(&self.delivering);
        Some(deliver())
    }

    /// Claims the retry thread's job; false if one is running already.
    pub(crate) fn start_retrying(&self) -> bool {
        !self.retrying.swap(true, Ordering::SeqCst)
    }

    /// The retry thread stops when nothing is owed. Returns whether it must
    /// go on (a bump failed again meanwhile and it claimed the job back).
    pub(crate) fn stop_retrying(&self) -> bool {
        self.retrying.store(false, Ordering::SeqCst);
        !self.is_clear() && self.start_retrying()
    }

    /// Gives the job up without a thread (one could not be started): the
    /// next failed bump tries again.
    pub(crate) fn abandon_retrying(&self) {
        self.retrying.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn secs(n: u64) -> Ttl {
        Some(Duration::from_secs(n))
    }

    #[test]
    fn owed_tags_are_kept_until_paid_with_the_longest_lifetime() {
        let owed = OwedBumps::default();
        assert!(owed.is_clear());
        owed.add(["a".to_owned()], secs(5));
        owed.add(["b".to_owned(), "a".to_owned()], secs(9));
        let debt = owed.snapshot();
        let mut tags: Vec<&str> = debt.tags().map(String::as_str).collect();
        tags.sort();
        assert_eq!((tags, debt.ttl), (vec!["a", "b"], secs(9)));
        assert!(owed.owes_any(&["x", "b"]));
        assert!(!owed.owes_any(&["x"]));
        owed.paid(&debt);
        assert!(owed.is_clear());
        assert_eq!(owed.snapshot(), Debt::none());
    }

    #[test]
    fn a_tag_owed_again_after_the_snapshot_stays_owed() {
        let owed = OwedBumps::default();
        owed.add(["a".to_owned(), "b".to_owned()], secs(5));
        let debt = owed.snapshot();
        owed.add(["a".to_owned()], secs(5)); // its bump failed after the delivery's write
        owed.paid(&debt);
        assert!(owed.owes_any(&["a"]));
        assert!(!owed.owes_any(&["b"]));
        assert_eq!(owed.snapshot().tags().collect::<Vec<_>>(), vec!["a"]);
    }

    #[test]
    fn the_longest_lifetime_is_that_of_what_is_still_owed() {
        let owed = OwedBumps::default();
        owed.add(["a".to_owned()], None);
        owed.add(["b".to_owned()], secs(5));
        let debt = owed.snapshot();
        owed.add(["b".to_owned()], secs(7));
        owed.paid(&debt);
        assert_eq!(owed.snapshot().ttl, secs(7));
    }

    #[test]
    fn forever_outlives_any_lifetime() {
        let owed = OwedBumps::default();
        owed.add(["a".to_owned()], secs(5));
        owed.add(["b".to_owned()], None);
        owed.add(["c".to_owned()], secs(7));
        assert_eq!(owed.snapshot().ttl, None);
        assert_eq!(owed.snapshot().ttl_along(secs(3)), None);
        assert_eq!(Debt::none().ttl_along(secs(3)), secs(3));
        assert_eq!(Debt::none().ttl_along(None), None);
    }

    #[test]
    fn one_retry_thread_at_a_time_and_none_left_owing() {
        let owed = OwedBumps::default();
        assert!(owed.start_retrying());
        assert!(!owed.start_retrying());
        owed.add(["a".to_owned()], None);
        assert!(owed.stop_retrying(), "still owed: the thread goes on");
        owed.paid(&owed.snapshot());
        assert!(!owed.stop_retrying());
        assert!(owed.start_retrying());
    }
}
