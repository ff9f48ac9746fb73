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
use std::collections::HashSet;
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
}

#[derive(Debug, Default)]
struct Owed {
    tags: HashSet<String>,
    /// The longest lifetime asked for (`None`: never expires).
    ttl: Option<Ttl>,
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

    /// Records `tags` as owed, with lifetime `ttl`.
    pub(crate) fn add(&self, tags: impl IntoIterator<Item = String>, ttl: Ttl) {
        let mut owed = self.lock();
        owed.tags.extend(tags);
        owed.ttl = Some(owed.ttl.map_or(ttl, |t| longest(t, ttl)));
        self.any.store(!owed.tags.is_empty(), Ordering::SeqCst);
    }

    /// What is owed now, to deliver (empty when nothing is).
    pub(crate) fn snapshot(&self) -> (Vec<String>, Ttl) {
        if self.is_clear() {
            return (Vec::new(), None);
        }
        let owed = self.lock();
        (
            owed.tags.iter().cloned().collect(),
            owed.ttl.unwrap_or(None),
        )
    }

    /// Records that `tags` were delivered.
    pub(crate) fn paid(&self, tags: &[String]) {
        if tags.is_empty() {
            return;
        }
        let mut owed = self.lock();
        for tag in tags {
            owed.tags.remove(tag);
        }
        if owed.tags.is_empty() {
            owed.ttl = None;
            self.any.store(false, Ordering::SeqCst);
        }
    }

    /// Whether any of `tags` is owed.
    pub(crate) fn owes_any(&self, tags: &[&str]) -> bool {
        !self.is_clear() && {
            let owed = self.lock();
            tags.iter().any(|t| owed.tags.contains(*t))
        }
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
        let (mut tags, ttl) = owed.snapshot();
        tags.sort();
        assert_eq!((tags, ttl), (vec!["a".to_owned(), "b".to_owned()], secs(9)));
        assert!(owed.owes_any(&["x", "b"]));
        assert!(!owed.owes_any(&["x"]));
        owed.paid(&["a".to_owned()]);
        assert!(!owed.is_clear());
        owed.paid(&["b".to_owned()]);
        assert!(owed.is_clear());
        assert_eq!(owed.snapshot(), (Vec::new(), None));
    }

    #[test]
    fn forever_outlives_any_lifetime() {
        let owed = OwedBumps::default();
        owed.add(["a".to_owned()], secs(5));
        owed.add(["b".to_owned()], None);
        owed.add(["c".to_owned()], secs(7));
        assert_eq!(owed.snapshot().1, None);
    }

    #[test]
    fn one_retry_thread_at_a_time_and_none_left_owing() {
        let owed = OwedBumps::default();
        assert!(owed.start_retrying());
        assert!(!owed.start_retrying());
        owed.add(["a".to_owned()], None);
        assert!(owed.stop_retrying(), "still owed: the thread goes on");
        owed.paid(&["a".to_owned()]);
        assert!(!owed.stop_retrying());
        assert!(owed.start_retrying());
    }
}
