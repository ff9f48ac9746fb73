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
//!
//! A write's cost does not grow with the debt: owing is O(tags of the
//! write). The debt is bounded: a tag may name a *cover*, a tag whose bump
//! invalidates everything its own would (a table's `epoch` covers the
//! table's row, list and absent tags); past [`MAX_OWED`] tags, owed tags
//! collapse into their covers, and while a cover is owed the tags it covers
//! are not recorded at all (the cover is owed again instead).

use crate::timeout::Ttl;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many tags may be owed before those with a cover collapse into it.
pub(crate) const MAX_OWED: usize = 4096;

/// How often, at most, reads try to deliver the debt (the retry thread
/// tries every `retry_after` besides): while the backend is down, a read
/// must not pay an attempt of its own.
const READ_ATTEMPT_EVERY: Duration = Duration::from_millis(20);

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
    /// Microseconds since `epoch` before which reads make no delivery attempt.
    next_read_attempt_us: AtomicU64,
    epoch: OnceInstant,
}

/// An `Instant` fixed at first use (so `OwedBumps` can be `Default`).
#[derive(Debug, Default)]
struct OnceInstant(std::sync::OnceLock<Instant>);

impl OnceInstant {
    fn micros(&self) -> u64 {
        let epoch = *self.0.get_or_init(Instant::now);
        u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Default)]
struct Owed {
    tags: HashMap<String, Owing>,
    next: u64,
}

/// One owed tag.
#[derive(Debug)]
struct Owing {
    /// When it was last owed (a number from `Owed::next`).
    when: u64,
    /// The lifetime asked for.
    ttl: Ttl,
    /// The tag whose bump would do for this one's.
    cover: Option<Arc<str>>,
}

impl Owed {
    /// Owes `tag` (again).
    fn owe(&mut self, tag: &str, ttl: Ttl, cover: Option<&Arc<str>>) {
        self.next += 1;
        let when = self.next;
        match self.tags.get_mut(tag) {
            Some(owing) => {
                owing.when = when;
                owing.ttl = longest(owing.ttl, ttl);
            }
            None => {
                let cover = cover.filter(|c| ***c != *tag).cloned();
                self.tags.insert(tag.to_owned(), Owing { when, ttl, cover });
            }
        }
    }

