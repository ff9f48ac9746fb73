//! The store roles the async API needs, as futures: [`AsyncStore`], and
//! [`InProcess`], which serves them from an in-process store (whose calls
//! never wait for I/O, so they run inside the future).

use super::{Announce, Backend, Claim, Fetched, Noting, Swap};
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The calls of the invalidation protocol that do I/O, without blocking the
/// thread: what the async API (cache-core's `tokio` feature) drives. Each
/// is the future of the [`EntryStore`](super::EntryStore),
/// [`TagStore`](super::TagStore) or [`Backend`] method of the same name,
/// with the same meaning. A store offers one through
/// [`Backend::async_store`].
pub trait AsyncStore: Send + Sync + fmt::Debug {
    /// [`EntryStore::read_entry`](super::EntryStore::read_entry).
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>>;
    /// [`EntryStore::read_entries`](super::EntryStore::read_entries); the
    /// default reads them one by one.
    fn read_entries<'a>(
        &'a self,
        reads: &'a [(&'a str, &'a [&'a str])],
    ) -> BoxFuture<'a, Result<Vec<Fetched>>> {
        Box::pin(one_by_one(self, reads))
    }
    /// [`EntryStore::fill`](super::EntryStore::fill).
    fn fill<'a>(
        &'a self,
        key: &'a str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>>;
    /// [`TagStore::create_versions`](super::TagStore::create_versions).
    fn create_versions<'a>(
        &'a self,
        entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>>;
    /// [`TagStore::write_versions`](super::TagStore::write_versions).
    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>>;
    /// [`Backend::add_lease`].
    fn add_lease<'a>(
        &'a self,
        entry: &'a str,
        lease: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>>;
    /// [`Backend::release_lease`].
    fn release_lease<'a>(&'a self, entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>>;
    /// [`TagStore::announce_and_note`](super::TagStore::announce_and_note);
    /// the default: the store cannot.
    fn announce_and_note<'a>(
        &'a self,
        announce: Announce<'a>,
    ) -> BoxFuture<'a, Result<Option<Noting>>> {
        let _ = announce;
        Box::pin(async { Ok(None) })
    }
    /// [`TagStore::swap_and_fill`](super::TagStore::swap_and_fill); the
    /// default: the store cannot.
    fn swap_and_fill<'a>(&'a self, swap: Swap<'a>) -> BoxFuture<'a, Result<Option<bool>>> {
        let _ = swap;
        Box::pin(async { Ok(None) })
    }
}

/// [`AsyncStore::read_entries`] as separate reads, in order.
pub(crate) async fn one_by_one<S: AsyncStore + ?Sized>(
    store: &S,
    reads: &[(&str, &[&str])],
) -> Result<Vec<Fetched>> {
    let mut found = Vec::with_capacity(reads.len());
    for (key, tags) in reads {
        found.push(store.read_entry(key, tags, None).await?);
    }
    Ok(found)
}

/// An in-process store as an [`AsyncStore`]: its calls touch memory only,
/// so each runs when its future is polled, and is ready at once.
#[derive(Debug)]
pub struct InProcess(pub Arc<dyn Backend>);

impl AsyncStore for InProcess {
    fn read_entry<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        claim: Option<&'a Claim<'a>>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move { self.0.read_entry(key, tags, claim) })
    }

    fn read_entries<'a>(
        &'a self,
        reads: &'a [(&'a str, &'a [&'a str])],
    ) -> BoxFuture<'a, Result<Vec<Fetched>>> {
        Box::pin(async move { self.0.read_entries(reads) })
    }

    fn fill<'a>(
        &'a self,
        key: &'a str,
        bytes: Bytes,
        ttl: Ttl,
        release: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.0.fill(key, bytes, ttl, release) })
    }

    fn create_versions<'a>(
        &'a self,
        entry: &'a str,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<Vec<u64>>> {
        Box::pin(async move { self.0.create_versions(entry, tags, ttl) })
    }

    fn write_versions<'a>(
        &'a self,
        tags: &'a [(&'a str, u64)],
        ttl: Ttl,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.0.write_versions(tags, ttl) })
    }

    fn add_lease<'a>(
        &'a self,
        entry: &'a str,
        lease: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { self.0.add_lease(entry, lease, ttl) })
    }

    fn release_lease<'a>(&'a self, entry: &'a str, lease: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.0.release_lease(entry, lease) })
    }

    fn announce_and_note<'a>(
        &'a self,
        announce: Announce<'a>,
    ) -> BoxFuture<'a, Result<Option<Noting>>> {
        Box::pin(async move { self.0.announce_and_note(announce) })
    }

    fn swap_and_fill<'a>(&'a self, swap: Swap<'a>) -> BoxFuture<'a, Result<Option<bool>>> {
        Box::pin(async move { self.0.swap_and_fill(swap) })
    }
}
