//! How the driver reaches its store: the calls that do I/O, as futures.
//!
//! The driver (`read_through`, `tagged`) is written once, as `async` code
//! over an [`Io`]. The sync API drives it with [`Blocking`], whose futures
//! are complete when made (the store call runs, blocking, when the future
//! is created), through [`block_now`]; the async API (feature `tokio`)
//! drives it with a store that does non-blocking I/O. So both APIs run the
//! same protocol, not two copies of it.

use crate::backend::{Backend, Claim, Fetched};
use crate::driver::flight::{Follower, Landing};
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::future::{Future, ready};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// The store calls of the driver that do I/O, and its two waits.
pub(crate) trait Io: Sync {
    /// [`EntryStore::read_entry`](crate::backend::EntryStore::read_entry).
    fn read_entry(
        &self,
        key: &str,
        tags: &[&str],
        claim: Option<&Claim<'_>>,
    ) -> impl Future<Output = Result<Fetched>> + Send;
    /// [`EntryStore::read_entries`](crate::backend::EntryStore::read_entries).
    fn read_entries(
        &self,
        reads: &[(&str, &[&str])],
    ) -> impl Future<Output = Result<Vec<Fetched>>> + Send;
    /// [`EntryStore::fill`](crate::backend::EntryStore::fill).
    fn fill(
        &self,
        key: &str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// [`TagStore::create_versions`](crate::backend::TagStore::create_versions).
    fn create_versions(
        &self,
        entry: &str,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> impl Future<Output = Result<Vec<u64>>> + Send;
    /// [`TagStore::write_versions`](crate::backend::TagStore::write_versions).
    fn write_versions(
        &self,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> impl Future<Output = Result<()>> + Send;
    /// [`Backend::add_lease`].
    fn add_lease(
        &self,
        entry: &str,
        lease: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// [`Backend::release_lease`].
    fn release_lease(&self, entry: &str, lease: &str) -> impl Future<Output = Result<()>> + Send;
    /// Releases a lease without being awaited (its holder was dropped
    /// mid-read): the sync driver's holder can only be dropped by a panic,
    /// and releases it there; the async driver's, by a cancelled task,
    /// and hands the release to a task of its own.
    fn release_detached(&self, entry: &str, lease: &str);
    /// Waits `d` (between polls of another process's lease).
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send;
    /// A flight leader's result, waited for at most `max`.
    fn follow(&self, follower: &Follower, max: Duration) -> impl Future<Output = Landing> + Send;
    /// Whether owed bumps may be delivered inline, before a read (the
    /// async driver leaves them to the retry thread: delivering is a
    /// blocking call).
    fn settles_inline(&self) -> bool;
}

/// The sync driver's [`Io`]: each call runs on the caller's thread when its
/// future is made.
pub(crate) struct Blocking<'a>(pub(crate) &'a dyn Backend);

impl Io for Blocking<'_> {
    fn read_entry(
        &self,
        key: &str,
        tags: &[&str],
        claim: Option<&Claim<'_>>,
    ) -> impl Future<Output = Result<Fetched>> + Send {
        ready(self.0.read_entry(key, tags, claim))
    }

    fn read_entries(
        &self,
        reads: &[(&str, &[&str])],
    ) -> impl Future<Output = Result<Vec<Fetched>>> + Send {
        ready(self.0.read_entries(reads))
    }

    fn fill(
        &self,
        key: &str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send {
        ready(self.0.fill(key, bytes, ttl, release))
    }

    fn create_versions(
        &self,
        entry: &str,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> impl Future<Output = Result<Vec<u64>>> + Send {
        ready(self.0.create_versions(entry, tags, ttl))
    }

    fn write_versions(
        &self,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> impl Future<Output = Result<()>> + Send {
        ready(self.0.write_versions(tags, ttl))
    }

    fn add_lease(
        &self,
        entry: &str,
        lease: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool>> + Send {
        ready(self.0.add_lease(entry, lease, ttl))
    }

    fn release_lease(&self, entry: &str, lease: &str) -> impl Future<Output = Result<()>> + Send {
        ready(self.0.release_lease(entry, lease))
    }

    fn release_detached(&self, entry: &str, lease: &str) {
        let _ = self.0.release_lease(entry, lease);
    }

    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        std::thread::sleep(d);
        ready(())
    }

    fn follow(&self, follower: &Follower, max: Duration) -> impl Future<Output = Landing> + Send {
        ready(follower.wait(max))
    }

    fn settles_inline(&self) -> bool {
        true
    }
}

/// Runs a future of the sync driver to its end on this thread. Over
/// [`Blocking`] it is ready at its first poll; anything else parks the
/// thread until woken.
pub(crate) fn block_now<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = pin!(future);
    // Over `Blocking` the first poll finishes: no waker is needed (building
    // one allocates and touches the thread's handle). A future still
    // pending is polled again at once with one that unparks this thread
    // (a future registers the waker of its latest poll).
    if let Poll::Ready(output) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return output;
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// The async driver's [`Io`]: the store's non-blocking twin.
#[cfg(feature = "tokio")]
pub(crate) struct AsyncIo(pub(crate) Arc<dyn crate::backend::AsyncStore>);

#[cfg(feature = "tokio")]
impl Io for AsyncIo {
    async fn read_entry(
        &self,
        key: &str,
        tags: &[&str],
        claim: Option<&Claim<'_>>,
    ) -> Result<Fetched> {
        self.0.read_entry(key, tags, claim).await
    }

    async fn read_entries(&self, reads: &[(&str, &[&str])]) -> Result<Vec<Fetched>> {
        self.0.read_entries(reads).await
    }

    async fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.0.fill(key, bytes, ttl, release).await
    }

    async fn create_versions(
        &self,
        entry: &str,
        tags: &[(&str, u64)],
        ttl: Ttl,
    ) -> Result<Vec<u64>> {
        self.0.create_versions(entry, tags, ttl).await
    }

    async fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        self.0.write_versions(tags, ttl).await
    }

    async fn add_lease(&self, entry: &str, lease: &str, ttl: Duration) -> Result<bool> {
        self.0.add_lease(entry, lease, ttl).await
    }

    async fn release_lease(&self, entry: &str, lease: &str) -> Result<()> {
        self.0.release_lease(entry, lease).await
    }

    fn release_detached(&self, entry: &str, lease: &str) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime (it is shutting down): the lease expires
        };
        let (store, entry, lease) = (self.0.clone(), entry.to_owned(), lease.to_owned());
        runtime.spawn(async move {
            let _ = store.release_lease(&entry, &lease).await;
        });
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await
    }

    async fn follow(&self, follower: &Follower, max: Duration) -> Landing {
        tokio::time::timeout(max, follower.landing())
            .await
            .unwrap_or(None)
    }

    fn settles_inline(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_future_is_run_and_a_woken_one_finishes() {
        assert_eq!(block_now(async { 7 }), 7);
        // (polls so far, done, the waker of the latest poll)
        type Shared = (usize, bool, Option<Waker>);
        let shared: Arc<std::sync::Mutex<Shared>> = Arc::default();
        let other = shared.clone();
        // Wakes the future once it has been polled twice: the first poll
        // has a no-op waker, so only the second one's can end the park.
        let waking = std::thread::spawn(move || {
            loop {
                let mut s = other.lock().unwrap();
                if s.0 >= 2 {
                    s.1 = true;
                    let waker = s.2.take().unwrap();
                    drop(s);
                    waker.wake();
                    return;
                }
                drop(s);
                std::thread::yield_now();
            }
        });
        let out = block_now(std::future::poll_fn(|cx| {
            let mut s = shared.lock().unwrap();
            s.0 += 1;
            if s.1 {
                return Poll::Ready(s.0);
            }
            s.2 = Some(cx.waker().clone());
            Poll::Pending
        }));
        waking.join().unwrap();
        assert!(
            out >= 3,
            "ended by the wake after the second poll: {out} polls"
        );
    }
}