    /// Replaces every owed tag that has a cover by its cover.
    fn collapse(&mut self) {
        let covered: Vec<String> = self
            .tags
            .iter()
            .filter(|(_, o)| o.cover.is_some())
            .map(|(tag, _)| tag.clone())
            .collect();
        for tag in covered {
            if let Some(Owing {
                ttl,
                cover: Some(cover),
                ..
            }) = self.tags.remove(&tag)
            {
                self.owe(&cover, ttl, None);
            }
        }
    }
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
    pub(crate) fn none() -> Self {
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
    #[inline]
    pub(crate) fn is_clear(&self) -> bool {
        !self.any.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Owed> {
        self.owed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `tags` as owed (again), with lifetime `ttl`; `cover`, when
    /// given, is a tag whose bump would do for all of them. O(tags), plus
    /// a collapse of the debt once it passes [`MAX_OWED`].
    pub(crate) fn add<'t>(
        &self,
        tags: impl IntoIterator<Item = &'t String>,
        cover: Option<&str>,
        ttl: Ttl,
    ) {
        let cover: Option<Arc<str>> = cover.map(Arc::from);
        let mut owed = self.lock();
        for tag in tags {
            match &cover {
                // The cover is owed: owing it again does for this tag.
                Some(c) if **c != **tag && owed.tags.contains_key(&**c) => owed.owe(c, ttl, None),
                _ => owed.owe(tag, ttl, cover.as_ref()),
            }
        }
        if owed.tags.len() > MAX_OWED {
            let before = owed.tags.len();
            owed.collapse();
            tracing::warn!(
                before,
                after = owed.tags.len(),
                "owed tag bumps collapsed into their tables' epochs"
            );
        }
        self.any.store(!owed.tags.is_empty(), Ordering::SeqCst);
    }

    /// How many tags are owed.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().tags.len()
    }

    /// What is owed now, to deliver (empty when nothing is).
    pub(crate) fn snapshot(&self) -> Debt {
        let mut debt = Debt::none();
        if self.is_clear() {
            return debt;
        }
        let owed = self.lock();
        for (tag, owing) in &owed.tags {
            debt.owed.push((tag.clone(), owing.when));
            debt.ttl = longest(debt.ttl, owing.ttl);
        }
        debt
    }

    /// Whether a read may try to deliver now (at most every
    /// [`READ_ATTEMPT_EVERY`]); claims the attempt when it may.
    pub(crate) fn read_attempt_due(&self) -> bool {
        let now = self.epoch.micros();
        let next = self.next_read_attempt_us.load(Ordering::Relaxed);
        now >= next
            && self
                .next_read_attempt_us
                .compare_exchange(
                    next,
                    now + READ_ATTEMPT_EVERY.as_micros() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
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
            if owed.tags.get(tag).is_some_and(|o| o.when == *when) {
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
        owed.add(&["a".to_owned()], None, secs(5));
        owed.add(&["b".to_owned(), "a".to_owned()], None, secs(9));
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
        owed.add(&["a".to_owned(), "b".to_owned()], None, secs(5));
        let debt = owed.snapshot();
        owed.add(&["a".to_owned()], None, secs(5)); // its bump failed after the delivery's write
        owed.paid(&debt);
        assert!(owed.owes_any(&["a"]));
        assert!(!owed.owes_any(&["b"]));
        assert_eq!(owed.snapshot().tags().collect::<Vec<_>>(), vec!["a"]);
    }

    #[test]
    fn the_longest_lifetime_is_that_of_what_is_still_owed() {
        let owed = OwedBumps::default();
        owed.add(&["a".to_owned()], None, None);
        owed.add(&["b".to_owned()], None, secs(5));
        let debt = owed.snapshot();
        owed.add(&["b".to_owned()], None, secs(7));
        owed.paid(&debt);
        assert_eq!(owed.snapshot().ttl, secs(7));
    }

    #[test]
    fn forever_outlives_any_lifetime() {
        let owed = OwedBumps::default();
        owed.add(&["a".to_owned()], None, secs(5));
        owed.add(&["b".to_owned()], None, None);
        owed.add(&["c".to_owned()], None, secs(7));
        assert_eq!(owed.snapshot().ttl, None);
        assert_eq!(owed.snapshot().ttl_along(secs(3)), None);
        assert_eq!(Debt::none().ttl_along(secs(3)), secs(3));
        assert_eq!(Debt::none().ttl_along(None), None);
    }

    fn strings(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    #[test]
    fn past_the_bound_covered_tags_collapse_into_their_covers() {
        let owed = OwedBumps::default();
        owed.add(&strings("q", 10), None, secs(5)); // no cover: kept as they are
        for table in ["a", "b"] {
            for chunk in strings(&format!("{table}:row"), MAX_OWED).chunks(3) {
                owed.add(chunk, Some(&format!("{table}:epoch")), secs(5));
            }
        }
        assert!(owed.len() <= MAX_OWED, "{}", owed.len());
        let mut tags: Vec<String> = owed.snapshot().tags().cloned().collect();
        tags.sort();
        let mut expected = strings("q", 10);
        expected.extend(["a:epoch".to_owned(), "b:epoch".to_owned()]);
        expected.sort();
        assert_eq!(tags, expected);
        // While a cover is owed, what it covers owes only the cover again.
        let debt = owed.snapshot();
        owed.add(&["a:row1".to_owned()], Some("a:epoch"), secs(5));
        owed.paid(&debt);
        assert_eq!(
            owed.snapshot().tags().collect::<Vec<_>>(),
            vec!["a:epoch"],
            "owed again after the snapshot, so not paid by it"
        );
    }

    #[test]
    fn one_retry_thread_at_a_time_and_none_left_owing() {
        let owed = OwedBumps::default();
        assert!(owed.start_retrying());
        assert!(!owed.start_retrying());
        owed.add(&["a".to_owned()], None, None);
        assert!(owed.stop_retrying(), "still owed: the thread goes on");
        owed.paid(&owed.snapshot());
        assert!(!owed.stop_retrying());
        assert!(owed.start_retrying());
    }
}
